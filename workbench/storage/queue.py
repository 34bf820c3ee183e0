"""A coder's queue: the next unit to code, the queue itself, progress.

The queue is every codable unit in import order (``units.seq``), or, in a round, the
coder's assignment (``round_assignments.seq``, the same numbers). A cursor per coder
and round (``queue_cursors.frontier_seq``) keeps one invariant: every queue unit with
``seq`` below the frontier is coded by the coder. :meth:`Queue.advance` keeps it inside
each coding's transaction, so the next unit is an index look-up, never a scan.

On PostgreSQL :meth:`Queue.next_unit` is one statement, ``wb_next_unit(...)`` (migration
``0004``), the same walk on the server, in one round trip (and the cursor is kept by the
trigger that derives the state of every event). In a project opened for a coder, the
queue, next unit and progress read are the coder's own (:mod:`~workbench.storage.access`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import UnknownUnitError
from . import tables as T
from ._kernel import Kernel, RoundRef, ServerRefusal
from .access import Access

__all__ = ["Queue"]

_WB_NEXT_UNIT = "SELECT wb_next_unit(%s::integer, %s::integer, %s::text)"


class Queue:
    """Queues, cursors and progress.

    Parameters
    ----------
    kernel : Kernel
        The open project's kernel.
    access : Access, optional
        Whose queue may be read.
    """

    def __init__(self, kernel: Kernel, access: Access | None = None):
        self.kernel = kernel
        self.access = access or Access(kernel)

    # --- the queue as a query -------------------------------------------------------------
    @staticmethod
    def query(round_id: int | None, coder_id: int) -> tuple[sa.Table, Any, Any, list[Any]]:
        """The table, seq column, unit id column and conditions of a coder's queue.

        Parameters
        ----------
        round_id : int or None
            None: the project queue (every codable unit).
        coder_id : int

        Returns
        -------
        tuple
        """
        if round_id is None:
            u = T.units.c
            return T.units, u.seq, u.unit_id, [u.codable == sa.true()]
        a = T.round_assignments.c
        return T.round_assignments, a.seq, a.unit_id, [a.round_id == round_id, a.coder_id == coder_id]

    @staticmethod
    def _is_coded(conn: sa.Connection, coder_id: int, round_key: int, unit_id: str) -> bool:
        cc = T.current_codings.c
        q = sa.select(sa.literal(1)).where(cc.coder_id == coder_id, cc.round_key == round_key, cc.unit_id == unit_id)
        return conn.execute(q.limit(1)).first() is not None

    def _cursor(self, conn: sa.Connection, coder_id: int, round_key: int, *, lock: bool = False) -> int:
        qc = T.queue_cursors.c
        q = sa.select(qc.frontier_seq).where(qc.coder_id == coder_id, qc.round_key == round_key)
        if lock and self.kernel.dialect == "postgresql":
            q = q.with_for_update()
        value = conn.execute(q).scalar()
        return 0 if value is None else int(value)

    @staticmethod
    def _set_cursor(conn: sa.Connection, coder_id: int, round_key: int, value: int) -> None:
        qc = T.queue_cursors.c
        updated = conn.execute(
            T.queue_cursors.update().where(qc.coder_id == coder_id, qc.round_key == round_key).values(frontier_seq=value)
        ).rowcount
        if not updated:
            conn.execute(T.queue_cursors.insert().values(coder_id=coder_id, round_key=round_key, frontier_seq=value))

    def advance(
        self, conn: sa.Connection, coder_id: int, round_key: int, round_id: int | None, unit_id: str, seq: int, action: str
    ) -> None:
        """Keep the invariant after ``action`` on a unit: every queue unit below the frontier is coded.

        Parameters
        ----------
        conn : sqlalchemy.Connection
            The coding's transaction.
        coder_id, round_key : int
        round_id : int or None
        unit_id : str
        seq : int
            The unit's ``seq``.
        action : str
            ``apply`` or ``remove``.
        """
        if round_id is not None:
            a = T.round_assignments.c
            member = conn.execute(
                sa.select(a.seq).where(a.round_id == round_id, a.coder_id == coder_id, a.unit_id == unit_id)
            ).scalar()
            if member is None:
                return  # coded outside the coder's assigned queue: the cursor is unaffected
        frontier = self._cursor(conn, coder_id, round_key, lock=True)
        if action == "remove":
            if seq < frontier and not self._is_coded(conn, coder_id, round_key, unit_id):
                self._set_cursor(conn, coder_id, round_key, seq)
            return
        _, seq_col, _, conds = self.query(round_id, coder_id)
        first = conn.execute(sa.select(sa.func.min(seq_col)).where(seq_col >= frontier, *conds)).scalar()
        if first is None or seq != first:
            return  # an earlier queue unit is still uncoded: the frontier stays
        nxt = self._first_uncoded(conn, coder_id, round_key, round_id, seq)
        if nxt is None:
            last = conn.execute(sa.select(sa.func.max(seq_col)).where(*conds)).scalar() or 0
            nxt = int(last) + 1
        self._set_cursor(conn, coder_id, round_key, int(nxt))

    def _first_uncoded(
        self, conn: sa.Connection, coder_id: int, round_key: int, round_id: int | None, start: int, *, batch: int = 8
    ) -> int | None:
        """Seq of the first queue unit at or after ``start`` that the coder has not coded.

        An explicit walk along two indexes, the same on SQLite and PostgreSQL whatever the
        planner's statistics: the next ``batch`` queue units from ``start``, then which of
        them the coder has coded; repeated only while every one of them is coded.
        """
        _, seq_col, id_col, conds = self.query(round_id, coder_id)
        cc = T.current_codings.c
        while True:
            rows = conn.execute(
                sa.select(seq_col, id_col).where(seq_col >= start, *conds).order_by(seq_col).limit(batch)
            ).all()
            if not rows:
                return None
            coded = set(
                conn.execute(
                    sa.select(cc.unit_id).where(
                        cc.coder_id == coder_id, cc.round_key == round_key, cc.unit_id.in_([u for _, u in rows])
                    )
                ).scalars()
            )
            for seq, unit in rows:
                if unit not in coded:
                    return int(seq)
            start = rows[-1][0] + 1
            batch = min(batch * 8, 4096)

    # --- reads ------------------------------------------------------------------------------
    def next_unit(self, coder: str, *, round: RoundRef = None, after: str | None = None) -> str | None:
        """The next unit in the coder's queue that they have not coded, or None when done.

        Uses the indexes and the coder's cursor, never loading the project.

        Parameters
        ----------
        coder : str
        round : str, int, None or NO_ROUND
            A round (the coder's assignment in it), or None / NO_ROUND (the default):
            outside any round, every codable unit in import order.
        after : str, optional
            Start behind this unit instead of at the start of the queue.

        Returns
        -------
        str or None
        """
        self.access.require_self(coder, "next_unit")
        doing = f"find the next unit of coder {coder!r}"
        if self.kernel.dialect == "postgresql" and (after is None or isinstance(after, str)):
            coder_id = self.kernel.coder_id_cached(coder, doing)
            ref = self.kernel.round_ref(round, doing)
            try:
                return self.kernel.call(_WB_NEXT_UNIT, (coder_id, ref[0] if ref else None, after), doing, read=True)
            except ServerRefusal:  # the only refusal: WB001, no unit ``after``
                raise UnknownUnitError(self.kernel.unknown_unit_message(after)) from None
        with self.kernel.reading(doing) as conn:
            coder_id = self.kernel.coder_id(conn, coder)
            rnd = self.kernel.round_row(conn, round)
            round_id = rnd["round_id"] if rnd else None
            round_key = self.kernel.round_key(rnd)
            start = self._cursor(conn, coder_id, round_key)
            if after is not None:
                seq = conn.execute(sa.select(T.units.c.seq).where(T.units.c.unit_id == after)).scalar()
                if seq is None:
                    raise UnknownUnitError(self.kernel.unknown_unit_message(after))
                start = max(start, int(seq) + 1)
            found = self._first_uncoded(conn, coder_id, round_key, round_id, start)
            if found is None:
                return None
            _, seq_col, id_col, conds = self.query(round_id, coder_id)
            return conn.execute(sa.select(id_col).where(seq_col == found, *conds)).scalar()

    def queue(self, coder: str, *, round: RoundRef = None) -> list[str]:
        """The unit ids of a coder's queue, in order.

        Parameters
        ----------
        coder : str
        round : str, int, None or NO_ROUND

        Returns
        -------
        list of str
        """
        self.access.require_self(coder, "queue")
        with self.kernel.reading(f"read the queue of coder {coder!r}") as conn:
            coder_id = self.kernel.coder_id(conn, coder)
            rnd = self.kernel.round_row(conn, round)
            _, seq_col, id_col, conds = self.query(rnd["round_id"] if rnd else None, coder_id)
            return list(conn.execute(sa.select(id_col).where(*conds).order_by(seq_col)).scalars())

    def progress(self, coder: str, *, round: RoundRef = None) -> dict[str, int]:
        """How many units of the coder's queue are coded.

        Parameters
        ----------
        coder : str
        round : str, int, None or NO_ROUND

        Returns
        -------
        dict
            ``{"coded": n, "total": m}``.
        """
        self.access.require_self(coder, "progress")
        with self.kernel.reading(f"count the progress of coder {coder!r}") as conn:
            coder_id = self.kernel.coder_id(conn, coder)
            rnd = self.kernel.round_row(conn, round)
            table, seq_col, id_col, conds = self.query(rnd["round_id"] if rnd else None, coder_id)
            total = conn.execute(sa.select(sa.func.count()).select_from(table).where(*conds)).scalar()
            cc = T.current_codings.c
            coded = conn.execute(
                sa.select(sa.func.count(sa.distinct(cc.unit_id))).where(
                    cc.coder_id == coder_id,
                    cc.round_key == self.kernel.round_key(rnd),
                    cc.unit_id.in_(sa.select(id_col).where(*conds)),
                )
            ).scalar()
        return {"coded": int(coded or 0), "total": int(total or 0)}
