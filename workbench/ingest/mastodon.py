"""Mastodon: a status with its context (``GET /api/v1/statuses/:id`` and ``/context``).

Accepted shapes: ``{"status": {...}, "context": {"ancestors": [...], "descendants": [...]}}``,
``{"status": {...}, "ancestors": [...], "descendants": [...]}``, a bare context
``{"ancestors": [...], "descendants": [...]}``, or a JSON array of statuses.

Status ids are local to the instance that answered, so unit ids are
``mastodon:<key>:<id>``, the key a hash of the instance's host (``instance=``, else the
host of a local account's URL; a one-person instance's host names that person), else
of the file's bytes. ``content`` is HTML and becomes plain text;
``spoiler_text`` is kept as ``content_warning``. Mastodon drops deleted statuses and
nulls their replies' ``in_reply_to_id``: such a reply (a descendant without a parent)
is kept as an orphan and reported.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from ._common import Context, html_to_text, load_json, name_key, to_utc

__all__ = ["read_mastodon"]


def read_mastodon(ctx: Context, *, instance: str | None = None) -> list[dict[str, Any]]:
    """Read a Mastodon status and its context (see the module docstring)."""
    doc = load_json(ctx)
    focus: dict[str, Any] | None = None
    ancestors: list[Any] = []
    descendants: list[Any] = []
    if isinstance(doc, list):
        descendants = doc
    elif isinstance(doc, dict):
        focus = doc.get("status") if isinstance(doc.get("status"), dict) else None
        ctxt: dict[str, Any] = doc["context"] if isinstance(doc.get("context"), dict) else doc
        ancestors = ctxt.get("ancestors") or []
        descendants = ctxt.get("descendants") or []
        if focus is None and "id" in doc and "content" in doc:
            focus = doc
        if focus is None and not ancestors and not descendants:
            raise ctx.error("expected a Mastodon status with its context: 'status' and 'ancestors'/"
                            "'descendants' (or a JSON array of statuses)")
    else:
        raise ctx.error("expected a JSON object or array of Mastodon statuses")
    items: list[tuple[str, int, Any]] = [("ancestors", i, s) for i, s in enumerate(ancestors)]
    if focus is not None:
        items.append(("status", 0, focus))
    items += [("descendants", i, s) for i, s in enumerate(descendants)]
    named = instance or _host(items)
    host = name_key(named) if named else ctx.source_key()[:10]
    statuses: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for group, i, s in items:
        where = group if group == "status" else f"{group}[{i}]"
        if not isinstance(s, dict) or s.get("id") in (None, ""):
            ctx.problem("a status without an 'id'", record=where, field="id")
            continue
        if "content" not in s:
            ctx.problem("a status without 'content'", record=where, field="content")
            continue
        if str(s["id"]) in seen:
            continue
        seen.add(str(s["id"]))
        statuses.append((group, s))
    by_id = {str(s["id"]): s for _, s in statuses}

    def top(sid: str) -> str:
        hops = set()
        while True:
            p = by_id.get(sid, {}).get("in_reply_to_id")
            if p is None or str(p) not in by_id or sid in hops:
                return str(p) if p is not None and str(p) not in by_id else sid
            hops.add(sid)
            sid = str(p)

    # the thread root: the top of the first status's chain
    first_root = top(str(statuses[0][1]["id"])) if statuses else ""
    tid = f"mastodon:{host}:{first_root}"
    records = []
    for group, s in statuses:
        sid = str(s["id"])
        parent = s.get("in_reply_to_id")
        acc = s.get("account") or {}
        inner = s.get("reblog") if isinstance(s.get("reblog"), dict) else None
        content = (inner or s).get("content") or ""
        parent_id: str | None
        if parent is None and group == "descendants":
            ctx.note("a reply without in_reply_to_id (its parent was probably deleted); kept as an orphan",
                     record=f"status {sid}", field="in_reply_to_id")
            parent_id = f"mastodon:{host}:deleted"
        else:
            parent_id = f"mastodon:{host}:{parent}" if parent is not None else None
        try:
            when = to_utc(s.get("created_at"))
        except (ValueError, TypeError):
            ctx.note(f"unreadable created_at {s.get('created_at')!r}", record=f"status {sid}", field="created_at")
            when = None
        records.append({
            "unit_id": f"mastodon:{host}:{sid}", "thread_id": tid, "parent_id": parent_id,
            "author": str(acc.get("acct") or acc.get("username") or ""),
            "posted_at": when, "text": html_to_text(str(content)),
            "kind": "boost" if inner else ("post" if parent_id is None else "reply"),
            "status": "ok", "content_warning": (s.get("spoiler_text") or None),
            "url": s.get("url") or s.get("uri"),
            "extra": {k: v for k, v in (("visibility", s.get("visibility")), ("language", s.get("language")),
                                        ("display_name", acc.get("display_name"))) if v} or None,
        })
    return records


def _host(items: list[tuple[str, int, Any]]) -> str | None:
    """The answering instance: the host of a local account (acct without '@')."""
    fallback = None
    for _, _, s in items:
        if not isinstance(s, dict):
            continue
        acc = s.get("account") or {}
        url = acc.get("url") or s.get("url") or ""
        h = urlparse(str(url)).netloc
        if h and "@" not in str(acc.get("acct", "@")):
            return h
        fallback = fallback or h
    return fallback
