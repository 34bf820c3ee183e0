"""Adjudication decisions, the gold set and proposals (workbench/storage/adjudication.py),
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

import workbench as wb


@pytest.fixture
def small(any_project, demo_units, demo_codebook):
    any_project.add_units(demo_units)
    any_project.add_codebook(demo_codebook)
    for c in ("alice", "bob", "cat"):
        any_project.add_coder(c)
    return any_project


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


def test_adjudicate_append_only_latest_is_current(coded):
    first = coded.adjudicate("t1:2", "validating", round="r", decided_by="sam", reason="r1")
    second = coded.adjudicate("t1:2", ["systemic-deflection"], round="r", decided_by="sam", reason="r2",
                              proposal="split systemic deflection")
    assert second > first
    dec = coded.decisions("r")
    assert dec[["unit_id", "codes", "reason", "codebook_version"]].values.tolist() == [
        ["t1:2", "systemic-deflection", "r2", 1]]
    assert len(coded.decisions("r", latest=False)) == 2
    assert coded.round_disagreements("r").set_index("unit_id").loc["t1:2", "adjudicated"]
    assert coded.proposals("r")["proposal"].tolist() == ["split systemic deflection"]
    assert coded.audit_log()["action"].tolist().count("adjudicate") == 2


def test_a_decision_of_no_code_is_one_gold_row(coded):
    coded.adjudicate("t1:1", [], round="r", decided_by="sam", reason="neither applies")
    coded.adjudicate("t1:2", ["validating", "gratitude"], round="r", decided_by="sam")
    gold = coded.gold("r")
    assert list(gold.columns[:6]) == ["unit_id", "code", "round", "decided_by", "reason", "at"]
    assert gold["adjudication_id"].nunique() == 2 == len(coded.decisions("r"))
    none_row = gold[gold["unit_id"] == "t1:1"]
    assert len(none_row) == 1 and none_row["code"].iloc[0] is None
    assert sorted(gold.loc[gold["unit_id"] == "t1:2", "code"]) == ["gratitude", "validating"]
    dec = coded.decisions("r").set_index("unit_id")
    assert dec.loc["t1:1", "codes"] == "" and dec.loc["t1:1", "n_codes"] == 0


def test_gold_across_rounds_keeps_the_latest_per_unit(coded):
    coded.adjudicate("t1:1", ["defensive"], round="r", decided_by="sam")
    coded.adjudicate("t1:1", ["validating"], round="other", decided_by="kim")
    assert coded.gold("r")["code"].tolist() == ["defensive"]
    gold = coded.gold()
    assert gold[["unit_id", "code", "round", "decided_by"]].values.tolist() == [["t1:1", "validating", "other", "kim"]]
    assert len(coded.decisions(latest=False)) == 2


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("t1:2", ["nonsense"]), {}, wb.UnknownCodeError, "not in codebook version 1"),
        (("t1:2", ["validating", "defensive"]), {}, ValueError, "exclusive group 'stance'"),
        (("t2:2", ["validating"]), {}, ValueError, "not in round 'r'"),
        (("zz", ["validating"]), {}, wb.UnknownUnitError, "'zz' is not in this project"),
        (("t1:2", ["validating"]), {"round": "zzz"}, wb.UnknownRoundError, "'zzz' does not exist"),
        (("t1:2", ["validating"]), {"decided_by": " "}, ValueError, "decided_by"),
        (("t1:2", [3]), {}, TypeError, "code names"),
        (("t1:2", ["validating"]), {"reason": 5}, TypeError, "reason"),
    ],
)
def test_adjudicate_refuses_bad_input(coded, args, kwargs, error, match):
    kw = {"round": "r", "decided_by": "sam", **kwargs}
    with pytest.raises(error, match=match):
        coded.adjudicate(*args, **kw)
    assert coded.decisions(latest=False).empty


def test_adjudication_validates_against_the_rounds_version(small, demo_codebook):
    small.new_round("v1", coders=["alice"], units=["t1:1"])
    small.add_codebook(demo_codebook.replace(codes=demo_codebook.codes + (
        wb.Code(name="signposting", label="Signposting", definition="Points to help."),)))
    with pytest.raises(wb.UnknownCodeError, match="the round's version"):
        small.adjudicate("t1:1", ["signposting"], round="v1", decided_by="sam")
    small.new_round("v2", coders=["alice"], units=["t1:1"])
    small.adjudicate("t1:1", ["signposting"], round="v2", decided_by="sam")
    assert small.decisions("v2")["codebook_version"].tolist() == [2]
