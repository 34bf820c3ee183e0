"""Nested comment pages: old Reddit and Disqus (saved inline).

Old Reddit (``old.reddit.com``, reddit's r2 templates): every post and comment is a
``div.thing`` with ``data-fullname`` (``t3_<id>`` for the post, ``t1_<id>`` for a
comment), ``data-author`` and ``data-permalink``; its tagline has ``time[datetime]``,
its text is ``.usertext-body .md``, and its replies sit inside its ``div.child``. A
removed or deleted comment has class ``deleted`` and ``[deleted]``/``[removed]`` text;
``div.thing.morechildren`` stands for replies the page did not load. Ids keep Reddit's
fullnames (``reddit:t1_<id>``), the same as the Reddit JSON readers give.

Disqus, when its comments were saved with the page (its embed written inline): each
comment is ``li.post#post-<id>`` with ``.post-byline .author``, ``a.time-ago[title]``
and ``.post-message``; replies sit in the comment's ``ul.children``.
"""

from __future__ import annotations

import re
from typing import Any

from .._common import Context
from ..pasted._engine import gone_status, parse_when
from .page import (
    Page,
    article_root,
    first,
    first_of,
    has_class,
    meta,
    own_first,
    page_key,
    text_of,
    time_of,
    title_of,
    tree_parents,
    xp_class,
)

__all__ = ["detect_reddit", "read_reddit", "detect_disqus", "read_disqus"]

_THINGS = "//div[" + xp_class("thing") + " and @data-fullname]"


def detect_reddit(doc: Any) -> bool:
    """True for an old Reddit comments page."""
    return bool(doc.xpath(_THINGS))


def _link_of(permalink: str) -> str | None:
    parts = [p for p in permalink.split("/") if p]
    if "comments" in parts and parts.index("comments") + 1 < len(parts):
        return parts[parts.index("comments") + 1]
    return None


def read_reddit(ctx: Context, doc: Any) -> list[dict[str, Any]]:
    """Read an old Reddit comments page (see the module docstring)."""
    things = doc.xpath(_THINGS)
    post = next((t for t in things if t.get("data-fullname", "").startswith("t3_")), None)
    comments = [t for t in things if t.get("data-fullname", "").startswith("t1_") or has_class(t, "morechildren")]
    link = post.get("data-fullname")[3:] if post is not None else None
    if link is None:
        link = next((_link_of(t.get("data-permalink", "")) for t in comments if t.get("data-permalink")), None)
    tid = f"reddit:t3_{link}" if link else f"reddit:page-{page_key(doc, ctx)}"
    records: list[dict[str, Any]] = []
    members = set(comments)
    parents = tree_parents(comments)
    if post is not None:
        body = first(post, ".//div[" + xp_class("usertext-body") + "]//div[" + xp_class("md") + "]")
        title_el = first(post, ".//a[" + xp_class("title") + "]")
        author = post.get("data-author") or ""
        records.append({
            "unit_id": tid, "thread_id": tid, "parent_id": None,
            "author": "" if author == "[deleted]" else author,
            "posted_at": time_of(ctx, first(post, ".//p[" + xp_class("tagline") + "]//time"), tid, post.sourceline),
            "text": text_of(body) if body is not None else (post.get("data-url") or ""), "kind": "post",
            "status": "ok", "title": text_of(title_el) if title_el is not None else title_of(doc),
            "_line": post.sourceline, "extra": {"subreddit": post.get("data-subreddit")},
        })
    for el in comments:
        def stop(e: Any) -> bool:
            return e in members or has_class(e, "child")
        parent_el = parents[el]
        parent = parent_el.get("data-fullname") if parent_el is not None else None
        parent_id = f"reddit:{parent}" if parent else tid
        if has_class(el, "morechildren"):
            shown = text_of(el)
            count = re.search(r"\((\d+) repl", shown[:200])
            records.append({"unit_id": f"reddit:more:{el.get('data-fullname') or len(records)}", "thread_id": tid,
                            "parent_id": parent_id, "text": "", "kind": "more", "status": "missing",
                            "_line": el.sourceline, "extra": {"count": int(count.group(1)) if count else None}})
            continue
        author = el.get("data-author") or ""
        md = own_first(el, stop, lambda e: has_class(e, "md"))
        text = text_of(md) if md is not None else ""
        status = "ok"
        if has_class(el, "deleted") or author == "[deleted]" or text in ("[deleted]", "[removed]"):
            status = "removed" if text == "[removed]" else "deleted"
            text = ""
        time_el = own_first(el, stop, lambda e: e.tag == "time" and e.get("datetime") is not None)
        score = own_first(el, stop, lambda e: has_class(e, "score") and has_class(e, "unvoted"))
        records.append({
            "unit_id": f"reddit:{el.get('data-fullname')}", "thread_id": tid, "parent_id": parent_id,
            "author": "" if author == "[deleted]" or status != "ok" else author,
            "posted_at": time_of(ctx, time_el, el.get("data-fullname"), el.sourceline), "text": text,
            "kind": "_auto", "status": status, "_line": el.sourceline,
            "extra": {"score": score.get("title")} if score is not None and score.get("title") else None,
        })
    ctx.read_as("reddit", "native")
    return records


# --------------------------------------------------------------------------- Disqus
_POSTS = "//li[" + xp_class("post") + " and starts-with(@id, 'post-')]"


def detect_disqus(doc: Any) -> bool:
    """True when Disqus comments were saved inline with the page."""
    return bool(doc.xpath(_POSTS + "[.//*[" + xp_class("post-message") + "]]"))


def read_disqus(ctx: Context, doc: Any) -> list[dict[str, Any]]:
    """Read Disqus comments saved inline (see the module docstring)."""
    posts = [p for p in doc.xpath(_POSTS) if (p.get("id") or "")[5:].isdigit()]
    members = set(posts)
    parents = tree_parents(posts)
    thread = set(doc.xpath("//*[@id='disqus_thread' or @id='post-list' or " + xp_class("post-list") + "]"))
    page = Page(ctx, "disqus", page_key(doc, ctx))
    root_uid = page.uid("page")
    art = article_root(doc, exclude=lambda e: e in thread or any(a in thread for a in e.iterancestors()))
    title_el = first(art, ".//h1") if art is not None else None
    title = text_of(title_el) if title_el is not None else title_of(doc)
    text = text_of(art, lambda e: e in thread) if art is not None else ""
    if title and text.startswith(title):
        text = text[len(title):].lstrip()
    author_el = first_of(art, (".//a[@rel='author']", ".//*[" + xp_class("author") + "]")) if art is not None else None
    page.add(uid=root_uid, parent=None, author=text_of(author_el) if author_el is not None else "",
             when=time_of(ctx, first(art, ".//time[@datetime]"), "page", None) if art is not None else None,
             text=text, el=art, kind="post", status="ok" if art is not None else "missing", title=title,
             url=meta(doc, "og:url"))
    if art is None:
        ctx.note("the page around the comments was not saved (only Disqus' frame?): the thread's root is a "
                 "'missing' placeholder with the page's title", record=root_uid, kind="missing")
    for el in posts:
        def stop(e: Any) -> bool:
            return e in members or has_class(e, "children")
        pid = el.get("id")[5:]
        parent = parents[el]
        author_el = own_first(el, stop, lambda e: has_class(e, "author"))
        stamp = own_first(el, stop, lambda e: has_class(e, "time-ago"))
        when = time_of(ctx, stamp, pid, el.sourceline) if stamp is not None and stamp.get("datetime") else None
        if when is None and stamp is not None and stamp.get("title"):
            when = parse_when(ctx, stamp.get("title"), el.sourceline or 0)
        message = own_first(el, stop, lambda e: has_class(e, "post-message"))
        text = text_of(message) if message is not None else ""
        status = "ok"
        low = text.lower()
        if has_class(el, "deleted") or gone_status(text) == "deleted" or low.startswith("this comment was deleted"):
            status, text = "deleted", ""
        elif low.startswith("this comment is awaiting moderation") or has_class(el, "pending"):
            status = "pending"
        page.add(uid=page.uid(pid), parent=page.uid(parent.get("id")[5:]) if parent is not None else root_uid,
                 author=text_of(author_el) if author_el is not None and status != "deleted" else "", when=when,
                 text=text, el=el, status=status)
    ctx.read_as("disqus", "native")
    return page.records
