"""What every part of the store shares: transactions, errors, audit, look-ups, the clock.

One :class:`Kernel` per open project holds the engine. The parts of the store
(:mod:`~workbench.storage.units`, :mod:`~workbench.storage.codings`, ...) reach the
database only through it:

* :meth:`Kernel.transaction` (a write: SQLite's write lock is taken at ``BEGIN``) and
  :meth:`Kernel.reading` turn a driver error (SQLAlchemy's, sqlite3's, psycopg's) into
  one :class:`~workbench.errors.StoreError` that names the database (a URL's password
  masked) and what was being done; workbench errors pass through unchanged;
* :meth:`Kernel.audit` writes the audit log inside the caller's transaction;
* :meth:`Kernel.coder_id`, :meth:`Kernel.round_row` and :meth:`Kernel.require_unit`
  look names up and raise the named errors;
* :func:`now` is the clock, :func:`utc` and :func:`utc_timestamp` read stored times
  as UTC (SQLite returns naive UTC datetimes);
* :func:`round_selection` reads a ``round=`` argument (see :mod:`workbench.sentinels`);
* :attr:`Kernel.viewer` is the coder the project was opened for (None: opened without
  one), whom :meth:`Kernel.audit` names (the rules are in :mod:`~workbench.storage.access`);
* :meth:`Kernel.call` runs one statement in its own transaction: one round trip.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias

import pandas as pd
import sqlalchemy as sa

from ..errors import StoreError, UnknownCoderError, UnknownRoundError, UnknownUnitError
from ..sentinels import ALL_ROUNDS, NO_ROUND, RoundFilter
from . import tables as T
from .engine import display_url, write

__all__ = [
    "DRIVER_ERRORS",
    "Kernel",
    "RoundRef",
    "RoundSelection",
    "ServerRefusal",
    "Viewer",
    "now",
    "round_selection",
    "utc",
    "utc_timestamp",
]

#: Exceptions of the database drivers that the store turns into StoreError.
DRIVER_ERRORS: tuple[type[BaseException], ...] = (sa.exc.SQLAlchemyError, sqlite3.Error, pd.errors.DatabaseError)

#: A round as callers name it: its name, its id, or ``None``/``NO_ROUND`` (outside any round).
RoundRef: TypeAlias = str | int | RoundFilter | None
#: A ``round=`` argument of a read: a round, ``NO_ROUND``/``None`` or ``ALL_ROUNDS``.
RoundSelection: TypeAlias = str | int | RoundFilter | None


def now() -> dt.datetime:
    """The time now, in UTC (every stored time is UTC).

    Returns
    -------
    datetime.datetime
        Timezone-aware.

    Examples
    --------
    >>> now().tzinfo is not None
    True
    """
    return dt.datetime.now(dt.UTC)


def utc(series: pd.Series) -> pd.Series:
    """Stored times as timezone-aware UTC timestamps (naive values are UTC; bad ones NaT).

    Parameters
    ----------
    series : pandas.Series
        Times as the driver returns them.

    Returns
    -------
    pandas.Series
        ``datetime64[ns, UTC]``.

    Examples
    --------
    >>> utc(pd.Series(["2025-01-01 10:00:00", None])).tolist()
    [Timestamp('2025-01-01 10:00:00+0000', tz='UTC'), NaT]
    """
    return pd.to_datetime(series, utc=True, errors="coerce", format="mixed")


def utc_timestamp(value: Any) -> pd.Timestamp | None:
    """One stored time as a UTC timestamp (None stays None).

    Parameters
    ----------
    value : datetime, str or None
        A time as the driver returns it.

    Returns
    -------
    pandas.Timestamp or None

    Examples
    --------
    >>> utc_timestamp(dt.datetime(2025, 1, 1, 10))
    Timestamp('2025-01-01 10:00:00+0000', tz='UTC')
    """
    if value is None:
        return None
    t = pd.Timestamp(value)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


class ServerRefusal(Exception):
    """A server-side function of the store refused on purpose (SQLSTATE ``WB...``).

    The caller turns it into the workbench error the same refusal raises on SQLite.

    Parameters
    ----------
    state : str
        The SQLSTATE (``WB001``: unknown unit, ...).
    message, detail : str
        What the function said.
    """

    def __init__(self, state: str, message: str = "", detail: str = ""):
        super().__init__(f"{state}: {message} ({detail})")
        self.state, self.message, self.detail = state, message, detail


@dataclass(frozen=True)
class Viewer:
    """The coder a project was opened for.

    Parameters
    ----------
    name : str
    coder_id : int
    role : str
        ``coder`` or ``supervisor``.

    Examples
    --------
    >>> Viewer("alice", 1, "coder").supervisor
    False
    """

    name: str
    coder_id: int
    role: str

    @property
    def supervisor(self) -> bool:
        """Whether the coder is a supervisor (who reads and writes everything)."""
        return self.role == "supervisor"


def round_selection(round: Any, *, every: bool = True) -> RoundSelection:
    """Check a ``round=`` argument: a round's name or id, ``NO_ROUND`` (or None) or ``ALL_ROUNDS``.

    Parameters
    ----------
    round : str, int, None, NO_ROUND or ALL_ROUNDS
        ``None`` means ``NO_ROUND`` (outside any round), everywhere.
    every : bool
        Whether ``ALL_ROUNDS`` is allowed (reads: yes; writes and queues: no).

    Returns
    -------
    str, int, NO_ROUND or ALL_ROUNDS
        ``None`` comes back as ``NO_ROUND``.

    Raises
    ------
    TypeError
        ``...`` (the old spelling of every round), or anything else that names no round.

    Examples
    --------
    >>> round_selection(None), round_selection("pilot"), round_selection(ALL_ROUNDS)
    (NO_ROUND, 'pilot', ALL_ROUNDS)
    >>> round_selection(...)
    Traceback (most recent call last):
    ...
    TypeError: round=... is not a round selection; pass round=workbench.ALL_ROUNDS (every coding), round=workbench.NO_ROUND or None (outside any round), or a round's name or id
    """
    if round is None or round is NO_ROUND:
        return NO_ROUND
    if round is ALL_ROUNDS:
        if not every:
            raise TypeError(
                "ALL_ROUNDS selects codings to read; here name one round, or pass NO_ROUND (or None) "
                "for outside any round"
            )
        return ALL_ROUNDS
    if isinstance(round, str) or (isinstance(round, int) and not isinstance(round, bool)):
        return round
    shown = "..." if round is Ellipsis else repr(round)
    if every:
        raise TypeError(
            f"round={shown} is not a round selection; pass round=workbench.ALL_ROUNDS (every coding), "
            "round=workbench.NO_ROUND or None (outside any round), or a round's name or id"
        )
    raise TypeError(
        f"round={shown} is not a round; pass a round's name or id, or workbench.NO_ROUND (or None) "
        "for outside any round"
    )


class Kernel:
    """The engine of one open project and the helpers every part of the store uses.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        From :func:`workbench.storage.connect`.
    name : str
        How the database is named in messages (see :func:`display_url`).
    """

    def __init__(self, engine: sa.Engine, name: str = ""):
        self.engine = engine
        self.name = name or display_url(str(engine.url))
        self._coder_ids: dict[str, int] = {}
        self._rounds: dict[str | int, tuple[int, str, int | None]] = {}
        #: the coder the project was opened for (None: opened without a coder)
        self.viewer: Viewer | None = None
        self._held: sa.Connection | None = None  # the connection of :meth:`call`
        self._held_used = 0.0
        self._held_lock = threading.RLock()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    # --- transactions and errors ------------------------------------------------------------
    def error(self, doing: str, exc: BaseException, after: str = "") -> StoreError:
        """The StoreError for a driver error ``exc`` met while ``doing`` something.

        Parameters
        ----------
        doing : str
            What was being done, e.g. ``"record a coding on unit 't1:1'"``.
        exc : Exception
            The driver's error.
        after : str
            What the user should know next (``"Nothing was recorded; try again."``).

        Returns
        -------
        StoreError
        """
        while isinstance(exc, pd.errors.DatabaseError) and exc.__cause__ is not None:
            exc = exc.__cause__  # pandas wraps the driver's error around the whole SQL text
        orig = getattr(exc, "orig", None) or exc
        text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        return StoreError(f"the project database {self.name} refused to {doing}: {text}. {after}".strip())

    @contextmanager
    def transaction(self, doing: str, *, after: str = "Nothing was changed.") -> Iterator[sa.Connection]:
        """A write transaction, committed when the block ends, rolled back if it raises.

        Parameters
        ----------
        doing : str
            What the transaction does, for the message of a :class:`StoreError`.
        after : str
            The last sentence of that message.

        Yields
        ------
        sqlalchemy.Connection
        """
        try:
            with write(self.engine) as conn, conn.begin():
                yield conn
        except DRIVER_ERRORS as exc:
            raise self.error(doing, exc, after) from exc

    @contextmanager
    def reading(self, doing: str) -> Iterator[sa.Connection]:
        """A connection for reads; driver errors become a :class:`StoreError`.

        Parameters
        ----------
        doing : str
            What is being read, for the message.

        Yields
        ------
        sqlalchemy.Connection
        """
        try:
            with self.engine.connect() as conn:
                yield conn
        except DRIVER_ERRORS as exc:
            raise self.error(doing, exc) from exc

    def call(self, statement: str, params: tuple[Any, ...], doing: str, *, after: str = "", read: bool = False) -> Any:
        """Run one statement in its own transaction (autocommit): one round trip to the server.

        For PostgreSQL's ``wb_code`` and ``wb_next_unit``: the statement has committed, or
        changed nothing, when this returns. It runs on a connection the kernel keeps (a
        pool's check-out would add a ping); one idle for a while is pinged first, and a
        read is retried once on a new connection when the old one turns out dead.

        Parameters
        ----------
        statement : str
            SQL with ``%s`` placeholders (the driver's own style).
        params : tuple
        doing, after : str
            What is being done, and the last sentence, for the message of a StoreError.
        read : bool
            The statement only reads (safe to send again).

        Returns
        -------
        any
            The first column of the first row.

        Raises
        ------
        ServerRefusal
            The server refused on purpose (SQLSTATE ``WB...``); any other driver error
            becomes a :class:`StoreError`.
        """
        with self._held_lock:
            for attempt in (1, 2):
                try:
                    conn = self._held_connection()
                    value = conn.exec_driver_sql(statement, params).scalar()
                    conn.commit()  # nothing to send in autocommit: ends SQLAlchemy's own bookkeeping
                    return value
                except sa.exc.DBAPIError as exc:
                    self._drop_held(invalidated=exc.connection_invalidated)
                    state = str(getattr(exc.orig, "sqlstate", "") or "")
                    if state.startswith("WB"):
                        diag = getattr(exc.orig, "diag", None)
                        raise ServerRefusal(state, getattr(diag, "message_primary", "") or "",
                                            getattr(diag, "message_detail", "") or "") from None
                    if not (read and exc.connection_invalidated and attempt == 1):
                        raise self.error(doing, exc, after) from exc
                except DRIVER_ERRORS as exc:
                    self._drop_held(invalidated=True)
                    raise self.error(doing, exc, after) from exc

    def _held_connection(self) -> sa.Connection:
        """The kept autocommit connection; pinged when it has been idle for 30 s or more."""
        if self._held is not None and time.monotonic() - self._held_used > 30:
            try:
                self._held.exec_driver_sql("SELECT 1").close()
                self._held.commit()
            except sa.exc.DBAPIError:
                self._drop_held(invalidated=True)
        if self._held is None:
            self._held = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._held_used = time.monotonic()
        return self._held

    def _drop_held(self, *, invalidated: bool) -> None:
        if self._held is None:
            return
        if invalidated:
            self._held.close()
            self._held = None
        else:
            self._held.rollback()

    def close(self) -> None:
        """Give back the kept connection (the engine's pool is the caller's to dispose)."""
        with self._held_lock:
            if self._held is not None:
                self._held.close()
                self._held = None

    def frame(self, query: Any, doing: str, *, times: tuple[str, ...] = ()) -> pd.DataFrame:
        """Run a query into a DataFrame, with the named time columns in UTC.

        Parameters
        ----------
        query : sqlalchemy.Select
        doing : str
            What is being read, for the message of a :class:`StoreError`.
        times : tuple of str
            Columns to convert with :func:`utc`.

        Returns
        -------
        pandas.DataFrame
        """
        with self.reading(doing) as conn:
            df = pd.read_sql(query, conn)
        for col in times:
            df[col] = utc(df[col])
        return df

    # --- audit --------------------------------------------------------------------------------
    def audit(self, conn: sa.Connection, action: str, detail: Any = None, actor: str | None = None) -> None:
        """Append to the audit log inside the caller's transaction.

        Parameters
        ----------
        conn : sqlalchemy.Connection
        action : str
            What happened (``add_units``, ``new_round``, ...).
        detail : any
            JSON-serialisable detail.
        actor : str, optional
            Who did it; in a project opened for a coder, always that coder.
        """
        role = "owner"
        if self.viewer is not None:
            actor, role = self.viewer.name, self.viewer.role
        conn.execute(
            T.audit_log.insert().values(at=now(), actor=actor, action=action, detail=json.dumps(detail, default=str),
                                        role=role)
        )

    # --- look-ups -----------------------------------------------------------------------------
    def coder_id(self, conn: sa.Connection, name: str) -> int:
        """The id of a coder; :class:`UnknownCoderError` naming the known coders if absent.

        Parameters
        ----------
        conn : sqlalchemy.Connection
        name : str

        Returns
        -------
        int
        """
        if name in self._coder_ids:
            return self._coder_ids[name]
        cid = conn.execute(sa.select(T.coders.c.coder_id).where(T.coders.c.name == name)).scalar()
        if cid is None:
            known = list(conn.execute(sa.select(T.coders.c.name).order_by(T.coders.c.coder_id)).scalars())
            raise UnknownCoderError(
                f"coder {name!r} is not in this project; known coders: {known}. "
                f"Add them first with project.add_coder({name!r})"
            )
        self._coder_ids[name] = int(cid)
        return int(cid)

    def round_ref(self, round: RoundRef, doing: str) -> tuple[int, str, int | None] | None:
        """A round's id, name and pinned codebook version, remembered after the first look-up.

        These never change once a round exists (its status does: read it where it matters).

        Parameters
        ----------
        round : str, int, None or NO_ROUND
        doing : str
            What the look-up is for, for the message of a :class:`StoreError`.

        Returns
        -------
        tuple or None
            ``(round_id, name, codebook_version)``; None outside any round.
        """
        sel = round_selection(round, every=False)
        if sel is NO_ROUND:
            return None
        found = self._rounds.get(sel)  # type: ignore[arg-type]
        if found is None:
            with self.reading(doing) as conn:
                rnd = self.one_round(conn, sel, "a round look-up")
            found = (int(rnd["round_id"]), str(rnd["name"]), rnd["codebook_version"])
            self._rounds[found[0]] = self._rounds[found[1]] = found
        return found

    def coder_id_cached(self, name: str, doing: str) -> int:
        """:meth:`coder_id`, without a connection when the coder was looked up before.

        Parameters
        ----------
        name : str
        doing : str
            What the look-up is for, for the message of a :class:`StoreError`.

        Returns
        -------
        int
        """
        if isinstance(name, str) and name in self._coder_ids:
            return self._coder_ids[name]
        with self.reading(doing) as conn:
            return self.coder_id(conn, name)

    def round_row(self, conn: sa.Connection, round: RoundRef) -> dict[str, Any] | None:
        """A round's row as a dict; None for ``None``/``NO_ROUND`` (outside any round).

        Parameters
        ----------
        conn : sqlalchemy.Connection
        round : str, int, None or NO_ROUND
            A round's name or id.

        Returns
        -------
        dict or None

        Raises
        ------
        UnknownRoundError
            No such round; the message lists the rounds.
        TypeError
            ``ALL_ROUNDS`` or ``...`` where one round is meant.
        """
        sel = round_selection(round, every=False)
        if sel is NO_ROUND:
            return None
        col = T.rounds.c.round_id if isinstance(sel, int) else T.rounds.c.name
        row = conn.execute(sa.select(T.rounds).where(col == sel)).mappings().first()
        if row is None:
            names = list(conn.execute(sa.select(T.rounds.c.name).order_by(T.rounds.c.round_id)).scalars())
            raise UnknownRoundError(f"round {sel!r} does not exist; rounds: {names}")
        return dict(row)

    def one_round(self, conn: sa.Connection, round: RoundRef, what: str) -> dict[str, Any]:
        """Like :meth:`round_row`, for calls that need a round (``what`` names the call).

        Parameters
        ----------
        conn : sqlalchemy.Connection
        round : str or int
        what : str
            The call, for the message (``"round_info"``).

        Returns
        -------
        dict
        """
        rnd = self.round_row(conn, round)
        if rnd is None:
            raise TypeError(f"{what} needs a round name or id, not {round!r}")
        return rnd

    @staticmethod
    def round_key(rnd: dict[str, Any] | None) -> int:
        """The ``round_key`` of the derived tables (``NO_ROUND_KEY`` outside any round).

        Parameters
        ----------
        rnd : dict or None
            A row from :meth:`round_row`.

        Returns
        -------
        int
        """
        return T.NO_ROUND_KEY if rnd is None else int(rnd["round_id"])

    @staticmethod
    def unknown_unit_message(unit_id: Any) -> str:
        """The message for a unit id the project does not hold.

        Parameters
        ----------
        unit_id : any

        Returns
        -------
        str
        """
        return (
            f"unit {unit_id!r} is not in this project; use project.units() to list unit ids "
            "(ids are strings, e.g. '12' not 12)"
        )

    def require_unit(self, conn: sa.Connection, unit_id: str) -> None:
        """Raise :class:`UnknownUnitError` unless the unit is stored.

        Parameters
        ----------
        conn : sqlalchemy.Connection
        unit_id : str
        """
        if conn.execute(sa.select(T.units.c.unit_id).where(T.units.c.unit_id == unit_id)).first() is None:
            raise UnknownUnitError(self.unknown_unit_message(unit_id))

    def newest_version(self, conn: sa.Connection) -> int | None:
        """The newest codebook version (None before the first).

        Parameters
        ----------
        conn : sqlalchemy.Connection

        Returns
        -------
        int or None
        """
        value = conn.execute(sa.select(sa.func.max(T.codebook_versions.c.version))).scalar()
        return None if value is None else int(value)

    def where_round(self, q: Any, cols: Any, round: RoundSelection) -> Any:
        """Restrict a query on codings, events or memos to a round selection.

        The derived tables key "outside any round" as ``NO_ROUND_KEY`` (``round_key``);
        the event log and memos as NULL (``round_id``).

        Parameters
        ----------
        q : sqlalchemy.Select
        cols : column collection
            The columns of the table filtered (with ``round_key`` or ``round_id``).
        round : str, int, None, NO_ROUND or ALL_ROUNDS

        Returns
        -------
        sqlalchemy.Select
        """
        sel = round_selection(round)
        if sel is ALL_ROUNDS:
            return q
        derived = hasattr(cols, "round_key")
        key = cols.round_key if derived else cols.round_id
        if sel is NO_ROUND:
            return q.where(key == T.NO_ROUND_KEY) if derived else q.where(key.is_(None))
        with self.reading("look up a round") as conn:
            rnd = self.one_round(conn, sel, "a round filter")
        return q.where(key == rnd["round_id"])
