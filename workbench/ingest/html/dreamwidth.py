"""Dreamwidth and LiveJournal entry pages with their comments.

Dreamwidth (the S2 ``core2`` layer, ``EntryPage::print_comments``) nests one
``div.comment-thread`` per comment, with ``data-comment-depth``; inside it
``div.dwexpcomment#cmt<id>`` holds ``div.comment-wrapper`` (classes ``deleted``,
``screened``, ``partial`` for a collapsed comment) around ``div.comment``: the subject in
``.comment-title``, the time in ``.datetime``, the poster in ``.comment-poster .ljuser``
(``lj:user``), the text in ``.comment-content``. The entry: ``div.entry`` with
``.entry-title``, ``.entry-content``, ``.poster .ljuser`` and ``.datetime``.

LiveJournal's current pages list comments flat as ``div.b-tree-twig.b-tree-twig-<depth>``
(``data-tid="t<id>"``), each holding ``div.b-leaf`` (``data-username``,
``data-updated-ts``; ``b-leaf-clipped`` for a deleted one) with ``.b-leaf-subject`` and
``.b-leaf-article``; the depth class gives the tree.
"""

from __future__ import annotations

from typing import Any

from .._common import Context, to_utc
from ..pasted._engine import parse_when
from .page import Page, first, first_of, has_class, meta, own_first, page_key, text_of, title_of, xp_class

__all__ = ["detect", "read"]


def detect(doc: Any) -> bool:
    """True for Dreamwidth (``.dwexpcomment``) or LiveJournal (``.b-tree-twig``) comment markup."""
    return bool(doc.xpath("//div[" + xp_class("dwexpcomment") + "] | //div[" + xp_class("b-tree-twig") + "]"))


def _poster(el: Any) -> str:
    if el is None:
        return ""
    user = None  # the attribute is named 'lj:user' (no namespace in HTML): look it up by that name
    for node in el.iter():
        if isinstance(node.tag, str) and node.get("lj:user"):
            user = node.get("lj:user")
            break
    return str(user) if user else text_of(el).removeprefix("From:").strip()


def read(ctx: Context, doc: Any) -> list[dict[str, Any]]:
    """Read a Dreamwidth or LiveJournal entry and its comments."""
    if doc.xpath("//div[" + xp_class("b-tree-twig") + "]"):
        return _read_lj(ctx, doc)
    entry = first(doc, "//div[" + xp_class("entry") + "]")
    entry_id = (entry.get("id") or "").removeprefix("entry-") if entry is not None else ""
    page = Page(ctx, "dw", page_key(doc, ctx, entry_id))
    root_uid = page.uid("entry")
    _entry(ctx, doc, page, root_uid, entry)
    stack: list[tuple[int, str]] = []
    for box in doc.xpath("//div[" + xp_class("dwexpcomment") + "]"):
        cid = (box.get("id") or "").removeprefix("cmt") or f"n{len(page.records)}"
        thread = box.getparent()
        try:
            depth = int(thread.get("data-comment-depth") or 0)
        except ValueError:
            depth = 0
        if not depth:  # an older layout: count the enclosing comment threads
            depth = sum(1 for a in box.iterancestors() if has_class(a, "comment-thread"))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else root_uid
        uid = page.uid(f"c{cid}")
        stack.append((depth, uid))
        wrapper = first(box, ".//div[" + xp_class("comment-wrapper") + "]")
        status = "ok"
        if wrapper is not None and has_class(wrapper, "deleted"):
            status = "deleted"
        elif wrapper is not None and has_class(wrapper, "screened"):
            status = "pending"
        elif wrapper is not None and has_class(wrapper, "from-suspended"):
            status = "removed"
        partial = wrapper is not None and has_class(wrapper, "partial")

        def stop(e: Any) -> bool:
            return has_class(e, "dwexpcomment", "comment-thread")
        subject_el = own_first(box, stop, lambda e: has_class(e, "comment-title"))
        subject = text_of(subject_el) if subject_el is not None else ""
        poster_el = own_first(box, stop, lambda e: has_class(e, "comment-poster"))
        if poster_el is None and partial:
            poster_el = own_first(box, stop, lambda e: has_class(e, "ljuser"))
        author = "" if status not in ("ok", "pending") else _poster(poster_el)
        if author in ("(Anonymous)", "Anonymous"):
            author = ""
        date_el = own_first(box, stop, lambda e: has_class(e, "datetime"))
        when = parse_when(ctx, text_of(date_el).removeprefix("Date:").strip(), box.sourceline or 0) \
            if date_el is not None and text_of(date_el) else None
        content = own_first(box, stop, lambda e: has_class(e, "comment-content"))
        text = text_of(content, lambda e: has_class(e, "edittime")) \
            if content is not None and status in ("ok", "pending") else ""
        extra: dict[str, Any] = {}
        if subject and subject not in ("(no subject)",):
            extra["subject"] = subject.removeprefix("(screened comment)").strip()
        if partial and status == "ok":
            status = "missing"
            ctx.note(f"comment {cid} was collapsed on the saved page (only its subject and poster were shown); "
                     "kept as a 'missing' placeholder: expand all threads before saving the page",
                     line=box.sourceline, record=uid, field="text", kind="missing")
        page.add(uid=uid, parent=parent, author=author, when=when, text=text, el=box, status=status,
                 extra={k: v for k, v in extra.items() if v} or None)
    ctx.read_as("dreamwidth", "native")
    return page.records


def _entry(ctx: Context, doc: Any, page: Page, uid: str, entry: Any) -> None:
    title_el = first(entry, ".//*[" + xp_class("entry-title") + "]") if entry is not None else None
    poster = first(entry, ".//*[" + xp_class("poster") + "]") if entry is not None else None
    date_el = first(entry, ".//*[" + xp_class("datetime") + "]") if entry is not None else None
    body = first(entry, ".//*[" + xp_class("entry-content") + "]") if entry is not None else None
    shown = text_of(date_el) if date_el is not None else ""
    page.add(uid=uid, parent=None, author=_poster(poster), kind="post",
             when=parse_when(ctx, shown, getattr(date_el, "sourceline", 0) or 0) if shown else None,
             text=text_of(body) if body is not None else "", el=entry,
             title=text_of(title_el) if title_el is not None else title_of(doc), url=meta(doc, "og:url"))


def _read_lj(ctx: Context, doc: Any) -> list[dict[str, Any]]:
    page = Page(ctx, "lj", page_key(doc, ctx))
    root_uid = page.uid("entry")
    post = first_of(doc, ("//article[" + xp_class("b-singlepost-body") + "]",
                          "//*[" + xp_class("b-singlepost-bodywrapper") + "]", "//*[" + xp_class("entry-content") + "]"))
    title_el = first_of(doc, ("//*[" + xp_class("b-singlepost-title") + "]", "//*[" + xp_class("entry-title") + "]"))
    author_el = first(doc, "//*[" + xp_class("b-singlepost-author") + "]")
    author = _poster(author_el) if author_el is not None else (meta(doc, "article:author") or "")
    page.add(uid=root_uid, parent=None, author=author, when=None, text=text_of(post) if post is not None else "",
             el=post, kind="post", title=text_of(title_el) if title_el is not None else title_of(doc),
             url=meta(doc, "og:url"))
    stack: list[tuple[int, str]] = []
    for twig in doc.xpath("//div[" + xp_class("b-tree-twig") + "]"):
        depth = next((int(c[12:]) for c in (twig.get("class") or "").split()
                      if c.startswith("b-tree-twig-") and c[12:].isdigit()), 1)
        leaf = first(twig, "./div[" + xp_class("b-leaf") + "]")
        if leaf is None:
            continue
        cid = (twig.get("data-tid") or leaf.get("id") or "").lstrip("t") or f"n{len(page.records)}"
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else root_uid
        uid = page.uid(f"c{cid}")
        stack.append((depth, uid))
        deleted = has_class(leaf, "b-leaf-clipped", "b-leaf-deleted")
        collapsed = has_class(leaf, "b-leaf-collapsed") or leaf.get("data-full") == "0"
        stamp = leaf.get("data-updated-ts") or ""
        when = to_utc(int(stamp)) if stamp.isdigit() else None
        if when is None:
            shown = first(leaf, ".//*[" + xp_class("b-leaf-createdtime") + "]")
            when = parse_when(ctx, text_of(shown), leaf.sourceline or 0) if shown is not None else None
        article = first(leaf, ".//*[" + xp_class("b-leaf-article") + "]")
        subject = first(leaf, ".//*[" + xp_class("b-leaf-subject") + "]")
        status = "deleted" if deleted else ("missing" if collapsed and article is None else "ok")
        if status == "missing":
            ctx.note(f"comment {cid} was collapsed on the saved page; kept as a 'missing' placeholder (expand "
                     "all comments before saving)", line=leaf.sourceline, record=uid, field="text", kind="missing")
        page.add(uid=uid, parent=parent, author="" if deleted else (leaf.get("data-username") or ""), when=when,
                 text=text_of(article) if article is not None and not deleted else "", el=leaf, status=status,
                 extra={"subject": text_of(subject)} if subject is not None and text_of(subject) else None)
    ctx.read_as("livejournal", "native")
    return page.records
