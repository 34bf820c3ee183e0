"""A saved web page as lxml sees it: parsing, classes, times, page chrome, the article, the units.

Private helpers of the saved-page readers. The page is parsed once with lxml's HTML
parser (libxml2), which decodes entities exactly once; nothing here matches markup
with regular expressions. Walks over the tree are iterative (no recursion), so a deeply
nested page cannot exhaust the stack, and every reader visits each element a bounded
number of times, so reading is linear in the size of the page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlparse

from .._common import AUTO_KIND, Context, to_utc
from .._text import element_text, normalise_whitespace

__all__ = [
    "parse_page",
    "text_content",
    "classes",
    "has_class",
    "xp_class",
    "first",
    "first_of",
    "own",
    "own_firsts",
    "is_chrome_element",
    "text_of",
    "time_of",
    "title_of",
    "meta",
    "page_key",
    "Page",
    "article_root",
]

#: Class and id tokens of page chrome: navigation, forms, buttons, sharing, related posts, cookie banners.
CHROME_TOKENS = frozenset({
    "reply", "comment-reply-link", "comment-reply", "reply-link", "comment-reply-title", "share", "sharing",
    "sharedaddy", "share-buttons", "sharing-buttons", "social", "social-share", "social-links", "likes",
    "like-button", "wpl-likebox", "jp-relatedposts", "related-posts", "related", "yarpp-related",
    "navigation", "nav", "post-navigation", "comment-navigation", "nav-links", "breadcrumb", "breadcrumbs",
    "sidebar", "widget", "widget-area", "cookie", "cookie-banner", "cookie-notice", "cookie-consent",
    "cookies", "gdpr", "consent", "newsletter", "subscribe", "subscription", "advert", "advertisement",
    "ads", "ad", "banner", "site-header", "site-footer", "menu", "skip-link", "screen-reader-text",
    "edit-link", "comment-edit-link", "comment-respond", "respond", "comment-form", "commentform",
    "buttons", "flat-list", "comment-actions", "post-buttons", "thread-toggle", "continue", "loadmore",
    "load-more", "avatar", "avatar-image-container", "userpic", "post-likes", "midcol", "arrow",
    "comment-awaiting-moderation", "reactions", "reaction", "votes", "vote", "more-topics__list",
    "suggested-topics", "topic-map", "post-menu-area", "back2top", "signature", "comment-footer__menu",
    "post-menu", "report", "permalink", "bylink", "thread-depth", "comment-interaction-links",
    "comment-management-links", "footer", "dwexpcomment-footer", "jumpbox", "action-bar", "pagination",
    "byline", "entry-meta", "post-meta", "article-meta", "entry-footer", "post-footer", "cat-links", "tags-links",
    "post-labels", "posted-on", "related-articles", "recommended", "author-bio", "comments-title",
})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary", "dialog", "alert"})


def parse_page(ctx: Context):
    """The saved page as an lxml document; UTF-8 unless the bytes are not (then the page's own charset)."""
    from lxml import etree

    data = ctx.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    encoding: str | None = ctx.encoding or "utf-8"
    if ctx.encoding is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = None  # libxml2 reads the page's <meta charset>
            ctx.note("the page is not UTF-8: read with the character set it declares (or Latin-1)",
                     field="encoding", kind="encoding")
    # plain lxml elements (not lxml.html's classes): the same parser, lighter to walk
    parser = etree.HTMLParser(encoding=encoding, remove_comments=True, remove_pis=True)
    try:
        doc = etree.fromstring(data, parser=parser) if data.strip() else None
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ctx.error(f"is not a readable HTML page ({exc}); expected a page saved from a browser "
                        "(File > Save Page As, 'Web Page, HTML only' or 'complete')") from None
    if doc is None:
        raise ctx.error("is empty; expected a page saved from a browser (File > Save Page As)")
    return doc


def text_content(el: Any) -> str:
    """All the text inside an element, as is (for measuring, not for units)."""
    return "".join(el.itertext())


def classes(el: Any) -> list[str]:
    """The element's class tokens."""
    value = el.get("class")
    return value.split() if value else []


def has_class(el: Any, *names: str) -> bool:
    """True when the element has any of these classes."""
    value = el.get("class")
    if not value:
        return False
    tokens = value.split()
    return any(n in tokens for n in names)


def xp_class(name: str) -> str:
    """An XPath predicate: the element has class ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def first(el: Any, path: str) -> Any:
    """The first match of a (relative) XPath, or None."""
    found = el.xpath(path)
    return found[0] if found else None


def first_of(el: Any, paths: Iterable[str]) -> Any:
    """The first match of the first XPath that matches, or None.

    Never ``or`` between elements: an lxml element without children is false.
    """
    for path in paths:
        found = first(el, path)
        if found is not None:
            return found
    return None


def own(el: Any, stop: Callable[[Any], bool]) -> Iterator[Any]:
    """The element's descendants, leaving out every subtree whose root ``stop`` accepts."""
    stack = list(reversed(el))
    while stack:
        node = stack.pop()
        if not isinstance(node.tag, str) or stop(node):
            continue
        yield node
        stack.extend(reversed(node))


def own_first(el: Any, stop: Callable[[Any], bool], test: Callable[[Any], bool]) -> Any:
    """The first own descendant (see :func:`own`) that passes ``test``, or None."""
    for node in own(el, stop):
        if test(node):
            return node
    return None


def own_firsts(el: Any, stop: Callable[[Any], bool], classes: dict[str, tuple[str, ...]],
               tags: dict[str, str] | None = None) -> dict[str, Any]:
    """In one walk of the element's own descendants, the first with each group of classes.

    ``classes`` maps a name to the class tokens that qualify (any of them); ``tags`` maps
    a name to a tag that qualifies (a ``time`` with a ``datetime``, say: tag ``time``).
    Names not found are missing from the result.
    """
    found: dict[str, Any] = {}
    wanted = len(classes) + len(tags or {})
    by_token = {t: name for name, names in classes.items() for t in names}
    for node in own(el, stop):
        value = node.get("class")
        if value:
            for t in value.split():
                name = by_token.get(t)
                if name is not None and name not in found:
                    found[name] = node
        if tags:
            for name, tag in tags.items():
                if name not in found and node.tag == tag and (tag != "time" or node.get("datetime") is not None):
                    found[name] = node
        if len(found) == wanted:
            break
    return found


def is_chrome_element(el: Any) -> bool:
    """True for page chrome: forms, navigation, buttons, sharing, related posts, cookie banners."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("form", "nav", "button", "input", "textarea", "select"):
        return tag != "form" or not has_class(el, "usertext")  # old Reddit wraps comment text in a form
    if el.get("role") in _CHROME_ROLES or el.get("aria-hidden") == "true":
        return True
    value = el.get("class")
    if value and any(t in CHROME_TOKENS for t in value.split()):
        return True
    ident = el.get("id")
    return bool(ident) and ident.lower() in CHROME_TOKENS


def text_of(el: Any, skip: Callable[[Any], bool] | None = None) -> str:
    """The element's plain text, page chrome (and whatever ``skip`` accepts) left out."""
    if el is None:
        return ""
    if skip is None:
        return element_text(el, skip=is_chrome_element)
    return element_text(el, skip=lambda e: skip(e) or is_chrome_element(e))


def time_of(ctx: Context, el: Any, where: str, line: int | None = None) -> Any:
    """A UTC time from an element's ``datetime``, ``content`` or ``title`` attribute; None (noted) when unreadable."""
    if el is None:
        return None
    value = el.get("datetime") or el.get("content") or el.get("title") or el.get("data-utime")
    if not value:
        return None
    value = value.strip()
    try:
        if value.isdigit():  # epoch seconds or milliseconds
            number = int(value)
            return to_utc(number / 1000 if number > 10**11 else number)
        return to_utc(value)
    except (ValueError, TypeError, OverflowError):
        ctx.note(f"unreadable time {value!r}; kept without a time", line=line, record=where, field="posted_at")
        return None


_METAS: dict[int, tuple[Any, dict[str, str]]] = {}


def meta(doc: Any, *names: str) -> str | None:
    """The content of the first ``<meta>`` with one of these ``name``/``property``/``itemprop`` values."""
    root = doc.getroottree().getroot()
    cached = _METAS.get(id(root))
    if cached is None or cached[0] is not root:
        table: dict[str, str] = {}
        for m in root.iter("meta"):
            content = (m.get("content") or "").strip()
            for attr in ("property", "name", "itemprop"):
                key = m.get(attr)
                if key and content and key not in table:
                    table[key] = content
        _METAS.clear()  # one page at a time
        cached = _METAS[id(root)] = (root, table)
    return next((cached[1][n] for n in names if n in cached[1]), None)


def title_of(doc: Any) -> str | None:
    """The page's title: Open Graph title, else the first ``<h1>``, else ``<title>``."""
    og = meta(doc, "og:title", "twitter:title")
    if og:
        return normalise_whitespace(og)
    h1 = first(doc, "//h1")
    if h1 is not None:
        text = text_of(h1)
        if text:
            return text
    title = first(doc, "//title")
    shown = text_content(title) if title is not None else ""
    return normalise_whitespace(shown) if shown.strip() else None


def page_key(doc: Any, ctx: Context, *extra: str) -> str:
    """A short key for the page's threads: a hash of its address (or of the file's bytes). Never a name in clear."""
    url = (first(doc, "//link[@rel='canonical']/@href") or meta(doc, "og:url") or "").strip()
    parsed = urlparse(url)
    base = f"{parsed.netloc}{parsed.path}" if parsed.netloc else f"file:{ctx.source_key()}"
    return hashlib.sha256("\x1f".join((base, *extra)).encode("utf-8")).hexdigest()[:10]


def article_root(doc: Any, *, exclude: Callable[[Any], bool] = lambda e: False) -> Any:
    """The element holding the article or opening post, or None."""
    for path in (
        "//article[" + xp_class("post") + " or " + xp_class("hentry") + " or starts-with(@id, 'post-')]",
        "//div[" + xp_class("hentry") + " or (" + xp_class("post") + " and starts-with(@id, 'post-'))]",
        "//*[@itemprop='articleBody']",
        "//*[" + xp_class("entry-content") + "]",
        "//*[" + xp_class("post-body") + "]",
        "//*[" + xp_class("b-singlepost-body") + "]",
        "//main//article",
        "//article",
        "//main",
    ):
        for el in doc.xpath(path):
            if not exclude(el):
                return el
    return None


class Page:
    """Records of one saved page's thread, in page order, with their lines in the file."""

    def __init__(self, ctx: Context, prefix: str, key: str):
        self.ctx = ctx
        self.thread_id = f"{prefix}:{key}"
        self.prefix = f"{prefix}:{key}"
        self.records: list[dict[str, Any]] = []

    def uid(self, native: str | None) -> str:
        """A unit id from the platform's own id (post number, comment id)."""
        return f"{self.prefix}:{native}" if native else f"{self.prefix}:n{len(self.records)}"

    def add(self, *, uid: str, parent: str | None, author: str, when: Any, text: str, el: Any = None,
            kind: str = AUTO_KIND, status: str = "ok", title: str | None = None, url: str | None = None,
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Add a unit; ``el`` gives its line in the file."""
        rec = {"unit_id": uid, "thread_id": self.thread_id, "parent_id": parent,
               "author": normalise_whitespace(author or ""), "posted_at": when, "text": text, "kind": kind,
               "status": status, "_line": getattr(el, "sourceline", None), "extra": extra or None}
        if title is not None:
            rec["title"] = title
        if url is not None:
            rec["url"] = url
        self.records.append(rec)
        return rec


def nearest(el: Any, units: set[Any]) -> Any:
    """The closest ancestor of ``el`` that is one of ``units``, or None."""
    for anc in el.iterancestors():
        if anc in units:
            return anc
    return None


def tree_parents(items: Iterable[Any]) -> dict[Any, Any]:
    """Each unit element's parent unit element by containment (None at the top)."""
    units = list(items)
    members = set(units)
    return {el: nearest(el, members) for el in units}
