"""Rounds in the store: samples drawn from the project, assignments, open and closed rounds,
blind views (workbench/storage/rounds.py), on SQLite and PostgreSQL.

The sampling scheme itself is tested without a database in ``test_sampling.py``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import workbench as wb
from workbench.ingest import load_threads
from workbench.storage import tables as T

ROOT = Path(__file__).resolve().parent.parent


def load_examples(project: wb.Project) -> int:
    n = 0
    for f in sorted((ROOT / "data" / "examples").glob("*.txt")):  # the example threads, not the CSV
        n += project.add_units(load_threads(f))
    return n


@pytest.fixture
def small(any_project, demo_units, demo_codebook):
    any_project.add_units(demo_units)
    any_project.add_codebook(demo_codebook)
    for c in ("alice", "bob", "cat"):
        any_project.add_coder(c)
    return any_project


# --- sampling the project ------------------------------------------------------------------
@pytest.fixture
def examples_project(project):
    n = load_examples(project)
    project.add_codebook(wb.Codebook.from_yaml(ROOT / "codebooks" / "response-types.yaml"))
    for c in ("alice", "bob", "cat"):
        project.add_coder(c)
    assert n == 56
    return project


@pytest.mark.parametrize(
    ("sample", "expected"), [(None, 56), (10, 10), (0.25, 14), (1.0, 56), (0.001, 1), (56, 56)]
)
def test_sample_sizes(examples_project, sample, expected):
    assert len(examples_project.sample_units(sample, seed=1)) == expected


@pytest.mark.parametrize(
    ("sample", "error", "match"),
    [
        (0, ValueError, "at least 1"),
        (57, ValueError, "only 56 codable"),
        (1.5, ValueError, r"\(0, 1\]"),
        (20.0, ValueError, "pass the int 20"),
        (0.0, ValueError, r"\(0, 1\]"),
        (True, TypeError, "fraction"),
        ("10", TypeError, "fraction"),
    ],
)
def test_sample_size_errors(examples_project, sample, error, match):
    with pytest.raises(error, match=match):
        examples_project.sample_units(sample, seed=1)


def test_sample_is_seeded_and_ordered(examples_project):
    p = examples_project
    a = p.sample_units(20, seed=5)
    assert a == p.sample_units(20, seed=5)
    assert a != p.sample_units(20, seed=6)
    seqs = p.units(unit_ids=a).set_index("unit_id").loc[a, "seq"].tolist()
    assert seqs == sorted(seqs)
    with pytest.raises(TypeError, match="seed"):
        p.sample_units(5, seed="x")
    with pytest.raises(ValueError, match="seed"):
        p.sample_units(5, seed=-1)


def test_stratified_allocation_is_proportional(examples_project):
    p = examples_project
    thread_of = p.units().set_index("unit_id")["thread_id"]
    sizes = Counter(thread_of)
    assert sorted(sizes.values()) == [1, 13, 42]
    # 14 of 56: exact shares 10.5, 3.25, 0.25 -> 10, 3, 0 and the remaining unit to the largest remainder
    picked = p.sample_units(14, seed=3, stratify="thread")
    got = Counter(thread_of[picked])
    by_size = {sizes[t]: got.get(t, 0) for t in sizes}
    assert by_size == {42: 11, 13: 3, 1: 0}
    # every seed keeps the allocation
    for seed in range(5):
        again = Counter(thread_of[p.sample_units(14, seed=seed, stratify="thread")])
        assert sorted(again.values()) == [3, 11]
    # stratified by source: here each source format holds one thread
    by_source = Counter(p.units().set_index("unit_id").loc[p.sample_units(28, seed=3, stratify="source"), "source"])
    assert sorted(by_source.values()) == [1, 6, 21]
    with pytest.raises(ValueError, match="'thread' or 'source'"):
        p.sample_units(5, seed=1, stratify="author")


# --- new_round ------------------------------------------------------------------------------
ROUND_COLUMNS = ["round", "round_id", "status", "codebook_version", "n_units", "coders", "overlap", "stratify",
                 "seed", "created_at", "closed_at"]


def test_new_round_records_everything(small):
    name = small.new_round("pilot", sample=3, coders=["alice", "bob"], seed=4, stratify="thread")
    assert name == "pilot"
    df = small.rounds()
    assert list(df.columns[: len(ROUND_COLUMNS)]) == ROUND_COLUMNS
    row = df.iloc[0]
    assert (row["round"], row["status"], row["codebook_version"], row["n_units"]) == ("pilot", "open", 1, 3)
    assert row["coders"] == "alice, bob" and row["seed"] == 4 and row["stratify"] == "thread"
    assert pd.isna(row["closed_at"]) and row["created_at"].tzinfo is not None
    assert not any(isinstance(v, list | dict | set) for v in df.iloc[0].tolist())
    with small.engine.connect() as conn:
        stored = conn.execute(sa.select(T.rounds.c.sample, T.rounds.c.seed)).one()
    spec = json.loads(stored.sample)
    assert stored.seed == 4
    assert spec["method"] == "stratified" and spec["sample"] == 3 and spec["population"] == 7
    assert spec["coders"] == ["alice", "bob"] and spec["overlap"] == 1.0
    audit = small.audit_log()
    entry = json.loads(audit.loc[audit["action"] == "new_round", "detail"].iloc[-1])
    assert entry["round"] == "pilot" and entry["seed"] == 4 and entry["n_units"] == 3


def test_seed_is_drawn_and_recorded_when_not_given(small):
    small.new_round("r", sample=4, coders=["alice"])
    seed = small.round_info("r")["seed"]
    assert isinstance(seed, int) and seed >= 0
    assert small.sample_units(4, seed=seed) == small.round_units("r") == small.redraw_sample("r")


def test_assignment_seq_is_units_seq_and_drives_the_queue(small):
    small.new_round("r", coders=["alice", "bob"], seed=1)
    codable = small.units(codable=True)
    assert small.round_units("r") == list(codable["unit_id"])  # sample=None: every codable unit
    with small.engine.connect() as conn:
        rows = conn.execute(
            sa.select(T.round_assignments.c.unit_id, T.round_assignments.c.seq, T.units.c.seq.label("useq"))
            .join(T.units, T.units.c.unit_id == T.round_assignments.c.unit_id)
        ).all()
    assert rows and all(r.seq == r.useq for r in rows)
    queue = small.queue("alice", round="r")
    assert queue == small.round_units("r", coder="alice")
    small.code(queue[0], "validating", coder="alice", round="r")
    assert small.next_unit("alice", round="r") == queue[1]
    assert small.progress("alice", round="r") == {"coded": 1, "total": len(queue)}


def test_overlap_scheme(examples_project):
    p = examples_project
    p.new_round("split", sample=20, coders=["alice", "bob", "cat"], overlap=0.5, seed=9)
    units = p.round_units("split")
    per = {c: set(p.round_units("split", coder=c)) for c in ("alice", "bob", "cat")}
    assert set().union(*per.values()) == set(units) and len(units) == 20
    shared = per["alice"] & per["bob"] & per["cat"]
    assert len(shared) == 10
    rest = [u for u in units if u not in shared]
    assert all(sum(u in s for s in per.values()) == 1 for u in rest)
    assert sorted(len(s) - 10 for s in per.values()) == [3, 3, 4]
    info = p.round_info("split")
    assert info["n_overlap"] == 10 and info["overlap"] == 0.5
    # the same seed deals the same way
    p.new_round("split again", sample=20, coders=["alice", "bob", "cat"], overlap=0.5, seed=9)
    assert all(set(p.round_units("split again", coder=c)) == per[c] for c in per)
    # overlap 0: every unit coded once
    p.new_round("none", sample=9, coders=["alice", "bob", "cat"], overlap=0, seed=2)
    counts = Counter(u for c in ("alice", "bob", "cat") for u in p.round_units("none", coder=c))
    assert set(counts.values()) == {1} and len(counts) == 9


def test_exclude_draws_fresh_units(examples_project):
    p = examples_project
    p.new_round("a", sample=30, coders=["alice"], seed=1)
    p.new_round("b", sample=26, coders=["alice"], seed=1, exclude="a")
    assert not set(p.round_units("a")) & set(p.round_units("b"))
    with pytest.raises(ValueError, match="only 0 codable"):
        p.new_round("c", sample=1, coders=["alice"], seed=1, exclude=["a", "b"])
    with pytest.raises(wb.UnknownRoundError, match="'zzz' does not exist"):
        p.new_round("d", sample=1, coders=["alice"], seed=1, exclude=["zzz"])


def test_explicit_units(small):
    small.new_round("chosen", coders=["alice", "bob"], units=["t2:1", "t1:1", "t1:1"])
    assert small.round_units("chosen") == ["t1:1", "t2:1"]  # import order, duplicates dropped
    assert small.round_info("chosen")["method"] == "explicit"
    with pytest.raises(ValueError, match="given explicitly"):
        small.redraw_sample("chosen")
    with pytest.raises(wb.UnknownUnitError, match="'nope' is not in this project"):
        small.new_round("x", coders=["alice"], units=["t1:1", "nope"])
    with pytest.raises(ValueError, match="not codable"):
        small.new_round("x", coders=["alice"], units=["t1:3"])  # the deleted placeholder
    with pytest.raises(ValueError, match="not both"):
        small.new_round("x", coders=["alice"], units=["t1:1"], sample=1)
    assert list(small.rounds()["round"]) == ["chosen"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"coders": ["alice", "zed"]}, wb.UnknownCoderError, "'zed' is not in this project"),
        ({"coders": []}, ValueError, "at least one coder"),
        ({"coders": ["alice", "alice"]}, ValueError, "twice"),
        ({"coders": ["alice"], "overlap": 1.5}, ValueError, r"overlap must be in \[0, 1\]"),
        ({"coders": ["alice"], "stratify": "author"}, ValueError, "'thread' or 'source'"),
        ({"coders": ["alice"], "codebook_version": 9}, ValueError, "version 9 does not exist"),
        ({"coders": ["alice"], "sample": 99}, ValueError, "only 7 codable"),
    ],
)
def test_new_round_refuses_bad_input_and_writes_nothing(small, kwargs, error, match):
    with pytest.raises(error, match=match):
        small.new_round("bad", **kwargs)
    assert small.rounds().empty
    with small.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(T.round_assignments)).scalar() == 0


def test_round_names_are_unique(small):
    small.new_round("r", coders=["alice"], seed=1)
    with pytest.raises(ValueError, match="exists already"):
        small.new_round("r", coders=["bob"], seed=1)
    with pytest.raises(ValueError, match="non-empty name"):
        small.new_round("  ", coders=["bob"])


def test_new_round_needs_a_codebook(any_project, demo_units):
    any_project.add_units(demo_units)
    any_project.add_coder("alice")
    with pytest.raises(wb.WorkbenchError, match="no codebook"):
        any_project.new_round("r", coders=["alice"])


def test_codebook_version_is_pinned(small, demo_codebook):
    v2 = small.add_codebook(demo_codebook.replace(codes=demo_codebook.codes + (
        wb.Code(name="signposting", label="Signposting", definition="Points to help."),)))
    small.new_round("old", coders=["alice"], codebook_version=1, units=["t1:1"])
    small.new_round("new", coders=["alice"], units=["t1:1"])
    assert small.round_info("new")["codebook_version"] == v2 == 2
    small.code("t1:1", "defensive", coder="alice", round="old")
    assert small.codings(round="old")["codebook_version"].tolist() == [1]
    with pytest.raises(wb.UnknownCodeError, match="not in codebook version 1"):
        small.code("t1:1", "signposting", coder="alice", round="old")
    small.code("t1:1", "signposting", coder="alice", round="new")


def test_close_and_reopen(small):
    small.new_round("r", coders=["alice"], seed=1)
    small.close_round("r", actor="sam")
    small.close_round("r")  # a no-op
    info = small.round_info("r")
    assert info["status"] == "closed" and info["closed_at"] is not None
    with pytest.raises(wb.WorkbenchError, match="closed"):
        small.code("t1:1", "defensive", coder="alice", round="r")
    small.reopen_round("r")
    assert small.round_info("r")["status"] == "open" and small.round_info("r")["closed_at"] is None
    small.code("t1:1", "defensive", coder="alice", round="r")
    actions = small.audit_log()["action"].tolist()
    assert actions.count("close_round") == 1 and actions.count("reopen_round") == 1
    audit = small.audit_log()
    assert audit.loc[audit["action"] == "close_round", "actor"].iloc[0] == "sam"
    with pytest.raises(wb.UnknownRoundError):
        small.close_round("nope")


# --- blind views --------------------------------------------------------------------------------
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


def test_blind_codings(coded):
    view = coded.blind_codings("alice", "r")
    assert set(view["coder"]) == {"alice"} and set(view["round"]) == {"r"}
    assert sorted(view["unit_id"]) == ["t1:1", "t1:2", "t1:4", "t2:1"]
    assert list(view.columns) == list(coded.codings().columns)
    with pytest.raises(wb.UnknownCoderError):
        coded.blind_codings("zed", "r")
    with pytest.raises(wb.UnknownRoundError):
        coded.blind_codings("alice", "zzz")
