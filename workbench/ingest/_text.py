"""Text helpers of the ingesters: HTML to plain text (lxml), whitespace, entities, slugs.

Private: the public entry point is :func:`workbench.ingest.load_threads`.

HTML is always parsed with lxml (libxml2's HTML parser), never matched with regular
expressions. Every regular expression here runs over unbounded text, so each is linear:
no nested quantifiers that can backtrack.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from typing import Any

__all__ = [
    "html_to_text",
    "element_text",
    "parse_fragment",
    "normalise_whitespace",
    "unescape_once",
    "slug",
    "BLOCK_TAGS",
    "SKIP_TAGS",
]

#: Elements whose content is never text to code (scripts, styles, form controls, ...).
SKIP_TAGS = frozenset({
    "script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math", "head",
    "title", "textarea", "select", "button", "input", "option", "link", "meta", "canvas", "video", "audio",
})
#: Elements that stand on their own lines (paragraph breaks around them).
BLOCK_TAGS = frozenset({
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "pre", "section",
    "article", "header", "footer", "figure", "figcaption", "dl", "hr", "aside", "main", "address",
    "details", "summary", "fieldset", "form", "nav",
})
_LINE_TAGS = frozenset({"br", "li", "tr", "dt", "dd"})


def parse_fragment(markup: str | bytes):
    """An HTML fragment as an lxml element (a ``<div>`` holding it)."""
    import lxml.html

    data = markup.encode("utf-8", "surrogatepass") if isinstance(markup, str) else markup
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.html.fragment_fromstring(data, create_parent="div", parser=parser)
    except Exception:  # lxml raises ParserError for an empty or unparsable fragment
        from lxml import etree

        return etree.Element("div")


def html_to_text(markup: str) -> str:
    r"""HTML to plain text: tags removed, entities unescaped exactly once, whitespace normalised.

    Parsed with lxml. Script, style and similar elements are dropped with their content;
    an image keeps only its ``alt`` text (WordPress writes emoji as images); block
    elements and ``<br>`` become line breaks; a ``<blockquote>`` becomes lines starting
    with ``> ``, so that a quoted passage stays marked as a quotation.

    Examples
    --------
    >>> html_to_text('<p>Not &amp;amp; all<br>of us <img src=x onerror="alert(1)" alt="😉"></p><script>x()</script>')
    'Not &amp; all\nof us 😉'
    >>> html_to_text('<blockquote><p>We are not all like that</p></blockquote><p>That is the point.</p>')
    '> We are not all like that\n\nThat is the point.'
    """
    if "<" not in markup:
        return normalise_whitespace(html.unescape(markup)) if "&" in markup else normalise_whitespace(markup)
    return element_text(parse_fragment(markup))


def element_text(root: Any, *, skip: Callable[[Any], bool] | None = None, quotes: bool = True) -> str:
    """The plain text of an lxml element (see :func:`html_to_text`).

    ``skip(element)`` returning True leaves an element out with its content (page
    chrome inside a comment, a nested reply). The walk is iterative, so a deeply
    nested page cannot exhaust the stack.
    """
    buffers: list[list[str]] = [[]]
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        out = buffers[-1]
        if closing:
            tag = node.tag.lower()
            if tag == "blockquote" and quotes:
                inner = normalise_whitespace("".join(buffers.pop()))
                out = buffers[-1]
                if inner:
                    out.append("\n\n" + "\n".join("> " + ln if ln else ">" for ln in inner.split("\n")) + "\n\n")
            elif tag in BLOCK_TAGS or tag == "blockquote":
                out.append("\n\n")
            if node is not root and node.tail:
                out.append(node.tail)
            continue
        tag = node.tag
        if not isinstance(tag, str):  # a comment or processing instruction
            if node is not root and node.tail:
                out.append(node.tail)
            continue
        tag = tag.lower()
        if tag in SKIP_TAGS or (skip is not None and node is not root and skip(node)):
            if node is not root and node.tail:
                out.append(node.tail)
            continue
        if tag == "blockquote" and quotes:
            buffers.append([])
            out = buffers[-1]
        elif tag in BLOCK_TAGS or tag == "blockquote":
            out.append("\n\n")
        elif tag in _LINE_TAGS:
            out.append("\n")
        elif tag == "img":
            alt = node.get("alt")
            if alt:
                out.append(alt)
        if node.text:
            out.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    while len(buffers) > 1:  # an unclosed quote cannot happen with lxml trees; be safe
        rest = buffers.pop()
        buffers[-1].extend(rest)
    return normalise_whitespace("".join(buffers[0]))


def unescape_once(text: str) -> str:
    """Plain text that arrives HTML-escaped once (tweets, Reddit bodies): unescape, normalise.

    Examples
    --------
    >>> unescape_once("fish &amp;amp; chips &lt;3")
    'fish &amp; chips <3'
    """
    return normalise_whitespace(html.unescape(text) if "&" in text else text)


_HSPACE = re.compile(r"[^\S\n]+")
_MANY_NL = re.compile(r"\n{3,}")


def normalise_whitespace(text: str) -> str:
    r"""Runs of spaces and tabs become one space, lines are stripped, at most one blank line.

    Examples
    --------
    >>> normalise_whitespace("  a\u00a0 b \r\n\r\n\r\n c\t")
    'a b\n\nc'
    """
    # fast path: printable text has no whitespace but the ASCII space
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HSPACE.sub(" ", text)
    if "\n" in text:
        text = "\n".join(line.strip() for line in text.split("\n"))
        text = _MANY_NL.sub("\n\n", text)
    return text.strip()


def slug(text: str, max_len: int = 40) -> str:
    """A lower-case ASCII slug for ids.

    Examples
    --------
    >>> slug("But we’re not all like that …")
    'but-were-not-all-like-that'
    """
    norm = unicodedata.normalize("NFKD", text[:2000]).encode("ascii", "ignore").decode("ascii").lower()
    norm = re.sub(r"[’'`]", "", norm)
    out = re.sub(r"[^a-z0-9]+", "-", norm).strip("-")
    return out[:max_len].rstrip("-") or "untitled"
