"""Blogger / Blogspot pages: threaded comments and the classic comment list.

Threaded (Blogger's comment widget since 2012): ``<li class="comment" id="c<id>">`` in
``.comment-thread``, the author in ``cite.user``, the time as a link
``.datetime a`` whose address carries ``showComment=<epoch ms>``, the text in
``.comment-content`` (a removed comment: ``span.deleted-comment``), answers in
``.comment-replies`` > ``ol`` > ``li.comment``. Classic: ``dl#comments-block`` with
``dt.comment-author`` ("Name said..."), ``dd.comment-body`` and
``dd.comment-footer .comment-timestamp``. The post: ``.post.hentry`` with
``.post-title``, ``.post-body``, ``.post-author`` and ``abbr.published``/``time.published``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from .._common import Context, to_utc
from ..pasted._engine import gone_status, parse_when
from .page import Page, first, first_of, has_class, meta, own_first, page_key, text_of, time_of, title_of, tree_parents

__all__ = ["detect", "read"]

_THREADED = "//li[contains(concat(' ', normalize-space(@class), ' '), ' comment ') and starts-with(@id, 'c')]"


def _threaded(doc: Any) -> list[Any]:
    return [el for el in doc.xpath(_THREADED) if el.get("id", "")[1:].isdigit()]


def detect(doc: Any) -> bool:
    """True for Blogger comment markup (threaded or classic)."""
    if doc.xpath("//dl[@id='comments-block']"):
        return True
    return bool(_threaded(doc)) and bool(doc.xpath("//*[contains(@class, 'comment-thread')]"))


def _epoch_ms(ctx: Context, link: Any) -> Any:
    href = link.get("href", "") if link is not None else ""
    value = parse_qs(urlparse(href).query).get("showComment", [""])[0]
    if value.isdigit():
        return to_utc(int(value) / 1000)
    return None


def read(ctx: Context, doc: Any) -> list[dict[str, Any]]:
    """Read a Blogger post and its comments."""
    post_id = meta(doc, "postId") or ""
    page = Page(ctx, "blogger", page_key(doc, ctx, post_id))
    root_uid = page.uid("post")
    _root(ctx, doc, page, root_uid)
    items = _threaded(doc)
    if items:
        members = set(items)
        parents = tree_parents(items)
        for el in items:
            def nested(e: Any, el: Any = el) -> bool:
                return e in members
            cid = el.get("id")[1:]
            parent = parents[el]
            author_el = own_first(el, nested, lambda e: e.tag == "cite" or has_class(e, "user"))
            link = own_first(el, nested, lambda e: e.tag == "a" and e.getparent() is not None
                             and has_class(e.getparent(), "datetime"))
            when = _epoch_ms(ctx, link)
            if when is None and link is not None:
                when = parse_when(ctx, text_of(link), el.sourceline or 0)
            content = own_first(el, nested, lambda e: has_class(e, "comment-content"))
            text = text_of(content, nested) if content is not None else ""
            removed = own_first(el, nested, lambda e: has_class(e, "deleted-comment")) is not None
            status = "ok"
            if removed or gone_status(text):
                status = gone_status(text) or "deleted"
                text = ""
            page.add(uid=page.uid(f"c{cid}"), parent=page.uid(f"c{parent.get('id')[1:]}") if parent is not None
                     else root_uid, author=text_of(author_el) if author_el is not None else "", when=when,
                     text=text, el=el, status=status)
        ctx.read_as("blogger", "native")
        return page.records
    for k, dt in enumerate(doc.xpath("//dl[@id='comments-block']/dt")):
        anchor = first(dt, ".//a[@name]")
        cid = (dt.get("id") or (anchor.get("name") if anchor is not None else "") or f"n{k}").lstrip("c")
        body = dt.getnext()
        while body is not None and not has_class(body, "comment-body"):
            body = body.getnext()
        footer = body.getnext() if body is not None else None
        stamp = first(footer, ".//*[contains(@class, 'comment-timestamp')]//a") if footer is not None else None
        when = _epoch_ms(ctx, stamp)
        if when is None and stamp is not None:
            when = parse_when(ctx, text_of(stamp), dt.sourceline or 0)
        author = text_of(dt).removesuffix("said...").removesuffix("said…").strip()
        text = text_of(body) if body is not None else ""
        status = "ok"
        if gone_status(text):
            status, text = gone_status(text) or "deleted", ""
        page.add(uid=page.uid(f"c{cid}"), parent=root_uid, author=author, when=when, text=text, el=dt,
                 status=status)
    ctx.read_as("blogger", "native")
    return page.records


def _root(ctx: Context, doc: Any, page: Page, uid: str) -> None:
    post = first(doc, "//*[" + " or ".join(f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')"
                                          for c in ("hentry", "post")) + "][.//*[contains(@class, 'post-body')]]")
    title_el = first_of(post, (".//*[contains(@class, 'post-title')]",)) if post is not None else None
    title = text_of(title_el) if title_el is not None else title_of(doc)
    author_el = first_of(post, (".//*[contains(@class, 'post-author')]//*[contains(@class, 'fn')]",
                                ".//*[contains(@class, 'post-author')]//a",
                                ".//*[contains(@class, 'fn')]")) if post is not None else None
    time_el = first_of(post, (".//abbr[contains(@class, 'published')]", ".//time[@datetime]",
                              ".//*[contains(@class, 'published')][@title]")) if post is not None else None
    body = first(post, ".//*[contains(@class, 'post-body')]") if post is not None else None
    page.add(uid=uid, parent=None, author=text_of(author_el) if author_el is not None else "",
             when=time_of(ctx, time_el, "post", getattr(time_el, "sourceline", None)),
             text=text_of(body) if body is not None else "", el=post, kind="post", title=title,
             url=meta(doc, "og:url"))
