"""Merging projects: the work of coders who coded apart, brought together without loss or double.

:meth:`Merge.merge` appends another project's coding events, memos, flags and
adjudications to this one, each with its original coder, round, codebook version and
time; nothing here is overwritten. The other project is a project database (a SQLite
file or a URL, or an open :class:`~workbench.Project`), a ``.qdpx`` export as
:func:`workbench.interchange.read_qdpx` reads it, or a :class:`MergeSource`.

* Units are matched by ``unit_id`` and checked by a checksum of their text: the work on
  a unit that this project does not hold, or whose text differs, is not merged (it is
  reported).
* Codebook versions are matched by content, codes by GUID: the same codebook is the
  same version here; a different one is stored as a new version (and reported).
* Rounds are matched by name (a round only the other project has is created, with its
  assignments).
* A coder of the other project whose name is (or looks like) a coder's here is the same
  person only when the caller says so (``same_coder={"alice": "alice"}``, or a new name
  for them); otherwise the merge stops before writing anything, with :class:`MergeError`.
  The coder of a kit made from this project (:mod:`~workbench.storage.kit`) is known.
* Every merged row carries ``origin_uid``, a stable id from its origin (the origin
  project's id, the row's id there and a digest of its content; or the coding's id in a
  ``.qdpx``), so merging the same file twice changes nothing, and a kit's copies of this
  project's events are known as already present.
* One transaction: the rows, the derived current codings and queue cursors (as
  :meth:`~workbench.storage.codings.Codings.rebuild_state` would; on PostgreSQL the trigger
  of revision 0004 derives them) and an audit entry are all written, or nothing is.

The report is a tidy DataFrame, one row per kind of thing (events, memos,
adjudications, coders, rounds, assignments, codebook versions, units, notes) with the
counts in the other project (``n_in``), merged, already here and skipped (units are
never merged: those held here with the same text count as already here; notes, what
reading a file found, only as in); ``report.attrs["problems"]`` lists, in words, what
needs the supervisor's eye.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..codebook import Codebook
from ..errors import IdentifierError, WorkbenchError
from ..identifiers import looks_alike, new_name
from . import tables as T
from ._kernel import Kernel, now, utc_timestamp
from .codebooks import Codebooks
from .codings import span_key
from .engine import connect, display_url
from .merge_source import MergeSource, marker, present, project_uid, read_project, same_database, text_checksum
from .queue import Queue

__all__ = ["Merge", "MergeError", "MergeSource", "REPORT_COLUMNS", "project_uid", "same_database"]

#: The columns of a merge report.
REPORT_COLUMNS = ["kind", "n_in", "n_merged", "n_already", "n_skipped", "detail"]
_KINDS = ("events", "memos", "adjudications", "coders", "rounds", "assignments", "codebook versions", "units", "notes")
_IN = 900


class MergeError(WorkbenchError, ValueError):
    """A merge that cannot be made as asked; the message says what to do. Nothing was written."""


class _DryRun(Exception):
    """Raised at the end of a dry run to roll its transaction back (carries the report)."""

    def __init__(self, report: pd.DataFrame):
        super().__init__("dry run")
        self.report = report


class _Tally:
    """The counts and words of a merge report."""

    def __init__(self) -> None:
        self.counts = {k: dict.fromkeys(REPORT_COLUMNS[1:5], 0) for k in _KINDS}
        self.details: dict[str, list[str]] = {k: [] for k in _KINDS}
        self.problems: list[str] = []

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[kind]["n_in"] += n
        self.counts[kind][f"n_{outcome}"] += n

    def say(self, kind: str, text: str, *, problem: bool = False) -> None:
        self.details[kind].append(text)
        if problem:
            self.problems.append(text)

    def frame(self, name: str, dry_run: bool) -> pd.DataFrame:
        rows = [{"kind": k, **self.counts[k], "detail": "; ".join(self.details[k])} for k in _KINDS]
        df = pd.DataFrame(rows, columns=REPORT_COLUMNS)
        df = df.astype({c: "int64" for c in REPORT_COLUMNS[1:5]})
        df.attrs.update(source=name, problems=list(self.problems), dry_run=dry_run)
        return df


def _ids(values: Iterable[Any]) -> str:
    shown = [str(v) for v in values]
    return ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")


def _version(versions: dict[int, int], version: Any) -> int | None:
    return None if version is None else versions.get(int(version))


def _time(value: Any) -> Any:
    t = utc_timestamp(value)
    return now() if t is None or pd.isna(t) else t.to_pydatetime()


class Merge:
    """Merge another project's work into this one (see the module docstring).

    Parameters
    ----------
    kernel : Kernel
    codebooks : Codebooks
        To store and cache codebook versions.
    """

    def __init__(self, kernel: Kernel, codebooks: Codebooks):
        self.kernel = kernel
        self.codebooks = codebooks

    # --- the public call ----------------------------------------------------------------------
    def merge(
        self,
        other: Any,
        *,
        same_coder: Mapping[str, str] | None = None,
        dry_run: bool = False,
        actor: str | None = None,
    ) -> pd.DataFrame:
        """Append another project's coding events, memos, flags and adjudications to this one.

        Nothing here is overwritten; the other project is only read. One transaction:
        all or nothing. Merging the same project (or file) again changes nothing.

        Parameters
        ----------
        other : str, Path, Project, RefiProject or MergeSource
            Another project: a SQLite file or a URL, or an open project; or a ``.qdpx``
            export read with :func:`workbench.interchange.read_qdpx` (``project.merge(
            wb.interchange.read_qdpx("export.qdpx"))``).
        same_coder : dict, optional
            ``{name in other: name here}``: the other project's coder is this project's
            coder of that name (the same person), or is added under that new name. A
            coder of the other project whose name is, or looks like, a name here must be
            named in it, else the merge stops with :class:`MergeError`.
        dry_run : bool
            Report what would be merged, and write nothing.
        actor : str, optional
            Who merged, for the audit log.

        Returns
        -------
        pandas.DataFrame
            The report: ``kind, n_in, n_merged, n_already, n_skipped, detail``, one row per
            kind (events, memos, adjudications, coders, rounds, assignments, codebook
            versions, units, notes); ``attrs["problems"]`` lists what was not merged or
            differs (empty when everything came in cleanly).

        Raises
        ------
        MergeError
            Same-named coders not named in ``same_coder``, a mapping that names nobody,
            a round name too like another, or ``other`` is this project itself.
        """
        if same_coder is not None and not isinstance(same_coder, Mapping):
            raise TypeError(f"same_coder must be a dict {{name in other: name here}}, not {type(same_coder).__name__}")
        if isinstance(other, str | Path):
            return self._merge_url(other, same_coder, dry_run, actor)
        engine = getattr(other, "engine", None)
        if isinstance(engine, sa.Engine):
            if engine is self.kernel.engine or same_database(engine.url, self.kernel.engine.url):
                raise MergeError(f"{self.kernel.name} cannot be merged into itself")
            return self.merge_source(read_project(engine, display_url(str(getattr(other, "url", "")) or
                                                                      str(engine.url))), same_coder, dry_run, actor)
        if isinstance(other, MergeSource):
            return self.merge_source(other, same_coder, dry_run, actor)
        if all(hasattr(other, a) for a in ("codebook", "units", "codings", "warnings")):
            return self.merge_source(MergeSource.from_refi(other), same_coder, dry_run, actor)
        raise TypeError(
            "merge takes another project (a SQLite file, a URL or an open Project), a .qdpx export read with "
            f"workbench.interchange.read_qdpx, or a MergeSource; not {type(other).__name__}"
        )

    def _merge_url(self, other: str | Path, same_coder: Mapping[str, str] | None, dry_run: bool,
                   actor: str | None) -> pd.DataFrame:
        text = str(other)
        if Path(text).suffix.lower() == ".qdpx":
            raise TypeError(
                f"{text} is a REFI-QDA export: read it first, project.merge(wb.interchange.read_qdpx({text!r})) "
                "(on the command line: workbench merge FILE.qdpx)"
            )
        from .engine import database_url

        url = sa.engine.make_url(database_url(text))
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
            raise ValueError(f"no project at {text}; name a project file (or URL) to merge")
        if same_database(url, self.kernel.engine.url):
            raise MergeError(f"{display_url(text)} is this project; it cannot be merged into itself")
        engine = connect(text, create=False)
        try:
            source = read_project(engine, display_url(text))
        finally:
            engine.dispose()
        return self.merge_source(source, same_coder, dry_run, actor)

    def merge_source(
        self, source: MergeSource, same_coder: Mapping[str, str] | None = None, dry_run: bool = False,
        actor: str | None = None,
    ) -> pd.DataFrame:
        """Merge what a :class:`MergeSource` holds (see :meth:`merge`), in one transaction.

        Parameters
        ----------
        source : MergeSource
        same_coder : dict, optional
        dry_run : bool
        actor : str, optional

        Returns
        -------
        pandas.DataFrame
            The report.
        """
        try:
            with self.kernel.transaction(f"merge {source.name} into this project", after="Nothing was merged.") as conn:
                report, stored = self.merge_in(conn, source, same_coder, actor=actor, dry_run=dry_run)
                if dry_run:
                    raise _DryRun(report)
        except _DryRun as done:
            return done.report
        for version, cb in stored.items():
            self.codebooks.remember(version, cb)
        return report

    # --- the work, inside the caller's transaction ------------------------------------------
    def merge_in(
        self, conn: sa.Connection, source: MergeSource, same_coder: Mapping[str, str] | None = None, *,
        actor: str | None = None, dry_run: bool = False,
    ) -> tuple[pd.DataFrame, dict[int, Codebook]]:
        """Merge inside the caller's transaction (used by :meth:`merge_source` and the kit).

        Parameters
        ----------
        conn : sqlalchemy.Connection
        source : MergeSource
        same_coder : dict, optional
        actor : str, optional
        dry_run : bool
            Only said in the report and the audit entry.

        Returns
        -------
        tuple
            The report and the codebook versions stored (to cache once committed).
        """
        tally = _Tally()
        here = project_uid(conn)
        if source.project_uid == here and source.marker == marker(conn):
            raise MergeError(f"{source.name} is this project (or an unchanged copy of it); there is nothing to merge")
        known = {key: present(conn, table, key, [r["uid"] for r in rows], here) for key, table, rows in (
            ("event_id", T.coding_events, source.events), ("memo_id", T.memos, source.memos),
            ("adjudication_id", T.adjudications, source.adjudications))}
        earlier = {r["coder"]: str(name) for k, rows in (("event_id", source.events), ("memo_id", source.memos))
                   for r in rows if (name := known[k].get(r["uid"]))}
        coders = self._map_coders(conn, source, dict(same_coder or {}), here, earlier, tally)
        self._check_round_names(conn, source)
        units = self._match_units(conn, source, tally)
        versions, stored = self._map_versions(conn, source, tally, actor)
        coder_ids = self._write_coders(conn, source, coders)
        rounds = self._write_rounds(conn, source, versions, coders, tally)
        self._write_assignments(conn, source, units, coder_ids, rounds, tally)
        touched = self._write_events(conn, source, units, coder_ids, rounds, versions, set(known["event_id"]), tally)
        for coder_id, round_id in sorted(touched, key=lambda t: (t[0], t[1] or 0)):
            _refresh_cursor(conn, coder_id, round_id)
        self._write_memos(conn, source, units, coder_ids, rounds, set(known["memo_id"]), tally)
        self._write_adjudications(conn, source, units, rounds, versions, set(known["adjudication_id"]), tally)
        for note in source.notes:  # counted in, neither merged nor skipped: what reading the file found
            tally.counts["notes"]["n_in"] += 1
            tally.say("notes", note, problem=True)
        report = tally.frame(source.name, dry_run)
        detail = {"source": source.name, "source_uid": source.project_uid, "coders": coders,
                  "counts": report.set_index("kind")[REPORT_COLUMNS[1:5]].to_dict("index"),
                  "problems": len(tally.problems)}
        if report["n_merged"].any():  # a merge that brings nothing changes nothing
            self.kernel.audit(conn, "merge", detail, actor)
        return report, stored

    def _map_coders(
        self, conn: sa.Connection, source: MergeSource, same: dict[str, str], here: str, earlier: dict[str, str],
        tally: _Tally,
    ) -> dict[str, str]:
        """Each coder of the source who did something: the name they have here."""
        existing = list(conn.execute(sa.select(T.coders.c.name).order_by(T.coders.c.coder_id)).scalars())
        known = [c["name"] for c in source.coders]
        unknown = [a for a in same if a not in known]
        if unknown:
            raise MergeError(f"same_coder names {unknown}, who are not coders of {source.name}; its coders: {known}")
        used = list(dict.fromkeys(
            [e["coder"] for e in source.events] + [m["coder"] for m in source.memos]
            + [a["coder"] for a in source.assignments]
        ))
        kit = source.kit or {}
        kit_coder = kit.get("coder") if kit.get("made_from") == here else None
        mapping: dict[str, str] = {}
        clashes: list[tuple[str, str]] = []
        taken = list(existing)
        for name in used:
            if name in same:
                target = self._new_name(same[name], taken, f"same_coder maps {name!r} to {same[name]!r}, but")
                mapping[name] = target
                how = "the same coder (as asked)" if target in existing else "a new coder (as asked)"
                tally.say("coders", f"{name!r} of {source.name} is {target!r} here, {how}")
            elif name == kit_coder and name in existing:
                mapping[name] = name
                tally.say("coders", f"{name!r}: the coder this kit was made for")
            elif name in earlier:
                mapping[name] = earlier[name]
                tally.say("coders", f"{name!r} of {source.name} is {earlier[name]!r} here, as in an earlier merge")
            else:
                alike = [e for e in existing if looks_alike(name, e)]
                if alike:
                    clashes.append((name, alike[0]))
                    continue
                mapping[name] = self._new_name(
                    name, taken, f"{source.name} has the coder {name!r}, but",
                    f"; give them a name by --same-coder {name}=NEW_NAME (same_coder={{{name!r}: 'NEW_NAME'}})")
            if mapping[name] not in taken:
                taken.append(mapping[name])
        if clashes:
            listed = ", ".join(f"{a!r} there and {b!r} here" for a, b in clashes)
            a, b = clashes[0]
            raise MergeError(
                f"{source.name} has coders whose names are taken here: {listed}. Say for each whether they are the "
                f"same person: --same-coder {a}={b} (same_coder={{{a!r}: {b!r}}}), or give theirs a new name: "
                f"--same-coder {a}={a}-2. Nothing was merged."
            )
        for name in used:
            tally.add("coders", "already" if mapping[name] in existing else "merged")
        return mapping

    @staticmethod
    def _new_name(name: Any, taken: list[str], context: str, hint: str = "") -> str:
        """A coder's name here, by the naming rule (:func:`~workbench.identifiers.new_name`)."""
        try:
            return new_name(name, taken, what="coder")
        except IdentifierError as exc:
            raise MergeError(f"{context} {exc.args[0] if exc.args else exc}{hint}. Nothing was merged.") from exc

    def _check_round_names(self, conn: sa.Connection, source: MergeSource) -> None:
        existing = list(conn.execute(sa.select(T.rounds.c.name)).scalars())
        for r in source.rounds:
            alike = [e for e in existing if e != r["name"] and looks_alike(r["name"], e)]
            if r["name"] not in existing and alike:
                raise MergeError(
                    f"round {r['name']!r} of {source.name} is too like round {alike[0]!r} here (rounds are matched by "
                    "name); give the rounds the same name, or names unlike each other, and merge again"
                )

    def _match_units(self, conn: sa.Connection, source: MergeSource, tally: _Tally) -> dict[str, int]:
        """The source's units held here with the same text: ``{unit_id: seq here}``."""
        ids = [u["unit_id"] for u in source.units]
        here: dict[str, tuple[int, str]] = {}
        u = T.units.c
        for i in range(0, len(ids), _IN):
            rows = conn.execute(sa.select(u.unit_id, u.seq, u.text).where(u.unit_id.in_(ids[i : i + _IN])))
            here.update((uid, (int(seq), text_checksum(text))) for uid, seq, text in rows)
        matched: dict[str, int] = {}
        missing, changed = [], []
        for unit in source.units:
            found = here.get(unit["unit_id"])
            if found is None:
                missing.append(unit["unit_id"])
            elif found[1] != unit["checksum"]:
                changed.append(unit["unit_id"])
            else:
                matched[unit["unit_id"]] = found[0]
        tally.add("units", "already", len(matched))
        tally.add("units", "skipped", len(missing) + len(changed))
        if missing:
            tally.say("units", f"{len(missing)} unit(s) of {source.name} are not in this project ({_ids(missing)})")
        if changed:
            tally.say("units", f"{len(changed)} unit(s) have another text in {source.name} ({_ids(changed)}): their "
                               "codings, memos and decisions were not merged", problem=True)
        return matched

    def _map_versions(
        self, conn: sa.Connection, source: MergeSource, tally: _Tally, actor: str | None
    ) -> tuple[dict[int, int], dict[int, Codebook]]:
        """Each source codebook version: the version here with the same codebook (codes by GUID), or a new one."""
        cv = T.codebook_versions.c
        here = {int(v): (c, Codebook.from_dict(json.loads(b)).with_guids())
                for v, c, b in conn.execute(sa.select(cv.version, cv.checksum, cv.body).order_by(cv.version))}
        mapping: dict[int, int] = {}
        stored: dict[int, Codebook] = {}
        for version, cb in sorted(source.codebooks.items()):
            mine = cb.with_guids()
            same = [v for v, (_, have) in here.items() if have.name == mine.name and not have.diff(mine)]
            if same:
                mapping[version] = version if version in same else max(same)
                tally.add("codebook versions", "already")
                continue
            new = self.codebooks.store(conn, cb, note=f"merged from {source.name} (its version {version})",
                                       author=actor)
            basis = here.get(version) or (here[max(here)] if here else None)
            what = "; ".join(str(basis[1].diff(mine)).splitlines()[:5]) if basis else "the first codebook here"
            tally.add("codebook versions", "merged")
            tally.say("codebook versions", f"version {version} of {source.name} differs from the codebooks here and "
                                           f"was stored as version {new} ({what})", problem=bool(here))
            here[new] = (None, mine)
            mapping[version] = new
            stored[new] = cb
        return mapping, stored

    def _write_coders(self, conn: sa.Connection, source: MergeSource, coders: dict[str, str]) -> dict[str, int]:
        c = T.coders.c
        ids = {n: int(i) for n, i in conn.execute(sa.select(c.name, c.coder_id))}
        out: dict[str, int] = {}
        for name, target in coders.items():
            if target not in ids:  # a coder, whatever their role was there: a merge gives no one rights here
                ids[target] = int(conn.execute(
                    T.coders.insert().values(name=target, role="coder", created_at=now())
                    .returning(c.coder_id)).scalar_one())
            out[name] = ids[target]
        return out

    def _write_rounds(
        self, conn: sa.Connection, source: MergeSource, versions: dict[int, int], coders: dict[str, str], tally: _Tally
    ) -> dict[str, dict[str, Any]]:
        """Every source round's row here (created when missing): ``{name: row}``."""
        out: dict[str, dict[str, Any]] = {}
        for r in source.rounds:
            row = conn.execute(sa.select(T.rounds).where(T.rounds.c.name == r["name"])).mappings().first()
            if row is not None:
                out[r["name"]] = dict(row)
                tally.add("rounds", "already")
                pinned = _version(versions, r.get("codebook_version"))
                if pinned is not None and row["codebook_version"] is not None and pinned != row["codebook_version"]:
                    tally.say("rounds", f"round {r['name']!r} is pinned to codebook version {row['codebook_version']} "
                                        f"here and to another codebook (version {pinned} here) in {source.name}",
                              problem=True)
                continue
            spec = json.loads(r["sample"]) if r.get("sample") else {}
            if isinstance(spec, dict) and isinstance(spec.get("coders"), list):
                spec["coders"] = [coders.get(n, n) for n in spec["coders"]]
            version = _version(versions, r.get("codebook_version"))
            rid = conn.execute(T.rounds.insert().values(
                name=r["name"], status=r.get("status") or "open", codebook_version=version,
                sample=json.dumps(spec) if spec else None, seed=r.get("seed"), created_at=_time(r.get("created_at")),
                closed_at=None if r.get("closed_at") is None else _time(r["closed_at"]),
            ).returning(T.rounds.c.round_id)).scalar_one()
            out[r["name"]] = dict(conn.execute(sa.select(T.rounds).where(T.rounds.c.round_id == rid)).mappings().one())
            out[r["name"]]["new"] = True
            tally.add("rounds", "merged")
            tally.say("rounds", f"round {r['name']!r} was created from {source.name}")
        return out

    @staticmethod
    def _closed(rnd: dict[str, Any] | None) -> bool:
        return rnd is not None and rnd["status"] != "open" and not rnd.get("new")

    def _write_assignments(
        self, conn: sa.Connection, source: MergeSource, units: dict[str, int], coder_ids: dict[str, int],
        rounds: dict[str, dict[str, Any]], tally: _Tally,
    ) -> None:
        a = T.round_assignments.c
        have: dict[int, set[tuple[int, str]]] = {}
        for r in {x["round"] for x in source.assignments}:
            rid = rounds[r]["round_id"]
            have[rid] = {(int(c), u) for c, u in conn.execute(sa.select(a.coder_id, a.unit_id).where(a.round_id == rid))}
        rows, skipped = [], []
        for x in source.assignments:
            rnd, unit = rounds[x["round"]], x["unit_id"]
            key = (coder_ids[x["coder"]], unit)
            if key in have[rnd["round_id"]]:
                tally.add("assignments", "already")
            elif unit not in units or self._closed(rnd):
                tally.add("assignments", "skipped")
                skipped.append(unit)
            else:
                have[rnd["round_id"]].add(key)
                rows.append({"round_id": rnd["round_id"], "coder_id": key[0], "unit_id": unit, "seq": units[unit]})
                tally.add("assignments", "merged")
        for i in range(0, len(rows), 5000):
            conn.execute(T.round_assignments.insert(), rows[i : i + 5000])
        if skipped:
            tally.say("assignments", f"{len(skipped)} assignment(s) not merged: their unit is not here as it is in "
                                     f"{source.name}, or their round is closed here ({_ids(skipped)})")

    def _skip_reason(self, unit_id: str | None, units: dict[str, int], source: MergeSource) -> str | None:
        if unit_id is None or unit_id in units:
            return None
        return "on units whose text differs" if unit_id in source.unit_ids else "on units not in this project"

    def _write_events(
        self, conn: sa.Connection, source: MergeSource, units: dict[str, int], coder_ids: dict[str, int],
        rounds: dict[str, dict[str, Any]], versions: dict[int, int], present: set[str], tally: _Tally,
    ) -> set[tuple[int, int | None]]:
        e = T.coding_events.c
        before: set[tuple[int, int | None, str]] = set()
        ids = sorted(set(coder_ids.values()))
        if ids:
            q = sa.select(e.coder_id, e.round_id, e.unit_id).where(e.coder_id.in_(ids)).distinct()
            before = {(int(c), r, u) for c, r, u in conn.execute(q)}
        reasons: dict[str, int] = {}
        rows: list[dict[str, Any]] = []
        for ev in source.events:
            rnd = rounds.get(ev["round"]) if ev.get("round") is not None else None
            why = self._skip_reason(ev["unit_id"], units, source)
            if ev["uid"] in present:
                tally.add("events", "already")
                continue
            if why is None and rnd is not None and self._closed(rnd):
                why = f"in round {rnd['name']!r}, which is closed here (reopen it and merge again)"
            if why is not None:
                tally.add("events", "skipped")
                reasons[why] = reasons.get(why, 0) + 1
                continue
            present.add(ev["uid"])
            rows.append({
                "unit_id": ev["unit_id"], "code": ev["code"], "action": ev["action"], "coder_id": coder_ids[ev["coder"]],
                "round_id": rnd["round_id"] if rnd else None, "at": _time(ev.get("at")), "memo": ev.get("memo"),
                "codebook_version": _version(versions, ev.get("codebook_version")), "origin": ev.get("origin"),
                "span_start": ev.get("span_start"), "span_end": ev.get("span_end"), "origin_uid": ev["uid"],
            })
            tally.add("events", "merged")
        for i in range(0, len(rows), 5000):
            conn.execute(T.coding_events.insert(), rows[i : i + 5000])
        if self.kernel.dialect != "postgresql":  # on PostgreSQL the trigger of revision 0004 derived it, row by row
            _replay(conn, rows)
        both = {(r["coder_id"], r["round_id"], r["unit_id"]) for r in rows} & before
        for why, n in reasons.items():
            tally.say("events", f"{n} event(s) {why} were not merged", problem=True)
        if both:
            tally.say("events", f"{len(both)} unit(s) were coded by the same coder here and in {source.name}; the "
                                "merged events come later in the log and decide the current codings")
        return {(r["coder_id"], r["round_id"]) for r in rows}

    def _write_memos(
        self, conn: sa.Connection, source: MergeSource, units: dict[str, int], coder_ids: dict[str, int],
        rounds: dict[str, dict[str, Any]], present: set[str], tally: _Tally,
    ) -> None:
        reasons: dict[str, int] = {}
        rows: list[dict[str, Any]] = []
        for m in source.memos:
            why = self._skip_reason(m.get("unit_id"), units, source)
            if m["uid"] in present:
                tally.add("memos", "already")
            elif why is not None:
                tally.add("memos", "skipped")
                reasons[why] = reasons.get(why, 0) + 1
            else:
                present.add(m["uid"])
                rnd = rounds.get(m["round"]) if m.get("round") is not None else None
                rows.append({"unit_id": m.get("unit_id"), "coder_id": coder_ids[m["coder"]], "kind": m["kind"],
                             "round_id": rnd["round_id"] if rnd else None, "text": m["text"], "at": _time(m.get("at")),
                             "origin_uid": m["uid"]})
                tally.add("memos", "merged")
        for i in range(0, len(rows), 5000):
            conn.execute(T.memos.insert(), rows[i : i + 5000])
        for why, n in reasons.items():
            tally.say("memos", f"{n} memo(s) or flag(s) {why} were not merged", problem=True)

    def _write_adjudications(
        self, conn: sa.Connection, source: MergeSource, units: dict[str, int], rounds: dict[str, dict[str, Any]],
        versions: dict[int, int], present: set[str], tally: _Tally,
    ) -> None:
        reasons: dict[str, int] = {}
        rows: list[dict[str, Any]] = []
        for a in source.adjudications:
            why = self._skip_reason(a["unit_id"], units, source)
            if a["uid"] in present:
                tally.add("adjudications", "already")
            elif why is not None:
                tally.add("adjudications", "skipped")
                reasons[why] = reasons.get(why, 0) + 1
            else:
                present.add(a["uid"])
                rnd = rounds.get(a["round"]) if a.get("round") is not None else None
                rows.append({"round_id": rnd["round_id"] if rnd else None, "unit_id": a["unit_id"], "codes": a["codes"],
                             "decided_by": a["decided_by"], "reason": a.get("reason"), "proposal": a.get("proposal"),
                             "codebook_version": _version(versions, a.get("codebook_version")),
                             "at": _time(a.get("at")), "origin_uid": a["uid"]})
                tally.add("adjudications", "merged")
        if rows:
            conn.execute(T.adjudications.insert(), rows)
        for why, n in reasons.items():
            tally.say("adjudications", f"{n} decision(s) {why} were not merged", problem=True)


def _replay(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Bring the current codings up to date with merged events, as replaying the log does.

    The rule of :meth:`~workbench.storage.codings.Codings.apply_state` for many events at
    once: per coder, round, unit, code and span, the event with the highest id decides
    (``apply``: current, pointing at it; ``remove``: gone). Merged events have the highest
    ids of the log, so only their keys change.
    """
    if not rows:
        return
    e, cc = T.coding_events.c, T.current_codings.c
    uids = [r["origin_uid"] for r in rows]
    ids: dict[str, int] = {}
    for i in range(0, len(uids), _IN):
        ids.update((u, int(n)) for u, n in conn.execute(sa.select(e.origin_uid, e.event_id)
                                                        .where(e.origin_uid.in_(uids[i : i + _IN]))))
    last: dict[tuple[Any, ...], tuple[int, str]] = {}
    for r in rows:
        span = None if r["span_start"] is None else (int(r["span_start"]), int(r["span_end"]))
        key = (r["coder_id"], T.NO_ROUND_KEY if r["round_id"] is None else int(r["round_id"]), r["unit_id"],
               r["code"], span_key(span))
        event_id = ids[r["origin_uid"]]
        if key not in last or event_id > last[key][0]:
            last[key] = (event_id, r["action"])
    names = ("coder_id", "round_key", "unit_id", "code", "span_key")
    gone = T.current_codings.delete().where(*(cc[n] == sa.bindparam(f"k_{n}") for n in names))
    keys = [{f"k_{n}": v for n, v in zip(names, k)} for k in last]
    for i in range(0, len(keys), 5000):
        conn.execute(gone, keys[i : i + 5000])
    applied = [{**dict(zip(names, k)), "event_id": eid} for k, (eid, action) in last.items() if action == "apply"]
    for i in range(0, len(applied), 5000):
        conn.execute(T.current_codings.insert(), applied[i : i + 5000])


def _refresh_cursor(conn: sa.Connection, coder_id: int, round_id: int | None) -> None:
    """Set a coder's queue cursor to their first uncoded queue unit (the invariant of :mod:`.queue`)."""
    key = T.NO_ROUND_KEY if round_id is None else int(round_id)
    table, seq_col, id_col, conds = Queue.query(round_id, coder_id)
    cc = T.current_codings.c
    coded = sa.select(sa.literal(1)).where(cc.coder_id == coder_id, cc.round_key == key, cc.unit_id == id_col)
    first = conn.execute(sa.select(sa.func.min(seq_col)).where(*conds, ~sa.exists(coded))).scalar()
    if first is None:
        first = int(conn.execute(sa.select(sa.func.max(seq_col)).where(*conds)).scalar() or 0) + 1
    qc = T.queue_cursors.c
    where = (qc.coder_id == coder_id) & (qc.round_key == key)
    if not conn.execute(T.queue_cursors.update().where(where).values(frontier_seq=int(first))).rowcount:
        conn.execute(T.queue_cursors.insert().values(coder_id=coder_id, round_key=key, frontier_seq=int(first)))
