"""The reliability dashboard without a browser: the dropdowns are set as a supervisor
sets them, and the tests assert on the tables and on ``chart.to_dict()`` for the current
selection, checked against the store and against counts made by hand here."""

from __future__ import annotations

import itertools
import math

import ipywidgets as W
import pandas as pd
import pytest

import workbench as wb
from workbench.agreement import krippendorff_alpha
from workbench.widgets.dashboard import NONE, ReliabilityDashboard

STANCE = ["validating", "defensive", "systemic-deflection"]
UNITS = ["t1:0", "t1:1", "t1:2", "t1:4", "t2:0", "t2:1"]
PILOT = {  # carol over-uses "defensive"
    "t1:0": {"alice": ["validating"], "bob": ["validating"], "carol": ["defensive"]},
    "t1:1": {"alice": ["defensive"], "bob": ["defensive"], "carol": ["defensive"]},
    "t1:2": {"alice": ["validating"], "bob": ["validating"], "carol": ["defensive"]},
    "t1:4": {"alice": ["gratitude"], "bob": ["gratitude"], "carol": ["gratitude", "defensive"]},
    "t2:0": {"alice": ["systemic-deflection"], "bob": ["systemic-deflection"], "carol": ["systemic-deflection"]},
    "t2:1": {"alice": ["systemic-deflection"], "bob": ["defensive"], "carol": ["defensive"]},
}
ROUND2 = {
    "t1:0": {"alice": ["validating"], "bob": ["validating"]},
    "t1:1": {"alice": ["defensive"], "bob": ["defensive"]},
    "t1:2": {"alice": ["validating", "gratitude"], "bob": ["validating", "gratitude"]},
    "t2:1": {"alice": ["systemic-deflection"], "bob": ["systemic-deflection"]},
}


def _code(project, name, codings):
    for unit, by in codings.items():
        for coder, codes in by.items():
            for c in codes:
                project.code(unit, [c], coder=coder, round=name)


@pytest.fixture
def ready(project, demo_units, demo_codebook):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    for c in ("alice", "bob", "carol"):
        project.add_coder(c)
    project.new_round("pilot", coders=["alice", "bob", "carol"], units=UNITS)
    _code(project, "pilot", PILOT)
    project.new_round("round 2", coders=["alice", "bob"], units=UNITS)
    _code(project, "round 2", ROUND2)
    return project


def dataset(chart, index=-1):
    spec = chart.to_dict()
    if "layer" in spec and "data" in spec["layer"][index]:
        name = spec["layer"][index]["data"]["name"]
    else:
        name = spec["data"]["name"]
    return spec["datasets"][name]


def stance_value(codes):
    s = [c for c in codes if c in STANCE]
    return s[0] if len(s) == 1 else (NONE if not s else None)


def test_opens_on_the_newest_round_with_all_five_charts(ready):
    dash = ReliabilityDashboard(ready, n_boot=100, render=False)
    assert dash.round == "round 2" and dash.group == ""
    assert [v for _, v in dash.round_picker.options] == [None, "pilot", "round 2"]
    assert [v for _, v in dash.group_picker.options] == ["", "stance"]
    built = dash.charts()
    assert sorted(built) == ["agreement", "coders", "coincidence", "rates", "trend"]
    for chart in built.values():
        assert "datasets" in chart.to_dict()
    assert isinstance(dash, W.VBox)


def test_report_is_the_stores_agreement_for_the_group(ready):
    dash = ReliabilityDashboard(ready, round="pilot", group="stance", n_boot=100, seed=7, render=False)
    rep = dash.report()
    assert rep["code"].tolist() == ["(overall)", "group:stance", *STANCE]
    expected = ready.agreement(round="pilot", codes=STANCE, n_boot=100, seed=7).set_index("code")
    for row in rep.itertuples():
        assert row.value == pytest.approx(expected.loc[row.code, "value"], nan_ok=True)
        assert row.ci_low == pytest.approx(expected.loc[row.code, "ci_low"], nan_ok=True)
    # the chart shows these rows, with interval bars
    dots = dataset(dash.charts()["agreement"])
    assert [d["code"] for d in dots] == [c for c, v in zip(rep["code"], rep["value"]) if not math.isnan(v)]
    bars = dataset(dash.charts()["agreement"], -2)
    assert all(b["ci_low"] <= b["value"] <= b["ci_high"] for b in bars)


def test_trend_has_every_round_in_order(ready):
    dash = ReliabilityDashboard(ready, n_boot=100, render=False)
    rows = dataset(dash.charts()["trend"])
    assert list(dict.fromkeys(r["round"] for r in rows)) == ["pilot", "round 2"]
    overall = {r["round"]: r["value"] for r in rows if r["code"] == "(overall)"}
    assert overall["round 2"] == pytest.approx(1.0)
    assert overall["pilot"] < 0.8
    assert overall["pilot"] == pytest.approx(dash.report("pilot", "")["value"].iloc[0], abs=1e-4)


def test_coder_matrix_is_pairwise_alpha_on_the_groups_values(ready):
    dash = ReliabilityDashboard(ready, round="pilot", group="stance", n_boot=100, render=False)
    m = dash.coder_matrix()
    assert list(m.index) == ["alice", "bob", "carol"] and math.isnan(m.loc["alice", "alice"])
    for a, b in itertools.combinations(["alice", "bob", "carol"], 2):
        table = [[stance_value(PILOT[u][a]), stance_value(PILOT[u][b])] for u in UNITS]
        assert m.loc[a, b] == pytest.approx(krippendorff_alpha(table)), (a, b)
        assert m.loc[a, b] == m.loc[b, a]
    rows = dataset(dash.charts()["coders"], 0)
    ab = next(r for r in rows if (r["coder_a"], r["coder_b"]) == ("alice", "bob"))
    assert ab["value"] == pytest.approx(round(m.loc["alice", "bob"], 4)) and ab["n_units"] == 6


def test_coincidences_of_an_exclusive_group_counted_by_hand(ready):
    dash = ReliabilityDashboard(ready, round="pilot", group="stance", n_boot=100, render=False)
    got = dash.coincidences()
    cats = [*STANCE, NONE]
    assert list(got.index) == cats
    want = pd.DataFrame(0.0, index=cats, columns=cats)
    for u in UNITS:
        vals = [stance_value(codes) for codes in PILOT[u].values()]
        vals = [v for v in vals if v is not None]
        for i, j in itertools.permutations(range(len(vals)), 2):
            want.loc[vals[i], vals[j]] += 1 / (len(vals) - 1)
    pd.testing.assert_frame_equal(got.astype(float), want, check_names=False)
    cells = {(r["row"], r["column"]): r["n"] for r in dataset(dash.charts()["coincidence"], 0)}
    assert cells[("validating", "defensive")] == pytest.approx(want.loc["validating", "defensive"], abs=1e-3)


def test_coincidences_of_all_codes_are_code_sets(ready):
    dash = ReliabilityDashboard(ready, round="pilot", n_boot=100, render=False)
    got = dash.coincidences()
    assert "gratitude" in got.index and "defensive; gratitude" in got.index
    assert got.loc["gratitude", "defensive; gratitude"] == pytest.approx(1.0)  # t1:4: carol vs alice and bob
    assert got.to_numpy().sum() == pytest.approx(18)  # 6 units x 3 coders, all pairable


def test_rates_show_the_coder_who_over_uses_a_code(ready):
    dash = ReliabilityDashboard(ready, round="pilot", group="stance", n_boot=100, render=False)
    rows = dataset(dash.charts()["rates"], 0)
    rate = {(r["coder"], r["code"]): r for r in rows}
    assert rate[("carol", "defensive")]["rate"] == pytest.approx(5 / 6, abs=1e-4)
    assert rate[("carol", "defensive")]["difference"] > 0.25
    assert rate[("alice", "defensive")]["difference"] < 0
    # a coder who coded a unit with no stance code: a share of the units coded, not of the stance codes
    assert rate[("alice", "(no stance code)")]["rate"] == pytest.approx(1 / 6, abs=1e-4)
    assert rate[("alice", "defensive")]["n_coded"] == 6


def test_dropdowns_redraw_the_charts(ready):
    dash = ReliabilityDashboard(ready, n_boot=50)
    assert dash.views["agreement"].value.startswith("<svg")
    assert "round 2" in dash.status.value
    before = dash.views["coincidence"].value
    dash.group_picker.value = "stance"
    assert dash.views["coincidence"].value != before and "(none)" in dash.views["coincidence"].value
    assert "group:stance" in dash.views["table"].value
    dash.round_picker.value = None  # all codings
    assert "all codings" in dash.status.value
    assert "carol" in dash.views["coders"].value


def test_reload_picks_up_a_new_round(ready):
    dash = ReliabilityDashboard(ready, n_boot=50, render=False)
    ready.new_round("round 3", coders=["alice", "bob"], units=["t1:0", "t1:1"])
    _code(ready, "round 3", {"t1:0": {"alice": ["validating"], "bob": ["defensive"]}, "t1:1": {"alice": ["defensive"], "bob": ["defensive"]}})
    assert "round 3" not in [v for _, v in dash.round_picker.options]
    dash.reload_button.click()
    assert [v for _, v in dash.round_picker.options][-1] == "round 3"
    assert "round 3" in {r["round"] for r in dataset(dash.charts()["trend"])}


def test_coder_names_and_codes_are_escaped(project, demo_codebook):
    project.add_units(wb.make_units([{"unit_id": f"u{i}", "thread_id": "t", "text": "x"} for i in range(3)]))
    project.add_codebook(demo_codebook)
    evil = '<img src=x onerror="alert(1)">'
    for c in ("ann", evil):
        project.add_coder(c)
    project.new_round("r", coders=["ann", evil])
    for u, (a, b) in zip(["u0", "u1", "u2"], [("defensive", "defensive"), ("validating", "defensive"), ("gratitude", "gratitude")]):
        project.code(u, [a], coder="ann", round="r")
        project.code(u, [b], coder=evil, round="r")
    dash = ReliabilityDashboard(project, n_boot=50)
    for view in dash.views.values():
        assert "<img" not in view.value
    assert "lt;img" in dash.views["coders"].value  # the name is there, as text


def test_no_codings_yet_says_so(project, demo_codebook):
    project.add_codebook(demo_codebook)
    dash = ReliabilityDashboard(project, n_boot=50)
    assert dash.round is None and "No codings yet" in dash.status.value
    assert all(v.value == "" for v in dash.views.values())


def test_bad_arguments(ready):
    with pytest.raises(TypeError, match="workbench Project"):
        ReliabilityDashboard("p.db")
    with pytest.raises(ValueError, match="not a code group"):
        ReliabilityDashboard(ready, group="tone", render=False)
    with pytest.raises(ValueError, match="does not exist"):
        ReliabilityDashboard(ready, round="final", render=False)
    with pytest.raises(ValueError, match="n_boot"):
        ReliabilityDashboard(ready, n_boot=0, render=False)

