"""Threads and units: the bulk import (idempotent by ``unit_id``) and the reads.

A units table (see :mod:`workbench.corpus`) is validated before anything is written,
then stored in one transaction: on PostgreSQL through ``COPY``, on SQLite through the
driver's ``executemany``, in chunks built column-wise. Each unit gets ``seq``, its
place in import order, which is the order of every coder's queue.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from .. import corpus
from ..errors import UnknownUnitError
from . import tables as T
from ._kernel import Kernel, now, utc

__all__ = ["Units"]

_CHUNK = 20_000
_IN = 900  # ids per IN (...) clause

#: the columns written by the bulk insert, in order
_INSERT = (
    "unit_id", "seq", "thread_id", "parent_id", "depth", "position", "author", "author_role",
    "posted_at", "text", "kind", "status", "source", "codable", "title", "content_warning",
    "extra", "source_id",
)
#: the columns read back
_READ = [T.units.c[c] for c in corpus.UNIT_COLUMNS] + [
    T.units.c.title,
    T.units.c.content_warning,
    T.units.c.codable,
    T.units.c.seq,
]


class Units:
    """Store and read units, threads and import sources.

    Parameters
    ----------
    kernel : Kernel
        The open project's kernel.
    """

    def __init__(self, kernel: Kernel):
        self.kernel = kernel

    # --- writing -------------------------------------------------------------------------------
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
        left as they are; parents may be units stored by an earlier import. When the
        table comes from :func:`workbench.load_threads` its source (file name, format,
        checksum) is recorded, and re-importing the same file is a no-op.

        Parameters
        ----------
        units : pandas.DataFrame
            A units table.
        source_file, format, checksum : str, optional
            The source, when the table's ``attrs["source"]`` does not say.
        progress : bool, optional
            Show a progress bar (default: for more than 50,000 new units).

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
            with self.kernel.reading("look up an imported file") as conn:
                seen = conn.execute(sa.select(T.sources.c.source_id).where(T.sources.c.checksum == checksum)).scalar()
            if seen is not None:
                return 0
        if units.empty:
            return 0
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

        with self.kernel.transaction(f"store {len(new)} units", after="No unit was stored.") as conn:
            source_id = None
            if source_file is not None or checksum is not None:
                source_id = conn.execute(
                    T.sources.insert()
                    .values(
                        file_name=str(source_file or "(data frame)"),
                        format=str(format or "dataframe"),
                        checksum=checksum,
                        imported_at=now(),
                        n_units=len(new),
                    )
                    .returning(T.sources.c.source_id)
                ).scalar_one()
            self._add_threads(conn, new, source_id)
            start = (conn.execute(sa.select(sa.func.max(T.units.c.seq))).scalar() or 0) + 1
            columns = ", ".join(_INSERT)
            bar = tqdm(total=len(new), desc="Storing units", unit="unit", disable=not show)
            if self.kernel.dialect == "postgresql":  # COPY: the bulk path PostgreSQL is built for
                raw: Any = conn.connection.driver_connection
                with raw.cursor() as cur:
                    with cur.copy(f"COPY units ({columns}) FROM STDIN") as copy:
                        for chunk in self._rows(new, start, source_id):
                            for row in chunk:
                                copy.write_row(row)
                            bar.update(len(chunk))
            else:
                marks = ", ".join(["?"] * len(_INSERT))
                sql = f"INSERT INTO units ({columns}) VALUES ({marks})"
                for chunk in self._rows(new, start, source_id):
                    conn.exec_driver_sql(sql, chunk)
                    bar.update(len(chunk))
            bar.close()
            self.kernel.audit(
                conn,
                "add_units",
                {"n_units": len(new), "file": source_file, "format": format, "checksum": checksum},
            )
        if self.kernel.dialect == "postgresql" and len(new) >= 10_000:
            # fresh statistics after a bulk load, so the planner keeps using the indexes
            # (autovacuum would get there, but only later)
            with self.kernel.transaction("analyse the units table") as conn:
                conn.exec_driver_sql("ANALYZE units")
                conn.exec_driver_sql("ANALYZE threads")
        return len(new)

    @staticmethod
    def _add_threads(conn: sa.Connection, new: pd.DataFrame, source_id: int | None) -> None:
        titles = {}
        if "title" in new.columns:
            titled = new.dropna(subset=["title"]).drop_duplicates("thread_id")
            titles = dict(zip(titled["thread_id"], titled["title"]))
        thread_ids = list(dict.fromkeys(new["thread_id"]))
        have: set[str] = set()
        for i in range(0, len(thread_ids), _IN):
            have.update(
                conn.execute(
                    sa.select(T.threads.c.thread_id).where(T.threads.c.thread_id.in_(thread_ids[i : i + _IN]))
                ).scalars()
            )
        fresh = [t for t in thread_ids if t not in have]
        at = now()
        for i in range(0, len(fresh), _CHUNK):
            conn.execute(
                T.threads.insert(),
                [{"thread_id": t, "source_id": source_id, "title": titles.get(t), "created_at": at}
                 for t in fresh[i : i + _CHUNK]],
            )

    def _rows(self, df: pd.DataFrame, start: int, source_id: int | None) -> Iterator[list[tuple[Any, ...]]]:
        """Chunks of row tuples in the order of ``_INSERT``, built column-wise."""
        sqlite = self.kernel.dialect == "sqlite"
        known = set(corpus.UNIT_COLUMNS) | {"title", "content_warning", "extra"}
        extra_cols = [c for c in df.columns if c not in known]

        def strings(part: pd.DataFrame, name: str) -> list[str | None]:
            if name not in part.columns:
                return [None] * len(part)
            values = part[name].to_numpy(dtype=object)
            return [None if v is None or v != v else str(v) for v in values]

        for lo in range(0, len(df), _CHUNK):
            part = df.iloc[lo : lo + _CHUNK]
            n = len(part)
            posted = utc(part["posted_at"])
            if sqlite:  # the format SQLAlchemy's DateTime type writes and reads on SQLite
                posted_v = posted.dt.strftime("%Y-%m-%d %H:%M:%S.%f").to_numpy(dtype=object)
            else:
                posted_v = np.array(posted.dt.to_pydatetime(), dtype=object)
            missing = posted.isna().to_numpy()
            posted_list = [None if missing[i] else posted_v[i] for i in range(n)]
            status = part["status"].astype(str).to_numpy(dtype=object)
            codable = np.isin(status, corpus.CODABLE_STATUSES)
            codable_v = codable.astype(int).tolist() if sqlite else codable.tolist()
            extra: list[str | None] = [None] * n
            if "extra" in part.columns or extra_cols:
                for i in range(n):
                    d: dict[str, Any] = {}
                    if "extra" in part.columns and isinstance(part["extra"].iloc[i], dict):
                        d.update(part["extra"].iloc[i])
                    for c in extra_cols:
                        v = part[c].iloc[i]
                        if v is not None and not (isinstance(v, float) and np.isnan(v)):
                            d[c] = v
                    extra[i] = json.dumps(d, default=str) if d else None
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
                    posted_list,
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
        """Which of ``ids`` are stored.

        Nothing to ask of an empty project, one scan when the project is not much larger
        than the question, else look-ups in chunks.
        """
        found: set[str] = set()
        ids_list = list(ids)
        with self.kernel.reading("look up stored units") as conn:
            stored = conn.execute(sa.select(sa.func.count()).select_from(T.units)).scalar() or 0
            if stored == 0 or not ids_list:
                return found
            if stored <= 5 * len(ids_list):
                return {u for u in conn.execute(sa.select(T.units.c.unit_id)).scalars() if u in ids}
            for i in range(0, len(ids_list), _IN):
                found.update(
                    conn.execute(
                        sa.select(T.units.c.unit_id).where(T.units.c.unit_id.in_(ids_list[i : i + _IN]))
                    ).scalars()
                )
        return found

    # --- reading -------------------------------------------------------------------------------
    def units(
        self,
        *,
        thread_id: str | Sequence[str] | None = None,
        unit_ids: Sequence[str] | None = None,
        codable: bool | None = None,
    ) -> pd.DataFrame:
        """Stored units in import order (a units table plus ``title, content_warning, codable, seq``).

        Parameters
        ----------
        thread_id : str or list of str, optional
            Only the units of these threads.
        unit_ids : list of str, optional
            Only these units.
        codable : bool, optional
            Only codable units (True) or only placeholders (False).

        Returns
        -------
        pandas.DataFrame
        """
        q = sa.select(*_READ).order_by(T.units.c.seq)
        if thread_id is not None:
            q = q.where(T.units.c.thread_id.in_([thread_id] if isinstance(thread_id, str) else list(thread_id)))
        if unit_ids is not None:
            q = q.where(T.units.c.unit_id.in_(list(unit_ids)))
        if codable is not None:
            q = q.where(T.units.c.codable == codable)
        df = self.kernel.frame(q, "read units", times=("posted_at",))
        df["codable"] = df["codable"].astype(bool)
        return df

    def unit(self, unit_id: str) -> dict[str, Any]:
        """One unit as a dict (with ``extra``, a dict); :class:`UnknownUnitError` if absent.

        Parameters
        ----------
        unit_id : str

        Returns
        -------
        dict
        """
        with self.kernel.reading(f"read unit {unit_id!r}") as conn:
            row = conn.execute(sa.select(*_READ, T.units.c.extra).where(T.units.c.unit_id == unit_id)).mappings().first()
        if row is None:
            raise UnknownUnitError(self.kernel.unknown_unit_message(unit_id))
        out = dict(row)
        if out.get("posted_at") is not None and out["posted_at"].tzinfo is None:
            out["posted_at"] = out["posted_at"].replace(tzinfo=dt.UTC)
        out["extra"] = json.loads(out["extra"]) if out.get("extra") else {}
        return out

    def context(self, unit_id: str) -> list[dict[str, Any]]:
        """The chain a unit replies to, root first, ending with the unit itself.

        Parameters
        ----------
        unit_id : str

        Returns
        -------
        list of dict
            Units as :meth:`unit` returns them; the chain stops at a parent that is not stored.
        """
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
        """One row per thread, in import order.

        Returns
        -------
        pandas.DataFrame
            ``thread_id, title, n_units, file_name, format``. A thread stored without a
            title (or with ``'nan'``) is named from its first words and platform
            (:func:`workbench.corpus.thread_title`).
        """
        t, u, s = T.threads.c, T.units.c, T.sources.c
        q = (
            sa.select(t.thread_id, t.title, sa.func.count(u.unit_id).label("n_units"), s.file_name, s.format)
            .select_from(
                T.threads.outerjoin(T.units, u.thread_id == t.thread_id).outerjoin(T.sources, s.source_id == t.source_id)
            )
            .group_by(t.thread_id, t.title, s.file_name, s.format)
            .order_by(sa.func.min(u.seq))
        )
        df = self.kernel.frame(q, "list the threads")
        untitled = [i for i, v in enumerate(df["title"]) if corpus.is_untitled(v)]
        if untitled:
            first = self._first_texts([str(df["thread_id"].iat[i]) for i in untitled])
            df["title"] = df["title"].astype(object)
            for i in untitled:
                tid = str(df["thread_id"].iat[i])
                df.iat[i, df.columns.get_loc("title")] = corpus.thread_title(None, first.get(tid, ""), df["format"].iat[i])
        return df

    def _first_texts(self, thread_ids: list[str]) -> dict[str, str]:
        """The text of each thread's first post (its first unit at depth 0 in import order)."""
        u = T.units.c
        out: dict[str, str] = {}
        with self.kernel.reading("read the threads' first posts") as conn:
            for i in range(0, len(thread_ids), _IN):
                q = (
                    sa.select(u.thread_id, u.text)
                    .where(u.thread_id.in_(thread_ids[i : i + _IN]), u.depth == 0)
                    .order_by(u.seq)
                )
                for tid, text in conn.execute(q):
                    out.setdefault(str(tid), text or "")
        return out

    def sources(self) -> pd.DataFrame:
        """The imported files.

        Returns
        -------
        pandas.DataFrame
            ``source_id, file_name, format, checksum, imported_at, n_units``.
        """
        return self.kernel.frame(
            sa.select(T.sources).order_by(T.sources.c.source_id), "list the imported files", times=("imported_at",)
        )

    def n_units(self, *, codable: bool | None = None) -> int:
        """How many units the project holds.

        Parameters
        ----------
        codable : bool, optional
            Count only codable units (True) or only placeholders (False).

        Returns
        -------
        int
        """
        q = sa.select(sa.func.count()).select_from(T.units)
        if codable is not None:
            q = q.where(T.units.c.codable == codable)
        with self.kernel.reading("count units") as conn:
            return int(conn.execute(q).scalar() or 0)
