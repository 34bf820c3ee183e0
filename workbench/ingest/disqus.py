"""Disqus "Comments Export" XML.

``<thread dsq:id>`` elements describe the pages; ``<post dsq:id>`` elements are the
comments, flat, each naming its page with ``<thread dsq:id="..."/>`` and its parent
with ``<parent dsq:id="..."/>`` (the parent link is the attribute, not the text).
The page itself is not in the export, so each thread gets a root placeholder (kind
``post``, status ``missing``) with the page's title and link; comments on a thread
id that the file does not describe keep pointing at it and are flagged orphans.
Deleted posts stay as placeholders; spam is left out (reported) unless
``spam="keep"``. E-mail and IP addresses are never read. Ids are
``disqus:<key>:<post id>`` (and ``disqus:<key>:thread:<thread id>`` for a page), the key a
hash of the forum's short name, which often names the site's owner.
"""

from __future__ import annotations

from typing import Any

from ._common import AUTO_KIND, Context, child_text, html_to_text, local_name, name_key, ns_attr, parse_xml, to_utc

__all__ = ["read_disqus"]


def _true(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes")


def read_disqus(ctx: Context, *, spam: str = "exclude") -> list[dict[str, Any]]:
    """Read a Disqus comments export (see the module docstring)."""
    if spam not in ("exclude", "keep"):
        raise ValueError(f"spam must be 'exclude' or 'keep', not {spam!r}")
    root = parse_xml(ctx)
    if local_name(root.tag) != "disqus":
        raise ctx.error(f"the root element is <{local_name(root.tag)}>; a Disqus export starts with <disqus>")
    forum = ""
    threads: dict[str, dict[str, Any]] = {}
    posts = []
    for index, el in enumerate(root, start=1):
        name = local_name(el.tag)
        if name == "thread":
            did = ns_attr(el, "id")
            if not did:
                ctx.problem("a <thread> without dsq:id", record=f"element {index}", field="dsq:id")
                continue
            forum = forum or child_text(el, "forum").strip()
            if did in threads:
                continue  # exports repeat thread elements; the first wins
            threads[did] = {
                "title": html_to_text(child_text(el, "title")) or None,
                "url": child_text(el, "link").strip() or None,
                "created": child_text(el, "createdAt").strip(),
                "author": child_text(next((c for c in el if local_name(c.tag) == "author"), el), "name"),
                "deleted": _true(child_text(el, "isDeleted")),
            }
        elif name == "post":
            posts.append((index, el))
    prefix = f"disqus:{name_key(forum) if forum else ctx.source_key()[:10]}"  # a forum's name may name its owner
    records: list[dict[str, Any]] = []
    for did, t in threads.items():
        records.append({
            "unit_id": f"{prefix}:thread:{did}", "thread_id": f"{prefix}:thread:{did}", "parent_id": None,
            "author": t["author"].strip(), "posted_at": _time(ctx, t["created"], f"thread {did}"),
            "text": "", "kind": "post", "status": "missing", "title": t["title"], "url": t["url"],
        })
    n_spam = 0
    bar = ctx.bar(total=len(posts), desc="Reading", unit="post")
    for index, el in posts:
        bar.update(1)
        pid = ns_attr(el, "id")
        where = f"post {pid}" if pid else f"element {index}"
        if not pid:
            ctx.problem("a <post> without dsq:id", record=where, field="dsq:id")
            continue
        thread_el = next((c for c in el if local_name(c.tag) == "thread"), None)
        tref = ns_attr(thread_el, "id") if thread_el is not None else None
        if not tref:
            ctx.problem("a <post> without <thread dsq:id=...>", record=where, field="thread")
            continue
        if _true(child_text(el, "isSpam")):
            if spam == "exclude":
                n_spam += 1
                continue
            status = "spam"
        elif _true(child_text(el, "isDeleted")):
            status = "deleted"
        else:
            status = "ok"
        parent_el = next((c for c in el if local_name(c.tag) == "parent"), None)
        pref = ns_attr(parent_el, "id") if parent_el is not None else None
        author_el = next((c for c in el if local_name(c.tag) == "author"), None)
        author = ""
        if author_el is not None:
            author = (child_text(author_el, "name") or child_text(author_el, "username")).strip()
        thread = f"{prefix}:thread:{tref}"
        records.append({
            "unit_id": f"{prefix}:{pid}", "thread_id": thread,
            "parent_id": f"{prefix}:{pref}" if pref else thread,
            "author": "" if status == "deleted" else author,
            "posted_at": _time(ctx, child_text(el, "createdAt"), where),
            "text": "" if status == "deleted" else html_to_text(child_text(el, "message")),
            "kind": AUTO_KIND, "status": status,
        })
    bar.close()
    if n_spam:
        ctx.note(f"{n_spam} spam post(s) left out (pass spam='keep' to keep them flagged 'spam')", field="isSpam")
        ctx.skipped += n_spam
    return records


def _time(ctx: Context, value: str, where: str):
    try:
        return to_utc(value.strip() or None)
    except (ValueError, TypeError):
        ctx.note(f"unreadable createdAt {value!r} (expected YYYY-MM-DDTHH:MM:SSZ)", record=where, field="createdAt")
        return None
