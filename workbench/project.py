"""``Project``: the one facade over the store.

Widgets, notebooks and the command line talk to a project only through this class.
Every call that records something (a coding, a memo, a codebook version) runs in one
committed transaction and has reached the disk before it returns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from . import corpus
from ._codebook_ops import CodebookOps
from ._rounds import Rounds
from .codebook import Codebook
from .errors import (
    StoreError,
    UnitsError,
    UnknownCodeError,
    UnknownCoderError,
    UnknownRoundError,
    UnknownUnitError,
    WorkbenchError,
)
from .storage import connect, write
from .storage import tables as T
from .storage.tables import NO_ROUND

__all__ = ["Project", "open_project"]

_CHUNK = 20_000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _as_list(codes: str | Iterable[str]) -> list[str]:
    if isinstance(codes, str):
        return [codes]
    out = list(codes)
    for c in out:
        if not isinstance(c, str):
            raise TypeError(f"codes must be strings (code names), got {c!r}")
    return out


def _span_key(span: tuple[int, int] | None) -> str:
    return "" if span is None else f"{int(span[0])}:{int(span[1])}"


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, errors="coerce", format="mixed")


def open_project(url_or_path: str | Path, *, create: bool = True, backup: bool = True) -> Project:
    """Open a project store, creating or upgrading its database as needed.

    Parameters
    ----------
    url_or_path : str or Path
        A SQLite file (``data/project.db``) or a URL (``postgresql://user@host/db``).
    create : bool
        Create a SQLite file that does not exist yet.
    backup : bool
        Copy a SQLite file aside before migrating it to a newer schema.

    Examples
    --------
    >>> import tempfile, os
    >>> project = open_project(os.path.join(tempfile.mkdtemp(), "demo.db"))
    >>> project.add_coder("alice")
    'alice'
    >>> project.close()
    """
    return Project(connect(url_or_path, create=create, backup=backup), url=str(url_or_path))


class Project(CodebookOps, Rounds):
    """A coding project: threads and units, codebook versions, coders, rounds and codings.

    Open one with :func:`open_project`. See the module docstring for durability.
    """

    def __init__(self, engine: sa.Engine, *, url: str = ""):
        self.engine = engine
        self.url = url
        self._coder_ids: dict[str, int] = {}
        self._codebooks: dict[int, Codebook] = {}

    # --- housekeeping ---------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<Project {self.url}>"

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def _write(self) -> sa.Connection:
        return write(self.engine)

    def _audit(self, conn: sa.Connection, action: str, detail: Any = None, actor: str | None = None):
        conn.execute(
            T.audit_log.insert().values(
                at=_now(), actor=actor, action=action, detail=json.dumps(detail, default=str)
            )
        )

    def audit_log(self) -> pd.DataFrame:
        """The audit log: one row per change to the project (imports, codebooks, rounds, ...)."""
        with self.engine.connect() as conn:
            df = pd.read_sql(sa.select(T.audit_log).order_by(T.audit_log.c.audit_id), conn)
        df["at"] = _utc(df["at"])
        return df

    def get_setting(self, key: str, default: Any = None) -> Any:
        """A project setting (JSON value) such as ``privacy`` or ``content_warnings``."""
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(T.project_info.c.value).where(T.project_info.c.key == key)
            ).scalar()
        return default if value is None else json.loads(value)

    def set_setting(self, key: str, value: Any, *, actor: str | None = None) -> None:
        """Record a project setting (JSON-serialisable), with an audit entry."""
        body = json.dumps(value)
        with self._write() as conn, conn.begin():
            updated = conn.execute(
                T.project_info.update().where(T.project_info.c.key == key).values(value=body)
            ).rowcount
            if not updated:
                conn.execute(T.project_info.insert().values(key=key, value=body))
            self._audit(conn, "set_setting", {"key": key, "value": value}, actor)

    # --- units ----------------------------------------------------------------------------
    def add_units(
        self,
        units: pd.DataFrame,
        *,
        source_file: str | None = None,
        format: str | None = None,
        checksum: str | None = None,
        progress: bool | None = None,
    ) -> int:
        """Store a units table; idempotent by ``unit_id``.

        Validates the table first (missing columns, duplicate ids, parents that point
        nowhere, cycles) and writes nothing if it is invalid. Units already stored are
        left as they are. When the table comes from :func:`workbench.load_threads` its
        source (file name, format, checksum) is recorded, and re-importing the same file
        is a no-op.

        Returns
        -------
        int
            The number of units newly added.

        Raises
        ------
        UnitsError
            The table is invalid; the message names the offending unit ids.
        """
        if not isinstance(units, pd.DataFrame):
            raise TypeError(f"add_units takes a units DataFrame, not {type(units).__name__}")
        meta = dict(units.attrs.get("source") or {})
        source_file = source_file or meta.get("file_name")
        format = format or meta.get("format")
        checksum = checksum or meta.get("checksum")
        if checksum is not None:
            with self.engine.connect() as conn:
                seen = conn.execute(
                    sa.select(T.sources.c.source_id).where(T.sources.c.checksum == checksum)
                ).scalar()
            if seen is not None:
                return 0
        if units.empty:
            return 0
        # Parents may be units stored by an earlier import.
        ids = units["unit_id"].to_numpy(dtype=object)
        id_set = set(ids)
        outside = {p for p in units["parent_id"].dropna().to_numpy(dtype=object) if p not in id_set}
        known = self._existing_ids(outside) if outside else set()
        corpus.validate_units(units, known_ids=known)

        existing = self._existing_ids(id_set)
        new = units[[u not in existing for u in ids]] if existing else units
        if new.empty:
            return 0
        show = progress if progress is not None else len(new) > 50_000
        from tqdm.auto import tqdm

        with self._write() as conn, conn.begin():
            source_id = None
            if source_file is not None or checksum is not None:
                source_id = conn.execute(
                    T.sources.insert()
                    .values(
                        file_name=str(source_file or "(data frame)"),
                        format=str(format or "dataframe"),
                        checksum=checksum,
                        imported_at=_now(),
                        n_units=len(new),
                    )
                    .returning(T.sources.c.source_id)
                ).scalar_one()
            # threads
            titles = {}
            if "title" in new.columns:
                titled = new.dropna(subset=["title"]).drop_duplicates("thread_id")
                titles = dict(zip(titled["thread_id"], titled["title"]))
            thread_ids = list(dict.fromkeys(new["thread_id"]))
            have = self._existing_threads(conn, thread_ids)
            fresh = [t for t in thread_ids if t not in have]
            now = _now()
            for i in range(0, len(fresh), _CHUNK):
                conn.execute(
                    T.threads.insert(),
                    [
                        {"thread_id": t, "source_id": source_id, "title": titles.get(t), "created_at": now}
                        for t in fresh[i : i + _CHUNK]
                    ],
                )
            start = (conn.execute(sa.select(sa.func.max(T.units.c.seq))).scalar() or 0) + 1
            columns = ", ".join(self._UNIT_INSERT)
            bar = tqdm(total=len(new), desc="Storing units", unit="unit", disable=not show)
            if self.dialect == "postgresql":  # COPY: the bulk path PostgreSQL is built for
                with conn.connection.driver_connection.cursor() as cur:
                    with cur.copy(f"COPY units ({columns}) FROM STDIN") as copy:
                        for chunk in self._unit_rows(new, start, source_id):
                            for row in chunk:
                                copy.write_row(row)
                            bar.update(len(chunk))
            else:
                marks = ", ".join(["?"] * len(self._UNIT_INSERT))
                sql = f"INSERT INTO units ({columns}) VALUES ({marks})"
                for chunk in self._unit_rows(new, start, source_id):
                    conn.exec_driver_sql(sql, chunk)
                    bar.update(len(chunk))
            bar.close()
            self._audit(
                conn,
                "add_units",
                {"n_units": len(new), "file": source_file, "format": format, "checksum": checksum},
            )
        if self.dialect == "postgresql" and len(new) >= 10_000:
            # fresh statistics after a bulk load, so the planner keeps using the indexes
            # (autovacuum would get there, but only later)
            with self.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE units")
                conn.exec_driver_sql("ANALYZE threads")
        return len(new)

    _UNIT_INSERT = (
        "unit_id", "seq", "thread_id", "parent_id", "depth", "position", "author", "author_role",
        "posted_at", "text", "kind", "status", "source", "codable", "title", "content_warning",
        "extra", "source_id",
    )

    def _unit_rows(self, df: pd.DataFrame, start: int, source_id: int | None):
        """Chunks of row tuples in the order of ``_UNIT_INSERT``, built column-wise."""
        sqlite = self.dialect == "sqlite"
        known = set(corpus.UNIT_COLUMNS) | {"title", "content_warning", "extra"}
        extra_cols = [c for c in df.columns if c not in known]

        def strings(part, name):
            if name not in part.columns:
                return [None] * len(part)
            values = part[name].to_numpy(dtype=object)
            return [None if v is None or v != v else str(v) for v in values]

        for lo in range(0, len(df), _CHUNK):
            part = df.iloc[lo : lo + _CHUNK]
            n = len(part)
            posted = _utc(part["posted_at"])
            if sqlite:  # the format SQLAlchemy's DateTime type writes and reads on SQLite
                posted_v = posted.dt.strftime("%Y-%m-%d %H:%M:%S.%f").to_numpy(dtype=object)
            else:
                posted_v = np.array(posted.dt.to_pydatetime(), dtype=object)
            posted_v = [None if posted.iloc[i] is pd.NaT or pd.isna(posted.iloc[i]) else posted_v[i] for i in range(n)] if posted.isna().any() else list(posted_v)
            status = part["status"].astype(str).to_numpy(dtype=object)
            codable = np.isin(status, corpus.CODABLE_STATUSES)
            codable_v = codable.astype(int).tolist() if sqlite else codable.tolist()
            if "extra" in part.columns or extra_cols:
                extra = []
                for i in range(n):
                    d = {}
                    if "extra" in part.columns and isinstance(part["extra"].iloc[i], dict):
                        d.update(part["extra"].iloc[i])
                    for c in extra_cols:
                        v = part[c].iloc[i]
                        if v is not None and not (isinstance(v, float) and np.isnan(v)):
                            d[c] = v
                    extra.append(json.dumps(d, default=str) if d else None)
            else:
                extra = [None] * n
            yield list(
                zip(
                    part["unit_id"].astype(str).tolist(),
                    range(start + lo, start + lo + n),
                    part["thread_id"].astype(str).tolist(),
                    strings(part, "parent_id"),
                    part["depth"].astype("int64").tolist(),
                    part["position"].astype("int64").tolist(),
                    part["author"].fillna("").astype(str).tolist(),
                    strings(part, "author_role"),
                    posted_v,
                    part["text"].astype(str).tolist(),
                    part["kind"].astype(str).tolist(),
                    status.tolist(),
                    part["source"].astype(str).tolist(),
                    codable_v,
                    strings(part, "title"),
                    strings(part, "content_warning"),
                    extra,
                    [source_id] * n,
                )
            )

    def _existing_ids(self, ids: set[str]) -> set[str]:
        """Which of ``ids`` are stored: nothing to ask of an empty project, one scan when the
        project is not much larger than the question, else look-ups in chunks."""
        found: set[str] = set()
        ids_list = list(ids)
        with self.engine.connect() as conn:
            stored = conn.execute(sa.select(sa.func.count()).select_from(T.units)).scalar()
            if stored == 0 or not ids_list:
                return found
            if stored <= 5 * len(ids_list):
                return {u for u in conn.execute(sa.select(T.units.c.unit_id)).scalars() if u in ids}
            for i in range(0, len(ids_list), 900):
                found.update(
                    conn.execute(
                        sa.select(T.units.c.unit_id).where(T.units.c.unit_id.in_(ids_list[i : i + 900]))
                    ).scalars()
                )
        return found

    @staticmethod
    def _existing_threads(conn: sa.Connection, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), 900):
            found.update(
                conn.execute(
                    sa.select(T.threads.c.thread_id).where(T.threads.c.thread_id.in_(ids[i : i + 900]))
                ).scalars()
            )
        return found

    _UNIT_COLS = [T.units.c[c] for c in corpus.UNIT_COLUMNS] + [
        T.units.c.title,
        T.units.c.content_warning,
        T.units.c.codable,
        T.units.c.seq,
    ]

    def _units_frame(self, query) -> pd.DataFrame:
        with self.engine.connect() as conn:
            df = pd.read_sql(query, conn)
        if "posted_at" in df:
            df["posted_at"] = _utc(df["posted_at"])
        if "codable" in df:
            df["codable"] = df["codable"].astype(bool)
        return df

    def units(
        self,
        *,
        thread_id: str | Sequence[str] | None = None,
        unit_ids: Sequence[str] | None = None,
        codable: bool | None = None,
    ) -> pd.DataFrame:
        """Stored units as a units table (plus ``title``, ``content_warning``, ``codable``, ``seq``)."""
        q = sa.select(*self._UNIT_COLS).order_by(T.units.c.seq)
        if thread_id is not None:
            ids = [thread_id] if isinstance(thread_id, str) else list(thread_id)
            q = q.where(T.units.c.thread_id.in_(ids))
        if unit_ids is not None:
            q = q.where(T.units.c.unit_id.in_(list(unit_ids)))
        if codable is not None:
            q = q.where(T.units.c.codable == codable)
        return self._units_frame(q)

    def unit(self, unit_id: str) -> dict[str, Any]:
        """One unit as a dict; :class:`UnknownUnitError` if it is not stored."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(*self._UNIT_COLS, T.units.c.extra).where(T.units.c.unit_id == unit_id)
            ).mappings().first()
        if row is None:
            raise UnknownUnitError(self._unknown_unit_message(unit_id))
        out = dict(row)
        if out.get("posted_at") is not None and out["posted_at"].tzinfo is None:
            out["posted_at"] = out["posted_at"].replace(tzinfo=dt.timezone.utc)
        out["extra"] = json.loads(out["extra"]) if out.get("extra") else {}
        return out

    def _unknown_unit_message(self, unit_id: str) -> str:
        return (
            f"unit {unit_id!r} is not in this project; use project.units() to list unit ids "
            "(ids are strings, e.g. '12' not 12)"
        )

    def context(self, unit_id: str) -> list[dict[str, Any]]:
        """The chain a unit replies to, root first, ending with the unit itself."""
        chain = [self.unit(unit_id)]
        seen = {unit_id}
        while chain[0]["parent_id"] and chain[0]["parent_id"] not in seen:
            try:
                parent = self.unit(chain[0]["parent_id"])
            except UnknownUnitError:
                break
            seen.add(parent["unit_id"])
            chain.insert(0, parent)
        return chain

    def threads(self) -> pd.DataFrame:
        """One row per thread: id, title, number of units, source file."""
        q = (
            sa.select(
                T.threads.c.thread_id,
                T.threads.c.title,
                sa.func.count(T.units.c.unit_id).label("n_units"),
                T.sources.c.file_name,
                T.sources.c.format,
            )
            .select_from(
                T.threads.outerjoin(T.units, T.units.c.thread_id == T.threads.c.thread_id).outerjoin(
                    T.sources, T.sources.c.source_id == T.threads.c.source_id
                )
            )
            .group_by(T.threads.c.thread_id, T.threads.c.title, T.sources.c.file_name, T.sources.c.format)
            .order_by(sa.func.min(T.units.c.seq))
        )
        with self.engine.connect() as conn:
            return pd.read_sql(q, conn)

    def sources(self) -> pd.DataFrame:
        """The imported files: name, format, checksum, time of import, units added."""
        with self.engine.connect() as conn:
            df = pd.read_sql(sa.select(T.sources).order_by(T.sources.c.source_id), conn)
        df["imported_at"] = _utc(df["imported_at"])
        return df

    def n_units(self, *, codable: bool | None = None) -> int:
        """How many units the project holds."""
        q = sa.select(sa.func.count()).select_from(T.units)
        if codable is not None:
            q = q.where(T.units.c.codable == codable)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar())

    # --- coders ---------------------------------------------------------------------------
    def add_coder(self, name: str, *, role: str | None = None) -> str:
        """Add a coder (idempotent); returns the name."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a coder needs a non-empty name, e.g. project.add_coder('alice')")
        name = name.strip()
        with self._write() as conn, conn.begin():
            exists = conn.execute(sa.select(T.coders.c.coder_id).where(T.coders.c.name == name)).scalar()
            if exists is None:
                conn.execute(T.coders.insert().values(name=name, role=role, created_at=_now()))
                self._audit(conn, "add_coder", {"name": name, "role": role})
        return name

    def coders(self) -> pd.DataFrame:
        """The project's coders: name, role, when added."""
        with self.engine.connect() as conn:
            df = pd.read_sql(sa.select(T.coders.c.name, T.coders.c.role, T.coders.c.created_at), conn)
        df["created_at"] = _utc(df["created_at"])
        return df

    def _coder_id(self, conn: sa.Connection, name: str) -> int:
        if name in self._coder_ids:
            return self._coder_ids[name]
        cid = conn.execute(sa.select(T.coders.c.coder_id).where(T.coders.c.name == name)).scalar()
        if cid is None:
            known = list(conn.execute(sa.select(T.coders.c.name)).scalars())
            raise UnknownCoderError(
                f"coder {name!r} is not in this project; known coders: {known}. "
                f"Add them first with project.add_coder({name!r})"
            )
        self._coder_ids[name] = cid
        return cid

    # --- codebooks ------------------------------------------------------------------------
    def add_codebook(self, codebook: Codebook, *, note: str | None = None, author: str | None = None) -> int:
        """Store an immutable new codebook version; returns its number (1, 2, ...)."""
        if not isinstance(codebook, Codebook):
            raise TypeError("add_codebook takes a workbench.Codebook (e.g. Codebook.from_yaml(path))")
        with self._write() as conn, conn.begin():
            version = self._store_codebook_version(conn, codebook, note=note, author=author)
            self._audit(conn, "add_codebook", {"version": version, "name": codebook.name, "note": note}, author)
        return version

    @staticmethod
    def _store_codebook_version(conn: sa.Connection, codebook: Codebook, *, note: str | None, author: str | None) -> int:
        """Validate ``codebook`` and insert it as the next version, inside the caller's transaction."""
        codebook.validate()
        body = json.dumps(codebook.to_dict(), sort_keys=True, ensure_ascii=False)
        version = (conn.execute(sa.select(sa.func.max(T.codebook_versions.c.version))).scalar() or 0) + 1
        conn.execute(
            T.codebook_versions.insert().values(
                version=version,
                name=codebook.name,
                body=body,
                note=note,
                checksum=hashlib.sha256(body.encode()).hexdigest(),
                created_at=_now(),
                created_by=author,
            )
        )
        return version

    def codebook(self, version: int | None = None) -> Codebook:
        """The current codebook, or the given version."""
        if version is not None and version in self._codebooks:
            return self._codebooks[version]
        with self.engine.connect() as conn:
            if version is None:
                version = conn.execute(sa.select(sa.func.max(T.codebook_versions.c.version))).scalar()
                if version is None:
                    raise WorkbenchError(
                        "this project has no codebook yet; add one with "
                        "project.add_codebook(wb.Codebook.from_yaml('codebooks/response-types.yaml'))"
                    )
                if version in self._codebooks:
                    return self._codebooks[version]
            body = conn.execute(
                sa.select(T.codebook_versions.c.body).where(T.codebook_versions.c.version == version)
            ).scalar()
        if body is None:
            raise WorkbenchError(f"codebook version {version} does not exist; see project.codebook_versions()")
        cb = Codebook.from_dict(json.loads(body))
        self._codebooks[version] = cb
        return cb

    def codebook_versions(self) -> pd.DataFrame:
        """One row per stored codebook version: number, name, note, when, by whom."""
        c = T.codebook_versions.c
        with self.engine.connect() as conn:
            df = pd.read_sql(
                sa.select(c.version, c.name, c.note, c.created_at, c.created_by, c.checksum).order_by(c.version),
                conn,
            )
        df["created_at"] = _utc(df["created_at"])
        return df

    def codebook_version(self) -> int | None:
        """The number of the newest codebook version (None before the first)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(T.codebook_versions.c.version))).scalar()

    # --- rounds (minimal core; the reliability workflow builds on it) -----------------------
    def _round(self, conn: sa.Connection, round: str | int | None) -> dict[str, Any] | None:
        if round is None:
            return None
        col = T.rounds.c.round_id if isinstance(round, int) else T.rounds.c.name
        row = conn.execute(sa.select(T.rounds).where(col == round)).mappings().first()
        if row is None:
            names = list(conn.execute(sa.select(T.rounds.c.name)).scalars())
            raise UnknownRoundError(f"round {round!r} does not exist; rounds: {names}")
        return dict(row)

    # --- coding ---------------------------------------------------------------------------
    def code(
        self,
        unit_id: str,
        codes: str | Iterable[str],
        *,
        coder: str,
        round: str | int | None = None,
        memo: str | None = None,
        span: tuple[int, int] | None = None,
    ) -> list[int]:
        """Apply codes to a unit; durable (committed) when it returns.

        Applying a code of an *exclusive* group removes the coder's other code of that
        group on the unit (recorded as a ``remove`` event in the same transaction).
        Unknown unit, code or coder raise and write nothing.

        Returns
        -------
        list of int
            The ids of the events written.
        """
        return self._record(unit_id, _as_list(codes), "apply", coder, round, memo, span)

    def uncode(
        self,
        unit_id: str,
        codes: str | Iterable[str],
        *,
        coder: str,
        round: str | int | None = None,
        memo: str | None = None,
        span: tuple[int, int] | None = None,
    ) -> list[int]:
        """Remove codes from a unit (a ``remove`` event; history is kept)."""
        return self._record(unit_id, _as_list(codes), "remove", coder, round, memo, span)

    def _record(self, unit_id, codes, action, coder, round, memo, span, *, origin=None) -> list[int]:
        if not codes:
            raise ValueError("give at least one code name")
        if span is not None:
            if len(span) != 2 or int(span[0]) < 0 or int(span[1]) <= int(span[0]):
                raise ValueError(f"span must be (start, end) character offsets with 0 <= start < end, got {span!r}")
        try:
            with self._write() as conn, conn.begin():
                unit_row = conn.execute(
                    sa.select(T.units.c.seq, T.units.c.text).where(T.units.c.unit_id == unit_id)
                ).first()
                if unit_row is None:
                    raise UnknownUnitError(self._unknown_unit_message(unit_id))
                if span is not None and int(span[1]) > len(unit_row.text):
                    raise ValueError(
                        f"span {span!r} runs past the end of unit {unit_id!r} ({len(unit_row.text)} characters)"
                    )
                coder_id = self._coder_id(conn, coder)
                rnd = self._round(conn, round)
                if rnd is not None and rnd["status"] != "open":
                    raise WorkbenchError(f"round {rnd['name']!r} is {rnd['status']}; codings are not accepted")
                version = rnd["codebook_version"] if rnd and rnd["codebook_version"] else None
                if version is None:
                    version = conn.execute(sa.select(sa.func.max(T.codebook_versions.c.version))).scalar()
                if version is None:
                    raise WorkbenchError(
                        "this project has no codebook; add one before coding with project.add_codebook(...)"
                    )
                cb = self.codebook(version)
                unknown = [c for c in codes if c not in cb] if action == "apply" else []
                if unknown:
                    raise UnknownCodeError(
                        f"code(s) {unknown} are not in codebook version {version} ({cb.name}); "
                        f"valid codes: {cb.names}"
                    )
                if action == "apply":
                    categories = [c for c in codes if not getattr(cb[c], "codable", True)]
                    if categories:
                        raise ValueError(
                            f"{categories} are categories (isCodable=false), not codes: apply one of "
                            f"their codes instead: {[x.name for x in cb.codes if x.parent in categories]}"
                        )
                round_id = rnd["round_id"] if rnd else None
                round_key = round_id if round_id is not None else NO_ROUND
                skey = _span_key(span)
                at = _now()
                events: list[tuple[str, str, str | None]] = []
                if action == "apply":
                    for c in codes:
                        group = cb[c].group
                        if group and _is_exclusive(cb, group):
                            siblings = [x.name for x in cb.codes if x.group == group and x.name != c]
                            if sum(1 for x in codes if cb[x].group == group) > 1:
                                raise ValueError(
                                    f"codes {[x for x in codes if cb[x].group == group]} belong to the exclusive "
                                    f"group {group!r}: apply one of them"
                                )
                            present = self._present(conn, coder_id, round_key, unit_id, siblings, skey)
                            events.extend(("remove", s, None) for s in present)
                    events.extend(("apply", c, memo) for c in codes)
                else:
                    events.extend(("remove", c, memo) for c in codes)
                ids = []
                for act, c, m in events:
                    event_id = conn.execute(
                        T.coding_events.insert()
                        .values(
                            unit_id=unit_id,
                            code=c,
                            action=act,
                            coder_id=coder_id,
                            round_id=round_id,
                            codebook_version=version,
                            at=at,
                            memo=m,
                            span_start=None if span is None else int(span[0]),
                            span_end=None if span is None else int(span[1]),
                            origin=origin,
                        )
                        .returning(T.coding_events.c.event_id)
                    ).scalar_one()
                    ids.append(event_id)
                    self._apply_state(conn, coder_id, round_key, unit_id, c, skey, act, event_id)
                self._advance_cursor(conn, coder_id, round_key, round_id, unit_id, unit_row.seq, action)
            return ids
        except sa.exc.DBAPIError as exc:
            raise StoreError(
                f"the store refused to record {action} {codes} on unit {unit_id!r} for {coder!r}: "
                f"{exc.orig}. Nothing was recorded; try again."
            ) from exc

    def _present(self, conn, coder_id, round_key, unit_id, codes, skey) -> list[str]:
        cc = T.current_codings.c
        return list(
            conn.execute(
                sa.select(cc.code).where(
                    cc.coder_id == coder_id,
                    cc.round_key == round_key,
                    cc.unit_id == unit_id,
                    cc.span_key == skey,
                    cc.code.in_(codes),
                )
            ).scalars()
        )

    def _apply_state(self, conn, coder_id, round_key, unit_id, code, skey, action, event_id) -> None:
        cc = T.current_codings.c
        where = (
            (cc.coder_id == coder_id)
            & (cc.round_key == round_key)
            & (cc.unit_id == unit_id)
            & (cc.code == code)
            & (cc.span_key == skey)
        )
        if action == "apply":
            updated = conn.execute(T.current_codings.update().where(where).values(event_id=event_id)).rowcount
            if not updated:
                conn.execute(
                    T.current_codings.insert().values(
                        coder_id=coder_id,
                        round_key=round_key,
                        unit_id=unit_id,
                        code=code,
                        span_key=skey,
                        event_id=event_id,
                    )
                )
        else:
            conn.execute(T.current_codings.delete().where(where))

    # queue cursors: all queue units with seq < frontier_seq are coded by the coder
    def _queue_query(self, round_id: int | None, coder_id: int):
        if round_id is None:
            u = T.units.c
            return T.units, u.seq, u.unit_id, [u.codable == sa.true()]
        a = T.round_assignments.c
        return T.round_assignments, a.seq, a.unit_id, [a.round_id == round_id, a.coder_id == coder_id]

    def _is_coded(self, conn, coder_id, round_key, unit_id) -> bool:
        cc = T.current_codings.c
        return (
            conn.execute(
                sa.select(sa.literal(1)).where(
                    cc.coder_id == coder_id, cc.round_key == round_key, cc.unit_id == unit_id
                ).limit(1)
            ).first()
            is not None
        )

    def _cursor(self, conn, coder_id, round_key, *, lock=False) -> int:
        qc = T.queue_cursors.c
        q = sa.select(qc.frontier_seq).where(qc.coder_id == coder_id, qc.round_key == round_key)
        if lock and self.dialect == "postgresql":
            q = q.with_for_update()
        value = conn.execute(q).scalar()
        return 0 if value is None else int(value)

    def _set_cursor(self, conn, coder_id, round_key, value: int) -> None:
        qc = T.queue_cursors.c
        updated = conn.execute(
            T.queue_cursors.update()
            .where(qc.coder_id == coder_id, qc.round_key == round_key)
            .values(frontier_seq=value)
        ).rowcount
        if not updated:
            conn.execute(T.queue_cursors.insert().values(coder_id=coder_id, round_key=round_key, frontier_seq=value))

    def _advance_cursor(self, conn, coder_id, round_key, round_id, unit_id, seq, action) -> None:
        """Keep the invariant: every unit of the queue with seq below the frontier is coded."""
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
        table, seq_col, _, conds = self._queue_query(round_id, coder_id)
        first = conn.execute(sa.select(sa.func.min(seq_col)).where(seq_col >= frontier, *conds)).scalar()
        if first is None or seq != first:
            return  # an earlier queue unit is still uncoded: the frontier stays
        nxt = self._first_uncoded(conn, coder_id, round_key, round_id, seq)
        if nxt is None:
            last = conn.execute(sa.select(sa.func.max(seq_col)).where(*conds)).scalar() or 0
            nxt = int(last) + 1
        self._set_cursor(conn, coder_id, round_key, int(nxt))

    def _unit_at(self, conn, round_id, coder_id, seq) -> str:
        table, seq_col, id_col, conds = self._queue_query(round_id, coder_id)
        return conn.execute(sa.select(id_col).where(seq_col == seq, *conds)).scalar()

    def _first_uncoded(self, conn, coder_id, round_key, round_id, start, *, batch=8):
        """Seq of the first queue unit at or after ``start`` that the coder has not coded.

        An explicit walk along two indexes, the same on SQLite and PostgreSQL whatever the
        planner's statistics: the next ``batch`` queue units from ``start``, then which of
        them the coder has coded; repeated only while every one of them is coded.
        """
        table, seq_col, id_col, conds = self._queue_query(round_id, coder_id)
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
                        cc.coder_id == coder_id,
                        cc.round_key == round_key,
                        cc.unit_id.in_([u for _, u in rows]),
                    )
                ).scalars()
            )
            for seq, unit in rows:
                if unit not in coded:
                    return seq
            start = rows[-1][0] + 1
            batch = min(batch * 8, 4096)

    def next_unit(self, coder: str, *, round: str | int | None = None, after: str | None = None) -> str | None:
        """The next unit in the coder's queue that they have not coded, or None when done.

        The queue is every codable unit in import order, or the coder's assignment in a
        round. With ``after`` the search starts behind that unit; without it, at the
        start of the queue. Uses indexes and a per-coder cursor, never loading the project.
        """
        with self.engine.connect() as conn:
            coder_id = self._coder_id(conn, coder)
            rnd = self._round(conn, round)
            round_id = rnd["round_id"] if rnd else None
            round_key = round_id if round_id is not None else NO_ROUND
            start = self._cursor(conn, coder_id, round_key)
            if after is not None:
                seq = conn.execute(sa.select(T.units.c.seq).where(T.units.c.unit_id == after)).scalar()
                if seq is None:
                    raise UnknownUnitError(self._unknown_unit_message(after))
                start = max(start, int(seq) + 1)
            found = self._first_uncoded(conn, coder_id, round_key, round_id, start)
            if found is None:
                return None
            return self._unit_at(conn, round_id, coder_id, found)

    def queue(self, coder: str, *, round: str | int | None = None) -> list[str]:
        """The unit ids of a coder's queue, in order."""
        with self.engine.connect() as conn:
            coder_id = self._coder_id(conn, coder)
            rnd = self._round(conn, round)
            table, seq_col, id_col, conds = self._queue_query(rnd["round_id"] if rnd else None, coder_id)
            return list(conn.execute(sa.select(id_col).where(*conds).order_by(seq_col)).scalars())

    def progress(self, coder: str, *, round: str | int | None = None) -> dict[str, int]:
        """How many units of the coder's queue are coded: ``{"coded": n, "total": m}``."""
        with self.engine.connect() as conn:
            coder_id = self._coder_id(conn, coder)
            rnd = self._round(conn, round)
            round_id = rnd["round_id"] if rnd else None
            round_key = round_id if round_id is not None else NO_ROUND
            table, seq_col, id_col, conds = self._queue_query(round_id, coder_id)
            total = conn.execute(sa.select(sa.func.count()).select_from(table).where(*conds)).scalar()
            cc = T.current_codings.c
            coded = conn.execute(
                sa.select(sa.func.count(sa.distinct(cc.unit_id))).where(
                    cc.coder_id == coder_id, cc.round_key == round_key, cc.unit_id.in_(sa.select(id_col).where(*conds))
                )
            ).scalar()
        return {"coded": int(coded), "total": int(total)}

    def unit_codes(self, unit_id: str, *, coder: str, round: str | int | None = None) -> list[str]:
        """The codes a coder has on a unit now (whole unit and spans), oldest first.

        One index look-up: what the coding panel asks each time it shows a unit.
        """
        with self.engine.connect() as conn:
            coder_id = self._coder_id(conn, coder)
            rnd = self._round(conn, round)
            key = rnd["round_id"] if rnd else NO_ROUND
            cc = T.current_codings.c
            rows = conn.execute(
                sa.select(cc.code)
                .where(cc.coder_id == coder_id, cc.round_key == key, cc.unit_id == unit_id)
                .order_by(cc.event_id)
            ).scalars()
            return list(dict.fromkeys(rows))

    # --- reading codings ------------------------------------------------------------------
    def codings(
        self,
        *,
        coder: str | Sequence[str] | None = None,
        round: str | int | None | type(...) = ...,
        unit_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """The current codings as a long DataFrame (latest event wins).

        Columns: ``unit_id, coder, code, round, codebook_version, at, span_start, span_end,
        memo``. ``round=...`` (the default) returns codings of every round and outside
        rounds; ``round=None`` only those made outside any round; a name or id, one round.
        """
        cc, e, c, r = T.current_codings.c, T.coding_events.c, T.coders.c, T.rounds.c
        q = (
            sa.select(
                cc.unit_id,
                c.name.label("coder"),
                cc.code,
                r.name.label("round"),
                e.codebook_version,
                e.at,
                e.span_start,
                e.span_end,
                e.memo,
            )
            .select_from(
                T.current_codings.join(T.coding_events, e.event_id == cc.event_id)
                .join(T.coders, c.coder_id == cc.coder_id)
                .outerjoin(T.rounds, r.round_id == e.round_id)
            )
            .order_by(cc.event_id)
        )
        q = self._filter(q, cc, coder, round, unit_ids)
        return self._read_codings(q)

    def _read_codings(self, q) -> pd.DataFrame:
        """Run a codings or history query: times in UTC, nullable integer columns."""
        with self.engine.connect() as conn:
            df = pd.read_sql(q, conn)
        df["at"] = _utc(df["at"])
        for col in ("codebook_version", "span_start", "span_end"):
            df[col] = df[col].astype("Int64")
        return df

    def _filter(self, q, table_cols, coder, round, unit_ids):
        if coder is not None:
            names = [coder] if isinstance(coder, str) else list(coder)
            q = q.where(T.coders.c.name.in_(names))
        if round is not ...:
            # the derived state keys "no round" as NO_ROUND; the event log and memos as NULL
            derived = hasattr(table_cols, "round_key")
            key = table_cols.round_key if derived else table_cols.round_id
            if round is None:
                q = q.where(key == NO_ROUND) if derived else q.where(key.is_(None))
            else:
                with self.engine.connect() as conn:
                    q = q.where(key == self._round(conn, round)["round_id"])
        if unit_ids is not None:
            q = q.where(table_cols.unit_id.in_(list(unit_ids)))
        return q

    def history(
        self,
        *,
        coder: str | Sequence[str] | None = None,
        round: str | int | None | type(...) = ...,
        unit_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Every coding event, oldest first (the append-only log).

        Columns: ``event_id, unit_id, code, action, coder, round, codebook_version, at,
        memo, span_start, span_end, origin``.
        """
        e, c, r = T.coding_events.c, T.coders.c, T.rounds.c
        q = (
            sa.select(
                e.event_id,
                e.unit_id,
                e.code,
                e.action,
                c.name.label("coder"),
                r.name.label("round"),
                e.codebook_version,
                e.at,
                e.memo,
                e.span_start,
                e.span_end,
                e.origin,
            )
            .select_from(T.coding_events.join(T.coders, c.coder_id == e.coder_id).outerjoin(T.rounds, r.round_id == e.round_id))
            .order_by(e.event_id)
        )
        q = self._filter(q, e, coder, round, unit_ids)
        return self._read_codings(q)

    def agreement(
        self,
        round: str | int | None = None,
        codes: Sequence[str] | None = None,
        coders: Sequence[str] | None = None,
        measures: Sequence[str] = ("alpha",),
        ci: bool = True,
        *,
        n_boot: int = 1000,
        seed: int | None = 0,
        exclusive_groups: Any = "codebook",
    ) -> pd.DataFrame:
        """Inter-coder agreement per code and overall, as a tidy DataFrame.

        ``round=None`` takes every current coding (all rounds and outside rounds); a round
        name or id takes that round's. Columns: ``code, measure, value, ci_low, ci_high,
        n_units, n_coders, n_pairable, interpretation``; see
        :func:`workbench.agreement.reliability_table` for the definitions. Exclusive groups
        of the codebook get a row each (``group:NAME``, nominal alpha).
        """
        from .agreement import reliability_table

        codings = self.codings(round=... if round is None else round)
        if isinstance(exclusive_groups, str) and exclusive_groups == "codebook":
            exclusive_groups = None
            version = self.codebook_version()
            if round is not None:
                with self.engine.connect() as conn:
                    version = self._round(conn, round)["codebook_version"] or version
            if version is not None:
                cb = self.codebook(version)
                exclusive_groups = {
                    g.name: [c.name for c in cb.codes if c.group == g.name] for g in cb.groups if g.exclusive
                } or None
        return reliability_table(
            codings,
            codes=codes,
            coders=coders,
            measures=measures,
            ci=ci,
            n_boot=n_boot,
            seed=seed,
            exclusive_groups=exclusive_groups,
        )

    def rebuild_state(self) -> None:
        """Recompute the derived current codings from the event log (for repairs and checks)."""
        with self._write() as conn, conn.begin():
            conn.execute(T.current_codings.delete())
            conn.execute(T.queue_cursors.delete())
            events = conn.execute(
                sa.select(T.coding_events).order_by(T.coding_events.c.event_id)
            ).mappings().all()
            for ev in events:
                span = None if ev["span_start"] is None else (ev["span_start"], ev["span_end"])
                key = ev["round_id"] if ev["round_id"] is not None else NO_ROUND
                self._apply_state(conn, ev["coder_id"], key, ev["unit_id"], ev["code"], _span_key(span), ev["action"], ev["event_id"])
            self._audit(conn, "rebuild_state", {"events": len(events)})

    # --- memos and flags ------------------------------------------------------------------
    def memo(self, unit_id: str, text: str, *, coder: str, round: str | int | None = None, kind: str = "memo") -> int:
        """Record a memo on a unit (append-only; the latest is current). Returns its id."""
        if kind not in ("memo", "flag", "unflag"):
            raise ValueError(f"kind must be 'memo', 'flag' or 'unflag', not {kind!r}")
        try:
            with self._write() as conn, conn.begin():
                if conn.execute(sa.select(T.units.c.unit_id).where(T.units.c.unit_id == unit_id)).first() is None:
                    raise UnknownUnitError(self._unknown_unit_message(unit_id))
                coder_id = self._coder_id(conn, coder)
                rnd = self._round(conn, round)
                return conn.execute(
                    T.memos.insert()
                    .values(
                        unit_id=unit_id,
                        coder_id=coder_id,
                        round_id=rnd["round_id"] if rnd else None,
                        kind=kind,
                        text=str(text),
                        at=_now(),
                    )
                    .returning(T.memos.c.memo_id)
                ).scalar_one()
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"the store refused the memo on unit {unit_id!r}: {exc.orig}") from exc

    def flag(self, unit_id: str, *, coder: str, round: str | int | None = None, note: str = "", on: bool = True) -> int:
        """Flag a unit for discussion (``on=False`` clears the flag)."""
        return self.memo(unit_id, note, coder=coder, round=round, kind="flag" if on else "unflag")

    def memos(self, *, coder: str | None = None, round: str | int | None | type(...) = ..., kind: str | None = None, latest: bool = False) -> pd.DataFrame:
        """Memos and flags: ``memo_id, unit_id, coder, round, kind, text, at``.

        With ``latest=True`` one row per unit, coder, round and kind (memo / flag state):
        the latest memo text, and for flags whether the unit is flagged now (``flagged``).
        """
        m, c, r = T.memos.c, T.coders.c, T.rounds.c
        q = (
            sa.select(m.memo_id, m.unit_id, c.name.label("coder"), r.name.label("round"), m.kind, m.text, m.at)
            .select_from(T.memos.join(T.coders, c.coder_id == m.coder_id).outerjoin(T.rounds, r.round_id == m.round_id))
            .order_by(m.memo_id)
        )
        if kind is not None:
            kinds = ["flag", "unflag"] if kind == "flag" else [kind]
            q = q.where(m.kind.in_(kinds))
        q = self._filter(q, m, coder, round, None)
        with self.engine.connect() as conn:
            df = pd.read_sql(q, conn)
        df["at"] = _utc(df["at"])
        if latest and not df.empty:
            df["family"] = np.where(df["kind"] == "memo", "memo", "flag")
            df = df.groupby(["unit_id", "coder", "round", "family"], dropna=False, sort=False).tail(1)
            df["flagged"] = df["kind"] == "flag"
            df = df.drop(columns="family").reset_index(drop=True)
        return df

    def flagged(self, coder: str | None = None, *, round: str | int | None | type(...) = ...) -> list[str]:
        """Unit ids currently flagged for discussion (by a coder, or by anyone)."""
        df = self.memos(coder=coder, round=round, kind="flag", latest=True)
        if df.empty:
            return []
        return list(dict.fromkeys(df.loc[df["flagged"], "unit_id"]))


def _is_exclusive(cb: Codebook, group: str) -> bool:
    try:
        return bool(cb.group(group).exclusive)
    except KeyError:
        return False
