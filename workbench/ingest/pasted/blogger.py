"""Blogger / Blogspot comments copied from the page as text (format ``blogger-text``).

Two shapes, as Blogger's comment widgets write them:

- threaded (the default since 2012): the name on a line, the date on the next
  (``March 4, 2020 at 10:23 AM``), the comment, ``Reply`` and ``Delete``; a comment with
  answers shows ``Replies`` and its answers, which end at a second ``Reply`` (the link
  that continues the thread). Blogger nests one level: answers to answers are listed in
  the same block;
- classic: ``Name said...``, the comment, then its date.

"This comment has been removed by the author." stays as a ``deleted`` placeholder
("... by a blog administrator." as ``removed``).
"""

from __future__ import annotations

import re
from typing import Any

from .._common import Context
from .._text import normalise_whitespace
from ._engine import Claim, Header, build_thread, is_chrome, match_short, split_lines

__all__ = ["read_blogger_text", "claim_blogger"]

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(
    rf"^\s*(?P<when>(?:{_MONTH} \d{{1,2}},? \d{{4}}|\d{{1,2}} {_MONTH},? \d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})"
    r"(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?)?)\s*$")
_SAID = re.compile(r"^\s*(?P<author>.{1,80}?)\s+said\.\.\.\s*$|^\s*(?P<author2>.{1,80}?)\s+said…\s*$")
_NAME = re.compile(r"^\s*(?P<author>[^\s.!?,;:][^.!?;:]{0,59}?)\s*$")
_REPLIES = re.compile(r"^\s*Replies\s*$", re.I)
_REPLY = re.compile(r"^\s*Reply\s*$", re.I)
_CHROME = [re.compile(p, re.I) for p in (
    r"^Replies$", r"^Delete$", r"^Add comment$", r"^Load more\.\.\.$", r"^\d+ comments?:?$",
    r"^Newer Post$|^Older Post$|^Home$", r"^Subscribe to:", r"^Post a Comment$", r"^Comments$",
)]


def _headers(lines: list[str]) -> list[Header]:
    out: list[Header] = []
    said = [i for i, ln in enumerate(lines) if match_short(_SAID, ln)]
    if said:  # classic: the date follows the comment
        for k, i in enumerate(said):
            m = match_short(_SAID, lines[i])
            author = (m["author"] or m["author2"]).strip()  # type: ignore[index]
            stop = said[k + 1] if k + 1 < len(said) else len(lines)
            when: str | None = None
            skip: frozenset[int] = frozenset()
            for j in range(stop - 1, i, -1):
                d = match_short(_DATE, lines[j])
                if d:
                    when, skip = d["when"], frozenset({j})
                    break
            out.append(Header(i, i + 1, author, when=when, skip=skip))
        return out
    in_replies = False
    i = 0
    while i < len(lines):
        ln = lines[i]
        if match_short(_REPLIES, ln):
            in_replies = True
        elif match_short(_REPLY, ln) and in_replies:
            # "Reply" after the answers continues the thread: the answers end here
            nxt = next((j for j in range(i + 1, min(len(lines), i + 3)) if lines[j].strip()), None)
            if nxt is None or not match_short(_REPLIES, lines[nxt]):
                in_replies = False
        elif ln.strip() and not is_chrome(ln, _CHROME):
            name = match_short(_NAME, ln)
            nxt_line = next((k for k in range(i + 1, min(len(lines), i + 3)) if lines[k].strip()), None)
            d = match_short(_DATE, lines[nxt_line]) if name and nxt_line is not None else None
            if name and d and nxt_line is not None:
                out.append(Header(i, nxt_line + 1, name["author"].strip(), when=d["when"],
                                  depth=2 if in_replies else 1))
                i = nxt_line + 1
                continue
        i += 1
    return out


_POSTED = re.compile(r"^\s*Posted by\s+(?P<author>.{1,60}?)(?:\s+at\s+(?P<time>.{1,30}))?\s*$", re.I)
_LONG_DATE = re.compile(rf"^\s*(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?(?:{_MONTH} \d{{1,2}},? \d{{4}}|"
                        rf"\d{{1,2}} {_MONTH},? \d{{4}})\s*$")


def _preamble(head: list[tuple[int, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {"title": None, "text": "", "line": head[0][0] if head else 1}
    kept: list[tuple[int, str]] = []
    for n, s in head:
        p = match_short(_POSTED, s)
        if p and "author" not in out:
            out["author"] = p["author"].strip()
        elif match_short(_LONG_DATE, s) and "when" not in out and not kept:
            out["when"] = s.strip()
        elif re.match(r"^\s*Labels?:", s[:20]) or any(c.search(s.strip()) for c in _CHROME if len(s) < 200):
            continue
        else:
            kept.append((n, s))
    if kept and len(kept[0][1].strip()) <= 200:
        out["title"], out["line"] = normalise_whitespace(kept[0][1]), kept[0][0]
        kept = kept[1:]
    out["text"] = normalise_whitespace("\n".join(s for _, s in kept))
    return out


def claim_blogger(lines: list[str]) -> Claim | None:
    """The text's claim to be Blogger comments copied as text."""
    headers = _headers(lines)
    if len(headers) < 2:
        return None
    marks = sum(1 for ln in lines if match_short(_SAID, ln) or match_short(_REPLIES, ln)
                or ln.strip() in ("Delete", "Post a Comment", "Newer Post Older Post Home", "Newer Post"))
    if marks == 0:
        return None
    return Claim("blogger-text", len(headers), f"{len(headers)} Blogger comment(s) ('Name said...' or a name, a "
                 "date 'March 4, 2020 at 10:23 AM', 'Reply', 'Delete', 'Replies')")


def read_blogger_text(ctx: Context, *, title: str | None = None, author: str = "",
                      thread_id: str | None = None) -> list[dict[str, Any]]:
    """Read Blogger comments copied as text (see the module docstring)."""
    lines = split_lines(ctx.read_text())
    headers = _headers(lines)
    if not headers:
        raise ctx.error("no Blogger comment found; expected 'Name said...' lines, or a name line followed by a "
                        "date line such as 'March 4, 2020 at 10:23 AM'")
    classic = any(match_short(_SAID, ln) for ln in lines)  # the classic list is flat
    return build_thread(ctx, lines, headers, prefix="blogger-text", platform="blogger", nests=not classic,
                        chrome=_CHROME, title=title, author=author, thread_id=thread_id,
                        preamble=_preamble).records
