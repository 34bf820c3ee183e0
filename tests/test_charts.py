"""The charts package as a whole (workbench/charts/__init__.py): every chart keeps
untrusted text as it is (escaped once, where it meets HTML), builds from empty codings,
and stays small with a million codings.

The data are in tests/_charts_data.py; each chart module has its own test file
(tests/test_charts_<module>.py).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from _charts_data import (
    HOSTILE,
    all_charts,
    data_of,
    example_codings,
    example_matrix,
    example_report,
    example_units,
    rows_where,
    synthetic,
)
from workbench import charts


@pytest.fixture
def units() -> pd.DataFrame:
    return example_units()


@pytest.fixture
def codings() -> pd.DataFrame:
    return example_codings()


def test_hostile_text_is_kept_as_text_and_escaped_once_where_it_meets_html(codings, units, tmp_path):
    units = units.copy()
    units["author"] = units["author"] + HOSTILE
    units["author_role"] = units["author_role"].fillna("x") + "<b>"
    units["source"] = units["source"] + "<svg onload=alert(1)>"
    hostile_codings = codings.copy()
    hostile_codings["code"] = hostile_codings["code"].replace({"defensive": "<script>def</script>"})
    hostile_codings["coder"] = hostile_codings["coder"].replace({"bob": "<i>bob"})
    report = example_report().assign(code=lambda d: d["code"] + "<script>", interpretation="<img onerror=x>")
    matrix = example_matrix()
    matrix.index = matrix.columns = [c + "<script>" for c in matrix.columns]
    made = all_charts(hostile_codings, units)
    made["thread_tree"] = charts.thread_tree(hostile_codings, units, "wp")
    made["agreement_by_code"] = charts.agreement_by_code(report)
    made["agreement_trend"] = charts.agreement_trend({"<b>r1": report})
    made["coincidence_heatmap"] = charts.coincidence_heatmap(matrix, title="<script>")
    made["by_thread"] = charts.code_frequencies(hostile_codings, units, by="thread")
    for name, chart in made.items():
        spec = chart.to_dict()
        # the text is the text: Vega shows it as SVG text and its tooltip escapes it, so
        # an entity here would be escaped a second time on the screen
        assert "&lt;" not in json.dumps(spec) and "&amp;" not in json.dumps(spec), name
    # where a chart meets HTML, its JSON cannot end the <script> it sits in
    for name in ("code_frequencies", "thread_tree", "coincidence_heatmap"):
        page = charts.save(made[name], tmp_path / f"{name}.html").read_text(encoding="utf-8")
        body = page[page.index("</head>"):]
        assert "<script>" not in body and "</script><" not in body and "<img" not in body, name
    assert "<script>def</script>" in json.dumps(made["code_frequencies"].to_dict())
    nodes = data_of(made["thread_tree"].to_dict(), 1)
    (hostile,) = rows_where(nodes, unit_id="wp:6")
    assert hostile["text"] == HOSTILE
    assert hostile["author"].startswith("Anon<script>")
    assert rows_where(nodes, unit_id="wp:1")[0]["text"].startswith("We're not all")


def test_empty_codings_build_empty_charts(units):
    empty = pd.DataFrame({"unit_id": pd.Series(dtype=str), "coder": pd.Series(dtype=str), "code": pd.Series(dtype=str)})
    for chart in (
        charts.code_frequencies(empty),
        charts.cooccurrence(empty),
        charts.reply_transitions(empty, units),
        charts.reply_flow(empty, units),
        charts.codes_by_depth(empty, units),
        charts.codes_over_time(empty, units),
        charts.coder_code_rates(empty),
        charts.thread_tree(empty, units, "wp"),
    ):
        assert chart.to_dict()


@pytest.mark.slow
def test_every_chart_stays_small_with_a_million_codings():
    codings, units = synthetic()
    assert len(codings) == 1_000_000
    made = {
        "code_frequencies": charts.code_frequencies(codings),
        "by_thread": charts.code_frequencies(codings, units, by="thread"),
        "by_source": charts.code_frequencies(codings, units, by="source"),
        "by_role": charts.code_frequencies(codings, units, by="author_role"),
        "by_coder": charts.code_frequencies(codings, by="coder"),
        "cooccurrence": charts.cooccurrence(codings),
        "reply_transitions": charts.reply_transitions(codings, units),
        "reply_transitions_role": charts.reply_transitions(codings, units, by="author_role"),
        "reply_flow": charts.reply_flow(codings, units),
        "codes_by_depth": charts.codes_by_depth(codings, units),
        "codes_over_time": charts.codes_over_time(codings, units, freq="W"),
        "codes_over_time_coded": charts.codes_over_time(codings, freq="auto", when="coded"),
        "thread_tree": charts.thread_tree(codings, units, "t7"),
        "code_explorer": charts.code_explorer(codings, units),
        "coder_code_rates": charts.coder_code_rates(codings),
        "agreement_by_code": charts.agreement_by_code(example_report()),
        "agreement_trend": charts.agreement_trend({"r1": example_report(), "r2": example_report()}),
        "coincidence_heatmap": charts.coincidence_heatmap(example_matrix()),
    }
    sizes = {}
    for name, chart in made.items():
        spec = chart.to_dict()  # raises MaxRowsError if more than 5,000 rows reached the spec
        sizes[name] = len(json.dumps(spec))
    assert max(sizes.values()) < 200_000, sizes
    total = sum(r["n_codings"] for r in data_of(made["code_frequencies"].to_dict()))
    assert total == 1_000_000
