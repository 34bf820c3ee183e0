"""Training data for a model coder: targets from the codebook, labels from gold, agreed or one coder's codings.

A *target* is what one classifier learns: an exclusive group of the codebook (one
multinomial classifier choosing one of the group's codes or ``"(none)"``) or a code outside
any exclusive group (one binary classifier: present or absent). Labels come from

* ``on="gold"``: the adjudicated codes (a decision that no code applies is a unit whose
  every target is absent / ``"(none)"``);
* ``on="agreed"``: units that two or more coders coded, for each target separately where
  every one of them gave the same value (all applied the code, or none did; all chose
  the same code of the group);
* ``on=<coder>``: every unit that coder coded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..agreement import NO_CODE
from ..codebook import Codebook

__all__ = ["GOLD", "NO_CODE", "Target", "TrainingData", "code_sets", "coded_frame", "targets_of", "training_data"]

#: the coder name the gold set takes where it stands beside coders
GOLD = "(gold)"


@dataclass(frozen=True)
class Target:
    """One classifier's task: an exclusive group (multinomial) or a single code (binary).

    Attributes
    ----------
    name : str
        ``"group:<name>"`` for an exclusive group, else the code's name.
    codes : tuple of str
        The group's codes in codebook order, or the one code.
    exclusive : bool
        True for an exclusive group.
    """

    name: str
    codes: tuple[str, ...]
    exclusive: bool

    def value(self, codes: frozenset) -> Any:
        """The target's label for a unit coded with ``codes`` (None when two codes of a group clash)."""
        if not self.exclusive:
            return int(self.codes[0] in codes)
        hits = [c for c in self.codes if c in codes]
        if len(hits) > 1:
            return None
        return hits[0] if hits else NO_CODE


def targets_of(codebook: Codebook) -> list[Target]:
    """The targets of a codebook: one per exclusive group (with codes), then one per other codable code.

    Examples
    --------
    >>> import workbench as wb
    >>> cb = wb.Codebook.from_dict({"name": "demo",
    ...     "groups": [{"name": "stance", "exclusive": True}],
    ...     "codes": [{"name": "a", "label": "A", "definition": ".", "group": "stance"},
    ...               {"name": "b", "label": "B", "definition": ".", "group": "stance"},
    ...               {"name": "thanks", "label": "Thanks", "definition": "."}]})
    >>> [(t.name, t.codes) for t in targets_of(cb)]
    [('group:stance', ('a', 'b')), ('thanks', ('thanks',))]
    """
    if not isinstance(codebook, Codebook):
        raise TypeError(f"codebook must be a workbench.Codebook; got {type(codebook).__name__}")
    codable = [c for c in codebook.codes if getattr(c, "codable", True)]
    exclusive = {g.name for g in codebook.groups if g.exclusive}
    out: list[Target] = []
    for g in codebook.groups:
        if g.name in exclusive:
            members = tuple(c.name for c in codable if c.group == g.name)
            if members:
                out.append(Target(f"group:{g.name}", members, True))
    out += [Target(c.name, (c.name,), False) for c in codable if c.group not in exclusive]
    return out


def code_sets(codings: pd.DataFrame, *, coder: str | None = "coder") -> pd.Series:
    """The set of codes each coder gave each unit: a Series of frozensets indexed by (unit_id, coder).

    A row whose ``code`` is missing means "coded, no code applies" (an empty set).

    Parameters
    ----------
    codings : pandas.DataFrame
        Long codings with ``unit_id``, ``code`` and (unless ``coder`` is None) a coder column.
    coder : str or None
        The coder column; None for a single coder's or the gold set's codings (the index's
        coder level is then :data:`GOLD`).

    Returns
    -------
    pandas.Series
        Frozensets of codes, indexed by ``unit_id`` and ``coder``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit_id": ["u1", "u1", "u2"], "coder": ["ann"] * 3, "code": ["a", "b", None]})
    >>> code_sets(df).map(sorted).to_dict()
    {('u1', 'ann'): ['a', 'b'], ('u2', 'ann'): []}
    """
    need = ["unit_id", "code"] + ([coder] if coder else [])
    missing = [c for c in need if c not in codings.columns]
    if missing:
        raise ValueError(f"codings lacks column(s) {missing}; it needs {need}")
    df = codings[need].copy()
    if not coder:
        df["coder"] = GOLD
        coder = "coder"
    df = df[df["unit_id"].notna() & df[coder].notna()]
    df["unit_id"] = df["unit_id"].astype(str)
    grouped = df.groupby(["unit_id", coder], sort=True)["code"]
    out = grouped.agg(lambda s: frozenset(str(c) for c in s if isinstance(c, str) and c))
    out.index = out.index.set_names(["unit_id", "coder"])
    return out


@dataclass
class TrainingData:
    """Texts and labels for training: which units teach which target, with which label.

    Attributes
    ----------
    texts : pandas.Series
        Unit text by unit id: every unit that teaches at least one target.
    labels : dict
        Target name -> Series of labels indexed by unit id (0/1 for a code, a code or
        ``"(none)"`` for an exclusive group).
    targets : list of Target
        The codebook's targets, in order.
    source : str
        ``"gold"``, ``"agreed"`` or ``"coder:<name>"``.
    notes : list of str
        What was left out and why.
    """

    texts: pd.Series
    labels: dict[str, pd.Series]
    targets: list[Target]
    source: str
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts per target (for the model card and the run record)."""
        out: dict[str, Any] = {}
        for t in self.targets:
            y = self.labels[t.name]
            out[t.name] = {str(k): int(v) for k, v in y.value_counts().sort_index().items()}
        return out


def training_data(
    units: pd.DataFrame,
    codings: pd.DataFrame,
    codebook: Codebook,
    on: str,
    *,
    gold: bool = False,
) -> TrainingData:
    """Assemble texts and labels from a units table and long codings.

    Parameters
    ----------
    units : pandas.DataFrame
        A units table with ``unit_id`` and ``text``.
    codings : pandas.DataFrame
        Long codings (``unit_id``, ``coder``, ``code``) or, with ``gold=True``, the gold set
        (``unit_id``, ``code``; a missing code = no code applies).
    codebook : Codebook
        Gives the targets.
    on : str
        ``"gold"``, ``"agreed"`` or a coder's name (see the module docstring).
    gold : bool
        ``codings`` is a gold set (no coder column needed).

    Returns
    -------
    TrainingData

    Examples
    --------
    >>> import pandas as pd, workbench as wb
    >>> cb = wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]})
    >>> units = pd.DataFrame({"unit_id": ["u1", "u2", "u3"], "text": ["thank you", "no", "thanks!"]})
    >>> codings = pd.DataFrame({"unit_id": ["u1", "u1", "u2", "u2", "u3", "u3"],
    ...                         "coder": ["ann", "ben"] * 3,
    ...                         "code": ["thanks", "thanks", None, None, "thanks", None]})
    >>> data = training_data(units, codings, cb, "agreed")
    >>> data.labels["thanks"].to_dict()      # u3: the coders disagreed, left out
    {'u1': 1, 'u2': 0}
    """
    if not isinstance(units, pd.DataFrame) or not {"unit_id", "text"} <= set(units.columns):
        raise ValueError("units must be a units table (a DataFrame with unit_id and text columns)")
    if not isinstance(on, str) or not on:
        raise ValueError("on must be 'gold', 'agreed' or a coder's name")
    targets = targets_of(codebook)
    if not targets:
        raise ValueError(f"codebook {codebook.name!r} has no codable code to learn")
    known = set(codebook.names)
    notes: list[str] = []
    if gold:
        sets = code_sets(codings, coder=None)
        source = "gold"
    else:
        sets = code_sets(codings)
        coders = sets.index.get_level_values("coder")
        if on == "agreed":
            source = "agreed"
        else:
            if on not in set(coders):
                raise ValueError(
                    f"coder {on!r} has no codings here; on= takes 'gold', 'agreed' or one of the coders: "
                    f"{sorted(set(coders))}"
                )
            sets = sets[coders == on]
            source = f"coder:{on}"
    unknown = sorted({c for s in sets for c in s if c not in known})
    if unknown:
        notes.append(f"codes not in codebook {codebook.name!r} ignored: {unknown}")
    indexed = units.assign(unit_id=units["unit_id"].astype(str)).drop_duplicates("unit_id").set_index("unit_id")
    text = indexed["text"].fillna("").astype(str)
    absent = sorted(set(sets.index.get_level_values("unit_id")) - set(text.index))
    if absent:
        notes.append(f"{len(absent)} coded unit(s) not in the units table left out (e.g. {absent[:3]})")
        sets = sets[~sets.index.get_level_values("unit_id").isin(absent)]
    labels: dict[str, pd.Series] = {}
    for t in targets:
        labels[t.name] = _labels(t, sets, agreed=(source == "agreed"), notes=notes)
    used = sorted(set().union(*(set(y.index) for y in labels.values())))
    return TrainingData(text.loc[used], labels, targets, source, notes)


def _labels(t: Target, sets: pd.Series, *, agreed: bool, notes: list[str]) -> pd.Series:
    if sets.empty:
        return pd.Series([], dtype=object if t.exclusive else np.int64, name=t.name)
    values = sets.map(t.value)
    clashes = int(values.isna().sum())
    if clashes:
        notes.append(f"{t.name}: {clashes} coding(s) with two codes of the exclusive group left out")
    frame = values.dropna().rename("value").reset_index()
    if agreed:
        per_unit = frame.groupby("unit_id")["value"].agg(["nunique", "size", "first"])
        keep = per_unit[(per_unit["size"] >= 2) & (per_unit["nunique"] == 1)]
        y = keep["first"]
    else:
        y = frame.groupby("unit_id")["value"].first()
    y = y.sort_index()
    y.name = t.name
    return y if t.exclusive else y.astype(np.int64)


def coded_frame(sets: Mapping[str, Iterable[str]], coder: str) -> pd.DataFrame:
    """Long codings (``unit_id, coder, code``) from a unit -> codes mapping; no code = one row with code None.

    Examples
    --------
    >>> coded_frame({"u1": ["a", "b"], "u2": []}, "m").to_dict("records")
    [{'unit_id': 'u1', 'coder': 'm', 'code': 'a'}, {'unit_id': 'u1', 'coder': 'm', 'code': 'b'}, {'unit_id': 'u2', 'coder': 'm', 'code': None}]
    """
    rows: list[tuple[str, str, str | None]] = []
    for uid, codes in sets.items():
        codes = list(codes)
        rows += [(str(uid), coder, c) for c in codes] if codes else [(str(uid), coder, None)]
    df = pd.DataFrame.from_records(rows, columns=["unit_id", "coder", "code"])
    df["code"] = pd.Series([r[2] for r in rows], index=df.index, dtype=object)
    return df
