"""Codings: the append-only event log, the current state derived from it, and history.

Every call that records a coding writes its events (``apply`` / ``remove``: unit, code,
coder, round, codebook version, time, memo, span) and updates the derived state
(``current_codings``; the coder's cursor in ``queue_cursors``) in one transaction, which
has committed when the call returns. History is never rewritten; :meth:`Codings.rebuild`
derives the state again from the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..codebook import Codebook
from ..errors import UnknownCodeError, UnknownUnitError, WorkbenchError
from ..sentinels import ALL_ROUNDS
from . import tables as T
from ._kernel import Kernel, RoundRef, RoundSelection, now
from .codebooks import Codebooks
from .queue import Queue

__all__ = ["Codings", "span_key", "code_list"]


def code_list(codes: str | Iterable[str]) -> list[str]:
    """Code names as a list (one name or several), checked to be strings.

    Parameters
    ----------
    codes : str or iterable of str

    Returns
    -------
    list of str

    Examples
    --------
    >>> code_list("defensive"), code_list(("a", "b"))
    (['defensive'], ['a', 'b'])
    """
    if isinstance(codes, str):
        return [codes]
    out = list(codes)
    for c in out:
        if not isinstance(c, str):
            raise TypeError(f"codes must be strings (code names), got {c!r}")
    return out


def span_key(span: tuple[int, int] | None) -> str:
    """The key of a span in the derived state (``""`` for the whole unit).

    Parameters
    ----------
    span : (int, int) or None

    Returns
    -------
    str

    Examples
    --------
    >>> span_key(None), span_key((0, 5))
    ('', '0:5')
    """
    return "" if span is None else f"{int(span[0])}:{int(span[1])}"


def _is_exclusive(cb: Codebook, group: str) -> bool:
    try:
        return bool(cb.group(group).exclusive)
    except KeyError:
        return False


class Codings:
    """Record codings and read the current state and the log.

    Parameters
    ----------
    kernel : Kernel
    codebooks : Codebooks
        To validate codes against the version in force.
    queue : Queue
        To keep the coder's cursor in the same transaction.
    """

    def __init__(self, kernel: Kernel, codebooks: Codebooks, queue: Queue):
        self.kernel = kernel
        self.codebooks = codebooks
        self.queue = queue

    # --- writing -------------------------------------------------------------------------------
    def code(
        self,
        unit_id: str,
        codes: str | Iterable[str],
        *,
        coder: str,
        round: RoundRef = None,
        memo: str | None = None,
        span: tuple[int, int] | None = None,
    ) -> list[int]:
        """Apply codes to a unit; durable (committed) when it returns.

        Applying a code of an *exclusive* group removes the coder's other code of that
        group on the unit (a ``remove`` event in the same transaction). An unknown unit,
        code, coder or round, a closed round or a bad span raise and write nothing.

        Parameters
        ----------
        unit_id : str
        codes : str or list of str
            Code names of the codebook version in force (the round's, else the newest).
        coder : str
        round : str, int, None or NO_ROUND
            The round coded in; None (the default) or NO_ROUND: outside any round.
        memo : str, optional
            A note kept with the coding.
        span : (int, int), optional
            Character offsets ``(start, end)`` into the unit's text; None: the whole unit.

        Returns
        -------
        list of int
            The ids of the events written.
        """
        return self.record(unit_id, codes, "apply", coder=coder, round=round, memo=memo, span=span)

    def uncode(
        self,
        unit_id: str,
        codes: str | Iterable[str],
        *,
        coder: str,
        round: RoundRef = None,
        memo: str | None = None,
        span: tuple[int, int] | None = None,
    ) -> list[int]:
        """Remove codes from a unit (a ``remove`` event; history is kept).

        Parameters
        ----------
        unit_id, codes, coder, round, memo, span
            As for :meth:`code`.

        Returns
        -------
        list of int
            The ids of the events written.
        """
        return self.record(unit_id, codes, "remove", coder=coder, round=round, memo=memo, span=span)

    def record(
        self,
        unit_id: str,
        codes: str | Iterable[str],
        action: str,
        *,
        coder: str,
        round: RoundRef = None,
        memo: str | None = None,
        span: tuple[int, int] | None = None,
    ) -> list[int]:
        """Apply or remove codes on a unit in one committed transaction (see :meth:`code`).

        Parameters
        ----------
        unit_id : str
        codes : str or list of str
        action : str
            ``apply`` or ``remove``.
        coder : str
        round : str, int, None or NO_ROUND
            The round, or outside any round.
        memo : str, optional
        span : (int, int), optional
            Character offsets ``(start, end)`` into the unit's text.

        Returns
        -------
        list of int
            The ids of the events written.
        """
        codes = code_list(codes)
        if not codes:
            raise ValueError("give at least one code name")
        if span is not None:
            if len(span) != 2 or int(span[0]) < 0 or int(span[1]) <= int(span[0]):
                raise ValueError(f"span must be (start, end) character offsets with 0 <= start < end, got {span!r}")
        doing = f"record {action} {codes} on unit {unit_id!r} for {coder!r}"
        with self.kernel.transaction(doing, after="Nothing was recorded; try again.") as conn:
            unit_row = conn.execute(sa.select(T.units.c.seq, T.units.c.text).where(T.units.c.unit_id == unit_id)).first()
            if unit_row is None:
                raise UnknownUnitError(self.kernel.unknown_unit_message(unit_id))
            if span is not None and int(span[1]) > len(unit_row.text):
                raise ValueError(f"span {span!r} runs past the end of unit {unit_id!r} ({len(unit_row.text)} characters)")
            coder_id = self.kernel.coder_id(conn, coder)
            rnd = self.kernel.round_row(conn, round)
            if rnd is not None and rnd["status"] != "open":
                raise WorkbenchError(f"round {rnd['name']!r} is {rnd['status']}; codings are not accepted")
            version = (rnd["codebook_version"] if rnd else None) or self.kernel.newest_version(conn)
            if version is None:
                raise WorkbenchError("this project has no codebook; add one before coding with project.add_codebook(...)")
            cb = self.codebooks.codebook(version)
            round_id = rnd["round_id"] if rnd else None
            round_key = self.kernel.round_key(rnd)
            skey = span_key(span)
            events = self._events(conn, cb, version, codes, action, memo, coder_id, round_key, unit_id, skey)
            at = now()
            ids = []
            for act, c, m in events:
                event_id = self.write_event(
                    conn, unit_id=unit_id, code=c, action=act, coder_id=coder_id, round_id=round_id,
                    codebook_version=version, at=at, memo=m,
                    span_start=None if span is None else int(span[0]), span_end=None if span is None else int(span[1]),
                )
                ids.append(event_id)
                self.apply_state(conn, coder_id, round_key, unit_id, c, skey, act, event_id)
            self.queue.advance(conn, coder_id, round_key, round_id, unit_id, unit_row.seq, action)
        return ids

    def _events(
        self, conn: sa.Connection, cb: Codebook, version: int, codes: list[str], action: str, memo: str | None,
        coder_id: int, round_key: int, unit_id: str, skey: str,
    ) -> list[tuple[str, str, str | None]]:
        """The events ``(action, code, memo)`` a call writes, after checking the codes."""
        if action != "apply":
            return [("remove", c, memo) for c in codes]
        unknown = [c for c in codes if c not in cb]
        if unknown:
            raise UnknownCodeError(
                f"code(s) {unknown} are not in codebook version {version} ({cb.name}); valid codes: {cb.names}"
            )
        categories = [c for c in codes if not getattr(cb[c], "codable", True)]
        if categories:
            raise ValueError(
                f"{categories} are categories (isCodable=false), not codes: apply one of "
                f"their codes instead: {[x.name for x in cb.codes if x.parent in categories]}"
            )
        events: list[tuple[str, str, str | None]] = []
        for c in codes:
            group = cb[c].group
            if group and _is_exclusive(cb, group):
                same = [x for x in codes if cb[x].group == group]
                if len(same) > 1:
                    raise ValueError(f"codes {same} belong to the exclusive group {group!r}: apply one of them")
                siblings = [x.name for x in cb.codes if x.group == group and x.name != c]
                present = self.present(conn, coder_id, round_key, unit_id, siblings, skey)
                events.extend(("remove", s, None) for s in present)
        events.extend(("apply", c, memo) for c in codes)
        return events

    @staticmethod
    def write_event(conn: sa.Connection, **values: Any) -> int:
        """Append one event to the log inside the caller's transaction.

        Parameters
        ----------
        conn : sqlalchemy.Connection
        **values
            The columns of ``coding_events``.

        Returns
        -------
        int
            The event's id.
        """
        return int(
            conn.execute(T.coding_events.insert().values(**values).returning(T.coding_events.c.event_id)).scalar_one()
        )

    @staticmethod
    def present(
        conn: sa.Connection, coder_id: int, round_key: int, unit_id: str, codes: list[str], skey: str
    ) -> list[str]:
        """Which of ``codes`` the coder has on the unit (and span) now.

        Parameters
        ----------
        conn : sqlalchemy.Connection
        coder_id, round_key : int
        unit_id : str
        codes : list of str
        skey : str
            The span key (see :func:`span_key`).

        Returns
        -------
        list of str
        """
        cc = T.current_codings.c
        q = sa.select(cc.code).where(
            cc.coder_id == coder_id, cc.round_key == round_key, cc.unit_id == unit_id, cc.span_key == skey,
            cc.code.in_(codes),
        )
        return list(conn.execute(q).scalars())

    def apply_state(
        self, conn: sa.Connection, coder_id: int, round_key: int, unit_id: str, code: str, skey: str, action: str,
        event_id: int,
    ) -> None:
        """Update the derived current state for one event.

        Parameters
        ----------
        conn : sqlalchemy.Connection
        coder_id, round_key : int
        unit_id, code, skey : str
        action : str
            ``apply`` or ``remove``.
        event_id : int
        """
        cc = T.current_codings.c
        where = (
            (cc.coder_id == coder_id) & (cc.round_key == round_key) & (cc.unit_id == unit_id)
            & (cc.code == code) & (cc.span_key == skey)
        )
        if action == "apply":
            updated = conn.execute(T.current_codings.update().where(where).values(event_id=event_id)).rowcount
            if not updated:
                conn.execute(
                    T.current_codings.insert().values(
                        coder_id=coder_id, round_key=round_key, unit_id=unit_id, code=code, span_key=skey,
                        event_id=event_id,
                    )
                )
        else:
            conn.execute(T.current_codings.delete().where(where))

    def rebuild_state(self) -> None:
        """Recompute the derived state (current codings, cursors) from the event log.

        For repairs and checks: the result equals the state kept event by event.

        Returns
        -------
        None
        """
        with self.kernel.transaction("rebuild the current codings from the log") as conn:
            conn.execute(T.current_codings.delete())
            conn.execute(T.queue_cursors.delete())
            events = conn.execute(sa.select(T.coding_events).order_by(T.coding_events.c.event_id)).mappings().all()
            for ev in events:
                span = None if ev["span_start"] is None else (ev["span_start"], ev["span_end"])
                key = ev["round_id"] if ev["round_id"] is not None else T.NO_ROUND_KEY
                self.apply_state(conn, ev["coder_id"], key, ev["unit_id"], ev["code"], span_key(span), ev["action"],
                                 ev["event_id"])
            self.kernel.audit(conn, "rebuild_state", {"events": len(events)})

    # --- reading -------------------------------------------------------------------------------
    def filter(
        self, q: Any, cols: Any, coder: str | Sequence[str] | None, round: RoundSelection,
        unit_ids: Sequence[str] | None = None,
    ) -> Any:
        """Restrict a query (joined with ``coders``) to coders, a round selection and units.

        Parameters
        ----------
        q : sqlalchemy.Select
        cols : column collection
            The table filtered: ``current_codings``, ``coding_events`` or ``memos``.
        coder : str or list of str, optional
        round : str, int, None, NO_ROUND or ALL_ROUNDS
        unit_ids : list of str, optional

        Returns
        -------
        sqlalchemy.Select
        """
        if coder is not None:
            q = q.where(T.coders.c.name.in_([coder] if isinstance(coder, str) else list(coder)))
        q = self.kernel.where_round(q, cols, round)
        if unit_ids is not None:
            q = q.where(cols.unit_id.in_(list(unit_ids)))
        return q

    def _read(self, q: Any, doing: str) -> pd.DataFrame:
        df = self.kernel.frame(q, doing, times=("at",))
        for col in ("codebook_version", "span_start", "span_end"):
            df[col] = df[col].astype("Int64")
        return df

    def codings(
        self,
        *,
        coder: str | Sequence[str] | None = None,
        round: RoundSelection = ALL_ROUNDS,
        unit_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """The current codings as a long DataFrame (latest event wins), oldest first.

        Parameters
        ----------
        coder : str or list of str, optional
        round : str, int, None, NO_ROUND or ALL_ROUNDS
            ALL_ROUNDS (default): every coding; NO_ROUND or None: only codings made
            outside any round; a round's name or id: that round's.
        unit_ids : list of str, optional

        Returns
        -------
        pandas.DataFrame
            ``unit_id, coder, code, round, codebook_version, at, span_start, span_end, memo``.
        """
        cc, e, c, r = T.current_codings.c, T.coding_events.c, T.coders.c, T.rounds.c
        q = (
            sa.select(cc.unit_id, c.name.label("coder"), cc.code, r.name.label("round"), e.codebook_version, e.at,
                      e.span_start, e.span_end, e.memo)
            .select_from(
                T.current_codings.join(T.coding_events, e.event_id == cc.event_id)
                .join(T.coders, c.coder_id == cc.coder_id)
                .outerjoin(T.rounds, r.round_id == e.round_id)
            )
            .order_by(cc.event_id)
        )
        return self._read(self.filter(q, cc, coder, round, unit_ids), "read the current codings")

    def history(
        self,
        *,
        coder: str | Sequence[str] | None = None,
        round: RoundSelection = ALL_ROUNDS,
        unit_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Every coding event, oldest first (the append-only log).

        Parameters
        ----------
        coder : str or list of str, optional
        round : str, int, None, NO_ROUND or ALL_ROUNDS
        unit_ids : list of str, optional

        Returns
        -------
        pandas.DataFrame
            ``event_id, unit_id, code, action, coder, round, codebook_version, at, memo,
            span_start, span_end, origin``.
        """
        e, c, r = T.coding_events.c, T.coders.c, T.rounds.c
        q = (
            sa.select(e.event_id, e.unit_id, e.code, e.action, c.name.label("coder"), r.name.label("round"),
                      e.codebook_version, e.at, e.memo, e.span_start, e.span_end, e.origin)
            .select_from(
                T.coding_events.join(T.coders, c.coder_id == e.coder_id).outerjoin(T.rounds, r.round_id == e.round_id)
            )
            .order_by(e.event_id)
        )
        return self._read(self.filter(q, e, coder, round, unit_ids), "read the coding history")

    def unit_codes(self, unit_id: str, *, coder: str, round: RoundRef = None) -> list[str]:
        """The codes a coder has on a unit now (whole unit and spans), oldest first.

        One index look-up: what the coding panel asks each time it shows a unit.

        Parameters
        ----------
        unit_id, coder : str
        round : str, int, None or NO_ROUND

        Returns
        -------
        list of str
        """
        with self.kernel.reading(f"read the codes of coder {coder!r} on unit {unit_id!r}") as conn:
            coder_id = self.kernel.coder_id(conn, coder)
            key = self.kernel.round_key(self.kernel.round_row(conn, round))
            cc = T.current_codings.c
            rows = conn.execute(
                sa.select(cc.code)
                .where(cc.coder_id == coder_id, cc.round_key == key, cc.unit_id == unit_id)
                .order_by(cc.event_id)
            ).scalars()
            return list(dict.fromkeys(rows))
