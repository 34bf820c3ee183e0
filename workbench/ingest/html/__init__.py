"""Saved web pages (format ``html``): the platform sniffed from its markup, the reply tree rebuilt.

A page saved with the browser ("Save Page As... HTML") is parsed once with lxml. Each
platform's reader knows the markup its platform writes (see its module): WordPress,
Blogger, Dreamwidth and LiveJournal, Discourse, phpBB, old Reddit and Disqus (saved
inline). The first whose markup is on the page reads it; ``platform=`` names one. A page
of another site is read by :mod:`.generic`, which finds repeated comment blocks by
structure and reports its confidence; a page with no comment blocks at all is one
essay unit, reported as having no thread structure.

Only the article (the root unit, with its author and title) and the comments become
units: navigation, forms, "Leave a Reply", related posts, share buttons and cookie
banners never do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._common import Context
from .._text import normalise_whitespace
from . import blogger, dreamwidth, forums, generic, nested, wordpress
from .page import article_root, meta, page_key, parse_page, text_of, title_of

__all__ = ["read_html", "PLATFORMS"]

#: The platforms whose markup is read natively, in the order they are tried.
PLATFORMS: dict[str, tuple[Callable[[Any], bool], Callable[[Context, Any], list[dict[str, Any]]]]] = {
    "wordpress": (wordpress.detect, wordpress.read),
    "blogger": (blogger.detect, blogger.read),
    "dreamwidth": (dreamwidth.detect, dreamwidth.read),
    "discourse": (forums.detect_discourse, forums.read_discourse),
    "phpbb": (forums.detect_phpbb, forums.read_phpbb),
    "reddit": (nested.detect_reddit, nested.read_reddit),
    "disqus": (nested.detect_disqus, nested.read_disqus),
}


def read_html(ctx: Context, *, platform: str | None = None) -> list[dict[str, Any]]:
    """Read a saved page (see the module docstring).

    ``platform`` names the reader (one of :data:`PLATFORMS`, or ``"generic"``) instead of
    sniffing it from the markup.
    """
    if platform is not None and platform not in PLATFORMS and platform != "generic":
        raise ValueError(f"platform must be one of {sorted(PLATFORMS) + ['generic']}, not {platform!r}")
    doc = parse_page(ctx)
    _inline_frames(ctx, doc)
    if platform in PLATFORMS:
        detect, read = PLATFORMS[platform]
        if not detect(doc):
            raise ctx.error(f"platform={platform!r} was given but the page has none of its comment markup")
        return read(ctx, doc)
    if platform is None:
        for detect, read in PLATFORMS.values():
            if detect(doc):
                return read(ctx, doc)
    records = generic.read(ctx, doc)
    if records is not None:
        return records
    return _essay(ctx, doc)


def _inline_frames(ctx: Context, doc: Any) -> None:
    """Frames saved inline (``<iframe srcdoc>``, as SingleFile saves Disqus) become part of the page."""
    from lxml import etree

    for frame in doc.xpath("//iframe[@srcdoc]")[:50]:
        inner = frame.get("srcdoc") or ""
        if "<" not in inner:
            continue
        try:
            sub = etree.fromstring(inner.encode("utf-8", "surrogatepass"),
                                   parser=etree.HTMLParser(encoding="utf-8", remove_comments=True))
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):  # an unreadable frame: leave it out
            continue
        if sub is None:
            continue
        body = sub.find("body")
        box = etree.Element("div", {"class": "inline-frame"})
        for child in list(body if body is not None else sub):
            box.append(child)
        for el in box.iter():
            el.sourceline = frame.sourceline
        box.tail = frame.tail
        frame.getparent().replace(frame, box)


def _essay(ctx: Context, doc: Any) -> list[dict[str, Any]]:
    """No comments on the page: the article alone, with no thread structure."""
    art = article_root(doc)
    if art is None:
        art = doc.find("body")
    title = title_of(doc)
    text = text_of(art) if art is not None else ""
    if title and text.startswith(title):
        text = text[len(title):].lstrip()
    if not text:
        raise ctx.error("the page has no text to read (was it saved before it finished loading?)")
    ctx.read_as(None, "none")
    ctx.recognised = False
    tid = f"page:{page_key(doc, ctx)}"
    return [{"unit_id": tid, "thread_id": tid, "parent_id": None, "author": meta(doc, "author") or "",
             "text": normalise_whitespace(text), "kind": "post", "status": "ok", "title": title,
             "_line": getattr(art, "sourceline", None), "url": meta(doc, "og:url")}]
