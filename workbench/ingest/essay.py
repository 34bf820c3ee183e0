"""A single post or essay as a one-unit thread (``.txt``, ``.md``, ``.html``).

The first line is the title when it is short and followed by a blank line (for HTML,
parsed with lxml: the first ``<h1>``, else ``<title>``). Blog furniture at the end
("Comments are closed.", "%d bloggers like this:", "Powered by", ...) is dropped. The id
is ``post:<sha256 prefix of the text>`` (never the title or the file's name, which may
name a person). A text read as an essay has no
reply structure (``structure`` ``none``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ._common import Context, normalise_whitespace

__all__ = ["read_essay"]

_TRAILER = re.compile(
    r"^(?:Comments are closed\.?|%d bloggers like this:?|Powered by.*|Up ↑|Share this:?|Like this:?|"
    r"Loading\.\.\.|Related|Leave a (?:Reply|Comment)|Post navigation|Advertisements)$",
    re.I,
)


def read_essay(ctx: Context, *, title: str | None = None, author: str = "", thread_id: str | None = None
               ) -> list[dict[str, Any]]:
    """Read one post or essay (see the module docstring)."""
    ctx.read_as(ctx.platform, "none")
    raw = ctx.read_text()
    if ctx.suffix in (".html", ".htm") or raw.lstrip().lower().startswith(("<!doctype html", "<html")):
        from ._text import element_text
        from .html.page import parse_page, title_of

        doc = parse_page(ctx)
        if title is None:
            title = title_of(doc)
        body = doc.find("body")
        text = element_text(body if body is not None else doc)
        if title and text.startswith(title):
            text = text[len(title):].lstrip()
    else:
        text = normalise_whitespace(raw)
        lines = text.split("\n")
        if title is None and len(lines) > 2 and lines[1] == "" and 0 < len(lines[0]) <= 200:
            title = lines[0].lstrip("# ").strip()
            text = "\n".join(lines[2:])
    lines = text.split("\n")
    while lines and (not lines[-1].strip() or _TRAILER.match(lines[-1].strip())):
        lines.pop()
    text = normalise_whitespace("\n".join(lines))
    if not text:
        raise ctx.error("the post is empty; expected the text of one post or essay")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    tid = thread_id or f"post:{digest}"
    return [{"unit_id": tid, "thread_id": tid, "parent_id": None, "author": author, "text": text,
             "kind": "post", "status": "ok", "title": title, "_line": 1}]
