"""What a merge reads: another project's rows, each with a stable id from its origin.

A :class:`MergeSource` holds plain records (lists of dicts) read from a project database
(:func:`read_project`) or from a ``.qdpx`` export (:meth:`MergeSource.from_refi`), so that
:mod:`~workbench.storage.merge` treats both alike. Each coding event, memo and decision
carries ``uid``: the ``origin_uid`` it was merged with, or for a row made in that project
``"<project id>:e<event id>:<digest of its content>"`` (``m`` for memos, ``a`` for
decisions). The digest makes two copies of one project that went on apart distinct where
their rows differ; a ``.qdpx`` coding's id is ``"qdpx:"`` and a digest of the coding.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..codebook import Codebook
from . import tables as T
from ._kernel import utc_timestamp

__all__ = [
    "KIT_SETTING",
    "MergeSource",
    "PROJECT_UID",
    "marker",
    "native_uid",
    "present",
    "project_uid",
    "read_project",
    "read_uid",
    "same_database",
    "text_checksum",
    "uid_of_row",
]

#: The ``project_info`` key of a project's id.
PROJECT_UID = "project_uid"
#: The ``project_info`` key that marks a coder's kit (see :mod:`workbench.storage.kit`).
KIT_SETTING = "kit"

_TAGS = {"event_id": "e", "memo_id": "m", "adjudication_id": "a"}


def text_checksum(text: str) -> str:
    """The checksum units are compared by: SHA-256 of the text's UTF-8 bytes.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> text_checksum("Thank you.") == hashlib.sha256(b"Thank you.").hexdigest()
    True
    """
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def _digest(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


def _when(value: Any) -> str:
    t = utc_timestamp(value) if value is not None else None
    return "" if t is None or pd.isna(t) else t.strftime("%Y-%m-%dT%H:%M:%S.%f")


def native_uid(key: str, project: str, row: Mapping[str, Any]) -> str:
    """The stable id of a row made in ``project`` (an event, memo or decision).

    Parameters
    ----------
    key : {"event_id", "memo_id", "adjudication_id"}
        The row's id column, which says its table.
    project : str
        The project's id.
    row : mapping
        The row's columns.

    Returns
    -------
    str

    Examples
    --------
    >>> row = {"memo_id": 7, "unit_id": "u", "kind": "memo", "text": "hm", "at": None}
    >>> uid = native_uid("memo_id", "p1", row)
    >>> uid[:6], len(uid), uid == native_uid("memo_id", "p1", {**row, "text": "hm!"})
    ('p1:m7:', 22, False)
    """
    if key == "event_id":
        parts = [row["unit_id"], row["code"], row["action"], _when(row["at"]), row["span_start"], row["span_end"]]
    elif key == "memo_id":
        parts = [row["unit_id"], row["kind"], row["text"], _when(row["at"])]
    else:
        parts = [row["unit_id"], row["codes"], row["decided_by"], _when(row["at"])]
    return f"{project}:{_TAGS[key]}{row[key]}:{_digest(*parts)}"


def uid_of_row(key: str, project: str, row: Mapping[str, Any]) -> str:
    """A row's stable id: where it was merged from, else :func:`native_uid`.

    Parameters
    ----------
    key : {"event_id", "memo_id", "adjudication_id"}
    project : str
    row : mapping

    Returns
    -------
    str
    """
    return row.get("origin_uid") or native_uid(key, project, row)


def read_uid(conn: sa.Connection) -> str | None:
    """The project's id (None in a database not yet given one).

    Parameters
    ----------
    conn : sqlalchemy.Connection

    Returns
    -------
    str or None
    """
    value = conn.execute(sa.select(T.project_info.c.value).where(T.project_info.c.key == PROJECT_UID)).scalar()
    return None if value is None else str(json.loads(value))


def marker(conn: sa.Connection) -> tuple[Any, ...]:
    """The newest audit entry, event, memo and decision (id and time): equal in a project and its unchanged copy.

    Parameters
    ----------
    conn : sqlalchemy.Connection

    Returns
    -------
    tuple
    """
    out: list[Any] = []
    for table, key in ((T.audit_log, "audit_id"), (T.coding_events, "event_id"), (T.memos, "memo_id"),
                       (T.adjudications, "adjudication_id")):
        row = conn.execute(sa.select(table.c[key], table.c.at).order_by(table.c[key].desc()).limit(1)).first()
        out.append(None if row is None else (int(row[0]), _when(row[1])))
    return tuple(out)


def present(conn: sa.Connection, table: sa.Table, key: str, uids: list[str], here: str) -> dict[str, str | None]:
    """Which of ``uids`` the project on ``conn`` (whose id is ``here``) holds, merged or its own.

    Parameters
    ----------
    conn : sqlalchemy.Connection
    table : sqlalchemy.Table
        ``coding_events``, ``memos`` or ``adjudications``.
    key : str
        Its id column.
    uids : list of str
    here : str
        The project's id.

    Returns
    -------
    dict
        ``{uid: name of the coder it belongs to here}`` (None for decisions).
    """
    coder = T.coders.c.name if "coder_id" in table.c else sa.null()
    joined = table.join(T.coders, T.coders.c.coder_id == table.c.coder_id) if "coder_id" in table.c else table
    found: dict[str, str | None] = {}
    col = table.c.origin_uid
    for i in range(0, len(uids), 900):
        q = sa.select(col, coder).select_from(joined).where(col.in_(uids[i : i + 900]))
        found.update((u, n) for u, n in conn.execute(q))
    own: dict[int, str] = {}
    for uid in uids:
        head, _, rest = uid.partition(":")
        number = rest[1:].split(":", 1)[0]
        if head == here and rest[:1] == _TAGS[key] and number.isdigit():
            own[int(number)] = uid
    ids = list(own)
    for i in range(0, len(ids), 900):
        q = sa.select(table, coder.label("coder_name")).select_from(joined).where(table.c[key].in_(ids[i : i + 900]))
        for row in conn.execute(q).mappings():
            if native_uid(key, here, dict(row)) == own[int(row[key])]:
                found[own[int(row[key])]] = row["coder_name"]
    return found


def same_database(a: sa.engine.URL, b: sa.engine.URL) -> bool:
    """Whether two database URLs name the same database (one SQLite file, or one server's database).

    Parameters
    ----------
    a, b : sqlalchemy.engine.URL

    Returns
    -------
    bool

    Examples
    --------
    >>> u = sa.engine.make_url
    >>> same_database(u("sqlite:///x/../p.db"), u("sqlite:///p.db")), same_database(u("sqlite:///a.db"), u("sqlite:///b.db"))
    (True, False)
    """
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        pa, pb = a.database or "", b.database or ""
        if not pa or not pb or ":memory:" in (pa, pb):
            return False
        return os.path.realpath(pa) == os.path.realpath(pb)
    return (a.host or "localhost", a.port, a.database) == (b.host or "localhost", b.port, b.database)


def project_uid(conn: sa.Connection) -> str:
    """The id of the project open on ``conn`` (made by migration 0005; made here if absent).

    Parameters
    ----------
    conn : sqlalchemy.Connection

    Returns
    -------
    str
    """
    uid = read_uid(conn)
    if uid is None:
        uid = str(uuid.uuid4())
        conn.execute(T.project_info.insert().values(key=PROJECT_UID, value=json.dumps(uid)))
    return uid


def _none(value: Any) -> Any:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


@dataclass
class MergeSource:
    """Another project's work, as a merge reads it (records are dicts).

    Attributes
    ----------
    name : str
        How messages name it (a file, a URL without its password).
    units : list of dict
        ``unit_id, checksum`` (:func:`text_checksum` of the text).
    codebooks : dict of int to Codebook
        Its codebook versions.
    coders : list of dict
        ``name, role``.
    rounds : list of dict
        ``name, status, codebook_version, sample, seed, created_at, closed_at``.
    assignments : list of dict
        ``round, coder, unit_id``.
    events : list of dict
        ``uid, unit_id, code, action, coder, round, codebook_version, at, memo, span_start,
        span_end, origin``.
    memos : list of dict
        ``uid, unit_id, coder, round, kind, text, at``.
    adjudications : list of dict
        ``uid, round, unit_id, codes`` (JSON list), ``decided_by, reason, proposal,
        codebook_version, at``.
    project_uid : str, optional
        The source project's id.
    kit : dict, optional
        The kit setting when the source is a coder's kit (``coder, round, made_from``).
    marker : tuple, optional
        See :func:`marker` (guards against merging a project into itself).
    notes : list of str
        What reading it found (e.g. selections across unit boundaries in a ``.qdpx``).
    """

    name: str
    units: list[dict[str, Any]] = field(default_factory=list)
    codebooks: dict[int, Codebook] = field(default_factory=dict)
    coders: list[dict[str, Any]] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    memos: list[dict[str, Any]] = field(default_factory=list)
    adjudications: list[dict[str, Any]] = field(default_factory=list)
    project_uid: str | None = None
    kit: dict[str, Any] | None = None
    marker: tuple[Any, ...] | None = None
    notes: list[str] = field(default_factory=list)

    @functools.cached_property
    def unit_ids(self) -> frozenset[str]:
        """The ids of the source's units."""
        return frozenset(u["unit_id"] for u in self.units)

    @classmethod
    def from_refi(cls, refi: Any, *, name: str | None = None) -> MergeSource:
        """The work in a ``.qdpx`` export (a :class:`workbench.interchange.RefiProject`).

        A ``.qdpx`` holds current codings, not their history: each coding becomes one
        ``apply`` event by the coder who made it (``creatingUser``), in its round when
        the file says one, with the file's codebook as version 1.

        Parameters
        ----------
        refi : RefiProject
            From :func:`workbench.interchange.read_qdpx`.
        name : str, optional
            How messages name it (default: the project's name in the file).

        Returns
        -------
        MergeSource
        """
        codings, units = refi.codings, refi.units
        rounds = [r for r in dict.fromkeys(_none(x) for x in codings["round"]) if r is not None]
        events = []
        for row in codings.to_dict("records"):
            r = {k: _none(v) for k, v in row.items()}
            s0 = None if r["span_start"] is None else int(r["span_start"])
            s1 = None if r["span_end"] is None else int(r["span_end"])
            ident = r.get("guid") or _digest(r["unit_id"], r["coder"], r["code"], r["round"], s0, s1, _when(r["at"]))
            events.append({"uid": f"qdpx:{ident}", "unit_id": str(r["unit_id"]), "code": r["code"], "action": "apply",
                           "coder": str(r["coder"]), "round": r["round"], "codebook_version": 1, "at": r["at"],
                           "memo": None, "span_start": s0, "span_end": s1, "origin": "qdpx"})
        coders = list(dict.fromkeys([e["coder"] for e in events] + [str(u) for u in getattr(refi, "users", [])]))
        return cls(
            name=name or str(getattr(refi, "name", "") or "the .qdpx file"),
            units=[{"unit_id": str(u), "checksum": text_checksum(t)} for u, t in zip(units["unit_id"], units["text"])],
            codebooks={1: refi.codebook},
            coders=[{"name": c, "role": None} for c in coders],
            rounds=[{"name": r, "status": "open", "codebook_version": 1, "sample": None, "seed": None,
                     "created_at": None, "closed_at": None} for r in rounds],
            events=events,
            notes=[str(n) for n in getattr(refi, "warnings", [])],
        )


def _records(conn: sa.Connection, query: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(query).mappings()]


def read_project(
    engine: sa.Engine,
    name: str,
    *,
    coder: str | None = None,
    round: str | None = None,
    unit_ids: Sequence[str] | None = None,
    versions: Sequence[int] | None = None,
    adjudications: bool = True,
) -> MergeSource:
    """Read a project database as a merge source (optionally one coder's work in one round).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The other project (opened with :func:`workbench.storage.connect`).
    name : str
        How messages name it.
    coder, round : str, optional
        Only this coder's, only this round's work (and only them as coders and rounds).
    unit_ids : list of str, optional
        Only these units (and the work on them).
    versions : list of int, optional
        Only these codebook versions.
    adjudications : bool
        Read the decisions too.

    Returns
    -------
    MergeSource
    """
    c, r = T.coders.c, T.rounds.c
    wanted = None if unit_ids is None else set(unit_ids)

    def narrow(q: Any, *, by_coder: bool = True) -> Any:  # the filters the database can apply
        if coder is not None and by_coder:
            q = q.where(c.name == coder)
        return q if round is None else q.where(r.name == round)

    def keep(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [x for x in rows if wanted is None or x.get("unit_id") is None or x["unit_id"] in wanted]

    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn:  # one snapshot
        uid = read_uid(conn)
        kit = conn.execute(sa.select(T.project_info.c.value).where(T.project_info.c.key == KIT_SETTING)).scalar()
        u = T.units.c
        texts = sa.select(u.unit_id, u.text).order_by(u.seq)
        if wanted is not None:
            ids = sorted(wanted)
            pairs = [p for i in range(0, len(ids), 900) for p in conn.execute(texts.where(u.unit_id.in_(ids[i : i + 900])))]
        else:
            pairs = list(conn.execute(texts))
        units = [{"unit_id": x, "checksum": text_checksum(t)} for x, t in pairs]
        cv = T.codebook_versions.c
        books = {int(v): Codebook.from_dict(json.loads(b))
                 for v, b in conn.execute(sa.select(cv.version, cv.body).order_by(cv.version))
                 if versions is None or int(v) in versions}
        coders = _records(conn, sa.select(c.name, c.role).where(sa.true() if coder is None else c.name == coder)
                          .order_by(c.coder_id))
        rounds = _records(conn, sa.select(T.rounds).where(sa.true() if round is None else r.name == round)
                          .order_by(r.round_id))
        a = T.round_assignments.c
        assignments = keep(_records(conn, narrow(
            sa.select(r.name.label("round"), c.name.label("coder"), a.unit_id)
            .select_from(T.round_assignments.join(T.rounds, r.round_id == a.round_id)
                         .join(T.coders, c.coder_id == a.coder_id)).order_by(a.seq))))
        e = T.coding_events.c
        events = keep(_records(conn, narrow(
            sa.select(T.coding_events, c.name.label("coder"), r.name.label("round"))
            .select_from(T.coding_events.join(T.coders, c.coder_id == e.coder_id)
                         .outerjoin(T.rounds, r.round_id == e.round_id)).order_by(e.event_id))))
        m = T.memos.c
        memos = keep(_records(conn, narrow(
            sa.select(T.memos, c.name.label("coder"), r.name.label("round"))
            .select_from(T.memos.join(T.coders, c.coder_id == m.coder_id)
                         .outerjoin(T.rounds, r.round_id == m.round_id)).order_by(m.memo_id))))
        j = T.adjudications.c
        decided = [] if not adjudications else keep(_records(conn, narrow(
            sa.select(T.adjudications, r.name.label("round"))
            .select_from(T.adjudications.outerjoin(T.rounds, r.round_id == j.round_id))
            .order_by(j.adjudication_id), by_coder=False)))
        mark = marker(conn)
    project = uid or f"unnamed:{name}"
    for key, rows in (("event_id", events), ("memo_id", memos), ("adjudication_id", decided)):
        for row in rows:
            row["uid"] = uid_of_row(key, project, row)
    return MergeSource(
        name=name, units=units, codebooks=books, coders=coders, rounds=rounds, assignments=assignments,
        events=events, memos=memos, adjudications=decided, project_uid=uid,
        kit=json.loads(kit) if kit else None, marker=mark,
    )
