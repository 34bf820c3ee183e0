"""Validation: the model measured as a coder against the gold and each human, on units it never saw."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.agreement import reliability_table
from workbench.assist._synthetic import CODEBOOK, synthetic_coders, synthetic_corpus, synthetic_project
from workbench.sentinels import ALL_ROUNDS


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "project.db"
    project = wb.open_project(path)
    synthetic_project(project, noise=0.2)
    model = wb.assist.train(project, on="gold", round="pilot")
    wb.assist.apply(project, model)
    project.close()
    return path, model.name


@pytest.fixture
def applied(template, tmp_path):
    path, name = template
    shutil.copy(path, tmp_path / "project.db")
    project = wb.open_project(tmp_path / "project.db")
    yield project, name
    project.close()


def _frames():
    units, gold = synthetic_corpus(80, seed=4)
    humans = synthetic_coders(gold, {"ann": 0.1, "bob": 0.3}, seed=2)
    model = synthetic_coders(gold, {"model:m@1": 0.2}, seed=3)
    return units, gold, pd.concat([humans, model], ignore_index=True)


def test_the_table_is_reliability_table_on_each_pair():
    units, gold, codings = _frames()
    v = wb.assist.validate(codings, "model:m@1", gold=gold, codebook=CODEBOOK, n_boot=200, seed=1)
    assert list(v.table.columns) == wb.assist.VALIDATION_COLUMNS
    assert v.table.groupby("kind")["comparison"].unique().map(sorted).to_dict() == {
        "model–gold": ["model:m@1 vs (gold)"],
        "model–human": ["model:m@1 vs ann", "model:m@1 vs bob"],
        "human–human": ["ann vs bob"],
        "human–gold": ["ann vs (gold)", "bob vs (gold)"],
    }
    assert set(v.table["measure"]) == {"alpha", "cohen_kappa"}
    assert set(v.table["code"]) == {"(overall)", "group:stance", *CODEBOOK.names}
    # the model against the gold: exactly what the agreement package says for those two coders
    both = pd.concat([codings[codings["coder"] == "model:m@1"], gold.assign(coder="(gold)")], ignore_index=True)
    groups = {"stance": [c.name for c in CODEBOOK.codes_in("stance")]}
    direct = reliability_table(both, codes=CODEBOOK.names, measures=("alpha", "cohen_kappa"), n_boot=200, seed=1,
                               exclusive_groups=groups).set_index(["code", "measure"])
    mine = v.table[v.table["kind"] == "model–gold"].set_index(["code", "measure"])
    pd.testing.assert_series_equal(mine["value"], direct.loc[mine.index, "value"], check_names=False)
    pd.testing.assert_series_equal(mine["ci_low"], direct.loc[mine.index, "ci_low"], check_names=False)
    assert (mine["n_pairable"] == 80).all()
    # the better coder agrees better with the gold
    hg = v.table[(v.table["kind"] == "human–gold") & (v.table["code"] == "(overall)") & (v.table["measure"] == "alpha")]
    assert hg.set_index("coder_a")["value"]["ann"] > hg.set_index("coder_a")["value"]["bob"]


def test_paragraph_and_chart_data_come_from_the_table():
    units, gold, codings = _frames()
    v = wb.assist.validate(codings, "model:m@1", gold=gold, codebook=CODEBOOK, n_boot=200)
    row = v.table[(v.table["kind"] == "model–gold") & (v.table["code"] == "(overall)") & (v.table["measure"] == "alpha")].iloc[0]
    hh = v.table[(v.table["kind"] == "human–human") & (v.table["code"] == "(overall)") & (v.table["measure"] == "alpha")].iloc[0]
    text = v.paragraph
    fmt = lambda x: f"{x:.3f}".replace("0.", ".", 1)  # noqa: E731
    assert f"adjudicated codes at α = {fmt(row['value'])} (95% CI {fmt(row['ci_low'])}–{fmt(row['ci_high'])})" in text
    assert f"human coders with each other at α = {fmt(hh['value'])}" in text
    assert text.startswith("On 80 units that the model coder model:m@1 had not seen")
    chart = v.chart_data
    assert list(chart.columns) == ["code", "comparison", "kind", "value", "ci_low", "ci_high", "n_pairable", "band"]
    assert set(chart["band"]) <= {"≥ .800", ".667–.800", "< .667", "undefined"}
    assert len(chart) == (v.table["measure"] == "alpha").sum()


def test_units_the_model_saw_are_left_out():
    units, gold, codings = _frames()
    seen = [f"s{i}" for i in range(30)]
    v = wb.assist.validate(codings, "model:m@1", gold=gold, codebook=CODEBOOK, seen=seen, n_boot=0)
    assert v.left_out == sorted(seen) and len(v.units) == 50 and not set(v.units) & set(seen)
    assert (v.table["n_units"] <= 50).all()
    assert "(30 it was trained on or shown as examples were left out)" in v.paragraph
    flattered = wb.assist.validate(codings, "model:m@1", gold=gold, codebook=CODEBOOK, seen=seen, exclude_seen=False, n_boot=0)
    assert len(flattered.units) == 80 and "flattered" in flattered.notes[0]
    with pytest.raises(ValueError, match="no unit to compare"):
        wb.assist.validate(codings, "model:m@1", gold=gold, seen=units["unit_id"], n_boot=0)
    with pytest.raises(ValueError, match="no codings of the model coder"):
        wb.assist.validate(codings, "model:other", gold=gold, n_boot=0)


def test_validate_a_project_on_a_round_it_was_not_trained_on(applied):
    project, name = applied
    v = wb.assist.validate(project, name, round="check", n_boot=200)
    assert sorted(v.units) == sorted(project.round_units("check")) and v.left_out == []
    # human-human beside it: the same as the project's own report for the round
    own = project.agreement(round="check", coders=["ann", "bob"], measures=("alpha", "cohen_kappa"), n_boot=200,
                            seed=0).set_index(["code", "measure"])
    hh = v.table[v.table["kind"] == "human–human"].set_index(["code", "measure"])
    assert np.allclose(hh["value"], own.loc[hh.index, "value"], equal_nan=True)
    # the model's offered codes are marked; group and overall rows are not per code
    model_rows = v.table[v.table["kind"] == "model–gold"]
    assert model_rows.loc[model_rows["code"].isin(CODEBOOK.names), "offered"].isin([True, False]).all()
    assert model_rows.loc[model_rows["code"] == "(overall)", "offered"].isna().all()
    # over every round, the units it was trained on are left out
    every = wb.assist.validate(project, name, round=ALL_ROUNDS, n_boot=0)
    assert sorted(every.left_out) == sorted(project.round_units("pilot"))
    assert sorted(every.units) == sorted(project.round_units("check"))
    # without gold: against the humans
    no_gold = wb.assist.validate(project, name, round="check", gold=False, n_boot=0)
    assert set(no_gold.table["kind"]) == {"model–human", "human–human"}
    assert "agreed with the human coders at α =" in no_gold.paragraph


def test_stability_of_a_trained_model_and_in_the_table(applied):
    project, name = applied
    model = wb.assist.train(project, on="gold", round="pilot")
    units = project.units(unit_ids=project.round_units("check"))
    table = wb.assist.stability(model, units, n_boot=0)
    overall = table[(table["code"] == "(overall)")]
    assert overall["value"].tolist() == [1.0]  # deterministic: the same codes every time
    assert overall["comparison"].tolist() == ["same prompt, run 1 vs run 2"]
    v = wb.assist.validate(project, name, round="check", n_boot=0, stability=table)
    assert "Stability of the model's codes between runs: same prompt, run 1 vs run 2 α = 1.000." in v.paragraph
    with pytest.raises(ValueError, match="at least 2"):
        wb.assist.stability(model, units, runs=1)
