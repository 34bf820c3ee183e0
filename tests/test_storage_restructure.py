"""Codebook restructuring in the store (rename, merge, split, retire; workbench/storage/restructure.py),
on SQLite and PostgreSQL.

The invariant every operation keeps: each coding current before it is reachable after
it, either as a current coding of the code it became or as an entry of the recode
queue, and the event log before the operation is unchanged.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

import workbench as wb
from workbench.storage import tables as T
from workbench.storage.codings import Codings


def _add_round(project: wb.Project, name: str) -> None:
    """A minimal open round (the rounds workflow is another module's)."""
    with project.engine.begin() as conn:
        conn.execute(
            T.rounds.insert().values(name=name, status="open", created_at=dt.datetime.now(dt.UTC))
        )


@pytest.fixture
def coded(any_project, demo_codebook, demo_units):
    """A project with the demo codebook, two coders, codings outside and inside a round."""
    p = any_project
    p.add_codebook(demo_codebook.replace(codes=demo_codebook.codes + (
        wb.Code("derailing", "Derailing", "Moves the conversation off the person."),
        wb.Code("not-all", "Not all of us", "Says not all staff are like that.", parent="derailing", shortcut="a"),
    )), note="v1")
    p.add_units(demo_units)
    for coder in ("alice", "bob"):
        p.add_coder(coder)
    _add_round(p, "r1")
    p.code("t1:1", ["defensive", "not-all"], coder="alice", memo="classic")
    p.code("t1:1", ["defensive"], coder="bob")
    p.code("t1:1", ["defensive", "gratitude"], coder="bob", round="r1")
    p.code("t2:1", ["systemic-deflection"], coder="alice")
    p.code("t1:4", ["gratitude"], coder="alice")
    p.code("t1:4", ["validating", "gratitude"], coder="bob")
    p.code("t1:2", ["not-all"], coder="alice", span=(0, 4))
    return p


def _state(p: wb.Project) -> set[tuple]:
    df = p.codings()
    return {
        (r.unit_id, r.coder, None if pd.isna(r["round"]) else r["round"], r.code,
         None if pd.isna(r.span_start) else int(r.span_start))
        for _, r in df.iterrows()
    }


def _history_rows(p: wb.Project) -> list[tuple]:
    h = p.history()
    return [tuple(x) for x in h[["event_id", "unit_id", "code", "action", "coder", "codebook_version"]].itertuples(index=False)]


def _assert_reachable(p: wb.Project, before: set[tuple], history_before: list[tuple], mapping: dict) -> None:
    after = _state(p)
    queue = p.recode_queue()
    queued = {
        (r.unit_id, r.coder, None if pd.isna(r["round"]) else r["round"], r.code) for _, r in queue.iterrows()
    }
    for unit, coder, rnd, code, span in before:
        target = mapping.get(code, code)
        if target is None or (unit, coder, rnd, code) in queued:
            assert (unit, coder, rnd, code) in queued, (unit, coder, rnd, code)
        else:
            assert (unit, coder, rnd, target, span) in after, (unit, coder, rnd, code, target)
    # history before the operation is untouched (append-only)
    assert _history_rows(p)[: len(history_before)] == history_before


def _versions(p: wb.Project) -> int:
    return len(p.codebook_versions())


# --- rename ------------------------------------------------------------------------------------
def test_rename_moves_every_current_coding_through_new_events(coded):
    p = coded
    before, hist = _state(p), _history_rows(p)
    guid = p.codebook().with_guids()["not-all"].guid
    version = p.rename_code("not-all", "not-all-of-us", label="Not all of us!", note="clearer", actor="lead")
    assert version == 2 == p.codebook_version()
    _assert_reachable(p, before, hist, {"not-all": "not-all-of-us"})
    cb = p.codebook()
    assert "not-all" not in cb and cb["not-all-of-us"].label == "Not all of us!"
    assert cb["not-all-of-us"].guid == guid
    assert cb["not-all-of-us"].parent == "derailing"
    assert "not-all" in p.codebook(1)  # old versions are immutable
    new = p.history().iloc[len(hist):]
    assert set(new["origin"]) == {"rename:not-all->not-all-of-us"}
    assert set(new["codebook_version"]) == {2}
    assert sorted(new["action"]) == ["apply", "apply", "remove", "remove"]
    now = p.codings(coder="alice")
    kept = now[(now.unit_id == "t1:1") & (now.code == "not-all-of-us")]
    assert kept["memo"].tolist() == ["classic"]
    spanned = now[now.unit_id == "t1:2"]
    assert (spanned["span_start"].tolist(), spanned["span_end"].tolist()) == ([0], [4])
    assert p.codebook_versions()["note"].tolist() == ["v1", "clearer"]
    assert p.codebook_diff().renamed == (("not-all", "not-all-of-us"),)
    lineage = p.code_lineage()
    assert lineage[["version", "action", "migrated"]].values.tolist() == [[2, "rename_code", 2]]
    assert lineage["actor"].tolist() == ["lead"]


def test_after_a_rename_coders_use_the_new_name(coded):
    coded.rename_code("gratitude", "thanks")
    coded.code("t2:0", ["thanks"], coder="alice")
    with pytest.raises(wb.UnknownCodeError):
        coded.code("t2:0", ["gratitude"], coder="alice")
    assert coded.codings(coder="alice", unit_ids=["t2:0"])["codebook_version"].tolist() == [2]


def test_rename_children_follow_the_parent(coded):
    coded.rename_code("derailing", "off-topic")
    assert coded.codebook()["not-all"].parent == "off-topic"


def test_rename_refuses_existing_or_unknown_names_and_writes_nothing(coded):
    hist = _history_rows(coded)
    with pytest.raises(ValueError, match="already exists"):
        coded.rename_code("defensive", "validating")
    with pytest.raises(wb.UnknownCodeError, match="codes:"):
        coded.rename_code("nope", "x")
    with pytest.raises(wb.CodebookError, match="not a slug"):
        coded.rename_code("defensive", "Not A Slug")
    assert _history_rows(coded) == hist and _versions(coded) == 1


def test_a_failure_midway_rolls_the_whole_operation_back(coded, monkeypatch):
    before, hist = _state(coded), _history_rows(coded)
    calls = {"n": 0}
    original = Codings.apply_state

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise sa.exc.OperationalError("UPDATE current_codings", {}, Exception("disk full"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Codings, "apply_state", flaky)
    with pytest.raises(wb.StoreError, match="Nothing was changed"):
        coded.rename_code("defensive", "defending")
    monkeypatch.undo()
    assert calls["n"] == 3
    assert _state(coded) == before and _history_rows(coded) == hist
    assert _versions(coded) == 1 and "defensive" in coded.codebook()


# --- merge -------------------------------------------------------------------------------------
def test_merge_into_an_existing_code_keeps_one_coding_per_unit(coded):
    p = coded
    before, hist = _state(p), _history_rows(p)
    version = p.merge_codes(["not-all"], into="defensive")
    assert version == 2
    _assert_reachable(p, before, hist, {"not-all": "defensive"})
    alice = p.codings(coder="alice", unit_ids=["t1:1"])
    assert alice["code"].tolist() == ["defensive"]  # had both: one coding, not two
    assert "not-all" not in p.codebook()
    new = p.history().iloc[len(hist):]
    assert set(new["origin"]) == {"merge:not-all->defensive"}
    assert p.recode_queue().empty


def test_merge_into_a_new_code_and_children_move(coded):
    p = coded
    before, hist = _state(p), _history_rows(p)
    p.merge_codes(["defensive", "derailing"], into={"name": "recentring", "label": "Recentring", "group": "stance"})
    cb = p.codebook()
    assert "recentring" in cb and "defensive" not in cb and "derailing" not in cb
    assert cb.names.index("recentring") == 1  # takes the place of the first source
    assert cb["not-all"].parent == "recentring"
    _assert_reachable(p, before, hist, {"defensive": "recentring", "derailing": "recentring"})


def test_merge_that_breaks_an_exclusive_group_marks_the_unit_for_recoding(coded):
    p = coded
    before, hist = _state(p), _history_rows(p)
    # bob has validating + gratitude on t1:4; gratitude folds into the exclusive stance group
    p.merge_codes(["gratitude"], into="defensive")
    _assert_reachable(p, before, hist, {"gratitude": "defensive"})
    queue = p.recode_queue()
    row = queue[(queue.coder == "bob") & (queue.unit_id == "t1:4")]
    assert len(row) == 1
    assert row["candidates"].iloc[0] == ["defensive", "validating"]
    assert row["reason"].iloc[0] == "exclusive group stance"


# --- split -------------------------------------------------------------------------------------
def test_split_marks_codings_for_recoding_and_keeps_them_reachable(coded):
    p = coded
    before, hist = _state(p), _history_rows(p)
    version = p.split_code(
        "defensive",
        into=[
            {"name": "defending-self", "label": "Defending self", "definition": "I am a good nurse."},
            {"name": "defending-profession", "label": "Defending the profession", "definition": "Nurses care."},
        ],
    )
    assert version == 2
    cb = p.codebook()
    assert cb["defending-self"].group == "stance" and cb["defending-self"].shortcut == "d"
    assert cb["defending-profession"].shortcut is None
    _assert_reachable(p, before, hist, {"defensive": None})
    queue = p.recode_queue()
    assert sorted(zip(queue.unit_id, queue.coder, queue["round"].fillna("-"))) == [
        ("t1:1", "alice", "-"), ("t1:1", "bob", "-"), ("t1:1", "bob", "r1")
    ]
    assert all(c == ["defending-self", "defending-profession"] for c in queue["candidates"])
    assert set(queue["reason"]) == {"split"} and set(queue["codebook_version"]) == {2}
    assert "defensive" not in set(p.codings()["code"])
    # the history still has every defensive coding
    assert (p.history()["code"] == "defensive").sum() == 3 + 3
    # recoding clears the entry; automatic events do not
    p.code("t1:1", ["defending-self"], coder="bob")
    left = p.recode_queue()
    assert sorted(zip(left.coder, left["round"].fillna("-"))) == [("alice", "-"), ("bob", "r1")]
    assert len(p.recode_queue(include_done=True)) == 3
    assert p.recode_queue(coder="alice")["coder"].tolist() == ["alice"]
    assert p.recode_queue(round="r1")["coder"].tolist() == ["bob"]


def test_split_unit_with_no_other_code_returns_to_the_coders_queue(coded):
    p = coded
    for unit in ("t1:0", "t2:0", "t2:2"):
        p.code(unit, ["validating"], coder="alice")
    assert p.next_unit("alice") is None  # alice has coded her whole queue
    assert p.progress("alice") == {"coded": 7, "total": 7}
    p.split_code("systemic-deflection", into=["resources", "other-services"])
    assert p.recode_queue(coder="alice")["unit_id"].tolist() == ["t2:1"]
    assert p.next_unit("alice") == "t2:1"  # the cursor went back to the unit to recode
    assert p.progress("alice") == {"coded": 6, "total": 7}
    p.code("t2:1", ["resources"], coder="alice")
    assert p.next_unit("alice") is None
    assert p.recode_queue(coder="alice").empty


def test_split_validates_its_arguments(coded):
    with pytest.raises(ValueError, match="two or more"):
        coded.split_code("defensive", into=["only-one"])
    with pytest.raises(ValueError, match="must create new names"):
        coded.split_code("defensive", into=["defensive", "other"])
    with pytest.raises(ValueError, match="already exist"):
        coded.split_code("defensive", into=["validating", "other"])
    assert _versions(coded) == 1


# --- retire ------------------------------------------------------------------------------------
def test_retire_with_a_replacement_migrates_codings(coded):
    p = coded
    before, hist = _state(p), _history_rows(p)
    p.retire_code("derailing")  # nobody used it; its child moves up
    assert p.codebook()["not-all"].parent is None
    p.retire_code("not-all", replacement="defensive")
    _assert_reachable(p, before, hist, {"not-all": "defensive"})
    assert set(p.history()["origin"].dropna()) == {"retire:not-all->defensive"}
    assert p.codebook_version() == 3


def test_retire_without_replacement_marks_for_recoding(coded):
    p = coded
    before, hist = _state(p), _history_rows(p)
    p.retire_code("gratitude", note="not a response type")
    _assert_reachable(p, before, hist, {"gratitude": None})
    queue = p.recode_queue()
    assert sorted(zip(queue.unit_id, queue.coder)) == [("t1:1", "bob"), ("t1:4", "alice"), ("t1:4", "bob")]
    assert "gratitude" not in queue["candidates"].iloc[0]
    assert p.codebook_versions()["note"].iloc[-1] == "not a response type"
    with pytest.raises(wb.UnknownCodeError):
        p.retire_code("gratitude")


def test_a_sequence_of_operations_keeps_every_coding_reachable(coded):
    p = coded
    before, hist = _state(p), _history_rows(p)
    p.rename_code("not-all", "not-all-of-us")
    p.merge_codes(["not-all-of-us"], into="defensive")
    p.rename_code("systemic-deflection", "deflecting-to-the-system-and-its-resources")
    _assert_reachable(
        p, before, hist,
        {"not-all": "defensive", "systemic-deflection": "deflecting-to-the-system-and-its-resources"},
    )
    origins = set(p.history()["origin"].dropna())
    assert "rename:systemic-deflection->deflecting-to-the-system-and-its-resources" in origins  # full since migration 0003
    assert p.codebook_version() == 4
    d = p.codebook_diff(1, 4)
    assert ("systemic-deflection", "deflecting-to-the-system-and-its-resources") in d.renamed
    assert "not-all" in d.removed
    p.rebuild_state()  # the derived state agrees with the event log
    assert _state(p) == {
        (u, c, r, {"not-all": "defensive", "systemic-deflection": "deflecting-to-the-system-and-its-resources"}.get(code, code), s)
        for u, c, r, code, s in before
    }
