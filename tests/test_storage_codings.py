"""The event log, the derived current state and history (workbench/storage/codings.py)."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

import workbench as wb
from workbench.storage import tables as T


@pytest.fixture
def coded(any_project, demo_units, demo_codebook):
    any_project.add_units(demo_units)
    any_project.add_codebook(demo_codebook, note="first")
    any_project.add_coder("alice")
    any_project.add_coder("bob")
    return any_project


def test_code_uncode_codings_and_history(coded):
    coded.code("t1:1", ["defensive"], coder="alice", memo="not all of us")
    coded.code("t1:1", ["gratitude"], coder="bob")
    coded.code("t2:1", ["systemic-deflection", "gratitude"], coder="alice")
    coded.uncode("t2:1", "gratitude", coder="alice")
    now = coded.codings()
    assert sorted(map(tuple, now[["unit_id", "coder", "code"]].to_numpy())) == [
        ("t1:1", "alice", "defensive"),
        ("t1:1", "bob", "gratitude"),
        ("t2:1", "alice", "systemic-deflection"),
    ]
    assert set(now["codebook_version"]) == {1}
    hist = coded.history()
    assert list(hist["action"]) == ["apply", "apply", "apply", "apply", "remove"]
    assert hist.loc[0, "memo"] == "not all of us"
    assert hist["at"].dt.tz is not None
    assert list(coded.codings(coder="bob")["code"]) == ["gratitude"]


def test_exclusive_group_replaces_the_other_code(coded):
    coded.code("t1:1", "defensive", coder="alice")
    coded.code("t1:1", "validating", coder="alice")
    assert list(coded.codings()["code"]) == ["validating"]
    hist = coded.history()
    assert list(zip(hist["code"], hist["action"])) == [
        ("defensive", "apply"),
        ("defensive", "remove"),
        ("validating", "apply"),
    ]
    with pytest.raises(ValueError, match="exclusive group 'stance'"):
        coded.code("t1:2", ["defensive", "validating"], coder="alice")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda p: p.code("nope", "defensive", coder="alice"), wb.UnknownUnitError, "unit 'nope' is not in this project"),
        (lambda p: p.code("t1:1", "rude", coder="alice"), wb.UnknownCodeError, "valid codes: ['validating'"),
        (lambda p: p.code("t1:1", "defensive", coder="carol"), wb.UnknownCoderError, "project.add_coder('carol')"),
        (lambda p: p.code("t1:1", "defensive", coder="alice", round="r9"), wb.UnknownRoundError, "round 'r9' does not exist"),
        (lambda p: p.code("t1:1", "defensive", coder="alice", span=(5, 2)), ValueError, "0 <= start < end"),
        (lambda p: p.code("t1:1", "defensive", coder="alice", span=(0, 999)), ValueError, "runs past the end"),
    ],
)
def test_bad_coding_calls_raise_and_write_nothing(coded, call, error, message):
    with pytest.raises(error) as err:
        call(coded)
    assert message in str(err.value)
    assert coded.history().empty
    assert coded.codings().empty


def test_coding_needs_a_codebook(any_project, demo_units):
    any_project.add_units(demo_units)
    any_project.add_coder("alice")
    with pytest.raises(wb.WorkbenchError, match="no codebook"):
        any_project.code("t1:1", "defensive", coder="alice")


def test_spans_are_kept_apart_from_whole_unit_codes(coded):
    coded.code("t1:1", "gratitude", coder="alice", span=(0, 5))
    coded.code("t1:1", "gratitude", coder="alice")
    now = coded.codings().sort_values("span_start", na_position="first")
    assert len(now) == 2
    assert now["span_start"].isna().sum() == 1
    coded.uncode("t1:1", "gratitude", coder="alice", span=(0, 5))
    assert coded.codings()["span_start"].isna().all()


def test_rebuild_state_equals_the_derived_state(coded):
    coded.code("t1:1", "defensive", coder="alice")
    coded.code("t1:1", "validating", coder="alice")
    coded.code("t2:1", ["gratitude"], coder="bob")
    coded.uncode("t2:1", ["gratitude"], coder="bob")
    coded.code("t2:1", ["gratitude"], coder="bob", span=(0, 3))
    before = coded.codings().drop(columns=["at"]).sort_values(["unit_id", "coder", "code"]).reset_index(drop=True)
    coded.rebuild_state()
    after = coded.codings().drop(columns=["at"]).sort_values(["unit_id", "coder", "code"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)


def test_history_is_append_only_at_the_database_level(coded):
    coded.code("t1:1", "defensive", coder="alice")
    coded.code("t1:1", "validating", coder="alice")
    with coded.engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(T.coding_events)).scalar()
    assert n == 3
    assert len(coded.audit_log()) >= 4  # units, codebook, two coders


def test_store_error_when_the_database_refuses(project, demo_units, demo_codebook):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    project.add_coder("alice")
    with project.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON coding_events BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    with pytest.raises(wb.StoreError, match="disk says no"):
        project.code("t1:1", "defensive", coder="alice")
    assert project.codings().empty


def test_unit_codes_is_the_current_state_of_one_unit(coded):
    coded.code("t2:1", ["systemic-deflection", "gratitude"], coder="alice")
    coded.code("t2:1", "gratitude", coder="alice", span=(0, 4))
    coded.code("t2:1", "validating", coder="alice")  # replaces systemic-deflection (exclusive)
    coded.code("t2:1", "defensive", coder="bob")
    assert coded.unit_codes("t2:1", coder="alice") == ["gratitude", "validating"]
    assert coded.unit_codes("t2:1", coder="bob") == ["defensive"]
    assert coded.unit_codes("t1:1", coder="alice") == []
    expected = set(coded.codings(coder="alice", unit_ids=["t2:1"])["code"])
    assert set(coded.unit_codes("t2:1", coder="alice")) == expected
