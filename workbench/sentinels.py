"""Named values for "which round", so that ``None`` never has two meanings.

* :data:`ALL_ROUNDS`: every coding, made inside any round or outside all rounds (the
  default of every read: ``codings``, ``history``, ``memos``, ``agreement``);
* :data:`NO_ROUND`: only what was coded outside any round. ``round=None`` means the same,
  everywhere: a coding recorded with ``round=None`` is a coding outside any round.

Examples
--------
>>> from workbench.sentinels import ALL_ROUNDS, NO_ROUND
>>> ALL_ROUNDS, NO_ROUND
(ALL_ROUNDS, NO_ROUND)
>>> NO_ROUND is NO_ROUND and ALL_ROUNDS != NO_ROUND
True
"""

from __future__ import annotations

import enum

__all__ = ["ALL_ROUNDS", "NO_ROUND", "RoundFilter"]


class RoundFilter(enum.Enum):
    """The two named round selections (see the module docstring)."""

    ALL_ROUNDS = "all rounds"
    NO_ROUND = "no round"

    def __repr__(self) -> str:
        return self.name


ALL_ROUNDS = RoundFilter.ALL_ROUNDS
NO_ROUND = RoundFilter.NO_ROUND
