"""Charts of coded conversation threads and of coder agreement.

Every function takes plain DataFrames, aggregates them in pandas, and returns an
Altair chart; nothing is displayed. Charts with one mark are ``alt.Chart``; charts
that need reference lines, labels or edges are ``alt.LayerChart`` (``a + b``), the
``by=`` view of :func:`code_frequencies` is an ``alt.FacetChart`` and
:func:`code_explorer` (linked selection) an ``alt.HConcatChart``. All of them have
``to_dict()``, ``save()`` and display in Jupyter; :func:`save` writes PNG, SVG, PDF,
HTML or JSON offline through vl-convert.

Inputs
------
codings
    The long table of :meth:`workbench.Project.codings`: at least ``unit_id``,
    ``coder`` and ``code`` (``at`` for ``codes_over_time(when="coded")``).
units
    A units table (:mod:`workbench.corpus`); each chart says which columns it reads.
report / reports / matrix
    Agreement results: a tidy report with ``code, value, ci_low, ci_high`` (and
    optionally ``measure, n_units, n_coders, n_pairable, interpretation, round``),
    or a square coincidence matrix.

Several coders
--------------
The rule is the same in every chart. ``coder=None`` (the default) keeps every
coder's codings and counts them separately: two coders who both code a unit
``defensive`` add two codings and one unit. The unit of counting is a *coded
unit*: one unit as coded by one coder, so a share is "of the units each coder
coded, the share given this code". Codes on several spans of one unit count once
for that unit and coder. Relations between units (a reply and what it replies to)
are formed within one coder: a reply is paired with the same coder's codes of its
parent, and a parent that coder did not code shows as ``"(not coded)"``. Pass
``coder="alice"`` or a list to chart some coders only, or the name under which
adjudicated (gold) codes are stored to chart the consensus.

Untrusted text
--------------
Every string that enters a chart's data or title (post text, authors, thread ids,
codes, coder names) is passed through :func:`html.escape` first (``&``, ``<`` and
``>``; quotes stay readable), so a ``<script>`` in a post can never reach the HTML
a chart is published in.

Size
----
Charts hold aggregates, never raw codings; groups beyond ``top``, depths beyond
``max_depth``, thread trees beyond ``max_units`` and long texts are capped, so a
chart built from a million codings stays far below Altair's 5,000-row limit and
under 200 KB of spec.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from .codebook import Codebook

__all__ = [
    "NOT_CODED",
    "code_frequencies",
    "cooccurrence",
    "reply_transitions",
    "reply_flow",
    "codes_by_depth",
    "codes_over_time",
    "thread_tree",
    "code_explorer",
    "coder_code_rates",
    "agreement_by_code",
    "agreement_trend",
    "coincidence_heatmap",
    "save",
]

#: The category shown for a unit (or a parent) that has no code from the coder(s) charted.
NOT_CODED = "(not coded)"
_PARENT_MISSING = "(parent missing)"
_UNKNOWN = "unknown"

# Vega's tableau10 without its grey, then more distinct hues; grey is kept for NOT_CODED.
_PALETTE = (
    "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2",
    "#ff9da6", "#9d755d", "#17becf", "#bcbd22", "#8c564b", "#e377c2", "#1f77b4",
)
_GREY = "#c7c7c7"
_BY = {
    "thread": "thread_id",
    "thread_id": "thread_id",
    "source": "source",
    "platform": "source",
    "author_role": "author_role",
    "role": "author_role",
    "coder": "coder",
}
_FREQS = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}
_SAVE_FORMATS = (".png", ".svg", ".pdf", ".html", ".json")

CodeColors = Codebook | Mapping[str, str] | None


# --- small helpers --------------------------------------------------------------------------
def _esc(value: Any) -> str:
    """Untrusted text made safe for HTML: ``&``, ``<`` and ``>`` escaped."""
    return html.escape(str(value), quote=False)


def _esc_series(series: pd.Series) -> pd.Series:
    uniq = pd.unique(series.astype(object))
    mapping = {u: _esc(u) for u in uniq}
    return series.astype(object).map(mapping)


def _check_frame(df: Any, name: str, required: Iterable[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, not {type(df).__name__}")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(
            f"{name} is missing column(s) {missing}; it needs {list(required)} "
            f"(it has {list(df.columns)})"
        )


def _choice(value: Any, name: str, choices: Sequence[Any]) -> None:
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not valid; choose one of {list(choices)}")


def _ids(*columns: pd.Series) -> list[np.ndarray]:
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


def _lookup(keys: pd.Series, index: pd.Series) -> np.ndarray:
    """The row position of each key in ``index`` (unique values); -1 where it is absent."""
    k, i = _ids(keys, index)
    size = int(max(k.max(initial=-1), i.max(initial=-1))) + 2  # the last slot stays -1
    pos = np.full(size, -1, dtype=np.int64)
    have = i >= 0
    pos[i[have]] = np.flatnonzero(have)
    return pos[k]


def _select(codings: pd.DataFrame, coder: str | Sequence[str] | None, extra: Sequence[str] = ()) -> pd.DataFrame:
    """Codings of the chosen coders, one row per (unit, coder, code), ids as strings.

    Adds ``uid`` (an integer per unit) and ``obs`` (an integer per coded unit: unit x coder).
    """
    _check_frame(codings, "codings", ("unit_id", "coder", "code", *extra))
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


def _units(units: Any, required: Sequence[str]) -> pd.DataFrame:
    _check_frame(units, "units", ("unit_id", *required))
    df = units[["unit_id", *[c for c in required if c != "unit_id"]]].copy()
    df["unit_id"] = df["unit_id"].astype(str)
    if "parent_id" in df:
        parent = df["parent_id"]
        df["parent_id"] = parent.where(parent.notna()).astype("str")
    return df[~df["unit_id"].duplicated()].reset_index(drop=True)


def _attach(df: pd.DataFrame, units: pd.DataFrame, cols: Sequence[str], *, how: str = "inner") -> pd.DataFrame:
    """Columns of each coding's unit (``how="inner"`` drops codings of units not in ``units``)."""
    pos = _lookup(df["unit_id"], units["unit_id"])
    if how == "inner":
        df, pos = df[pos >= 0].reset_index(drop=True), pos[pos >= 0]
    else:
        df = df.copy()
    for col in cols:
        df[col] = pd.api.extensions.take(units[col].array, pos, allow_fill=True)
    return df


def _code_order(codes: Iterable[str], codebook: CodeColors) -> list[str]:
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
    specials = [c for c in present if c in (NOT_CODED, _PARENT_MISSING)]
    rest = sorted(c for c in present if c not in first and c not in specials)
    return first + rest + specials


def _colors(order: Sequence[str], codebook: CodeColors) -> list[str]:
    given: dict[str, str] = {}
    if isinstance(codebook, Codebook):
        given = {c.name: c.color for c in codebook.codes if c.color}
    elif isinstance(codebook, Mapping):
        given = {str(k): str(v) for k, v in codebook.items() if v}
    out, i = [], 0
    for code in order:
        if code in (NOT_CODED, _PARENT_MISSING):
            out.append(_GREY)
        elif code in given:
            out.append(given[code])
        else:
            out.append(_PALETTE[i % len(_PALETTE)])
            i += 1
    return out


def _code_color(field: str, order: Sequence[str], codebook: CodeColors, title: str = "code", legend: bool = True) -> alt.Color:
    return alt.Color(
        f"{field}:N",
        title=title,
        sort=[_esc(c) for c in order],
        scale=alt.Scale(domain=[_esc(c) for c in order], range=_colors(order, codebook)),
        legend=alt.Legend() if legend else None,
    )


def _depth_labels(depth: pd.Series, max_depth: int) -> tuple[pd.Series, list[str]]:
    d = pd.to_numeric(depth, errors="coerce").fillna(0).astype(int).clip(lower=0, upper=max_depth)
    labels = [str(i) for i in range(max_depth)] + [f"{max_depth}+"]
    return d.map(dict(enumerate(labels))), labels


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return int(value)


def _rounded(df: pd.DataFrame, cols: Sequence[str] = ("share",)) -> pd.DataFrame:
    for c in cols:
        if c in df:
            df[c] = df[c].astype(float).round(4)
    return df


# --- code frequencies -----------------------------------------------------------------------
def code_frequencies(
    codings: pd.DataFrame,
    units: pd.DataFrame | None = None,
    by: str | None = None,
    *,
    coder: str | Sequence[str] | None = None,
    show: str | None = None,
    top: int = 20,
    codebook: CodeColors = None,
) -> alt.LayerChart | alt.FacetChart:
    """How often each code was applied: overall, or by thread, source, author role or coder.

    Each bar is labelled with the number of distinct units behind it; the tooltip gives
    the number of codings, the units and the share of coded units (see the module notes
    on several coders).

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code``.
    units : DataFrame, optional
        Needed for ``by`` in ``"thread"``, ``"source"`` (alias ``"platform"``) and
        ``"author_role"`` (alias ``"role"``): ``unit_id`` and that column.
    by : str, optional
        ``None`` (overall), ``"thread"``, ``"source"``, ``"platform"``, ``"author_role"``,
        ``"role"`` or ``"coder"``: one small panel per group.
    coder : str or list of str, optional
        Only these coders' codings; all coders when None.
    show : {"count", "share"}, optional
        The bar length: number of codings, or share of coded units in the group.
        Default: count overall, share when ``by`` is given (groups differ in size).
    top : int
        The largest ``top`` groups get a panel each; the rest are pooled as ``"(other)"``.
    codebook : Codebook or mapping of code to colour, optional
        Code order and colours.

    Returns
    -------
    alt.LayerChart (overall) or alt.FacetChart (``by``)
        Data columns: ``code, n_codings, n_units, n_coded, share`` (and ``group``,
        ``panel`` with ``by``).

    Examples
    --------
    >>> import pandas as pd
    >>> codings = pd.DataFrame({"unit_id": ["a", "b", "b", "c"], "coder": ["al"] * 4,
    ...                         "code": ["validating", "defensive", "validating", "defensive"]})
    >>> chart = code_frequencies(codings)
    >>> rows = next(iter(chart.to_dict()["datasets"].values()))
    >>> [(r["code"], r["n_codings"], r["share"]) for r in rows]
    [('defensive', 2, 0.6667), ('validating', 2, 0.6667)]
    """
    df = _select(codings, coder)
    if by is not None:
        _choice(by, "by", list(_BY) + [None])
    _choice(show, "show", ["count", "share", None])
    top = _check_int(top, "top", 1)
    show = show or ("share" if by else "count")
    order = _code_order(df["code"], codebook)
    group_col = _BY.get(by) if by else None
    if group_col and group_col != "coder":
        if units is None:
            raise ValueError(f"by={by!r} needs the units table: code_frequencies(codings, units, by={by!r})")
        df = _attach(df, _units(units, [group_col]), [group_col], how="left")
        df[group_col] = df[group_col].astype("str").fillna(_UNKNOWN)
    if group_col:
        df = df.rename(columns={group_col: "group"})
        df["group"] = df["group"].astype(str)
        size = df.groupby("group")["uid"].nunique().sort_values(ascending=False, kind="stable")
        keep = list(size.index[:top])
        if len(size) > top:
            other = f"(other {len(size) - top} {by}s)"
            df["group"] = df["group"].where(df["group"].isin(keep), other)
            keep.append(other)
        keys = ["group", "code"]
    else:
        df["group"] = "all"
        keep = ["all"]
        keys = ["group", "code"]
    agg = df.groupby(keys, sort=False).agg(n_codings=("obs", "size"), n_units=("uid", "nunique")).reset_index()
    per = df.groupby("group").agg(n_coded=("obs", "nunique"), group_units=("uid", "nunique")).reset_index()
    agg = agg.merge(per, on="group")
    agg["share"] = agg["n_codings"] / agg["n_coded"]
    agg = _rounded(agg)
    agg["code"] = pd.Categorical(agg["code"], categories=order)
    agg["group"] = pd.Categorical(agg["group"], categories=keep)
    agg = agg.sort_values(["group", "code"]).reset_index(drop=True)
    agg["code"] = _esc_series(agg["code"].astype(str))
    agg["panel"] = [f"{_esc(g)} ({n} units)" for g, n in zip(agg["group"].astype(str), agg["group_units"])]
    agg["group"] = _esc_series(agg["group"].astype(str))
    agg["label"] = [f"{n} unit" if n == 1 else f"{n} units" for n in agg["n_units"]]
    if not group_col:
        agg = agg.drop(columns=["group", "panel", "group_units"])

    x_field = "n_codings" if show == "count" else "share"
    x = alt.X(
        f"{x_field}:Q",
        title="codings" if show == "count" else "share of coded units",
        axis=alt.Axis(format="d", tickMinStep=1) if show == "count" else alt.Axis(format=".0%"),
    )
    y = alt.Y("code:N", title=None, sort=[_esc(c) for c in order])
    tooltip = [
        alt.Tooltip("code:N"),
        alt.Tooltip("n_codings:Q", title="codings"),
        alt.Tooltip("n_units:Q", title="units"),
        alt.Tooltip("share:Q", title="share of coded units", format=".1%"),
        alt.Tooltip("n_coded:Q", title="coded units (unit x coder)"),
    ]
    if group_col:
        tooltip.insert(0, alt.Tooltip("group:N", title=by))
    base = alt.Chart() if group_col else alt.Chart(agg)
    bars = base.mark_bar().encode(x=x, y=y, color=_code_color("code", order, codebook, legend=False), tooltip=tooltip)
    text = base.mark_text(align="left", dx=3, fontSize=10, color="#444").encode(x=x, y=y, text="label:N")
    layered = bars + text
    if not group_col:
        return layered.properties(title="Code frequencies", width=320)
    panels = list(dict.fromkeys(agg["panel"]))
    return alt.FacetChart(
        data=agg,
        spec=layered.properties(width=220),
        facet=alt.Facet("panel:N", title=None, sort=panels, header=alt.Header(labelFontWeight="bold")),
        columns=min(3, max(len(panels), 1)),
    ).properties(title=f"Code frequencies by {by}").resolve_scale(y="independent")


# --- co-occurrence --------------------------------------------------------------------------
def cooccurrence(
    codings: pd.DataFrame,
    *,
    coder: str | Sequence[str] | None = None,
    codebook: CodeColors = None,
) -> alt.LayerChart:
    """Which codes are applied to the same unit by the same coder.

    A cell (row ``a``, column ``b``) counts the coded units (unit x coder) that carry
    both codes; its colour is the share of the units coded ``a`` that are also coded
    ``b``. The diagonal (grey) is the number of units coded ``a``. Cells with no
    co-occurrence are left blank.

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code``.
    coder : str or list of str, optional
        Only these coders; all coders (each counted separately) when None.
    codebook : Codebook or mapping, optional
        Code order.

    Returns
    -------
    alt.LayerChart
        Data columns: ``code_a, code_b, n, n_a, share, same``.

    Examples
    --------
    >>> import pandas as pd
    >>> codings = pd.DataFrame({"unit_id": ["a", "a", "b"], "coder": ["al"] * 3,
    ...                         "code": ["validating", "gratitude", "validating"]})
    >>> rows = next(iter(cooccurrence(codings).to_dict()["datasets"].values()))
    >>> [(r["code_a"], r["code_b"], r["n"], r["share"]) for r in rows]
    [('gratitude', 'gratitude', 1, 1.0), ('gratitude', 'validating', 1, 1.0), ('validating', 'gratitude', 1, 0.5), ('validating', 'validating', 2, 1.0)]
    """
    df = _select(codings, coder)
    order = _code_order(df["code"], codebook)
    obs = df[["obs", "code"]]
    pairs = obs.merge(obs, on="obs", suffixes=("_a", "_b"))
    agg = pairs.groupby(["code_a", "code_b"]).size().rename("n").reset_index()
    n_a = obs.groupby("code").size()
    agg["n_a"] = agg["code_a"].map(n_a).astype(int)
    agg["share"] = agg["n"] / agg["n_a"]
    agg["same"] = agg["code_a"] == agg["code_b"]
    agg = _rounded(agg)
    for c in ("code_a", "code_b"):
        agg[c] = pd.Categorical(agg[c], categories=order)
    agg = agg.sort_values(["code_a", "code_b"]).reset_index(drop=True)
    for c in ("code_a", "code_b"):
        agg[c] = _esc_series(agg[c].astype(str))
    sort = [_esc(c) for c in order]
    base = alt.Chart(agg).encode(
        x=alt.X("code_b:N", title="also coded", sort=sort, axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("code_a:N", title="units coded", sort=sort),
        tooltip=[
            alt.Tooltip("code_a:N", title="units coded"),
            alt.Tooltip("code_b:N", title="also coded"),
            alt.Tooltip("n:Q", title="units (x coder) with both"),
            alt.Tooltip("n_a:Q", title="units (x coder) coded a"),
            alt.Tooltip("share:Q", title="share also coded b", format=".1%"),
        ],
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.when(alt.datum.same)
        .then(alt.value("#eeeeee"))
        .otherwise(alt.Color("share:Q", title="share also coded", scale=alt.Scale(scheme="blues", domain=[0, 1]), legend=alt.Legend(format=".0%")))
    )
    text = base.mark_text(fontSize=10).encode(
        text="n:Q",
        color=alt.when(alt.datum.share > 0.6, ~alt.datum.same).then(alt.value("white")).otherwise(alt.value("black")),
    )
    return (rect + text).properties(title="Codes on the same unit", width=alt.Step(36), height=alt.Step(26))


# --- replies and what they reply to ---------------------------------------------------------
def _parent_codes(replies: pd.DataFrame, coded: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Replies joined with the same coder's codes of their parent (column ``from``).

    One row per (reply coding, parent code); ``"(not coded)"`` where that coder did
    not code the parent, ``"(parent missing)"`` where the parent is not in ``units``.
    """
    p, u = _ids(replies["parent_id"], coded["unit_id"])
    rc, cc = _ids(replies["coder"], coded["coder"])
    n = int(max(rc.max(initial=0), cc.max(initial=0))) + 1
    left = replies.assign(_key=np.where(p >= 0, p * n + rc, -1))
    right = pd.DataFrame({"_key": u * n + cc, "from": coded["code"].array})
    out = left.merge(right, on="_key", how="left").drop(columns="_key")
    out["from"] = out["from"].astype("str").fillna(NOT_CODED)
    missing = _lookup(out["parent_id"], units["unit_id"]) < 0
    out.loc[missing, "from"] = _PARENT_MISSING
    return out


def reply_transitions(
    codings: pd.DataFrame,
    units: pd.DataFrame,
    by: str = "code",
    *,
    coder: str | Sequence[str] | None = None,
    codebook: CodeColors = None,
) -> alt.LayerChart:
    """The code of a reply given the code (or the author role) of what it replies to.

    Rows are what was replied to, columns the code of the reply. A cell holds the
    number of coded replies and is coloured by the conditional share: of the coded
    replies to a unit coded ``from``, the share coded ``to`` (rows can add up to more
    than 100% when replies carry several codes). Parents come from ``units``; a
    parent the same coder did not code is ``"(not coded)"``, a parent not in
    ``units`` ``"(parent missing)"``. Root posts (no parent) are not replies.

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code``.
    units : DataFrame
        ``unit_id, parent_id`` (and ``author_role`` for ``by="author_role"``).
    by : {"code", "author_role"}
        What the rows are: the parent's code (same coder) or its author's role.
    coder : str or list of str, optional
        Only these coders.
    codebook : Codebook or mapping, optional
        Code order.

    Returns
    -------
    alt.LayerChart
        Data columns: ``from, to, n, n_from, share``.

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "parent_id": [None, "p", "p"],
    ...                       "author_role": ["patient", "professional", "carer"]})
    >>> codings = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "coder": ["al"] * 3,
    ...                         "code": ["disclosure", "defensive", "validating"]})
    >>> rows = next(iter(reply_transitions(codings, units).to_dict()["datasets"].values()))
    >>> [(r["from"], r["to"], r["n"], r["share"]) for r in rows]
    [('disclosure', 'defensive', 1, 0.5), ('disclosure', 'validating', 1, 0.5)]
    """
    _choice(by, "by", ["code", "author_role"])
    df = _select(codings, coder)
    cols = ["author_role"] if by == "author_role" else []
    u = _units(units, ["parent_id", *cols])
    replies = _attach(df, u, ["parent_id"])
    replies = replies[replies["parent_id"].notna()].reset_index(drop=True)
    if by == "code":
        pairs = _parent_codes(replies, df, u)
    else:
        pos = _lookup(replies["parent_id"], u["unit_id"])
        roles = pd.Series(pd.api.extensions.take(u["author_role"].array, pos, allow_fill=True)).astype("str").fillna(_UNKNOWN)
        roles[pos < 0] = _PARENT_MISSING
        pairs = replies.assign(**{"from": roles.array})
    pairs = pairs.rename(columns={"code": "to"})
    agg = pairs.groupby(["from", "to"]).size().rename("n").reset_index()
    n_from = pairs.groupby("from")["obs"].nunique()
    agg["n_from"] = agg["from"].map(n_from).astype(int)
    agg["share"] = agg["n"] / agg["n_from"]
    agg = _rounded(agg)
    to_order = _code_order(df["code"], codebook)
    if by == "code":
        from_order = _code_order(list(pd.unique(df["code"])) + list(agg["from"]), codebook)
    else:
        from_order = sorted(c for c in pd.unique(agg["from"]) if c != _PARENT_MISSING) + (
            [_PARENT_MISSING] if (agg["from"] == _PARENT_MISSING).any() else []
        )
    agg["from"] = pd.Categorical(agg["from"], categories=from_order)
    agg["to"] = pd.Categorical(agg["to"], categories=to_order)
    agg = agg.sort_values(["from", "to"]).reset_index(drop=True)
    agg["from"] = _esc_series(agg["from"].astype(str))
    agg["to"] = _esc_series(agg["to"].astype(str))
    row_title = "in reply to (code)" if by == "code" else "in reply to (author role)"
    base = alt.Chart(agg).encode(
        x=alt.X("to:N", title="reply coded", sort=[_esc(c) for c in to_order], axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("from:N", title=row_title, sort=[_esc(c) for c in from_order]),
        tooltip=[
            alt.Tooltip("from:N", title=row_title),
            alt.Tooltip("to:N", title="reply coded"),
            alt.Tooltip("n:Q", title="replies"),
            alt.Tooltip("n_from:Q", title="coded replies to this row"),
            alt.Tooltip("share:Q", title="share of those replies", format=".1%"),
        ],
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color("share:Q", title="share of replies", scale=alt.Scale(scheme="oranges", domain=[0, 1]), legend=alt.Legend(format=".0%"))
    )
    text = base.mark_text(fontSize=10).encode(
        text="n:Q", color=alt.when(alt.datum.share > 0.6).then(alt.value("white")).otherwise(alt.value("black"))
    )
    title = "Replies by what they reply to" + (" (author role)" if by == "author_role" else "")
    return (rect + text).properties(title=title, width=alt.Step(36), height=alt.Step(26))


def reply_flow(
    codings: pd.DataFrame,
    units: pd.DataFrame,
    *,
    coder: str | Sequence[str] | None = None,
    max_depth: int = 3,
    min_n: int = 1,
    codebook: CodeColors = None,
) -> alt.LayerChart:
    """How a thread flows: root post codes, then first replies, then their replies.

    Columns are depths (0 = root post), rows are codes; a dot's size is the number of
    coded units (x coder) at that depth with that code, a line's width the number of
    replies at the next depth with that code under a parent with the first code (same
    coder). Depths beyond ``max_depth`` are pooled in the last column and only their
    dots are drawn.

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code``.
    units : DataFrame
        ``unit_id, parent_id, depth``.
    coder : str or list of str, optional
        Only these coders.
    max_depth : int
        The last column (``"3+"`` by default).
    min_n : int
        Links with fewer replies are not drawn (keeps busy charts readable).
    codebook : Codebook or mapping, optional
        Code order and colours.

    Returns
    -------
    alt.LayerChart
        Link layer data ``link, depth, code, n, share, from, to`` (two rows per link);
        node layer data ``depth, code, n``.

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "parent_id": [None, "p", "p"],
    ...                       "depth": [0, 1, 1]})
    >>> codings = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "coder": ["al"] * 3,
    ...                         "code": ["disclosure", "defensive", "defensive"]})
    >>> spec = reply_flow(codings, units).to_dict()
    >>> links = spec["datasets"][spec["layer"][0]["data"]["name"]]
    >>> [(r["from"], r["to"], r["n"]) for r in links]
    [('disclosure', 'defensive', 2), ('disclosure', 'defensive', 2)]
    """
    max_depth = _check_int(max_depth, "max_depth", 1)
    min_n = _check_int(min_n, "min_n", 1)
    df = _select(codings, coder)
    u = _units(units, ["parent_id", "depth"])
    df = _attach(df, u, ["parent_id", "depth"])
    depth = pd.to_numeric(df["depth"], errors="coerce").fillna(0).astype(int)
    df["depth_label"], labels = _depth_labels(depth, max_depth)
    nodes = df.groupby(["depth_label", "code"]).size().rename("n").reset_index()

    replies = df[df["parent_id"].notna() & (depth >= 1) & (depth <= max_depth)]
    pairs = _parent_codes(replies, df[["unit_id", "coder", "code"]], u)
    pairs = pairs[pairs["from"] != _PARENT_MISSING]
    pairs = pairs.assign(d=pd.to_numeric(pairs["depth"]).astype(int))
    links = pairs.groupby(["d", "from", "code"]).size().rename("n").reset_index()
    n_from = pairs.groupby(["d", "from"]).size().rename("n_from").reset_index()
    links = links.merge(n_from, on=["d", "from"])
    links["share"] = links["n"] / links["n_from"]
    links = _rounded(links[links["n"] >= min_n].reset_index(drop=True))
    # Parents nobody coded still need a dot to hang their links on.
    uncoded = pairs[pairs["from"] == NOT_CODED]
    if len(uncoded):
        extra = (
            uncoded.assign(depth_label=(uncoded["d"] - 1).map(dict(enumerate(labels))))
            .drop_duplicates(["parent_id", "coder"])
            .groupby("depth_label")
            .size()
            .rename("n")
            .reset_index()
            .assign(code=NOT_CODED)
        )
        nodes = pd.concat([nodes, extra], ignore_index=True)
    order = _code_order(list(nodes["code"]), codebook)

    link_rows = pd.DataFrame(
        {
            "link": np.repeat(np.arange(len(links)), 2),
            "depth": np.ravel(np.column_stack([(links["d"] - 1).map(dict(enumerate(labels))), links["d"].map(dict(enumerate(labels)))])),
            "code": np.ravel(np.column_stack([links["from"], links["code"]])),
            "n": np.repeat(links["n"].to_numpy(), 2),
            "share": np.repeat(links["share"].to_numpy(), 2),
            "from": np.repeat(links["from"].to_numpy(), 2),
            "to": np.repeat(links["code"].to_numpy(), 2),
        }
    )
    for frame, cols in ((link_rows, ("code", "from", "to")), (nodes, ("code",))):
        for c in cols:
            frame[c] = _esc_series(frame[c].astype(str)) if len(frame) else frame[c]
    nodes = nodes.rename(columns={"depth_label": "depth"})
    nodes["depth"] = pd.Categorical(nodes["depth"], categories=labels)
    nodes["code"] = pd.Categorical(nodes["code"], categories=[_esc(c) for c in order])
    nodes = nodes.sort_values(["depth", "code"]).reset_index(drop=True)
    nodes["depth"] = nodes["depth"].astype(str)
    nodes["code"] = nodes["code"].astype(str)

    x = alt.X("depth:O", title="depth in the thread (0 = root post)", sort=labels, scale=alt.Scale(domain=labels), axis=alt.Axis(labelAngle=0))
    y = alt.Y("code:N", title=None, sort=[_esc(c) for c in order], scale=alt.Scale(domain=[_esc(c) for c in order]))
    line = (
        alt.Chart(link_rows)
        .mark_line(opacity=0.35, color="#666")
        .encode(
            x=x,
            y=y,
            detail="link:N",
            strokeWidth=alt.StrokeWidth("n:Q", title="replies", scale=alt.Scale(range=[1, 14]), legend=alt.Legend(format="d", tickMinStep=1)),
            tooltip=[
                alt.Tooltip("from:N", title="parent coded"),
                alt.Tooltip("to:N", title="reply coded"),
                alt.Tooltip("n:Q", title="replies"),
                alt.Tooltip("share:Q", title="share of replies to that parent code", format=".1%"),
            ],
        )
    )
    dots = (
        alt.Chart(nodes)
        .mark_circle(opacity=0.95, stroke="white")
        .encode(
            x=x,
            y=y,
            size=alt.Size("n:Q", title="coded units", scale=alt.Scale(range=[40, 900]), legend=alt.Legend(format="d", tickMinStep=1)),
            color=_code_color("code", order, codebook, legend=False),
            tooltip=[alt.Tooltip("depth:O"), alt.Tooltip("code:N"), alt.Tooltip("n:Q", title="coded units (x coder)")],
        )
    )
    return (line + dots).properties(title="Reply flow: root post, replies, replies to replies", width=alt.Step(110), height=alt.Step(34))


# --- depth and time ---------------------------------------------------------------------------
def _share_line(
    agg: pd.DataFrame,
    x: alt.X,
    order: Sequence[str],
    codebook: CodeColors,
    show: str,
    group_title: str,
    extra_tooltip: Sequence[alt.Tooltip] = (),
    picked: alt.Parameter | None = None,
) -> alt.Chart:
    """Lines of share (or count) per code; a legend pick, or a filter by ``picked``."""
    y_field = "share" if show == "share" else "n"
    chart = alt.Chart(agg).mark_line(point=True).encode(
        x=x,
        y=alt.Y(
            f"{y_field}:Q",
            title="share of coded units" if show == "share" else "codings",
            axis=alt.Axis(format=".0%" if show == "share" else "d"),
        ),
        color=_code_color("code", order, codebook),
        tooltip=[
            alt.Tooltip("code:N"),
            *extra_tooltip,
            alt.Tooltip("n:Q", title="codings"),
            alt.Tooltip("n_units:Q", title="units with the code"),
            alt.Tooltip("share:Q", title="share of coded units", format=".1%"),
            alt.Tooltip("n_coded:Q", title=f"coded units (x coder) in this {group_title}"),
        ],
    )
    if picked is not None:
        return chart.transform_filter(picked)
    pick = alt.selection_point(fields=["code"], bind="legend", name="code_pick")
    return chart.encode(opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.15))).add_params(pick)


def _by_group(df: pd.DataFrame, group: str) -> pd.DataFrame:
    """Counts per (group, code), with zero rows for codes a group lacks (lines drop to 0)."""
    agg = df.groupby([group, "code"]).agg(n=("obs", "size"), n_units=("uid", "nunique"))
    full = pd.MultiIndex.from_product([pd.unique(df[group]), pd.unique(df["code"])], names=[group, "code"])
    agg = agg.reindex(full, fill_value=0).reset_index()
    per = df.groupby(group)["obs"].nunique().rename("n_coded").reset_index()
    agg = agg.merge(per, on=group)
    agg["share"] = agg["n"] / agg["n_coded"]
    return _rounded(agg)


def codes_by_depth(
    codings: pd.DataFrame,
    units: pd.DataFrame,
    *,
    coder: str | Sequence[str] | None = None,
    max_depth: int = 5,
    show: str = "share",
    codebook: CodeColors = None,
) -> alt.Chart:
    """Response types by depth in the thread: root post, direct replies, replies to replies.

    One line per code; click a legend entry to highlight a code.

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code``.
    units : DataFrame
        ``unit_id, depth``.
    coder : str or list of str, optional
        Only these coders.
    max_depth : int
        Deeper units are pooled in the last column (``"5+"``).
    show : {"share", "count"}
        Share of the coded units at that depth, or number of codings.
    codebook : Codebook or mapping, optional
        Code order and colours.

    Returns
    -------
    alt.Chart
        Data columns: ``depth, code, n, n_units, n_coded, share``; a code absent at a
        depth has a row with ``n = 0``.

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "depth": [0, 1, 1]})
    >>> codings = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "coder": ["al"] * 3,
    ...                         "code": ["disclosure", "defensive", "validating"]})
    >>> rows = next(iter(codes_by_depth(codings, units).to_dict()["datasets"].values()))
    >>> [(r["depth"], r["code"], r["share"]) for r in rows]
    [('0', 'defensive', 0.0), ('0', 'disclosure', 1.0), ('0', 'validating', 0.0), ('1', 'defensive', 0.5), ('1', 'disclosure', 0.0), ('1', 'validating', 0.5)]
    """
    return _codes_by_depth(codings, units, coder=coder, max_depth=max_depth, show=show, codebook=codebook)


def _codes_by_depth(codings, units, *, coder, max_depth, show, codebook, picked=None) -> alt.Chart:
    max_depth = _check_int(max_depth, "max_depth", 1)
    _choice(show, "show", ["share", "count"])
    df = _select(codings, coder)
    df = _attach(df, _units(units, ["depth"]), ["depth"])
    df["depth"], labels = _depth_labels(df["depth"], max_depth)
    agg = _by_group(df, "depth")
    order = _code_order(agg["code"], codebook)
    agg["depth"] = pd.Categorical(agg["depth"], categories=labels)
    agg["code"] = pd.Categorical(agg["code"], categories=order)
    agg = agg.sort_values(["depth", "code"]).reset_index(drop=True)
    agg["depth"] = agg["depth"].astype(str)
    agg["code"] = _esc_series(agg["code"].astype(str))
    used = [lab for lab in labels if lab in set(agg["depth"])] or labels
    x = alt.X("depth:O", title="depth in the thread (0 = root post)", sort=used, axis=alt.Axis(labelAngle=0))
    return _share_line(agg, x, order, codebook, show, "depth", picked=picked).properties(title="Response types by depth", width=360)


def _periods(times: pd.Series, freq: str) -> pd.Series:
    t = pd.to_datetime(times, utc=True, errors="coerce").dt.tz_convert(None)
    return t.dt.to_period(freq).dt.start_time


def _auto_freq(times: pd.Series, max_periods: int) -> str:
    t = pd.to_datetime(times, utc=True, errors="coerce").dropna()
    for freq in ("D", "W", "M", "Q", "Y"):
        if len(t) == 0 or _n_periods(t, freq) <= max_periods:
            return freq
    return "Y"


def _n_periods(t: pd.Series, freq: str) -> int:
    lo, hi = t.min().tz_convert(None), t.max().tz_convert(None)
    return int((hi.to_period(freq) - lo.to_period(freq)).n) + 1


def codes_over_time(
    codings: pd.DataFrame,
    units: pd.DataFrame | None = None,
    *,
    freq: str = "auto",
    when: str = "posted",
    coder: str | Sequence[str] | None = None,
    show: str = "share",
    max_periods: int = 120,
    codebook: CodeColors = None,
) -> alt.Chart:
    """Response types over time, by when the unit was posted (or when it was coded).

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code`` (and ``at`` for ``when="coded"``).
    units : DataFrame, optional
        ``unit_id, posted_at``; needed for ``when="posted"``. Units without a date are
        left out and counted in the subtitle.
    freq : {"D", "W", "M", "Q", "Y", "auto"}
        Day, week (Monday to Sunday), month, quarter, year; ``"auto"`` picks the
        finest that fits ``max_periods``.
    when : {"posted", "coded"}
        Date the unit was posted, or the time of the coding (to see coder drift).
    coder : str or list of str, optional
        Only these coders.
    show : {"share", "count"}
        Share of the coded units of the period, or number of codings.
    max_periods : int
        More periods than this raise ValueError suggesting a coarser ``freq``.
    codebook : Codebook or mapping, optional
        Code order and colours.

    Returns
    -------
    alt.Chart
        Data columns: ``period`` (ISO date of the period's start, UTC), ``code, n,
        n_units, n_coded, share``.

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit_id": ["a", "b", "c"],
    ...     "posted_at": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-02-20"], utc=True)})
    >>> codings = pd.DataFrame({"unit_id": ["a", "b", "c"], "coder": ["al"] * 3,
    ...                         "code": ["defensive", "validating", "defensive"]})
    >>> rows = next(iter(codes_over_time(codings, units, freq="M").to_dict()["datasets"].values()))
    >>> [(r["period"], r["code"], r["n"]) for r in rows]
    [('2024-01-01', 'defensive', 1), ('2024-01-01', 'validating', 1), ('2024-02-01', 'defensive', 1), ('2024-02-01', 'validating', 0)]
    """
    return _codes_over_time(
        codings, units, freq=freq, when=when, coder=coder, show=show, max_periods=max_periods, codebook=codebook
    )


def _codes_over_time(codings, units, *, freq, when, coder, show, max_periods, codebook, picked=None) -> alt.Chart:
    _choice(freq, "freq", [*_FREQS, "auto"])
    _choice(when, "when", ["posted", "coded"])
    _choice(show, "show", ["share", "count"])
    max_periods = _check_int(max_periods, "max_periods", 1)
    if when == "coded":
        df = _select(codings, coder, extra=("at",)).rename(columns={"at": "time"})
    else:
        if units is None:
            raise ValueError("when='posted' needs the units table (posted_at): codes_over_time(codings, units)")
        df = _attach(_select(codings, coder), _units(units, ["posted_at"]), ["posted_at"])
        df = df.rename(columns={"posted_at": "time"})
    df["time"] = pd.to_datetime(df["time"], utc=True, errors="coerce")
    undated = int(df["time"].isna().sum())
    df = df[df["time"].notna()]
    if freq == "auto":
        freq = _auto_freq(df["time"], max_periods)
    if len(df):
        n_periods = _n_periods(df["time"], freq)
        if n_periods > max_periods:
            coarser = [f for f in _FREQS if f in list(_FREQS)[list(_FREQS).index(freq) + 1 :]]
            raise ValueError(
                f"freq={freq!r} gives {n_periods} {_FREQS[freq]} periods, more than max_periods={max_periods}; "
                f"use a coarser freq ({coarser}), freq='auto', or raise max_periods"
            )
    df = df.assign(period=_periods(df["time"], freq))
    agg = _by_group(df, "period")
    order = _code_order(agg["code"], codebook)
    agg["code"] = pd.Categorical(agg["code"], categories=order)
    agg = agg.sort_values(["period", "code"]).reset_index(drop=True)
    agg["code"] = _esc_series(agg["code"].astype(str))
    agg["period"] = pd.to_datetime(agg["period"]).dt.strftime("%Y-%m-%d")
    # Ticks on the periods themselves (at most 12), labelled to suit the frequency.
    starts = sorted(pd.unique(agg["period"]))
    step = max(1, math.ceil(len(starts) / 12))
    ticks = [int(pd.Timestamp(d, tz="UTC").timestamp() * 1000) for d in starts[::step]]
    label = {"D": "%d %b", "W": "%d %b", "M": "%b %Y", "Q": "%b %Y", "Y": "%Y"}[freq]
    x = alt.X(
        "period:T",
        title=f"{_FREQS[freq]} period ({'posted' if when == 'posted' else 'coded'}, UTC; weeks start on Monday)"
        if freq == "W"
        else f"{_FREQS[freq]} period ({'posted' if when == 'posted' else 'coded'}, UTC)",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(values=ticks, format=label, labelAngle=-40) if ticks else alt.Axis(format=label),
    )
    chart = _share_line(
        agg, x, order, codebook, show, "period",
        [alt.Tooltip("period:T", title="period from", format="%Y-%m-%d", formatType="utc")],
        picked=picked,
    )
    title: Any = f"Response types over time ({'posted' if when == 'posted' else 'coded'})"
    if undated:
        title = alt.TitleParams(title, subtitle=f"{undated} codings of units without a date are not shown")
    return chart.properties(title=title, width=420)


# --- one thread as a tree ------------------------------------------------------------------------
def _preorder(thread: pd.DataFrame) -> list[int]:
    """Row positions of a thread in reply order: each unit followed by its replies."""
    ids = list(thread["unit_id"])
    index = {uid: i for i, uid in enumerate(ids)}
    kids: dict[int, list[int]] = {}
    roots: list[int] = []
    for i, parent in enumerate(thread["parent_id"]):
        p = index.get(parent) if parent is not None else None
        if p is None or p == i:
            roots.append(i)
        else:
            kids.setdefault(p, []).append(i)
    out: list[int] = []
    seen: set[int] = set()
    stack = list(reversed(roots))
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        out.append(i)
        stack.extend(reversed(kids.get(i, [])))
    out.extend(i for i in range(len(ids)) if i not in seen)  # units on a reply cycle
    return out


def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def thread_tree(
    codings: pd.DataFrame,
    units: pd.DataFrame,
    thread_id: str,
    *,
    coder: str | Sequence[str] | None = None,
    codebook: CodeColors = None,
    max_units: int = 300,
    max_chars: int = 280,
    label_chars: int = 60,
) -> alt.LayerChart:
    """One thread as a tree: each unit a dot placed by depth and reply order, coloured by its code.

    The layout is computed in Python: units are listed in reply order (a unit, then
    its replies, each in thread ``position`` order), one row each, indented by
    ``depth``; elbow lines join each reply to its parent. Hover a dot for the author,
    the codes (with their coders) and the text. Orphans keep their depth and have no
    line.

    A unit's colour is its most used code among the chosen coders (ties go to the
    code first in codebook order, then alphabetically); units nobody coded are grey.

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code``.
    units : DataFrame
        ``unit_id, thread_id, parent_id, depth, position, text`` (``author,
        author_role, posted_at, status`` are shown when present).
    thread_id : str
        The thread to draw.
    coder : str or list of str, optional
        Only these coders' codes.
    codebook : Codebook or mapping, optional
        Code order and colours.
    max_units : int
        Longer threads show their first ``max_units`` units in reply order (said in the subtitle).
    max_chars, label_chars : int
        Text length in the tooltip and in the label beside each dot.

    Returns
    -------
    alt.LayerChart
        Layers: edges (``x, x2, y, y2``), dots and labels (``row, depth, unit_id,
        author, author_role, posted_at, status, code, codes, text, label``).

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "thread_id": "t",
    ...     "parent_id": [None, "p", "r1"], "depth": [0, 1, 2], "position": [0, 1, 2],
    ...     "text": ["It hurt.", "Not all of us <b>!</b>", "That is not the point."]})
    >>> codings = pd.DataFrame({"unit_id": ["r1"], "coder": ["al"], "code": ["defensive"]})
    >>> spec = thread_tree(codings, units, "t").to_dict()
    >>> nodes = spec["datasets"][spec["layer"][1]["data"]["name"]]
    >>> [(r["row"], r["depth"], r["code"], r["text"]) for r in nodes]
    [(0, 0, '(not coded)', 'It hurt.'), (1, 1, 'defensive', 'Not all of us &lt;b&gt;!&lt;/b&gt;'), (2, 2, '(not coded)', 'That is not the point.')]
    """
    max_units = _check_int(max_units, "max_units", 1)
    max_chars = _check_int(max_chars, "max_chars", 1)
    label_chars = _check_int(label_chars, "label_chars", 0)
    _check_frame(units, "units", ("unit_id", "thread_id", "parent_id", "text"))
    thread_id = str(thread_id)
    mask = units["thread_id"].astype(str) == thread_id
    if not mask.any():
        known = list(pd.unique(units["thread_id"].astype(str)))
        raise ValueError(f"thread {thread_id!r} is not in units; threads include {known[:10]}")
    t = units[mask].copy()
    t["unit_id"] = t["unit_id"].astype(str)
    t["parent_id"] = t["parent_id"].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v))
    if "position" in t:
        t = t.sort_values("position", kind="stable")
    t = t.reset_index(drop=True)
    order_rows = _preorder(t)
    total = len(order_rows)
    order_rows = order_rows[:max_units]
    t = t.iloc[order_rows].reset_index(drop=True)
    t["row"] = np.arange(len(t))
    if "depth" in t:
        t["depth"] = pd.to_numeric(t["depth"], errors="coerce").fillna(0).astype(int)
    else:  # pragma: no cover - depth is part of the units schema
        t["depth"] = 0

    df = _select(codings, coder)
    df = df[_lookup(df["unit_id"], t["unit_id"]) >= 0]
    order = _code_order(df["code"], codebook)
    rank = {c: i for i, c in enumerate(order)}
    primary: dict[str, str] = {}
    described: dict[str, str] = {}
    for uid, g in df.groupby("unit_id", sort=False):
        by_code = g.groupby("code")["coder"].apply(list)
        ranked = sorted(by_code.index, key=lambda c: (-len(by_code[c]), rank.get(c, len(rank))))
        primary[uid] = ranked[0]
        described[uid] = "; ".join(f"{c} ({', '.join(sorted(by_code[c]))})" for c in ranked)
    nodes = pd.DataFrame(
        {
            "row": t["row"],
            "depth": t["depth"],
            "unit_id": t["unit_id"],
            "author": t["author"].fillna("") if "author" in t else "",
            "author_role": t["author_role"].fillna(_UNKNOWN) if "author_role" in t else _UNKNOWN,
            "posted_at": pd.to_datetime(t["posted_at"], utc=True, errors="coerce").dt.strftime("%Y-%m-%d %H:%M UTC").fillna("")
            if "posted_at" in t
            else "",
            "status": t["status"].fillna("ok") if "status" in t else "ok",
            "code": [primary.get(u, NOT_CODED) for u in t["unit_id"]],
            "codes": [described.get(u, "none") for u in t["unit_id"]],
            "text": [_clip(x, max_chars) for x in t["text"].fillna("")],
        }
    )
    nodes["label"] = [
        _clip(f"{a}: {x}" if a else x, label_chars) if label_chars else ""
        for a, x in zip(nodes["author"], nodes["text"])
    ]
    nodes.loc[nodes["status"].isin(["deleted", "removed"]), "label"] = "[" + nodes["status"] + "]"
    for c in ("unit_id", "author", "author_role", "status", "code", "codes", "text", "label"):
        nodes[c] = _esc_series(nodes[c].astype(str))
    if NOT_CODED in set(nodes["code"]) and NOT_CODED not in order:
        order = order + [NOT_CODED]

    row_of = dict(zip(t["unit_id"], t["row"]))
    depth_of = dict(zip(t["unit_id"], t["depth"]))
    edges = []
    for uid, parent in zip(t["unit_id"], t["parent_id"]):
        if parent in row_of and parent != uid:
            px, py, cx, cy = depth_of[parent], row_of[parent], depth_of[uid], row_of[uid]
            edges.append((px, px, py, cy))  # down from the parent
            edges.append((px, cx, cy, cy))  # across to the reply
    edges_df = pd.DataFrame(edges, columns=["x", "x2", "y", "y2"])

    max_d = int(t["depth"].max()) if len(t) else 0
    label_room = 12 if label_chars else 1
    x_scale = alt.Scale(domain=[-0.4, max_d + 0.4 + label_room], nice=False, zero=False)
    y_scale = alt.Scale(domain=[-0.5, max(len(t), 1) - 0.5], reverse=True, nice=False, zero=False)
    height = min(max(18 * len(t), 80), 3000)
    lines = alt.Chart(edges_df).mark_rule(color="#999", strokeWidth=1.2).encode(
        x=alt.X("x:Q", scale=x_scale, axis=None), x2="x2:Q", y=alt.Y("y:Q", scale=y_scale, axis=None), y2="y2:Q"
    )
    base = alt.Chart(nodes).encode(
        x=alt.X("depth:Q", scale=x_scale, axis=None),
        y=alt.Y("row:Q", scale=y_scale, axis=None),
        tooltip=[
            alt.Tooltip("author:N"),
            alt.Tooltip("author_role:N", title="role"),
            alt.Tooltip("posted_at:N", title="posted"),
            alt.Tooltip("depth:Q"),
            alt.Tooltip("codes:N", title="codes (coders)"),
            alt.Tooltip("status:N"),
            alt.Tooltip("text:N"),
            alt.Tooltip("unit_id:N", title="unit"),
        ],
    )
    dots = base.mark_circle(size=140, opacity=1, stroke="white", strokeWidth=1).encode(
        color=_code_color("code", order, codebook)
    )
    labels = base.mark_text(align="left", dx=10, fontSize=11, color="#333").encode(text="label:N")
    title = f"Thread {_esc(thread_id)}"
    subtitle = f"{total} units" + (f"; the first {len(t)} in reply order are shown" if total > len(t) else "")
    return (lines + dots + labels).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"), width=24 * (max_d + 1) + 24 * label_room, height=height
    )


# --- linked views ---------------------------------------------------------------------------------
def code_explorer(
    codings: pd.DataFrame,
    units: pd.DataFrame,
    *,
    coder: str | Sequence[str] | None = None,
    max_depth: int = 5,
    codebook: CodeColors = None,
) -> alt.HConcatChart:
    """Code frequencies linked to depth (and time): click a code's bar to show only that code.

    Shift-click adds codes; double-click clears. The right-hand views are those of
    :func:`codes_by_depth` and, when the units have dates, :func:`codes_over_time`
    (``freq="auto"``, at most 12 periods).

    Returns
    -------
    alt.HConcatChart
        The bar chart carries the selection parameter ``picked_code``; the other views
        filter on it.

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit_id": ["p", "r1"], "depth": [0, 1],
    ...     "posted_at": pd.to_datetime(["2024-01-02", "2024-01-03"], utc=True)})
    >>> codings = pd.DataFrame({"unit_id": ["p", "r1"], "coder": ["al"] * 2, "code": ["disclosure", "defensive"]})
    >>> spec = code_explorer(codings, units).to_dict()
    >>> spec["params"][0]["name"], spec["params"][0]["select"]["fields"]
    ('picked_code', ['code'])
    """
    freq_chart = code_frequencies(codings, coder=coder, codebook=codebook)
    bars_layer = freq_chart.layer[0]
    picked = alt.selection_point(fields=["code"], name="picked_code")
    bars = (
        alt.Chart(freq_chart.data)
        .mark_bar(cursor="pointer")
        .encode(
            x=bars_layer.encoding.x,
            y=bars_layer.encoding.y,
            color=bars_layer.encoding.color,
            opacity=alt.when(picked).then(alt.value(1.0)).otherwise(alt.value(0.3)),
            tooltip=bars_layer.encoding.tooltip,
        )
        .add_params(picked)
        .properties(title="Codes (click to filter)", width=240)
    )
    depth = _codes_by_depth(codings, units, coder=coder, max_depth=max_depth, show="share", codebook=codebook, picked=picked)
    right: list[Any] = [depth.properties(title="By depth", width=300)]
    if "posted_at" in units.columns and pd.to_datetime(units["posted_at"], utc=True, errors="coerce").notna().any():
        time = _codes_over_time(
            codings, units, freq="auto", when="posted", coder=coder, show="share", max_periods=12, codebook=codebook, picked=picked
        )
        right.append(time.properties(title="Over time", width=300))
    return alt.hconcat(bars, alt.vconcat(*right)).properties(title="Explore codes")


# --- coders ----------------------------------------------------------------------------------------
def coder_code_rates(
    codings: pd.DataFrame,
    *,
    coder: str | Sequence[str] | None = None,
    codebook: CodeColors = None,
) -> alt.LayerChart:
    """Each coder's rate of use of each code, so an over- or under-using coder stands out.

    A coder's rate for a code is the share of the units that coder coded that got the
    code. The colour is the difference from the pooled rate of all coders charted
    (orange: uses it more, blue: less); the cell text is the coder's rate.

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code``.
    coder : str or list of str, optional
        Only these coders (the pooled rate is over them too).
    codebook : Codebook or mapping, optional
        Code order.

    Returns
    -------
    alt.LayerChart
        Data columns: ``coder, code, n, n_coded, rate, pooled, difference``.

    Examples
    --------
    >>> import pandas as pd
    >>> codings = pd.DataFrame({"unit_id": ["a", "b", "a", "b"], "coder": ["al", "al", "bo", "bo"],
    ...                         "code": ["defensive", "defensive", "defensive", "validating"]})
    >>> rows = next(iter(coder_code_rates(codings).to_dict()["datasets"].values()))
    >>> [(r["coder"], r["code"], r["rate"], r["difference"]) for r in rows]
    [('al', 'defensive', 1.0, 0.25), ('al', 'validating', 0.0, -0.25), ('bo', 'defensive', 0.5, -0.25), ('bo', 'validating', 0.5, 0.25)]
    """
    df = _select(codings, coder)
    order = _code_order(df["code"], codebook)
    n = df.groupby(["coder", "code"]).size().unstack(fill_value=0)
    n_coded = df.groupby("coder")["uid"].nunique()
    agg = n.stack().rename("n").reset_index() if n.size else pd.DataFrame({"coder": [], "code": [], "n": []})
    agg["n_coded"] = agg["coder"].map(n_coded).astype(int)
    agg["rate"] = agg["n"] / agg["n_coded"]
    pooled = df.groupby("code").size() / max(int(n_coded.sum()), 1)
    agg["pooled"] = agg["code"].map(pooled).astype(float)
    agg["difference"] = agg["rate"] - agg["pooled"]
    agg = _rounded(agg, ("rate", "pooled", "difference"))
    coders = sorted(pd.unique(df["coder"]))
    agg["code"] = pd.Categorical(agg["code"], categories=order)
    agg = agg.sort_values(["coder", "code"]).reset_index(drop=True)
    agg["code"] = _esc_series(agg["code"].astype(str))
    agg["coder"] = _esc_series(agg["coder"].astype(str))
    lim = max(float(agg["difference"].abs().max()) if len(agg) else 0.0, 0.05)
    base = alt.Chart(agg).encode(
        x=alt.X("code:N", sort=[_esc(c) for c in order], title=None, axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("coder:N", sort=[_esc(c) for c in coders], title="coder"),
        tooltip=[
            alt.Tooltip("coder:N"),
            alt.Tooltip("code:N"),
            alt.Tooltip("n:Q", title="units given the code"),
            alt.Tooltip("n_coded:Q", title="units coded"),
            alt.Tooltip("rate:Q", format=".1%"),
            alt.Tooltip("pooled:Q", title="all coders' rate", format=".1%"),
            alt.Tooltip("difference:Q", format="+.1%"),
        ],
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "difference:Q",
            title="rate − all coders",
            scale=alt.Scale(scheme="blueorange", domain=[-lim, lim], domainMid=0),
            legend=alt.Legend(format="+.0%"),
        )
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("rate:Q", format=".0%"),
        color=alt.when((alt.datum.difference > lim * 0.6) | (alt.datum.difference < -lim * 0.6))
        .then(alt.value("white"))
        .otherwise(alt.value("black")),
    )
    return (rect + text).properties(title="Each coder's use of each code", width=alt.Step(40), height=alt.Step(26))


# --- reliability ------------------------------------------------------------------------------------
_REPORT = ("code", "value", "ci_low", "ci_high")
_REPORT_OPTIONAL = ("measure", "n_units", "n_coders", "n_pairable", "interpretation")


def _band(value: float, thresholds: tuple[float, float]) -> str:
    lo, hi = thresholds
    if value >= hi:
        return f"≥ {hi:.3f}".replace("0.", ".")
    if value >= lo:
        return f"{lo:.3f}–{hi:.3f}".replace("0.", ".")
    return f"< {lo:.3f}".replace("0.", ".")


def _thresholds(thresholds: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(t) for t in thresholds)
    except (TypeError, ValueError):
        raise TypeError(f"thresholds must be two numbers (low, high), e.g. (0.667, 0.8); not {thresholds!r}") from None
    if not lo < hi:
        raise ValueError(f"thresholds must be increasing (low, high), e.g. (0.667, 0.8); not {thresholds!r}")
    return lo, hi


def _report_frame(report: Any, name: str, extra: Sequence[str] = ()) -> pd.DataFrame:
    _check_frame(report, name, (*_REPORT, *extra))
    df = report.copy()
    for c in _REPORT_OPTIONAL:
        if c not in df:
            df[c] = np.nan if c.startswith("n_") else ""
    for c in ("value", "ci_low", "ci_high"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    df["measure"] = df["measure"].fillna("").astype(str)
    df["interpretation"] = df["interpretation"].fillna("").astype(str)
    df["code"] = df["code"].astype(str)
    return df


def _pick_measure(df: pd.DataFrame, measure: str | None) -> pd.DataFrame:
    present = [m for m in pd.unique(df["measure"]) if m != ""]
    if measure is not None:
        if measure not in present:
            raise ValueError(f"measure={measure!r} is not in the report; measures present: {present}")
        return df[df["measure"] == measure]
    return df


def _reference_rules(thresholds: tuple[float, float], axis: str) -> list[alt.Chart]:
    """Dashed lines at the two thresholds and their labels: [rule, low label, high label]."""
    lo, hi = thresholds
    refs = pd.DataFrame(
        {"value": [lo, hi], "label": [f"{lo:.3f} tentative".replace("0.", "."), f"{hi:.3f} reliable".replace("0.", ".")]}
    )
    enc = {axis: alt.X("value:Q") if axis == "x" else alt.Y("value:Q")}
    rule = alt.Chart(refs).mark_rule(strokeDash=[4, 3], color="#888").encode(**enc)
    style = {"fontSize": 9, "color": "#666"}
    low, high = refs.iloc[[0]], refs.iloc[[1]]
    if axis == "x":  # the low label left of its line, the high one right of it
        marks = [
            alt.Chart(low).mark_text(baseline="bottom", y=-2, align="right", dx=-3, **style),
            alt.Chart(high).mark_text(baseline="bottom", y=-2, align="left", dx=3, **style),
        ]
        return [rule] + [m.encode(x="value:Q", text="label:N") for m in marks]
    # the low label below its line, the high one above it
    marks = [
        alt.Chart(low).mark_text(align="right", x="width", dx=-2, baseline="top", dy=2, **style),
        alt.Chart(high).mark_text(align="right", x="width", dx=-2, baseline="bottom", dy=-2, **style),
    ]
    return [rule] + [m.encode(y="value:Q", text="label:N") for m in marks]


def _value_domain(df: pd.DataFrame) -> list[float]:
    vals = pd.concat([df["value"], df["ci_low"]]).dropna()
    low = min(0.0, math.floor(float(vals.min()) * 10) / 10) if len(vals) else 0.0
    return [max(low, -1.0), 1.0]


def agreement_by_code(
    report: pd.DataFrame,
    *,
    measure: str | None = None,
    thresholds: Sequence[float] = (0.667, 0.8),
) -> alt.LayerChart:
    """Per-code agreement with confidence-interval bars and the .667 / .800 reference lines.

    Dots are coloured by band (below .667, tentative, reliable, after Krippendorff
    2004); the bars are ``ci_low``–``ci_high``. Codes keep the report's row order.
    Codes whose coefficient is undefined (NaN) are named in the subtitle. When the
    report holds several measures (and ``measure`` is None) they are drawn side by
    side in each row.

    Parameters
    ----------
    report : DataFrame
        ``code, value, ci_low, ci_high``; optionally ``measure, n_units, n_coders,
        n_pairable, interpretation`` (shown in the tooltip).
    measure : str, optional
        Keep one measure of a report with several.
    thresholds : (float, float)
        The reference lines.

    Returns
    -------
    alt.LayerChart
        Reference lines, CI bars and dots; the dots' data has ``code, measure, value,
        ci_low, ci_high, band, n_units, n_coders, n_pairable, interpretation``.

    Examples
    --------
    >>> import pandas as pd
    >>> report = pd.DataFrame({"code": ["overall", "defensive"], "measure": "alpha",
    ...     "value": [0.71, 0.85], "ci_low": [0.6, 0.78], "ci_high": [0.8, 0.9]})
    >>> spec = agreement_by_code(report).to_dict()
    >>> dots = spec["datasets"][spec["layer"][-1]["data"]["name"]]
    >>> [(r["code"], r["band"]) for r in dots]
    [('overall', '.667–.800'), ('defensive', '≥ .800')]
    """
    lo_hi = _thresholds(thresholds)
    df = _pick_measure(_report_frame(report, "report"), measure)
    undefined = list(dict.fromkeys(df.loc[df["value"].isna(), "code"]))
    order = [_esc(c) for c in dict.fromkeys(df["code"])]
    domain = _value_domain(df)
    df = df[df["value"].notna()].copy()
    df["band"] = [_band(v, lo_hi) for v in df["value"]]
    keep = ["code", "measure", "value", "ci_low", "ci_high", "band", "n_units", "n_coders", "n_pairable", "interpretation"]
    df = df[keep].reset_index(drop=True)
    for c in ("value", "ci_low", "ci_high"):
        df[c] = df[c].round(4)
    for c in ("code", "measure", "interpretation"):
        df[c] = _esc_series(df[c])
    several = df["measure"].nunique() > 1
    bands = [_band(v, lo_hi) for v in (lo_hi[1], lo_hi[0], lo_hi[0] - 1)]
    x = alt.X("value:Q", title="agreement", scale=alt.Scale(domain=domain, nice=False))
    y = alt.Y("code:N", title=None, sort=order)
    offset = {"yOffset": alt.YOffset("measure:N")} if several else {}
    tooltip = [
        alt.Tooltip("code:N"),
        alt.Tooltip("measure:N"),
        alt.Tooltip("value:Q", format=".3f"),
        alt.Tooltip("ci_low:Q", title="CI low", format=".3f"),
        alt.Tooltip("ci_high:Q", title="CI high", format=".3f"),
        alt.Tooltip("n_units:Q", title="units"),
        alt.Tooltip("n_coders:Q", title="coders"),
        alt.Tooltip("n_pairable:Q", title="pairable values"),
        alt.Tooltip("interpretation:N"),
    ]
    bars = alt.Chart(df).mark_rule(strokeWidth=2, color="#555").encode(
        x=alt.X("ci_low:Q", scale=alt.Scale(domain=domain, nice=False), title="agreement"),
        x2="ci_high:Q",
        y=y,
        tooltip=tooltip,
        **offset,
    )
    dots = alt.Chart(df).mark_point(filled=True, size=90, opacity=1).encode(
        x=x,
        y=y,
        color=alt.Color("band:N", title="band", scale=alt.Scale(domain=bands, range=["#1a9850", "#fdae61", "#d73027"])),
        shape=alt.Shape("measure:N") if several else alt.Undefined,
        tooltip=tooltip,
        **offset,
    )
    title: Any = "Agreement by code"
    if undefined:
        title = alt.TitleParams(title, subtitle=f"undefined (no variation or too few pairable values): {', '.join(_esc(c) for c in undefined)}")
    return alt.layer(*_reference_rules(lo_hi, "x"), bars, dots).properties(title=title, width=360, height=alt.Step(30 if several else 22))


def agreement_trend(
    reports: pd.DataFrame | Mapping[Any, pd.DataFrame],
    *,
    measure: str | None = None,
    codes: Sequence[str] | None = None,
    thresholds: Sequence[float] = (0.667, 0.8),
) -> alt.LayerChart:
    """Agreement across coding rounds, one line per code, with CI bars and reference lines.

    Click a legend entry to highlight a code.

    Parameters
    ----------
    reports : DataFrame or mapping of round to report
        The reports of :func:`agreement_by_code` with a ``round`` column, or a dict
        ``{round: report}``. Rounds keep their order of appearance.
    measure : str, optional
        The measure to plot; needed when the reports hold several.
    codes : list of str, optional
        Only these codes (e.g. ``["overall"]``).
    thresholds : (float, float)
        The reference lines.

    Returns
    -------
    alt.LayerChart
        The line layer's data: ``round, code, value, ci_low, ci_high, n_units, interpretation``.

    Examples
    --------
    >>> import pandas as pd
    >>> r1 = pd.DataFrame({"code": ["overall"], "value": [0.55], "ci_low": [0.4], "ci_high": [0.7]})
    >>> r2 = pd.DataFrame({"code": ["overall"], "value": [0.81], "ci_low": [0.7], "ci_high": [0.9]})
    >>> spec = agreement_trend({"pilot": r1, "round 2": r2}).to_dict()
    >>> rows = spec["datasets"][spec["layer"][-1]["data"]["name"]]
    >>> [(r["round"], r["value"]) for r in rows]
    [('pilot', 0.55), ('round 2', 0.81)]
    """
    lo_hi = _thresholds(thresholds)
    if isinstance(reports, Mapping):
        frames = []
        for rnd, rep in reports.items():
            frame = _report_frame(rep, f"reports[{rnd!r}]")
            frames.append(frame.assign(round=str(rnd)))
        df = pd.concat(frames, ignore_index=True) if frames else _report_frame(pd.DataFrame(columns=[*_REPORT, "round"]), "reports", ("round",))
    else:
        df = _report_frame(reports, "reports", ("round",))
    df["round"] = df["round"].astype(str)
    present = [m for m in pd.unique(df["measure"]) if m != ""]
    if measure is None and len(present) > 1:
        raise ValueError(f"the reports hold several measures {present}; choose one with measure=")
    df = _pick_measure(df, measure)
    if codes is not None:
        wanted = [codes] if isinstance(codes, str) else [str(c) for c in codes]
        unknown = [c for c in wanted if c not in set(df["code"])]
        if unknown:
            raise ValueError(f"codes {unknown} are not in the reports; codes present: {list(dict.fromkeys(df['code']))}")
        df = df[df["code"].isin(wanted)]
    rounds = [_esc(r) for r in dict.fromkeys(df["round"])]
    code_order = [_esc(c) for c in dict.fromkeys(df["code"])]
    domain = _value_domain(df)
    df = df[["round", "code", "value", "ci_low", "ci_high", "n_units", "interpretation"]].reset_index(drop=True)
    for c in ("value", "ci_low", "ci_high"):
        df[c] = df[c].round(4)
    for c in ("round", "code", "interpretation"):
        df[c] = _esc_series(df[c])
    pick = alt.selection_point(fields=["code"], bind="legend", name="trend_code")
    x = alt.X("round:O", sort=rounds, title="round", axis=alt.Axis(labelAngle=0))
    y_scale = alt.Scale(domain=domain, nice=False)
    color = alt.Color("code:N", sort=code_order, scale=alt.Scale(domain=code_order, range=list(_PALETTE)))
    opacity = alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.15))
    tooltip = [
        alt.Tooltip("round:O"),
        alt.Tooltip("code:N"),
        alt.Tooltip("value:Q", format=".3f"),
        alt.Tooltip("ci_low:Q", title="CI low", format=".3f"),
        alt.Tooltip("ci_high:Q", title="CI high", format=".3f"),
        alt.Tooltip("n_units:Q", title="units"),
        alt.Tooltip("interpretation:N"),
    ]
    # Codes side by side within each round, so their CI bars do not hide each other.
    offset = alt.XOffset("code:N", sort=code_order, scale=alt.Scale(paddingInner=0.2))
    bars = alt.Chart(df).mark_rule(strokeWidth=1.5).encode(
        x=x, xOffset=offset, y=alt.Y("ci_low:Q", scale=y_scale, title="agreement"), y2="ci_high:Q",
        color=color, opacity=opacity, tooltip=tooltip,
    )
    lines = (
        alt.Chart(df)
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=60))
        .encode(x=x, xOffset=offset, y=alt.Y("value:Q", scale=y_scale, title="agreement"), color=color, opacity=opacity, tooltip=tooltip)
        .add_params(pick)
    )
    return alt.layer(*_reference_rules(lo_hi, "y"), bars, lines).properties(title="Agreement across rounds", width=max(240, 120 * len(rounds)), height=260)


def coincidence_heatmap(matrix: pd.DataFrame, *, title: str = "Coincidences") -> alt.LayerChart:
    """A coincidence (or confusion) matrix as a heatmap: agreement on the diagonal.

    Parameters
    ----------
    matrix : DataFrame
        Square: the same categories as index and columns, counts in the cells
        (e.g. Krippendorff's coincidence matrix, or coder A's rows x coder B's columns).
    title : str
        Chart title.

    Returns
    -------
    alt.LayerChart
        Data columns: ``row, column, n, share, row_share, diagonal``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame([[4, 1], [1, 2]], index=["defensive", "validating"],
    ...                  columns=["defensive", "validating"])
    >>> rows = next(iter(coincidence_heatmap(m).to_dict()["datasets"].values()))
    >>> [(r["row"], r["column"], r["n"], r["row_share"]) for r in rows]
    [('defensive', 'defensive', 4.0, 0.8), ('defensive', 'validating', 1.0, 0.2), ('validating', 'defensive', 1.0, 0.3333), ('validating', 'validating', 2.0, 0.6667)]
    """
    if not isinstance(matrix, pd.DataFrame):
        raise TypeError(f"matrix must be a square pandas DataFrame (categories x categories), not {type(matrix).__name__}")
    rows = [str(i) for i in matrix.index]
    cols = [str(c) for c in matrix.columns]
    if len(rows) != len(set(rows)) or set(rows) != set(cols):
        raise ValueError(
            f"matrix must be square with the same categories as index and columns; index {rows[:20]}, columns {cols[:20]}"
        )
    m = matrix.copy()
    m.index, m.columns = rows, cols
    m = m.loc[rows, rows].apply(pd.to_numeric, errors="coerce").fillna(0.0).astype(float)
    total = float(m.to_numpy().sum())
    long = m.stack().rename("n").reset_index()
    long.columns = ["row", "column", "n"]
    row_tot = long.groupby("row", sort=False)["n"].transform("sum")
    long["share"] = long["n"] / total if total else 0.0
    long["row_share"] = (long["n"] / row_tot.where(row_tot > 0)).fillna(0.0)
    long["diagonal"] = long["row"] == long["column"]
    long = _rounded(long, ("n", "share", "row_share"))
    order = [_esc(r) for r in rows]
    long["row"] = _esc_series(long["row"])
    long["column"] = _esc_series(long["column"])
    base = alt.Chart(long).encode(
        x=alt.X("column:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40, orient="top")),
        y=alt.Y("row:N", sort=order, title=None),
        tooltip=[
            alt.Tooltip("row:N"),
            alt.Tooltip("column:N"),
            alt.Tooltip("n:Q", title="count", format=",.4~g"),
            alt.Tooltip("share:Q", title="share of all", format=".1%"),
            alt.Tooltip("row_share:Q", title="share of row", format=".1%"),
        ],
    )
    rect = base.mark_rect().encode(
        color=alt.Color("n:Q", title="count", scale=alt.Scale(scheme="greens")),
        stroke=alt.when(alt.datum.diagonal).then(alt.value("#333")).otherwise(alt.value("white")),
        strokeWidth=alt.when(alt.datum.diagonal).then(alt.value(1.5)).otherwise(alt.value(0.5)),
    )
    hi = float(long["n"].max()) if len(long) else 0.0
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("n:Q", format=",.4~g"),
        color=alt.when(alt.datum.n > hi * 0.6).then(alt.value("white")).otherwise(alt.value("black")),
    )
    return (rect + text).properties(title=_esc(title), width=alt.Step(40), height=alt.Step(30))


# --- export ---------------------------------------------------------------------------------------
def _vl_version() -> str | None:
    import vl_convert as vlc

    want = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return want if want in vlc.get_vegalite_versions() else None


def save(chart: alt.TopLevelMixin, path: str | Path, *, scale: float = 2.0) -> Path:
    """Write a chart to PNG, SVG, PDF, HTML or JSON (by the file's suffix), offline.

    Rendering goes through vl-convert (no browser, no network); the HTML file bundles
    the Vega JavaScript, so it opens without internet access.

    Parameters
    ----------
    chart : Altair chart
        Any chart of this module (or any Altair top-level chart).
    path : str or Path
        Ends in ``.png``, ``.svg``, ``.pdf``, ``.html`` or ``.json``.
    scale : float
        Pixel scale of PNG output (2 = sharp on high-density screens).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> codings = pd.DataFrame({"unit_id": ["a"], "coder": ["al"], "code": ["defensive"]})
    >>> out = save(code_frequencies(codings), pathlib.Path(tempfile.mkdtemp()) / "codes.svg")
    >>> out.read_text()[:4]
    '<svg'
    """
    if not isinstance(chart, alt.TopLevelMixin):
        raise TypeError(f"chart must be an Altair chart (e.g. from workbench.charts), not {type(chart).__name__}")
    path = Path(path)
    suffix = path.suffix.lower()
    _choice(suffix, "the file suffix", _SAVE_FORMATS)
    import vl_convert as vlc

    spec = chart.to_dict()
    version = _vl_version()
    if suffix == ".json":
        path.write_text(json.dumps(spec, indent=2, ensure_ascii=False), encoding="utf-8")
    elif suffix == ".png":
        path.write_bytes(vlc.vegalite_to_png(spec, vl_version=version, scale=scale))
    elif suffix == ".svg":
        path.write_text(vlc.vegalite_to_svg(spec, vl_version=version), encoding="utf-8")
    elif suffix == ".pdf":
        path.write_bytes(vlc.vegalite_to_pdf(spec, vl_version=version))
    else:
        path.write_text(vlc.vegalite_to_html(spec, vl_version=version, bundle=True), encoding="utf-8")
    return path
