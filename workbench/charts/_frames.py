"""Helpers shared by the chart modules: frame checks, id joins, code order and colours, chart text.

Private to :mod:`workbench.charts`; nothing here draws a chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from ..codebook import Codebook

__all__ = [
    "NOT_CODED",
    "PARENT_MISSING",
    "UNKNOWN",
    "PALETTE",
    "GREY",
    "CodeColors",
    "esc",
    "esc_series",
    "check_frame",
    "choice",
    "ids",
    "lookup",
    "select_codings",
    "units_frame",
    "attach",
    "code_order",
    "colors",
    "code_color",
    "depth_labels",
    "check_int",
    "rounded",
]

#: The category shown for a unit (or a parent) that has no code from the coder(s) charted.
NOT_CODED = "(not coded)"
PARENT_MISSING = "(parent missing)"
UNKNOWN = "unknown"

# Vega's tableau10 without its grey, then more distinct hues; grey is kept for NOT_CODED.
PALETTE = (
    "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2",
    "#ff9da6", "#9d755d", "#17becf", "#bcbd22", "#8c564b", "#e377c2", "#1f77b4",
)
GREY = "#c7c7c7"

#: A code colouring: a codebook (its order and colours), a mapping of code to colour, or None.
CodeColors = Codebook | Mapping[str, str] | None


# --- untrusted text -------------------------------------------------------------------------
def esc(value: Any) -> str:
    """Untrusted text as a chart shows it: the text itself, as a string, never HTML-escaped.

    Vega draws labels, titles and legends as SVG text nodes (markup in them is shown, not
    parsed) and vega-tooltip escapes what it puts into its tooltip, so text escaped here
    would be escaped twice (``&amp;lt;img …`` on the screen). Where a chart's
    specification goes into an HTML page, it goes as JSON through
    :func:`workbench.escape.json_for_script` (:func:`workbench.charts.save`,
    :func:`workbench.report.publish`). This is the one place chart text is prepared.

    Examples
    --------
    >>> esc("<b>We're</b> & co")
    "<b>We're</b> & co"
    >>> esc(7)
    '7'
    """
    return str(value)


def esc_series(series: pd.Series) -> pd.Series:
    """:func:`esc` of every value of ``series`` (strings, each distinct value converted once)."""
    uniq = pd.unique(series.astype(object))
    mapping = {u: esc(u) for u in uniq}
    return series.astype(object).map(mapping)


def check_frame(df: Any, name: str, required: Iterable[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, not {type(df).__name__}")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(
            f"{name} is missing column(s) {missing}; it needs {list(required)} "
            f"(it has {list(df.columns)})"
        )


def choice(value: Any, name: str, choices: Sequence[Any]) -> None:
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not valid; choose one of {list(choices)}")


def ids(*columns: pd.Series) -> list[np.ndarray]:
    """Integer codes for id columns, shared across them (equal ids, equal codes; -1 for missing).

    Joins and membership tests run on these integers: on a million string ids they are
    an order of magnitude faster than ``merge`` or ``isin`` on the strings.
    """
    strings = [pd.Series(c).astype("str") for c in columns]
    joint, _ = pd.factorize(pd.concat(strings, ignore_index=True))
    out, start = [], 0
    for c in columns:
        out.append(joint[start : start + len(c)].astype(np.int64))
        start += len(c)
    return out


def lookup(keys: pd.Series, index: pd.Series) -> np.ndarray:
    """The row position of each key in ``index`` (unique values); -1 where it is absent."""
    k, i = ids(keys, index)
    size = int(max(k.max(initial=-1), i.max(initial=-1))) + 2  # the last slot stays -1
    pos = np.full(size, -1, dtype=np.int64)
    have = i >= 0
    pos[i[have]] = np.flatnonzero(have)
    return pos[k]


def select_codings(codings: pd.DataFrame, coder: str | Sequence[str] | None, extra: Sequence[str] = ()) -> pd.DataFrame:
    """Codings of the chosen coders, one row per (unit, coder, code), ids as strings.

    Adds ``uid`` (an integer per unit) and ``obs`` (an integer per coded unit: unit x coder).
    """
    check_frame(codings, "codings", ("unit_id", "coder", "code", *extra))
    df = codings[["unit_id", "coder", "code", *extra]]
    df = df[df["code"].notna() & df["unit_id"].notna()]
    df = df.assign(unit_id=df["unit_id"].astype(str), coder=df["coder"].astype(str), code=df["code"].astype(str))
    if coder is not None:
        names = [coder] if isinstance(coder, str) else [str(c) for c in coder]
        present = set(pd.unique(df["coder"]))
        unknown = [c for c in names if c not in present]
        if unknown:
            raise ValueError(
                f"coder {unknown} has no codings here; coders with codings: {sorted(present)}"
            )
        df = df[df["coder"].isin(names)]
    u, _ = pd.factorize(df["unit_id"])
    c, coders = pd.factorize(df["coder"])
    k, codes = pd.factorize(df["code"])
    obs = u.astype(np.int64) * max(len(coders), 1) + c
    key = obs * max(len(codes), 1) + k
    keep = ~pd.Series(key).duplicated().to_numpy()
    df = df[keep].reset_index(drop=True)
    return df.assign(uid=u[keep].astype(np.int64), obs=obs[keep])


def units_frame(units: Any, required: Sequence[str]) -> pd.DataFrame:
    check_frame(units, "units", ("unit_id", *required))
    df = units[["unit_id", *[c for c in required if c != "unit_id"]]].copy()
    df["unit_id"] = df["unit_id"].astype(str)
    if "parent_id" in df:
        parent = df["parent_id"]
        df["parent_id"] = parent.where(parent.notna()).astype("str")
    return df[~df["unit_id"].duplicated()].reset_index(drop=True)


def attach(df: pd.DataFrame, units: pd.DataFrame, cols: Sequence[str], *, how: str = "inner") -> pd.DataFrame:
    """Columns of each coding's unit (``how="inner"`` drops codings of units not in ``units``)."""
    pos = lookup(df["unit_id"], units["unit_id"])
    if how == "inner":
        df, pos = df[pos >= 0].reset_index(drop=True), pos[pos >= 0]
    else:
        df = df.copy()
    for col in cols:
        df[col] = pd.api.extensions.take(units[col].array, pos, allow_fill=True)
    return df


def code_order(codes: Iterable[str], codebook: CodeColors) -> list[str]:
    """Codebook order first (when given), then other codes alphabetically."""
    uniq = pd.unique(codes) if isinstance(codes, pd.Series) else pd.unique(pd.Series(list(codes), dtype=object))
    present = [str(c) for c in uniq if c is not None and c == c]
    first: list[str] = []
    if isinstance(codebook, Codebook):
        first = list(codebook.names)
    elif isinstance(codebook, Mapping):
        first = [str(k) for k in codebook]
    elif codebook is not None:
        raise TypeError(f"codebook must be a Codebook, a mapping of code to colour, or None; not {type(codebook).__name__}")
    specials = [c for c in present if c in (NOT_CODED, PARENT_MISSING)]
    rest = sorted(c for c in present if c not in first and c not in specials)
    return first + rest + specials


def colors(order: Sequence[str], codebook: CodeColors) -> list[str]:
    given: dict[str, str] = {}
    if isinstance(codebook, Codebook):
        given = {c.name: c.color for c in codebook.codes if c.color}
    elif isinstance(codebook, Mapping):
        given = {str(k): str(v) for k, v in codebook.items() if v}
    out, i = [], 0
    for code in order:
        if code in (NOT_CODED, PARENT_MISSING):
            out.append(GREY)
        elif code in given:
            out.append(given[code])
        else:
            out.append(PALETTE[i % len(PALETTE)])
            i += 1
    return out


def code_color(field: str, order: Sequence[str], codebook: CodeColors, title: str = "code", legend: bool = True) -> alt.Color:
    return alt.Color(
        f"{field}:N",
        title=title,
        sort=[esc(c) for c in order],
        scale=alt.Scale(domain=[esc(c) for c in order], range=colors(order, codebook)),
        legend=alt.Legend() if legend else None,
    )


def depth_labels(depth: pd.Series, max_depth: int) -> tuple[pd.Series, list[str]]:
    d = pd.to_numeric(depth, errors="coerce").fillna(0).astype(int).clip(lower=0, upper=max_depth)
    labels = [str(i) for i in range(max_depth)] + [f"{max_depth}+"]
    return d.map(dict(enumerate(labels))), labels


def check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return int(value)


def rounded(df: pd.DataFrame, cols: Sequence[str] = ("share",)) -> pd.DataFrame:
    for c in cols:
        if c in df:
            df[c] = df[c].astype(float).round(4)
    return df

