"""Tests for workbench.charts: specs (to_dict), aggregated values, escaping, PNG output, scale.

The example data are two threads modelled on the example documents in data/examples
(the "But we're not all like that" blog post and its comments, and an unrolled
Twitter thread), coded by two coders who disagree on a few units. Expected values
below were counted by hand from these tables.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench import charts

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


# --- example data ---------------------------------------------------------------------------------
def example_units() -> pd.DataFrame:
    rows = [
        # blog post and its comments
        ("wp:0", "wp", None, "Ward Nurse Blog", "patient", "2024-08-16 09:00", "post",
         "But we're not all like that! What happens when a patient describes a brutal experience of care?"),
        ("wp:1", "wp", "wp:0", "MH nurse", "professional", "2024-08-16 10:00", "comment",
         "We're not all like that, most staff work really hard."),
        ("wp:2", "wp", "wp:1", "Ward Nurse Blog", "patient", "2024-08-16 11:00", "comment",
         "That is exactly the response the post describes."),
        ("wp:3", "wp", "wp:0", "Carer K", "carer", "2024-08-17 08:00", "comment",
         "Thank you for writing this, it is how my son was treated."),
        ("wp:4", "wp", "wp:3", "Dr P", "professional", "2024-08-18 12:00", "comment",
         "Services are underfunded, staff are stretched thin."),
        ("wp:5", "wp", "wp:4", "Carer K", "carer", "2024-08-19 12:00", "comment",
         "Funding does not explain being shouted at."),
        ("wp:6", "wp", "wp:0", "Anon", None, "2024-08-25 12:00", "comment", HOSTILE),
        # unrolled twitter thread and replies
        ("tw:0", "tw", None, "@survivor", "patient", "2024-09-02 09:00", "tweet",
         "I'm sorry if MH workers are disheartened when people like me raise concerns about our experience."),
        ("tw:1", "tw", "tw:0", "@psych_nurse", "professional", "2024-09-02 09:30", "tweet",
         "Not all of us! I have worked in MH for 20 years and never seen that."),
        ("tw:2", "tw", "tw:0", "@peer_worker", "patient", "2024-09-02 10:00", "tweet",
         "This. Thank you for saying it so clearly."),
        ("tw:3", "tw", "tw:1", "@survivor", "patient", "2024-09-03 10:00", "tweet",
         "This is the exact sort of harm people like me are vulnerable to."),
        ("tw:4", "tw", "tw:0", "@gp_doc", "professional", "2024-09-10 10:00", "tweet",
         "The system is broken, we are all victims of it."),
    ]
    cols = ["unit_id", "thread_id", "parent_id", "author", "author_role", "posted_at", "kind", "text"]
    df = pd.DataFrame(rows, columns=cols)
    df["source"] = np.where(df["thread_id"] == "wp", "wordpress", "twitter")
    return wb.make_units(df)


# alice codes everything; bob codes the blog thread (overlap for agreement).
ALICE = {
    "wp:0": ["disclosure"],
    "wp:1": ["defensive"],
    "wp:2": ["challenge"],
    "wp:3": ["validating", "gratitude"],
    "wp:4": ["systemic-deflection"],
    "wp:5": ["challenge"],
    "wp:6": ["defensive"],
    "tw:0": ["disclosure"],
    "tw:1": ["defensive"],
    "tw:2": ["validating", "gratitude"],
    "tw:3": ["challenge"],
    "tw:4": ["systemic-deflection"],
}
BOB = {
    "wp:0": ["disclosure"],
    "wp:1": ["defensive"],
    "wp:2": ["challenge"],
    "wp:3": ["validating"],
    "wp:4": ["defensive"],
    "wp:5": ["challenge"],
}


def example_codings() -> pd.DataFrame:
    rows = [(u, coder, c) for coder, table in (("alice", ALICE), ("bob", BOB)) for u, codes in table.items() for c in codes]
    df = pd.DataFrame(rows, columns=["unit_id", "coder", "code"])
    df["round"] = "pilot"
    df["at"] = pd.Timestamp("2024-10-01", tz="UTC") + pd.to_timedelta(np.arange(len(df)), unit="h")
    return df


CODEBOOK = wb.Codebook.from_dict(
    {
        "name": "response-types",
        "codes": [
            {"name": "disclosure", "label": "Disclosure", "definition": "Describes an experience of care.", "color": "#555555"},
            {"name": "validating", "label": "Validating", "definition": "Believes the account.", "color": "#1b9e77"},
            {"name": "defensive", "label": "Defensive", "definition": "Not all of us.", "color": "#d95f02"},
            {"name": "systemic-deflection", "label": "Systemic deflection", "definition": "Moves it onto the system.", "color": "#7570b3"},
            {"name": "gratitude", "label": "Gratitude", "definition": "Thanks the writer.", "color": "#e7298a"},
            {"name": "challenge", "label": "Challenge", "definition": "Pushes back on a response.", "color": "#66a61e"},
        ],
    }
)


def example_report() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["overall", "disclosure", "validating", "defensive", "systemic-deflection", "gratitude"],
            "measure": "krippendorff_alpha",
            "value": [0.74, 1.0, 0.81, 0.52, np.nan, 0.69],
            "ci_low": [0.61, 1.0, 0.66, 0.21, np.nan, 0.4],
            "ci_high": [0.86, 1.0, 0.93, 0.79, np.nan, 0.9],
            "n_units": [6, 6, 6, 6, 6, 6],
            "n_coders": [2] * 6,
            "n_pairable": [12] * 6,
            "interpretation": ["tentative", "reliable", "reliable", "unreliable", "undefined", "tentative"],
        }
    )


def example_matrix() -> pd.DataFrame:
    cats = ["disclosure", "validating", "defensive", "challenge"]
    return pd.DataFrame([[4, 0, 0, 0], [0, 2, 1, 0], [0, 1, 3, 0], [0, 0, 0, 4]], index=cats, columns=cats)


@pytest.fixture
def units() -> pd.DataFrame:
    return example_units()


@pytest.fixture
def codings() -> pd.DataFrame:
    return example_codings()


def data_of(spec: dict, layer: int | None = None) -> list[dict]:
    """The rows behind a chart (or one of its layers)."""
    if layer is not None:
        spec_layer = spec["layer"][layer]
        name = spec_layer.get("data", spec.get("data", {})).get("name")
    else:
        name = spec.get("data", {}).get("name")
    if name is None:
        (only,) = spec["datasets"].values()
        return only
    return spec["datasets"][name]


def rows_where(rows: list[dict], **match) -> list[dict]:
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


def all_charts(codings: pd.DataFrame, units: pd.DataFrame) -> dict[str, alt.TopLevelMixin]:
    return {
        "code_frequencies": charts.code_frequencies(codings, codebook=CODEBOOK),
        "code_frequencies_by_source": charts.code_frequencies(codings, units, by="source", codebook=CODEBOOK),
        "code_frequencies_by_role": charts.code_frequencies(codings, units, by="author_role", codebook=CODEBOOK),
        "cooccurrence": charts.cooccurrence(codings, codebook=CODEBOOK),
        "reply_transitions": charts.reply_transitions(codings, units, codebook=CODEBOOK),
        "reply_transitions_role": charts.reply_transitions(codings, units, by="author_role", codebook=CODEBOOK),
        "reply_flow": charts.reply_flow(codings, units, codebook=CODEBOOK),
        "codes_by_depth": charts.codes_by_depth(codings, units, codebook=CODEBOOK),
        "codes_over_time": charts.codes_over_time(codings, units, freq="W", codebook=CODEBOOK),
        "thread_tree": charts.thread_tree(codings, units, "wp", codebook=CODEBOOK),
        "code_explorer": charts.code_explorer(codings, units, codebook=CODEBOOK),
        "coder_code_rates": charts.coder_code_rates(codings, codebook=CODEBOOK),
        "agreement_by_code": charts.agreement_by_code(example_report()),
        "agreement_trend": charts.agreement_trend({"pilot": example_report(), "round 2": example_report().assign(value=lambda d: d["value"] * 0 + 0.85)}),
        "coincidence_heatmap": charts.coincidence_heatmap(example_matrix()),
    }


# --- code frequencies ---------------------------------------------------------------------------
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


# --- co-occurrence --------------------------------------------------------------------------------
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


# --- replies ------------------------------------------------------------------------------------
def test_reply_transitions_by_code(codings, units):
    spec = charts.reply_transitions(codings, units, codebook=CODEBOOK).to_dict()
    rows = data_of(spec)
    # replies to disclosures, alice: wp:1 def, wp:3 val+grat, wp:6 def, tw:1 def, tw:2 val+grat, tw:4 sys;
    # bob: wp:1 def, wp:3 val  -> 8 coded replies to a disclosure
    (dd,) = rows_where(rows, **{"from": "disclosure", "to": "defensive"})
    assert (dd["n"], dd["n_from"], dd["share"]) == (4, 8, 0.5)
    (dv,) = rows_where(rows, **{"from": "disclosure", "to": "validating"})
    assert dv["n"] == 3
    # bob coded wp:4 defensive under a validating parent (his wp:3)
    (vd,) = rows_where(rows, **{"from": "validating", "to": "defensive"})
    assert vd["n"] == 1 and vd["n_from"] == 2  # alice's wp:4 replies to her validating wp:3 too
    # defensive -> challenge: alice wp:2, tw:3; bob wp:2 and wp:5 (his wp:4 is defensive)
    (dc,) = rows_where(rows, **{"from": "defensive", "to": "challenge"})
    assert dc["n"] == 4
    assert spec["layer"][0]["encoding"]["color"]["field"] == "share"
    assert spec["layer"][1]["encoding"]["text"]["field"] == "n"
    assert spec["layer"][0]["encoding"]["y"]["title"] == "in reply to (code)"


def test_reply_transitions_uncoded_parent_and_role(codings, units):
    only_replies = codings[codings["unit_id"] != "tw:0"]
    rows = data_of(charts.reply_transitions(only_replies, units).to_dict())
    assert {r["to"] for r in rows_where(rows, **{"from": charts.NOT_CODED})} == {"defensive", "validating", "gratitude", "systemic-deflection"}
    rows = data_of(charts.reply_transitions(codings, units, by="author_role").to_dict())
    (pd_,) = rows_where(rows, **{"from": "patient", "to": "defensive"})
    assert pd_["n"] == 4  # replies to the patients' root posts coded defensive
    (prof,) = rows_where(rows, **{"from": "professional", "to": "challenge"})
    # wp:2 (alice, bob), wp:5 (alice, bob), tw:3 (alice): every coded reply to a professional
    assert prof["n"] == 5 and prof["share"] == 1.0
    with pytest.raises(ValueError, match="by='depth'.*'code', 'author_role'"):
        charts.reply_transitions(codings, units, by="depth")


def test_reply_flow_links_and_nodes(codings, units):
    spec = charts.reply_flow(codings, units, coder="alice", max_depth=2, codebook=CODEBOOK).to_dict()
    links = data_of(spec, 0)
    nodes = data_of(spec, 1)
    assert len(links) % 2 == 0
    (n0,) = rows_where(nodes, depth="0", code="disclosure")
    assert n0["n"] == 2
    # depth 2+ pools wp:2, wp:4, wp:5 (depth 3) and tw:3
    assert {(r["code"], r["n"]) for r in rows_where(nodes, depth="2+")} == {("challenge", 3), ("systemic-deflection", 1)}
    first = rows_where(links, **{"from": "disclosure", "to": "defensive"})
    assert {r["depth"] for r in first} == {"0", "1"} and first[0]["n"] == 3
    # only links into depth <= max_depth: wp:5 (depth 3) adds no link
    assert not rows_where(links, **{"from": "systemic-deflection", "to": "challenge"})
    assert spec["layer"][0]["mark"]["type"] == "line" and spec["layer"][0]["encoding"]["detail"]["field"] == "link"
    assert spec["layer"][0]["encoding"]["x"]["sort"] == ["0", "1", "2+"]


# --- depth and time --------------------------------------------------------------------------------
def test_codes_by_depth(codings, units):
    spec = charts.codes_by_depth(codings, units, max_depth=2, codebook=CODEBOOK).to_dict()
    rows = data_of(spec)
    (d1,) = rows_where(rows, depth="1", code="defensive")
    # depth 1: alice wp:1 wp:3 wp:6 tw:1 tw:2 tw:4 + bob wp:1 wp:3 = 8 coded units; defensive 4
    assert (d1["n"], d1["n_coded"], d1["share"]) == (4, 8, 0.5)
    assert {r["depth"] for r in rows} == {"0", "1", "2+"}
    assert spec["encoding"]["x"]["sort"] == ["0", "1", "2+"]
    assert spec["params"][0]["bind"] == "legend"


def test_codes_over_time(codings, units):
    spec = charts.codes_over_time(codings, units, freq="W", codebook=CODEBOOK).to_dict()
    rows = data_of(spec)
    periods = sorted({r["period"] for r in rows})
    # weeks starting Monday: 12 Aug, 19 Aug, 26 Aug? (wp:6 posted Sun 25 Aug -> week of 19 Aug), 2 Sep, 9 Sep
    assert periods == ["2024-08-12", "2024-08-19", "2024-09-02", "2024-09-09"]
    (w,) = rows_where(rows, period="2024-09-02", code="defensive")
    assert w["n"] == 1 and w["n_coded"] == 4
    assert spec["encoding"]["x"]["type"] == "temporal" and spec["encoding"]["x"]["scale"]["type"] == "utc"
    # one tick per period, on the period's first day (ms since the epoch, UTC)
    assert spec["encoding"]["x"]["axis"]["values"] == [int(pd.Timestamp(p, tz="UTC").timestamp() * 1000) for p in periods]
    # codes absent in a week are drawn at 0, so lines fall instead of skipping the week
    (zero,) = rows_where(rows, period="2024-09-09", code="defensive")
    assert (zero["n"], zero["share"]) == (0, 0.0)
    later = codings.assign(at=codings["at"].where(codings["coder"] == "alice", pd.Timestamp("2024-10-05 12:00", tz="UTC")))
    coded = data_of(charts.codes_over_time(later, freq="D", when="coded").to_dict())
    assert {r["period"] for r in coded} == {"2024-10-01", "2024-10-05"}
    assert sum(r["n"] for r in rows_where(coded, period="2024-10-05")) == 6  # bob's codings


def test_codes_over_time_guards(codings, units):
    with pytest.raises(ValueError, match="freq='H'.*'D', 'W', 'M', 'Q', 'Y', 'auto'"):
        charts.codes_over_time(codings, units, freq="H")
    long = units.copy()
    long.loc[0, "posted_at"] = pd.Timestamp("2010-01-01", tz="UTC")
    with pytest.raises(ValueError, match="weekly periods.*coarser"):
        charts.codes_over_time(codings, long, freq="W")
    assert charts.codes_over_time(codings, long, freq="auto").to_dict()
    with pytest.raises(ValueError, match="needs the units table"):
        charts.codes_over_time(codings)
    undated = units.copy()
    undated.loc[undated["unit_id"] == "wp:0", "posted_at"] = pd.NaT
    spec = charts.codes_over_time(codings, undated).to_dict()
    assert spec["title"]["subtitle"] == "2 codings of units without a date are not shown"


# --- thread tree -----------------------------------------------------------------------------------
def test_thread_tree_layout_and_colours(codings, units):
    spec = charts.thread_tree(codings, units, "wp", codebook=CODEBOOK).to_dict()
    edges, nodes = data_of(spec, 0), data_of(spec, 1)
    order = [r["unit_id"] for r in nodes]
    # reply order: each unit followed by its replies
    assert order == ["wp:0", "wp:1", "wp:2", "wp:3", "wp:4", "wp:5", "wp:6"]
    assert [r["depth"] for r in nodes] == [0, 1, 2, 1, 2, 3, 1]
    by_id = {r["unit_id"]: r for r in nodes}
    # wp:4: alice systemic-deflection, bob defensive -> tie, codebook order puts defensive first
    assert by_id["wp:4"]["code"] == "defensive"
    assert by_id["wp:4"]["codes"] == "defensive (bob); systemic-deflection (alice)"
    assert by_id["wp:3"]["code"] == "validating"  # both coders
    # elbow edges: two segments per reply
    assert len(edges) == 2 * 6
    assert {"x": 1, "x2": 1, "y": 3, "y2": 4} in edges  # down from wp:3 (row 3) to wp:4 (row 4)
    assert {"x": 1, "x2": 2, "y": 4, "y2": 4} in edges
    dots = spec["layer"][1]
    assert dots["encoding"]["color"]["field"] == "code"
    assert "#d95f02" in dots["encoding"]["color"]["scale"]["range"]
    assert {t["field"] for t in dots["encoding"]["tooltip"]} >= {"author", "text", "codes"}
    assert spec["layer"][2]["mark"]["type"] == "text"


def test_thread_tree_uncoded_truncation_and_unknown(codings, units):
    spec = charts.thread_tree(codings, units, "tw", coder="bob").to_dict()
    assert {r["code"] for r in data_of(spec, 1)} == {charts.NOT_CODED}
    spec = charts.thread_tree(codings, units, "wp", max_units=3).to_dict()
    assert [r["unit_id"] for r in data_of(spec, 1)] == ["wp:0", "wp:1", "wp:2"]
    assert spec["title"]["subtitle"] == "7 units; the first 3 in reply order are shown"
    with pytest.raises(ValueError, match="thread 'nope' is not in units.*'wp', 'tw'"):
        charts.thread_tree(codings, units, "nope")


def test_thread_tree_orphans_and_cycles_do_not_hang(codings):
    units = wb.make_units(
        [
            {"unit_id": "a", "thread_id": "t", "text": "root"},
            {"unit_id": "b", "thread_id": "t", "parent_id": "gone", "text": "orphan", "depth": 2},
            {"unit_id": "c", "thread_id": "t", "parent_id": "d", "text": "cycle 1"},
            {"unit_id": "d", "thread_id": "t", "parent_id": "c", "text": "cycle 2"},
        ]
    )
    nodes = data_of(charts.thread_tree(codings, units, "t").to_dict(), 1)
    assert sorted(r["unit_id"] for r in nodes) == ["a", "b", "c", "d"]
    assert {r["unit_id"]: r["depth"] for r in nodes}["b"] == 2


# --- interaction --------------------------------------------------------------------------------------
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


# --- coders ---------------------------------------------------------------------------------------
def test_coder_code_rates(codings):
    rows = data_of(charts.coder_code_rates(codings, codebook=CODEBOOK).to_dict())
    (bd,) = rows_where(rows, coder="bob", code="defensive")
    # bob: 2 of his 6 units; pooled: 5 defensive codings / 18 coded units
    assert (bd["n"], bd["n_coded"], bd["rate"]) == (2, 6, round(2 / 6, 4))
    assert bd["pooled"] == round(5 / 18, 4)
    assert bd["difference"] == round(2 / 6 - 5 / 18, 4)
    (bg,) = rows_where(rows, coder="bob", code="gratitude")
    assert bg["n"] == 0 and bg["difference"] < 0  # under-use shows as a negative difference


# --- reliability ---------------------------------------------------------------------------------
def test_agreement_by_code(codings):
    spec = charts.agreement_by_code(example_report()).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rule", "text", "text", "rule", "point"]
    assert data_of(spec, 0) == [{"value": 0.667, "label": ".667 tentative"}, {"value": 0.8, "label": ".800 reliable"}]
    dots = data_of(spec, -1)
    assert [r["code"] for r in dots] == ["overall", "disclosure", "validating", "defensive", "gratitude"]
    assert {r["code"]: r["band"] for r in dots}["defensive"] == "< .667"
    assert {r["code"]: r["band"] for r in dots}["overall"] == ".667–.800"
    bars = spec["layer"][3]
    assert bars["encoding"]["x"]["field"] == "ci_low" and bars["encoding"]["x2"]["field"] == "ci_high"
    assert spec["layer"][-1]["encoding"]["y"]["sort"][0] == "overall"
    assert "systemic-deflection" in spec["title"]["subtitle"]
    assert spec["layer"][-1]["encoding"]["x"]["scale"]["domain"] == [0.0, 1.0]


def test_agreement_by_code_measures_and_checks():
    two = pd.concat([example_report(), example_report().assign(measure="cohen_kappa", value=0.5)])
    spec = charts.agreement_by_code(two).to_dict()
    assert spec["layer"][-1]["encoding"]["yOffset"]["field"] == "measure"
    one = data_of(charts.agreement_by_code(two, measure="cohen_kappa").to_dict(), -1)
    assert {r["value"] for r in one} == {0.5}
    with pytest.raises(ValueError, match="measure='fleiss'.*krippendorff_alpha"):
        charts.agreement_by_code(two, measure="fleiss")
    with pytest.raises(ValueError, match="missing column.*ci_low"):
        charts.agreement_by_code(example_report().drop(columns="ci_low"))
    negative = example_report().assign(ci_low=-0.35)
    spec = charts.agreement_by_code(negative).to_dict()
    assert spec["layer"][-1]["encoding"]["x"]["scale"]["domain"] == [-0.4, 1.0]


def test_agreement_trend():
    r1 = example_report()
    r2 = example_report().assign(value=[0.8, 1.0, 0.9, 0.7, 0.6, 0.75])
    spec = charts.agreement_trend(pd.concat([r1.assign(round="pilot"), r2.assign(round="round 2")]), codes=["overall", "defensive"]).to_dict()
    rows = data_of(spec, -1)
    assert [(r["round"], r["code"], r["value"]) for r in rows] == [
        ("pilot", "overall", 0.74), ("pilot", "defensive", 0.52), ("round 2", "overall", 0.8), ("round 2", "defensive", 0.7)
    ]
    assert spec["layer"][-1]["encoding"]["x"]["sort"] == ["pilot", "round 2"]
    assert [r["value"] for r in data_of(spec, 0)] == [0.667, 0.8]
    assert spec["layer"][3]["encoding"]["y2"]["field"] == "ci_high"
    with pytest.raises(ValueError, match="several measures"):
        charts.agreement_trend({"a": pd.concat([r1, r1.assign(measure="kappa")])})
    with pytest.raises(ValueError, match="missing column.*round"):
        charts.agreement_trend(r1)
    with pytest.raises(ValueError, match=r"codes \['nope'\]"):
        charts.agreement_trend({"a": r1}, codes=["nope"])


def test_coincidence_heatmap():
    spec = charts.coincidence_heatmap(example_matrix()).to_dict()
    rows = data_of(spec)
    assert len(rows) == 16
    (vd,) = rows_where(rows, row="validating", column="defensive")
    assert vd["n"] == 1 and vd["share"] == round(1 / 15, 4) and vd["row_share"] == round(1 / 3, 4)
    assert rows_where(rows, row="defensive", column="defensive")[0]["diagonal"] is True
    with pytest.raises(ValueError, match="square"):
        charts.coincidence_heatmap(example_matrix().iloc[:, :3])
    with pytest.raises(TypeError, match="square pandas DataFrame"):
        charts.coincidence_heatmap(np.eye(3))


# --- untrusted text ---------------------------------------------------------------------------------
def test_hostile_text_is_escaped_everywhere(codings, units):
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
        text = json.dumps(chart.to_dict())
        assert "<script" not in text and "<img" not in text and "<svg" not in text and "<i>" not in text and "<b>" not in text, name
    nodes = data_of(made["thread_tree"].to_dict(), 1)
    (hostile,) = rows_where(nodes, unit_id="wp:6")
    assert hostile["text"] == "&lt;script&gt;alert(\"x\")&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    assert hostile["author"].startswith("Anon&lt;script&gt;")
    # apostrophes stay readable (escaping is for <, > and &)
    assert rows_where(nodes, unit_id="wp:1")[0]["text"].startswith("We're not all")


# --- rendering -----------------------------------------------------------------------------------------
def _png_pixels(data: bytes) -> tuple[int, int, np.ndarray]:
    """Decode an 8-bit RGB/RGBA/grey PNG (non-interlaced) with zlib: (width, height, pixels)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0, "only 8-bit non-interlaced PNGs are decoded here"
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        if f == 0:  # none
            cur = line
        elif f == 1:  # sub: a running sum along the row, per channel
            cur = np.cumsum(line.reshape(width, channels), axis=0).ravel() & 0xFF
        elif f == 2:  # up
            cur = (line + prev) & 0xFF
        else:  # average, paeth: byte by byte
            cur_b = bytearray(stride)
            up = prev.tolist()
            for x, v in enumerate(line.tolist()):
                a = cur_b[x - channels] if x >= channels else 0
                b = up[x]
                if f == 3:
                    pred = (a + b) // 2
                else:
                    c = up[x - channels] if x >= channels else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur_b[x] = (v + pred) & 0xFF
            cur = np.frombuffer(bytes(cur_b), dtype=np.uint8).astype(np.int64)
        out[y] = cur
        prev = cur
    return width, height, out.reshape(height, width, channels)


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ["WB_ARTIFACTS"]) / "charts" if os.environ.get("WB_ARTIFACTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_every_chart_renders_a_png_that_is_not_blank(codings, units, tmp_path):
    folder = _artifacts(tmp_path)
    for name, chart in all_charts(codings, units).items():
        path = charts.save(chart, folder / f"{name}.png", scale=1.0)
        width, height, pixels = _png_pixels(path.read_bytes())
        assert width > 100 and height > 80, name
        rgb = pixels[..., :3].reshape(-1, 3)
        colours = np.unique(rgb, axis=0)
        assert len(colours) > 10, f"{name}: only {len(colours)} colours"
        background = np.bincount(np.ravel_multi_index(rgb.T, (256, 256, 256))).argmax()
        ink = (np.ravel_multi_index(rgb.T, (256, 256, 256)) != background).mean()
        assert ink > 0.01, f"{name}: {ink:.1%} of the pixels differ from the background"


def test_png_decoder_sees_a_blank_image_as_blank(tmp_path):
    blank = alt.Chart(pd.DataFrame({"x": []})).mark_point().encode(x="x:Q").properties(width=120, height=120)
    blank = blank.configure_axis(disable=True).configure_view(strokeWidth=0)
    path = charts.save(blank, tmp_path / "blank.png", scale=1.0)
    _, _, pixels = _png_pixels(path.read_bytes())
    assert len(np.unique(pixels[..., :3].reshape(-1, 3), axis=0)) == 1


def test_save_svg_html_json_offline(codings, units, tmp_path):
    chart = charts.thread_tree(codings, units, "wp", codebook=CODEBOOK)
    svg = charts.save(chart, tmp_path / "tree.svg").read_text()
    assert svg.startswith("<svg") and "Ward Nurse Blog" in svg
    assert "<script" not in svg
    html_text = charts.save(chart, tmp_path / "tree.html").read_text()
    assert "<script>alert" not in html_text and "&lt;script&gt;alert" in html_text
    assert "cdn.jsdelivr" not in html_text  # bundled, opens offline
    spec = json.loads(charts.save(chart, tmp_path / "tree.json").read_text())
    assert spec["layer"][1]["mark"]["type"] == "circle"
    with pytest.raises(ValueError, match=r"suffix='.gif'.*'.png', '.svg'"):
        charts.save(chart, tmp_path / "tree.gif")
    with pytest.raises(TypeError, match="Altair chart"):
        charts.save({"mark": "bar"}, tmp_path / "x.png")


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


# --- scale ----------------------------------------------------------------------------------------
def synthetic(n_codings: int = 1_000_000, seed: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Units in threads of 50 and two coders coding every unit, one or two codes each."""
    rng = np.random.default_rng(seed)
    n_units = n_codings // 3  # two coders x 1.5 codes a unit on average
    per_thread = 50
    idx = np.arange(n_units)
    thread = idx // per_thread
    pos = idx % per_thread
    parent_pos = np.where(pos == 0, -1, (rng.random(n_units) * np.maximum(pos, 1)).astype(int))
    depth = np.zeros(n_units, dtype=int)
    for p in range(1, per_thread):  # depth of parent + 1, a vector per position
        rows = pos == p
        depth[rows] = depth[(thread[rows] * per_thread) + parent_pos[rows]] + 1
    uid = np.char.add("u", idx.astype(str))
    units = pd.DataFrame(
        {
            "unit_id": uid,
            "thread_id": np.char.add("t", thread.astype(str)),
            "parent_id": np.where(pos == 0, None, np.char.add("u", (thread * per_thread + parent_pos).astype(str))),
            "depth": depth,
            "position": pos,
            "author": np.char.add("user", (idx % 997).astype(str)),
            "author_role": rng.choice(["patient", "professional", "carer", "unknown"], n_units),
            "posted_at": pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365 * 24, n_units), unit="h"),
            "text": np.char.add("post text ", idx.astype(str)),
            "kind": "comment",
            "status": "ok",
            "source": rng.choice(["wordpress", "twitter", "reddit", "mastodon"], n_units),
        }
    )
    codes = np.array(["disclosure", "validating", "defensive", "systemic-deflection", "gratitude", "challenge", "other", "question"])
    first = np.concatenate([idx, idx])
    coder = np.repeat(["alice", "bob"], n_units)
    extra = rng.random(2 * n_units) < 0.52  # a second, different code on about half the codings
    k1 = rng.integers(0, len(codes), 2 * n_units)
    k2 = (k1[extra] + rng.integers(1, len(codes), int(extra.sum()))) % len(codes)
    unit_rows = np.concatenate([first, first[extra]])
    coder_rows = np.concatenate([coder, coder[extra]])
    code_rows = codes[np.concatenate([k1, k2])]
    codings = pd.DataFrame({"unit_id": uid[unit_rows][:n_codings], "coder": coder_rows[:n_codings], "code": code_rows[:n_codings]})
    codings["at"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(codings)) % (300 * 24), unit="h")
    return codings, units


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


def test_every_chart_of_the_example_threads_renders_a_png_that_is_not_blank(tmp_path):
    """The charts of the real example data (seeds 000-002 as stored by a project, two
    coders, agreement from Project.agreement), rendered to PNG as CI's artifacts."""
    import random

    import workbench as wb

    root = Path(__file__).resolve().parent.parent
    project = wb.open_project(tmp_path / "examples.db")
    try:
        for path in sorted((root / "data" / "examples").glob("*.txt")):
            project.add_units(wb.load_threads(path))
        codebook = wb.Codebook.from_yaml(root / "codebooks" / "response-types.yaml")
        project.add_codebook(codebook)
        stance = [c.name for c in codebook.codes if c.group == "stance"]
        moves = [c.name for c in codebook.codes if c.group == "moves"]
        rng = random.Random(3)
        for coder in ("alice", "bob"):
            project.add_coder(coder)
            for i, unit in enumerate(project.queue(coder)):
                codes = [stance[i % len(stance)] if rng.random() > 0.2 else rng.choice(stance)]
                if rng.random() < 0.4:
                    codes.append(moves[(i // 2) % len(moves)])
                project.code(unit, codes, coder=coder)
        codings, units = project.codings(), project.units()
        report = project.agreement(n_boot=200)
        table = codings.groupby(["unit_id", "coder"])["code"].agg(lambda s: sorted(s)[0]).unstack()
        matrix = wb.agreement.coincidence_matrix(table)
    finally:
        project.close()
    assert len(units) == 56 and codings["coder"].nunique() == 2
    thread = units["thread_id"].value_counts().idxmax()  # the WordPress comment section
    figures = {
        "code_frequencies": charts.code_frequencies(codings, codebook=codebook),
        "code_frequencies_by_thread": charts.code_frequencies(codings, units, by="thread", codebook=codebook),
        "cooccurrence": charts.cooccurrence(codings, codebook=codebook),
        "reply_transitions": charts.reply_transitions(codings, units, codebook=codebook),
        "reply_flow": charts.reply_flow(codings, units, codebook=codebook),
        "codes_by_depth": charts.codes_by_depth(codings, units, codebook=codebook),
        "codes_over_time": charts.codes_over_time(codings, units, codebook=codebook),
        "thread_tree": charts.thread_tree(codings, units, thread, codebook=codebook),
        "coder_code_rates": charts.coder_code_rates(codings, codebook=codebook),
        "agreement_by_code": charts.agreement_by_code(report),
        "agreement_trend": charts.agreement_trend({"pilot": report, "round 2": report}),
        "coincidence_heatmap": charts.coincidence_heatmap(matrix),
    }
    folder = _artifacts(tmp_path) / "examples"
    folder.mkdir(parents=True, exist_ok=True)
    for name, chart in figures.items():
        path = charts.save(chart, folder / f"{name}.png", scale=1.0)
        width, height, pixels = _png_pixels(path.read_bytes())
        rgb = np.ravel_multi_index(pixels[..., :3].reshape(-1, 3).T, (256, 256, 256))
        assert width > 100 and height > 80, name
        assert len(np.unique(rgb)) > 10, f"{name}: nearly one colour"
        assert (rgb != np.bincount(rgb).argmax()).mean() > 0.01, f"{name}: blank"
