"""The Project store on SQLite and on a real PostgreSQL server (``any_project`` runs both)."""

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


def test_add_units_is_idempotent_and_round_trips(any_project, demo_units):
    assert any_project.add_units(demo_units) == len(demo_units)
    assert any_project.add_units(demo_units) == 0
    stored = any_project.units()
    assert list(stored["unit_id"]) == list(demo_units["unit_id"])
    assert stored.set_index("unit_id").loc["t2:2", "status"] == "orphan"
    assert stored.set_index("unit_id").loc["t1:4", "depth"] == 2
    # deleted units are placeholders: stored, not offered for coding
    assert not stored.set_index("unit_id").loc["t1:3", "codable"]
    assert any_project.n_units(codable=True) == len(demo_units) - 1


def test_add_units_with_new_replies_to_stored_units(any_project, demo_units):
    any_project.add_units(demo_units)
    more = wb.make_units(
        [{"unit_id": "t1:9", "thread_id": "t1", "parent_id": "t1:2", "text": "later reply", "depth": 3, "position": 9}]
    )
    # the parent is not in this table: validation accepts it because it is stored
    more.loc[0, "status"] = "ok"
    assert any_project.add_units(more) == 1
    assert any_project.context("t1:9")[0]["unit_id"] == "t1:0"
    assert [u["unit_id"] for u in any_project.context("t1:9")] == ["t1:0", "t1:1", "t1:2", "t1:9"]


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda df: df.drop(columns=["thread_id"]), "missing column(s) ['thread_id']"),
        (lambda df: pd.concat([df, df.iloc[[1]]]), "duplicate unit_id ['t1:1']"),
        (lambda df: df.assign(parent_id=df["parent_id"].where(df["unit_id"] != "t1:2", "ghost")), "unit 't1:2' replies to 'ghost'"),
        (lambda df: df.assign(parent_id=df["parent_id"].where(df["unit_id"] != "t1:1", "t1:2")), "reply cycle among units"),
        (lambda df: df.assign(status=df["status"].where(df["unit_id"] != "t1:1", "hidden")), "unknown status ['hidden']"),
    ],
)
def test_add_units_rejects_invalid_tables_and_writes_nothing(project, demo_units, breakage, expected):
    with pytest.raises(wb.UnitsError) as err:
        project.add_units(breakage(demo_units.copy()))
    assert expected in str(err.value)
    assert project.n_units() == 0


def test_reimport_of_same_source_is_a_no_op(project, demo_units):
    demo_units.attrs["source"] = {"file_name": "demo.json", "format": "demo", "checksum": "abc123"}
    assert project.add_units(demo_units) == len(demo_units)
    assert project.add_units(demo_units) == 0
    sources = project.sources()
    assert list(sources["file_name"]) == ["demo.json"]
    assert int(sources["n_units"].iloc[0]) == len(demo_units)


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


def test_codebook_versions_are_immutable_and_recorded_on_events(coded, demo_codebook):
    coded.code("t1:1", "defensive", coder="alice")
    v2 = coded.add_codebook(demo_codebook.replace(title="second draft"), note="wording")
    assert v2 == 2
    coded.code("t1:2", "validating", coder="alice")
    hist = coded.history()
    assert list(hist["codebook_version"]) == [1, 2]
    assert coded.codebook(1).title == ""
    assert coded.codebook().title == "second draft"
    assert list(coded.codebook_versions()["note"]) == ["first", "wording"]


def test_spans_are_kept_apart_from_whole_unit_codes(coded):
    coded.code("t1:1", "gratitude", coder="alice", span=(0, 5))
    coded.code("t1:1", "gratitude", coder="alice")
    now = coded.codings().sort_values("span_start", na_position="first")
    assert len(now) == 2
    assert now["span_start"].isna().sum() == 1
    coded.uncode("t1:1", "gratitude", coder="alice", span=(0, 5))
    assert coded.codings()["span_start"].isna().all()


def test_next_unit_walks_the_queue_and_resumes(coded):
    queue = coded.queue("alice")
    assert "t1:3" not in queue  # the deleted placeholder is not offered
    assert coded.next_unit("alice") == queue[0]
    for unit in queue[:3]:
        coded.code(unit, "gratitude", coder="alice")
    assert coded.next_unit("alice") == queue[3]
    # skipping ahead, then coming back
    coded.code(queue[5], "gratitude", coder="alice")
    assert coded.next_unit("alice", after=queue[4]) == queue[6]
    assert coded.next_unit("alice") == queue[3]
    coded.uncode(queue[1], "gratitude", coder="alice")
    assert coded.next_unit("alice") == queue[1]
    # bob's queue is independent
    assert coded.next_unit("bob") == queue[0]
    for unit in queue:
        coded.code(unit, "gratitude", coder="bob")
    assert coded.next_unit("bob") is None
    assert coded.progress("bob") == {"coded": len(queue), "total": len(queue)}
    # new units appear at the end of a finished queue
    coded.add_units(wb.make_units([{"unit_id": "t3:0", "thread_id": "t3", "text": "new post"}]))
    assert coded.next_unit("bob") == "t3:0"


def test_cursor_matches_a_full_scan_after_random_work(coded):
    import random

    rng = random.Random(7)
    queue = coded.queue("alice")
    for _ in range(40):
        unit = rng.choice(queue)
        if rng.random() < 0.7:
            coded.code(unit, "gratitude", coder="alice")
        else:
            coded.uncode(unit, "gratitude", coder="alice")
        coded_units = set(coded.codings(coder="alice")["unit_id"])
        expected = next((u for u in queue if u not in coded_units), None)
        assert coded.next_unit("alice") == expected


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


def test_memos_and_flags(coded):
    coded.memo("t1:1", "first thought", coder="alice")
    coded.memo("t1:1", "second thought", coder="alice")
    coded.flag("t1:2", coder="alice", note="discuss")
    coded.flag("t2:1", coder="alice")
    coded.flag("t2:1", coder="alice", on=False)
    latest = coded.memos(kind="memo", latest=True)
    assert list(latest["text"]) == ["second thought"]
    assert coded.flagged("alice") == ["t1:2"]
    assert len(coded.memos()) == 5  # append-only


def test_history_is_append_only_at_the_database_level(coded):
    coded.code("t1:1", "defensive", coder="alice")
    coded.code("t1:1", "validating", coder="alice")
    with coded.engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(T.coding_events)).scalar()
    assert n == 3
    assert len(coded.audit_log()) >= 4  # units, codebook, two coders


def test_settings_round_trip(any_project):
    assert any_project.get_setting("privacy", "raw") == "raw"
    any_project.set_setting("privacy", {"state": "pseudonymised"})
    any_project.set_setting("privacy", {"state": "pseudonymised", "v": 2})
    assert any_project.get_setting("privacy") == {"state": "pseudonymised", "v": 2}


def test_sqlite_pragmas(project):
    with project.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


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
