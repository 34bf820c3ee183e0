"""Recording a model coder's codings in a project, beside the humans' and never instead of them."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from ..errors import UnknownUnitError
from ..sentinels import ALL_ROUNDS, NO_ROUND
from ._record import (
    add_model_coder,
    code_unit,
    coded_units,
    new_run,
    now,
    one_round,
    read_codebook,
    round_label,
    save_run,
    texts_for_model,
)
from .classifier import MODEL_KIND, ClassifierModel
from .llm import LLMCoder

__all__ = ["apply"]


def _units_to_code(project: Any, coder: str, units: str | Iterable[str] | None, round: Any) -> list[str]:
    if units is None:
        ids = project.round_units(round) if one_round(round) else project.units(codable=True)["unit_id"].tolist()
    else:
        ids = [units] if isinstance(units, str) else [str(u) for u in units]
        known = set(project.units(unit_ids=ids)["unit_id"]) if ids else set()
        missing = [u for u in ids if u not in known]
        if missing:
            raise UnknownUnitError(f"unit(s) {missing[:5]} are not in this project; see project.units()")
    done = coded_units(project, coder, round)
    return [u for u in dict.fromkeys(ids) if u not in done]


def _check_codes(model_codes: Iterable[str], codebook: Any) -> None:
    outside = [c for c in model_codes if c not in codebook]
    if outside:
        raise ValueError(
            f"the model knows code(s) {outside} that the project's codebook ({codebook.name}) does not have; "
            "train it again on the current codebook"
        )


def _codebook_version(project: Any, round: Any) -> int | None:
    if one_round(round):
        version = project.round_info(round).get("codebook_version")
        if version is not None:
            return int(version)
    return project.codebook_version()


def apply(
    project: Any,
    model: ClassifierModel | LLMCoder,
    units: str | Iterable[str] | None = None,
    *,
    round: Any = None,
    key: Any = None,
    raw: bool = False,
) -> str:
    """Record a model coder's codings in the project, as a coder of kind model.

    The model's codes go through the same coding log as everyone's, under its own coder
    name; no human's coding is changed. Each unit's codes are recorded in one committed
    call (all of them or none). A unit the model coder has already coded (in that round)
    is skipped, so a stopped run can be taken up again. Every run is recorded (see
    :func:`runs` and :func:`run_record`): the model, its version, its full settings or
    prompt, seed, temperature, the units, what was coded, what failed and why, and the
    time.

    * A :class:`ClassifierModel` applies only the codes it is offered for (it beats its
      baseline; see :meth:`ClassifierModel.evaluate`). Texts never leave the machine.
    * An :class:`LLMCoder` gets the project's codebook (the round's version) and
      pseudonymised texts (:func:`workbench.privacy.export_view`: a raw project is
      pseudonymised with ``key``; ``raw=True`` sends real texts and needs the key as
      proof). The model's short reason is kept as the coding's memo. Units whose answer
      failed are listed in the run record and a warning says how many.

    Parameters
    ----------
    project : Project
        The project.
    model : ClassifierModel or LLMCoder
        From :func:`train`, or an :class:`LLMCoder`.
    units : str or iterable of str, optional
        The units to code. Default: the round's units, or every codable unit.
    round : str, int or None
        Record the codings in this (open) round; None (the default) outside rounds.
    key : PseudonymKey, optional
        The study's pseudonym key (LLM coders on a raw project).
    raw : bool
        LLM coders: send the raw texts (the supervisor's decision; needs ``key``).

    Returns
    -------
    str
        The model coder's name.

    Raises
    ------
    LLMError
        The LLM server cannot be used; units coded before it stopped stay recorded and the
        run record says where it stopped.

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
    >>> name == model.name, project.codings(coder=name)["unit_id"].nunique()
    (True, 10)
    >>> wb.assist.runs(project)[["kind", "n_units", "n_coded", "n_no_code"]].values.tolist()
    [['classifier', 20, 10, 10]]
    >>> project.close()
    """
    if round is ALL_ROUNDS:
        raise ValueError("apply records codings in one round (its name) or outside rounds (round=None)")
    if round is NO_ROUND:
        round = None
    if isinstance(model, ClassifierModel):
        return _apply_classifier(project, model, units, round)
    if isinstance(model, LLMCoder):
        return _apply_llm(project, model, units, round, key, raw)
    raise TypeError(f"model must be a trained model (wb.assist.train) or a wb.assist.LLMCoder; got {type(model).__name__}")


def _apply_classifier(project: Any, model: ClassifierModel, units: Any, round: Any) -> str:
    codebook = read_codebook(project, round)
    _check_codes(model.codebook.names, codebook)
    name = add_model_coder(project, model.name)
    todo = _units_to_code(project, name, units, round)
    card = model.card()
    seen = card.pop("trained_on")
    offered = sorted(model.offered())
    record = new_run(
        name, "classifier", model=MODEL_KIND, version=name.rpartition("@")[2], settings=card, seed=model.seed,
        temperature=None, round=round_label(round), codebook_version=_codebook_version(project, round),
        units=todo, seen_units=seen, offered=offered, privacy="local: the texts never left this machine",
    )
    save_run(project, record)
    try:
        texts = project.units(unit_ids=todo).set_index("unit_id")["text"] if todo else None
        predictions = model.predict([texts.loc[u] for u in todo]) if todo and texts is not None else []
        for uid, codes in zip(todo, predictions):
            if codes:
                code_unit(project, uid, codes, coder=name, round=round, memo=None)
                record["coded"].append(uid)
            else:
                record["no_code"].append(uid)  # kept in the run (model_runs.no_code): the log holds applied codes
    except Exception as exc:
        record.update(status="stopped", error=str(exc), finished_at=now())
        save_run(project, record)
        raise
    record.update(status="finished", finished_at=now())
    save_run(project, record)
    return name


def _apply_llm(project: Any, coder: LLMCoder, units: Any, round: Any, key: Any, raw: bool) -> str:
    codebook = read_codebook(project, round)
    if coder.codebook is None:
        coder = coder.bind(codebook)
    else:
        _check_codes(coder.codebook.names, codebook)
    name = add_model_coder(project, coder.name)
    todo = _units_to_code(project, name, units, round)
    view, privacy = texts_for_model(project, key=key, raw=raw)
    settings = coder.settings()
    record = new_run(
        name, "llm", model=coder.model, version=None, prompt_hash=name.rpartition("@")[2], settings=settings,
        seed=coder.seed,
        temperature=coder.temperature, round=round_label(round),
        codebook_version=_codebook_version(project, round), units=todo, seen_units=coder.seen_units(),
        privacy=privacy, served_models=[], fingerprints=[], no_code_reasons={},
    )
    save_run(project, record)
    try:
        # the view is already what may leave the machine (pseudonymised unless raw was asked for)
        for answer in coder.iter_code(view, todo, raw=True):
            uid = answer["unit_id"]
            for field_, col in (("served_models", "served_model"), ("fingerprints", "fingerprint")):
                if answer[col] and answer[col] not in record[field_]:
                    record[field_].append(answer[col])
            if answer["status"] != "ok":
                record["failures"].append({"unit_id": uid, "kind": answer["error_kind"], "error": answer["error"],
                                           "attempts": answer["attempts"]})
            elif answer["codes"]:
                code_unit(project, uid, answer["codes"], coder=name, round=round, memo=answer["reason"] or None)
                record["coded"].append(uid)
            else:
                record["no_code"].append(uid)  # kept in the run (model_runs.no_code): the log holds applied codes
                record["no_code_reasons"][uid] = answer["reason"]
    except Exception as exc:
        record.update(status="stopped", error=str(exc), finished_at=now())
        save_run(project, record)
        raise
    record.update(status="finished", finished_at=now(),
                  version=", ".join(record["served_models"]) or coder.model)
    save_run(project, record)
    if record["failures"]:
        kinds = sorted({f["kind"] for f in record["failures"]})
        warnings.warn(
            f"{len(record['failures'])} of {len(todo)} unit(s) got no valid answer from {coder.model} ({', '.join(kinds)}); "
            f"nothing was recorded for them. See wb.assist.run_record(project, {record['run_id']!r})['failures']; "
            "apply again to retry them",
            UserWarning,
            stacklevel=3,
        )
    return name
