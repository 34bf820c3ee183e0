"""WordPress: the WXR export (XML). Copied comment sections are read by :mod:`.pasted.wordpress`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from ._common import AUTO_KIND, Context, child_text, html_to_text, local_name, name_key, parse_xml, to_utc

__all__ = ["read_wxr"]


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
    Ids are ``wxr:<key>:<post id>`` and ``wxr:<key>:c<comment id>``, the key a hash of
    the blog's address (which often names its author), never the address itself.
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
    host = urlparse(site.strip()).netloc
    key = name_key(host) if host else ctx.source_key()[:10]  # the blog's address may name its author
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
        tid = f"wxr:{key}:{post_id}"
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
                "unit_id": f"wxr:{key}:c{cid}", "thread_id": tid,
                "parent_id": tid if parent in ("0", "") else f"wxr:{key}:c{parent}",
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
