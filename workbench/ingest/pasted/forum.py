"""Forum topics copied from the page as text (format ``forum-text``): phpBB, SMF, Discourse.

Forums are flat: the first post opens the topic (the thread's root unit) and every
other post replies to it, in page order. Where a post quotes another ("name wrote:",
"Quote from: name on ...") or names a numbered post ("Reply #3"), the quoted post's
unit id is kept in ``extra["replies_to"]``. Header shapes, each as the forum writes it:

- phpBB (prosilver): ``Post by name » Wed Mar 04, 2020 10:23 am`` (``by name » ...`` in
  older versions), the post's subject on the line before;
- SMF: the poster's name and profile lines, the subject, then
  ``« Reply #3 on: March 04, 2020, 10:23:45 AM »`` (``« on: ... »`` for the first post);
- Discourse (the page without scripts, as search engines see it): the name, the date
  ``March 4, 2020, 10:23am`` and the post number.

The lines before the first post (breadcrumbs, the topic's title, buttons) are page chrome,
except the title, which the root unit keeps.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from .._common import Context
from .._text import normalise_whitespace
from ._engine import Claim, Header, build_thread, is_chrome, match_short, split_lines

__all__ = ["read_forum_text", "claim_forum"]

_PHPBB = re.compile(r"^\s*(?:Post )?by (?P<author>[^»]{1,60}?)\s*»\s*(?P<when>.{6,60}?)\s*$")
_SMF = re.compile(r"^\s*«\s*(?:Reply #(?P<n>\d{1,6})\s+)?on:\s*(?P<when>.{6,60}?)\s*»\s*$")
_DISCOURSE_DATE = re.compile(
    r"^\s*(?P<when>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}, "
    r"\d{1,2}:\d{2}\s?[ap]m)\s*$", re.I)
_NUMBER = re.compile(r"^\s*#?(?P<n>\d{1,6})\s*$")
_PROFILE = re.compile(
    r"^\s*(?:Posts|Karma|Gender|Location|Joined|Reputation|Online|Offline|Newbie|Jr\. Member|Full Member|"
    r"Sr\. Member|Hero Member|Global Moderator|Moderator|Administrator|Member|Guest|Registered User|"
    r"Topic starter|Site Admin|Contact)\b.{0,60}$", re.I)
_SUBJECT = re.compile(r"^\s*(?:Re:\s*)?.{1,120}$")
_WROTE = re.compile(r"^\s*(?P<author>[^:↑]{1,60}?) wrote:\s*(?:↑)?\s*(?P<when>.{0,60})$")
_QUOTE_FROM = re.compile(r"^\s*Quote from:\s*(?P<author>.{1,60}?)\s+on\s+(?P<when>.{6,60}?)\s*$", re.I)
_CHROME = [re.compile(p, re.I) for p in (
    r"^(?:Quote|Reply with quote|Report|Edit|Delete|Information|Warn user|Top|Back to top|Insert Quote|"
    r"Quick Reply|Post Reply|Reply|Print|Send this topic|Notify|Mark unread|Logged|Multi-quote)$",
    r"^(?:Post Reply|Topic Tools|Display posts from previous|Sort by)\b",
    r"^\d+ posts?\s*(?:•\s*Page \d+ of \d+)?.{0,40}$", r"^Page \d+ of \d+$", r"^Jump to$",
    r"^Who is online$", r"^Users browsing this forum\b", r"^Board index\b", r"^« (?:previous|next) »?$",
    r"^Pages: \[\d+\]", r"^« previous next »$", r"^(?:Like|Likes|Share|Bookmark|Flag|Copy link)$",
    r"^\d+ Likes?$", r"^\d+ Repl(?:y|ies)$", r"^Related topics$", r"^Powered by (?:phpBB|SMF|Discourse)\b",
    r"^\u2191$", r"^(?:Home|Index|Forums?|Board)(?: (?:‹|›|»|>) .{1,80})+$", r"^Last edited by .{1,60} on .{1,60}$",
)]


def _smf_author(lines: list[str], at: int) -> tuple[int, str, str]:
    """The poster of an SMF post whose "« ... on: ... »" line is ``at``: (first line, name, subject)."""
    j = at - 1
    subject = ""
    if j >= 0 and match_short(_SUBJECT, lines[j]) and lines[j].strip():
        subject = lines[j].strip()
        j -= 1
    while j >= 0 and (not lines[j].strip() or match_short(_PROFILE, lines[j])):
        j -= 1
    if j < 0:
        return at, "", subject
    return j, lines[j].strip(), subject


def _headers(lines: list[str]) -> list[Header]:
    out: list[Header] = []
    for i, ln in enumerate(lines):
        p = match_short(_PHPBB, ln)
        if p:
            author = p["author"].strip()
            start = i - 1 if i > 0 and lines[i - 1].strip() and not is_chrome(lines[i - 1], _CHROME) else i
            extra = {"subject": lines[start].strip()} if start < i else {}
            # the poster's profile above the subject (name, rank, posts, joined) belongs to this post
            while start > 0 and (lines[start - 1].strip() == author or match_short(_PROFILE, lines[start - 1])):
                start -= 1
            out.append(Header(start, i + 1, author, when=p["when"], extra={**extra, "shape": "phpbb"}))
            continue
        s = match_short(_SMF, ln)
        if s:
            start, author, subject = _smf_author(lines, i)
            n = int(s["n"]) if s["n"] else (0 if not out else None)
            out.append(Header(start, i + 1, author, when=s["when"], number=n,
                              extra={"shape": "smf", "subject": subject} if subject else {"shape": "smf"}))
            continue
        d = match_short(_DISCOURSE_DATE, ln)
        if d and i > 0 and lines[i - 1].strip() and len(lines[i - 1].strip()) <= 60:
            end = i + 1
            number = None
            if end < len(lines):
                num = match_short(_NUMBER, lines[end])
                if num:
                    number, end = int(num["n"]), end + 1
            out.append(Header(i - 1, end, lines[i - 1].strip(), when=d["when"], number=number,
                              extra={"shape": "discourse"}))
    # overlapping headers (a subject line taken twice) keep the first
    kept: list[Header] = []
    for h in out:
        if kept and h.line < kept[-1].end:
            h.line = kept[-1].end
        kept.append(h)
    for k, h in enumerate(kept):
        stop = kept[k + 1].line if k + 1 < len(kept) else len(lines)
        for j in range(h.end, stop):
            w = match_short(_WROTE, lines[j]) or match_short(_QUOTE_FROM, lines[j])
            if w:
                h.extra["quotes"] = w["author"].strip()
                break
            r = re.match(r"^\s*@(?P<name>[A-Za-z0-9_.-]{2,40})\b", lines[j][:80]) if h.extra["shape"] == "discourse" \
                else None
            if r:
                h.extra["quotes"] = r["name"]
                break
        if h.extra.get("quotes") == h.author:
            h.extra.pop("quotes")
    return kept


def _preamble(head: list[tuple[int, str]]) -> dict[str, Any]:
    return {"title": normalise_whitespace(head[0][1]) if head else None, "text": "", "line": head[0][0] if head else 1}


def claim_forum(lines: list[str]) -> Claim | None:
    """The text's claim to be a forum topic copied as text."""
    headers = _headers(lines)
    if len(headers) >= 2:
        return Claim("forum-text", len(headers), f"{len(headers)} forum post header(s) like "
                     "'Post by name » Wed Mar 04, 2020 10:23 am' or '« Reply #3 on: ... »'")
    return None


def read_forum_text(ctx: Context, *, title: str | None = None, thread_id: str | None = None
                    ) -> list[dict[str, Any]]:
    """Read a forum topic copied as text (see the module docstring)."""
    lines = split_lines(ctx.read_text())
    headers = _headers(lines)
    if not headers:
        raise ctx.error("no forum post header found; expected lines such as 'Post by name » Wed Mar 04, 2020 "
                        "10:23 am' (phpBB), '« Reply #3 on: March 04, 2020, 10:23:45 AM »' (SMF) or a name "
                        "followed by 'March 4, 2020, 10:23am' (Discourse)")
    subject = headers[0].extra.get("subject")
    head = [ln for ln in lines[: headers[0].line] if ln.strip() and not is_chrome(ln, _CHROME)]
    page_title = title or subject or (normalise_whitespace(head[0]) if head else None)
    if page_title and page_title.startswith("Re: "):
        page_title = page_title[4:]
    shapes = Counter(h.extra.get("shape") for h in headers)
    for h in headers:
        h.extra.pop("subject", None)
        h.extra.pop("shape", None)
    platform = shapes.most_common(1)[0][0] or "forum"
    records = build_thread(ctx, lines, headers, prefix="forum", platform=platform, nests=False, chrome=_CHROME,
                           title=page_title, thread_id=thread_id, preamble=_preamble, first_is_root=True,
                           root_kind="post").records
    return records
