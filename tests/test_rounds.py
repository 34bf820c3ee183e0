"""The round workflow through the facade: the scripted scenario and the disagreement review
(``Project.round_disagreements``; the parts are tested in test_storage_rounds.py and
test_storage_adjudication.py).

The scripted scenario of issue 9 (three rounds, two coders, the example data, a codebook
change between rounds, every disagreement adjudicated) is :func:`build_scenario`; the
report tests reuse it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import workbench as wb
from workbench.ingest import load_threads

ROOT = Path(__file__).resolve().parent.parent
STANCES = ["validating", "defensive", "systemic-deflection", "dismissing"]


# --- the scripted scenario --------------------------------------------------------------
def load_examples(project: wb.Project) -> int:
    n = 0
    for f in sorted((ROOT / "data" / "examples").glob("*.txt")):  # the example threads, not the CSV
        n += project.add_units(load_threads(f))
    return n


def _bob_agrees(k: int, rate: float) -> bool:
    return (k * 37 % 100) / 100 < rate


def build_scenario(project: wb.Project) -> dict:
    """Three rounds of 14 units (stratified by thread, fresh units each round), two coders.

    Round 1 codes with codebook version 1; between rounds 1 and 2 the codebook gains a
    clarified definition and a new code (version 2), proposed in an adjudication of round
    1; rounds 2 and 3 code with version 2. Bob agrees with Alice more each round. Every
    disagreement is adjudicated by the supervisor ``sam`` (the first one twice: the later
    decision is current).
    """
    load_examples(project)
    cb1 = wb.Codebook.from_yaml(ROOT / "codebooks" / "response-types.yaml")
    project.add_codebook(cb1, note="first draft")
    for c in ("alice", "bob"):
        project.add_coder(c)
    plan = [
        ("round 1", 11, None, 0.45),
        ("round 2", 12, ["round 1"], 0.75),
        ("round 3", 13, ["round 1", "round 2"], 0.95),
    ]
    out: dict = {"rounds": [p[0] for p in plan], "seeds": {p[0]: p[1] for p in plan}, "disagreements": {}}
    for i, (name, seed, exclude, rate) in enumerate(plan):
        if i == 1:
            cb2 = cb1.replace_code("dismissing", definition="Disputes or blames: clarified after round 1.")
            cb2 = cb2.replace(
                codes=cb2.codes
                + (wb.Code(name="signposting", label="Signposting", definition="Points to help.", group="moves"),)
            )
            out["v2"] = project.add_codebook(cb2, note="clarify dismissing; add signposting")
        project.new_round(name, sample=14, coders=["alice", "bob"], seed=seed, stratify="thread", exclude=exclude)
        for k, u in enumerate(project.round_units(name)):
            stance = STANCES[k % 4]
            moves = ["gratitude"] if k % 3 == 0 else []
            project.code(u, [stance, *moves], coder="alice", round=name, memo=f"alice memo {k}" if k == 0 else None)
            other = stance if _bob_agrees(k, rate) else STANCES[(k + 1) % 4]
            project.code(u, [other, *moves], coder="bob", round=name)
        project.close_round(name)
        dis = project.round_disagreements(name)
        out["disagreements"][name] = list(dis["unit_id"])
        for j, row in enumerate(dis.to_dict("records")):
            alice = row["codes:alice"].split(", ")
            if j == 0:  # a first decision, then a revised one: the later one is current
                project.adjudicate(row["unit_id"], row["codes:bob"].split(", "), round=name, decided_by="sam",
                                   reason="first reading")
            project.adjudicate(
                row["unit_id"], alice, round=name, decided_by="sam", reason="follows the codebook definition",
                proposal="Clarify dismissing vs defensive" if (name == "round 1" and j == 0) else None,
            )
    return out


@pytest.fixture
def scenario(any_project):
    return any_project, build_scenario(any_project)


@pytest.fixture
def small(any_project, demo_units, demo_codebook):
    any_project.add_units(demo_units)
    any_project.add_codebook(demo_codebook)
    for c in ("alice", "bob", "cat"):
        any_project.add_coder(c)
    return any_project


# --- the scenario of issue 9 --------------------------------------------------------------
def test_scenario_three_rounds(scenario):
    project, sc = scenario
    rounds = project.rounds()
    assert list(rounds["round"]) == sc["rounds"]
    assert list(rounds["status"]) == ["closed"] * 3
    assert list(rounds["codebook_version"]) == [1, 2, 2]
    assert list(rounds["n_units"]) == [14, 14, 14]
    assert list(rounds["seed"]) == [11, 12, 13]
    # fresh units each round
    units = [set(project.round_units(r)) for r in sc["rounds"]]
    assert not (units[0] & units[1]) and not (units[0] & units[2]) and not (units[1] & units[2])
    # the sample is reproducible from its seed
    for r in sc["rounds"]:
        info = project.round_info(r)
        assert project.redraw_sample(r) == project.round_units(r)
        spec = info["sample"]
        assert project.sample_units(spec["sample"], seed=info["seed"], stratify=spec["stratify"],
                                    exclude=spec["exclude"] or None) == project.round_units(r)
    # the codings carry the codebook version pinned to their round
    codings = project.codings()
    versions = codings.groupby("round")["codebook_version"].unique().map(list).to_dict()
    assert versions == {"round 1": [1], "round 2": [2], "round 3": [2]}
    # agreement improves, as scripted
    alphas = [project.agreement(r, n_boot=50)["value"].iloc[0] for r in sc["rounds"]]
    assert alphas[0] < alphas[1] < alphas[2]


def test_scenario_blind_views_hold(scenario):
    project, sc = scenario
    for r in sc["rounds"]:
        for coder in ("alice", "bob"):
            view = project.blind_codings(coder, r)
            assert set(view["coder"]) == {coder}
            assert set(view["round"]) == {r}
            assert set(view["unit_id"]) == set(project.round_units(r, coder=coder))
            mine = project.codings(coder=coder, round=r)
            assert len(view) == len(mine)
    # alice's view never shows bob's codes on a unit where they differ
    unit = sc["disagreements"]["round 1"][0]  # noqa: F841 (read by DataFrame.query as @unit)
    alice = set(project.blind_codings("alice", "round 1").query("unit_id == @unit")["code"])
    bob = set(project.codings(coder="bob", round="round 1").query("unit_id == @unit")["code"])
    assert bob - alice and not (bob - alice) & alice


def test_scenario_gold_has_one_decision_per_disagreement(scenario):
    project, sc = scenario
    total = 0
    for r in sc["rounds"]:
        dis = project.round_disagreements(r)
        assert len(dis) == len(sc["disagreements"][r]) > 0
        assert dis["adjudicated"].all()
        dec = project.decisions(r)
        assert sorted(dec["unit_id"]) == sorted(dis["unit_id"])
        assert dec["unit_id"].is_unique
        gold = project.gold(r)
        assert gold["adjudication_id"].nunique() == len(dis)
        assert set(gold["unit_id"]) == set(dis["unit_id"])
        # the current decision is the latest: alice's codes, not the first reading
        alice = project.codings(coder="alice", round=r)
        for unit, part in gold.groupby("unit_id"):
            assert set(part["code"]) == set(alice.loc[alice["unit_id"] == unit, "code"])
        assert set(gold["reason"]) == {"follows the codebook definition"}
        total += len(dis)
    everything = project.decisions(latest=False)
    assert len(everything) == total + 3  # one superseded decision per round
    assert project.gold()["adjudication_id"].nunique() == total
    props = project.proposals()
    assert list(props["round"]) == ["round 1"] and props["newer_version"].iloc[0] == 2
    assert props["proposal"].iloc[0] == "Clarify dismissing vs defensive"


# --- the round review: disagreements ---------------------------------------------------------
@pytest.fixture
def coded(small):
    small.new_round("r", coders=["alice", "bob", "cat"], units=["t1:1", "t1:2", "t1:4", "t2:1"])
    small.new_round("other", coders=["alice", "bob"], units=["t1:1"])
    c = small.code
    c("t1:1", ["defensive"], coder="alice", round="r")
    c("t1:1", ["defensive"], coder="bob", round="r")
    c("t1:1", ["validating", "gratitude"], coder="cat", round="r", memo="cat thinks so")
    c("t1:2", ["validating"], coder="alice", round="r")
    c("t1:2", ["systemic-deflection"], coder="bob", round="r")
    c("t1:4", ["gratitude"], coder="alice", round="r")
    c("t1:4", ["gratitude"], coder="bob", round="r")
    c("t2:1", ["systemic-deflection"], coder="alice", round="r")  # coded once: incomplete, not a disagreement
    c("t1:1", ["validating"], coder="alice", round="other")
    c("t1:1", ["defensive"], coder="alice")  # outside any round
    small.memo("t1:2", "bob's memo", coder="bob", round="r")
    return small


def test_round_disagreements_wide(coded):
    dis = coded.round_disagreements("r")
    assert list(dis.columns) == [
        "unit_id", "n_coders", "n_assigned", "n_code_sets", "contested", "adjudicated", "codes_by_coder",
        "codes:alice", "codes:bob", "codes:cat",
    ]
    # t1:2: disjoint sets (distance 1); t1:1: two agree, one differs (mean distance 2/3)
    assert list(dis["unit_id"]) == ["t1:2", "t1:1"]
    assert dis["contested"].tolist() == pytest.approx([1.0, 2 / 3])
    first = dis.iloc[0]
    assert first["codes_by_coder"] == "alice: validating; bob: systemic-deflection"
    assert (first["codes:alice"], first["codes:bob"]) == ("validating", "systemic-deflection")
    assert pd.isna(first["codes:cat"]) and first["n_coders"] == 2 and first["n_assigned"] == 3
    second = dis.iloc[1]
    assert second["codes:cat"] == "gratitude, validating" and second["n_code_sets"] == 2
    assert not dis["adjudicated"].any()


def test_round_disagreements_codes_filter_long_and_anonymous(coded):
    only_gratitude = coded.round_disagreements("r", codes=["gratitude"])
    assert list(only_gratitude["unit_id"]) == ["t1:1"]
    assert only_gratitude.iloc[0]["codes_by_coder"] == "alice: (none); bob: (none); cat: gratitude"
    with pytest.raises(wb.UnknownCodeError, match="nonsense"):
        coded.round_disagreements("r", codes=["nonsense"])
    long = coded.round_disagreements("r", long=True)
    assert list(long.columns) == ["unit_id", "coder", "codes", "memo", "contested"]
    assert long[["unit_id", "coder"]].values.tolist() == [
        ["t1:2", "alice"], ["t1:2", "bob"], ["t1:1", "alice"], ["t1:1", "bob"], ["t1:1", "cat"]]
    memo = dict(zip(zip(long["unit_id"], long["coder"]), long["memo"]))
    assert memo[("t1:2", "bob")] == "bob's memo" and memo[("t1:1", "cat")] == "cat thinks so"
    assert memo[("t1:1", "alice")] is None
    anon = coded.round_disagreements("r", anonymise=True)
    assert [c for c in anon.columns if c.startswith("codes:")] == ["codes:coder 1", "codes:coder 2", "codes:coder 3"]
    assert "alice" not in " ".join(anon["codes_by_coder"])
    assert set(coded.round_disagreements("r", long=True, anonymise=True)["coder"]) == {"coder 1", "coder 2", "coder 3"}


def test_no_disagreements_gives_empty_frames_with_columns(small):
    small.new_round("r", coders=["alice", "bob"], units=["t1:1"])
    small.code("t1:1", "defensive", coder="alice", round="r")
    dis = small.round_disagreements("r")
    assert dis.empty and "codes:bob" in dis.columns
    assert small.round_disagreements("r", long=True).empty


def test_the_round_review_is_the_one_disagreement_analysis(coded):
    # the review reads the round's codings and assignments; the analysis is agreement.disagreements
    codings = coded.codings(round="r")
    assigned = {u: coded.round_info("r")["coders"] for u in coded.round_units("r")}
    sets = {}
    for u, c, code in zip(codings["unit_id"], codings["coder"], codings["code"]):
        if c in assigned.get(u, ()):
            sets.setdefault(u, {}).setdefault(c, set()).add(code)
    table = pd.DataFrame.from_dict(
        {u: {c: frozenset(s) for c, s in by.items()} for u, by in sets.items()}, orient="index"
    ).reindex(index=[u for u in coded.round_units("r") if u in sets], columns=["alice", "bob", "cat"])
    table = table.astype(object).where(table.notna(), None)
    expected = wb.agreement.disagreements(table, wide=True)
    review = coded.round_disagreements("r")
    assert review["unit_id"].tolist() == expected["unit"].tolist()
    assert review["contested"].tolist() == pytest.approx(expected["contested"].tolist())
    assert review["codes_by_coder"].tolist() == expected["value_by_coder"].tolist()
    assert review["n_code_sets"].tolist() == expected["n_values"].tolist()
