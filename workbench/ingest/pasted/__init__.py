"""Threads copied from a page as text: honest sniffing and one reader per platform's shape.

A reader claims a text only when its platform's own shape is really there (numbered
tweets, "Name says:" headers, "Post by name » date", "[–]name 3 points", "Date: ... /
From: ..."); :func:`recognise` asks every reader and keeps the claim that explains the
most units. A text no reader claims is not a thread: :func:`workbench.ingest.load_threads`
reads it as one essay unit and reports plainly that no thread structure was recognised.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ._engine import Claim, match_short, split_lines
from .blogger import claim_blogger, read_blogger_text
from .dreamwidth import claim_dreamwidth, read_dreamwidth_text
from .forum import claim_forum, read_forum_text
from .reddit import claim_reddit, read_reddit_text
from .wordpress import claim_wordpress, read_wordpress_text
from .x import claim_x, read_x_unrolled

__all__ = [
    "Claim",
    "recognise",
    "claim_essay",
    "read_wordpress_text",
    "read_x_unrolled",
    "read_reddit_text",
    "read_forum_text",
    "read_dreamwidth_text",
    "read_blogger_text",
]

#: Claimers in order of precedence when two explain the same number of units.
CLAIMERS: list[Callable[[list[str]], Claim | None]] = [
    claim_blogger, claim_wordpress, claim_reddit, claim_forum, claim_dreamwidth, claim_x,
]

#: A single post whose page says it has no comments.
_NO_COMMENTS = re.compile(
    r"^\s*(?:comments are closed\.?|comments? (?:are|is) (?:disabled|off)\.?|no comments(?: yet)?\.?|"
    r"0 comments?|no responses(?: yet)?\.?|no responses \(yet\)|be the first to comment\.?|"
    r"leave the first comment\.?|comments off(?: on .{1,120})?)\s*$", re.I)
_COMMENTISH = re.compile(r"^\s*(?:reply|log in to reply|\d+ (?:comments?|responses?|replies|thoughts? on\b.*))\s*$",
                         re.I)


def claim_essay(lines: list[str]) -> Claim | None:
    """A single post or essay whose page says there are no comments ("Comments are closed.")."""
    marks = [ln for ln in lines if match_short(_NO_COMMENTS, ln)]
    if not marks:
        return None
    if sum(1 for ln in lines if match_short(_COMMENTISH, ln)) >= 2:
        return None  # comments in a shape no reader knows: not a single post
    return Claim("essay", 1, f"a single post: the page says {marks[0].strip()!r}")


def recognise(text: str) -> Claim | None:
    r"""The strongest claim on a pasted text, or None when no thread shape is there.

    Examples
    --------
    >>> recognise("1/ We need to talk about crisis care.\n2/ Nobody called back.\n3/ Listen first.").format
    'x-unrolled'
    >>> recognise("1. Preheat the oven.\n2. Mix the flour.\n3. Bake for 20 minutes.") is None
    True
    """
    lines = split_lines(text[:1_000_000])
    claims = [c for c in (claimer(lines) for claimer in CLAIMERS) if c is not None]
    if claims:
        best = max(claims, key=lambda c: c.units)
        return next(c for c in claims if c.units == best.units)
    return claim_essay(lines)
