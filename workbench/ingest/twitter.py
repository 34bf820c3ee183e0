"""X / Twitter: API v2 conversation JSON, the account archive ``tweets.js``, unrolled text.

Ids are ``x:<tweet id>`` (ids stay strings: they overflow floats) and a thread is
``x:<conversation id>``. Tweet text arrives HTML-escaped once (``&amp;``) and is
unescaped once. Unrolled text is taken as shown, so it is not unescaped.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from ._common import Context, load_json, normalise_whitespace, slug, to_utc, unescape_once

__all__ = ["read_x_api", "read_x_archive", "read_x_unrolled", "looks_like_unrolled"]


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
    try:
        items = json.loads(body)
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
        if not tid:
            ctx.problem("an item without a tweet id; expected {\"tweet\": {\"id_str\": ..., \"full_text\": ...}}",
                        record=i, field="id_str")
            continue
        if "full_text" not in t and "text" not in t:
            ctx.problem("a tweet without 'full_text'", record=i, field="full_text")
            continue
        tweets.setdefault(str(tid), t)
    parent = {tid: str(t.get("in_reply_to_status_id_str") or t.get("in_reply_to_status_id") or "") or None
              for tid, t in tweets.items()}

    def top(tid: str) -> str:
        seen = {tid}
        while parent.get(tid) is not None and parent[tid] in tweets and parent[tid] not in seen:
            tid = parent[tid]
            seen.add(tid)
        return parent.get(tid) or tid

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
    if not acc.exists():
        return ""
    try:
        text = acc.read_text(encoding="utf-8-sig")
        data = json.loads(_YTD.sub("", text, count=1))
        return str(data[0]["account"]["username"])
    except (ValueError, KeyError, IndexError, TypeError, OSError):
        ctx.note("account.js beside the archive could not be read; tweets have no author", field="author")
        return ""


# --------------------------------------------------------------------------- unrolled
_LEAD = re.compile(r"^\s*(?:\(?(\d{1,3})\s*/\s*(?:\d{1,3}|n)?\)?|(\d{1,3})[.)])\s+(?=\S)")
_TRAIL = re.compile(r"(?:^|\s)\(?(\d{1,3})\s*/\s*(\d{1,3}|n)?\)?\s*$")
_FURNITURE = [
    re.compile(p, re.I) for p in (
        r"^You can follow @\w+",
        r"^Tip: mention @\w+",
        r"unroll",
        r"^Latest Threads",
        r"\bcookies?\b.*\b(?:policy|consent|site|use)\b|\bconsent(?:ing)? to the use of cookies\b",
        r"^[•·]\s*[•·]\s*[•·]\s*$",
        r"^Missing some Tweet in this thread",
        r"^Help us keep this|^Enjoying this thread|^Did Thread Reader help",
        r"^(?:Share this|Follow (?:us|me) on)\b",
        r"^This content may be removed anytime",
    )
]
_HEADER = re.compile(r"^(?P<name>.{1,60}?)\s+@(?P<handle>\w{1,30}),?\s+\d+\s+tweets?\b", re.I)
_FOLLOW = re.compile(r"^You can follow @(\w+)", re.I)


def looks_like_unrolled(text: str) -> bool:
    """True for unrolled-thread text: numbered tweets or thread-reader page furniture."""
    lines = [ln for ln in text[:200_000].splitlines() if ln.strip()]
    numbered = sum(1 for ln in lines if _LEAD.match(ln) or _TRAIL.search(ln))
    if any(_FOLLOW.match(ln) or _HEADER.match(ln) or "unroll" in ln.lower() for ln in lines):
        return True
    return numbered >= 3 and any(re.match(r"^\s*\(?1\s*[/.)]", ln) for ln in lines[:5])


def read_x_unrolled(ctx: Context, *, author: str | None = None, thread_id: str | None = None
                    ) -> list[dict[str, Any]]:
    """Read an unrolled thread copied as text.

    Each non-empty line is a tweet, except with trailing numbering ("... 3/10" or a line
    "3/10"), where lines run on until the number. Leading numbers ("1/", "1.", "(1/7)")
    are taken off the text and become the tweet's number; gaps in the numbering stay
    as ``missing`` placeholders. Page furniture ("You can follow @...", cookie
    notices, "Missing some Tweet in this thread?") is dropped. Tweets form a chain:
    each replies to the one before it.
    """
    handle = author
    raw_lines = ctx.read_text().split("\n")
    lines: list[tuple[int, str]] = []
    for n, ln in enumerate(raw_lines, start=1):
        s = ln.strip()
        if not s:
            lines.append((n, ""))
            continue
        f = _FOLLOW.match(s)
        if f and handle is None:
            handle = f.group(1)
        h = _HEADER.match(s)
        if h and not lines:
            handle = handle or h["handle"]
            continue
        if any(p.search(s) for p in _FURNITURE):
            continue
        lines.append((n, s))
    trailing = sum(1 for _, s in lines if s and _TRAIL.search(s) and not _LEAD.match(s))
    leading = sum(1 for _, s in lines if s and _LEAD.match(s))
    tweets: list[tuple[int | None, str, int]] = []  # (number, text, line)
    if trailing > leading and trailing >= 2:
        buf: list[str] = []
        start = None
        for n, s in lines:
            if not s:
                if buf:
                    buf.append("")
                continue
            start = start or n
            m = _TRAIL.search(s)
            if m:
                body = s[: m.start()].strip()
                if body:
                    buf.append(body)
                tweets.append((int(m.group(1)), normalise_whitespace("\n".join(buf)), start))
                buf, start = [], None
            else:
                buf.append(s)
        if buf and any(buf):
            tweets.append((None, normalise_whitespace("\n".join(buf)), start or 0))
    else:
        for n, s in lines:
            if not s:
                continue
            m = _LEAD.match(s)
            if m:
                tweets.append((int(m.group(1) or m.group(2)), s[m.end():].strip(), n))
            else:
                tweets.append((None, s, n))
    if not tweets:
        raise ctx.error("no tweets found; expected one tweet per line, optionally numbered '1/ ...'")
    first_text = next(t for _, t, _ in tweets)
    digest = hashlib.sha256(first_text.encode("utf-8")).hexdigest()[:8]
    # the id holds no handle: ids travel into pseudonymised exports
    tid = thread_id or f"x-unrolled:{digest}"
    records: list[dict[str, Any]] = []
    expected = 1
    prev: str | None = None
    used: set[int] = set()
    for number, text, line in tweets:
        if number is not None and number > expected and number not in used:
            for gap in range(expected, number):
                uid = f"{tid}:{gap}"
                records.append({"unit_id": uid, "thread_id": tid, "parent_id": prev, "author": handle or "",
                                "text": "", "kind": "tweet", "status": "missing"})
                prev = uid
                used.add(gap)
            ctx.note(f"tweet(s) {list(range(expected, number))} missing from the numbering (deleted or "
                     "not captured); kept as 'missing' placeholders", line=line, field="number")
        n = number if number is not None and number not in used else max(used | {expected - 1}) + 1
        used.add(n)
        uid = f"{tid}:{n}"
        records.append({"unit_id": uid, "thread_id": tid, "parent_id": prev, "author": handle or "",
                        "text": text, "kind": "tweet", "status": "ok",
                        "extra": {"number": number} if number is not None else None})
        prev = uid
        expected = n + 1
    return records
