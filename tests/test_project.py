"""Project, the facade over the store's parts (workbench/project.py): delegation, the round
handle, one meaning of the round sentinels everywhere, and workbench errors only."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest
import sqlalchemy as sa

import workbench as wb
from workbench import ALL_ROUNDS, NO_ROUND
from workbench.project import Project, Round
from workbench.storage.codings import Codings
from workbench.storage.units import Units


@pytest.fixture
def coded(any_project, demo_units, demo_codebook):
    """Codings in a round 'r', in a round 'other' and outside any round, memos and a flag in each."""
    p = any_project
    p.add_units(demo_units)
    p.add_codebook(demo_codebook, note="first")
    for c in ("alice", "bob"):
        p.add_coder(c)
    p.new_round("r", coders=["alice", "bob"], units=["t1:1", "t1:2", "t2:1"])
    p.new_round("other", coders=["alice"], units=["t1:1"])
    p.code("t1:1", "defensive", coder="alice", round="r")
    p.code("t1:1", "validating", coder="bob", round="r")
    p.code("t1:2", "gratitude", coder="alice", round="r")
    p.code("t1:2", "gratitude", coder="bob", round="r")
    p.code("t1:1", "systemic-deflection", coder="alice", round="other")
    p.code("t2:1", "gratitude", coder="alice")
    p.code("t2:1", "gratitude", coder="bob")
    p.memo("t1:1", "in r", coder="alice", round="r")
    p.memo("t1:1", "outside", coder="alice")
    p.flag("t1:2", coder="bob", round="r")
    p.flag("t2:1", coder="bob")
    return p


# --- the facade -------------------------------------------------------------------------------
def test_project_is_a_plain_facade_over_the_parts():
    assert Project.__bases__ == (object,)
    # a delegated method is the part's method: same signature, same documentation
    assert Project.add_units.__wrapped__ is Units.add_units
    assert inspect.signature(Project.codings) == inspect.signature(Codings.codings)
    assert inspect.getdoc(Project.code) == inspect.getdoc(Codings.code)
    assert Project.code.__qualname__ == "Project.code"
    public = [n for n, m in inspect.getmembers(Project) if not n.startswith("_") and callable(m)]
    assert {"add_units", "code", "codings", "new_round", "round", "agreement", "rename_code", "gold"} <= set(public)


def test_bound_facade_methods_call_the_project_s_own_parts(project, demo_units):
    other = wb.open_project(project.url + ".other.db")
    try:
        assert project.add_units(demo_units) == len(demo_units)
        assert other.n_units() == 0 and project.n_units() == len(demo_units)
        assert "units" in inspect.signature(project.add_units).parameters
        assert "self" not in inspect.signature(project.add_units).parameters
    finally:
        other.close()


def test_repr_never_shows_a_password(project):
    assert repr(project) == f"<Project {project.url}>"
    remote = Project(project.engine, url="postgresql://ann:s3cret@db.example.org/coding")
    assert repr(remote) == "<Project postgresql://ann:***@db.example.org/coding>"
    assert "s3cret" not in repr(remote)


def test_context_manager_closes(tmp_path):
    with wb.open_project(tmp_path / "p.db") as p:
        p.add_coder("ann")
    with wb.open_project(tmp_path / "p.db") as p:
        assert list(p.coders()["name"]) == ["ann"]


def test_sentinels_are_exported():
    assert wb.ALL_ROUNDS is ALL_ROUNDS and wb.NO_ROUND is NO_ROUND
    assert {"ALL_ROUNDS", "NO_ROUND"} <= set(wb.__all__)


# --- one meaning of round= everywhere -----------------------------------------------------------
def _units(df: pd.DataFrame) -> list[tuple]:
    return sorted((u, c, None if pd.isna(r) else r) for u, c, r in df[["unit_id", "coder", "round"]].itertuples(index=False))


def test_reads_default_to_every_round_and_none_means_outside_any_round(coded):
    everything = coded.codings()
    assert len(everything) == 7
    assert _units(coded.codings(round=ALL_ROUNDS)) == _units(everything)
    outside = [("t2:1", "alice", None), ("t2:1", "bob", None)]
    assert _units(coded.codings(round=NO_ROUND)) == _units(coded.codings(round=None)) == outside
    assert set(coded.codings(round="r")["round"]) == {"r"} and len(coded.codings(round="r")) == 4
    rid = coded.round_info("other")["round_id"]
    assert _units(coded.codings(round=rid)) == [("t1:1", "alice", "other")]
    # the log reads the same way
    assert len(coded.history()) == len(coded.history(round=ALL_ROUNDS)) == 7
    assert _units(coded.history(round=None)) == outside
    assert len(coded.history(round="r")) == 4
    # memos and flags
    assert len(coded.memos()) == 4
    assert coded.memos(round=None)["text"].tolist() == ["outside", ""]
    assert coded.memos(round=NO_ROUND, kind="memo")["text"].tolist() == ["outside"]
    assert coded.memos(round="r", kind="memo")["text"].tolist() == ["in r"]
    assert coded.flagged() == ["t1:2", "t2:1"]
    assert coded.flagged(round=None) == coded.flagged(round=NO_ROUND) == ["t2:1"]
    assert coded.flagged(round="r") == ["t1:2"]


def test_agreement_reads_round_selections_like_every_other_read(coded):
    def units(**kw):
        return int(coded.agreement(ci=False, **kw).set_index("code").loc["(overall)", "n_units"])

    assert units() == units(round=ALL_ROUNDS) == 3  # t1:1, t1:2, t2:1 (other: one coder only)
    assert units(round=None) == units(round=NO_ROUND) == 1  # only t2:1 is coded outside rounds
    assert units(round="r") == 2
    outside = coded.agreement(round=None, ci=False).set_index("code").loc["(overall)", "value"]
    assert outside == pytest.approx(1.0) or pd.isna(outside)


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.codings(round=...),
        lambda p: p.history(round=...),
        lambda p: p.memos(round=...),
        lambda p: p.flagged(round=...),
        lambda p: p.agreement(round=...),
        lambda p: p.recode_queue(round=...),
        lambda p: p.decisions(...),
        lambda p: p.gold(...),
    ],
)
def test_the_ellipsis_form_is_gone(coded, call):
    with pytest.raises(TypeError, match=r"round=\.\.\. is not a round selection; pass round=workbench.ALL_ROUNDS"):
        call(coded)


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.code("t1:1", "gratitude", coder="alice", round=ALL_ROUNDS),
        lambda p: p.memo("t1:1", "x", coder="alice", round=ALL_ROUNDS),
        lambda p: p.next_unit("alice", round=ALL_ROUNDS),
        lambda p: p.queue("alice", round=...),
        lambda p: p.unit_codes("t1:1", coder="alice", round=ALL_ROUNDS),
    ],
)
def test_writes_and_queues_name_one_round_or_none(coded, call):
    before = len(coded.history())
    with pytest.raises(TypeError, match="NO_ROUND"):
        call(coded)
    assert len(coded.history()) == before


def test_writes_with_no_round_are_outside_any_round(coded):
    coded.code("t1:4", "gratitude", coder="alice", round=NO_ROUND)
    assert ("t1:4", "alice", None) in _units(coded.codings(round=None))
    assert coded.unit_codes("t1:4", coder="alice", round=NO_ROUND) == ["gratitude"]
    assert coded.queue("alice", round=NO_ROUND) == coded.queue("alice")


def test_decisions_across_rounds_and_outside(coded):
    coded.adjudicate("t1:1", ["defensive"], round="r", decided_by="sam")
    assert coded.decisions()["unit_id"].tolist() == coded.decisions(ALL_ROUNDS)["unit_id"].tolist() == ["t1:1"]
    assert coded.decisions(None).empty and coded.gold(NO_ROUND).empty  # every decision is made in a round
    assert coded.gold("r")["code"].tolist() == ["defensive"]


# --- the round handle ----------------------------------------------------------------------
def test_round_handle(coded):
    r = coded.round("r")
    assert isinstance(r, Round) and (r.name, r.round_id) == ("r", coded.round_info("r")["round_id"])
    assert repr(r).startswith("<Round 'r' of <Project ")
    assert r.info == coded.round_info("r")
    assert coded.round(r.round_id).name == "r"
    assert r.units() == coded.round_units("r") and r.units("bob") == coded.round_units("r", coder="bob")
    pd.testing.assert_frame_equal(r.codings(), coded.codings(round="r"))
    pd.testing.assert_frame_equal(r.codings("alice"), coded.blind_codings("alice", "r"))
    pd.testing.assert_frame_equal(r.disagreements(), coded.round_disagreements("r"))
    assert r.disagreements()["unit_id"].tolist() == ["t1:1"]
    pd.testing.assert_frame_equal(r.disagreements(long=True, anonymise=True),
                                  coded.round_disagreements("r", long=True, anonymise=True))
    pd.testing.assert_frame_equal(r.agreement(n_boot=20), coded.agreement("r", n_boot=20))
    decision = r.adjudicate("t1:1", ["defensive"], decided_by="sam", reason="not all of us")
    assert r.decisions()["adjudication_id"].tolist() == [decision]
    assert r.disagreements()["adjudicated"].tolist() == [True]
    r.close(actor="sam")
    assert r.info["status"] == "closed"
    with pytest.raises(wb.WorkbenchError, match="closed"):
        coded.code("t2:1", "defensive", coder="alice", round="r")
    r.reopen()
    assert r.info["status"] == "open"


def test_round_handle_of_an_unknown_round(coded):
    with pytest.raises(wb.UnknownRoundError, match=r"round 'nope' does not exist; rounds: \['r', 'other'\]"):
        coded.round("nope")
    with pytest.raises(TypeError):
        coded.round(None)


# --- errors: workbench errors only -----------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "call", "doing"),
    [
        ("units", lambda p: p.units(), "read units"),
        ("units", lambda p: p.add_units(wb.make_units([{"unit_id": "n1", "thread_id": "n", "text": "x"}])), "look up stored units"),
        ("coding_events", lambda p: p.codings(), "read the current codings"),
        ("coding_events", lambda p: p.history(), "read the coding history"),
        ("coding_events", lambda p: p.code("t1:1", "gratitude", coder="alice"), "record apply ['gratitude'] on unit 't1:1'"),
        ("memos", lambda p: p.memos(), "read memos"),
        ("memos", lambda p: p.flag("t1:1", coder="alice"), "record the flag on unit 't1:1'"),
        ("queue_cursors", lambda p: p.next_unit("alice"), "find the next unit of coder 'alice'"),
        ("rounds", lambda p: p.rounds(), "list the rounds"),
        ("adjudications", lambda p: p.gold(), "read the adjudication decisions"),
        ("codebook_versions", lambda p: p.codebook_versions(), "list the codebook versions"),
        ("project_info", lambda p: p.get_setting("privacy"), "read the setting 'privacy'"),
        ("audit_log", lambda p: p.add_coder("zed"), "add the coder 'zed'"),
    ],
)
def test_driver_errors_surface_as_store_errors_naming_the_file(project, demo_units, demo_codebook, table, call, doing):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    project.add_coder("alice")
    with project.engine.begin() as conn:
        conn.exec_driver_sql(f"ALTER TABLE {table} RENAME TO gone_{table}")
    with pytest.raises(wb.StoreError) as err:
        call(project)
    message = str(err.value)
    assert message.startswith(f"the project database {project.url} refused to {doing}")
    assert f"no such table: {table}" in message
    assert isinstance(err.value, wb.WorkbenchError) and not isinstance(err.value, sa.exc.SQLAlchemyError)
