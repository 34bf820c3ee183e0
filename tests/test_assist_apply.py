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
    assert pilot.coders().set_index("name").loc[name, "role"] == "model"
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
    assert any(a == "set_setting" for a in pilot.audit_log()["action"])  # the run is in the audit log


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


class _WiredProject(wb.Project):
    """The project as the store will offer it: coders with a kind, coding events with an origin."""

    def __init__(self, engine, **kw):
        super().__init__(engine, **kw)
        self.kinds: dict[str, str | None] = {}
        self.origins: list[str | None] = []

    def add_coder(self, name, *, role=None, kind=None):
        self.kinds[name] = kind
        return super().add_coder(name, role=role)

    def code(self, unit_id, codes, *, coder, round=None, memo=None, span=None, origin=None):
        self.origins.append(origin)
        return super().code(unit_id, codes, coder=coder, round=round, memo=memo, span=span)


def test_the_store_calls_are_used_once_the_project_offers_them(pilot):
    wired = _WiredProject(pilot.engine, url=pilot.url)
    model = wb.assist.train(wired, on="gold", round="pilot")
    name = wb.assist.apply(wired, model, ["s120", "s121", "s122"])
    assert wired.kinds == {name: "model"}
    assert wired.origins and set(wired.origins) == {"model"}
