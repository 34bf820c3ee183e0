"""Charts of coder agreement (workbench/charts/reliability.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _charts_data import (
    data_of,
    example_codings,
    example_matrix,
    example_report,
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


def test_coder_matrix_chart_bands_and_blank_diagonal():
    m = pd.DataFrame(
        [[np.nan, 0.85, 0.5], [0.85, np.nan, np.nan], [0.5, np.nan, np.nan]],
        index=["al", "bo", "<i>cy"], columns=["al", "bo", "<i>cy"],
    )
    n = pd.DataFrame([[3, 3, 2], [3, 3, 0], [2, 0, 2]], index=m.index, columns=m.columns)
    spec = charts.coder_matrix_chart(m, n_units=n, title="<b>pairs</b>").to_dict()
    rows = {(r["coder_a"], r["coder_b"]): r for r in data_of(spec)}
    assert len(rows) == 6  # the diagonal is left out
    assert rows[("al", "bo")]["band"] == "≥ .800" and rows[("al", "bo")]["n_units"] == 3
    assert rows[("al", "<i>cy")]["band"] == "< .667"  # text as it is: Vega shows it as text
    assert rows[("bo", "<i>cy")]["value"] is None and rows[("bo", "<i>cy")]["band"] == "undefined"
    assert spec["title"] == "<b>pairs</b>"


def test_coder_matrix_chart_checks_its_input():
    with pytest.raises(TypeError):
        charts.coder_matrix_chart([[1.0]])
    with pytest.raises(ValueError, match="same coders"):
        charts.coder_matrix_chart(pd.DataFrame([[1.0]], index=["a"], columns=["b"]))


def test_bands_and_reference_lines_follow_the_agreement_thresholds():
    from workbench.agreement import THRESHOLDS, band

    spec = charts.agreement_by_code(example_report()).to_dict()
    assert [r["value"] for r in data_of(spec, 0)] == list(THRESHOLDS)
    dots = data_of(spec, -1)
    assert all(r["band"] == band(r["value"]) for r in dots)
    custom = charts.agreement_by_code(example_report(), thresholds=(0.5, 0.9)).to_dict()
    assert {r["code"]: r["band"] for r in data_of(custom, -1)}["validating"] == ".500–.900"
