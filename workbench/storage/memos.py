"""Memos and flags on units: append-only; the latest memo, and the latest flag state, are current."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..sentinels import ALL_ROUNDS
from . import tables as T
from ._kernel import Kernel, RoundRef, RoundSelection, now
from .access import where_visible

__all__ = ["Memos", "MEMO_KINDS"]

#: The kinds of a memo row: a memo, a flag for discussion, and clearing a flag.
MEMO_KINDS = ("memo", "flag", "unflag")


class Memos:
    """Write and read memos and flags.

    Parameters
    ----------
    kernel : Kernel
        The open project's kernel.
    """

    def __init__(self, kernel: Kernel):
        self.kernel = kernel

    def memo(self, unit_id: str, text: str, *, coder: str, round: RoundRef = None, kind: str = "memo") -> int:
        """Record a memo on a unit (append-only; the latest is current), a flag or the clearing of one.

        Parameters
        ----------
        unit_id : str
        text : str
        coder : str
        round : str, int, None or NO_ROUND
            The round; None (the default) or NO_ROUND: outside any round.
        kind : {"memo", "flag", "unflag"}

        Returns
        -------
        int
            The memo's id.
        """
        if kind not in MEMO_KINDS:
            raise ValueError(f"kind must be 'memo', 'flag' or 'unflag', not {kind!r}")
        with self.kernel.transaction(f"record the {kind} on unit {unit_id!r}", after="Nothing was recorded.") as conn:
            self.kernel.require_unit(conn, unit_id)
            coder_id = self.kernel.coder_id(conn, coder)
            rnd = self.kernel.round_row(conn, round)
            return int(
                conn.execute(
                    T.memos.insert()
                    .values(unit_id=unit_id, coder_id=coder_id, round_id=rnd["round_id"] if rnd else None, kind=kind,
                            text=str(text), at=now())
                    .returning(T.memos.c.memo_id)
                ).scalar_one()
            )

    def flag(self, unit_id: str, *, coder: str, round: RoundRef = None, note: str = "", on: bool = True) -> int:
        """Flag a unit for discussion (``on=False`` clears the flag).

        Parameters
        ----------
        unit_id : str
        coder : str
        round : str, int, None or NO_ROUND
        note : str
            Why the unit needs discussing.
        on : bool
            False clears the flag.

        Returns
        -------
        int
            The memo's id.
        """
        return self.memo(unit_id, note, coder=coder, round=round, kind="flag" if on else "unflag")

    def memos(
        self,
        *,
        coder: str | None = None,
        round: RoundSelection = ALL_ROUNDS,
        kind: str | None = None,
        latest: bool = False,
    ) -> pd.DataFrame:
        """Memos and flags, oldest first.

        Parameters
        ----------
        coder : str, optional
        round : str, int, None, NO_ROUND or ALL_ROUNDS
            ALL_ROUNDS (default): every memo; NO_ROUND or None: outside any round.
        kind : {"memo", "flag"}, optional
            ``"flag"`` selects flags and their clearing.
        latest : bool
            One row per unit, coder, round and family (memo / flag): the latest memo, and
            whether the unit is flagged now (``flagged``).

        Returns
        -------
        pandas.DataFrame
            ``memo_id, unit_id, coder, round, kind, text, at`` (and ``flagged`` with ``latest``).
        """
        m, c, r = T.memos.c, T.coders.c, T.rounds.c
        q = (
            sa.select(m.memo_id, m.unit_id, c.name.label("coder"), r.name.label("round"), m.kind, m.text, m.at)
            .select_from(T.memos.join(T.coders, c.coder_id == m.coder_id).outerjoin(T.rounds, r.round_id == m.round_id))
            .order_by(m.memo_id)
        )
        if kind is not None:
            q = q.where(m.kind.in_(["flag", "unflag"] if kind == "flag" else [kind]))
        if coder is not None:
            q = q.where(c.name.in_([coder] if isinstance(coder, str) else list(coder)))
        q = where_visible(self.kernel, self.kernel.where_round(q, m, round), m)  # the blind rule
        df = self.kernel.frame(q, "read memos", times=("at",))
        if latest and not df.empty:
            df["family"] = np.where(df["kind"] == "memo", "memo", "flag")
            df = df.groupby(["unit_id", "coder", "round", "family"], dropna=False, sort=False).tail(1)
            df["flagged"] = df["kind"] == "flag"
            df = df.drop(columns="family").reset_index(drop=True)
        return df

    def flagged(self, coder: str | None = None, *, round: RoundSelection = ALL_ROUNDS) -> list[str]:
        """Unit ids flagged for discussion now (by a coder, or by anyone).

        Parameters
        ----------
        coder : str, optional
        round : str, int, None, NO_ROUND or ALL_ROUNDS

        Returns
        -------
        list of str
        """
        df = self.memos(coder=coder, round=round, kind="flag", latest=True)
        if df.empty:
            return []
        return list(dict.fromkeys(df.loc[df["flagged"], "unit_id"]))
