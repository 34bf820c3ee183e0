"""Parsing agreement data into a coded table (private).

Everything here works on a *coded table*: an ``(n_units, n_coders)`` integer array in
which ``-1`` marks a missing value and ``0 .. K-1`` index an ordered tuple of categories.
The public functions parse their input once into a :class:`Coded` table and then call
the ``_…`` kernels below, which return ``(value, reason)``: ``reason`` is ``None`` when
the coefficient is defined and a sentence saying why it is not otherwise.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MISSING",
    "Coded",
    "Tabulated",
    "category_label",
    "encode",
    "encode_array",
    "is_missing",
    "require_coders",
    "to_table",
]

MISSING = -1


# --- parsing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Coded:
    """A units x coders table encoded as category indices."""

    codes: np.ndarray  # (n_units, n_coders) int64, -1 = missing
    categories: tuple  # category values, in order
    units: pd.Index
    coders: pd.Index
    is_set: bool = False
    form: str = "raw"  # "raw", "contingency" (two coders' table) or "counts" (units x categories)

    @property
    def k(self) -> int:
        return len(self.categories)

    def take_coders(self, idx: Sequence[int]) -> Coded:
        return Coded(self.codes[:, list(idx)], self.categories, self.units, self.coders[list(idx)], self.is_set, self.form)


@dataclass(frozen=True)
class Tabulated:
    """Ratings given as counts: a two-coder contingency table, or units x categories counts.

    Made by :func:`workbench.agreement.from_contingency` and
    :func:`workbench.agreement.from_counts`; every coefficient accepts it as ``data``.
    """

    form: str  # "contingency" or "counts"
    counts: np.ndarray  # int64: (q x q) for a contingency table, (n_units x q) for counts
    categories: tuple
    units: pd.Index  # counts: the units (rows); contingency: unused
    coders: tuple  # contingency: the row and column coders; counts: ()

    @property
    def n_units(self) -> int:
        """Units behind the table: its total (contingency) or its rows with a rating (counts)."""
        if self.form == "contingency":
            return int(self.counts.sum())
        return int((self.counts.sum(axis=1) > 0).sum())

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.counts.shape))
        return f"Tabulated({self.form}, {shape}, {self.n_units} units, categories={list(self.categories)[:6]})"


def require_coders(coded: Coded, what: str) -> None:
    """Refuse a measure that needs to know which coder gave which value on counts that do not say."""
    if coded.form == "counts":
        raise ValueError(
            f"{what} needs to know which coder gave which value; counts of coders per category "
            "(from_counts) do not say. Use fleiss_kappa, gwet_ac1/ac2, brennan_prediger, percent_agreement "
            "or krippendorff_alpha, or give the ratings as a units x coders table"
        )


def _expand(tab: Tabulated) -> Coded:
    """The ratings a table of counts stands for, as a coded table (values are category indices)."""
    q = len(tab.categories)
    if tab.form == "contingency":
        cells = np.repeat(np.arange(q * q), tab.counts.reshape(-1))
        codes = np.stack([cells // q, cells % q], axis=1).astype(np.int64)
        coders = pd.Index(list(tab.coders))
        return Coded(codes, tab.categories, pd.RangeIndex(len(codes)), coders, False, "contingency")
    r = tab.counts.sum(axis=1)
    width = int(r.max()) if len(r) else 0
    codes = np.full((len(r), width), MISSING, dtype=np.int64)
    rows = np.repeat(np.arange(len(r)), r)
    values = np.repeat(np.tile(np.arange(q), len(r)), tab.counts.reshape(-1))
    starts = np.concatenate([[0], np.cumsum(r)[:-1]]) if len(r) else np.zeros(0, dtype=np.int64)
    slots = np.arange(len(rows)) - np.repeat(starts, r)
    codes[rows, slots] = values
    return Coded(codes, tab.categories, tab.units, pd.RangeIndex(width), False, "counts")


def is_missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, float | np.floating):
        return bool(np.isnan(x))
    return False


def to_table(data: Any, unit: str | None, coder: str | None, value: str | None) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """Turn any accepted input into a 2-D array (units x coders) plus unit and coder labels."""
    if isinstance(data, Tabulated):
        coded = encode(data, unit, coder, value)
        cats = np.empty(len(coded.categories) + 1, dtype=object)
        cats[:-1] = list(coded.categories)
        cats[-1] = None
        return cats[coded.codes], coded.units, coded.coders
    keys = {"unit": unit, "coder": coder, "value": value}
    given = [k for k, v in keys.items() if v is not None]
    if given:
        if len(given) != 3:
            missing = ", ".join(f"{k}=" for k in keys if keys[k] is None)
            raise ValueError(f"a long table needs unit=, coder= and value= together; also give {missing}")
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"unit=/coder=/value= name columns of a long DataFrame; got {type(data).__name__}")
        absent = [c for c in (unit, coder, value) if c not in data.columns]
        if absent:
            raise ValueError(f"column(s) {absent} not in the DataFrame; its columns are {list(data.columns)}")
        return _pivot_long(data, str(unit), str(coder), str(value))
    if isinstance(data, pd.DataFrame):
        return data.to_numpy(), data.index, pd.Index(data.columns)
    if isinstance(data, pd.Series):
        raise TypeError("a Series has one coder only; pass a units x coders DataFrame or a long DataFrame")
    if isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, list | tuple):
        if len(data) == 0:
            arr = np.empty((0, 0), dtype=object)
        else:
            lengths = set()
            for row in data:
                if not isinstance(row, list | tuple | np.ndarray):
                    raise TypeError(
                        "a list must hold one row per unit (a list of each coder's value); "
                        f"got an item of type {type(row).__name__}"
                    )
                lengths.add(len(row))
            if len(lengths) > 1:
                raise ValueError(f"rows have different lengths {sorted(lengths)}; every unit needs one cell per coder")
            arr = np.empty((len(data), lengths.pop()), dtype=object)
            for i, row in enumerate(data):
                for j, cell in enumerate(row):
                    arr[i, j] = cell
    else:
        raise TypeError(
            "data must be a units x coders table (DataFrame, numpy array or list of lists) "
            f"or a long DataFrame with unit=, coder=, value=; got {type(data).__name__}"
        )
    if arr.ndim != 2:
        raise ValueError(f"data must be 2-D (units x coders); got an array with {arr.ndim} dimension(s)")
    return arr, pd.RangeIndex(arr.shape[0]), pd.RangeIndex(arr.shape[1])


def _pivot_long(df: pd.DataFrame, unit: str, coder: str, value: str) -> tuple[np.ndarray, pd.Index, pd.Index]:
    sub = df[[unit, coder, value]]
    sub = sub[sub[unit].notna() & sub[coder].notna()]
    dup = sub.duplicated([unit, coder], keep=False)
    if dup.any():
        first = sub[dup].iloc[0]
        raise ValueError(
            f"unit {first[unit]!r} has more than one row for coder {first[coder]!r}; a long table needs one "
            "value per unit and coder (put several codes in one set, or use reliability_table for codings)"
        )
    u_idx, units = pd.factorize(sub[unit], sort=False)
    c_idx, coders = pd.factorize(sub[coder], sort=False)
    vals = sub[value].to_numpy()
    if vals.dtype.kind in "fiub":
        out = np.full((len(units), len(coders)), np.nan)
    else:
        out = np.full((len(units), len(coders)), None, dtype=object)
    out[u_idx, c_idx] = vals
    return out, pd.Index(units), pd.Index(coders)


def _sort_key(x: Any) -> tuple:
    if isinstance(x, numbers.Number):
        return (0, float(x), "")  # type: ignore[arg-type]  # every Number but complex converts
    return (1, 0.0, f"{type(x).__name__}:{x}")


def _set_key(s: frozenset) -> tuple:
    return (len(s), sorted(map(str, s)))


def encode(data: Any, unit: str | None, coder: str | None, value: str | None, categories: Sequence | None = None) -> Coded:
    """Parse and encode ``data`` (any accepted form) into a :class:`Coded` table."""
    if isinstance(data, Tabulated):
        if unit is not None or coder is not None or value is not None:
            raise TypeError(f"unit=, coder= and value= name columns of a long DataFrame; not of a {data.form} table")
        if categories is not None and list(categories) != list(data.categories):
            raise ValueError(
                f"the {data.form} table's categories are {list(data.categories)}; give other categories to "
                f"from_{data.form}(..., categories=), not to the coefficient"
            )
        return _expand(data)
    arr, units, coders = to_table(data, unit, coder, value)
    return encode_array(arr, units, coders, categories)


def encode_array(arr: np.ndarray, units: pd.Index, coders: pd.Index, categories: Sequence | None = None) -> Coded:
    n, c = arr.shape
    flat = arr.reshape(-1)
    is_set = False
    if flat.dtype.kind == "O" and flat.size:
        set_mask = np.fromiter((isinstance(x, set | frozenset) for x in flat), bool, flat.size)
        if set_mask.any():
            is_set = True
            missing = np.fromiter((is_missing(x) for x in flat), bool, flat.size)
            bad = ~set_mask & ~missing
            if bad.any():
                raise TypeError(
                    f"cells mix sets and single values (e.g. {flat[bad][0]!r}); for multi-label codes every "
                    "coded cell must be a set (an empty set for 'no code'), missing cells None or NaN"
                )
            flat = flat.copy()
            flat[set_mask] = [frozenset(x) for x in flat[set_mask]]
            flat[missing] = None
    if flat.dtype.kind in "fiub":
        codes, uniques = pd.factorize(flat, sort=True)
        uniques = list(np.asarray(uniques).tolist())
    elif flat.dtype.kind in "mM":
        codes, uniques = pd.factorize(flat, sort=True)
        uniques = list(uniques)
    else:
        flat = flat.astype(object)
        codes, uniques = pd.factorize(flat, sort=False, use_na_sentinel=True)
        uniques = list(uniques)
        if is_set:
            order = sorted(range(len(uniques)), key=lambda i: _set_key(uniques[i]))
        else:
            try:
                order = sorted(range(len(uniques)), key=lambda i: uniques[i])
            except TypeError:
                order = sorted(range(len(uniques)), key=lambda i: _sort_key(uniques[i]))
        remap = np.empty(len(uniques), dtype=np.int64)
        remap[order] = np.arange(len(uniques))
        uniques = [uniques[i] for i in order]
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], MISSING) if len(uniques) else codes
    codes = np.asarray(codes, dtype=np.int64)
    if categories is not None:
        if is_set:
            raise TypeError("categories= orders single values; it does not apply to set-valued (multi-label) cells")
        cats = list(categories)
        if len(set(map(_hashable, cats))) != len(cats):
            raise ValueError(f"categories must be distinct; got {cats}")
        position = {_hashable(v): i for i, v in enumerate(cats)}
        unknown = [u for u in uniques if _hashable(u) not in position]
        if unknown:
            raise ValueError(f"value(s) {unknown[:5]} are not among categories={cats}")
        remap = np.array([position[_hashable(u)] for u in uniques], dtype=np.int64)
        if len(uniques):
            codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], MISSING)
        uniques = cats
    return Coded(codes.reshape(n, c), tuple(uniques), pd.Index(units), pd.Index(coders), is_set)


def _hashable(v: Any) -> Hashable:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def category_label(value: Any) -> Any:
    """A category as tables show it: a set of codes as ``"a, b"`` (sorted), ``""`` when empty.

    Examples
    --------
    >>> category_label(frozenset({"b", "a"})), category_label(frozenset()), category_label(3)
    ('a, b', '', 3)
    """
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(map(str, value)))
    return value
