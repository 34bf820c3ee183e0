"""Dreamwidth and LiveJournal entries with comments copied as text (format ``dreamwidth-text``).

Dreamwidth's comment layout (the S2 ``core2`` layer) labels every comment's time and
poster: ``Date: 2020-03-04 10:23 am (UTC)`` and ``From: [personal profile] name`` (or
``From: (Anonymous)``), under the comment's subject, with ``Link | Reply | Thread |
Parent`` below. A comment that answers another shows ``Parent``; a copy does not show
which comment that is, so such comments are attached to the post, marked
``extra["is_reply"]``, and the report says so (save the page as HTML to keep the tree).
A ``Depth: 2`` line, where the style prints it, gives the depth. ``(deleted comment)``
and ``(screened comment)`` stay as placeholders.
"""

from __future__ import annotations

import re
from typing import Any

from .._common import Context
from .._text import normalise_whitespace
from ._engine import Claim, Header, build_thread, is_chrome, match_short, split_lines

__all__ = ["read_dreamwidth_text", "claim_dreamwidth"]

_DATE = re.compile(r"^\s*Date:\s*(?P<when>\d{4}-\d{2}-\d{2}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]m)?\s*"
                   r"(?:\((?:UTC|GMT|local)\)|UTC)?)\s*$", re.I)
_FROM = re.compile(r"^\s*From:\s*(?:\[(?:personal|identity|community|feed|syndicated) profile\]\s*)?"
                   r"(?P<author>.{1,80}?)\s*$", re.I)
_DEPTH = re.compile(r"^\s*(?:depth|level)\s*:?\s*(?P<n>\d{1,3})\s*$", re.I)
_WORD = r"\(?(?:link|reply|thread|parent|expand|hide \d+ comments?|unscreen|freeze|track|delete|edit)\)?"
_FOOTER = re.compile(rf"^\s*{_WORD}(?:\s*(?:[|•·]\s*)?{_WORD})*\s*$", re.I)
_POSTED_BY = re.compile(r"^\s*(?:posted by|by)\s*:?\s*(?:\[(?:personal|community) profile\]\s*)?"
                        r"(?P<author>\S{1,60})\s*$", re.I)


def _headers(lines: list[str]) -> list[Header]:
    out: list[Header] = []
    for i, ln in enumerate(lines):
        d = match_short(_DATE, ln)
        if not d:
            continue
        author, end = "", i + 1
        f = match_short(_FROM, lines[i + 1]) if i + 1 < len(lines) else None
        start = i
        if f:
            author, end = f["author"], i + 2
        elif i > 0 and match_short(_FROM, lines[i - 1]):
            author, start = match_short(_FROM, lines[i - 1])["author"], i - 1  # type: ignore[index]
        else:
            continue
        depth = None
        subject = None
        j = start - 1
        if j >= 0 and match_short(_DEPTH, lines[j]):
            depth, start, j = int(match_short(_DEPTH, lines[j])["n"]), j, j - 1  # type: ignore[index]
        if j >= 0 and lines[j].strip() and len(lines[j].strip()) <= 120 and (
                j == 0 or not lines[j - 1].strip() or match_short(_FOOTER, lines[j - 1])
                or match_short(_DATE, lines[j - 1]) is None and is_chrome(lines[j - 1])):
            subject, start = lines[j].strip(), j
            if j > 0 and match_short(_DEPTH, lines[j - 1]):
                depth, start = int(match_short(_DEPTH, lines[j - 1])["n"]), j - 1  # type: ignore[index]
        status = None
        if subject and subject.lower().startswith("(screened comment)"):
            status = "pending"
            subject = subject[len("(screened comment)"):].strip() or None
        anonymous = author.strip().lower() in ("(anonymous)", "anonymous")
        extra: dict[str, Any] = {}
        if subject and subject.lower() != "(no subject)":
            extra["subject"] = subject
        if anonymous:
            extra["anonymous"] = True
        out.append(Header(start, end, "" if anonymous else author.strip(), when=d["when"], depth=depth,
                          status=status, extra=extra))
    for k, h in enumerate(out):
        stop = out[k + 1].line if k + 1 < len(out) else len(lines)
        for j in range(h.end, stop):
            if match_short(_FOOTER, lines[j]) and re.search(r"parent", lines[j][:200], re.I):
                h.extra["is_reply"] = True
                break
    return out


def _preamble(head: list[tuple[int, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {"title": None, "text": "", "line": head[0][0] if head else 1}
    kept: list[tuple[int, str]] = []
    for n, s in head:
        p = match_short(_POSTED_BY, s)
        if p and "author" not in out:
            out["author"] = p["author"]
        elif match_short(_FOOTER, s) or re.match(r"^\s*\d+ comments?\b", s[:100], re.I):
            continue
        else:
            kept.append((n, s))
    if kept and len(kept[0][1].strip()) <= 200:
        out["title"], out["line"] = normalise_whitespace(kept[0][1]), kept[0][0]
        kept = kept[1:]
    if kept and re.match(r"^\s*\d{4}-\d{2}-\d{2}\b.{0,40}$", kept[0][1][:60]):
        out["when"] = kept[0][1].strip()
        kept = kept[1:]
    out["text"] = normalise_whitespace("\n".join(s for _, s in kept))
    return out


def claim_dreamwidth(lines: list[str]) -> Claim | None:
    """The text's claim to be a Dreamwidth or LiveJournal comment page copied as text."""
    headers = _headers(lines)
    if len(headers) >= 2:
        return Claim("dreamwidth-text", len(headers),
                     f"{len(headers)} comment header(s) like 'Date: 2020-03-04 10:23 am (UTC)' / 'From: name'")
    return None


def read_dreamwidth_text(ctx: Context, *, title: str | None = None, author: str = "",
                         thread_id: str | None = None) -> list[dict[str, Any]]:
    """Read a Dreamwidth or LiveJournal comment page copied as text (see the module docstring)."""
    lines = split_lines(ctx.read_text())
    headers = _headers(lines)
    if not headers:
        raise ctx.error("no comment header found; expected 'Date: 2020-03-04 10:23 am (UTC)' and "
                        "'From: [personal profile] name' lines as Dreamwidth writes them")
    records = build_thread(ctx, lines, headers, prefix="dw-text", platform="dreamwidth", nests=True,
                           chrome=[_FOOTER], title=title, author=author, thread_id=thread_id,
                           preamble=_preamble).records
    replies = [h for h in headers if h.extra.get("is_reply")]
    if replies and not any(h.depth for h in headers):
        ctx.note(f"{len(replies)} comment(s) answer another comment ('Parent' link) but the copy does not say "
                 "which: they were attached to the post and marked extra['is_reply']", field="parent_id")
    return records
