"""Where model coders touch the store: the one module of ``wb.assist`` that reads or writes a project.

Everything here goes through ``Project``'s public API (the store's part is
:mod:`workbench.storage.models`):

* a model coder is a coder of kind ``model``: ``project.add_coder(name, kind="model")``;
  ``project.coders()`` has the ``kind`` column;
* its codes are recorded by ``project.code_model(...)``: the same event log as everyone's,
  events of origin ``model``, only under a model coder (never a human's coding);
* a run is a row of ``model_runs``, saved by ``project.save_model_run(record)`` when it
  starts and again when it finishes or stops (an upsert by ``run_id``), read with
  ``project.model_runs()``; the units where no code applied are the run's ``no_code`` list
  (the event log holds applied codes only), which :mod:`.validate` adds as "coded, none".

Recording needs a supervisor (or the project's owner): a project opened for a coder refuses
these calls, and on PostgreSQL the coders' login has no rights on the runs.
"""

from __future__ import annotations

import datetime as dt
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
    """The names of the project's model coders (kind model)."""
    coders = project.coders()
    return set(coders.loc[coders["kind"] == MODEL, "name"].astype(str))


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
    units = view.units
    if view.ids is not None:  # the texts leave pseudonymised; the codes come back under the project's ids
        units = units.copy()
        for col in ("unit_id", "thread_id", "parent_id"):
            if col in units.columns:
                units[col] = [view.ids.original(v) if v is not None else None for v in units[col]]
    return units, ("raw (re-identifiable)" if raw else "pseudonymised")


def coded_units(project: Any, coder: str, round: Any) -> set[str]:
    """Units the coder has coded (in the round), including units recorded as "no code applies"."""
    if coder not in set(project.coders()["name"]):
        return set()
    done = set(project.codings(coder=coder, round=round_arg(round))["unit_id"].astype(str))
    label = round_label(round)
    for r in run_records(project, coder):
        if r.get("round") == label:
            done |= set(r.get("no_code", []))
    return done


# --- writing ------------------------------------------------------------------------------------
def add_model_coder(project: Any, name: str) -> str:
    """Add a coder of kind model (idempotent)."""
    return str(project.add_coder(name, kind=MODEL))


def code_unit(project: Any, unit_id: str, codes: Sequence[str], *, coder: str, round: Any, memo: str | None) -> list[int]:
    """Record a model's codes on one unit in one committed call (all or nothing; events of origin model)."""
    return list(project.code_model(unit_id, list(codes), coder=coder, round=round_arg(round), memo=memo))


def new_run(coder: str, kind: str, **fields: Any) -> dict[str, Any]:
    """A fresh run record (status ``running``).

    Parameters
    ----------
    coder : str
        The model coder.
    kind : str
        ``classifier`` or ``llm``.
    **fields
        The rest of the record (model, version, prompt_hash, settings, seed, ...).

    Returns
    -------
    dict
    """
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
    """Store (or update, by ``run_id``) a run record."""
    project.save_model_run(record)


def _all_runs(project: Any, coder: str | None = None) -> list[dict[str, Any]]:
    return list(project.model_runs(coder)["record"])


def run_records(project: Any, coder: str | None = None) -> list[dict[str, Any]]:
    """The full records of a project's model runs (of one coder), oldest first."""
    return _all_runs(project, coder)


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
        ``run_id, coder, kind, model, version, prompt_hash, status, round, n_units,
        n_coded, n_no_code, n_failed, seed, temperature, privacy, started_at,
        finished_at`` (``version``: the model file's hash or the served model;
        ``prompt_hash``: an LLM coder's frozen prompt); the full record
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
    df = project.model_runs(coder)
    df.insert(df.columns.get_loc("seed"), "privacy", [r.get("privacy") for r in df["record"]])
    cols = ["run_id", "coder", "kind", "model", "version", "prompt_hash", "status", "round", "n_units", "n_coded",
            "n_no_code", "n_failed", "seed", "temperature", "privacy", "started_at", "finished_at"]
    return df[cols].reset_index(drop=True)
