"""Model coders: their codings and their runs (the store's part of ``wb.assist``).

A model coder is a coder of kind ``model`` (``project.add_coder(name, kind="model")``):
always a ``coder``, never a supervisor, never with a database login of its own. Its
codings go through the same event log as everyone's, under its own coder and with the
events' origin ``model`` (:meth:`ModelRuns.code_model`), so the current state, the
history, queues and agreement read them as a coder's; a model coding for a human coder is
refused, so a model never replaces a human's coding. Who records them is a supervisor (or
the project's owner): in a project opened for a coder both calls are refused, and on
PostgreSQL the coders' group has no rights on ``model_runs`` while the supervisors' may
read, insert and update it (row-level security of migration ``0004`` lets a supervisor's
login insert events for any coder; the trigger derives the state).

A run is one row of ``model_runs`` (migration ``0006``), saved by ``run_id`` when it starts
and again when it finishes or stops (:meth:`ModelRuns.save_model_run`): the model, its
version or file hash, the prompt's hash, the full prompt or training settings, seed,
temperature, round, codebook version, the units asked for, the units where no code
applied (the run is the record of those: the log holds only applied codes), the status
and the times; each save is in the audit log (``model_run``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd
import sqlalchemy as sa

from . import tables as T
from ._kernel import Kernel, RoundRef, now, utc_timestamp
from .access import Access
from .codings import Codings, code_list, span_key

__all__ = ["MODEL_ORIGIN", "RUN_COLUMNS", "RUN_STATUSES", "ModelRuns"]

#: the origin of a model coder's coding events
MODEL_ORIGIN = "model"
#: what a run's status may be
RUN_STATUSES = ("running", "finished", "stopped")
#: the columns of :meth:`ModelRuns.model_runs`
RUN_COLUMNS = [
    "run_id", "coder", "kind", "model", "version", "prompt_hash", "settings", "seed", "temperature", "round",
    "codebook_version", "status", "n_units", "n_coded", "n_no_code", "n_failed", "started_at", "finished_at", "record",
]


def _json(value: Any, field: str, run_id: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"model run {run_id!r}, field {field!r}: not JSON ({exc})") from None


class ModelRuns:
    """Record a model coder's codings and runs; list the runs.

    Parameters
    ----------
    kernel : Kernel
        The open project's kernel.
    codings : Codings
        The event log's part (checks, events, derived state).
    access : Access, optional
        Who may record (a supervisor or the owner).

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "m.db"))
    >>> project.add_codebook(wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]}))
    1
    >>> project.add_units(wb.make_units([{"unit_id": f"u{i}", "thread_id": "t", "text": "thanks"} for i in range(3)]))
    3
    >>> model = project.add_coder("model:demo@abc", kind="model")
    >>> run = {"run_id": "r1", "coder": model, "kind": "classifier", "model": "logreg-tfidf", "version": "abc",
    ...        "settings": {"C": 1.0}, "seed": 0, "units": ["u0", "u1", "u2"], "status": "running",
    ...        "started_at": "2026-11-30T10:00:00+00:00"}
    >>> project.save_model_run(run)
    'r1'
    >>> project.code_model("u0", ["thanks"], coder=model, memo="says thanks")
    [1]
    >>> project.save_model_run({**run, "status": "finished", "coded": ["u0"], "no_code": ["u1", "u2"],
    ...                         "finished_at": "2026-11-30T10:00:05+00:00"})
    'r1'
    >>> project.model_runs()[["run_id", "status", "n_units", "n_coded", "n_no_code"]].values.tolist()
    [['r1', 'finished', 3, 1, 2]]
    >>> project.history(coder=model)["origin"].tolist()
    ['model']
    >>> _ = project.add_coder("alice")
    >>> project.code_model("u1", ["thanks"], coder="alice")
    Traceback (most recent call last):
    ...
    ValueError: 'alice' is a human coder: model codings are recorded only under a coder of kind 'model', never for a human (add one with project.add_coder(name, kind='model'))
    >>> project.close()
    """

    def __init__(self, kernel: Kernel, codings: Codings, access: Access | None = None):
        self.kernel = kernel
        self.codings = codings
        self.access = access or Access(kernel)

    def _model_coder(self, conn: sa.Connection, coder: str) -> int:
        c = T.coders.c
        coder_id = self.kernel.coder_id(conn, coder)
        kind = conn.execute(sa.select(c.kind).where(c.coder_id == coder_id)).scalar_one()
        if kind != "model":
            raise ValueError(
                f"{coder!r} is a human coder: model codings are recorded only under a coder of kind 'model', never "
                "for a human (add one with project.add_coder(name, kind='model'))"
            )
        return coder_id

    def code_model(
        self, unit_id: str, codes: str | Iterable[str], *, coder: str, round: RoundRef = None, memo: str | None = None,
    ) -> list[int]:
        """Record a model coder's codes on a unit: one committed transaction, events of origin ``model``.

        The checks and the exclusive groups are :meth:`Codings.code`'s (an unknown unit,
        code, coder or round, or a closed round, raise and write nothing); only the model
        coder's own codings change.

        Parameters
        ----------
        unit_id : str
        codes : str or list of str
            At least one code of the codebook version in force; a unit where no code
            applies is listed in the run's ``no_code`` (:meth:`save_model_run`).
        coder : str
            A coder of kind ``model``.
        round : str, int, None or NO_ROUND
            The (open) round, or outside any round.
        memo : str, optional
            The model's short reason.

        Returns
        -------
        list of int
            The ids of the events written.
        """
        codes = code_list(codes)
        if not codes:
            raise ValueError("give at least one code; a unit where no code applies goes in its run's no_code list")
        doing = f"record the model coder {coder!r}'s codes {codes} on unit {unit_id!r}"
        trigger = self.kernel.dialect == "postgresql"  # there the trigger of 0004 derives the state
        with self.kernel.transaction(doing, after="Nothing was recorded; try again.") as conn:
            unit_row, coder_id, rnd, version, cb = self.codings._check(conn, unit_id, coder, round, None)
            self._model_coder(conn, coder)
            groups = self.codings._groups(cb, version, codes, "apply")
            round_id = rnd["round_id"] if rnd else None
            round_key = self.kernel.round_key(rnd)
            skey = span_key(None)
            events: list[tuple[str, str, str | None]] = []
            for siblings in groups:
                present = self.codings.present(conn, coder_id, round_key, unit_id, siblings, skey) if siblings else []
                events.extend(("remove", s, None) for s in present)
            events.extend(("apply", c, memo) for c in codes)
            at, ids = now(), []
            for act, c, m in events:
                event_id = self.codings.write_event(
                    conn, unit_id=unit_id, code=c, action=act, coder_id=coder_id, round_id=round_id,
                    codebook_version=version, at=at, memo=m, origin=MODEL_ORIGIN,
                )
                ids.append(event_id)
                if not trigger:
                    self.codings.apply_state(conn, coder_id, round_key, unit_id, c, skey, act, event_id)
            if not trigger:
                self.codings.queue.advance(conn, coder_id, round_key, round_id, unit_id, unit_row.seq, "apply")
        return ids

    def save_model_run(self, record: dict[str, Any]) -> str:
        """Save a model run: a new row, or the run with the same ``run_id`` updated (audited).

        Parameters
        ----------
        record : dict
            JSON-serialisable. Required: ``run_id`` (at most 64 characters), ``coder`` (a
            model coder; a run keeps its coder), ``kind`` (``classifier``, ``llm``),
            ``status`` (``running``, ``finished``, ``stopped``), ``started_at`` (ISO 8601).
            Kept in columns too: ``model, version, prompt_hash, settings`` (the full prompt
            or training settings), ``seed, temperature, round, codebook_version, units,
            no_code, finished_at``; the whole record is kept as given.

        Returns
        -------
        str
            The run's id.
        """
        if not isinstance(record, dict):
            raise TypeError(f"a model run is a dict, not {type(record).__name__}")
        missing = [k for k in ("run_id", "coder", "kind", "status", "started_at") if record.get(k) in (None, "")]
        if missing:
            raise ValueError(f"model run {record.get('run_id')!r}: field(s) {missing} are missing")
        run_id, status = str(record["run_id"]), record["status"]
        if len(run_id) > 64:
            raise ValueError(f"model run id {run_id[:70]!r}...: at most 64 characters")
        if status not in RUN_STATUSES:
            raise ValueError(f"model run {run_id!r}, field 'status': {status!r} is not one of {RUN_STATUSES}")
        times = {}
        for field in ("started_at", "finished_at"):
            try:
                times[field] = utc_timestamp(record.get(field))
            except (TypeError, ValueError):
                raise ValueError(f"model run {run_id!r}, field {field!r}: not an ISO 8601 time: "
                                 f"{record.get(field)!r}") from None
        started, finished = times["started_at"], times["finished_at"]
        if started is None:  # pragma: no cover - checked with the required fields
            raise ValueError(f"model run {run_id!r}, field 'started_at' is missing")
        seed, temperature = record.get("seed"), record.get("temperature")
        values = {
            "kind": str(record["kind"])[:16], "model": record.get("model"), "version": record.get("version"),
            "prompt_hash": record.get("prompt_hash"), "settings": _json(record.get("settings"), "settings", run_id),
            "seed": None if seed is None else int(seed),
            "temperature": None if temperature is None else float(temperature),
            "round": record.get("round"), "codebook_version": record.get("codebook_version"),
            "units": _json(list(record.get("units", [])), "units", run_id),
            "no_code": _json(list(record.get("no_code", [])), "no_code", run_id), "status": status,
            "record": _json(record, "record", run_id), "started_at": started.to_pydatetime(),
            "finished_at": None if finished is None else finished.to_pydatetime(),
        }
        m = T.model_runs.c
        with self.kernel.transaction(f"save the model run {run_id!r}") as conn:
            coder_id = self._model_coder(conn, record["coder"])
            had = conn.execute(sa.select(m.coder_id).where(m.run_id == run_id)).first()
            if had is None:
                conn.execute(T.model_runs.insert().values(run_id=run_id, coder_id=coder_id, **values))
            elif had.coder_id != coder_id:
                raise ValueError(f"model run {run_id!r} is another model coder's; a run keeps its coder")
            else:
                conn.execute(T.model_runs.update().where(m.run_id == run_id).values(**values))
            self.kernel.audit(conn, "model_run", {
                "run_id": run_id, "coder": record["coder"], "model": values["model"], "version": values["version"],
                "status": status, "n_units": len(record.get("units", [])), "n_coded": len(record.get("coded", [])),
                "n_no_code": len(record.get("no_code", [])), "n_failed": len(record.get("failures", [])),
            })
        return run_id

    def model_runs(self, coder: str | Iterable[str] | None = None) -> pd.DataFrame:
        """The model runs, oldest first: one row per run.

        Parameters
        ----------
        coder : str or list of str, optional
            Only these model coders' runs.

        Returns
        -------
        pandas.DataFrame
            ``run_id, coder, kind, model, version, prompt_hash, settings`` (decoded),
            ``seed, temperature, round, codebook_version, status, n_units, n_coded,
            n_no_code, n_failed, started_at, finished_at`` and ``record`` (the full record,
            a dict).
        """
        m, c = T.model_runs.c, T.coders.c
        q = (
            sa.select(m.run_id, c.name.label("coder"), m.kind, m.model, m.version, m.prompt_hash, m.settings, m.seed,
                      m.temperature, m.round, m.codebook_version, m.status, m.record, m.started_at, m.finished_at)
            .select_from(T.model_runs.join(T.coders, c.coder_id == m.coder_id))
            .order_by(m.started_at, m.run_id)
        )
        if coder is not None:
            q = q.where(c.name.in_([coder] if isinstance(coder, str) else list(coder)))
        df = self.kernel.frame(q, "list the model runs", times=("started_at", "finished_at"))
        records = [json.loads(r) for r in df["record"]]
        df["record"] = pd.Series(records, index=df.index, dtype=object)
        df["settings"] = pd.Series([json.loads(s) for s in df["settings"]], index=df.index, dtype=object)
        for col, field in (("n_units", "units"), ("n_coded", "coded"), ("n_no_code", "no_code"),
                           ("n_failed", "failures")):
            df[col] = pd.Series([len(r.get(field, [])) for r in records], index=df.index, dtype="int64")
        df["seed"] = df["seed"].astype("Int64")
        df["codebook_version"] = df["codebook_version"].astype("Int64")
        df["temperature"] = df["temperature"].astype("float64")
        return df[RUN_COLUMNS]
