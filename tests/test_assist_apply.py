"""A trained model coder in a real SQLite project: trained from the store, recorded beside the humans, never instead."""

from __future__ import annotations

import shutil

import pytest

import workbench as wb
from workbench.assist._synthetic import CODEBOOK, synthetic_project
from workbench.sentinels import ALL_ROUNDS


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A project file: 160 synthetic units, rounds 'pilot' (100) and 'check' (60) coded by ann and bob, gold."""
    path = tmp_path_factory.mktemp("template") / "project.db"
    project = wb.open_project(path)
    synthetic_project(project)
    project.close()
    return path


@pytest.fixture
def pilot(template, tmp_path):
    shutil.copy(template, tmp_path / "project.db")
    project = wb.open_project(tmp_path / "project.db")
    yield project
    project.close()


def _records(df):
    return df.astype(object).where(df.notna(), None).to_dict("records")


def test_train_from_the_store(pilot):
    gold_model = wb.assist.train(pilot, on="gold", round="pilot")
    assert sorted(gold_model.trained_on) == sorted(pilot.round_units("pilot"))
    assert gold_model.origin["round"] == "pilot" and gold_model.data.source == "gold"
    assert gold_model.origin["codebook_version"] == 1
    assert repr(gold_model) == f"<ClassifierModel {gold_model.name}: 100 units (gold), seed 0>"
    everything = wb.assist.train(pilot, on="gold")  # ALL_ROUNDS: the latest decision per unit
    assert len(everything.trained_on) == 160
    agreed = wb.assist.train(pilot, on="agreed", round="pilot")
    assert 0 < len(agreed.data.labels["group:stance"]) < 100  # bob's and ann's slips are left out
    ann = wb.assist.train(pilot, on="ann", round=ALL_ROUNDS)
    assert ann.data.source == "coder:ann" and len(ann.trained_on) == 160
    assert len({gold_model.name, everything.name, agreed.name, ann.name}) == 4
    with pytest.raises(ValueError, match="gold set lives in rounds"):
        wb.assist.train(pilot, on="gold", round=None)
    with pytest.raises(ValueError, match="leave codings= and codebook= out"):
        wb.assist.train(pilot, on="gold", codebook=CODEBOOK)


def test_apply_records_a_model_coder_and_leaves_the_humans_alone(pilot):
    model = wb.assist.train(pilot, on="gold", round="pilot")
    before = pilot.history()
    name = wb.assist.apply(pilot, model)
    assert name == model.name
    mine = pilot.codings(coder=name)
    assert set(mine["unit_id"]) <= set(pilot.units()["unit_id"])
    assert mine["round"].isna().all()  # recorded outside rounds
    predicted = dict(zip(pilot.units()["unit_id"], model.predict(pilot.units()["text"])))
    got = mine.groupby("unit_id")["code"].agg(sorted).to_dict()
    assert got == {u: sorted(c) for u, c in predicted.items() if c}
    after = pilot.history()
    assert _records(after.iloc[: len(before)]) == _records(before)
    assert set(after.iloc[len(before):]["coder"]) == {name}
    coders = pilot.coders().set_index("name")
    assert (coders.loc[name, "kind"], coders.loc[name, "role"]) == ("model", "coder")
    assert set(coders.drop(index=name)["kind"]) == {"human"}
    assert set(after.iloc[len(before):]["origin"]) == {"model"}  # the same log, origin model
    # the model coder is in the agreement report as a coder
    report = pilot.agreement(ci=False)
    assert report.loc[report["code"] == "(overall)", "n_coders"].item() == 3
    assert name in set(pilot.codings()["coder"])
    (run,) = wb.assist.runs(pilot).to_dict("records")
    assert (run["coder"], run["kind"], run["model"], run["status"], run["seed"]) == (name, "classifier", "logreg-tfidf", "finished", 0)
    assert run["n_units"] == 160 and run["n_coded"] + run["n_no_code"] == 160
    record = wb.assist.run_record(pilot, run["run_id"])
    assert sorted(record["seen_units"]) == sorted(model.trained_on)
    assert record["offered"] == sorted(model.offered())
    assert record["settings"]["settings"]["C"] == model.settings["C"] and record["codebook_version"] == 1
    assert record["privacy"].startswith("local")
    audit = pilot.audit_log()
    saved = audit[audit["action"] == "model_run"]["detail"].tolist()  # the run is in the audit log
    assert len(saved) == 2 and '"status": "running"' in saved[0] and '"status": "finished"' in saved[1]
    assert (run["version"], run["prompt_hash"]) == (name.rpartition("@")[2], None)


def test_applying_again_codes_only_what_is_left(pilot):
    model = wb.assist.train(pilot, on="gold", round="pilot")
    first = ["s100", "s101"]
    wb.assist.apply(pilot, model, first)
    n = len(pilot.history())
    wb.assist.apply(pilot, model, first)
    assert len(pilot.history()) == n
    runs = wb.assist.runs(pilot)
    assert runs["n_units"].tolist() == [2, 0]
    with pytest.raises(wb.UnknownUnitError, match="nope"):
        wb.assist.apply(pilot, model, ["s1", "nope"])
    with pytest.raises(ValueError, match="outside rounds"):
        wb.assist.apply(pilot, model, round=ALL_ROUNDS)
    with pytest.raises(TypeError, match="trained model"):
        wb.assist.apply(pilot, "model:logreg-tfidf@x")


def test_apply_into_a_round(pilot):
    model = wb.assist.train(pilot, on="gold", round="pilot")
    name = wb.assist.apply(pilot, model, round="check")
    in_round = pilot.codings(round="check", coder=name)
    assert set(in_round["unit_id"]) <= set(pilot.round_units("check")) and len(in_round) > 0
    assert pilot.agreement(round="check", ci=False)["n_coders"].max() == 3


def test_a_model_is_not_trained_on_a_model(pilot):
    model = wb.assist.train(pilot, on="gold", round="pilot")
    name = wb.assist.apply(pilot, model, ["s120", "s121"])
    with pytest.raises(ValueError, match="is a model coder"):
        wb.assist.train(pilot, on=name)
    agreed = wb.assist.train(pilot, on="agreed")  # the model's codings do not count as agreement
    assert agreed.name != model.name


def test_a_model_of_another_codebook_is_refused(pilot):
    other = wb.Codebook.from_dict({"name": "other", "codes": [{"name": "x", "label": "X", "definition": "."}]})
    units = pilot.units()
    gold = units[["unit_id"]].assign(code=["x", None] * 80)
    model = wb.assist.train(units, on="gold", codings=gold, codebook=other)
    with pytest.raises(ValueError, match="does not have"):
        wb.assist.apply(pilot, model)
    assert wb.assist.runs(pilot).empty


def test_a_coder_may_not_record_a_model_run(pilot, tmp_path):
    model = wb.assist.train(pilot, on="gold", round="pilot")
    pilot.close()
    ann = wb.open_project(tmp_path / "project.db", coder="ann")
    try:
        with pytest.raises(wb.AccessError, match="supervisor's operation"):
            wb.assist.apply(ann, model, ["s120"])
        assert model.name not in set(ann.coders()["name"])
    finally:
        ann.close()


def test_the_coding_panel_suggests_only_outside_blind_rounds(pilot):
    from workbench.widgets import CodingPanel

    model = wb.assist.train(pilot, on="gold", round="pilot")
    with pytest.raises(ValueError, match="suggestions are off inside the blind round 'check'"):
        CodingPanel(pilot, coder="ann", round="check", suggestions=model)
    assert CodingPanel(pilot, coder="ann", round="check").suggested() == []  # no model: nothing
    panel = CodingPanel(pilot, coder="ann", suggestions=model)  # outside rounds: on request
    unit = panel.unit["unit_id"]
    expected = wb.assist.suggest(model, pilot.units(unit_ids=[unit]))
    assert panel.suggested() == expected.loc[expected["suggested"], "code"].tolist()
    assert panel.applied == []  # asking records nothing
    with pytest.raises(TypeError, match="trained model coder"):
        CodingPanel(pilot, coder="ann", suggestions="model:x@1")


def test_the_reliability_report_lists_the_model_runs(pilot):
    from workbench.report.reliability import reliability

    model = wb.assist.train(pilot, on="gold", round="pilot")
    name = wb.assist.apply(pilot, model, ["s120", "s121"])
    pilot.close_round("pilot")
    report = reliability(pilot, "pilot", n_boot=50)
    run = wb.assist.runs(pilot).iloc[0]
    assert "## Model coders" in report.markdown and '<section id="model-runs">' in report.html
    (row,) = report.figures["model_runs"]
    assert row[:5] == [name, "logreg-tfidf", run["version"], "", "0"] and row[7:9] == ["2", str(run["n_coded"])]
    assert row[-1] == "finished" and row[-3] == run["started_at"].strftime("%Y-%m-%d %H:%M")
    assert "model:logreg-tfidf@" in report.html.split('<section id="model-runs">')[1]
