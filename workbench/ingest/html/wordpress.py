r"""WordPress pages: the comment walker's HTML5 and older callback markup, and block themes.

``wp_list_comments`` writes one element per comment, ``id="comment-<id>"`` with
``comment_class()`` classes (``comment``, ``pingback``, ``depth-2``, ...), its replies in a
nested ``<ol class="children">`` (or nested ``<div>``\ s with ``style=div``). The HTML5
walker puts the author in ``.comment-author .fn``, the time in
``.comment-metadata time[datetime]`` and the text in ``.comment-content``; the older
callback markup puts the text straight into ``.comment-body`` and the time only as text
in ``.comment-meta``. Block themes (``core/comment-template``) use
``.wp-block-comment-author-name``, ``.wp-block-comment-date time`` and
``.wp-block-comment-content``. A comment awaiting moderation carries
``.comment-awaiting-moderation`` and is kept with status ``pending``.
"""

from __future__ import annotations

from typing import Any

from .._common import Context
from .._text import normalise_whitespace
from ..pasted._engine import gone_status, parse_when
from .page import (
    Page,
    first,
    first_of,
    has_class,
    is_chrome_element,
    meta,
    own_first,
    own_firsts,
    page_key,
    text_of,
    time_of,
    title_of,
    tree_parents,
    xp_class,
)

__all__ = ["detect", "read"]

_COMMENTS = ("//*[(self::li or self::div or self::article) and (starts-with(@id, 'comment-') or "
             "starts-with(@id, 'li-comment-')) and ("
             + xp_class("comment") + " or " + xp_class("pingback") + " or " + xp_class("trackback") + ")]")
_SECTION = ("//*[@id='comments' or " + xp_class("comments-area") + " or " + xp_class("comment-list") + " or "
            + xp_class("commentlist") + " or " + xp_class("wp-block-comments") + "]")
#: The parts of a comment, by their classes (found in one walk of the comment).
_PARTS = {
    "name": ("fn", "wp-block-comment-author-name"),
    "author": ("comment-author",),
    "meta": ("comment-meta", "commentmetadata"),
    "content": ("comment-content", "wp-block-comment-content"),
    "body": ("comment-body",),
    "moderation": ("comment-awaiting-moderation",),
}
_META_CLASSES = ("comment-author", "comment-meta", "commentmetadata", "comment-metadata", "reply",
                 "comment-awaiting-moderation", "says", "wp-block-comment-author-name", "wp-block-comment-date",
                 "wp-block-comment-reply-link", "wp-block-comment-edit-link", "avatar")


def _cid(el: Any) -> str:
    """The comment's id: the digits of ``comment-<id>`` (``li-comment-<id>`` in some themes)."""
    return str(el.get("id", "")).rpartition("comment-")[2]


def _comments(doc: Any) -> list[Any]:
    return [el for el in doc.xpath(_COMMENTS) if _cid(el).isdigit()]


def _comments_once(doc: Any, _seen: dict[int, tuple[Any, list[Any]]] = {}) -> list[Any]:  # noqa: B006
    """The comments of the page, found once for detect() and read()."""
    cached = _seen.get(id(doc))
    if cached is None or cached[0] is not doc:
        _seen.clear()
        cached = _seen[id(doc)] = (doc, _comments(doc))
    return cached[1]


def detect(doc: Any) -> bool:
    """True when the page holds WordPress comment markup."""
    return bool(_comments_once(doc))


def read(ctx: Context, doc: Any) -> list[dict[str, Any]]:
    """Read a WordPress page: the post as the root, its comments nested by containment."""
    items = _comments_once(doc)
    members = set(items)
    parents = tree_parents(items)
    section = set(doc.xpath(_SECTION)) | members
    post_id = _post_id(doc)
    page = Page(ctx, "wp", page_key(doc, ctx, post_id or ""))
    root_uid = page.uid("post")
    _root(ctx, doc, page, root_uid, section)
    for el in items:
        def nested(e: Any, el: Any = el) -> bool:
            return (e in members and e is not el) or (e.tag in ("ol", "ul") and has_class(e, "children"))
        cid = _cid(el)
        parent = parents[el]
        parent_uid = page.uid(f"c{_cid(parent)}") if parent is not None else root_uid
        line = el.sourceline
        where = f"comment-{cid}"
        if has_class(el, "pingback", "trackback"):
            link = own_first(el, nested, lambda e: e.tag == "a" and not is_chrome_element(e))
            shown = text_of(link) if link is not None else ""
            page.add(uid=page.uid(f"c{cid}"), parent=parent_uid, author=shown.rsplit(" | ", 1)[-1].strip(),
                     when=None, text="", el=el, kind="pingback",
                     extra={"linking_post": shown, "url": link.get("href")} if link is not None else None)
            continue
        got = own_firsts(el, nested, _PARTS, {"time": "time"})
        author_el = got.get("name", got.get("author"))
        author = text_of(author_el).removesuffix("says:").strip() if author_el is not None else ""
        when = time_of(ctx, got.get("time"), where, line)
        if when is None and got.get("meta") is not None:
            when = parse_when(ctx, text_of(got["meta"]).replace("(Edit)", "").strip(), line or 0)
        content = got.get("content")
        if content is None:
            content = got.get("body", el)
            skip = lambda e, nested=nested: nested(e) or has_class(e, *_META_CLASSES)  # noqa: E731
        else:
            skip = nested
        text = text_of(content, skip)
        status = "pending" if got.get("moderation") is not None else "ok"
        gone = gone_status(text)
        if gone:
            status, text = gone, ""
        page.add(uid=page.uid(f"c{cid}"), parent=parent_uid, author=author, when=when, text=text, el=el,
                 status=status)
    _comments_once.__defaults__[0].clear()  # type: ignore[index]  # the page is read: let it go
    ctx.read_as("wordpress", "native")
    return page.records


def _post_id(doc: Any) -> str | None:
    art = first(doc, "//article[starts-with(@id, 'post-')]")
    if art is not None and art.get("id")[5:].isdigit():
        return str(art.get("id")[5:])
    body = first(doc, "//body")
    for token in (body.get("class") or "").split() if body is not None else ():
        if token.startswith("postid-") and token[7:].isdigit():
            return token[7:]
    return None


def _root(ctx: Context, doc: Any, page: Page, uid: str, section: set[Any]) -> None:
    from .page import article_root

    def in_section(e: Any) -> bool:
        return e in section

    art = article_root(doc, exclude=lambda e: any(s in section for s in e.iterancestors()) or e in section)
    title_el = first(art, ".//*[" + xp_class("entry-title") + " or " + xp_class("wp-block-post-title") + "]") \
        if art is not None else None
    title = text_of(title_el) if title_el is not None else title_of(doc)
    author_el = None
    if art is not None:
        author_el = first_of(art, (
            ".//*[(" + xp_class("author") + " or " + xp_class("byline") + ")]//*[" + xp_class("fn") + " or self::a]",
            ".//a[@rel='author']",
            ".//*[" + xp_class("wp-block-post-author-name") + "]",
        ))
    author = text_of(author_el) if author_el is not None else (meta(doc, "author") or "")
    time_el = first(art, ".//time[@datetime]") if art is not None else None
    when = time_of(ctx, time_el, "post", getattr(time_el, "sourceline", None))
    if when is None:
        published = meta(doc, "article:published_time")
        shown = first(art, ".//*[" + xp_class("entry-date") + " or " + xp_class("published") + "]") \
            if art is not None else None
        if published:
            when = parse_when(ctx, published, 1)
        elif shown is not None and text_of(shown):
            when = parse_when(ctx, text_of(shown), shown.sourceline or 0)
    body = first(art, ".//*[" + xp_class("entry-content") + " or " + xp_class("wp-block-post-content") + "]") \
        if art is not None else None
    text = text_of(body if body is not None else art, in_section) if art is not None else ""
    if title and text.startswith(title):
        text = text[len(title):].lstrip()
    page.add(uid=uid, parent=None, author=author, when=when, text=normalise_whitespace(text), el=art,
             kind="post", title=title, url=meta(doc, "og:url"))
