"""WordPress comment sections copied from the page as text (format ``wordpress-text``).

Three shapes are read. Numbered, as a browser copies a WordPress.com page::

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

"Name says:" (the comment walker of the default themes, HTML5 and the older callback)::

    Priya says:
    4 March 2024 at 9:15 am
    The comment ...
    Reply

and name-and-date (block themes: the author's name on a line, the date on the next).
The text is taken as the browser rendered it, so entities are not unescaped again.
Ids come from the thread (a checksum prefix of the post's text; never its title or the
file's name) and the comment's visible numbering: ``wp:<hash>:c3.1`` is the first reply
to comment 3, so a later copy of the same page with more comments keeps the ids.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from .._common import AUTO_KIND, Context, to_utc
from .._text import normalise_whitespace
from ._engine import Claim, Header, build_thread, is_chrome, match_short, split_lines, thread_digest

__all__ = ["read_wordpress_text", "claim_wordpress"]

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE = rf"(?:\d{{1,2}}(?:st|nd|rd|th)? {_MONTH},? \d{{4}}|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{4}})"
_TIME = r"\d{1,2}:\d{2}(?:\s*[aApP]\.?[mM]\.?)?"
_STAMP = rf"(?P<date>{_DATE})(?:\s+(?:at|@)\s+|,\s*|\s+)(?P<time>{_TIME})"
_STAMP_PLAIN = rf"{_DATE}(?:\s+(?:at|@)\s+|,\s*|\s+){_TIME}"
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




def _indent(s: str) -> int:
    return len(s.expandtabs(4))


def read_wordpress_text(ctx: Context, *, title: str | None = None, author: str = "",
                        thread_id: str | None = None) -> list[dict[str, Any]]:
    """Read a WordPress comment section copied as text (see the module docstring).

    ``title`` and ``author`` name the post when the copy lacks them; ``thread_id``
    overrides the derived thread id. Numbered copies ("1. name DATE #") nest replies by
    their indentation; "Name says:" and name-and-date copies nest by indentation when
    the copy kept it, and otherwise attach every comment to the post (reported).
    """
    text = ctx.read_text()
    lines0 = split_lines(text)
    if not any(match_short(_COMMENT, ln) for ln in lines0):
        headers = _says_headers(lines0)
        if not headers:
            raise ctx.error(
                "no WordPress comment header found; expected lines such as "
                "'1. name 17 August 2013 at 9:32 am #', 'Name says:' followed by a date, or a name "
                "line followed by a date line (or pass format='essay' for a post without comments)"
            )
        return build_thread(ctx, lines0, headers, prefix="wp", platform="wordpress", nests=True,
                            title=title, author=author, thread_id=thread_id, preamble=_preamble).records
    lines = split_lines(ctx.read_text())
    # locate the comments: the first comment header
    first = next((i for i, ln in enumerate(lines) if match_short(_COMMENT, ln)), None)
    responses = next((i for i, ln in enumerate(lines) if match_short(_RESPONSES, ln)), None)
    if responses is not None and (first is None or responses < first):
        first = next((i for i in range(responses + 1, len(lines))
                      if match_short(_COMMENT, lines[i]) or match_short(_REPLY, lines[i])), first)
    if first is None:
        raise ctx.error(
            "no WordPress comment header found; expected lines such as "
            "'1. name 17 August 2013 at 9:32 am #' (or pass format='essay' for a post without comments)"
        )
    head_end = first
    for i in range(first - 1, -1, -1):
        if match_short(_RESPONSES, lines[i]):
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
    if head and match_short(_POST_DATE, head[0]):
        shown = head.pop(0).strip()
        if re.search(r"\d{4}", shown):  # "16 Aug" has no year: no time rather than a wrong one
            try:
                posted = to_utc(shown)
            except (ValueError, TypeError):
                posted = None
    body = normalise_whitespace("\n".join(head))
    tid = thread_id or f"wp:{thread_digest(ctx, body)}"
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
    top_counter: Counter[str] = Counter()

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

    ctx.read_as("wordpress", "native")
    for lineno in range(first, len(lines)):
        line = lines[lineno]
        if match_short(_FOOTER, line) and not line.startswith("    "):
            break
        m = match_short(_COMMENT, line)
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
            current["_line"] = lineno + 1
            records.append(current)
            stack = [(_indent(m["indent"]), uid, [0])]
            continue
        r = match_short(_REPLY, line)
        if r and not in_pingbacks:
            flush()
            ind = _indent(r["indent"])
            while stack and stack[-1][0] >= ind:
                stack.pop()
            if not stack:
                ctx.note("a reply ('• name DATE') before any numbered comment (its comment is on another "
                         "page of comments?); it was kept as an orphan", line=lineno + 1, field="indentation")
                parent, path = f"{tid}:unknown", f"{tid}:r{lineno + 1}"
                stack = [(ind, path, [0])]
                current = _comment(tid, path, parent, r, ctx, lineno + 1)
            else:
                p_ind, parent, counter = stack[-1]
                counter[0] += 1
                uid = f"{parent}.{counter[0]}"
                current = _comment(tid, uid, parent, r, ctx, lineno + 1)
                stack.append((ind, uid, [0]))
            current["_line"] = lineno + 1
            records.append(current)
            continue
        p = match_short(_PINGBACK, line)
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
                "status": "ok", "extra": {"linking_post": head_text}, "_line": lineno + 1,
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




# --------------------------------------------------------------------------- "says:" and name-and-date
_SAYS = re.compile(r"^(?P<indent>\s*)(?P<author>\S.{0,79}?)\s+says:?\s*(?P<rest>.*)$")
_DATE_LINE = re.compile(rf"^\s*(?P<when>{_STAMP_PLAIN})\s*(?:\(?edit\)?|#)?\s*$", re.I)
_NAME_LINE = re.compile(r"^(?P<indent>\s*)(?P<author>[^\s.!?,;:][^.!?;:]{0,59}?)\s*$")
_PING = re.compile(r"^(?P<indent>\s*)(?:Pingback|Trackback):\s*(?P<head>.+)$", re.I)


def _next_nonblank(lines: list[str], i: int, limit: int = 2) -> int | None:
    for j in range(i, min(len(lines), i + limit + 1)):
        if lines[j].strip():
            return j
    return None


def _says_headers(lines: list[str]) -> list[Header]:
    """Headers of the "Name says:" shape, else of the name-and-date shape, with pingbacks."""
    says: list[Header] = []
    named: list[Header] = []
    pings: list[Header] = []
    for i, ln in enumerate(lines):
        if not ln.strip() or is_chrome(ln):
            continue
        p = match_short(_PING, ln)
        if p:
            head = p["head"].strip()
            site = head.rsplit(" | ", 1)[-1].strip() if " | " in head else head
            pings.append(Header(i, i + 1, site, kind="pingback", extra={"linking_post": head}))
            continue
        m = match_short(_SAYS, ln)
        if m:
            rest = m["rest"].strip()
            when, end = None, i + 1
            inline = match_short(_DATE_LINE, rest) if rest else None
            if inline:
                when = inline["when"]
            else:
                j = _next_nonblank(lines, i + 1)
                d = match_short(_DATE_LINE, lines[j]) if j is not None else None
                if d is not None and j is not None:
                    when, end = d["when"], j + 1
            says.append(Header(i, end, m["author"].strip(), when=when, extra={"indent": len(m["indent"])}))
            continue
        n = match_short(_NAME_LINE, ln)
        if n:
            j = _next_nonblank(lines, i + 1, limit=1)
            d = match_short(_DATE_LINE, lines[j]) if j is not None else None
            if d is not None and j is not None:
                named.append(Header(i, j + 1, n["author"].strip(), when=d["when"],
                                    extra={"indent": len(n["indent"])}))
    chosen = sorted((says or named) + pings, key=lambda h: h.line)
    indents = {h.extra.get("indent", 0) for h in chosen if h.kind != "pingback"}
    if len(indents) > 1:  # the copy kept the list indentation: depth from it
        levels = sorted(indents)
        for h in chosen:
            if h.kind != "pingback":
                h.depth = levels.index(h.extra.get("indent", 0)) + 1
    for h in chosen:
        h.extra.pop("indent", None)
    return chosen


def _is_meta(s: str) -> dict[str, str] | None:
    """A byline or date line of the post ("Posted by X", "3 March 2024", "May 2, 2012 by X"), or None."""
    s = s.strip()
    dated = match_short(_DATED_BYLINE, s)
    if dated:
        return {"when": dated["when"], "author": dated["author"].strip()}
    by = match_short(_BYLINE, s)
    if by:
        return {"author": by["author"].strip()}
    if match_short(_POST_DATE, s) or match_short(_DATE_LINE, s):
        return {"when": s}
    return None


def _preamble(head: list[tuple[int, str]]) -> dict[str, Any]:
    """The post before the comments: its title (the line above its byline or date), author, date, text.

    Lines above the title are the site's header and menus.
    """
    rest = [(n, s) for n, s in head if not match_short(_RESPONSES, s)]
    out: dict[str, Any] = {"title": None, "text": "", "line": rest[0][0] if rest else 1}
    first_meta = next((k for k, (_, s) in enumerate(rest[:15]) if k >= 1 and _is_meta(s)), None)
    if first_meta is not None:
        out["title"], out["line"] = normalise_whitespace(rest[first_meta - 1][1]), rest[first_meta - 1][0]
        k = first_meta
        while k < len(rest) and _is_meta(rest[k][1]):
            info = _is_meta(rest[k][1]) or {}
            if info.get("author"):
                out["author"] = info["author"]
            if info.get("when") and re.search(r"\d{4}", info["when"]):
                out["when"] = info["when"]
            k += 1
        rest = rest[k:]
    elif rest and len(rest[0][1].strip()) <= 200:
        out["title"] = normalise_whitespace(rest[0][1])
        rest = rest[1:]
    out["text"] = normalise_whitespace("\n".join(s for _, s in rest))
    return out


_BYLINE = re.compile(r"^(?:posted |written |published )?by (?P<author>[^|•·]{1,60}?)(?:\s*[|•·].*)?$", re.I)
_DATED_BYLINE = re.compile(rf"^(?:posted on |published )?(?P<when>{_DATE})\s+(?:by|·|\|)\s+(?:by\s+)?"
                           r"(?P<author>[^|•·]{1,60})$", re.I)


def claim_wordpress(lines: list[str]) -> Claim | None:
    """The text's claim to be a WordPress comment section copied as text."""
    numbered = sum(1 for ln in lines if match_short(_COMMENT, ln) or match_short(_REPLY, ln))
    if numbered and (any("#" in ln for ln in lines) or any(match_short(_RESPONSES, ln) for ln in lines)):
        return Claim("wordpress-text", numbered,
                     f"{numbered} numbered comment header(s) like '1. name 17 August 2013 at 9:32 am #'")
    headers = [h for h in _says_headers(lines) if h.kind != "pingback"]
    if not headers:
        return None
    says = sum(1 for ln in lines if match_short(_SAYS, ln))
    replies = sum(1 for ln in lines if ln.strip().lower() in ("reply", "reply ↓", "log in to reply"))
    responses = any(match_short(_RESPONSES, ln) for ln in lines)
    if says >= 1 and len(headers) >= 1 and any(h.when for h in headers):
        return Claim("wordpress-text", len(headers), f"{len(headers)} 'Name says:' comment header(s) with dates")
    blogger = any(ln.strip() in ("Replies", "Delete") or ln.rstrip().endswith(" said...") for ln in lines)
    if len(headers) >= 2 and (replies >= 1 or responses) and not blogger:
        return Claim("wordpress-text", len(headers),
                     f"{len(headers)} name-and-date comment header(s) with 'Reply' links")
    return None
