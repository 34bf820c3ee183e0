"""The shared machinery of the pasted-text readers: lines, page chrome, comment blocks, the tree.

A pasted thread is a run of comment *headers* (who wrote it and when, in the platform's
own shape) each followed by the comment's text. A reader finds the headers (``scan``);
this module cuts the text into blocks, drops page chrome and reports it, turns the text
before the first header into the thread's root post, and builds the reply tree from the
depth each header shows (indentation, "level 2", ...) or, when the copy shows none, attaches
every comment to the post and says so.

Every regular expression that meets a line is applied to at most :data:`MAX_HEADER`
characters (:func:`match_short`): headers are short, and a bounded input keeps even a
pattern with a lazy group linear in the length of the file.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._common import AUTO_KIND, Context, to_utc
from .._text import normalise_whitespace, unescape_once

__all__ = [
    "Claim",
    "Header",
    "MAX_HEADER",
    "match_short",
    "is_chrome",
    "split_lines",
    "build_thread",
    "parse_when",
    "GONE",
    "gone_status",
    "ENDS_THREAD",
    "thread_digest",
]

#: Header lines are matched on at most this many characters.
MAX_HEADER = 400


def match_short(pattern: re.Pattern[str], line: str) -> re.Match[str] | None:
    """``pattern.match`` on a line, only when the line is short enough to be a header."""
    if len(line) > MAX_HEADER:
        return None
    return pattern.match(line)


@dataclass(frozen=True)
class Claim:
    """A reader's claim on a text: its format, how many units its shape explains, the evidence."""

    format: str
    units: int
    evidence: str


@dataclass
class Header:
    """One comment header found in a pasted text (``line``: 0-based index of its first line)."""

    line: int
    end: int
    author: str
    when: str | None = None
    depth: int | None = None
    number: int | None = None
    kind: str = AUTO_KIND
    status: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    skip: frozenset[int] = frozenset()
    replies_to: str | None = None


# --------------------------------------------------------------------------- chrome
#: Lines that are page chrome wherever they stand (compared case-insensitively, stripped).
_CHROME_EXACT = {
    "reply", "reply ↓", "log in to reply", "login to reply", "share", "report", "save", "award", "like",
    "likes", "loading...", "loading…", "edit", "(edit)", "delete", "permalink", "embed", "give award",
    "permalink embed save report reply", "permalinkembedsavereportreply", "permalinksavereportreply",
    "permalink save report reply", "permalinkembedsaveparentreportreply",
    "permalink embed save parent report reply", "cancel reply", "related", "related posts",
    "related posts:", "related articles", "share this:", "share this", "like this:", "like loading...",
    "%d bloggers like this:", "post navigation", "previous post", "next post", "subscribe", "follow",
    "following", "accept", "accept all", "reject all", "privacy policy", "cookie policy", "skip to content",
    "menu", "search", "search for:", "quote", "top", "back to top", "report post", "reply with quote",
    "multi-quote", "newer post", "older post", "home", "post a comment", "subscribe to: post comments (atom)",
    "add comment", "load more comments", "show more replies", "more replies", "vote", "upvote", "downvote",
    "sort by:", "best", "reply to this", "(reply) (thread)", "(reply) (thread) (parent)", "link", "thread",
    "parent", "expand", "collapse", "hide", "unscreen", "freeze", "track", "flag", "copy link",
    "open in app", "get the app", "sign up", "log in", "login", "register", "top comments", "newest",
    "oldest", "comments", "• • •", "…", "...", "delete comment", "liked by", "×", "close", "dismiss",
    "got it", "continue reading", "read more", "twitter", "facebook", "linkedin", "pinterest", "tumblr", "pocket",
    "whatsapp", "telegram", "print", "email", "email this", "blogthis!", "share to twitter", "share to facebook",
}
_CHROME_PATTERNS = [re.compile(p, re.I) for p in (
    r"^(?:\d+ )?(?:likes?|upvotes?|points?|votes?)$",
    r"^\d+$",
    r"^liked by \d+ (?:person|people)$",
    r"^(?:we use cookies|we and our partners use|this (?:web)?site uses cookies|by continuing to (?:use|browse))\b",
    r"\bcookie (?:policy|settings|preferences|consent)\b",
    r"\bconsent(?:ing)? to the use of cookies\b",
    r"^your email address will not be published\b",
    r"^required fields are marked\b",
    r"^(?:comment|name|email|website|e-mail)\s*\*?$",
    r"^save my name, email, and website\b",
    r"^notify me of (?:follow-up comments|new posts)\b",
    r"^post comment$",
    r"^fill in your details below\b",
    r"^you are commenting using your\b",
    r"^connecting to %s$",
    r"^(?:saved|copied|retrieved|archived) (?:from|on)\b",
    r"^source: https?://\S+$",
    r"^\(?\d+ (?:children|child|replies|reply)\)?$",
    r"^view (?:all )?\d* ?(?:more )?(?:replies|comments)\b",
    r"^(?:share|tweet|pin it|email|print|facebook|twitter|linkedin|reddit|whatsapp|telegram)"
    r"(?: ?[|•·,] ?(?:share|tweet|pin it|email|print|facebook|twitter|linkedin|reddit|whatsapp|telegram))+$",
    r"^powered by\b",
    r"^copyright\b|^©",
    r"^all rights reserved\b",
    r"^sponsored\b|^advertisement$|^advertisements$",
    r"^(?:\(reply\) ?)?(?:\((?:thread|parent|link|expand|hide \d+ comments?)\) ?)+$",
    r"^(?:link|reply|thread|parent|expand|hide \d+ comments?)(?: ?[|•·] ?(?:link|reply|thread|parent|expand"
    r"|hide \d+ comments?))+$",
)]

#: Lines after which the rest of the page is the comment form, sidebars and footer.
ENDS_THREAD = re.compile(
    r"^(?:leave a (?:reply|comment)(?: cancel reply)?|post a comment|add a comment|comments are closed\.?"
    r"|fill in your details below or click an icon to log in:?|join the conversation|write a comment"
    r"|newer post ?(?:older post)?(?: ?home)?|subscribe to: post comments \(atom\))$",
    re.I,
)

#: Bodies that platforms show instead of a removed comment, and the status they mean.
GONE = {
    "[deleted]": "deleted", "[removed]": "removed", "deleted": "deleted", "removed": "removed",
    "this comment has been deleted.": "deleted", "this comment was deleted.": "deleted",
    "comment deleted": "deleted", "comment deleted by user": "deleted", "comment removed by moderator": "removed",
    "this comment has been removed.": "removed", "this comment was removed by the moderator.": "removed",
    "this comment has been removed by the author.": "deleted",
    "this comment has been removed by a blog administrator.": "removed",
    "(deleted comment)": "deleted", "(deleted post)": "deleted", "(post deleted by author)": "deleted",
    "this post was deleted": "deleted", "this post was deleted.": "deleted",
    "your comment is awaiting moderation.": "pending", "(screened comment)": "pending",
    "this comment is awaiting moderation": "pending", "this comment is awaiting moderation.": "pending",
}


_URL_LINE = re.compile(r"^<?https?://\S+>?$")


_GONE_SHAPE = re.compile(r"^[\[(]?(?:comment |post |message )?(?P<what>removed|deleted)(?: by (?:a |the )?"
                         r"(?P<who>moderator|mod|admin|administrator|author|user|poster|staff))?[\])]?\.?$", re.I)


def gone_status(text: str) -> str | None:
    """The status a placeholder text stands for ("[deleted]", "Removed by moderator", ...), else None."""
    if len(text) >= 80:
        return None
    low = text.strip().lower()
    if low in GONE:
        return GONE[low]
    m = _GONE_SHAPE.match(low)
    if not m:
        return None
    if m["what"] == "deleted" or m["who"] in ("author", "user", "poster"):
        return "deleted"
    return "removed"


def is_chrome(line: str, extra: Sequence[re.Pattern[str]] = ()) -> bool:
    """True when a stripped line is page chrome (a button, a form label, a cookie notice)."""
    s = line.strip()
    if not s or len(s) > MAX_HEADER:
        return False
    low = s.lower()
    if low in _CHROME_EXACT:
        return True
    return any(p.search(s) for p in _CHROME_PATTERNS) or any(p.search(s) for p in extra)


def split_lines(text: str) -> list[str]:
    r"""The text's lines (a BOM and ``\r`` removed), tabs expanded to keep indentation."""
    text = text.lstrip("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [ln.expandtabs(4) if "\t" in ln else ln for ln in text.split("\n")]


# --------------------------------------------------------------------------- times
_SLASHED = re.compile(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})\b(?P<rest>.{0,40})$")

def parse_when(ctx: Context, shown: str | None, line: int) -> Any:
    """A shown date and time as UTC, or None (noted) when it cannot be read."""
    if not shown:
        return None
    if len(shown) > 200:  # no date is this long: a page's text taken for one
        ctx.note(f"unreadable date {shown[:60]!r}...; the comment was kept without a time", line=line,
                 field="posted_at")
        return None
    s = shown.strip().replace("\u202f", " ").replace("\xa0", " ")
    s = re.sub(r"\s*\((?:UTC|GMT)\)$", " UTC", s)
    s = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", s)
    s = s.replace(" at ", " ").replace(" @ ", " ").replace("a.m.", "am").replace("p.m.", "pm")
    slashed = _SLASHED.match(s)
    if slashed:  # d/m/y or m/d/y: read day first (as in the UK and Europe) unless that is impossible
        a, b, y = int(slashed["a"]), int(slashed["b"]), slashed["y"]
        day, month = (b, a) if a <= 12 < b else (a, b)
        if a <= 12 and b <= 12 and a != b and not getattr(ctx, "_dayfirst_noted", False):
            ctx.note(f"dates such as {shown!r} could be day/month or month/day: read as day/month/year",
                     line=line, field="posted_at")
            ctx._dayfirst_noted = True  # type: ignore[attr-defined]
        year = int(y) + (2000 if len(y) == 2 else 0)
        s = f"{year:04d}-{month:02d}-{day:02d}{slashed['rest']}"
    if not re.search(r"\d{4}", s):
        ctx.note(f"the date {shown!r} has no year; the comment was kept without a time", line=line,
                 field="posted_at")
        return None
    try:
        return to_utc(s)
    except (ValueError, TypeError, OverflowError):
        ctx.note(f"unreadable date {shown!r}; the comment was kept without a time", line=line, field="posted_at")
        return None


# --------------------------------------------------------------------------- building
def thread_digest(ctx: Context, post_text: str) -> str:
    """The key of a pasted thread's ids: a checksum prefix of its post's text, else of the file's bytes.

    Never a title, a name or a file name (ids travel into pseudonymised exports); a later
    copy of the same page, with more comments, keeps the key of its post.
    """
    seed = post_text.encode("utf-8", "surrogatepass") if post_text else f"file:{ctx.source_key()}".encode()
    return hashlib.sha256(seed).hexdigest()[:8]



@dataclass
class Thread:
    """What :func:`build_thread` returns besides the records."""

    records: list[dict[str, Any]]
    thread_id: str
    nested: bool


def _chrome_report(ctx: Context, dropped: list[tuple[int, str]], where: str) -> None:
    if not dropped:
        return
    shown = Counter(s.strip() for _, s in dropped)
    examples = ", ".join(f"{s!r} x{n}" if n > 1 else repr(s) for s, n in shown.most_common(4))
    lines = ", ".join(str(n) for n, _ in dropped[:12]) + (" ..." if len(dropped) > 12 else "")
    ctx.counts["chrome"] += len(dropped) - 1
    ctx.note(f"{len(dropped)} line(s) of page chrome {where} dropped ({examples}; lines {lines})",
             line=dropped[0][0], kind="chrome")


def build_thread(
    ctx: Context,
    lines: list[str],
    headers: list[Header],
    *,
    prefix: str,
    platform: str,
    nests: bool,
    chrome: Sequence[re.Pattern[str]] = (),
    title: str | None = None,
    author: str = "",
    thread_id: str | None = None,
    preamble: Callable[[list[tuple[int, str]]], dict[str, Any]] | None = None,
    unescape: bool = False,
    root_kind: str = "post",
    first_is_root: bool = False,
) -> Thread:
    """Records for a pasted thread: the root post and one unit per header.

    ``nests`` says whether the platform nests replies: when it does and the headers
    show no depth, comments are attached to the post and the structure is reported
    as inferred. ``preamble`` reads the lines before the first header (title, author,
    date of the post). ``first_is_root`` makes the first header the opening post
    (forums), with the preamble as page chrome.
    """
    dropped: list[tuple[int, str]] = []
    end = len(lines)
    after_end: list[tuple[int, str]] = []
    if headers:
        for i in range(headers[-1].end, len(lines)):
            if ENDS_THREAD.match(lines[i].strip()[:MAX_HEADER]):
                end = i
                after_end = [(n + 1, lines[n]) for n in range(i, len(lines)) if lines[n].strip()]
                break

    def body(a: int, b: int, skip: frozenset[int] = frozenset()) -> tuple[str, list[tuple[int, str]]]:
        kept: list[str] = []
        drop: list[tuple[int, str]] = []
        for n in range(a, b):
            if n in skip:
                continue
            s = lines[n]
            if is_chrome(s, chrome):
                drop.append((n + 1, s))
            else:
                kept.append(s)
        text = normalise_whitespace("\n".join(kept))
        return (unescape_once(text) if unescape else text), drop

    # the root post
    pre_end = headers[0].line if headers else end
    pre = [(n + 1, lines[n]) for n in range(pre_end)]
    head = [(n, s) for n, s in pre if s.strip() and not is_chrome(s, chrome)]
    dropped += [(n, s) for n, s in pre if s.strip() and is_chrome(s, chrome)]
    while head and _URL_LINE.match(head[0][1].strip()[:MAX_HEADER]):  # a header line naming the page
        dropped.append(head.pop(0))
    info = preamble(head) if preamble is not None else _default_preamble(head)
    post_title = title if title is not None else info.get("title")
    post_text = info.get("text", "")
    if unescape:
        post_text = unescape_once(post_text)
        post_title = unescape_once(post_title) if post_title else post_title
    tid = thread_id or f"{prefix}:{thread_digest(ctx, post_text)}"
    records: list[dict[str, Any]] = []
    root_id = f"{tid}:post"
    if not first_is_root:
        records.append({
            "unit_id": root_id, "thread_id": tid, "parent_id": None, "author": info.get("author") or author,
            "posted_at": parse_when(ctx, info.get("when"), info.get("line") or 1) if info.get("when") else None,
            "text": post_text, "kind": root_kind, "status": "ok", "title": post_title,
            "_line": info.get("line") or 1,
        })
    elif head:
        dropped += head  # a forum page copy: the lines before the first post are navigation

    nested = any(h.depth is not None for h in headers)
    stack: list[tuple[int, str]] = []  # (depth, unit id)
    counters: Counter[str] = Counter()
    by_author: dict[str, str] = {}
    by_number: dict[int, str] = {}
    for k, h in enumerate(headers):
        stop = headers[k + 1].line if k + 1 < len(headers) else end
        text, drop = body(h.end, stop, h.skip)
        dropped += drop
        status = h.status
        gone = gone_status(text)
        if gone:
            status, text = gone, ""
        elif text.lower().startswith(("your comment is awaiting moderation.", "this comment is awaiting moderation")):
            status = "pending"
            text = normalise_whitespace(text.split("\n", 1)[1]) if "\n" in text else ""
        base = f"{tid}:c{h.number}" if h.number is not None else f"{tid}:c{k + 1}"
        counters[base] += 1
        uid = base if counters[base] == 1 else f"{base}-{counters[base]}"
        if first_is_root and k == 0:
            parent = None
            uid = root_id
        elif nested and h.depth is not None:
            while stack and stack[-1][0] >= h.depth:
                stack.pop()
            parent = stack[-1][1] if stack else root_id
            if not stack and h.depth > 1:
                ctx.note(f"a reply at depth {h.depth} before any comment it could answer; attached to the post",
                         line=h.line + 1, field="depth")
        else:
            parent = root_id
        if h.depth is not None or first_is_root:
            stack.append((h.depth or 0, uid))
        extra = dict(h.extra)
        quoted_author, quoted_number = extra.pop("quotes", None), extra.pop("quotes_number", None)
        if quoted_author is not None or quoted_number is not None:
            target = by_number.get(quoted_number) if quoted_number is not None else by_author.get(quoted_author)
            if target is not None:
                extra["replies_to"] = target
            else:
                what = f"post #{quoted_number}" if quoted_number is not None else f"a post by {quoted_author!r}"
                ctx.note(f"quotes {what}, which is not in the copy before it; kept without replies_to",
                         line=h.line + 1, record=uid, field="replies_to")
        rec = {
            "unit_id": uid, "thread_id": tid, "parent_id": parent, "author": h.author,
            "posted_at": parse_when(ctx, h.when, h.line + 1), "text": text, "kind": h.kind,
            "status": status or "ok", "_line": h.line + 1,
            "extra": extra or None,
        }
        if h.author:
            by_author[h.author] = uid
        if h.number is not None:
            by_number[h.number] = uid
        if first_is_root and k == 0:
            rec["title"] = post_title
            rec["kind"] = root_kind
        records.append(rec)
    _chrome_report(ctx, dropped, "inside the thread")
    if after_end:
        _chrome_report(ctx, after_end, f"after {after_end[0][1].strip()!r} (comment form, sidebars, footer)")
    if not nests or first_is_root:
        structure = "native"
    elif nested:
        structure = "native"
    else:
        structure = "inferred" if len(headers) > 1 else "native"
        if len(headers) > 1:
            ctx.note(f"the copied text does not show which comment answers which (no indentation or depth "
                     f"marks): all {len(headers)} comments were attached to the post; save the page as HTML "
                     "to keep the nesting", field="parent_id", kind="note")
    ctx.read_as(platform, structure)
    return Thread(records, tid, nested)


def _default_preamble(head: list[tuple[int, str]]) -> dict[str, Any]:
    """Title = the first short line; the rest is the post's text."""
    if not head:
        return {"title": None, "text": "", "line": 1}
    first_line, first = head[0]
    if len(first.strip()) <= 200 and len(head) > 1:
        return {"title": normalise_whitespace(first), "text": normalise_whitespace("\n".join(s for _, s in head[1:])),
                "line": first_line}
    return {"title": None, "text": normalise_whitespace("\n".join(s for _, s in head)), "line": first_line}
