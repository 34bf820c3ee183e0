"""A post as the coding panel's page shows it (the kernel decides what is hidden)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..corpus import is_untitled
from ._base import when

__all__ = ["EXCERPT_CHARS", "post_view"]

#: How much of the thread's first post is shown above a reply.
EXCERPT_CHARS = 280


def post_view(row: Mapping[str, Any], warn: list[str], *, reveal: bool, excerpt: bool = False) -> dict[str, Any]:
    """A post as the panel's page shows it: its fields as strings, its text hidden behind its warning.

    Parameters
    ----------
    row : mapping
        The unit's row (``unit_id``, ``thread_id``, ``text``, ``author``, ...).
    warn : list of str
        The content-warning terms found in the post (empty: nothing to hide).
    reveal : bool
        The coder opened this post: its text is shown even with a warning.
    excerpt : bool, default False
        Add ``excerpt``: the post's opening (for the root post above a reply).

    Returns
    -------
    dict
        ``unit_id, thread_id, parent_id, author, author_role, posted_at, kind, status, title,
        depth, warning, hidden, text`` (and ``excerpt``); ``text`` is empty while ``hidden``.

    Examples
    --------
    >>> post = post_view({"unit_id": "a", "text": "An overdose"}, ["overdose"], reveal=False)
    >>> post["hidden"], post["text"], post["warning"]
    (True, '', ['overdose'])
    >>> post_view({"unit_id": "a", "text": "An overdose"}, ["overdose"], reveal=True)["text"]
    'An overdose'
    """
    text = str(row.get("text") or "")
    hidden = bool(warn) and not reveal
    out = {
        "unit_id": str(row["unit_id"]),
        "thread_id": str(row.get("thread_id") or ""),
        "parent_id": "" if row.get("parent_id") is None else str(row["parent_id"]),
        "author": str(row.get("author") or ""),
        "author_role": "" if row.get("author_role") is None else str(row["author_role"]),
        "posted_at": when(row.get("posted_at")),
        "kind": str(row.get("kind") or ""),
        "status": str(row.get("status") or ""),
        "title": "" if is_untitled(row.get("title")) else str(row["title"]),
        "depth": int(row.get("depth") or 0),
        "warning": warn,
        "hidden": hidden,
        "text": "" if hidden else text,
    }
    if excerpt:
        out["excerpt"] = "" if hidden else (text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rstrip() + "…")
    return out
