"""The per-code reliability report behind ``Project.agreement``: tidy rows per code, group and overall."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import workbench.agreement._data as _data

from ._data import Coded
from ._measures import MEASURES, _kernel_call, _Measure, _measure
from .bootstrap import _bootstrap_coded
from .interpret import interpret
from .variance import SE_MEASURES, _gwet_interval
from .weights import WEIGHTS

__all__ = ["CI_METHODS", "NO_CODE", "OVERALL", "REPORT_COLUMNS", "per_code_agreement", "reliability_table"]

OVERALL = "(overall)"
NO_CODE = "(none)"
REPORT_COLUMNS = [
    "code",
    "measure",
    "value",
    "ci_low",
    "ci_high",
    "n_units",
    "n_coders",
    "n_pairable",
    "interpretation",
]


#: How :func:`reliability_table` computes its intervals: Hayes & Krippendorff's / the units
#: bootstrap, or Gwet's variance formulas for the kappa family (alpha keeps the bootstrap).
CI_METHODS = ("bootstrap", "gwet")


# --- the per-code report --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Codings:
    units: pd.Index
    coders: pd.Index
    coded: np.ndarray  # (units, coders) bool: coder coded the unit
    codes: list
    present: dict  # code -> (units, coders) bool


def _prepare_codings(
    codings: pd.DataFrame, codes: Iterable | None, coders: Iterable | None, units: Iterable | None
) -> _Codings:
    if not isinstance(codings, pd.DataFrame):
        raise TypeError(f"codings must be a DataFrame with unit_id, coder, code columns; got {type(codings).__name__}")
    need = ["unit_id", "coder", "code"]
    absent = [c for c in need if c not in codings.columns]
    if absent:
        raise ValueError(f"codings lacks column(s) {absent}; it needs {need} (as project.codings() returns)")
    df = codings[need]
    df = df[df["unit_id"].notna() & df["coder"].notna()]
    if coders is not None:
        coders = [coders] if isinstance(coders, str) else list(coders)
        df = df[df["coder"].isin(coders)]
    if units is not None:
        units = [units] if isinstance(units, str) else list(units)
        df = df[df["unit_id"].isin(units)]
    u_idx, u_labels = pd.factorize(df["unit_id"], sort=True)
    c_idx, c_labels = pd.factorize(df["coder"], sort=True)
    coded = np.zeros((len(u_labels), len(c_labels)), dtype=bool)
    coded[u_idx, c_idx] = True
    code_col = df["code"]
    if codes is None:
        code_list = sorted(pd.unique(code_col.dropna()).tolist(), key=str)
    else:
        code_list = [codes] if isinstance(codes, str) else list(codes)
        if len(set(code_list)) != len(code_list):
            raise ValueError(f"codes must be distinct; got {code_list}")
    present = {}
    values = code_col.to_numpy()
    for code in code_list:
        hit = values == code
        mat = np.zeros_like(coded)
        mat[u_idx[hit], c_idx[hit]] = True
        present[code] = mat
    return _Codings(pd.Index(u_labels), pd.Index(c_labels), coded, code_list, present)


def _binary(cd: _Codings, code: Any) -> Coded:
    codes = np.where(cd.coded, cd.present[code].astype(np.int64), _data.MISSING)
    return Coded(codes, (0, 1), cd.units, cd.coders)


def _sets(cd: _Codings) -> Coded:
    n_units, n_coders = cd.coded.shape
    cells = np.full(n_units * n_coders, None, dtype=object)
    flat_coded = cd.coded.reshape(-1)
    idx = np.flatnonzero(flat_coded)
    members: list[list[Any]] = [[] for _ in range(len(idx))]
    pos = {v: i for i, v in enumerate(idx)}
    for code in cd.codes:
        for f in np.flatnonzero(cd.present[code].reshape(-1) & flat_coded):
            members[pos[f]].append(code)
    for i, f in enumerate(idx):
        cells[f] = frozenset(members[i])
    return _data.encode_array(cells.reshape(n_units, n_coders), cd.units, cd.coders)


def _group(cd: _Codings, name: str, group_codes: Sequence, raw: pd.DataFrame) -> tuple[Coded, int]:
    extra = [c for c in group_codes if c not in cd.present]
    present = dict(cd.present)
    if extra:
        more = _prepare_codings(raw, extra, list(cd.coders), list(cd.units))
        for c in extra:
            mat = np.zeros_like(cd.coded)
            if len(more.units):
                ui = cd.units.get_indexer(more.units)
                ci = cd.coders.get_indexer(more.coders)
                mat[np.ix_(ui, ci)] = more.present[c]
            present[c] = mat
    stack = np.stack([present[c] for c in group_codes]) if group_codes else np.zeros((0, *cd.coded.shape), bool)
    count = stack.sum(axis=0)
    which = stack.argmax(axis=0) if len(group_codes) else np.zeros(cd.coded.shape, dtype=np.int64)
    codes = np.where(count == 1, which, len(group_codes))  # len(group_codes) = "(none)"
    conflict = cd.coded & (count > 1)
    codes = np.where(cd.coded & ~conflict, codes, _data.MISSING).astype(np.int64)
    return Coded(codes, (*group_codes, NO_CODE), cd.units, cd.coders), int(conflict.sum())


def _row_seed(seed: int | None, *parts: str) -> Any:
    if seed is None:
        return None
    return [int(seed), *(zlib.crc32(p.encode("utf-8")) for p in parts)]


def _counts(coded: Coded) -> tuple[int, int, int]:
    valid = coded.codes >= 0
    m = valid.sum(axis=1)
    n_coders = int(valid[m > 0].any(axis=0).sum()) if valid.size else 0
    return int((m > 0).sum()), n_coders, int((m >= 2).sum())


def _report_rows(
    label: str,
    coded: Coded,
    measures: Sequence[_Measure],
    *,
    ci: bool,
    n_boot: int,
    seed: int | None,
    alpha_options: Mapping[str, Any],
    note: str | None = None,
    unsupported: Mapping[str, str] | None = None,
    ci_method: str = "bootstrap",
    seed_prefix: tuple[str, ...] = (),
    weights: str | None = None,
) -> list[dict[str, Any]]:
    n_units, n_coders, n_pairable = _counts(coded)
    rows = []
    for m in measures:
        row = {"code": label, "measure": m.name, "n_units": n_units, "n_coders": n_coders, "n_pairable": n_pairable}
        reason = (unsupported or {}).get(m.name)
        value = lo = hi = math.nan
        if reason is None:
            opts = dict(alpha_options) if m.name == "alpha" else {}
            if weights is not None and "weights" in m.options:
                opts["weights"] = weights
            if m.name in ("cohen_kappa", "scott_pi") and coded.codes.shape[1] != 2:
                reason = f"{m.name} compares exactly two coders; {coded.codes.shape[1]} coded here"
            elif ci and ci_method == "gwet" and m.name in SE_MEASURES:
                value, lo, hi, reason = _gwet_interval(m.name, coded, opts.get("weights"))
            elif ci:
                row_seed = _row_seed(seed, *seed_prefix, label, m.name)
                res, reason = _bootstrap_coded(m, coded, opts, n_boot, row_seed, 0.95)
                value, lo, hi = res.value, res.ci_low, res.ci_high
            else:
                value, reason = _kernel_call(m, coded, opts)
        if reason is not None:
            value = lo = hi = math.nan
            text = f"undefined: {reason}"
        else:
            text = interpret(value, m.name)
            if note:
                text = f"{text}; {note}"
        row.update(value=value, ci_low=lo, ci_high=hi, interpretation=text)
        rows.append(row)
    return rows


def reliability_table(
    codings: pd.DataFrame,
    *,
    codes: Iterable | None = None,
    coders: Iterable[str] | None = None,
    measures: Sequence[str | Callable] = ("alpha",),
    ci: bool = True,
    n_boot: int = 1000,
    seed: int | None = 0,
    units: Iterable[str] | None = None,
    exclusive_groups: Mapping[str, Sequence] | None = None,
    by: str | None = None,
    ci_method: str = "bootstrap",
    weights: str | None = None,
) -> pd.DataFrame:
    """The per-code reliability report: one row per code, exclusive group and overall, per measure.

    A coder has *coded* a unit when they applied at least one code to it (a row with a
    missing ``code`` also counts: coded, no code applies). Then:

    * **per code** (``code`` = the code's name): each unit a coder coded is 1 when they
      applied the code and 0 when they did not; units they did not code are missing.
      Alpha is nominal alpha on these binary values.
    * **exclusive groups** (``code`` = ``"group:<name>"``): the single code of the group a
      coder applied, ``"(none)"`` when they applied none of them; a coder who applied two
      codes of one exclusive group on a unit is missing there (counted in the
      interpretation). Every measure is computed on these nominal values.
    * **overall** (``code`` = ``"(overall)"``): alpha on the *set* of codes each coder
      applied to each unit, with Passonneau's MASI distance, so that partly matching
      sets earn partial credit. Other measures are not defined for sets: their overall
      row is ``NaN`` and says so; read their per-code rows.

    Parameters
    ----------
    codings : pandas.DataFrame
        Long codings with columns ``unit_id``, ``coder``, ``code`` (others are ignored),
        one row per code applied, as :meth:`Project.codings` returns.
    codes : iterable, optional
        The codes to report (default: every code applied, sorted). A listed code nobody
        applied gets a row whose value is undefined. The overall sets are restricted to
        these codes.
    coders : iterable of str, optional
        Only these coders (default: all).
    measures : sequence of str or functions
        Names from :data:`MEASURES` (default: alpha only).
    ci : bool
        Add 95% intervals (by ``ci_method``).
    n_boot : int
        Resamples per bootstrap interval.
    seed : int or None
        Seed; each row draws from a generator seeded by ``(seed, code, measure)`` (and the
        group, with ``by``), so a row's interval does not depend on which other rows are
        asked for.
    units : iterable of str, optional
        Only these units (e.g. the units of one round).
    exclusive_groups : mapping of str to list of codes, optional
        Groups of mutually exclusive codes (e.g. from the codebook) to report as one
        nominal variable each.
    by : str, optional
        A column of ``codings`` that puts each unit in one group (e.g. ``"thread_id"``):
        the report is computed within each group, the group's name in a first column of
        that name. Every group reports the same codes (those of the whole codings unless
        ``codes`` is given), so a code not applied in a thread reads undefined there. The
        groups' ``n_units`` add up to the units coded. A unit without a group, or in two,
        is refused.
    ci_method : {"bootstrap", "gwet"}
        ``"bootstrap"`` (default): :func:`bootstrap` (Hayes & Krippendorff for alpha, units
        resampled otherwise). ``"gwet"``: Gwet's variance formulas
        (:func:`standard_errors`) for the kappa family; alpha keeps the bootstrap.
    weights : str, optional
        A weighting scheme of :data:`~workbench.agreement.WEIGHTS` (e.g. ``"linear"``) for
        every measure that takes weights (the kappa family, AC2, percent agreement;
        AC1 is unweighted, AC2 defaults to quadratic, alpha keeps its nominal level). It
        matters only for exclusive groups, whose categories are the group's codes in
        order, then ``"(none)"``: on a code's present/absent values every scheme gives
        the unweighted value. A matrix fits one set of categories, not a whole report:
        pass it to the coefficient itself.

    Returns
    -------
    pandas.DataFrame
        One row per (code, measure), the overall rows first, then the groups, then the
        codes (with ``by``: the same, group after group, the group in a first column):

        * ``code``: ``"(overall)"``, ``"group:<name>"`` or the code;
        * ``measure``: the measure's name (a key of :data:`MEASURES`);
        * ``value``: the coefficient (``NaN`` when undefined);
        * ``ci_low``, ``ci_high``: the 95% interval (``NaN`` without ``ci``);
        * ``n_units``: units coded by at least one coder;
        * ``n_coders``: coders who coded at least one of those units;
        * ``n_pairable``: units coded by two or more coders, the only ones that carry
          information about agreement (``n_units - n_pairable`` were coded once);
        * ``interpretation``: Krippendorff's .667/.800 for alpha, Landis & Koch's bands
          for kappa-type coefficients, or ``"undefined: <why>"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.agreement import reliability_table
    >>> codings = pd.DataFrame({
    ...     "unit_id": ["u1", "u1", "u2", "u2", "u3", "u3", "u3", "u4"],
    ...     "coder": ["ann", "ben", "ann", "ben", "ann", "ben", "ben", "ann"],
    ...     "code": ["thanks", "thanks", "blame", "blame", "thanks", "thanks", "blame", "blame"]})
    >>> table = reliability_table(codings, ci=False)
    >>> table[["code", "measure", "value", "n_units", "n_pairable"]].round(3)
            code measure  value  n_units  n_pairable
    0  (overall)   alpha  0.643        4           3
    1      blame   alpha  0.444        4           3
    2     thanks   alpha  1.000        4           3

    Per thread, with the thread of each unit joined onto the codings:

    >>> codings["thread_id"] = codings["unit_id"].map({"u1": "t1", "u2": "t1", "u3": "t2", "u4": "t2"})
    >>> per_thread = reliability_table(codings, ci=False, by="thread_id")
    >>> per_thread[["thread_id", "code", "value", "n_units"]].round(3)
      thread_id       code  value  n_units
    0        t1  (overall)    1.0        2
    1        t1      blame    1.0        2
    2        t1     thanks    1.0        2
    3        t2  (overall)    0.0        2
    4        t2      blame    0.0        2
    5        t2     thanks    NaN        2
    """
    ms = [_measure(m) for m in measures]
    if not ms:
        raise ValueError(f"measures must name at least one of {sorted(MEASURES)}")
    if not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}")
    if ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {list(CI_METHODS)}; got {ci_method!r}")
    _check_weights(weights)
    options: dict[str, Any] = {
        "ms": ms,
        "ci": ci,
        "n_boot": int(n_boot),
        "seed": seed,
        "exclusive_groups": exclusive_groups,
        "ci_method": ci_method,
        "weights": weights,
    }
    if by is None:
        return _frame(_table_rows(codings, codes, coders, units, **options))
    return _by_group(codings, by, codes, coders, units, options)


def _check_weights(weights: Any) -> None:
    if weights is None:
        return
    if not isinstance(weights, str):
        raise TypeError(
            f"weights of a report must name a scheme, one of {list(WEIGHTS)}; got a {type(weights).__name__}. "
            "A weight matrix fits one set of categories: pass it to the coefficient (e.g. cohen_kappa) instead"
        )
    if weights not in (*WEIGHTS, "unweighted"):
        raise ValueError(f"unknown weights {weights!r}; valid: {list(WEIGHTS)}")


def _frame(rows: list[dict[str, Any]], by: str | None = None) -> pd.DataFrame:
    columns = REPORT_COLUMNS if by is None else [by, *REPORT_COLUMNS]
    out = pd.DataFrame.from_records(rows, columns=columns)
    return out.astype({"n_units": "int64", "n_coders": "int64", "n_pairable": "int64", "value": "float64",
                       "ci_low": "float64", "ci_high": "float64"})


def _table_rows(
    codings: pd.DataFrame,
    codes: Iterable | None,
    coders: Iterable[str] | None,
    units: Iterable[str] | None,
    *,
    ms: Sequence[_Measure],
    ci: bool,
    n_boot: int,
    seed: int | None,
    exclusive_groups: Mapping[str, Sequence] | None,
    ci_method: str,
    weights: str | None,
    seed_prefix: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    cd = _prepare_codings(codings, codes, coders, units)
    common: dict[str, Any] = {"ci": ci, "n_boot": n_boot, "seed": seed, "ci_method": ci_method,
                              "seed_prefix": seed_prefix, "weights": weights}
    rows: list[dict[str, Any]] = []
    unsupported = {
        m.name: f"{m.name} is not defined for multi-label data (sets of codes); see the per-code rows"
        for m in ms
        if m.name != "alpha"
    }
    rows += _report_rows(
        OVERALL,
        _sets(cd),
        ms,
        alpha_options={"distance": "masi"},
        note="multi-label sets, MASI distance",
        unsupported=unsupported,
        **common,
    )
    for name, group_codes in (exclusive_groups or {}).items():
        if isinstance(group_codes, str):
            raise TypeError(f"exclusive_groups[{name!r}] must be a list of codes, not a string")
        coded, conflicts = _group(cd, name, list(group_codes), codings)
        note = f"{conflicts} coding(s) with two codes of this exclusive group left out" if conflicts else None
        rows += _report_rows(f"group:{name}", coded, ms, alpha_options={"level": "nominal"}, note=note, **common)
    for code in cd.codes:
        rows += _report_rows(str(code), _binary(cd, code), ms, alpha_options={"level": "nominal"}, **common)
    return rows


def _by_group(
    codings: pd.DataFrame,
    by: str,
    codes: Iterable | None,
    coders: Iterable[str] | None,
    units: Iterable[str] | None,
    options: dict[str, Any],
) -> pd.DataFrame:
    """The report once per group of units (e.g. per thread), the group in the first column."""
    if not isinstance(codings, pd.DataFrame):
        raise TypeError(f"codings must be a DataFrame with unit_id, coder, code columns; got {type(codings).__name__}")
    if by not in codings.columns:
        raise ValueError(
            f"by={by!r} is not a column of codings; its columns are {list(codings.columns)} "
            "(join the grouping, e.g. thread_id, onto the codings first)"
        )
    if by in REPORT_COLUMNS:
        raise ValueError(f"by={by!r} would clash with the report's own column of that name; rename it")
    whole = _prepare_codings(codings, codes, coders, units)  # the codes every group reports
    kept = codings[codings["unit_id"].isin(list(whole.units))]
    owner = kept[["unit_id", by]].drop_duplicates()
    lost = owner[owner[by].isna()]
    if len(lost):
        raise ValueError(
            f"unit {lost['unit_id'].iloc[0]!r} has no {by}; every coded unit needs one to be grouped by it "
            f"({lost['unit_id'].nunique()} unit(s) without)"
        )
    twice = owner[owner["unit_id"].duplicated(keep=False)]
    if len(twice):
        first = twice["unit_id"].iloc[0]
        both = sorted(map(str, twice.loc[twice["unit_id"] == first, by]))
        raise ValueError(f"unit {first!r} has more than one {by} ({', '.join(both)}); a unit belongs to one group")
    rows: list[dict[str, Any]] = []
    for group in sorted(pd.unique(owner[by]), key=_data._sort_key):
        members = owner.loc[owner[by] == group, "unit_id"].tolist()
        part = kept[kept["unit_id"].isin(members)]
        for row in _table_rows(part, whole.codes, coders, None, seed_prefix=(str(group),), **options):
            rows.append({by: group, **row})
    return _frame(rows, by)


def per_code_agreement(
    data: Any,
    *,
    measures: Sequence[str | Callable] = ("alpha",),
    codes: Iterable | None = None,
    ci: bool = False,
    n_boot: int = 1000,
    seed: int | None = 0,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    """Per-code agreement for a multi-label units x coders table (cells are sets of codes).

    Each code becomes present/absent on every unit a coder coded (a missing cell stays
    missing); the result is :func:`reliability_table` on those codings, including the
    ``"(overall)"`` MASI row.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table of sets (an empty set = coded, no code), or a long
        DataFrame whose ``value`` column holds sets.
    measures : sequence of str or functions
        Names from :data:`MEASURES`.
    codes : iterable, optional
        The codes to report (default: every code that occurs).
    ci : bool
        Add 95% bootstrap intervals.
    n_boot : int
        Resamples per interval.
    seed : int or None
        Seed of the bootstrap.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`reliability_table`: ``code``, ``measure``, ``value``,
        ``ci_low``, ``ci_high``, ``n_units``, ``n_coders``, ``n_pairable``,
        ``interpretation``.

    Examples
    --------
    >>> from workbench.agreement import per_code_agreement
    >>> data = [[{"a"}, {"a"}], [{"a", "b"}, {"a"}], [{"b"}, {"b"}], [set(), {"b"}]]
    >>> per_code_agreement(data)[["code", "value"]].round(3)
            code  value
    0  (overall)  0.417
    1          a  1.000
    2          b  0.125
    """
    arr, unit_labels, coder_labels = _data.to_table(data, unit, coder, value)
    records = []
    for i in range(arr.shape[0]):
        for j in range(arr.shape[1]):
            cell = arr[i, j]
            if isinstance(cell, set | frozenset):
                if cell:
                    records += [(unit_labels[i], coder_labels[j], c) for c in cell]
                else:
                    records.append((unit_labels[i], coder_labels[j], None))
            elif not _data.is_missing(cell):
                raise TypeError(f"per_code_agreement needs set-valued cells (multi-label codes); got {cell!r}")
    codings = pd.DataFrame.from_records(records, columns=["unit_id", "coder", "code"])
    return reliability_table(codings, codes=codes, measures=measures, ci=ci, n_boot=n_boot, seed=seed)
