"""Disagreement analysis: which units the coders read differently, most contested first.

One function, one vocabulary, for every caller: the per-round review of a project
(``Project.round_disagreements``), the disagreement review widget and plain tables.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

import workbench.agreement._data as _data
import workbench.agreement._kernels as _kernels

__all__ = ["DISAGREEMENT_COLUMNS", "disagreements"]

#: the columns of the long form, in order (``unit``, ``coder`` and ``value`` are renamed
#: after the ``unit=``, ``coder=`` and ``value=`` keywords when they are given)
DISAGREEMENT_COLUMNS = ("unit", "coder", "value", "n_coders", "n_values", "majority", "contested")

_DISTANCES = ("auto", "nominal", "masi", "jaccard")


def _distance(distance: str | Callable[[Any, Any], float], sets: bool) -> Callable[[Any, Any], float]:
    if callable(distance):
        return distance
    if distance not in _DISTANCES:
        raise ValueError(f"distance must be one of {list(_DISTANCES)} or a function f(a, b) -> float; got {distance!r}")
    if distance == "auto":
        distance = "masi" if sets else "nominal"
    if distance == "masi":
        return _kernels.masi
    if distance == "jaccard":
        return _kernels.jaccard
    return lambda a, b: 0.0 if a == b else 1.0


def disagreements(
    data: Any,
    *,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
    distance: str | Callable[[Any, Any], float] = "auto",
    wide: bool = False,
) -> pd.DataFrame:
    """The units on which coders differ, with who said what, most contested first.

    Only units coded by two or more coders who gave more than one distinct value appear;
    a unit coded by one coder cannot disagree and is left out. How contested a unit is
    is the mean distance over every pair of its coders: for plain values the share of
    pairs that differ; for sets of codes (multi-label coding) Passonneau's MASI distance
    by default, so that partly matching sets count as partly contested.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table (``NaN``/``None`` = not coded; cells may be sets), or a
        long DataFrame with the columns named by ``unit``, ``coder`` and ``value``.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame; the result's columns take the
        same names (``unit``, ``coder``, ``value`` otherwise).
    distance : {"auto", "nominal", "masi", "jaccard"} or callable
        The distance between two coders' values: ``"auto"`` is MASI for sets and
        nominal (0 when equal, 1 otherwise) for anything else; or any ``f(a, b) -> float``
        with ``f(a, a) == 0``.
    wide : bool
        One row per unit instead of one per unit and coder.

    Returns
    -------
    pandas.DataFrame
        Long (default), one row per disagreeing unit and coder who coded it:

        * ``unit``: the unit (the table's index, or the ``unit`` column);
        * ``coder``: the coder;
        * ``value``: what that coder gave (a set as ``"a, b"``, ``""`` for an empty set);
        * ``n_coders``: how many coders coded the unit;
        * ``n_values``: how many distinct values they gave;
        * ``majority``: whether this coder's value is the unit's single most frequent
          one (``False`` for everyone on a tie);
        * ``contested``: the unit's mean pairwise distance (0 = all agree, 1 = every
          pair differs completely).

        Units are ordered by ``contested`` (highest first), then ``n_values`` (most
        first), then their order in ``data``; coders in the order of ``data``.

        Wide, one row per disagreeing unit, in the same order: ``unit``, ``n_coders``,
        ``n_values``, ``contested``, ``<value>_by_coder`` (e.g. ``"ann: a; ben: b"``,
        ``(none)`` for an empty set) and one ``<value>:<coder>`` column per coder (missing
        where the coder did not code the unit).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.agreement import disagreements
    >>> df = pd.DataFrame({"ann": ["a", "b", "c"], "ben": ["a", "c", "c"], "cat": ["a", "b", None]},
    ...                   index=["u1", "u2", "u3"])
    >>> disagreements(df)
      unit coder value  n_coders  n_values  majority  contested
    0   u2   ann     b         3         2      True   0.666667
    1   u2   ben     c         3         2     False   0.666667
    2   u2   cat     b         3         2      True   0.666667

    Sets of codes, compared with MASI, in the wide form:

    >>> sets = [[{"x", "y"}, {"x"}], [{"x"}, {"z"}], [{"y"}, {"y"}]]
    >>> disagreements(sets, wide=True)[["unit", "contested", "value_by_coder"]]
       unit  contested  value_by_coder
    0     1   1.000000       0: x; 1: z
    1     0   0.666667  0: x, y; 1: x
    """
    if not isinstance(wide, bool):
        raise TypeError(f"wide must be True or False; got {wide!r}")
    coded = _data.encode(data, unit, coder, value)
    _data.require_coders(coded, "disagreements")
    names = (unit or "unit", coder or "coder", value or "value")
    codes = coded.codes
    sets = any(isinstance(c, frozenset) for c in coded.categories)
    dist = _distance(distance, sets)
    labels = [_data.category_label(c) for c in coded.categories]
    records: list[tuple[int, float, int, list[tuple[Any, Any, int, int, bool]]]] = []
    if codes.size:
        valid = codes >= 0
        m = valid.sum(axis=1)
        big = np.iinfo(np.int64).max
        srt = np.sort(np.where(valid, codes, big), axis=1)
        distinct = ((np.diff(srt, axis=1) != 0) & (srt[:, 1:] != big)).sum(axis=1) + (m > 0)
        cache: dict[tuple[int, int], float] = {}
        for r in np.flatnonzero((m >= 2) & (distinct >= 2)):
            present = [int(v) for v in codes[r] if v >= 0]
            pair_d = []
            for x, y in combinations(present, 2):
                key = (x, y) if x <= y else (y, x)
                if key not in cache:
                    cache[key] = 0.0 if x == y else float(dist(coded.categories[x], coded.categories[y]))
                pair_d.append(cache[key])
            counts = np.bincount(np.asarray(present), minlength=coded.k)
            top = counts.max()
            single_top = (counts == top).sum() == 1
            rows = [
                (coded.units[r], coded.coders[j], int(codes[r, j]), int(m[r]),
                 bool(single_top and counts[codes[r, j]] == top))
                for j in np.flatnonzero(codes[r] >= 0)
            ]
            records.append((int(r), float(np.mean(pair_d)), int(distinct[r]), rows))
    records.sort(key=lambda t: (-round(t[1], 12), -t[2], t[0]))
    if wide:
        return _wide(records, coded, labels, names)
    long_rows = [
        (u, c, labels[v], n, n_values, maj, contested)
        for _, contested, n_values, rows in records
        for (u, c, v, n, maj) in rows
    ]
    cols = [names[0], names[1], names[2], "n_coders", "n_values", "majority", "contested"]
    out = pd.DataFrame.from_records(long_rows, columns=cols)
    return out.astype({"n_coders": "int64", "n_values": "int64", "majority": "bool", "contested": "float64"})


def _wide(records: list, coded: _data.Coded, labels: list, names: tuple[str, str, str]) -> pd.DataFrame:
    unit_col, _, value_col = names
    coder_cols = [f"{value_col}:{c}" for c in coded.coders]
    cols = [unit_col, "n_coders", "n_values", "contested", f"{value_col}_by_coder", *coder_cols]
    out_rows = []
    for _, contested, n_values, rows in records:
        row: dict[str, Any] = {unit_col: rows[0][0], "n_coders": rows[0][3], "n_values": n_values,
                               "contested": contested}
        row[f"{value_col}_by_coder"] = "; ".join(f"{c}: {labels[v] if labels[v] != '' else '(none)'}"
                                                 for _, c, v, _, _ in rows)
        for col in coder_cols:
            row[col] = None
        for _, c, v, _, _ in rows:
            row[f"{value_col}:{c}"] = labels[v]
        out_rows.append(row)
    out = pd.DataFrame.from_records(out_rows, columns=cols)
    for col in coder_cols:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.astype({"n_coders": "int64", "n_values": "int64", "contested": "float64"})
