"""JSON within the depth limit: nesting measured before parsing, in one linear pass.

Private. Python's JSON parser recurses once per level of nesting, so a line nested
100,000 deep would raise ``RecursionError``. Here the depth is measured first, on the
bytes: only quotes, backslashes and brackets are looked at (numpy finds them), a
quote escaped by an odd run of backslashes is not a quote, brackets inside strings do
not count. A text with no more opening brackets than the limit needs no measuring.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

__all__ = ["json_depth", "too_deep", "loads"]

_SPECIAL = np.zeros(256, dtype=bool)
_SPECIAL[[ord(c) for c in '"\\[]{}']] = True
_PIECE = 16 << 20  # bytes measured at a time


def json_depth(data: bytes | str) -> int:
    r"""How deeply a JSON text nests (``{`` and ``[`` outside strings), in one linear pass.

    Examples
    --------
    >>> json_depth('{"a": [1, {"b": "]]]{{{"}]}'), json_depth('"no \\" [ here"'), json_depth("[[[]]]")
    (3, 0, 3)
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    buf = np.frombuffer(raw, dtype=np.uint8)
    best = depth = 0
    in_string = False
    carry = 0  # backslashes that ended the previous piece
    for start in range(0, len(buf), _PIECE):
        piece = buf[start:start + _PIECE]
        pos = np.flatnonzero(_SPECIAL[piece])
        if not len(pos):
            carry = 0
            continue
        c = piece[pos]
        bs = c == 92
        contig = np.zeros(len(pos), dtype=bool)  # the entry before is a backslash right next to it
        contig[1:] = (pos[1:] == pos[:-1] + 1) & bs[:-1]
        idx = np.arange(len(pos))
        run_start = np.maximum.accumulate(np.where(bs & ~contig, idx, 0))
        run = idx - run_start + 1 + np.where((pos[run_start] == 0) & bs[run_start], carry, 0)
        quote = c == 34
        escaped = np.zeros(len(pos), dtype=bool)
        escaped[1:] = quote[1:] & contig[1:] & (run[:-1] % 2 == 1)
        if quote[0] and pos[0] == 0 and carry % 2 == 1:
            escaped[0] = True
        real = quote & ~escaped
        parity = (np.cumsum(real) + int(in_string)) % 2  # after each entry: 1 inside a string
        outside = parity == 0
        delta = np.where(outside & ((c == 91) | (c == 123)), 1, 0) - np.where(outside & ((c == 93) | (c == 125)), 1, 0)
        levels = np.cumsum(delta) + depth
        best = max(best, int(levels.max()))
        depth = int(levels[-1])
        in_string = bool(parity[-1])
        tail = len(piece) - 1
        carry = int(run[-1]) if bs[-1] and pos[-1] == tail else 0
    return best


def too_deep(text: bytes | str, limit: int) -> int | None:
    """The depth of ``text`` when it passes ``limit``, else None (cheap when few brackets).

    Examples
    --------
    >>> too_deep("[" * 600 + "]" * 600, 512), too_deep('{"a": [1, 2]}', 512)
    (600, None)
    """
    if isinstance(text, str):
        opening = text.count("{") + text.count("[")
    else:
        opening = text.count(b"{") + text.count(b"[")
    if opening <= limit:
        return None
    depth = json_depth(text)
    return depth if depth > limit else None


def loads(text: bytes | str, limit: int) -> Any:
    """``json.loads`` of a text already known to nest at most ``limit`` deep.

    Python's parser counts its levels against the recursion limit; a depth the limit
    allows but the remaining stack does not is parsed with the recursion limit raised
    for the call.
    """
    try:
        return json.loads(text)
    except RecursionError:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(old + limit + 100)
        try:
            return json.loads(text)
        finally:
            sys.setrecursionlimit(old)
