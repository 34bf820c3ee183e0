"""Ids that carry no names: unit, thread and parent ids mapped through the pseudonym key.

Ids are often built from what identifies people: a file name (``alice-smith-comments:1``),
a blog's domain (``wxr:janedoe.wordpress.com:7``), a Bluesky handle
(``at://carol.bsky.social/app.bsky.feed.post/3k…``). Every pseudonymised output maps them:
an id becomes ``id-`` and 16 letters and digits of an HMAC-SHA-256 of the id under a secret
derived from the pseudonym key (:attr:`PseudonymKey.id_secret
<workbench.privacy.PseudonymKey.id_secret>`). So

* the same id always maps to the same pseudonymous id under one key (exports agree with
  each other, and a parent link stays a parent link);
* distinct ids map to distinct pseudonymous ids (80 bits; a collision, never seen in
  practice, is detected and refused rather than merged);
* nothing of the id is left in its pseudonym, and without the key it cannot be recomputed
  from a guessed id.

Examples
--------
>>> ids = IdMap(b"a secret of the study's key")
>>> ids("wxr:janedoe.wordpress.com:7")
'id-...'
>>> ids("wxr:janedoe.wordpress.com:7") == ids("wxr:janedoe.wordpress.com:7"), ids(None)
(True, None)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..errors import PrivacyError
from .key import PseudonymKey, is_missing

__all__ = ["ID_COLUMNS", "ID_PATTERN", "IdMap", "id_map"]

#: Columns of units and codings tables that hold ids.
ID_COLUMNS: tuple[str, ...] = ("unit_id", "thread_id", "parent_id")

#: What a pseudonymous id looks like.
ID_PATTERN = re.compile(r"^id-[a-z2-7]{16}$")


class IdMap:
    """Maps ids to pseudonymous ids under one secret (stable, keyed, checked for collisions).

    Parameters
    ----------
    secret : bytes
        The secret (:attr:`PseudonymKey.id_secret`); at least 16 bytes.
    """

    def __init__(self, secret: bytes):
        if not isinstance(secret, bytes) or len(secret) < 16:
            raise ValueError("an IdMap needs a secret of at least 16 bytes (use key.id_secret)")
        self._secret = secret
        self._seen: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<IdMap {len(self._seen)} ids>"

    def __call__(self, value: Any) -> str | None:
        """The pseudonymous id of ``value`` (None for a missing id)."""
        if value is None or is_missing(value):
            return None
        text = str(value)
        if text == "":
            return None
        digest = hmac.new(self._secret, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
        out = "id-" + base64.b32encode(digest[:10]).decode("ascii").lower()
        other = self._seen.setdefault(out, text)
        if other != text:  # 80 bits: never seen in practice, but never merged silently either
            raise PrivacyError(
                f"two ids map to the same pseudonymous id {out}; this should not happen: please report it"
            )
        return out

    def original(self, value: Any) -> str | None:
        """The id that ``value`` (a pseudonymous id this map made) stands for; None if it made none.

        For work that stays on this machine, e.g. a model coder that sends pseudonymised
        texts away and records its codes under the project's own ids.

        Examples
        --------
        >>> ids = IdMap(b"0123456789abcdef")
        >>> ids.original(ids("alice-smith:1")), ids.original("id-aaaaaaaaaaaaaaaa")
        ('alice-smith:1', None)
        """
        return None if value is None else self._seen.get(str(value))

    def frame(self, df: pd.DataFrame, columns: Iterable[str] = ID_COLUMNS) -> pd.DataFrame:
        """A copy of ``df`` with its id columns mapped (the columns present among ``columns``).

        Examples
        --------
        >>> ids = IdMap(b"0123456789abcdef")
        >>> df = pd.DataFrame({"unit_id": ["t:1", "t:2"], "parent_id": [None, "t:1"], "text": ["a", "b"]})
        >>> out = ids.frame(df)
        >>> out.loc[1, "parent_id"] == out.loc[0, "unit_id"], out.loc[1, "text"]
        (True, 'b')
        """
        out = df.copy()
        for col in columns:
            if col in out.columns:
                out[col] = pd.Series([self(v) for v in out[col]], index=out.index, dtype=object)
        return out


def id_map(key: PseudonymKey) -> IdMap:
    """The :class:`IdMap` of a pseudonym key.

    Parameters
    ----------
    key : PseudonymKey
        The study's key.

    Returns
    -------
    IdMap
        Maps ids under the key's id secret.

    Examples
    --------
    >>> key = PseudonymKey()
    >>> id_map(key)("alice-smith-comments:1") == id_map(key)("alice-smith-comments:1")
    True
    >>> id_map(key)("alice-smith-comments:1") == id_map(PseudonymKey())("alice-smith-comments:1")
    False
    """
    if not isinstance(key, PseudonymKey):
        raise TypeError(f"key must be a PseudonymKey, not {type(key).__name__}")
    return IdMap(key.id_secret)
