"""WordPress: a comment section copied from the page as text, and the WXR export (XML).

Copied text (format ``wordpress-text``), as a browser copies a WordPress.com page::

    Title of the post
    16 Aug
    The post ...
    43 Responses to “Title of the post”
      1. drtonyryan 17 August 2013 at 9:32 am #
        The comment ...
        • Sectioned 17 August 2013 at 2:27 pm #
          A reply, nested by its indentation ...
      1. Some blog post title | site - 19 August 2013      (pingbacks, listed last)
        […] excerpt […]
    Leave a Reply                                         (page furniture: dropped)

The text is taken as the browser rendered it, so entities are not unescaped again.
Ids come from the thread (a slug of the title and a checksum prefix of the post text)
and the comment's visible numbering: ``wp:<slug>-<hash>:c3.1`` is the first reply to
comment 3, so a later copy of the same page with more comments keeps the ids.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any
from urllib.parse import urlparse

from ._common import (
    AUTO_KIND,
    Context,
    child_text,
    html_to_text,
    local_name,
    normalise_whitespace,
    parse_xml,
    slug,
    to_utc,
)

__all__ = ["read_wordpress_text", "read_wxr", "looks_like_wordpress_text"]

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE = rf"(?:\d{{1,2}}(?:st|nd|rd|th)? {_MONTH},? \d{{4}}|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{4}})"
_TIME = r"\d{1,2}:\d{2}(?:\s*[aApP]\.?[mM]\.?)?"
_STAMP = rf"(?P<date>{_DATE})(?:\s+(?:at|@)\s+|,\s*|\s+)(?P<time>{_TIME})"
_COMMENT = re.compile(rf"^(?P<indent>\s*)(?P<num>\d+)\.\s+(?P<author>.+?)\s+(?:says:?\s+)?{_STAMP}\s*#?\s*$")
_REPLY = re.compile(rf"^(?P<indent>\s*)[•·◦▪\-\*]\s+(?P<author>.+?)\s+(?:says:?\s+)?{_STAMP}\s*#?\s*$")
_PINGBACK = re.compile(rf"^(?P<indent>\s*)(?P<num>\d+)\.\s+(?P<head>.+?)\s+[-–—]\s+(?P<date>{_DATE})\s*$")
_RESPONSES = re.compile(r"^\s*(?:(?:\d+|One|No) (?:Responses?|Comments?|Replies|Thoughts?)\b.*|Comments|Responses)\s*$", re.I)
_FOOTER = re.compile(
    r"^\s*(?:Leave a (?:Reply|Comment)|Comments are closed\.?|%d bloggers like this:?|Post navigation|"
    r"Fill in your details below|Share this:|Like this:|Related)\s*$",
    re.I,
)
_POST_DATE = re.compile(rf"^\s*(?:{_DATE}|\d{{1,2}} {_MONTH}|{_MONTH} \d{{1,2}})\s*$")


#: Bodies that WordPress themes and moderation plugins show instead of a removed comment.
_GONE = {
    "[deleted]": "deleted", "this comment has been deleted.": "deleted", "this comment was deleted.": "deleted",
    "comment deleted": "deleted", "[removed]": "removed", "this comment has been removed.": "removed",
    "this comment was removed by the moderator.": "removed",
}


def looks_like_wordpress_text(text: str) -> bool:
    """True when the text has WordPress comment headers ("1. name 17 August 2013 at 9:32 am #")."""
    head = text[:400_000]
    n = sum(1 for line in head.splitlines() if _COMMENT.match(line) or _REPLY.match(line))
    return n >= 1 and ("#" in head or _RESPONSES.search(head) is not None)


def _indent(s: str) -> int:
    return len(s.expandtabs(4))


def read_wordpress_text(ctx: Context, *, title: str | None = None, author: str = "",
                        thread_id: str | None = None) -> list[dict[str, Any]]:
    """Read a WordPress comment section copied as text (see the module docstring).

    ``title`` and ``author`` name the post when the copy lacks them; ``thread_id``
    overrides the derived thread id.
    """
    lines = ctx.read_text().split("\n")
    # locate the comments: the first comment header
    first = next((i for i, ln in enumerate(lines) if _COMMENT.match(ln)), None)
    responses = next((i for i, ln in enumerate(lines) if _RESPONSES.match(ln)), None)
    if responses is not None and (first is None or responses < first):
        first = next((i for i in range(responses + 1, len(lines))
                      if _COMMENT.match(lines[i]) or _REPLY.match(lines[i])), first)
    if first is None:
        raise ctx.error(
            "no WordPress comment header found; expected lines such as "
            "'1. name 17 August 2013 at 9:32 am #' (or pass format='essay' for a post without comments)"
        )
    head_end = first
    for i in range(first - 1, -1, -1):
        if _RESPONSES.match(lines[i]):
            head_end = i
            break
    head = [ln for ln in lines[:head_end]]
    while head and not head[0].strip():
        head.pop(0)
    post_title = title
    if post_title is None and head:
        post_title = normalise_whitespace(head.pop(0))
    posted = None
    while head and not head[0].strip():
        head.pop(0)
    if head and _POST_DATE.match(head[0]):
        shown = head.pop(0).strip()
        if re.search(r"\d{4}", shown):  # "16 Aug" has no year: no time rather than a wrong one
            try:
                posted = to_utc(shown)
            except (ValueError, TypeError):
                posted = None
    body = normalise_whitespace("\n".join(head))
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:8]
    tid = thread_id or f"wp:{slug(post_title or ctx.path.stem)}-{digest}"
    root = {
        "unit_id": f"{tid}:post", "thread_id": tid, "parent_id": None, "author": author,
        "posted_at": posted, "text": body, "kind": "post", "status": "ok", "title": post_title,
    }
    records = [root]

    # walk the comments
    stack: list[tuple[int, str, list[int]]] = []  # (indent, unit_id, [child counter])
    current: dict[str, Any] | None = None
    buf: list[str] = []
    in_pingbacks = False
    last_num = 0
    top_counter = Counter()

    def flush():
        if current is not None:
            text = normalise_whitespace("\n".join(buf))
            gone = _GONE.get(text.strip().lower())
            if gone:
                current["status"], text = gone, ""
            current["text"] = text
            if current["kind"] == AUTO_KIND and text.startswith("Reblogged this on"):
                current["kind"] = "reblog"
        buf.clear()

    for lineno in range(first, len(lines)):
        line = lines[lineno]
        if _FOOTER.match(line) and not line.startswith("    "):
            break
        m = _COMMENT.match(line)
        if m and not in_pingbacks:
            flush()
            num = int(m["num"])
            if num <= last_num:
                ctx.note(f"comment number {num} follows {last_num}: numbering restarted", line=lineno + 1)
            last_num = num
            uid = f"{tid}:c{num}"
            top_counter[uid] += 1
            if top_counter[uid] > 1:
                uid = f"{uid}-{top_counter[uid]}"
            current = _comment(tid, uid, f"{tid}:post", m, ctx, lineno + 1)
            records.append(current)
            stack = [(_indent(m["indent"]), uid, [0])]
            continue
        r = _REPLY.match(line)
        if r and not in_pingbacks:
            flush()
            ind = _indent(r["indent"])
            while stack and stack[-1][0] >= ind:
                stack.pop()
            if not stack:
                ctx.problem("a reply ('• name DATE') before any numbered comment; it was kept as an orphan",
                            line=lineno + 1, field="indentation", skipped=False)
                parent, path = f"{tid}:unknown", f"{tid}:r{lineno + 1}"
                stack = [(ind, path, [0])]
                current = _comment(tid, path, parent, r, ctx, lineno + 1)
            else:
                p_ind, parent, counter = stack[-1]
                counter[0] += 1
                uid = f"{parent}.{counter[0]}"
                current = _comment(tid, uid, parent, r, ctx, lineno + 1)
                stack.append((ind, uid, [0]))
            records.append(current)
            continue
        p = _PINGBACK.match(line)
        if p and (in_pingbacks or (last_num and int(p["num"]) == 1)):
            flush()
            in_pingbacks = True
            head_text = p["head"].strip()
            site = head_text.rsplit(" | ", 1)[-1].strip() if " | " in head_text else head_text
            try:
                when = to_utc(p["date"])
            except (ValueError, TypeError):
                when = None
            current = {
                "unit_id": f"{tid}:pingback{int(p['num'])}", "thread_id": tid,
                "parent_id": f"{tid}:post", "author": site, "posted_at": when, "kind": "pingback",
                "status": "ok", "extra": {"linking_post": head_text},
            }
            records.append(current)
            stack = []
            continue
        if current is not None:
            buf.append(line)
    flush()
    return records


def _comment(tid: str, uid: str, parent: str, m: re.Match, ctx: Context, line: int) -> dict[str, Any]:
    try:
        when = to_utc(f"{m['date']} {m['time'].replace('.', '')}")
    except (ValueError, TypeError):
        ctx.note(f"unreadable date {m['date']!r} {m['time']!r}; the comment was kept without a time",
                 line=line, field="posted_at")
        when = None
    return {"unit_id": uid, "thread_id": tid, "parent_id": parent, "author": m["author"].strip(),
            "posted_at": when, "kind": AUTO_KIND, "status": "ok"}


# --------------------------------------------------------------------------- WXR
_WXR_STATUS = {"1": "ok", "approve": "ok", "approved": "ok", "0": "pending", "hold": "pending",
               "spam": "spam", "trash": "trash", "post-trashed": "trash"}
_POST_STATUS = {"trash": "trash", "pending": "pending"}


def read_wxr(ctx: Context, *, spam: str = "exclude", post_types: tuple[str, ...] = ("post", "page")
             ) -> list[dict[str, Any]]:
    """Read a WordPress WXR export (``.xml``).

    Every item of ``post_types`` becomes a thread: the post as the root unit and its
    ``wp:comment`` elements below it, nested by ``wp:comment_parent`` (0 = top level;
    parents need not come first). Pending and trashed comments are kept with their
    status; spam is left out (``spam="exclude"``, reported) or kept flagged
    (``spam="keep"``). E-mail addresses, IP addresses and author URLs are never read.
    """
    if spam not in ("exclude", "keep"):
        raise ValueError(f"spam must be 'exclude' or 'keep', not {spam!r}")
    root = parse_xml(ctx)
    if local_name(root.tag) != "rss":
        raise ctx.error(f"the root element is <{local_name(root.tag)}>; a WXR export starts with <rss>")
    channel = next((c for c in root if local_name(c.tag) == "channel"), None)
    if channel is None:
        raise ctx.error("no <channel> element; expected rss/channel/item as in a WordPress export")
    site = child_text(channel, "base_blog_url") or child_text(channel, "base_site_url") or child_text(channel, "link")
    host = urlparse(site.strip()).netloc or ctx.path.stem
    records: list[dict[str, Any]] = []
    n_spam = 0
    items = [c for c in channel if local_name(c.tag) == "item"]
    bar = ctx.bar(total=len(items), desc="Reading", unit="post")
    for index, item in enumerate(items, start=1):
        bar.update(1)
        ptype = child_text(item, "post_type") or "post"
        if ptype not in post_types:
            continue
        post_id = child_text(item, "post_id").strip()
        if not post_id:
            ctx.problem("an item without <wp:post_id>; expected a number", record=f"item {index}",
                        field="wp:post_id")
            continue
        tid = f"wxr:{host}:{post_id}"
        records.append({
            "unit_id": tid, "thread_id": tid, "parent_id": None,
            "author": child_text(item, "creator").strip(),
            "posted_at": _wxr_time(ctx, child_text(item, "post_date_gmt"), tid),
            "text": html_to_text(child_text(item, "encoded")),
            "kind": "post", "status": _POST_STATUS.get(child_text(item, "status").strip(), "ok"),
            "title": html_to_text(child_text(item, "title")) or None,
            "url": child_text(item, "link").strip() or None,
        })
        for comment in (c for c in item if local_name(c.tag) == "comment"):
            cid = child_text(comment, "comment_id").strip()
            where = f"post {post_id} comment {cid or '?'}"
            if not cid:
                ctx.problem("a comment without <wp:comment_id>; expected a number", record=where,
                            field="wp:comment_id")
                continue
            approved = child_text(comment, "comment_approved").strip() or "1"
            status = _WXR_STATUS.get(approved)
            if status is None:
                ctx.note(f"unknown comment_approved value {approved!r}; kept as 'pending'",
                         record=where, field="wp:comment_approved")
                status = "pending"
            if status == "spam" and spam == "exclude":
                n_spam += 1
                continue
            parent = child_text(comment, "comment_parent").strip() or "0"
            ctype = child_text(comment, "comment_type").strip()
            records.append({
                "unit_id": f"wxr:{host}:c{cid}", "thread_id": tid,
                "parent_id": tid if parent in ("0", "") else f"wxr:{host}:c{parent}",
                "author": html_to_text(child_text(comment, "comment_author")),
                "posted_at": _wxr_time(ctx, child_text(comment, "comment_date_gmt"), where),
                "text": html_to_text(child_text(comment, "comment_content")),
                "kind": "pingback" if ctype in ("pingback", "trackback") else AUTO_KIND,
                "status": status,
                "extra": {"comment_type": ctype} if ctype not in ("", "comment", "pingback") else None,
            })
    bar.close()
    if n_spam:
        ctx.note(f"{n_spam} spam comment(s) left out (pass spam='keep' to keep them flagged 'spam')",
                 field="wp:comment_approved")
        ctx.skipped += n_spam
    return records


def _wxr_time(ctx: Context, value: str, where: str):
    value = value.strip()
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        return to_utc(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        ctx.note(f"unreadable GMT date {value!r} (expected YYYY-MM-DD HH:MM:SS); kept without a time",
                 record=where, field="date_gmt")
        return None
