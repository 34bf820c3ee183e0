"""The reliability dashboard: how well coders agree, per code, per round and per coder.

For supervisors. An ipywidgets composition: a dropdown for the round (or all codings), a
dropdown for the code group, a reload button, and five charts of :mod:`workbench.charts`
built from :meth:`Project.agreement` and :mod:`workbench.agreement`:

``agreement``
    per-code alpha with its 95% bootstrap interval (:func:`~workbench.charts.agreement_by_code`);
``trend``
    the same across the project's rounds (:func:`~workbench.charts.agreement_trend`);
``coders``
    the coder x coder matrix of pairwise alpha (:func:`~workbench.charts.coder_matrix_chart`);
``coincidence``
    the coincidence matrix of the chosen code group
    (:func:`~workbench.charts.coincidence_heatmap`);
``rates``
    each coder's rate of use of each code, so that a coder who over- or under-uses a
    code stands out (:func:`~workbench.charts.coder_code_rates`).

Building the charts is plain Python: :meth:`ReliabilityDashboard.charts` returns them as
a dict of Altair charts for the current selection, and :meth:`~ReliabilityDashboard.report`,
:meth:`~ReliabilityDashboard.coder_matrix` and :meth:`~ReliabilityDashboard.coincidences`
the tables behind them. On screen the charts are drawn as SVG by vl-convert (offline: no
JavaScript from a CDN), with the per-code report as a table beside them.

What the code group means for each chart: an *exclusive* group (one code per unit)
is one nominal variable, the group's code a coder applied or ``"(none)"``; any other
selection (a non-exclusive group, or all codes) is the *set* of its codes each coder
applied, compared with the MASI distance.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from types import EllipsisType
from typing import Any

import altair as alt
import ipywidgets as W
import numpy as np
import pandas as pd

from .. import charts
from .. import escape as _escape
from ..agreement import AgreementWarning, coincidence_matrix, pairwise
from ..charts import coder_matrix_chart
from ..charts.render import to_svg
from ..codebook import Codebook
from ..project import Project
from ..sentinels import ALL_ROUNDS

__all__ = ["ReliabilityDashboard", "coder_matrix_chart", "ALL_CODES", "ALL_CODINGS", "NONE"]

#: The code-group choice that means every code of the codebook.
ALL_CODES = ""
#: The round choice that means every current coding, in rounds or not.
ALL_CODINGS = None
#: The value of an exclusive group for a coder who applied none of its codes.
NONE = "(none)"
_OTHER = "(other combinations)"
_MAX_CATEGORIES = 12
_CHART_KEYS = ("agreement", "trend", "coders", "coincidence", "rates")


class ReliabilityDashboard(W.VBox):
    """Inter-rater reliability at a glance, for supervisors.

    Parameters
    ----------
    project : Project
        The project store.
    round : str, optional
        The round shown first (a name from ``project.rounds()``); by default the newest
        round, or every coding when there is none. ``None`` is every current coding.
    group : str, optional
        The code group shown first (a group name of the codebook); ``""`` (the default)
        is all codes.
    n_boot : int
        Bootstrap resamples for the confidence intervals.
    seed : int or None
        Seed of the bootstrap (the same seed gives the same intervals).
    codebook_version : int, optional
        The codebook whose groups and order are used; the newest by default.
    render : bool
        Draw the charts on screen (SVG). ``False`` builds only the controls, for working
        with :meth:`charts` and the tables in code.

    Attributes
    ----------
    round_picker, group_picker, reload_button : ipywidgets
        The controls (``round_picker.value`` is a round name, or None for all codings).
    views : dict of str to ipywidgets.HTML
        Where each chart is drawn, by the keys of :meth:`charts`.

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> project.add_units(wb.make_units([{"unit_id": f"u{i}", "thread_id": "t", "text": "..."} for i in range(4)]))
    4
    >>> project.add_codebook(wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."},
    ...     {"name": "blame", "label": "Blame", "definition": "Blames someone."}]}))
    1
    >>> for coder in ("al", "bo"):
    ...     _ = project.add_coder(coder)
    >>> _ = project.new_round("pilot", coders=["al", "bo"])
    >>> for unit, al, bo in [("u0", "thanks", "thanks"), ("u1", "blame", "blame"),
    ...                      ("u2", "thanks", "blame"), ("u3", "blame", "blame")]:
    ...     _ = project.code(unit, al, coder="al", round="pilot")
    ...     _ = project.code(unit, bo, coder="bo", round="pilot")
    >>> dash = ReliabilityDashboard(project, n_boot=200, render=False)
    >>> dash.round_picker.value, sorted(dash.charts())
    ('pilot', ['agreement', 'coders', 'coincidence', 'rates', 'trend'])
    >>> dash.report()[["code", "value", "n_pairable"]].round(3).values.tolist()
    [['(overall)', 0.533, 4], ['thanks', 0.533, 4], ['blame', 0.533, 4]]
    >>> round(float(dash.coder_matrix().loc["al", "bo"]), 3)
    0.533
    >>> project.close()
    """

    def __init__(
        self,
        project: Project,
        *,
        round: str | None | EllipsisType = ...,
        group: str = ALL_CODES,
        n_boot: int = 1000,
        seed: int | None = 0,
        codebook_version: int | None = None,
        render: bool = True,
        **kwargs: Any,
    ) -> None:
        if not isinstance(project, Project):
            raise TypeError(
                f"ReliabilityDashboard takes a workbench Project (wb.open_project(path)), not {type(project).__name__}"
            )
        if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
            raise ValueError(f"n_boot must be a positive integer, e.g. 1000; not {n_boot!r}")
        self.project = project
        self.n_boot = int(n_boot)
        self.seed = seed
        self.codebook: Codebook = project.codebook(codebook_version)
        self._render = bool(render)
        self._cache: dict[Any, Any] = {}

        self.round_picker = W.Dropdown(description="Round", layout=W.Layout(width="22em"))
        self.round_picker.add_class("wb-dash-round")
        self.group_picker = W.Dropdown(description="Codes", layout=W.Layout(width="22em"))
        self.group_picker.add_class("wb-dash-group")
        self.reload_button = W.Button(description="Reload", tooltip="Read the store again (new codings)", icon="refresh")
        self.reload_button.add_class("wb-dash-reload")
        self.status = W.HTML()
        self.status.add_class("wb-dash-status")
        self.views: dict[str, W.HTML] = {}
        for key in (*_CHART_KEYS, "table"):
            view = W.HTML()
            view.add_class(f"wb-dash-{key}")
            self.views[key] = view

        self.group_picker.options = self._group_options()
        names = [g for _, g in self.group_picker.options]
        if group not in names:
            raise ValueError(f"group {group!r} is not a code group of the codebook; groups: {names[1:]} or '' (all codes)")
        self.group_picker.value = group
        self._set_round_options()
        if round is not ...:
            choices = [v for _, v in self.round_picker.options]
            if round not in choices:
                raise ValueError(f"round {round!r} does not exist; rounds: {choices[1:]} or None (all codings)")
            self.round_picker.value = round

        controls = W.HBox([self.round_picker, self.group_picker, self.reload_button])
        grid = W.GridBox(
            [self.views["agreement"], self.views["table"], self.views["trend"], self.views["coders"],
             self.views["coincidence"], self.views["rates"]],
            layout=W.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))", grid_gap="12px 16px"),
        )  # fmt: skip
        super().__init__([controls, self.status, grid], **kwargs)
        self.add_class("wb-dashboard")
        self.round_picker.observe(self._changed, names="value")
        self.group_picker.observe(self._changed, names="value")
        self.reload_button.on_click(lambda _: self.reload())
        self.update()

    # --- choices -----------------------------------------------------------------------
    def _group_options(self) -> list[tuple[str, str]]:
        opts = [("All codes", ALL_CODES)]
        for g in self.codebook.groups:
            if self._group_codes(g.name):
                opts.append((f"{g.label or g.name}{' (one per unit)' if g.exclusive else ''}", g.name))
        return opts

    def _rounds(self) -> pd.DataFrame:
        return self.project.rounds()

    def _set_round_options(self) -> None:
        rounds = self._rounds()
        names = [str(r) for r in rounds["round"]] if len(rounds) else []
        current = self.round_picker.value if self.round_picker.options else ...
        self.round_picker.options = [("All codings", ALL_CODINGS)] + [(n, n) for n in names]
        if current is ... or current not in [ALL_CODINGS, *names]:
            self.round_picker.value = names[-1] if names else ALL_CODINGS
        else:
            self.round_picker.value = current

    def _group_codes(self, group: str) -> list[str]:
        codable = [c for c in self.codebook.codes if getattr(c, "codable", True)]
        if group == ALL_CODES:
            return [c.name for c in codable]
        return [c.name for c in codable if c.group == group]

    def _exclusive(self, group: str) -> bool:
        return group != ALL_CODES and any(g.name == group and g.exclusive for g in self.codebook.groups)

    @property
    def round(self) -> str | None:
        """The round shown (None: every current coding)."""
        return self.round_picker.value

    @property
    def group(self) -> str:
        """The code group shown (``""``: all codes)."""
        return self.group_picker.value

    # --- data --------------------------------------------------------------------------
    def _codings(self, round: str | None) -> pd.DataFrame:
        key = ("codings", round)
        if key not in self._cache:
            self._cache[key] = self.project.codings(round=ALL_ROUNDS if round is ALL_CODINGS else round)
        return self._cache[key]

    def report(self, round: str | None | EllipsisType = ..., group: str | None = None) -> pd.DataFrame:
        """The agreement report behind the ``agreement`` chart (the current selection by default).

        The rows of :meth:`Project.agreement` for the group: its codes, its
        ``group:<name>`` row when it is exclusive, and the ``(overall)`` row (alpha on the
        sets of the group's codes, MASI distance), computed on the round's codings.
        """
        round = self.round if round is ... else round
        group = self.group if group is None else group
        key = ("report", round, group)
        if key not in self._cache:
            codes = self._group_codes(group)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AgreementWarning)
                rep = self.project.agreement(
                    round=ALL_ROUNDS if round is ALL_CODINGS else round,
                    codes=codes or None,
                    ci=True,
                    n_boot=self.n_boot,
                    seed=self.seed,
                )
            keep = {"(overall)", *codes} | ({f"group:{group}"} if group != ALL_CODES else set())
            if group == ALL_CODES:
                keep |= {c for c in rep["code"] if str(c).startswith("group:")}
            self._cache[key] = rep[rep["code"].isin(keep)].reset_index(drop=True)
        return self._cache[key]

    def trend_reports(self, group: str | None = None) -> dict[str, pd.DataFrame]:
        """``{round: report}`` for every round, oldest first (the data of the ``trend`` chart)."""
        group = self.group if group is None else group
        return {str(r): self.report(str(r), group) for r in self._rounds()["round"]}

    def _values(self, round: str | None, group: str) -> tuple[pd.DataFrame, bool]:
        """A units x coders table of the group's variable.

        A cell is a code or NONE (exclusive group), else the frozenset of the group's codes
        a coder applied; missing where a coder did not code the unit (or applied two codes
        of an exclusive group).
        """
        df = self._codings(round)
        codes = set(self._group_codes(group))
        exclusive = self._exclusive(group)
        units = sorted(pd.unique(df["unit_id"]).tolist())
        coders = sorted(pd.unique(df["coder"]).tolist())
        cells: dict[tuple[str, str], set[str]] = {}
        for u, c, code in zip(df["unit_id"], df["coder"], df["code"]):
            s = cells.setdefault((u, c), set())
            if code in codes:
                s.add(code)
        table = pd.DataFrame(index=pd.Index(units, name="unit_id"), columns=pd.Index(coders, name="coder"), dtype=object)
        for (u, c), s in cells.items():
            if exclusive:
                table.at[u, c] = NONE if not s else (next(iter(s)) if len(s) == 1 else None)
            else:
                table.at[u, c] = frozenset(s)
        return table, exclusive

    def coder_matrix(self, round: str | None | EllipsisType = ..., group: str | None = None) -> pd.DataFrame:
        """Pairwise alpha of every two coders on the group's variable (the ``coders`` chart).

        Nominal alpha for an exclusive group, MASI-distance alpha on sets otherwise; each
        pair on the units both coded; ``NaN`` where undefined and on the diagonal.
        """
        round = self.round if round is ... else round
        group = self.group if group is None else group
        key = ("pairwise", round, group)
        if key not in self._cache:
            table, exclusive = self._values(round, group)
            if table.shape[1] < 2:
                out = pd.DataFrame(np.nan, index=table.columns, columns=table.columns)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", AgreementWarning)
                    out = pairwise("krippendorff_alpha", table, **({} if exclusive else {"distance": "masi"}))
            self._cache[key] = out
        return self._cache[key]

    def _pair_counts(self, round: str | None, group: str) -> pd.DataFrame:
        table, _ = self._values(round, group)
        coded = table.notna().to_numpy().astype(int)
        n = coded.T @ coded
        return pd.DataFrame(n, index=table.columns, columns=table.columns)

    def coincidences(self, round: str | None | EllipsisType = ..., group: str | None = None) -> pd.DataFrame:
        """Krippendorff's coincidence matrix of the group's variable (the ``coincidence`` chart).

        Categories are the group's codes and ``(none)`` for an exclusive group; for sets,
        the combinations ``"a; b"`` as coded, the rarest beyond twelve pooled as
        ``(other combinations)``.
        """
        round = self.round if round is ... else round
        group = self.group if group is None else group
        key = ("coincidences", round, group)
        if key not in self._cache:
            table, exclusive = self._values(round, group)
            if exclusive:
                cats = [*self._group_codes(group), NONE]
                labelled = table
            else:
                labelled = table.map(lambda s: (("; ".join(self._ordered(s)) or NONE) if isinstance(s, frozenset) else None))
                freq = pd.Series(labelled.to_numpy().ravel()).dropna().value_counts()
                top = list(freq.index[:_MAX_CATEGORIES])
                if len(freq) > _MAX_CATEGORIES:
                    labelled = labelled.map(lambda v: v if v is None or v in top else _OTHER)
                    top.append(_OTHER)
                cats = top
            if not cats or labelled.size == 0:
                out = pd.DataFrame(0.0, index=cats, columns=cats)
            else:
                out = coincidence_matrix(labelled, categories=cats)
                out.index, out.columns = cats, cats
            self._cache[key] = out
        return self._cache[key]

    def _ordered(self, names: frozenset[str]) -> list[str]:
        order = self.codebook.names
        return [c for c in order if c in names] + sorted(c for c in names if c not in order)

    def _rate_codings(self, round: str | None, group: str) -> pd.DataFrame:
        """Codings for the rates chart.

        The group's codes, plus one ``(no <group> code)`` row where a coder coded a unit
        with none of them, so rates stay shares of the units each coder coded.
        """
        df = self._codings(round)[["unit_id", "coder", "code"]]
        if group == ALL_CODES:
            return df
        codes = set(self._group_codes(group))
        inside = df[df["code"].isin(codes)]
        have = set(zip(inside["unit_id"], inside["coder"]))
        coded = df[["unit_id", "coder"]].drop_duplicates()
        none = coded[[(u, c) not in have for u, c in zip(coded["unit_id"], coded["coder"])]]
        label = f"(no {group} code)"
        return pd.concat([inside, none.assign(code=label)], ignore_index=True)

    # --- charts ------------------------------------------------------------------------
    def charts(self) -> dict[str, alt.TopLevelMixin]:
        """The dashboard's charts for the current round and group, as Altair charts.

        Keys: ``agreement``, ``trend``, ``coders``, ``coincidence``, ``rates``.
        """
        round, group = self.round, self.group
        label = dict(self.group_picker.options)
        label = {v: k for k, v in label.items()}.get(group, group)
        where = "all codings" if round is None else f"round {round}"
        out: dict[str, alt.TopLevelMixin] = {}
        out["agreement"] = charts.agreement_by_code(self.report()).properties(
            title=alt.TitleParams(f"Agreement by code ({where})", subtitle=f"{label}: Krippendorff's alpha, 95% bootstrap interval")
        )
        trend = self.trend_reports()
        out["trend"] = charts.agreement_trend(trend) if trend else charts.agreement_trend({})
        out["coders"] = coder_matrix_chart(
            self.coder_matrix(), n_units=self._pair_counts(round, group), title=f"Alpha between each pair of coders ({label})"
        )
        out["coincidence"] = charts.coincidence_heatmap(self.coincidences(), title=f"Coincidences: {label} ({where})")
        rates = self._rate_codings(round, group)
        if len(rates):
            out["rates"] = charts.coder_code_rates(rates, codebook=self.codebook)
        else:
            out["rates"] = charts.coder_code_rates(pd.DataFrame({"unit_id": [], "coder": [], "code": []}))
        return out

    # --- on screen ---------------------------------------------------------------------
    def reload(self) -> None:
        """Read the store again (new rounds, new codings) and redraw."""
        self._cache.clear()
        self._set_round_options()
        self.update()

    def _changed(self, change: Mapping[str, Any]) -> None:
        self.update()

    def update(self) -> None:
        """Redraw the charts for the current selection."""
        codings = self._codings(self.round)
        n_units, n_coders = codings["unit_id"].nunique(), codings["coder"].nunique()
        where = "all codings" if self.round is None else f"round {self.round}"
        self.status.value = (
            f"<span class='wb-dash-summary'>{_escape.html(where)}: {n_units} units coded by {n_coders} coder(s); "
            f"intervals from {self.n_boot} bootstrap resamples.</span>"
        )
        if not self._render:
            return
        if n_units == 0:
            for view in self.views.values():
                view.value = ""
            self.status.value += " <em>No codings yet: nothing to compare.</em>"
            return
        built = self.charts()
        for key, chart in built.items():
            self.views[key].value = _svg(chart)
        self.views["table"].value = _table(self.report())


def _svg(chart: alt.TopLevelMixin) -> str:
    """The chart as inline SVG, drawn offline by vl-convert."""
    try:
        return to_svg(chart)
    except Exception as exc:  # vl-convert reports any rendering problem as a plain Exception
        return f"<div class='wb-dash-error'>This chart could not be drawn: {_escape.html(exc)}</div>"


def _table(report: pd.DataFrame) -> str:
    """The per-code report as an HTML table, every cell escaped."""
    head = ["code", "alpha", "95% interval", "units", "pairable", "interpretation"]
    rows = []
    for r in report.to_dict("records"):
        def num(x: Any) -> str:
            return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"

        ci = "–" if num(r["ci_low"]) == "–" else f"{num(r['ci_low'])} – {num(r['ci_high'])}"
        cells = [r["code"], num(r["value"]), ci, r["n_units"], r["n_pairable"], r["interpretation"]]
        rows.append("<tr>" + "".join(f"<td>{_escape.html(c)}</td>" for c in cells) + "</tr>")
    return (
        "<table class='wb-dash-report'><thead><tr>"
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
