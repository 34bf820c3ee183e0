"""Which codes, how often, together, and by whom: frequencies, co-occurrence, coder rates, the explorer.

See :mod:`workbench.charts` for the inputs and how several coders are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from ._frames import (
    UNKNOWN,
    CodeColors,
    attach,
    check_int,
    choice,
    code_color,
    code_order,
    esc,
    esc_series,
    rounded,
    select_codings,
    units_frame,
)
from .depth_time import _codes_by_depth, _codes_over_time

__all__ = ["code_frequencies", "cooccurrence", "coder_code_rates", "code_explorer"]

_BY = {
    "thread": "thread_id",
    "thread_id": "thread_id",
    "source": "source",
    "platform": "source",
    "author_role": "author_role",
    "role": "author_role",
    "coder": "coder",
}


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
    df = select_codings(codings, coder)
    if by is not None:
        choice(by, "by", list(_BY) + [None])
    choice(show, "show", ["count", "share", None])
    top = check_int(top, "top", 1)
    show = show or ("share" if by else "count")
    order = code_order(df["code"], codebook)
    group_col = _BY.get(by) if by else None
    if group_col and group_col != "coder":
        if units is None:
            raise ValueError(f"by={by!r} needs the units table: code_frequencies(codings, units, by={by!r})")
        df = attach(df, units_frame(units, [group_col]), [group_col], how="left")
        df[group_col] = df[group_col].astype("str").fillna(UNKNOWN)
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
    agg = rounded(agg)
    agg["code"] = pd.Categorical(agg["code"], categories=order)
    agg["group"] = pd.Categorical(agg["group"], categories=keep)
    agg = agg.sort_values(["group", "code"]).reset_index(drop=True)
    agg["code"] = esc_series(agg["code"].astype(str))
    agg["panel"] = [f"{esc(g)} ({n} units)" for g, n in zip(agg["group"].astype(str), agg["group_units"])]
    agg["group"] = esc_series(agg["group"].astype(str))
    agg["label"] = [f"{n} unit" if n == 1 else f"{n} units" for n in agg["n_units"]]
    if not group_col:
        agg = agg.drop(columns=["group", "panel", "group_units"])

    x_field = "n_codings" if show == "count" else "share"
    x = alt.X(
        f"{x_field}:Q",
        title="codings" if show == "count" else "share of coded units",
        axis=alt.Axis(format="d", tickMinStep=1) if show == "count" else alt.Axis(format=".0%"),
    )
    y = alt.Y("code:N", title=None, sort=[esc(c) for c in order])
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
    bars = base.mark_bar().encode(x=x, y=y, color=code_color("code", order, codebook, legend=False), tooltip=tooltip)
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
    df = select_codings(codings, coder)
    order = code_order(df["code"], codebook)
    obs = df[["obs", "code"]]
    pairs = obs.merge(obs, on="obs", suffixes=("_a", "_b"))
    agg = pairs.groupby(["code_a", "code_b"]).size().rename("n").reset_index()
    n_a = obs.groupby("code").size()
    agg["n_a"] = agg["code_a"].map(n_a).astype(int)
    agg["share"] = agg["n"] / agg["n_a"]
    agg["same"] = agg["code_a"] == agg["code_b"]
    agg = rounded(agg)
    for c in ("code_a", "code_b"):
        agg[c] = pd.Categorical(agg[c], categories=order)
    agg = agg.sort_values(["code_a", "code_b"]).reset_index(drop=True)
    for c in ("code_a", "code_b"):
        agg[c] = esc_series(agg[c].astype(str))
    sort = [esc(c) for c in order]
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
    df = select_codings(codings, coder)
    order = code_order(df["code"], codebook)
    n = df.groupby(["coder", "code"]).size().unstack(fill_value=0)
    n_coded = df.groupby("coder")["uid"].nunique()
    agg = n.stack().rename("n").reset_index() if n.size else pd.DataFrame({"coder": [], "code": [], "n": []})
    agg["n_coded"] = agg["coder"].map(n_coded).astype(int)
    agg["rate"] = agg["n"] / agg["n_coded"]
    pooled = df.groupby("code").size() / max(int(n_coded.sum()), 1)
    agg["pooled"] = agg["code"].map(pooled).astype(float)
    agg["difference"] = agg["rate"] - agg["pooled"]
    agg = rounded(agg, ("rate", "pooled", "difference"))
    coders = sorted(pd.unique(df["coder"]))
    agg["code"] = pd.Categorical(agg["code"], categories=order)
    agg = agg.sort_values(["coder", "code"]).reset_index(drop=True)
    agg["code"] = esc_series(agg["code"].astype(str))
    agg["coder"] = esc_series(agg["coder"].astype(str))
    lim = max(float(agg["difference"].abs().max()) if len(agg) else 0.0, 0.05)
    base = alt.Chart(agg).encode(
        x=alt.X("code:N", sort=[esc(c) for c in order], title=None, axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("coder:N", sort=[esc(c) for c in coders], title="coder"),
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


