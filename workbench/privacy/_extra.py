"""The ``extra`` column: what an ingester kept beside the text, walked for names like any text.

``extra`` holds a mapping per unit (or its JSON text): a Bluesky author's display name
and DID, a tweet's ``in_reply_to`` handle, a pingback's linking post and blog name.
:func:`walk` rebuilds such a value with every string replaced by a function, and the
person keys below name people outright: their values are replaced whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["AUTHOR_KEYS", "PERSON_KEYS", "leaves", "walk", "person_values"]

#: keys of ``extra`` whose value is another name of the unit's author (replaced by the author's pseudonym)
AUTHOR_KEYS: frozenset[str] = frozenset(
    {"author_name", "author_display_name", "display_name", "displayname", "did", "author_did", "screen_name",
     "user_name", "username"}
)
#: keys of ``extra`` whose value names another person (replaced by that person's pseudonym)
PERSON_KEYS: frozenset[str] = frozenset({"in_reply_to", "in_reply_to_screen_name", "reply_to", "parent_author"})

#: nesting beyond which a value is not walked further (its strings are blanked)
_MAX_DEPTH = 32


def _as_object(value: Any) -> tuple[Any, bool]:
    """The value, decoded when it is JSON text of a mapping or a list; and whether it was."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value), True
        except (ValueError, RecursionError):
            return value, False
    return value, False


def leaves(value: Any) -> Iterator[str]:
    """Every string held in a value of ``extra`` (mapping values and list items, JSON text decoded).

    Examples
    --------
    >>> list(leaves({"display_name": "Carol", "langs": ["en"], "n": 3}))
    ['Carol', 'en']
    """
    obj, _ = _as_object(value)
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            yield item
        elif depth < _MAX_DEPTH and isinstance(item, dict):
            stack.extend((v, depth + 1) for v in reversed(list(item.values())))
        elif depth < _MAX_DEPTH and isinstance(item, (list, tuple)):
            stack.extend((v, depth + 1) for v in reversed(list(item)))


def person_values(value: Any, keys: frozenset[str]) -> list[str]:
    """The strings held under ``keys`` (at any depth) of one value of ``extra``.

    Examples
    --------
    >>> person_values({"did": "did:plc:x", "post": {"display_name": "Carol"}}, AUTHOR_KEYS)
    ['did:plc:x', 'Carol']
    """
    obj, _ = _as_object(value)
    out: list[str] = []
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        item, depth = stack.pop()
        if depth >= _MAX_DEPTH:
            continue
        if isinstance(item, dict):
            for k, v in reversed(list(item.items())):
                if str(k).lower() in keys:
                    out.extend(x for x in ([v] if isinstance(v, str) else v if isinstance(v, list) else [])
                               if isinstance(x, str) and x.strip())
                else:
                    stack.append((v, depth + 1))
        elif isinstance(item, (list, tuple)):
            stack.extend((v, depth + 1) for v in reversed(list(item)))
    return out


def walk(value: Any, text: Callable[[str], str], person: Callable[[str, str], str | None]) -> Any:
    """A copy of one value of ``extra`` with every string replaced.

    Parameters
    ----------
    value : Any
        A mapping, a list, JSON text of one of these, or a string.
    text : callable
        ``text(s)``: the new form of a string found in the value.
    person : callable
        ``person(key, s)``: the replacement of the whole string ``s`` held under ``key``, or
        None to treat it as text.

    Returns
    -------
    Any
        The same shape (JSON text stays JSON text); nesting beyond 32 levels is dropped.

    Examples
    --------
    >>> walk({"display_name": "Carol", "note": "hi Carol"}, lambda s: s.replace("Carol", "P1"),
    ...      lambda k, s: "P1" if k == "display_name" else None)
    {'display_name': 'P1', 'note': 'hi P1'}
    """
    obj, was_json = _as_object(value)

    def rebuild(item: Any, key: str | None, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(item, str):
            whole = person(key, item) if key is not None else None
            return whole if whole is not None else text(item)
        if isinstance(item, dict):
            return {k: rebuild(v, str(k).lower(), depth + 1) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [rebuild(v, key, depth + 1) for v in item]
        return item

    out = rebuild(obj, None, 0)
    return json.dumps(out, ensure_ascii=False, default=str) if was_json else out
