"""Frequencies, co-occurrence, coder rates and the explorer (workbench/charts/patterns.py).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from _charts_data import (
    CODEBOOK,
    data_of,
    example_codings,
    example_units,
    rows_where,
)
from workbench import charts


@pytest.fixture
def units() -> pd.DataFrame:
    return example_units()


@pytest.fixture
def codings() -> pd.DataFrame:
    return example_codings()


def test_code_frequencies_counts_each_coder_and_units(codings):
    spec = charts.code_frequencies(codings, codebook=CODEBOOK).to_dict()
    rows = {r["code"]: r for r in data_of(spec)}
    # defensive: alice wp:1, wp:6, tw:1; bob wp:1, wp:4 -> 5 codings on 4 units
    assert rows["defensive"]["n_codings"] == 5
    assert rows["defensive"]["n_units"] == 4
    # coded units (unit x coder): alice 12 + bob 6 = 18
    assert rows["defensive"]["n_coded"] == 18
    assert rows["defensive"]["share"] == round(5 / 18, 4)
    assert rows["gratitude"]["n_codings"] == 2
    # codebook order on the axis, labels of units beside each bar
    bars, text = spec["layer"]
    assert bars["encoding"]["y"]["sort"][:3] == ["disclosure", "validating", "defensive"]
    assert bars["encoding"]["x"]["field"] == "n_codings"
    assert text["encoding"]["text"]["field"] == "label"
    assert rows["defensive"]["label"] == "4 units"
    assert bars["encoding"]["color"]["scale"]["range"][2] == "#d95f02"


def test_code_frequencies_one_coder(codings):
    rows = {r["code"]: r for r in data_of(charts.code_frequencies(codings, coder="bob").to_dict())}
    assert rows["defensive"]["n_codings"] == 2
    assert rows["challenge"]["share"] == round(2 / 6, 4)
    assert "gratitude" not in rows


def test_code_frequencies_by_source_shares(codings, units):
    chart = charts.code_frequencies(codings, units, by="platform")
    assert isinstance(chart, alt.FacetChart)
    spec = chart.to_dict()
    rows = data_of(spec)
    (tw_def,) = rows_where(rows, group="twitter", code="defensive")
    # twitter: alice only, 5 coded units, 1 defensive
    assert tw_def["n_codings"] == 1 and tw_def["n_coded"] == 5 and tw_def["share"] == 0.2
    assert tw_def["panel"] == "twitter (5 units)"
    (wp_def,) = rows_where(rows, group="wordpress", code="defensive")
    assert wp_def["n_codings"] == 4 and wp_def["n_coded"] == 13
    assert spec["spec"]["layer"][0]["encoding"]["x"]["field"] == "share"
    assert spec["facet"]["field"] == "panel"


def test_code_frequencies_by_role_and_top(codings, units):
    rows = data_of(charts.code_frequencies(codings, units, by="author_role", top=2).to_dict())
    groups = {r["group"] for r in rows}
    # roles by units: professional 4, patient 5, carer 2, unknown 1 -> top 2 + other
    assert groups == {"patient", "professional", "(other 2 author_roles)"}


def test_code_frequencies_checks_inputs(codings, units):
    with pytest.raises(ValueError, match="by='forum'.*thread"):
        charts.code_frequencies(codings, units, by="forum")
    with pytest.raises(ValueError, match="needs the units table"):
        charts.code_frequencies(codings, by="thread")
    with pytest.raises(ValueError, match=r"coder \['carol'\].*\['alice', 'bob'\]"):
        charts.code_frequencies(codings, coder="carol")
    with pytest.raises(ValueError, match="missing column.*'code'"):
        charts.code_frequencies(codings.drop(columns="code"))
    with pytest.raises(TypeError, match="DataFrame"):
        charts.code_frequencies([("a", "alice", "x")])
    with pytest.raises(ValueError, match="show='percent'.*'count', 'share'"):
        charts.code_frequencies(codings, show="percent")


def test_span_codings_count_once_per_unit(codings):
    extra = pd.DataFrame({"unit_id": ["wp:1"], "coder": ["alice"], "code": ["defensive"]})  # a second span
    rows = {r["code"]: r for r in data_of(charts.code_frequencies(pd.concat([codings, extra])).to_dict())}
    assert rows["defensive"]["n_codings"] == 5


def test_cooccurrence_values(codings):
    spec = charts.cooccurrence(codings, codebook=CODEBOOK).to_dict()
    rows = data_of(spec)
    (vg,) = rows_where(rows, code_a="validating", code_b="gratitude")
    # validating: alice wp:3, tw:2; bob wp:3 -> 3; with gratitude: alice wp:3, tw:2 -> 2
    assert (vg["n"], vg["n_a"], vg["share"]) == (2, 3, round(2 / 3, 4))
    (gv,) = rows_where(rows, code_a="gratitude", code_b="validating")
    assert gv["share"] == 1.0
    (dd,) = rows_where(rows, code_a="defensive", code_b="defensive")
    assert dd["n"] == 5 and dd["same"] is True
    assert not rows_where(rows, code_a="defensive", code_b="challenge")  # zero cells left out
    rect = spec["layer"][0]
    assert rect["mark"]["type"] == "rect"
    assert rect["encoding"]["color"]["condition"]["test"] == "datum.same"


def test_code_explorer_selection_filters_other_views(codings, units):
    spec = charts.code_explorer(codings, units, codebook=CODEBOOK).to_dict()
    (param,) = spec["params"]
    assert param["name"] == "picked_code" and param["select"]["fields"] == ["code"]
    bars, right = spec["hconcat"]
    assert bars["mark"]["type"] == "bar"
    views = right["vconcat"]
    assert len(views) == 2  # depth and time
    for view in views:
        assert {"filter": {"param": "picked_code"}} in view["transform"]


def test_coder_code_rates(codings):
    rows = data_of(charts.coder_code_rates(codings, codebook=CODEBOOK).to_dict())
    (bd,) = rows_where(rows, coder="bob", code="defensive")
    # bob: 2 of his 6 units; pooled: 5 defensive codings / 18 coded units
    assert (bd["n"], bd["n_coded"], bd["rate"]) == (2, 6, round(2 / 6, 4))
    assert bd["pooled"] == round(5 / 18, 4)
    assert bd["difference"] == round(2 / 6 - 5 / 18, 4)
    (bg,) = rows_where(rows, coder="bob", code="gratitude")
    assert bg["n"] == 0 and bg["difference"] < 0  # under-use shows as a negative difference
