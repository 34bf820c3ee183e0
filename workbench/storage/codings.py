"""Codings: the append-only event log, the current state derived from it, and history.

Every call that records a coding writes its events (``apply`` / ``remove``: unit, code,
coder, round, codebook version, time, memo, span) and updates the derived state
(``current_codings``; the coder's cursor in ``queue_cursors``) in one transaction, which
has committed when the call returns. History is never rewritten; :meth:`Codings.rebuild`
derives the state again from the log.

On PostgreSQL a call is one statement, ``wb_code(...)`` (migration ``0004``), in one
round trip: this module checks the arguments and the codes against the codebook version
it expects to be in force; the server checks the unit, the span, the round and that
version, writes the events, and its trigger derives the state. A refusal raises the
same workbench error, with the same message, as on SQLite, where each call is the
transaction below. In a project opened for a coder, reads follow the blind rule of
:mod:`~workbench.storage.access`.
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
from ._kernel import Kernel, RoundRef, RoundSelection, ServerRefusal, now
from .access import Access, where_visible
from .codebooks import Codebooks
from .queue import Queue

__all__ = ["UNIT_GROUPS", "Codings", "span_key", "code_list"]

#: What per-thread agreement groups units by: the name in ``by=`` and the column of ``units``.
UNIT_GROUPS = {"thread": "thread_id", "source": "source"}


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


_NO_CODEBOOK = "this project has no codebook; add one before coding with project.add_codebook(...)"
_WB_CODE = (
    "SELECT wb_code(%s::text, %s::integer, %s::integer, %s::integer, %s::text, %s::text[], %s::text[], %s::text, "
    "%s::integer, %s::integer)"
)


def _past_the_end(span: tuple[int, int], unit_id: str, n: int) -> str:
    return f"span {span!r} runs past the end of unit {unit_id!r} ({n} characters)"


def _not_open(name: str, status: str) -> str:
    return f"round {name!r} is {status}; codings are not accepted"


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
    access : Access, optional
        Who may code as whom, and read what.
    """

    def __init__(self, kernel: Kernel, codebooks: Codebooks, queue: Queue, access: Access | None = None):
        self.kernel = kernel
        self.codebooks = codebooks
        self.queue = queue
        self.access = access or Access(kernel)
        self._newest: int | None = None  # the newest codebook version, as last seen (PostgreSQL)

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
        self.access.require_self(coder, "uncode" if action == "remove" else "code")
        codes = code_list(codes)
        if not codes:
            raise ValueError("give at least one code name")
        if span is not None:
            if len(span) != 2 or int(span[0]) < 0 or int(span[1]) <= int(span[0]):
                raise ValueError(f"span must be (start, end) character offsets with 0 <= start < end, got {span!r}")
        doing = f"record {action} {codes} on unit {unit_id!r} for {coder!r}"
        if self.kernel.dialect == "postgresql":
            return self._record_in_one_statement(unit_id, codes, action, coder, round, memo, span, doing)
        with self.kernel.transaction(doing, after="Nothing was recorded; try again.") as conn:
            unit_row, coder_id, rnd, version, cb = self._check(conn, unit_id, coder, round, span)
            groups = self._groups(cb, version, codes, action)
            round_id = rnd["round_id"] if rnd else None
            round_key = self.kernel.round_key(rnd)
            skey = span_key(span)
            events: list[tuple[str, str, str | None]] = []
            for siblings in groups:
                present = self.present(conn, coder_id, round_key, unit_id, siblings, skey) if siblings else []
                events.extend(("remove", s, None) for s in present)
            events.extend((action, c, memo) for c in codes)
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

    def _check(
        self, conn: sa.Connection, unit_id: str, coder: str, round: RoundRef, span: tuple[int, int] | None
    ) -> tuple[Any, int, dict[str, Any] | None, int, Codebook]:
        """The checks of a coding, in their order: unit, span, coder, round, round open, codebook."""
        unit_row = conn.execute(sa.select(T.units.c.seq, T.units.c.text).where(T.units.c.unit_id == unit_id)).first()
        if unit_row is None:
            raise UnknownUnitError(self.kernel.unknown_unit_message(unit_id))
        if span is not None and int(span[1]) > len(unit_row.text):
            raise ValueError(_past_the_end(span, unit_id, len(unit_row.text)))
        coder_id = self.kernel.coder_id(conn, coder)
        rnd = self.kernel.round_row(conn, round)
        if rnd is not None and rnd["status"] != "open":
            raise WorkbenchError(_not_open(rnd["name"], rnd["status"]))
        version = (rnd["codebook_version"] if rnd else None) or self.kernel.newest_version(conn)
        if version is None:
            raise WorkbenchError(_NO_CODEBOOK)
        return unit_row, coder_id, rnd, int(version), self.codebooks.codebook(version)

    def _groups(self, cb: Codebook, version: int, codes: list[str], action: str) -> list[list[str]]:
        """Check the codes applied; per code, the other codes of its exclusive group (removed first)."""
        if action != "apply":
            return []
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
        groups = []
        for c in codes:
            group = cb[c].group
            if group and _is_exclusive(cb, group):
                same = [x for x in codes if cb[x].group == group]
                if len(same) > 1:
                    raise ValueError(f"codes {same} belong to the exclusive group {group!r}: apply one of them")
                groups.append([x.name for x in cb.codes if x.group == group and x.name != c])
        return groups

    # --- PostgreSQL: one statement ----------------------------------------------------------
    def _record_in_one_statement(
        self, unit_id: str, codes: list[str], action: str, coder: str, round: RoundRef, memo: str | None,
        span: tuple[int, int] | None, doing: str,
    ) -> list[int]:
        """:meth:`record` as one call of ``wb_code`` (see the module docstring)."""
        after = "Nothing was recorded; try again."
        for _ in range(4):  # a retry only when another process added a codebook version meanwhile
            try:
                if not isinstance(unit_id, str):
                    raise TypeError("unit ids are strings")
                coder_id = self.kernel.coder_id_cached(coder, doing)
                ref = self.kernel.round_ref(round, doing)
                version = (ref[2] if ref else None) or self._newest_version(doing)
                if version is None:
                    raise WorkbenchError(_NO_CODEBOOK)
                groups = self._groups(self.codebooks.codebook(version), version, codes, action)
            except (WorkbenchError, ValueError, TypeError):
                self._explain(unit_id, coder, round, span, codes, action, doing)
                continue  # the checks in order passed: what was remembered was out of date
            params = (
                unit_id, coder_id, ref[0] if ref else None, version, action, codes, [s for g in groups for s in g],
                memo, None if span is None else int(span[0]), None if span is None else int(span[1]),
            )
            try:
                ids = self.kernel.call(_WB_CODE, params, doing, after=after)
            except ServerRefusal as refusal:
                if refusal.state == "WB009":  # the version in force is not the one expected
                    self._newest = int(refusal.detail)
                    continue
                raise self._refused(refusal, unit_id, span, coder, round, codes, action, doing) from None
            return [int(i) for i in ids]
        raise WorkbenchError(f"could not {doing}: the codebook kept changing; try again")  # pragma: no cover

    def _newest_version(self, doing: str) -> int | None:
        if self._newest is None:
            with self.kernel.reading(doing) as conn:
                self._newest = self.kernel.newest_version(conn)
        return self._newest

    def _explain(
        self, unit_id: str, coder: str, round: RoundRef, span: tuple[int, int] | None, codes: list[str], action: str,
        doing: str,
    ) -> None:
        """Run the checks of a coding in their order, to raise the error SQLite's path raises."""
        with self.kernel.reading(doing) as conn:
            _, _, _, version, cb = self._check(conn, unit_id, coder, round, span)
        self._groups(cb, version, codes, action)
        self._newest = None  # everything passed: look the version in force up again

    def _refused(
        self, refusal: ServerRefusal, unit_id: str, span: tuple[int, int] | None, coder: str, round: RoundRef,
        codes: list[str], action: str, doing: str,
    ) -> Exception:
        """The workbench error for a refusal of ``wb_code``."""
        if refusal.state == "WB001":
            return UnknownUnitError(self.kernel.unknown_unit_message(unit_id))
        if refusal.state == "WB002" and span is not None:
            return ValueError(_past_the_end(span, unit_id, int(refusal.detail)))
        if refusal.state == "WB003":
            return WorkbenchError(_not_open(refusal.message, refusal.detail))
        if refusal.state == "WB004":
            return WorkbenchError(_NO_CODEBOOK)
        try:
            self._explain(unit_id, coder, round, span, codes, action, doing)
        except Exception as exc:  # noqa: BLE001 - the error the checks in order raise
            return exc
        return WorkbenchError(f"could not {doing}: the server refused ({refusal})")  # pragma: no cover

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
        return where_visible(self.kernel, q, cols)

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

        Raises
        ------
        AccessError
            In a project opened for a coder: another coder named in an open round.
        """
        self.access.refuse_blind(coder, round, "codings")
        return self._read(self.filter(self._current(), T.current_codings.c, coder, round, unit_ids),
                          "read the current codings")

    @staticmethod
    def _current(*extra: Any) -> Any:
        """The query of :meth:`codings`, with ``extra`` columns of ``units`` joined on (private)."""
        cc, e, c, r, u = T.current_codings.c, T.coding_events.c, T.coders.c, T.rounds.c, T.units.c
        joined = (
            T.current_codings.join(T.coding_events, e.event_id == cc.event_id)
            .join(T.coders, c.coder_id == cc.coder_id)
            .outerjoin(T.rounds, r.round_id == e.round_id)
        )
        if extra:
            joined = joined.join(T.units, u.unit_id == cc.unit_id)
        return sa.select(
            cc.unit_id, c.name.label("coder"), cc.code, r.name.label("round"), e.codebook_version, e.at,
            e.span_start, e.span_end, e.memo, *(getattr(u, name) for name in extra),
        ).select_from(joined).order_by(cc.event_id)

    def codings_by(
        self, by: str, *, coder: str | Sequence[str] | None = None, round: RoundSelection = ALL_ROUNDS,
    ) -> pd.DataFrame:
        """The current codings with each unit's thread or source joined on: what per-thread agreement reads.

        Parameters
        ----------
        by : {"thread", "source"}
            ``"thread"`` joins the unit's ``thread_id``; ``"source"`` the unit's ``source``
            (the platform or format it was imported from, ``"unknown"`` when not known).
        coder : str or list of str, optional
        round : str, int, None, NO_ROUND or ALL_ROUNDS

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`codings`, then ``thread_id`` or ``source``.
        """
        if not isinstance(by, str) or by not in UNIT_GROUPS:
            raise ValueError(f"by must be one of {list(UNIT_GROUPS)} (what groups the units); got {by!r}")
        self.access.refuse_blind(coder, round, "codings")
        q = self.filter(self._current(UNIT_GROUPS[by]), T.current_codings.c, coder, round)
        return self._read(q, f"read the current codings by {by}")

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

        Raises
        ------
        AccessError
            In a project opened for a coder: another coder named in an open round.
        """
        self.access.refuse_blind(coder, round, "coding history")
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
        self.access.refuse_blind(coder, round, "codes")
        with self.kernel.reading(f"read the codes of coder {coder!r} on unit {unit_id!r}") as conn:
            coder_id = self.kernel.coder_id(conn, coder)
            key = self.kernel.round_key(self.kernel.round_row(conn, round))
            cc = T.current_codings.c
            q = sa.select(cc.code).where(cc.coder_id == coder_id, cc.round_key == key, cc.unit_id == unit_id)
            rows = conn.execute(where_visible(self.kernel, q, cc).order_by(cc.event_id)).scalars()
            return list(dict.fromkeys(rows))
