"""Suggestions for the coding panel and a queue order by uncertainty, from a trained model coder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .classifier import ClassifierModel

__all__ = ["SUGGESTION_COLUMNS", "panel_suggestions", "suggest", "uncertainty_order"]

SUGGESTION_COLUMNS = ["unit_id", "code", "target", "probability", "suggested", "offered"]


def _texts(units: Any) -> tuple[list[str], list[str]]:
    if isinstance(units, pd.DataFrame):
        if not {"unit_id", "text"} <= set(units.columns):
            raise ValueError("units must have unit_id and text columns (a units table, e.g. project.units())")
        return units["unit_id"].astype(str).tolist(), units["text"].fillna("").astype(str).tolist()
    if isinstance(units, pd.Series):
        return [str(i) for i in units.index], units.fillna("").astype(str).tolist()
    raise TypeError(f"units must be a units table (DataFrame) or a Series of texts by unit id; got {type(units).__name__}")


def _check(model: Any) -> ClassifierModel:
    if not isinstance(model, ClassifierModel):
        raise TypeError(f"model must be a trained model coder (wb.assist.train(...)); got {type(model).__name__}")
    return model


def panel_suggestions(project: Any, round: Any, model: Any) -> Callable[[str], list[str]] | None:
    """What a coding panel asks for a unit's suggested codes: refused inside a blind (open) round.

    Parameters
    ----------
    project : Project
    round : str, int or None
        The panel's round; None: outside rounds.
    model : ClassifierModel or None
        From :func:`train`; None: no suggestions.

    Returns
    -------
    callable or None
        ``unit_id -> codes`` the model suggests (offered codes only, see :func:`suggest`).

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "s.db"))
    >>> project.add_units(wb.make_units([{"unit_id": "u", "thread_id": "t", "text": "."}]))
    1
    >>> project.add_codebook(wb.Codebook.from_dict({"name": "d", "codes": [
    ...     {"name": "x", "label": "X", "definition": "."}]}))
    1
    >>> _ = project.add_coder("ann"); _ = project.new_round("pilot", units=["u"], coders=["ann"])
    >>> panel_suggestions(project, "pilot", "a model")
    Traceback (most recent call last):
    ...
    ValueError: suggestions are off inside the blind round 'pilot': a model's codes would anchor the coder; leave suggestions= out (or code outside rounds)
    >>> panel_suggestions(project, None, None) is None
    True
    >>> project.close()
    """
    if model is None:
        return None
    if round is not None:
        info = project.round_info(round)
        if info["status"] == "open":
            raise ValueError(
                f"suggestions are off inside the blind round {info['round']!r}: a model's codes would anchor the "
                "coder; leave suggestions= out (or code outside rounds)"
            )
    checked = _check(model)

    def codes(unit_id: str) -> list[str]:
        table = suggest(checked, project.units(unit_ids=[unit_id]))
        return [str(c) for c in table.loc[table["suggested"], "code"]]

    return codes


def suggest(model: ClassifierModel, units: Any) -> pd.DataFrame:
    """The model's probability of every code on every unit: what the coding panel may show.

    Parameters
    ----------
    model : ClassifierModel
        From :func:`train`.
    units : pandas.DataFrame or pandas.Series
        A units table (``unit_id``, ``text``) or texts indexed by unit id.

    Returns
    -------
    pandas.DataFrame
        One row per unit and code, units in the order given, codes in codebook order:
        ``unit_id``, ``code``, ``target`` (the code or ``group:<name>``), ``probability``,
        ``suggested`` (the model would apply it: the group's most probable code, other
        codes at or above the threshold, offered codes only), ``offered`` (the model beats
        its baseline on this code; see :meth:`ClassifierModel.evaluate`). The panel should
        show suggestions for offered codes only, and only after the coder's own choice or
        on request.

    Examples
    --------
    >>> import pandas as pd, workbench as wb
    >>> cb = wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]})
    >>> texts = [f"thank you so much {i}" for i in range(20)] + [f"the rota is late {i}" for i in range(20)]
    >>> units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(40)], "text": texts})
    >>> gold = pd.DataFrame({"unit_id": units["unit_id"], "code": ["thanks"] * 20 + [None] * 20})
    >>> model = wb.assist.train(units, on="gold", codings=gold, codebook=cb)
    >>> new = pd.DataFrame({"unit_id": ["n1", "n2"], "text": ["thank you", "late again"]})
    >>> wb.assist.suggest(model, new)[["unit_id", "code", "suggested", "offered"]]
      unit_id    code  suggested  offered
    0      n1  thanks       True     True
    1      n2  thanks      False     True
    """
    model = _check(model)
    ids, texts = _texts(units)
    probs, chosen = model.probabilities_and_codes(texts)
    offered = model.offered()
    target_of = {c: t.name for t in model.targets for c in t.codes}
    codes = [c for c in model.codebook.names if c in probs.columns]
    n = len(ids)
    out = pd.DataFrame({
        "unit_id": np.repeat(ids, len(codes)),
        "code": np.tile(codes, n),
        "target": np.tile([target_of[c] for c in codes], n),
        "probability": probs[codes].to_numpy().reshape(-1) if n else np.array([], dtype=float),
        "suggested": [c in chosen[i] for i in range(n) for c in codes],
        "offered": np.tile([c in offered for c in codes], n),
    }, columns=SUGGESTION_COLUMNS)
    return out.astype({"probability": "float64", "suggested": "bool", "offered": "bool"})


def uncertainty_order(model: ClassifierModel, units: Any) -> pd.DataFrame:
    """Units ordered most uncertain first: a queue order for building a training set.

    Each of the model's decisions on a unit has a margin: for a code outside exclusive
    groups ``|2p - 1|`` (0 at p = 0.5, 1 when certain), for an exclusive group the gap
    between its two most probable values. A unit's ``uncertainty`` is one minus its smallest
    margin (the decision the model is least sure of); ties keep the order given.

    Parameters
    ----------
    model : ClassifierModel
        From :func:`train`.
    units : pandas.DataFrame or pandas.Series
        A units table (``unit_id``, ``text``) or texts indexed by unit id.

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``uncertainty`` (0 to 1), ``decision`` (the target it is least sure
        of), ``rank`` (1 = most uncertain), sorted by rank.

    Examples
    --------
    >>> import pandas as pd, workbench as wb
    >>> cb = wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]})
    >>> texts = [f"thank you so much {i}" for i in range(20)] + [f"the rota is late {i}" for i in range(20)]
    >>> units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(40)], "text": texts})
    >>> gold = pd.DataFrame({"unit_id": units["unit_id"], "code": ["thanks"] * 20 + [None] * 20})
    >>> model = wb.assist.train(units, on="gold", codings=gold, codebook=cb)
    >>> new = pd.DataFrame({"unit_id": ["sure", "unsure"], "text": ["thank you so much", "so late, thank"]})
    >>> wb.assist.uncertainty_order(model, new)["unit_id"].tolist()
    ['unsure', 'sure']
    """
    model = _check(model)
    ids, texts = _texts(units)
    probs = model.probabilities(texts)
    margins: dict[str, np.ndarray] = {}
    for t in model.targets:
        if t.exclusive:
            p = probs[list(t.codes)].to_numpy()
            p = np.column_stack([p, np.clip(1 - p.sum(axis=1), 0, 1)])  # "(none)"
            top = np.sort(p, axis=1)[:, ::-1]
            margins[t.name] = top[:, 0] - top[:, 1]
        else:
            margins[t.name] = np.abs(2 * probs[t.codes[0]].to_numpy() - 1)
    names = list(margins)
    M = np.column_stack([margins[n] for n in names]) if names else np.ones((len(ids), 1))
    least = M.argmin(axis=1)
    frame = pd.DataFrame({
        "unit_id": ids,
        "uncertainty": 1 - M.min(axis=1),
        "decision": [names[i] if names else None for i in least],
    })
    frame = frame.sort_values("uncertainty", ascending=False, kind="stable").reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame
