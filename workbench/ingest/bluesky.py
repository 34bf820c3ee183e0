"""Bluesky: the ``app.bsky.feed.getPostThread`` response.

``thread`` is a ``#threadViewPost`` (``post``, ``parent``, ``replies``); ``parent`` and
``replies`` may also be ``#notFoundPost`` (kept as a ``deleted`` placeholder) or
``#blockedPost`` (kept as ``missing``). Unit ids are ``bsky:<at-uri>``; the parent is
``record.reply.parent.uri`` and the thread is ``record.reply.root.uri``. An at-uri may
name its author by handle (``at://carol.bsky.social/...``) or by ``did:web`` (a domain):
in ids the author is always the opaque ``did:plc`` the thread gives for that handle,
else a hash of the handle, so no id carries a name. Post text is
plain text and is never HTML-unescaped (``&amp;`` typed by a person stays ``&amp;``);
only whitespace is normalised.
"""

from __future__ import annotations

from typing import Any

from ._common import Context, load_json, name_key, normalise_whitespace, to_utc

__all__ = ["read_bluesky"]


def read_bluesky(ctx: Context) -> list[dict[str, Any]]:
    """Read a Bluesky getPostThread JSON response (see the module docstring)."""
    doc = load_json(ctx)
    if not isinstance(doc, dict) or not isinstance(doc.get("thread"), dict):
        raise ctx.error("expected a getPostThread response: an object with a 'thread'", field="thread")
    # walk up the parent chain, then down the replies, in display order
    chain = []
    node = doc["thread"]
    while isinstance(node, dict):
        chain.append(node)
        node = node.get("parent")
    chain.reverse()
    nodes: list[tuple[dict[str, Any], str | None]] = []  # (view, structural parent uri)
    prev = None
    for view in chain[:-1]:
        nodes.append((view, prev))
        prev = _uri(view)
    stack = [(chain[-1], prev)]
    while stack:
        view, parent = stack.pop()
        nodes.append((view, parent))
        kids = [k for k in view.get("replies") or [] if isinstance(k, dict)]
        stack.extend((k, _uri(view)) for k in reversed(kids))
    # the thread: the root uri named by the posts themselves
    root = None
    for view, _ in nodes:
        rec = (view.get("post") or {}).get("record") or {}
        root = ((rec.get("reply") or {}).get("root") or {}).get("uri")
        if root:
            break
    root = root or _uri(chain[0])
    dids = _dids(nodes)

    def uid(uri: str) -> str:
        return f"bsky:{_anonymous(uri, dids)}"

    tid = uid(root) if root else "bsky:"
    records = []
    for i, (view, structural) in enumerate(nodes):
        uri = _uri(view)
        if not uri:
            ctx.problem("a thread view without a uri", record=f"node {i}", field="uri")
            continue
        if view.get("notFound") or view.get("blocked") or "post" not in view:
            records.append({
                "unit_id": uid(uri), "thread_id": tid,
                "parent_id": uid(structural) if structural and uri != root else None,
                "author": ((view.get("author") or {}).get("handle") or ""), "text": "", "kind": "reply",
                "status": "missing" if view.get("blocked") else "deleted",
                "extra": {"blocked": True} if view.get("blocked") else None,
            })
            continue
        post = view["post"]
        rec = post.get("record") or {}
        if "text" not in rec:
            ctx.problem("a post whose record has no 'text'", record=uri, field="record.text")
            continue
        parent = ((rec.get("reply") or {}).get("parent") or {}).get("uri")
        author = post.get("author") or {}
        try:
            when = to_utc(rec.get("createdAt") or post.get("indexedAt"))
        except (ValueError, TypeError):
            ctx.note(f"unreadable createdAt {rec.get('createdAt')!r}", record=uri, field="createdAt")
            when = None
        rkey = uri.rsplit("/", 1)[-1]
        records.append({
            "unit_id": uid(uri), "thread_id": tid, "parent_id": uid(parent) if parent else None,
            "author": str(author.get("handle") or author.get("did") or ""),
            "posted_at": when, "text": normalise_whitespace(str(rec["text"])),
            "kind": "reply" if parent else "post", "status": "ok",
            "url": f"https://bsky.app/profile/{author.get('handle') or author.get('did')}/post/{rkey}"
            if author else None,
            "extra": {k: v for k, v in (("did", author.get("did")), ("display_name", author.get("displayName")),
                                        ("langs", rec.get("langs"))) if v} or None,
        })
    return records


def _dids(nodes: list[tuple[dict[str, Any], str | None]]) -> dict[str, str]:
    """Each author's handle (lower case) -> their ``did:plc``, from the thread's own posts."""
    out: dict[str, str] = {}
    for view, _ in nodes:
        for author in ((view.get("post") or {}).get("author"), view.get("author")):
            if isinstance(author, dict) and isinstance(author.get("handle"), str) \
                    and str(author.get("did") or "").startswith("did:plc:"):
                out.setdefault(author["handle"].lower(), author["did"])
    return out


def _anonymous(uri: str, dids: dict[str, str]) -> str:
    """An at-uri whose authority is an opaque ``did:plc``: a handle or ``did:web`` becomes one, or a hash.

    Examples
    --------
    >>> _anonymous("at://carol.bsky.social/app.bsky.feed.post/3k2a", {"carol.bsky.social": "did:plc:c4"})
    'at://did:plc:c4/app.bsky.feed.post/3k2a'
    >>> _anonymous("at://did:web:carol.example/app.bsky.feed.post/3k2a", {})
    'at://key-9964e0058a/app.bsky.feed.post/3k2a'
    """
    text = str(uri)
    if not text.startswith("at://"):
        return f"key-{name_key(text)}"
    authority, sep, path = text[5:].partition("/")
    if authority.startswith("did:plc:"):
        return text
    did = dids.get(authority.lower())
    return f"at://{did or 'key-' + name_key(authority.lower())}{sep}{path}"


def _uri(view: dict[str, Any]) -> str | None:
    if "post" in view and isinstance(view["post"], dict):
        return view["post"].get("uri")
    return view.get("uri")
