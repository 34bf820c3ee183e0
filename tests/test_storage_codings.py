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


BAD_CALLS = [
    lambda p: p.code("nope", "defensive", coder="alice"),
    lambda p: p.code("nope", "rude", coder="carol", round="r9"),  # several faults: the first in order wins
    lambda p: p.code("t1:1", "rude", coder="alice"),
    lambda p: p.code("t1:1", "rude", coder="carol"),
    lambda p: p.code("t1:1", "rude", coder="alice", round="r9"),
    lambda p: p.code("t1:1", "rude", coder="alice", round="closed"),
    lambda p: p.code("t1:1", "defensive", coder="alice", round="closed"),
    lambda p: p.code("t1:1", ["defensive", "validating"], coder="alice"),
    lambda p: p.code("t1:1", "defensive", coder="alice", span=(0, 999)),
    lambda p: p.code("t1:1", "defensive", coder="alice", round=wb.ALL_ROUNDS),
    lambda p: p.code(12, "defensive", coder="alice"),
    lambda p: p.uncode("nope", "defensive", coder="alice"),
    lambda p: p.uncode("t1:1", "defensive", coder="alice", round="closed"),
    lambda p: p.next_unit("carol"),
    lambda p: p.next_unit("alice", round="r9"),
    lambda p: p.next_unit("alice", after="nope"),
]


def _refusals(url, demo_units, demo_codebook):
    project = wb.open_project(url)
    try:
        project.add_units(demo_units)
        project.add_codebook(demo_codebook)
        project.add_coder("alice")
        project.new_round("closed", units=["t1:1"], coders=["alice"], seed=1)
        project.close_round("closed")
        out = []
        for call in BAD_CALLS:
            try:
                call(project)
                out.append(None)
            except Exception as exc:  # noqa: BLE001 - the refusals are what is compared
                out.append((type(exc).__name__, str(exc).replace(str(url), "URL")))
        assert project.history().empty
        return out
    finally:
        project.close()


def test_postgresql_refuses_as_sqlite_does(tmp_path, pg_url, demo_units, demo_codebook):
    """On PostgreSQL code() and next_unit() are one statement each; a refusal is the same error, same message."""
    sqlite = _refusals(str(tmp_path / "p.db"), demo_units, demo_codebook)
    postgres = _refusals(pg_url, demo_units, demo_codebook)
    assert None not in sqlite
    for call, (lite, pg) in enumerate(zip(sqlite, postgres, strict=True)):
        if call == 10:  # an integer unit id: SQLite finds no such unit, PostgreSQL refuses the comparison
            assert lite[0] == "UnknownUnitError" and pg[0] == "StoreError"
            continue
        assert lite == pg, f"call {call}"


def _script(url, demo_units, demo_codebook, seed=5, n=150):
    """A seeded mix of codings, removals, spans, rounds and next_unit calls; what the store says after each."""
    import random

    rng = random.Random(seed)
    project = wb.open_project(url)
    try:
        project.add_units(demo_units)
        project.add_codebook(demo_codebook)
        for c in ("alice", "bob"):
            project.add_coder(c)
        project.new_round("r", units=["t1:0", "t1:2", "t2:0", "t2:1"], coders=["alice", "bob"], overlap=0.5, seed=2)
        units = list(project.units(codable=True)["unit_id"])
        codes = ["validating", "defensive", "systemic-deflection", "gratitude"]
        seen = []
        for i in range(n):
            coder, rnd = rng.choice(["alice", "bob"]), rng.choice([None, "r"])
            unit = rng.choice(project.queue(coder, round=rnd) if rnd else units)
            picked = rng.sample(codes, rng.choice([1, 1, 2]))
            picked = picked if "gratitude" in picked else picked[:1]  # one code of the exclusive group at most
            span = rng.choice([None, None, (0, 3)])
            if rng.random() < 0.3:
                project.uncode(unit, picked, coder=coder, round=rnd, span=span, memo=f"m{i}")
            else:
                project.code(unit, picked, coder=coder, round=rnd, span=span, memo=f"m{i}")
            seen.append((project.next_unit(coder, round=rnd), project.next_unit(coder, round=rnd, after=unit),
                         project.progress(coder, round=rnd)))
        cols = ["unit_id", "code", "action", "coder", "round", "codebook_version", "memo", "span_start", "span_end"]
        history = project.history()[cols].astype(object).where(project.history()[cols].notna(), None)
        state = project.codings().drop(columns="at")
        return seen, history.values.tolist(), state.astype(object).where(state.notna(), None).values.tolist()
    finally:
        project.close()


def test_postgresql_codes_as_sqlite_does(tmp_path, pg_url, demo_units, demo_codebook):
    """The same calls give the same events (exclusive groups included), state, next units and progress."""
    sqlite = _script(str(tmp_path / "p.db"), demo_units, demo_codebook)
    postgres = _script(pg_url, demo_units, demo_codebook)
    assert sqlite[0] == postgres[0]
    assert sqlite[1] == postgres[1]
    assert sqlite[2] == postgres[2]
    removed_by_a_group = [r for r in sqlite[1] if r[2] == "remove" and r[6] is None]
    assert removed_by_a_group, "the script should exercise exclusive groups"
