"""Unrolled X / Twitter threads copied as text (format ``x-unrolled``).

Thread-reader pages and threads copied tweet by tweet. Each non-empty line is a tweet,
except with trailing numbering ("... 3/10" or a line "3/10"), where lines run on until
the number. Leading numbers ("1/", "2/5", "(1/7)", and "1." on a thread-reader page) are
taken off the text and become the tweet's number; gaps in the numbering stay as
``missing`` placeholders and are reported. "This Tweet was deleted by the Tweet author"
lines are placeholders with status ``deleted``. Page furniture ("You can follow @...",
cookie notices, "Missing some Tweet in this thread?") is dropped and reported. HTML
entities left in the copied text (``&amp;``) are unescaped once. Tweets form a chain:
each replies to the one before it.

A text is claimed only when its shape is there: at least two tweets numbered with a
slash ("1/", "2/5", "... 3/4") in increasing order, or a thread reader's own lines (its
header "Name @handle, 5 tweets", "You can follow @...", "Missing some Tweet in this
thread?"). A numbered list ("1. Preheat the oven") is not a thread.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .._common import Context
from .._text import normalise_whitespace, unescape_once
from ._engine import Claim, is_chrome, match_short, split_lines

__all__ = ["read_x_unrolled", "claim_x"]

_LEAD_SLASH = re.compile(r"^\s*\(?(\d{1,3})\s*/(?:\s*(\d{1,3}|n))?\)?\s+(?=\S)")
_LEAD_DOT = re.compile(r"^\s*(\d{1,3})[.)]\s+(?=\S)")
_TRAIL = re.compile(r"(?:^|\s)\(?(\d{1,3})\s*/\s*(\d{1,3}|n)?\)?\s*$")
_FURNITURE = [
    re.compile(p, re.I) for p in (
        r"^You can follow @\w+",
        r"^Tip: mention @\w+",
        r"^Latest Threads",
        r"^[•·]\s*[•·]\s*[•·]\s*$",
        r"^Missing some Tweet in this thread",
        r"^Help us keep this|^Enjoying this thread|^Did Thread Reader help",
        r"^(?:Share this|Follow (?:us|me) on)\b",
        r"^This content may be removed anytime",
        r"^(?:Thread Reader App|Unroll available on Thread Reader|@threadreaderapp)\b",
        r"^Keep Current with\b",
        r"^Stay in touch and get notified\b",
        r"^(?:Read on Twitter|Read on X|Save as PDF|Bookmark|Tweet|Share)$",
        r"^(?:\d+ )?(?:Retweets?|Likes?|Quote Tweets?|Replies|Reposts?|Quotes|Bookmarks|Views)$",
    )
]
_HEADER = re.compile(r"^(?P<name>.{1,60}?)\s+@(?P<handle>\w{1,30}),?\s+\d+\s+(?:tweets?|posts?)\b", re.I)
_FOLLOW = re.compile(r"^You can follow @(\w+)", re.I)
_READER = re.compile(r"^(?:You can follow @\w+|Missing some Tweet in this thread|Tip: mention @\w+ on a "
                     r"(?:Twitter|X) thread|Thread Reader App\b|Unroll available on Thread Reader)", re.I)
#: Placeholders X shows instead of a tweet, and the status they stand for.
_GONE = [
    (re.compile(r"^This (?:Tweet|Post) was deleted by the (?:Tweet|Post) author\b", re.I), "deleted"),
    (re.compile(r"^This (?:Tweet|Post) (?:has been|was) deleted\b", re.I), "deleted"),
    (re.compile(r"^This (?:Tweet|Post) is (?:unavailable|from a suspended account|from an account that no longer "
                r"exists)\b", re.I), "removed"),
    (re.compile(r"^This (?:Tweet|Post) (?:violated|has been withheld)\b", re.I), "removed"),
]


def _gone(text: str) -> str | None:
    if len(text) > 200:
        return None
    for pattern, status in _GONE:
        if pattern.match(text):
            return status
    return None


def _increasing(numbers: list[int]) -> bool:
    if len(numbers) < 2:
        return False
    up = sum(1 for a, b in zip(numbers, numbers[1:]) if b > a)
    return up >= 0.6 * (len(numbers) - 1) and min(numbers) <= 2


def claim_x(lines: list[str]) -> Claim | None:
    """The text's claim to be an unrolled thread (see the module docstring)."""
    lead: list[int] = []
    trail: list[int] = []
    reader = False
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        m = _LEAD_SLASH.match(s)  # anchored and bounded: linear on any line
        if m:
            lead.append(int(m.group(1)))
        t = _TRAIL.search(s[-20:])
        if t:
            trail.append(int(t.group(1)))
        if match_short(_READER, s) or (not reader and match_short(_HEADER, s)):
            reader = True
    n_lines = sum(1 for ln in lines if ln.strip() and not is_chrome(ln))
    if _increasing(lead):
        return Claim("x-unrolled", len(lead), f"{len(lead)} tweets numbered like '1/' in order")
    if _increasing(trail):
        return Claim("x-unrolled", len(trail), f"{len(trail)} tweets numbered like '... 3/10' in order")
    if reader:
        return Claim("x-unrolled", max(1, n_lines // 2), "a thread reader's page (its header or its "
                     "'You can follow @...' / 'Missing some Tweet in this thread?' lines)")
    return None


def read_x_unrolled(ctx: Context, *, author: str | None = None, thread_id: str | None = None
                    ) -> list[dict[str, Any]]:
    """Read an unrolled thread copied as text (see the module docstring)."""
    handle = author
    raw = split_lines(ctx.read_text())
    lines: list[tuple[int, str]] = []
    dropped: list[tuple[int, str]] = []
    for n, ln in enumerate(raw, start=1):
        s = ln.strip()
        if not s:
            lines.append((n, ""))
            continue
        f = match_short(_FOLLOW, s)
        if f and handle is None:
            handle = f.group(1)
        h = match_short(_HEADER, s)
        if h and not any(x for _, x in lines):
            handle = handle or h["handle"]
            continue
        if (len(s) <= 400 and any(p.search(s) for p in _FURNITURE)) or is_chrome(s):
            dropped.append((n, s))
            continue
        lines.append((n, s))
    if dropped:
        shown = ", ".join(repr(s[:40]) for _, s in dropped[:3])
        ctx.counts["chrome"] += len(dropped) - 1
        ctx.note(f"{len(dropped)} line(s) of page chrome dropped ({shown}{', ...' if len(dropped) > 3 else ''}; "
                 f"lines {', '.join(str(n) for n, _ in dropped[:12])})", line=dropped[0][0], kind="chrome")
    slash = sum(1 for _, s in lines if s and _LEAD_SLASH.match(s))
    trailing = sum(1 for _, s in lines if s and _TRAIL.search(s[-20:]) and not _LEAD_SLASH.match(s))
    tweets: list[tuple[int | None, str, int, int | None]] = []  # (number, text, line, total)
    if trailing > slash and trailing >= 2:
        buf: list[str] = []
        start: int | None = None
        for n, s in lines:
            if not s:
                if buf:
                    buf.append("")
                continue
            start = start or n
            m = _TRAIL.search(s[-20:])
            if m:
                cut = len(s) - 20 + m.start() if len(s) > 20 else m.start()
                body = s[:cut].strip()
                if body:
                    buf.append(body)
                total = int(m.group(2)) if m.group(2) and m.group(2).isdigit() else None
                tweets.append((int(m.group(1)), normalise_whitespace("\n".join(buf)), start, total))
                buf, start = [], None
            else:
                buf.append(s)
        if buf and any(buf):
            tweets.append((None, normalise_whitespace("\n".join(buf)), start or 0, None))
    else:
        for n, s in lines:
            if not s:
                continue
            m = _LEAD_SLASH.match(s) or _LEAD_DOT.match(s)
            if m:
                total = int(m.group(2)) if m.re is _LEAD_SLASH and m.group(2) and m.group(2).isdigit() else None
                tweets.append((int(m.group(1)), s[m.end():].strip(), n, total))
            else:
                tweets.append((None, s, n, None))
    if not tweets:
        raise ctx.error("no tweets found; expected one tweet per line, optionally numbered '1/ ...'")
    ctx.read_as("x", "native")
    first_text = next(t for _, t, _, _ in tweets)
    digest = hashlib.sha256(first_text.encode("utf-8")).hexdigest()[:8]
    # the id holds no handle: ids travel into pseudonymised exports
    tid = thread_id or f"x-unrolled:{digest}"
    records: list[dict[str, Any]] = []
    expected = 1
    prev: str | None = None
    used: set[int] = set()
    announced = max((t for *_, t in tweets if t), default=None)

    top = 0  # the highest number used so far (max(used), kept as it grows: no pass over used per tweet)

    def gap(first: int, last: int, line: int) -> None:
        nonlocal prev, top
        top = max(top, last - 1)
        for g in range(first, last):
            uid = f"{tid}:{g}"
            records.append({"unit_id": uid, "thread_id": tid, "parent_id": prev, "author": handle or "",
                            "text": "", "kind": "tweet", "status": "missing", "_line": line})
            prev = uid
            used.add(g)
        ctx.note(f"tweet(s) {list(range(first, last))} missing from the numbering (deleted or not captured); "
                 "kept as 'missing' placeholders", line=line, field="number", kind="missing")
        ctx.counts["missing"] += (last - first) - 1

    for number, text, line, _total in tweets:
        if number is not None and number > expected and number not in used:
            gap(expected, number, line)
        n = number if number is not None and number not in used else max(top, expected - 1) + 1
        used.add(n)
        top = max(top, n)
        uid = f"{tid}:{n}"
        text = unescape_once(text)
        status = _gone(text)
        records.append({"unit_id": uid, "thread_id": tid, "parent_id": prev, "author": handle or "",
                        "text": "" if status else text, "kind": "tweet", "status": status or "ok",
                        "extra": {"number": number} if number is not None else None, "_line": line})
        prev = uid
        expected = n + 1
    if announced is not None and expected <= announced:
        gap(expected, announced + 1, tweets[-1][2])
    return records
