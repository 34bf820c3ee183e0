"""Reddit: a thread's ``.json`` (post and nested comments); Pushshift dumps are read by :mod:`.pushshift`.

Ids keep Reddit's fullnames: ``reddit:t3_<post>`` for the post (also the thread id)
and ``reddit:t1_<comment>``; ``parent_id`` carries the ``t1_``/``t3_`` prefix, so it
maps straight onto a unit id. Comment bodies are Markdown escaped once (``&amp;``)
and are unescaped once. ``[deleted]`` and ``[removed]`` comments stay as placeholders
(empty text, status ``deleted``/``removed``) so that their replies keep their place.
"""

from __future__ import annotations

from typing import Any

from ._common import AUTO_KIND, Context, epoch_to_utc, load_json, unescape_once

__all__ = ["read_reddit"]

_GONE = {"[deleted]": "deleted", "[removed]": "removed"}


def _status(body: str, meta: Any) -> str:
    status = _GONE.get(body)
    if status is None and isinstance(meta, dict) and meta.get("removal_type"):
        status = "deleted" if meta["removal_type"] == "deleted" else "removed"
    return status or "ok"


def _epoch(ctx: Context, value: Any, where: str):
    if value in (None, ""):
        return None
    try:
        return epoch_to_utc(value)
    except (ValueError, TypeError, OverflowError):
        ctx.note(f"unreadable created_utc {value!r} (expected epoch seconds); kept without a time",
                 record=where, field="created_utc")
        return None


def read_reddit(ctx: Context) -> list[dict[str, Any]]:
    """Read a Reddit thread ``.json`` (``[post listing, comment listing]``).

    ``more`` stubs (comments Reddit did not send) become placeholders of kind ``more``
    and status ``missing`` with the count and ids of what is missing in ``extra``.
    """
    doc = load_json(ctx)
    if isinstance(doc, dict) and doc.get("kind") == "Listing":
        doc = [doc]
    if not isinstance(doc, list) or not doc or not all(isinstance(x, dict) for x in doc):
        raise ctx.error("expected the thread's JSON: an array of two Listings (the post, then the comments)")
    things: list[dict[str, Any]] = []
    for listing in doc:
        things.extend((listing.get("data") or {}).get("children") or [])
    post = next((t for t in things if isinstance(t, dict) and t.get("kind") == "t3"), None)
    records: list[dict[str, Any]] = []
    if post is not None:
        d = post.get("data") or {}
        if not d.get("id"):
            raise ctx.error("the post (kind t3) has no 'id'", record="t3", field="id")
        tid = f"reddit:t3_{d['id']}"
        selftext = str(d.get("selftext") or "")
        status = _status(selftext, None)
        records.append({
            "unit_id": tid, "thread_id": tid, "parent_id": None,
            "author": "" if d.get("author") == "[deleted]" else str(d.get("author") or ""),
            "posted_at": _epoch(ctx, d.get("created_utc"), tid),
            "text": "" if status != "ok" else unescape_once(selftext or ("" if d.get("is_self") else str(d.get("url") or ""))),
            "kind": "post", "status": status, "title": unescape_once(str(d.get("title") or "")) or None,
            "url": f"https://www.reddit.com{d['permalink']}" if d.get("permalink") else None,
            "extra": {"subreddit": d.get("subreddit"), "score": d.get("score")},
        })
    else:
        tid = None
    stack = [t for t in reversed(things) if isinstance(t, dict) and t.get("kind") != "t3"]
    n = 0
    while stack:
        thing = stack.pop()
        n += 1
        kind, d = thing.get("kind"), thing.get("data") or {}
        where = f"{kind} {d.get('name') or d.get('id') or n}"
        if kind == "more":
            parent = d.get("parent_id")
            thread = f"reddit:{d.get('link_id')}" if d.get("link_id") else tid
            if not parent or thread is None:
                ctx.problem("a 'more' stub without parent_id", record=where, field="parent_id")
                continue
            records.append({
                "unit_id": f"reddit:more:{d.get('name') or d.get('id') or parent}", "thread_id": thread,
                "parent_id": f"reddit:{parent}", "text": "", "kind": "more", "status": "missing",
                "extra": {"count": d.get("count", 0), "children": list(d.get("children") or [])[:1000]},
            })
            continue
        if kind != "t1":
            ctx.problem(f"unexpected thing of kind {kind!r}; expected t1 comments or more stubs",
                        record=where, field="kind")
            continue
        cid, parent = d.get("id"), d.get("parent_id")
        if not cid or not parent:
            ctx.problem("a comment without 'id' or 'parent_id'", record=where,
                        field="id" if not cid else "parent_id")
            continue
        thread = f"reddit:{d['link_id']}" if d.get("link_id") else tid
        if thread is None:
            ctx.problem("a comment without 'link_id' in a file without the post", record=where, field="link_id")
            continue
        body = str(d.get("body") or "")
        status = _status(body, d.get("_meta"))
        author = str(d.get("author") or "")
        records.append({
            "unit_id": f"reddit:t1_{cid}", "thread_id": thread, "parent_id": f"reddit:{parent}",
            "author": "" if author == "[deleted]" else author,
            "posted_at": _epoch(ctx, d.get("created_utc"), where),
            "text": "" if status != "ok" else unescape_once(body), "kind": AUTO_KIND, "status": status,
            "url": f"https://www.reddit.com{d['permalink']}" if d.get("permalink") else None,
            "extra": {"score": d.get("score")} if d.get("score") is not None else None,
        })
        replies = d.get("replies")
        if isinstance(replies, dict):  # "" when there are none
            kids = (replies.get("data") or {}).get("children") or []
            stack.extend(reversed([k for k in kids if isinstance(k, dict)]))
    return records
