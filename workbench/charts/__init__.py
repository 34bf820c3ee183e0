"""Charts of coded conversation threads and of coder agreement.

Every function takes plain DataFrames, aggregates them in pandas, and returns an
Altair chart; nothing is displayed. Charts with one mark are ``alt.Chart``; charts
that need reference lines, labels or edges are ``alt.LayerChart`` (``a + b``), the
``by=`` view of :func:`code_frequencies` is an ``alt.FacetChart`` and
:func:`code_explorer` (linked selection) an ``alt.HConcatChart``. All of them have
``to_dict()``, ``save()`` and display in Jupyter; :func:`save` writes PNG, SVG, PDF,
HTML or JSON offline through vl-convert.

Modules
-------
:mod:`~workbench.charts.patterns`
    :func:`code_frequencies`, :func:`cooccurrence`, :func:`coder_code_rates`,
    :func:`code_explorer`.
:mod:`~workbench.charts.depth_time`
    :func:`codes_by_depth`, :func:`codes_over_time`.
:mod:`~workbench.charts.replies`
    :func:`reply_transitions`, :func:`reply_flow`.
:mod:`~workbench.charts.threads`
    :func:`thread_tree`.
:mod:`~workbench.charts.reliability`
    :func:`agreement_by_code`, :func:`agreement_by_thread`, :func:`agreement_trend`,
    :func:`coincidence_heatmap`, :func:`coder_matrix_chart`.
:mod:`~workbench.charts.render`
    :func:`save`, and the one place vl-convert draws a chart (SVG, PNG, Vega) for the
    dashboard, the reliability report and publishing.

A new chart is a function in the module of its concept (or a new module), exported here.

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
    or a square coincidence matrix; per thread, the report of
    ``project.agreement(by="thread")`` (:func:`agreement_by_thread`).

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
codes, coder names) is kept as it is and escaped exactly once, where it meets HTML:
Vega draws it as SVG text (markup in a label is shown, never parsed), vega-tooltip
escapes it in tooltips, and a chart's specification goes into an HTML page as JSON
through :func:`workbench.escape.json_for_script` (:func:`save`,
:func:`workbench.report.publish`), so a ``<script>`` in a post shows as text and never
runs.

Size
----
Charts hold aggregates, never raw codings; groups beyond ``top``, depths beyond
``max_depth``, thread trees beyond ``max_units`` and long texts are capped, so a
chart built from a million codings stays far below Altair's 5,000-row limit and
under 200 KB of spec.
"""

from __future__ import annotations

from ._frames import NOT_CODED
from .depth_time import codes_by_depth, codes_over_time
from .patterns import code_explorer, code_frequencies, coder_code_rates, cooccurrence
from .reliability import (
    agreement_by_code,
    agreement_by_thread,
    agreement_trend,
    coder_matrix_chart,
    coincidence_heatmap,
)
from .render import save
from .replies import reply_flow, reply_transitions
from .threads import thread_tree

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
    "agreement_by_thread",
    "agreement_trend",
    "coincidence_heatmap",
    "coder_matrix_chart",
    "save",
]
