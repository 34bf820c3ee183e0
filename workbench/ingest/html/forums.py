"""Flat forums: Discourse (the server-rendered page) and phpBB (prosilver).

A forum topic is flat: the first post opens it (the root unit, with the topic's title)
and the others answer it, in page order. Where a post quotes a numbered post, the
quoted post's unit id goes into ``extra["replies_to"]``.

Discourse renders a page for readers without scripts (``topics/show.html.erb``): each
post is ``div.topic-body.crawler-post#post_<n>`` in a ``DiscussionForumPosting``
(replies carry ``itemprop="comment"``), with ``.creator [itemprop=name]``, the time in
``.crawler-post-infos`` (``time[datetime]`` or ``meta[itemprop=datePublished]``), the
post number in ``[itemprop=position]`` and the text in ``div.post[itemprop=text]``; a
quote is ``aside.quote`` with ``data-post`` (the quoted post's number).

phpBB's prosilver theme (``viewtopic_body.html``) writes each post as ``div.post#p<id>``
with the poster in ``dl.postprofile`` (``a.username`` / ``a.username-coloured``), the time
in ``p.author time[datetime]`` (3.2+; the text after » before), the text in
``div.content``; a quote is a ``blockquote`` whose ``cite`` links the quoted post
(``data-post-id``). A soft-deleted post has class ``deleted``; an unapproved one shows
``p.post-notice.unapproved``.
"""

from __future__ import annotations

from typing import Any

from .._common import Context
from .._text import element_text
from ..pasted._engine import gone_status, parse_when
from .page import Page, first, first_of, has_class, meta, page_key, text_of, time_of, title_of, xp_class

__all__ = ["detect_discourse", "read_discourse", "detect_phpbb", "read_phpbb"]


def _drop(el: Any) -> None:
    """Remove an element, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _status_text(text: str) -> tuple[str, str]:
    gone = gone_status(text)
    return (gone, "") if gone else ("ok", text)


# --------------------------------------------------------------------------- Discourse
def detect_discourse(doc: Any) -> bool:
    """True for Discourse's server-rendered topic page."""
    return bool(doc.xpath("//div[" + xp_class("crawler-post") + "]"))


def read_discourse(ctx: Context, doc: Any) -> list[dict[str, Any]]:
    """Read a Discourse topic (see the module docstring)."""
    posts = doc.xpath("//div[" + xp_class("crawler-post") + "]")
    topic = meta(doc, "discourse:topic-id") or ""
    page = Page(ctx, "discourse", page_key(doc, ctx, topic))
    title_el = first_of(doc, ("//*[@id='topic-title']//h1", "//h1"))
    title = text_of(title_el) if title_el is not None else title_of(doc)
    root_uid: str | None = None
    by_number: dict[str, str] = {}
    for post in posts:
        number = (post.get("id") or "").removeprefix("post_")
        position = first(post, ".//*[@itemprop='position']")
        if not number.isdigit() and position is not None:
            number = text_of(position)
        uid = page.uid(f"p{number}" if number.isdigit() else None)
        author_el = first_of(post, (".//*[" + xp_class("creator") + "]//*[@itemprop='name']",
                                    ".//*[" + xp_class("creator") + "]//a", ".//*[" + xp_class("creator") + "]"))
        when = time_of(ctx, first_of(post, (".//time[@datetime]", ".//meta[@itemprop='datePublished']")), uid,
                       post.sourceline)
        if when is None:
            infos = first(post, ".//*[" + xp_class("crawler-post-infos") + "]")
            shown = text_of(infos, lambda e: e.get("itemprop") == "position") if infos is not None else ""
            when = parse_when(ctx, shown.replace("am", " am").replace("pm", " pm"), post.sourceline or 0) \
                if shown else None
        body = first_of(post, (".//div[@itemprop='text']", ".//div[" + xp_class("post") + "]"))
        text = text_of(body) if body is not None else ""
        status, text = _status_text(text)
        extra = None
        if body is not None:
            asides = body.xpath(".//aside[" + xp_class("quote") + "][@data-post]")
            here = [q.get("data-post") for q in asides if not topic or q.get("data-topic") in (None, topic)]
            target = next((by_number[q] for q in here if q in by_number), None)
            if target is not None and target != root_uid:
                extra = {"replies_to": target}
            elif asides and not here:
                extra = {"quotes_other_topic": asides[0].get("data-topic")}
            elif here and not any(q in by_number for q in here):
                ctx.note(f"quotes post #{here[0]}, which is not on this page; kept without replies_to",
                         line=post.sourceline, record=uid, field="replies_to")
        rec = page.add(uid=uid, parent=root_uid, author=text_of(author_el) if author_el is not None else "",
                       when=when, text=text, el=post, status=status, extra=extra,
                       kind="post" if root_uid is None else "_auto", title=title if root_uid is None else None)
        if number.isdigit():
            by_number[number] = rec["unit_id"]
        if root_uid is None:
            root_uid = rec["unit_id"]
    ctx.read_as("discourse", "native")
    return page.records


# --------------------------------------------------------------------------- phpBB
_POSTS = "//div[" + xp_class("post") + " and starts-with(@id, 'p')][.//div[" + xp_class("postbody") + "]]"


def detect_phpbb(doc: Any) -> bool:
    """True for a phpBB (prosilver) topic page."""
    return bool(doc.xpath(_POSTS))


def read_phpbb(ctx: Context, doc: Any) -> list[dict[str, Any]]:
    """Read a phpBB topic (see the module docstring)."""
    posts = [p for p in doc.xpath(_POSTS) if (p.get("id") or "")[1:].isdigit()]
    title_el = first_of(doc, ("//h2[" + xp_class("topic-title") + "]", "//h2"))
    title = text_of(title_el) if title_el is not None else title_of(doc)
    topic = meta(doc, "og:url") or ""
    page = Page(ctx, "phpbb", page_key(doc, ctx, topic))
    root_uid: str | None = None
    by_post: dict[str, str] = {}
    by_author: dict[str, list[tuple[str, str]]] = {}
    for cite in doc.xpath("//blockquote//cite"):
        # the quote's attribution on its own line, without the jump link and the date
        for extra_el in cite.xpath(".//a[@data-post-id] | .//*[" + xp_class("responsive-hide") + "]"):
            _drop(extra_el)
        cite.tail = "\n" + (cite.tail or "")
    for post in posts:
        pid = post.get("id")[1:]
        uid = page.uid(f"p{pid}")
        author_el = first_of(post, (".//dl[" + xp_class("postprofile") + "]//a[" + xp_class("username") + " or "
                                    + xp_class("username-coloured") + "]",
                                    ".//p[" + xp_class("author") + "]//*[" + xp_class("username") + " or "
                                    + xp_class("username-coloured") + "]",
                                    ".//dl[" + xp_class("postprofile") + "]//dt//strong",
                                    ".//p[" + xp_class("author") + "]//strong"))
        author = text_of(author_el) if author_el is not None else ""
        byline = first(post, ".//p[" + xp_class("author") + "]")
        when = time_of(ctx, first(byline, ".//time[@datetime]") if byline is not None else None, uid, post.sourceline)
        if when is None and byline is not None:
            shown = text_of(byline).rsplit("»", 1)[-1].strip()
            when = parse_when(ctx, shown, post.sourceline or 0) if shown else None
        content = first(post, ".//div[" + xp_class("content") + "]")
        text = text_of(content) if content is not None else ""
        status = "ok"
        if has_class(post, "deleted"):
            status, text = "deleted", ""
        elif first(post, ".//p[" + xp_class("post-notice") + " and " + xp_class("unapproved") + "]") is not None:
            status = "pending"
        else:
            status, text = _status_text(text)
        extra = None
        if content is not None:
            target = None
            for quote in content.xpath(".//blockquote"):
                source = quote.get("cite") or ""
                pid_quoted = source.rpartition("#p")[2] if "#p" in source else ""
                cite = first(quote, ".//cite")
                if pid_quoted.isdigit():
                    target = by_post.get(pid_quoted)
                elif cite is not None:
                    said = element_text(quote, skip=lambda e: e.tag == "cite", quotes=False)[:100]
                    earlier = by_author.get(text_of(cite).split(" wrote", 1)[0].strip(), [])
                    target = next((u for u, t in reversed(earlier) if said and said in t), None) or (
                        earlier[-1][0] if earlier else None)
                if target is not None:
                    break
            if target is not None and target != root_uid:
                extra = {"replies_to": target}
        subject_el = first(post, ".//h3//a")
        subject = text_of(subject_el) if subject_el is not None else ""
        if subject and root_uid is not None and subject.removeprefix("Re: ") != title:
            extra = {**(extra or {}), "subject": subject}
        rec = page.add(uid=uid, parent=root_uid, author=author, when=when, text=text, el=post, status=status,
                       extra=extra, kind="post" if root_uid is None else "_auto",
                       title=title if root_uid is None else None)
        by_post[pid] = rec["unit_id"]
        if author:
            by_author.setdefault(author, []).append((rec["unit_id"], text))
        if root_uid is None:
            root_uid = rec["unit_id"]
    ctx.read_as("phpbb", "native")
    return page.records
