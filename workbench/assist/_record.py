"""Where model coders touch the store: the one module of ``wb.assist`` that reads or writes a project.

Everything here goes through ``Project``'s public API. The store does not yet have every
part a model coder needs; each stand-in below is marked ``WIRING`` and uses the new call as
soon as the project offers it (the parameter is looked up on the method), so that wiring
the store needs no change here:

* ``WIRING kind``: coders get a ``kind`` (``"human"`` / ``"model"``):
  ``project.add_coder(name, kind="model")`` and a ``kind`` column in ``project.coders()``.
  Until then a model coder is added with ``role="model"``.
* ``WIRING origin``: ``project.code(unit_id, codes, coder=, round=, memo=, origin="model")``
  writes coding events with ``origin="model"`` (the column exists; ``code`` does not take it
  yet). Until then the model's events have no origin; the coder's kind tells them apart.
* ``WIRING no code``: ``project.code(unit_id, [], coder=...)`` records "coded, no code
  applies" (``reliability_table`` already reads a row with a missing code that way). Until
  then such units are kept in the run record (``no_code``) and :mod:`.validate` adds them;
  once it exists, the two ``no_code`` branches of :mod:`.apply` (marked) call
  :func:`code_unit` with no codes as well.
* ``WIRING model_runs``: a ``model_runs`` table with one row per run and the record's
  fields (run_id, coder, kind, model, version, settings or prompt as JSON, seed,
  temperature, round, codebook_version, units, coded, no_code, failures as JSON,
  seen_units, offered, privacy, status, error, started_at, finished_at), shown in the audit
  log and the reliability report; ``project.add_model_run(record)`` inserts or updates by
  ``run_id`` (a run is saved when it starts and again when it finishes or stops) and
  ``project.model_runs()`` returns the full records. Until then a run is the project
  setting ``assist.run.<run_id>`` (JSON; ``set_setting`` audits it) and ``assist.runs``
  lists the run ids (not safe for two runs started at the same moment).
* ``WIRING suggestion visible``: the coding panel records, with each coding, whether a
  model's suggestion was visible (``project.code(..., suggestion_visible=True)``); not used
  here.
"""

from __future__ import annotations

import datetime as dt
import inspect
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ..codebook import Codebook
from ..sentinels import ALL_ROUNDS, NO_ROUND

__all__ = [
    "MODEL",
    "add_model_coder",
    "code_unit",
    "coded_units",
    "model_coders",
    "new_run",
    "read_codebook",
    "read_training",
    "one_round",
    "round_arg",
    "run_record",
    "run_records",
    "runs",
    "save_run",
    "texts_for_model",
]

#: the kind of a model coder
MODEL = "model"
_RUNS = "assist.runs"
_RUN = "assist.run."


def _accepts(method: Any, parameter: str) -> bool:
    try:
        return parameter in inspect.signature(method).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False


def now() -> str:
    """The time now, UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def round_arg(round: Any) -> Any:
    """A round selection as the store takes it: ALL_ROUNDS, NO_ROUND (None) or one round's name or id."""
    if round is None or round is NO_ROUND:
        return NO_ROUND
    return round


def one_round(round: Any) -> bool:
    """Whether the selection names one round."""
    return round_arg(round) not in (ALL_ROUNDS, NO_ROUND)


def round_label(round: Any) -> str | None:
    """A round selection as JSON: the round's name or id, ``"all rounds"`` or None (outside rounds)."""
    if round is ALL_ROUNDS:
        return ALL_ROUNDS.value
    if round is NO_ROUND or round is None:
        return None
    return str(round)


# --- reading ------------------------------------------------------------------------------------
def read_codebook(project: Any, round: Any = ALL_ROUNDS) -> Codebook:
    """The codebook a round was coded with, or the project's current one."""
    if one_round(round):
        version = project.round_info(round).get("codebook_version")
        if version is not None:
            return project.codebook(int(version))
    return project.codebook()


def model_coders(project: Any) -> set[str]:
    """The names of the project's model coders (kind model, or named in a run)."""
    coders = project.coders()
    col = "kind" if "kind" in coders.columns else "role"  # WIRING kind
    names = set(coders.loc[coders[col] == MODEL, "name"].astype(str))
    return names | {r["coder"] for r in _all_runs(project)}


def read_training(project: Any, on: str, round: Any) -> tuple[pd.DataFrame, pd.DataFrame, Codebook, dict[str, Any]]:
    """Units, codings (or the gold set), codebook and a note of where they came from."""
    units = project.units()
    codebook = read_codebook(project, round)
    r = round_arg(round)
    version = project.round_info(r).get("codebook_version") if one_round(r) else None
    origin = {"from": "project", "round": round_label(round), "on": on,
              "codebook_version": int(version) if version is not None else project.codebook_version()}
    if on == "gold":
        if r is NO_ROUND:
            raise ValueError(
                "the gold set lives in rounds (decisions are recorded per round): train on='gold' with "
                "round=ALL_ROUNDS (the latest decision per unit) or a round's name"
            )
        gold = project.gold(r)
        if gold.empty:
            raise ValueError(
                "the project has no adjudicated (gold) codes yet; adjudicate a round's disagreements "
                "(project.adjudicate) or train on='agreed' or on a coder"
            )
        codings = gold[["unit_id", "code"]]
    else:
        codings = project.codings(round=r)[["unit_id", "coder", "code"]]
        models = model_coders(project)
        if on in models:
            raise ValueError(f"{on!r} is a model coder; train on 'gold', 'agreed' or a human coder")
        codings = codings[~codings["coder"].isin(models)]
    return units, codings, codebook, origin


def texts_for_model(project: Any, *, key: Any = None, raw: bool = False) -> tuple[pd.DataFrame, str]:
    """Every unit as a model that sends text away may see it: pseudonymised unless ``raw`` (with the key).

    Goes through :func:`workbench.privacy.export_view`: a raw project is pseudonymised with
    ``key`` and redacted; a pseudonymised project is redacted; ``raw=True`` needs the key as
    proof. Returns the units and a word for the run record.
    """
    from ..privacy import export_view

    view = export_view(project, raw=raw, key=key, coder=[])
    return view.units, ("raw (re-identifiable)" if raw else "pseudonymised")


def coded_units(project: Any, coder: str, round: Any) -> set[str]:
    """Units the coder has coded (in the round), including units recorded as "no code applies"."""
    if coder not in set(project.coders()["name"]):
        return set()
    done = set(project.codings(coder=coder, round=round_arg(round))["unit_id"].astype(str))
    label = round_label(round)
    for r in _all_runs(project):
        if r["coder"] == coder and r.get("round") == label:
            done |= set(r.get("no_code", []))
    return done


# --- writing ------------------------------------------------------------------------------------
def add_model_coder(project: Any, name: str) -> str:
    """Add a coder of kind model (idempotent)."""
    if _accepts(project.add_coder, "kind"):
        return project.add_coder(name, kind=MODEL)  # WIRING kind: the store's call
    return project.add_coder(name, role=MODEL)


def code_unit(project: Any, unit_id: str, codes: Sequence[str], *, coder: str, round: Any, memo: str | None) -> list[int]:
    """Record a model's codes on one unit in one committed call (all or nothing)."""
    kwargs: dict[str, Any] = {"coder": coder, "round": round_arg(round), "memo": memo}
    if _accepts(project.code, "origin"):
        kwargs["origin"] = MODEL  # WIRING origin
    return project.code(unit_id, list(codes), **kwargs)


def new_run(coder: str, kind: str, **fields: Any) -> dict[str, Any]:
    """A fresh run record (status ``running``)."""
    return {
        "run_id": secrets.token_hex(6),
        "coder": coder,
        "kind": kind,
        "status": "running",
        "started_at": now(),
        "finished_at": None,
        "coded": [],
        "no_code": [],
        "failures": [],
        **fields,
    }


def save_run(project: Any, record: dict[str, Any]) -> None:
    """Store (or update) a run record."""
    if _accepts(getattr(project, "add_model_run", None), "record"):  # WIRING model_runs
        project.add_model_run(record)
        return
    key = _RUN + record["run_id"]
    project.set_setting(key, record, actor=record["coder"])
    ids = project.get_setting(_RUNS) or []
    if record["run_id"] not in ids:
        project.set_setting(_RUNS, [*ids, record["run_id"]], actor=record["coder"])


def _all_runs(project: Any) -> list[dict[str, Any]]:
    if hasattr(project, "model_runs"):  # WIRING model_runs
        return list(project.model_runs().to_dict("records"))
    return [r for r in (project.get_setting(_RUN + i) for i in project.get_setting(_RUNS) or []) if r]


def run_records(project: Any, coder: str | None = None) -> list[dict[str, Any]]:
    """The full records of a project's model runs (of one coder), oldest first."""
    return [r for r in _all_runs(project) if coder is None or r["coder"] == coder]


def run_record(project: Any, run_id: str) -> dict[str, Any]:
    """One run's full record."""
    for r in _all_runs(project):
        if r["run_id"] == run_id:
            return r
    raise KeyError(f"no model run {run_id!r}; see wb.assist.runs(project)")


def runs(project: Any, coder: str | Iterable[str] | None = None) -> pd.DataFrame:
    """The model runs of a project, oldest first: one row per run.

    Parameters
    ----------
    project : Project
        The project.
    coder : str or list of str, optional
        Only these model coders' runs.

    Returns
    -------
    pandas.DataFrame
        ``run_id, coder, kind, model, status, round, n_units, n_coded, n_no_code,
        n_failed, seed, temperature, privacy, started_at, finished_at``; the full record
        (settings or prompt, unit ids, failures) with :func:`run_record`.

    Examples
    --------
    >>> import os, tempfile, pandas as pd, workbench as wb
    >>> cb = wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]})
    >>> texts = ["thank you so much"] * 10 + ["the rota is late again"] * 10
    >>> units = wb.make_units([{"unit_id": f"u{i}", "thread_id": "t", "author": "A", "text": t}
    ...                        for i, t in enumerate(texts)])
    >>> gold = pd.DataFrame({"unit_id": units["unit_id"], "code": ["thanks"] * 10 + [None] * 10})
    >>> model = wb.assist.train(units, on="gold", codings=gold, codebook=cb)
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> project.add_units(units), project.add_codebook(cb)
    (20, 1)
    >>> name = wb.assist.apply(project, model)
    >>> run = wb.assist.runs(project).iloc[0]
    >>> run["coder"] == name, run["status"], int(run["seed"])
    (True, 'finished', 0)
    >>> record = wb.assist.run_record(project, run["run_id"])
    >>> sorted(record)[:6]
    ['codebook_version', 'coded', 'coder', 'failures', 'finished_at', 'kind']
    >>> project.close()
    """
    records = _all_runs(project)
    if coder is not None:
        names = {coder} if isinstance(coder, str) else set(coder)
        records = [r for r in records if r["coder"] in names]
    rows = [
        {
            "run_id": r["run_id"], "coder": r["coder"], "kind": r["kind"], "model": r.get("model"),
            "status": r["status"], "round": r.get("round"), "n_units": len(r.get("units", [])),
            "n_coded": len(r.get("coded", [])), "n_no_code": len(r.get("no_code", [])),
            "n_failed": len(r.get("failures", [])), "seed": r.get("seed"), "temperature": r.get("temperature"),
            "privacy": r.get("privacy"), "started_at": r.get("started_at"), "finished_at": r.get("finished_at"),
        }
        for r in records
    ]
    cols = ["run_id", "coder", "kind", "model", "status", "round", "n_units", "n_coded", "n_no_code", "n_failed",
            "seed", "temperature", "privacy", "started_at", "finished_at"]
    df = pd.DataFrame.from_records(rows, columns=cols)
    for c in ("started_at", "finished_at"):
        df[c] = pd.to_datetime(df[c], utc=True, errors="coerce")
    return df
