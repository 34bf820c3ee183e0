"""Saved pages of other sites: comment-like blocks found by structure, and how sure that is.

A comment on most sites is a block that repeats: an author, a time and a text, in
elements of the same tag and classes. The reader marks every author-like element
(``itemprop=author``, ``rel=author``, ``cite``, classes such as ``author``, ``username``,
``byline``) and every time-like element (``time``, ``datetime`` attributes, classes such
as ``date``, ``timestamp``), outside page chrome; the ancestors of those marks that
repeat with the same tag and classes are the candidate comments, and the group that
explains the most marks wins. Replies nest by containment: a block inside another
block (or inside the element that wraps it) answers it. The report says the structure
was inferred, from what, and with what confidence: the share of blocks with an author,
a time and a text, lowered when there are few.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from .._common import Context
from .._text import normalise_whitespace
from ..pasted._engine import gone_status, parse_when
from .page import (
    Page,
    article_root,
    first,
    is_chrome_element,
    meta,
    own,
    page_key,
    text_content,
    text_of,
    time_of,
    title_of,
)

__all__ = ["read", "find_blocks", "MIN_CONFIDENCE"]

_AUTHOR_WORDS = frozenset({"author", "user", "username", "name", "nick", "nickname", "poster", "byline", "commenter",
                           "handle", "member", "from"})
_TIME_WORDS = frozenset({"date", "time", "timestamp", "when", "posted", "published", "ago", "datetime", "created"})
_PARTS = re.compile(r"[-_]")
_DIGITS = re.compile(r"\d+")
_UP = 8  # how far above a mark its comment block may start
#: Below this confidence the page is not read as a thread at all.
MIN_CONFIDENCE = 0.5


def _tokens(el: Any) -> list[str]:
    value = el.get("class")
    return value.split() if value else []


_CONTROL_WORDS = frozenset({"tools", "actions", "buttons", "btn", "button", "reply", "like", "likes", "share",
                            "report", "vote", "votes", "toolbar", "controls", "menu", "quote"})


def _is_control(el: Any) -> bool:
    """A button bar inside a comment ("Reply", "Like", "Share"): short text, a control-like class."""
    return bool(_words(el) & _CONTROL_WORDS) and len(text_content(el)) <= 60


def _words(el: Any) -> set[str]:
    return {w.lower() for t in _tokens(el) for w in _PARTS.split(t)}


def _is_author(el: Any) -> bool:
    if el.get("itemprop") == "author" or el.get("rel") == "author" or el.tag == "cite":
        return True
    return bool(_words(el) & _AUTHOR_WORDS) and 0 < len(text_content(el).strip()) <= 120


def _is_time(el: Any) -> bool:
    if el.tag == "time" or el.get("datetime") is not None:
        return True
    if not _words(el) & _TIME_WORDS:
        return False
    shown = text_content(el)
    return len(shown) <= 80 and any(c.isdigit() for c in shown)


def _signature(el: Any) -> tuple[Any, ...]:
    """Tag and classes (digits ignored); for an element without classes, its parent's too."""
    own = (el.tag, tuple(sorted({_DIGITS.sub("#", t) for t in _tokens(el)})))
    if own[1]:
        return own
    parent = el.getparent()
    return own + ((parent.tag, tuple(sorted(_tokens(parent)))) if parent is not None else ())


def _in_chrome(el: Any, cache: dict[Any, bool]) -> bool:
    path = []
    node = el
    verdict = False
    while node is not None:
        if node in cache:
            verdict = cache[node]
            break
        path.append(node)
        if isinstance(node.tag, str) and is_chrome_element(node):
            verdict = True
            break
        node = node.getparent()
    for n in path:
        cache[n] = verdict
    return verdict


def find_blocks(doc: Any) -> tuple[list[Any], dict[str, Any]]:
    """The repeated comment-like blocks of a page and what they were found from."""
    authors: list[Any] = []
    times: list[Any] = []
    chrome: dict[Any, bool] = {}
    for el in doc.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "head", "script", "style"):
            continue
        a, t = _is_author(el), _is_time(el)
        if (a or t) and not _in_chrome(el, chrome):
            if a:
                authors.append(el)
            if t:
                times.append(el)
    flags: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for k, marks in enumerate((authors, times)):
        for mark in marks:
            for depth, anc in enumerate(mark.iterancestors()):
                if depth >= _UP or anc.tag in ("body", "html"):
                    break
                flags[anc][k] = 1
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for el, (has_author, has_time) in flags.items():
        if has_author and has_time:
            groups[_signature(el)].append(el)
    # each mark counts for the nearest ancestor of each group: one walk of <= _UP ancestors per mark,
    # whatever the number of groups (a loop over groups and marks would be quadratic on a page of many)
    sig_of = {el: sig for sig, els in groups.items() if len(els) >= 2 for el in els}
    own_marks: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for k, marks in enumerate((authors, times)):
        for mark in marks:
            seen: set[Any] = set()
            for depth, anc in enumerate(mark.iterancestors()):
                if depth >= _UP:
                    break
                sig = sig_of.get(anc)
                if sig is not None and sig not in seen:
                    seen.add(sig)
                    own_marks[anc][k] += 1
    best: tuple[Any, ...] | None = None
    for sig, els in groups.items():
        if len(els) < 2:
            continue
        good = [el for el in els if 1 <= own_marks[el][0] <= 2 and 1 <= own_marks[el][1] <= 3 and _has_body(el)]
        if len(good) < 2:
            continue
        key = (len(good), len(good) / len(els), -sum(len(el) for el in good) / len(good))
        if best is None or key > best[0]:
            best = (key, sig, good, len(els))
    if best is None:
        return [], {"authors": len(authors), "times": len(times)}
    _, sig, good, total = best
    members = set(good)
    ordered = [el for el in doc.iter() if el in members]
    return ordered, {"signature": sig, "candidates": total, "authors": len(authors), "times": len(times)}


def _has_body(el: Any) -> bool:
    total = len(text_content(el).strip())
    marks = sum(len(text_content(e)) for e in el.iter() if isinstance(e.tag, str) and e is not el
                and (_is_author(e) or _is_time(e)) and e.getparent() is not None and not _is_author(e.getparent()))
    return total - marks > 3


def read(ctx: Context, doc: Any) -> list[dict[str, Any]] | None:
    """Read a page of another site by its repeated comment blocks; None when there are none."""
    blocks, found = find_blocks(doc)
    if not blocks:
        return None
    wrapper: dict[Any, Any] = {}
    siblings = Counter(b.getparent() for b in blocks)  # blocks per parent, counted once (not per block: quadratic)
    for b in blocks:
        parent = b.getparent()
        alone = parent is not None and siblings[parent] == 1
        wrapper[b] = parent if alone and parent.tag not in ("body", "main") else b
    owner = {w: b for b, w in wrapper.items()}
    owner.update({b: b for b in blocks})
    page = Page(ctx, "page", page_key(doc, ctx))
    root_uid = page.uid("post")
    area = {w for w in owner}
    art = article_root(doc, exclude=lambda e: e in area or any(a in area for a in e.iterancestors()))
    if art is None:  # no article element: the heading's block, when it holds none of the comments
        h1 = first(doc, "//h1")
        box = h1.getparent() if h1 is not None else None
        if box is not None and box.tag not in ("body", "html") and not any(e in area for e in box.iter()):
            art = box
    title = title_of(doc)
    text = text_of(art, lambda e: e in area) if art is not None else ""
    if title and text.startswith(title):
        text = text[len(title):].lstrip()
    author_el = first(art, ".//*[@rel='author' or @itemprop='author']") if art is not None else None
    page.add(uid=root_uid, parent=None, author=text_of(author_el) if author_el is not None else (meta(doc, "author")
             or ""), when=time_of(ctx, first(art, ".//time[@datetime]"), "post", None) if art is not None else None,
             text=normalise_whitespace(text), el=art, kind="post", title=title, url=meta(doc, "og:url"))
    uid_of: dict[Any, str] = {}
    used: set[str] = set()
    with_author = with_time = with_text = 0
    for n, b in enumerate(blocks, start=1):
        parent_uid = root_uid
        for anc in b.iterancestors():
            hit = owner.get(anc)
            if hit is not None and hit is not b:
                parent_uid = uid_of.get(hit, root_uid)
                break

        def nested(e: Any, b: Any = b) -> bool:
            return e is not b and e in owner and owner[e] is not b

        author_el = next((e for e in own(b, nested) if _is_author(e)), None)
        time_el = next((e for e in own(b, nested) if _is_time(e)), None)
        when = time_of(ctx, time_el, f"block {n}", b.sourceline) if time_el is not None and (
            time_el.get("datetime") or time_el.get("title")) else None
        if when is None and time_el is not None:
            when = parse_when(ctx, text_of(time_el), b.sourceline or 0)
        marks = {author_el, time_el} - {None}

        def leave_out(e: Any, nested: Any = nested, marks: set[Any] = marks) -> bool:
            return bool(nested(e)) or e in marks or _is_control(e)
        body = text_of(b, leave_out)
        status = gone_status(body) or "ok"
        if status != "ok":
            body = ""
        uid = page.uid(b.get("id") or f"b{n}")
        if uid in used:
            uid = page.uid(f"b{n}")
        uid_of[b] = uid
        used.add(uid)
        with_author += int(author_el is not None)
        with_time += int(when is not None)
        with_text += int(bool(body) or status != "ok")
        page.add(uid=uid, parent=parent_uid, author=text_of(author_el) if author_el is not None else "",
                 when=when, text=body, el=b, status=status)
    total = len(blocks)
    confidence = round((with_author / total) * (with_time / total) * (with_text / total) * (1 - 1 / (total + 1)), 2)
    tag, cls = found["signature"][:2]
    shown = f"<{tag}{' class=' + repr(' '.join(cls)) if cls else ''}>"
    if confidence < MIN_CONFIDENCE:
        ctx.note(f"repeated blocks {shown} looked a little like comments ({total} of them, author in {with_author}, "
                 f"time in {with_time}), but the confidence {confidence:.2f} is below {MIN_CONFIDENCE}: "
                 "not read as a thread", kind="note")
        return None
    ctx.read_as(None, "inferred", confidence=confidence)
    ctx.note(f"no known platform's markup: the thread structure was inferred from {total} repeated blocks "
             f"{shown} (author in {with_author}, time in {with_time}, text in {with_text}); confidence "
             f"{confidence:.2f}. Check the units against the page", kind="structure")
    return page.records
