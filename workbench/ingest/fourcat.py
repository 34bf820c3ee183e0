"""Zeeschuimer and 4CAT NDJSON (format ``4cat``): X posts and Reddit items as digital-methods tools save them.

Zeeschuimer (the browser extension) exports one JSON object per line:
``{"nav_index", "item_id", "timestamp_collected", "source_platform", "source_platform_url",
"source_url", "user_agent", "data"}``, where ``data`` is the platform's own item. For X
(``source_platform`` ``"twitter.com"``) that is the tweet as X's web client receives it:
``rest_id``, ``legacy`` (``full_text``, ``created_at``, ``conversation_id_str``,
``in_reply_to_status_id_str``) and the author under ``core.user_results.result``
(``core`` or ``legacy``: ``screen_name``, ``name``), or the older ``"type": "adaptive"``
shape with ``legacy`` and ``user``; this is the shape 4CAT's
``datasources/twitter-import`` reads. Reddit items in ``data`` are read as Reddit's
own comment and post objects (``name``, ``parent_id``, ``link_id``, ``body``).

4CAT's Reddit datasets hold items ``{"thread_id", "id", "timestamp", "body", "subject",
"author", "subreddit", "parent"}`` (``parent`` is the fullname ``t1_...``/``t3_...``, empty
for the opening post).

Ids are those of the X and Reddit readers (``x:<id>``, ``reddit:t1_<id>``), so the same
post imported from an API export and from Zeeschuimer is one unit. The network and
collection fields (user agent, addresses) are never read.
"""

from __future__ import annotations

from typing import Any

from ._common import AUTO_KIND, Context, parsed_lines, to_utc, unescape_once

__all__ = ["read_4cat"]

_X = ("twitter.com", "x.com")


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _tweet(ctx: Context, item: dict[str, Any], n: int) -> dict[str, Any] | None:
    if item.get("__typename") in ("TweetTombstone", "TweetUnavailable") or "tombstone" in item:
        ctx.problem("an unavailable tweet (tombstone): nothing to read", line=n, field="data", kind="missing")
        return None
    if "tweet" in item and "legacy" not in item:
        item = item["tweet"]
    legacy = item.get("legacy")
    if not isinstance(legacy, dict):
        ctx.problem("an X item without 'legacy'; expected Zeeschuimer's tweet shape (rest_id, legacy, core)",
                    line=n, field="data.legacy")
        return None
    tid = str(item.get("rest_id") or legacy.get("id_str") or item.get("id") or "")
    if not tid:
        ctx.problem("an X item without an id (rest_id / legacy.id_str)", line=n, field="data.rest_id")
        return None
    user = _get(item, "core", "user_results", "result") or {}
    author = (_get(user, "core", "screen_name") or _get(user, "legacy", "screen_name")
              or _get(item, "user", "screen_name") or "")
    name = _get(user, "core", "name") or _get(user, "legacy", "name") or _get(item, "user", "name")
    text = _get(item, "note_tweet", "note_tweet_results", "result", "text") or legacy.get("full_text") or ""
    kind = "tweet"
    if legacy.get("retweeted_status_result"):
        kind = "retweet"
    conv = str(legacy.get("conversation_id_str") or tid)
    parent = legacy.get("in_reply_to_status_id_str")
    try:
        when = to_utc(legacy.get("created_at"), "%a %b %d %H:%M:%S %z %Y") if legacy.get("created_at") else None
    except ValueError:
        ctx.note(f"unreadable created_at {legacy.get('created_at')!r}; kept without a time", line=n,
                 field="data.legacy.created_at")
        when = None
    return {"unit_id": f"x:{tid}", "thread_id": f"x:{conv}", "parent_id": f"x:{parent}" if parent and tid != conv
            else None, "author": str(author), "posted_at": when, "text": unescape_once(str(text)), "kind": kind,
            "status": "ok", "_line": n, "url": f"https://x.com/{author}/status/{tid}" if author else None,
            "extra": {"author_name": name} if name else None}


def _reddit_thing(ctx: Context, d: dict[str, Any], n: int) -> dict[str, Any] | None:
    name = str(d.get("name") or "")
    if not name and d.get("id"):
        name = ("t1_" if d.get("parent_id") else "t3_") + str(d["id"])
    if not name:
        ctx.problem("a Reddit item without 'name' or 'id'", line=n, field="data.name")
        return None
    is_post = name.startswith("t3_")
    body = str(d.get("selftext" if is_post else "body") or "")
    status = {"[deleted]": "deleted", "[removed]": "removed"}.get(body, "ok")
    link = name if is_post else str(d.get("link_id") or "")
    if not link:
        ctx.problem("a Reddit comment without 'link_id'", line=n, field="data.link_id")
        return None
    author = str(d.get("author") or "")
    return {"unit_id": f"reddit:{name}", "thread_id": f"reddit:{link}",
            "parent_id": None if is_post else f"reddit:{d.get('parent_id')}", "author": "" if author == "[deleted]"
            else author, "posted_at": _epoch(ctx, d.get("created_utc"), n), "text": "" if status != "ok"
            else unescape_once(body), "kind": "post" if is_post else AUTO_KIND, "status": status, "_line": n,
            "title": unescape_once(str(d["title"])) if is_post and d.get("title") else None}


def _epoch(ctx: Context, value: Any, n: int) -> Any:
    if value in (None, ""):
        return None
    try:
        if isinstance(value, str) and not value.replace(".", "", 1).isdigit():
            return to_utc(value)
        return to_utc(float(value))
    except (ValueError, TypeError, OverflowError):
        ctx.note(f"unreadable time {value!r}; kept without a time", line=n, field="timestamp")
        return None


def _fourcat_reddit(ctx: Context, d: dict[str, Any], n: int) -> dict[str, Any] | None:
    thread, rid = str(d.get("thread_id") or ""), str(d.get("id") or "")
    if not thread or not rid:
        ctx.problem("a 4CAT Reddit item without 'thread_id' or 'id'", line=n, field="id" if thread else "thread_id")
        return None
    parent = str(d.get("parent") or "")
    is_post = rid == thread and not parent
    body = str(d.get("body") or "")
    status = {"[deleted]": "deleted", "[removed]": "removed"}.get(body, "ok")
    author = str(d.get("author") or "")
    return {"unit_id": f"reddit:t3_{rid}" if is_post else f"reddit:t1_{rid}", "thread_id": f"reddit:t3_{thread}",
            "parent_id": None if is_post else f"reddit:{parent or 't3_' + thread}",
            "author": "" if author == "[deleted]" else author, "posted_at": _epoch(ctx, d.get("timestamp"), n),
            "text": "" if status != "ok" else unescape_once(body), "kind": "post" if is_post else AUTO_KIND,
            "status": status, "_line": n, "title": unescape_once(str(d["subject"])) if is_post and d.get("subject")
            else None}


def read_4cat(ctx: Context) -> list[dict[str, Any]]:
    """Read Zeeschuimer / 4CAT NDJSON (see the module docstring)."""
    records: list[dict[str, Any]] = []
    platforms: set[str] = set()
    for n, rec in parsed_lines(ctx):
        if not isinstance(rec, dict):
            ctx.problem(f"a JSON {type(rec).__name__}, expected an object", line=n)
            continue
        data = rec.get("data")
        source = str(rec.get("source_platform") or "")
        out = None
        if isinstance(data, dict) and source:
            if source in _X:
                out = _tweet(ctx, data, n)
                platforms.add("x")
            elif source.endswith("reddit.com"):
                thing = data["data"] if isinstance(data.get("data"), dict) else data
                out = _reddit_thing(ctx, thing, n)
                platforms.add("reddit")
            else:
                ctx.problem(f"an item from {source!r}; this reader takes X and Reddit items only", line=n,
                            field="source_platform")
                continue
        elif "thread_id" in rec and "body" in rec:
            out = _fourcat_reddit(ctx, rec, n)
            platforms.add("reddit")
        else:
            ctx.problem("neither a Zeeschuimer item (source_platform, data) nor a 4CAT Reddit item (thread_id, id, "
                        "body, parent)", line=n)
            continue
        if out is not None:
            records.append(out)
    # a conversation whose first post is absent gets a placeholder root (as the X API reader does)
    present = {r["unit_id"] for r in records}
    for thread in dict.fromkeys(r["thread_id"] for r in records):
        if thread not in present:
            records.insert(0, {"unit_id": thread, "thread_id": thread, "parent_id": None, "author": "", "text": "",
                               "kind": "tweet" if thread.startswith("x:") else "post", "status": "missing",
                               "_line": None})
            present.add(thread)
    for r in records:
        if r["parent_id"] is None and r["unit_id"] != r["thread_id"] and r["status"] != "missing":
            r["parent_id"] = r["thread_id"]
    ctx.read_as(platforms.pop() if len(platforms) == 1 else None, "native")
    return records
