"""Charts of coder agreement: per code, per thread, across rounds, coincidences, and between coders.

Each takes a tidy agreement report (``code, value, ci_low, ci_high`` and optionally
``measure, n_units, n_coders, n_pairable, interpretation, round``, as
:meth:`workbench.Project.agreement` returns) or a square matrix, and draws the reference
lines and bands of :data:`workbench.agreement.THRESHOLDS` (Krippendorff's .667 and .800)
with the words of :func:`workbench.agreement.band`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from ..agreement import OVERALL, REPORT_COLUMNS, THRESHOLDS, band
from ._frames import PALETTE, check_frame, esc, esc_series, rounded

__all__ = ["agreement_by_code", "agreement_by_thread", "agreement_trend", "coincidence_heatmap", "coder_matrix_chart"]

_REPORT = ("code", "value", "ci_low", "ci_high")
_REPORT_OPTIONAL = ("measure", "n_units", "n_coders", "n_pairable", "interpretation")


def _number(value: float) -> str:
    """A threshold as the bands write it: ``.667``."""
    return f"{value:.3f}".replace("0.", ".")


def _thresholds(thresholds: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(t) for t in thresholds)
    except (TypeError, ValueError):
        raise TypeError(f"thresholds must be two numbers (low, high), e.g. (0.667, 0.8); not {thresholds!r}") from None
    if not lo < hi:
        raise ValueError(f"thresholds must be increasing (low, high), e.g. (0.667, 0.8); not {thresholds!r}")
    return lo, hi


def _report_frame(report: Any, name: str, extra: Sequence[str] = ()) -> pd.DataFrame:
    check_frame(report, name, (*_REPORT, *extra))
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
    refs = pd.DataFrame({"value": [lo, hi], "label": [f"{_number(lo)} tentative", f"{_number(hi)} reliable"]})
    enc = {axis: alt.X("value:Q") if axis == "x" else alt.Y("value:Q")}
    rule = alt.Chart(refs).mark_rule(strokeDash=[4, 3], color="#888").encode(**enc)
    style: dict[str, Any] = {"fontSize": 9, "color": "#666"}
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
    thresholds: Sequence[float] = THRESHOLDS,
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
    order = [esc(c) for c in dict.fromkeys(df["code"])]
    domain = _value_domain(df)
    df = df[df["value"].notna()].copy()
    df["band"] = [band(v, lo_hi) for v in df["value"]]
    keep = ["code", "measure", "value", "ci_low", "ci_high", "band", "n_units", "n_coders", "n_pairable", "interpretation"]
    df = df[keep].reset_index(drop=True)
    for c in ("value", "ci_low", "ci_high"):
        df[c] = df[c].round(4)
    for c in ("code", "measure", "interpretation"):
        df[c] = esc_series(df[c])
    several = df["measure"].nunique() > 1
    bands = [band(v, lo_hi) for v in (lo_hi[1], lo_hi[0], lo_hi[0] - 1)]
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
        title = alt.TitleParams(title, subtitle=f"undefined (no variation or too few pairable values): {', '.join(esc(c) for c in undefined)}")
    return alt.LayerChart(layer=[*_reference_rules(lo_hi, "x"), bars, dots]).properties(title=title, width=360, height=alt.Step(30 if several else 22))


def agreement_trend(
    reports: pd.DataFrame | Mapping[Any, pd.DataFrame],
    *,
    measure: str | None = None,
    codes: Sequence[str] | None = None,
    thresholds: Sequence[float] = THRESHOLDS,
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
    rounds = [esc(r) for r in dict.fromkeys(df["round"])]
    code_order = [esc(c) for c in dict.fromkeys(df["code"])]
    domain = _value_domain(df)
    df = df[["round", "code", "value", "ci_low", "ci_high", "n_units", "interpretation"]].reset_index(drop=True)
    for c in ("value", "ci_low", "ci_high"):
        df[c] = df[c].round(4)
    for c in ("round", "code", "interpretation"):
        df[c] = esc_series(df[c])
    pick = alt.selection_point(fields=["code"], bind="legend", name="trend_code")
    x = alt.X("round:O", sort=rounds, title="round", axis=alt.Axis(labelAngle=0))
    y_scale = alt.Scale(domain=domain, nice=False)
    color = alt.Color("code:N", sort=code_order, scale=alt.Scale(domain=code_order, range=list(PALETTE)))
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
    return alt.LayerChart(layer=[*_reference_rules(lo_hi, "y"), bars, lines]).properties(title="Agreement across rounds", width=max(240, 120 * len(rounds)), height=260)


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
    long = rounded(long, ("n", "share", "row_share"))
    order = [esc(r) for r in rows]
    long["row"] = esc_series(long["row"])
    long["column"] = esc_series(long["column"])
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
    return (rect + text).properties(title=esc(title), width=alt.Step(40), height=alt.Step(30))




def coder_matrix_chart(
    matrix: pd.DataFrame, *, n_units: pd.DataFrame | None = None, title: str = "Agreement between each pair of coders"
) -> alt.LayerChart:
    """A coder x coder matrix of a pairwise coefficient as a heatmap (the diagonal left blank).

    Parameters
    ----------
    matrix : DataFrame
        Square, coders as index and columns, the coefficient in the cells (as
        :func:`workbench.agreement.pairwise` returns; ``NaN`` = undefined).
    n_units : DataFrame, optional
        The same shape: the number of units each pair both coded (shown in the tooltip).
    title : str
        Chart title.

    Returns
    -------
    alt.LayerChart
        Data columns: ``coder_a, coder_b, value, n_units, band``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame([[float("nan"), 0.7], [0.7, float("nan")]], index=["al", "bo"], columns=["al", "bo"])
    >>> rows = next(iter(coder_matrix_chart(m).to_dict()["datasets"].values()))
    >>> [(r["coder_a"], r["coder_b"], r["value"], r["band"]) for r in rows]
    [('al', 'bo', 0.7, '.667–.800'), ('bo', 'al', 0.7, '.667–.800')]
    """
    if not isinstance(matrix, pd.DataFrame):
        raise TypeError(f"matrix must be a square pandas DataFrame (coders x coders), not {type(matrix).__name__}")
    coders = [str(c) for c in matrix.index]
    if [str(c) for c in matrix.columns] != coders:
        raise ValueError(f"matrix must have the same coders as index and columns; index {coders}, columns {list(matrix.columns)}")
    rows = []
    for i, a in enumerate(coders):
        for j, b in enumerate(coders):
            if i == j:
                continue
            cell = matrix.iat[i, j]
            value = None if cell is None or (isinstance(cell, float) and math.isnan(cell)) else round(float(cell), 4)
            n = None if n_units is None else int(n_units.iat[i, j])
            rows.append({"coder_a": esc(a), "coder_b": esc(b), "value": value, "n_units": n, "band": band(value)})
    df = pd.DataFrame(rows, columns=["coder_a", "coder_b", "value", "n_units", "band"])
    order = [esc(c) for c in coders]
    base = alt.Chart(df).encode(
        x=alt.X("coder_b:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40, orient="top")),
        y=alt.Y("coder_a:N", sort=order, title=None),
        tooltip=[
            alt.Tooltip("coder_a:N", title="coder"),
            alt.Tooltip("coder_b:N", title="with"),
            alt.Tooltip("value:Q", format=".3f"),
            alt.Tooltip("n_units:Q", title="units both coded"),
            alt.Tooltip("band:N"),
        ],
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color("value:Q", title="alpha", scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1], clamp=True))
    )
    text = base.mark_text(fontSize=11).encode(text=alt.Text("value:Q", format=".2f"))
    return (rect + text).properties(title=esc(title), width=alt.Step(56), height=alt.Step(32))


_BAND_COLORS = ("#1a9850", "#fdae61", "#d73027", "#d9d9d9")  # reliable, tentative, low, undefined


def _group_column(df: pd.DataFrame, by: str | None) -> str:
    if by is not None:
        if by not in df.columns:
            raise ValueError(f"by={by!r} is not a column of the table; its columns are {list(df.columns)}")
        return by
    first = str(df.columns[0]) if len(df.columns) else ""
    if first in REPORT_COLUMNS or first == "":
        raise ValueError(
            "the table has no group column before the report's columns; make it with "
            "project.agreement(by='thread') (or reliability_table(..., by='thread_id')), or name it with by="
        )
    return first


def agreement_by_thread(
    table: pd.DataFrame,
    *,
    by: str | None = None,
    measure: str | None = None,
    top: int = 40,
    thresholds: Sequence[float] = THRESHOLDS,
) -> alt.LayerChart:
    """Agreement per thread and code as a heatmap: which thread the coders read differently.

    One row per thread (or source), one column per code (the report's order: overall,
    exclusive groups, codes); each cell is coloured by the band of
    :func:`workbench.agreement.band` (below .667, tentative, reliable, undefined) and
    shows the coefficient and ``n``, the units behind it. Threads are sorted by their
    overall value, lowest first (undefined last), and only the ``top`` lowest are drawn.

    Parameters
    ----------
    table : DataFrame
        A per-thread report: :meth:`workbench.Project.agreement` with ``by="thread"`` or
        ``by="source"`` (or :func:`workbench.agreement.reliability_table` with ``by=``):
        the group in the first column, then ``code, value, n_units`` (optionally
        ``measure, ci_low, ci_high, n_pairable, interpretation``, shown in the tooltip).
    by : str, optional
        The group column (default: the table's first column).
    measure : str, optional
        The measure to draw; needed when the table holds several.
    top : int
        How many threads to draw at most (the lowest overall agreement first).
    thresholds : (float, float)
        The band limits.

    Returns
    -------
    alt.LayerChart
        Cells, coefficients and counts; the data: ``group, code, value, ci_low, ci_high,
        n_units, n_pairable, band, label, n_label, interpretation``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"thread_id": ["t1", "t1", "t2", "t2"],
    ...     "code": ["(overall)", "praise"] * 2, "measure": "alpha",
    ...     "value": [0.9, 0.85, 0.4, float("nan")], "n_units": [12, 12, 8, 8]})
    >>> spec = agreement_by_thread(table).to_dict()
    >>> rows = spec["datasets"][spec["data"]["name"]]
    >>> [(r["group"], r["code"], r["band"], r["label"], r["n_label"]) for r in rows]
    [('t2', '(overall)', '< .667', '.40', 'n=8'), ('t2', 'praise', 'undefined', '–', 'n=8'), \
('t1', '(overall)', '≥ .800', '.90', 'n=12'), ('t1', 'praise', '≥ .800', '.85', 'n=12')]
    """
    lo_hi = _thresholds(thresholds)
    check_frame(table, "table", ("code", "value", "n_units"))
    group = _group_column(table, by)
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ValueError(f"top must be a positive integer (how many threads to draw); got {top!r}")
    df = table.copy()
    for c in ("measure", "interpretation"):
        df[c] = df[c].fillna("").astype(str) if c in df else ""
    present = [m for m in pd.unique(df["measure"]) if m != ""]
    if measure is None and len(present) > 1:
        raise ValueError(f"the table holds several measures {present}; choose one with measure=")
    df = _pick_measure(df, measure)
    df = df.assign(group=df[group].astype(str), code=df["code"].astype(str))
    for c in ("value", "ci_low", "ci_high", "n_units", "n_pairable"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float) if c in df else np.nan
    # threads by their overall value (else their lowest), lowest first, undefined last
    key = df[df["code"] == OVERALL] if (df["code"] == OVERALL).any() else df
    score = key.groupby("group", sort=False)["value"].min()
    groups = list(dict.fromkeys(df["group"]))
    order = sorted(groups, key=lambda g: (math.isnan(score.get(g, math.nan)), score.get(g, math.nan), groups.index(g)))
    shown, hidden = order[: int(top)], len(order) - min(len(order), int(top))
    df = df[df["group"].isin(shown)]
    df = df.assign(rank=df["group"].map({g: i for i, g in enumerate(shown)})).sort_values("rank", kind="stable")
    codes = list(dict.fromkeys(df["code"]))
    out = pd.DataFrame({
        "group": df["group"],
        "code": df["code"],
        "value": df["value"].round(4),
        "ci_low": df["ci_low"].round(4),
        "ci_high": df["ci_high"].round(4),
        "n_units": df["n_units"].round(),
        "n_pairable": df["n_pairable"].round(),
        "band": [band(v, lo_hi) for v in df["value"]],
        "label": ["–" if math.isnan(v) else f"{v:.2f}".replace("0.", ".", 1) for v in df["value"]],
        "n_label": ["n=?" if math.isnan(n) else f"n={int(n)}" for n in df["n_units"]],
        "interpretation": df["interpretation"],
    }).reset_index(drop=True).astype({"n_units": "Int64", "n_pairable": "Int64"})
    bands = [band(v, lo_hi) for v in (lo_hi[1], lo_hi[0], lo_hi[0] - 1)] + [band(None)]
    noun = "thread" if group == "thread_id" else group
    base = alt.Chart(out).encode(
        x=alt.X("code:N", sort=codes, title=None, axis=alt.Axis(labelAngle=-40, orient="top")),
        y=alt.Y("group:N", sort=shown, title=noun),
        tooltip=[
            alt.Tooltip("group:N", title=noun),
            alt.Tooltip("code:N"),
            alt.Tooltip("value:Q", format=".3f"),
            alt.Tooltip("ci_low:Q", title="CI low", format=".3f"),
            alt.Tooltip("ci_high:Q", title="CI high", format=".3f"),
            alt.Tooltip("n_units:Q", title="units"),
            alt.Tooltip("n_pairable:Q", title="units coded twice or more"),
            alt.Tooltip("band:N"),
            alt.Tooltip("interpretation:N"),
        ],
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color("band:N", title="band", scale=alt.Scale(domain=bands, range=list(_BAND_COLORS)))
    )
    value = base.mark_text(fontSize=11, dy=-6).encode(text="label:N")
    count = base.mark_text(fontSize=8, dy=7, color="#333").encode(text="n_label:N")
    what = f"{present[0] if measure is None and present else measure or 'agreement'}"
    subtitle = f"{what}; lowest agreement first; bands at {_number(lo_hi[0])} and {_number(lo_hi[1])}"
    if hidden:
        subtitle += f"; {hidden} more {noun}(s) not shown"
    title = alt.TitleParams(f"Agreement by {noun}", subtitle=subtitle)
    return alt.LayerChart(layer=[rect, value, count]).properties(title=title, width=alt.Step(64), height=alt.Step(34))
