"""Reddit threads copied from the page as text (format ``reddit-text``).

Three header shapes are read, each as Reddit itself writes it:

- old Reddit: ``[–]name 3 points 2 hours ago`` (the tagline; ``[+]`` when collapsed,
  ``[score hidden]`` for new comments), with ``permalink embed save report reply`` below;
- the compact form ``u/name · 3 points · 2h``;
- the 2018 design: a ``level 2`` line, the name, then ``· 3 hr. ago``.

Depth comes from ``level N`` lines or from indentation kept by the copy; when the copy
shows neither, every comment is attached to the post and the report says so. Reddit
shows relative times ("2 hours ago"): they are kept in ``extra["shown_time"]``, never
turned into a wrong absolute time. ``[deleted]`` and ``[removed]`` comments stay as
placeholders. The text before the first comment is the post: its title, "Posted by
u/name" or "submitted ... by name", and its text.
"""

from __future__ import annotations

import re
from typing import Any

from .._common import Context
from .._text import normalise_whitespace
from ._engine import Claim, Header, build_thread, match_short, split_lines

__all__ = ["read_reddit_text", "claim_reddit"]

_NAME = r"(?:[A-Za-z0-9_-]{2,40}|\[deleted\])"
_OLD = re.compile(
    rf"^(?P<indent>\s*)\[(?:[–—+-])\]\s*(?P<author>{_NAME})(?P<flair>[^\n]{{0,80}}?)"
    r"(?:\s+(?P<score>-?\d+\s+points?|\[score hidden\]))?\s+(?P<age>(?:edited\s+)?\S+(?:\s+\S+){0,2}?\s+ago)\b.*$"
)
_COMPACT = re.compile(rf"^(?P<indent>\s*)u/(?P<author>{_NAME})\s*[·•]\s*(?P<rest>.{{1,80}})$")
_LEVEL = re.compile(r"^\s*level\s+(?P<n>\d{1,2})\s*$", re.I)
_AGE_LINE = re.compile(r"^\s*[·•]\s*(?P<age>(?:edited\s+)?\d+\s*\S{1,12}\.?(?:\s+ago)?)\s*$", re.I)
_AUTHOR_LINE = re.compile(rf"^\s*(?P<author>{_NAME})\s*$")
_POSTED_BY = re.compile(rf"^\s*(?:Posted by\s+)?u/(?P<author>{_NAME})\s*(?:[·•]\s*)?(?P<age>.{{0,40}})$", re.I)
_SUBMITTED = re.compile(rf"^\s*submitted\s+(?P<age>.{{1,40}}?)\s+by\s+(?P<author>{_NAME})\b", re.I)
_CHROME = [re.compile(p, re.I) for p in (
    r"^\d+ comments?$", r"^\d+% upvoted$", r"^all \d+ comments?$", r"^sorted by:", r"^r/[A-Za-z0-9_]{2,30}$",
    r"^share\s+save\s+hide\s+report", r"^(?:\d+ )?comments?\s+share\s+save", r"^level \d+$",
    r"^load more comments", r"^continue this thread", r"^\d+ more repl(?:y|ies)$", r"^OP$", r"^op$",
    r"^[·•]$", r"^-?\d+(?:\.\d+)?k?$", r"^\d+\s*(?:s|m|h|d|w|y|mo|sec|min|hr|hour|day|week|month|year)s?\.?\s+ago$", r"^(?:reply|share|report|save|follow|give award)"
    r"(?:\s+(?:reply|share|report|save|follow|give award))+$", r"^join$", r"^\(self\.[A-Za-z0-9_]+\)$",
    r"^(?:vote|upvote|downvote)$", r"^\[[–—+-]\]$",
)]


def _headers(lines: list[str]) -> list[Header]:
    out: list[Header] = []
    pending_level: int | None = None
    i = 0
    while i < len(lines):
        ln = lines[i]
        lv = match_short(_LEVEL, ln)
        if lv:
            pending_level = int(lv["n"])
            i += 1
            continue
        m = match_short(_OLD, ln)
        if m:
            out.append(_header(i, i + 1, m["author"], m["indent"], m["age"], pending_level,
                               {"score": m["score"].strip()} if m["score"] else {}))
            pending_level = None
            i += 1
            continue
        c = match_short(_COMPACT, ln)
        if c and re.search(r"\d", c["rest"]):
            rest = c["rest"]
            score = re.search(r"(-?\d+)\s+points?", rest)
            age = re.search(r"(\d+\s*\S{1,12}\.?(?:\s+ago)?)\s*$", rest)
            out.append(_header(i, i + 1, c["author"], c["indent"], age.group(1) if age else None, pending_level,
                               {"score": score.group(0)} if score else {}))
            pending_level = None
            i += 1
            continue
        if pending_level is not None:
            a = match_short(_AUTHOR_LINE, ln)
            if a:
                # the name, then (maybe an "OP" line) the "· 3 hr. ago" line
                for j in range(i + 1, min(len(lines), i + 4)):
                    g = match_short(_AGE_LINE, lines[j])
                    if g:
                        out.append(_header(i, j + 1, a["author"], "", g["age"], pending_level, {}))
                        pending_level = None
                        i = j + 1
                        break
                else:
                    i += 1
                continue
        i += 1
    if not any(h.depth for h in out):
        indents = sorted({h.extra.get("indent", 0) for h in out})
        if len(indents) > 1:
            for h in out:
                h.depth = indents.index(h.extra.get("indent", 0)) + 1
    for h in out:
        h.extra.pop("indent", None)
    return out


def _header(i: int, end: int, author: str, indent: str, age: str | None, level: int | None,
            extra: dict[str, Any]) -> Header:
    deleted = author == "[deleted]"
    extra = dict(extra, indent=len(indent))
    if age:
        extra["shown_time"] = age.strip()
    return Header(i, end, "" if deleted else author, depth=level, status="deleted" if deleted else None,
                  extra=extra)


def _preamble(head: list[tuple[int, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {"title": None, "text": "", "line": head[0][0] if head else 1}
    rest = list(head)
    kept: list[tuple[int, str]] = []
    for n, s in rest:
        p = match_short(_POSTED_BY, s.strip())
        sub = match_short(_SUBMITTED, s.strip())
        if p and "author" not in out:
            out["author"] = p["author"] if p["author"] != "[deleted]" else ""
        elif sub and "author" not in out:
            out["author"] = sub["author"] if sub["author"] != "[deleted]" else ""
        elif any(c.search(s.strip()) for c in _CHROME if len(s) <= 200):
            continue
        else:
            kept.append((n, s))
    if kept and len(kept[0][1].strip()) <= 300:
        title = re.sub(r"\s*\(self\.[A-Za-z0-9_]+\)\s*$", "", kept[0][1].strip())
        out["title"], out["line"] = normalise_whitespace(title), kept[0][0]
        kept = kept[1:]
    out["text"] = normalise_whitespace("\n".join(s for _, s in kept))
    return out


def claim_reddit(lines: list[str]) -> Claim | None:
    """The text's claim to be a Reddit thread copied as text."""
    headers = _headers(lines)
    if len(headers) >= 2 or (headers and any(match_short(_POSTED_BY, ln) or match_short(_SUBMITTED, ln)
                                             for ln in lines[:60])):
        return Claim("reddit-text", len(headers), f"{len(headers)} Reddit comment header(s) like "
                     "'[–]name 3 points 2 hours ago', 'u/name · 3 points' or 'level 2'")
    return None


def read_reddit_text(ctx: Context, *, title: str | None = None, author: str = "",
                     thread_id: str | None = None) -> list[dict[str, Any]]:
    """Read a Reddit thread copied as text (see the module docstring)."""
    lines = split_lines(ctx.read_text())
    headers = _headers(lines)
    if not headers:
        raise ctx.error("no Reddit comment header found; expected lines such as '[–]name 3 points 2 hours ago', "
                        "'u/name · 3 points · 2h' or 'level 1' followed by a name and '· 3 hr. ago'")
    records = build_thread(ctx, lines, headers, prefix="reddit-text", platform="reddit", nests=True,
                           chrome=_CHROME, title=title, author=author, thread_id=thread_id,
                           preamble=_preamble).records
    if any(h.extra.get("shown_time") for h in headers):
        ctx.note("Reddit shows relative times ('2 hours ago'): they are kept in extra['shown_time'] and "
                 "posted_at is left empty rather than guessed", field="posted_at")
    return records
