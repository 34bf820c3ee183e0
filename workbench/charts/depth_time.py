"""Where and when codes appear: response types by depth in the thread and over time.

See :mod:`workbench.charts` for the inputs and how several coders are counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from ._frames import (
    CodeColors,
    attach,
    check_int,
    choice,
    code_color,
    code_order,
    depth_labels,
    esc_series,
    rounded,
    select_codings,
    units_frame,
)

__all__ = ["codes_by_depth", "codes_over_time"]

_FREQS = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}


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
        color=code_color("code", order, codebook),
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
    return rounded(agg)


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


def _codes_by_depth(
    codings: pd.DataFrame,
    units: pd.DataFrame,
    *,
    coder: str | Sequence[str] | None,
    max_depth: int,
    show: str,
    codebook: CodeColors,
    picked: alt.Parameter | None = None,
) -> alt.Chart:
    max_depth = check_int(max_depth, "max_depth", 1)
    choice(show, "show", ["share", "count"])
    df = select_codings(codings, coder)
    df = attach(df, units_frame(units, ["depth"]), ["depth"])
    df["depth"], labels = depth_labels(df["depth"], max_depth)
    agg = _by_group(df, "depth")
    order = code_order(agg["code"], codebook)
    agg["depth"] = pd.Categorical(agg["depth"], categories=labels)
    agg["code"] = pd.Categorical(agg["code"], categories=order)
    agg = agg.sort_values(["depth", "code"]).reset_index(drop=True)
    agg["depth"] = agg["depth"].astype(str)
    agg["code"] = esc_series(agg["code"].astype(str))
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


def _codes_over_time(
    codings: pd.DataFrame,
    units: pd.DataFrame | None,
    *,
    freq: str,
    when: str,
    coder: str | Sequence[str] | None,
    show: str,
    max_periods: int,
    codebook: CodeColors,
    picked: alt.Parameter | None = None,
) -> alt.Chart:
    choice(freq, "freq", [*_FREQS, "auto"])
    choice(when, "when", ["posted", "coded"])
    choice(show, "show", ["share", "count"])
    max_periods = check_int(max_periods, "max_periods", 1)
    if when == "coded":
        df = select_codings(codings, coder, extra=("at",)).rename(columns={"at": "time"})
    else:
        if units is None:
            raise ValueError("when='posted' needs the units table (posted_at): codes_over_time(codings, units)")
        df = attach(select_codings(codings, coder), units_frame(units, ["posted_at"]), ["posted_at"])
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
    order = code_order(agg["code"], codebook)
    agg["code"] = pd.Categorical(agg["code"], categories=order)
    agg = agg.sort_values(["period", "code"]).reset_index(drop=True)
    agg["code"] = esc_series(agg["code"].astype(str))
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


