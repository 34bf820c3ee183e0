"""X / Twitter: API v2 conversation JSON and the account archive ``tweets.js``.

Ids are ``x:<tweet id>`` (ids stay strings: they overflow floats) and a thread is
``x:<conversation id>``. Tweet text arrives HTML-escaped once (``&amp;``) and is
unescaped once. Unrolled threads copied as text are read by :mod:`.pasted.x`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._common import Context, load_json, to_utc, unescape_once
from ._json import loads, too_deep
from ._stream import safe_path

__all__ = ["read_x_api", "read_x_archive"]


def _time(ctx: Context, value: Any, where: str, fmt: str | None = None):
    try:
        return to_utc(value, fmt)
    except (ValueError, TypeError):
        ctx.note(f"unreadable time {value!r}; kept without a time", record=where, field="created_at")
        return None


# --------------------------------------------------------------------------- API v2
def read_x_api(ctx: Context) -> list[dict[str, Any]]:
    """Read X API v2 JSON: one response, or a JSON array of response pages.

    Tweets come from ``data`` and ``includes.tweets`` (the root arrives through the
    ``referenced_tweets.id`` expansion); the parent is the ``replied_to`` reference;
    authors come from ``includes.users``. Tweets named in ``errors`` (deleted or
    protected) stay as placeholders with status ``missing``. A conversation whose
    first tweet is absent gets a ``missing`` placeholder root.
    """
    doc = load_json(ctx)
    pages = doc if isinstance(doc, list) else [doc]
    tweets: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    users: dict[str, dict[str, Any]] = {}
    errors: dict[str, dict[str, Any]] = {}
    from_data: set[str] = set()
    for pno, page in enumerate(pages):
        if not isinstance(page, dict):
            raise ctx.error(f"page {pno} is a {type(page).__name__}; expected an API response object "
                            "with 'data', 'includes', 'errors'")
        data = page.get("data") or []
        data = [data] if isinstance(data, dict) else data
        inc = page.get("includes") or {}
        for u in inc.get("users") or []:
            if isinstance(u, dict) and u.get("id") is not None:
                users[str(u["id"])] = u
        for where, group in (("data", data), ("includes.tweets", inc.get("tweets") or [])):
            for i, t in enumerate(group):
                rec = f"{where}[{i}]" if len(pages) == 1 else f"page {pno} {where}[{i}]"
                if not isinstance(t, dict) or t.get("id") in (None, ""):
                    ctx.problem("a tweet without an 'id'; expected an object with id and text", record=rec,
                                field="id")
                    continue
                tid = str(t["id"])
                if "text" not in t:
                    ctx.problem("a tweet without 'text' (request tweet.fields=text)", record=rec, field="text")
                    continue
                if tid not in tweets:
                    order.append(tid)
                    tweets[tid] = t
                if where == "data":
                    from_data.add(tid)
        for e in page.get("errors") or []:
            if isinstance(e, dict) and e.get("resource_type") == "tweet" and e.get("resource_id"):
                errors[str(e["resource_id"])] = e
    # conversation of each tweet; quoted tweets from other conversations are left out
    conversations = {str(tweets[t].get("conversation_id") or "") for t in from_data} - {""}

    def parent_of(t: dict[str, Any]) -> str | None:
        for ref in t.get("referenced_tweets") or []:
            if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id") is not None:
                return str(ref["id"])
        return None

    records: list[dict[str, Any]] = []
    present: set[str] = set()
    for tid in order:
        t = tweets[tid]
        conv = str(t.get("conversation_id") or "")
        if tid not in from_data and conversations and conv not in conversations:
            continue  # a quoted tweet from elsewhere
        if not conv:
            conv = tid if parent_of(t) is None else ""
            if not conv:
                ctx.note("no conversation_id (request tweet.fields=conversation_id); grouped by its "
                         "reply chain", record=tid, field="conversation_id")
                conv = parent_of(t) or tid
        parent = parent_of(t)
        user = users.get(str(t.get("author_id")), {})
        present.add(tid)
        kind = "retweet" if any(r.get("type") == "retweeted" for r in t.get("referenced_tweets") or []
                                if isinstance(r, dict)) else "tweet"
        records.append({
            "unit_id": f"x:{tid}", "thread_id": f"x:{conv}",
            "parent_id": None if parent is None or tid == conv else f"x:{parent}",
            "author": user.get("username") or str(t.get("author_id") or ""),
            "posted_at": _time(ctx, t.get("created_at"), tid),
            "text": unescape_once(str(t.get("text") or "")), "kind": kind, "status": "ok",
            "url": f"https://x.com/{user['username']}/status/{tid}" if user.get("username") else None,
            "extra": {"author_name": user["name"]} if user.get("name") else None,
        })
    # placeholders: tweets named in errors that someone replies to, and missing roots
    wanted: dict[str, str] = {}
    for r in records:
        if r["parent_id"]:
            wanted.setdefault(r["parent_id"][2:], r["thread_id"])
        conv = r["thread_id"][2:]
        wanted.setdefault(conv, r["thread_id"])
    for mid, thread in wanted.items():
        if mid in present:
            continue
        err = errors.get(mid)
        if err is None and f"x:{mid}" != thread:
            continue  # an ordinary missing parent: its replies become orphans
        # a missing tweet's own parent is unknown unless it is the conversation root
        records.append({
            "unit_id": f"x:{mid}", "thread_id": thread, "parent_id": None,
            "author": "", "posted_at": None, "text": "", "kind": "tweet",
            "status": "deleted" if err and err.get("title") == "Not Found Error" else "missing",
            "extra": {"error": err.get("title") or err.get("detail")} if err else None,
        })
    # the order a reader sees: tweet ids are snowflakes, increasing with time
    records.sort(key=lambda r: (int(r["unit_id"][2:]) if r["unit_id"][2:].isdigit() else 0))
    for mid, err in errors.items():
        if mid not in wanted and mid not in present:
            ctx.note(f"the API reported tweet {mid} as {err.get('title', 'an error')!r}; nothing replies to it "
                     "in this file", record=mid, field="errors")
    return records


# --------------------------------------------------------------------------- archive
_YTD = re.compile(r"^\s*window\.YTD\.[\w.]+\s*=\s*")


def read_x_archive(ctx: Context, *, author: str | None = None) -> list[dict[str, Any]]:
    """Read an X account archive ``tweets.js`` (also ``tweet.js``, ``tweets-part1.js``, ``deleted-tweets.js``).

    The ``window.YTD.tweets.part0 = `` prefix is stripped and the rest parsed as JSON
    (never evaluated). The archive holds one person's tweets, so replies usually point
    outside it: those are kept as orphans. The author is ``author=``, else the
    username in ``account.js`` beside the file, else empty.
    """
    text = ctx.read_text()
    m = _YTD.match(text)
    if not m:
        raise ctx.error("does not start with 'window.YTD.<name>.part0 = '; expected data/tweets.js "
                        "from an X account archive", line=1)
    body = text[m.end():].rstrip().rstrip(";")
    prefix_lines = text[: m.end()].count("\n")
    depth = too_deep(body, ctx.limits.max_depth)
    if depth is not None:
        raise ctx.limit_error(f"is JSON nested {depth:,} levels deep, more than an X archive needs; refused",
                              "max_depth")
    try:
        items = loads(body, ctx.limits.max_depth)
    except json.JSONDecodeError as exc:
        raise ctx.error(f"the array after the 'window.YTD... =' prefix is not valid JSON ({exc.msg}); "
                        "the file may be truncated", line=exc.lineno + prefix_lines) from None
    if not isinstance(items, list):
        raise ctx.error("expected a JSON array of {\"tweet\": {...}} objects after the prefix")
    if author is None:
        author = _archive_owner(ctx)
    deleted_file = "deleted" in m.group(0)
    tweets: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(items):
        t = item.get("tweet", item) if isinstance(item, dict) else None
        tid = t.get("id_str") or t.get("id") if isinstance(t, dict) else None
        if not tid or not isinstance(t, dict):
            ctx.problem("an item without a tweet id; expected {\"tweet\": {\"id_str\": ..., \"full_text\": ...}}",
                        record=i, field="id_str")
            continue
        if "full_text" not in t and "text" not in t:
            ctx.problem("a tweet without 'full_text'", record=i, field="full_text")
            continue
        tweets.setdefault(str(tid), t)
    parent = {tid: str(t.get("in_reply_to_status_id_str") or t.get("in_reply_to_status_id") or "") or None
              for tid, t in tweets.items()}

    tops: dict[str, str] = {}

    def top(tid: str) -> str:
        """The conversation of a tweet: the top of its reply chain (remembered, so a long chain is walked once)."""
        chain = [tid]
        seen = {tid}
        while True:
            if tid in tops:
                found = tops[tid]
                break
            up = parent.get(tid)
            if up is None or up not in tweets or up in seen:
                found = parent.get(tid) or tid
                break
            tid = up
            seen.add(tid)
            chain.append(tid)
        for t in chain:
            tops[t] = found
        return found

    records = []
    for tid, t in sorted(tweets.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0):
        full = str(t.get("full_text", t.get("text", "")))
        records.append({
            "unit_id": f"x:{tid}", "thread_id": f"x:{top(tid)}",
            "parent_id": f"x:{parent[tid]}" if parent[tid] else None,
            "author": author, "posted_at": _time(ctx, t.get("created_at"), tid, "%a %b %d %H:%M:%S %z %Y"),
            "text": unescape_once(full),
            "kind": "retweet" if full.startswith("RT @") else "tweet",
            "status": "deleted" if deleted_file or t.get("deleted_at") else "ok",
            "extra": {"in_reply_to": t["in_reply_to_screen_name"]} if t.get("in_reply_to_screen_name") else None,
        })
    return records


def _archive_owner(ctx: Context) -> str:
    acc = ctx.path.with_name("account.js")
    if not acc.is_file() or acc.stat().st_size > 1 << 20:
        return ""
    try:
        acc = safe_path(acc)  # a link beside the archive may not lead out of its folder either
        text = acc.read_text(encoding="utf-8-sig")[: 1 << 20]
        body = _YTD.sub("", text, count=1)
        if too_deep(body, 64) is not None:
            raise ValueError("nested too deep")
        data = loads(body, 64)
        return str(data[0]["account"]["username"])
    except (ValueError, KeyError, IndexError, TypeError, OSError):
        ctx.note("account.js beside the archive could not be read; tweets have no author", field="author")
        return ""
