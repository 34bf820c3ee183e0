"""Merging projects and coders' kits (workbench/storage/merge.py, merge_source.py, kit.py), on SQLite and PostgreSQL.

Two coders code the example data in two kits made from one supervisor project; the
supervisor project merges both. The merged codings are the union of the kits', the
agreement on the merged project is the agreement of the two kits' codings together,
and merging again changes nothing.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import workbench as wb
from workbench.agreement import reliability_table
from workbench.ingest import load_threads
from workbench.storage import tables as T
from workbench.storage.merge import MergeError, MergeSource

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "response-types.yaml"
STANCE = ["validating", "defensive", "systemic-deflection", "dismissing"]
KEYS = ["unit_id", "coder", "code", "round", "codebook_version", "at", "span_start", "span_end"]


def supervisor(url: str) -> wb.Project:
    project = wb.open_project(url)
    for f in sorted((ROOT / "data" / "examples").iterdir()):
        project.add_units(load_threads(f))
    project.add_codebook(wb.Codebook.from_yaml(CODEBOOK))
    for c in ("alice", "bob"):
        project.add_coder(c)
    project.new_round("pilot", sample=16, coders=["alice", "bob"], overlap=0.5, seed=11)
    return project


def code_kit(path: Path, coder: str, seed: int) -> pd.DataFrame:
    """Code every unit of the kit's round: a shared 'truth' that each coder misses now and then."""
    rng = random.Random(seed)
    kit = wb.open_project(path)
    try:
        first = None
        while (unit := kit.next_unit(coder, round="pilot")) is not None:
            first = first or unit
            truth = random.Random(unit).choice(STANCE)
            codes = [truth if rng.random() < 0.7 else rng.choice(STANCE)]
            if random.Random(unit + "g").random() < 0.3:
                codes.append("gratitude")
            kit.code(unit, codes, coder=coder, round="pilot")
        kit.uncode(first, ["gratitude"], coder=coder, round="pilot")  # history, not only state
        kit.code(first, ["gratitude"], coder=coder, round="pilot")
        kit.memo(first, f"{coder} is unsure here", coder=coder, round="pilot")
        kit.flag(first, coder=coder, round="pilot", note="discuss")
        return kit.codings()
    finally:
        kit.close()


def counts(project: wb.Project) -> dict[str, int]:
    with project.engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in T.metadata.sorted_tables}


def rows(df: pd.DataFrame) -> set[tuple]:
    return set(df[KEYS].astype(str).itertuples(index=False, name=None))


@pytest.fixture
def kits(store_url, tmp_path):
    """The supervisor project (SQLite or PostgreSQL) and two coded kits (SQLite files)."""
    project = supervisor(store_url)
    made = {c: project.kit(tmp_path / f"{c}.db", coder=c, round="pilot") for c in ("alice", "bob")}
    coded = {c: code_kit(tmp_path / f"{c}.db", c, seed) for c, seed in (("alice", 1), ("bob", 2))}
    yield project, made, coded
    project.close()


def test_a_kit_holds_one_coders_round_and_the_context(kits, tmp_path):
    project, made, _ = kits
    assert made["alice"]["n_units"] == len(project.round_units("pilot", coder="alice"))
    kit = wb.open_project(tmp_path / "bob.db")
    try:
        assigned = project.round_units("pilot", coder="bob")
        assert kit.coders()["name"].tolist() == ["bob"]
        assert kit.round_units("pilot") == assigned and kit.round_info("pilot")["status"] == "open"
        units = kit.units()
        assert set(units.loc[units["codable"], "unit_id"]) == set(assigned)
        for u in assigned:  # every post a unit replies to is there, for context
            assert [c["unit_id"] for c in kit.context(u)] == [c["unit_id"] for c in project.context(u)]
        assert kit.codebook_versions()["version"].tolist() == [project.round_info("pilot")["codebook_version"]]
        assert kit.codebook().names == project.codebook().names
        assert set(kit.codings()["coder"]) == {"bob"} and kit.decisions().empty
        assert kit.get_setting("kit")["coder"] == "bob" and kit.get_setting("kit")["round"] == "pilot"
        assert kit.queue("bob") == assigned  # outside the round too, only bob's units are codable
    finally:
        kit.close()
    assert project.audit_log()["action"].tolist().count("kit") == 2


def test_merging_both_kits_gives_the_union_and_the_same_agreement(kits, tmp_path):
    project, _, coded = kits
    before = len(project.codings())
    for coder in ("alice", "bob"):
        report = project.merge(tmp_path / f"{coder}.db")
        assert report.attrs["problems"] == [], report
        events = report.set_index("kind").loc["events"]
        assert events["n_merged"] > 0 and events["n_skipped"] == 0
    assert before == 0
    both = pd.concat(list(coded.values()), ignore_index=True)
    assert rows(project.codings(round="pilot")) == rows(both)
    # agreement on the merged project = agreement of the two kits' codings together
    version = project.round_info("pilot")["codebook_version"]
    cb = project.codebook(version)
    groups = {g.name: [c.name for c in cb.codes if c.group == g.name] for g in cb.groups if g.exclusive}
    merged = project.agreement(round="pilot", ci=False)
    expected = reliability_table(both, ci=False, exclusive_groups=groups)
    assert merged["n_units"].max() > 0
    pd.testing.assert_frame_equal(merged.reset_index(drop=True), expected.reset_index(drop=True))
    # memos and flags came with them, with their coder and round
    memos = project.memos(round="pilot")
    assert sorted(memos["coder"].unique()) == ["alice", "bob"] and set(memos["kind"]) == {"memo", "flag"}
    assert len(project.flagged(round="pilot")) >= 1
    # the history is each kit's history, events in their order
    for coder in coded:
        kit = wb.open_project(tmp_path / f"{coder}.db")
        theirs = kit.history()[["unit_id", "code", "action", "at"]].astype(str)
        kit.close()
        ours = project.history(coder=coder)[["unit_id", "code", "action", "at"]].astype(str)
        assert theirs.values.tolist() == ours.values.tolist()
    # the derived state equals the state rebuilt from the log, and the queues are done
    state = project.codings().sort_values(KEYS[:3]).reset_index(drop=True)
    project.rebuild_state()
    pd.testing.assert_frame_equal(state, project.codings().sort_values(KEYS[:3]).reset_index(drop=True))
    assert project.next_unit("alice", round="pilot") is None and project.next_unit("bob", round="pilot") is None
    log = project.audit_log()
    assert log["action"].tolist().count("merge") == 2


def test_merging_twice_changes_nothing(kits, tmp_path):
    project, _, _ = kits
    project.merge(tmp_path / "alice.db")
    project.merge(tmp_path / "bob.db")
    snapshot, history = counts(project), project.history()
    for coder in ("alice", "bob"):
        again = project.merge(tmp_path / f"{coder}.db").set_index("kind")
        assert again.loc["events", "n_merged"] == 0 and again.loc["events", "n_already"] > 0
        assert again.loc["memos", "n_merged"] == 0 and again.loc["memos", "n_already"] == 2
    assert counts(project) == snapshot
    pd.testing.assert_frame_equal(project.history(), history)


def test_a_kit_merged_before_coding_brings_nothing_back(store_url, tmp_path):
    project = supervisor(store_url)
    try:
        unit = project.round_units("pilot", coder="alice")[0]
        project.code(unit, ["validating"], coder="alice", round="pilot")
        made = project.kit(tmp_path / "alice.db", coder="alice", round="pilot")
        assert made["n_events"] == 1  # her coding so far travels with the kit ...
        kit = wb.open_project(made["path"])
        assert kit.next_unit("alice", round="pilot") != unit  # ... so she goes on where she stopped
        kit.close()
        snapshot = counts(project)
        report = project.merge(made["path"]).set_index("kind")
        assert report.loc["events", "n_already"] == 1 and report.loc["events", "n_merged"] == 0
        assert counts(project) == snapshot  # a merge that brings nothing writes nothing, not even the audit log
    finally:
        project.close()


def test_a_unit_whose_text_was_edited_is_reported_and_not_merged(kits, tmp_path):
    project, _, coded = kits
    edited = coded["alice"]["unit_id"].iloc[0]
    with sqlite3.connect(tmp_path / "alice.db") as conn:
        conn.execute("UPDATE units SET text = text || ' (edited)' WHERE unit_id = ?", (edited,))
    report = project.merge(tmp_path / "alice.db")
    table = report.set_index("kind")
    assert table.loc["units", "n_skipped"] == 1 and edited in table.loc["units", "detail"]
    assert any("another text" in p for p in report.attrs["problems"])
    assert any("text differs" in p for p in report.attrs["problems"])
    merged = project.codings(coder="alice")
    assert edited not in set(merged["unit_id"])
    others = coded["alice"][coded["alice"]["unit_id"] != edited]
    assert rows(merged) == rows(others)


def test_same_named_coders_stop_the_merge_before_anything_is_written(store_url, tmp_path, demo_units, demo_codebook):
    here = wb.open_project(store_url)
    other = wb.open_project(tmp_path / "other.db")
    try:
        for p in (here, other):
            p.add_units(demo_units)
            p.add_codebook(demo_codebook)
        here.add_coder("alice")
        other.add_coder("Alice")  # looks like alice: the same person? only the supervisor knows
        other.add_coder("carl", role="supervisor")  # a supervisor there, a coder here: a merge gives no rights
        other.code("t1:1", ["defensive"], coder="Alice")
        other.code("t1:2", ["validating"], coder="carl")
        snapshot = counts(here)
        with pytest.raises(MergeError, match=r"--same-coder Alice=alice") as info:
            here.merge(tmp_path / "other.db")
        assert "Nothing was merged" in str(info.value)
        assert counts(here) == snapshot
        report = here.merge(tmp_path / "other.db", same_coder={"Alice": "alice"}).set_index("kind")
        assert report.loc["coders", ["n_already", "n_merged"]].tolist() == [1, 1]
        assert sorted(map(tuple, here.codings()[["coder", "unit_id"]].values)) == [("alice", "t1:1"), ("carl", "t1:2")]
        assert here.coders()[["name", "role"]].values.tolist() == [["alice", "coder"], ["carl", "coder"]]
        # a new name for the other project's coder
        third = wb.open_project(tmp_path / "third.db")
        third.add_units(demo_units)
        third.add_codebook(demo_codebook)
        third.add_coder("alice")
        third.code("t2:1", ["gratitude"], coder="alice")
        third.close()
        here.merge(tmp_path / "third.db", same_coder={"alice": "alice (laptop)"})
        assert here.codings(coder="alice (laptop)")["unit_id"].tolist() == ["t2:1"]
        with pytest.raises(MergeError, match="not coders of"):
            here.merge(tmp_path / "third.db", same_coder={"zoe": "alice"})
    finally:
        here.close()
        other.close()


def test_a_project_is_not_merged_into_itself(project, tmp_path, demo_units, demo_codebook):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    with pytest.raises(MergeError, match="itself"):
        project.merge(tmp_path / "project.db")
    with pytest.raises(MergeError, match="itself"):
        project.merge(project)
    project.add_coder("alice")
    project.code("t1:1", ["defensive"], coder="alice")
    project.close()
    copy = tmp_path / "copy.db"
    with sqlite3.connect(tmp_path / "project.db") as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    again = wb.open_project(tmp_path / "project.db")
    try:
        with pytest.raises(MergeError, match="unchanged copy"):
            again.merge(copy)
        # a copy that went on apart brings its new work, and nothing twice
        other = wb.open_project(copy)
        other.code("t1:2", ["validating"], coder="alice")
        other.close()
        again.code("t2:1", ["gratitude"], coder="alice")
        report = again.merge(copy, same_coder={"alice": "alice"}).set_index("kind")
        assert report.loc["events", ["n_merged", "n_already"]].tolist() == [1, 1]
        assert sorted(again.codings()["unit_id"]) == ["t1:1", "t1:2", "t2:1"]
    finally:
        again.close()


def test_a_different_codebook_becomes_a_new_version_and_a_new_round_is_created(project, tmp_path, demo_units,
                                                                               demo_codebook):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    other = wb.open_project(tmp_path / "other.db")
    other.add_units(demo_units)
    other.add_codebook(demo_codebook.replace_code("gratitude", definition="Thanks anyone."))
    other.add_coder("zoe")
    other.new_round("r2", units=["t1:1", "t1:2"], coders=["zoe"], seed=1)
    other.code("t1:1", ["gratitude"], coder="zoe", round="r2")
    other.adjudicate("t1:1", ["gratitude"], round="r2", decided_by="sam", reason="thanks the writer")
    other.close()
    report = project.merge(tmp_path / "other.db")
    table = report.set_index("kind")
    assert table.loc["codebook versions", ["n_merged", "n_already"]].tolist() == [1, 0]
    assert "gratitude.definition" in table.loc["codebook versions", "detail"]
    assert report.attrs["problems"]
    assert project.codebook_versions()["version"].tolist() == [1, 2]
    assert project.round_info("r2")["codebook_version"] == 2
    assert project.round_units("r2", coder="zoe") == ["t1:1", "t1:2"]
    assert project.codings()[["coder", "round", "codebook_version"]].values.tolist() == [["zoe", "r2", 2]]
    assert project.gold()[["unit_id", "code", "round", "decided_by", "codebook_version"]].values.tolist() == [
        ["t1:1", "gratitude", "r2", "sam", 2]]
    again = project.merge(tmp_path / "other.db").set_index("kind")
    assert again.loc["codebook versions", "n_already"] == 1 and again.loc["adjudications", "n_already"] == 1
    assert again["n_merged"].sum() == 0 and len(project.decisions(latest=False)) == 1


def test_a_closed_round_takes_no_codings_and_a_dry_run_writes_nothing(kits, tmp_path):
    project, _, _ = kits
    snapshot = counts(project)
    dry = project.merge(tmp_path / "alice.db", dry_run=True)
    assert dry.attrs["dry_run"] and dry.set_index("kind").loc["events", "n_merged"] > 0
    assert counts(project) == snapshot
    project.close_round("pilot")
    report = project.merge(tmp_path / "alice.db")
    assert report.set_index("kind").loc["events", "n_merged"] == 0
    assert any("closed here" in p for p in report.attrs["problems"])
    assert project.codings().empty
    project.reopen_round("pilot")
    assert project.merge(tmp_path / "alice.db").attrs["problems"] == []
    assert not project.codings().empty


def test_a_qdpx_with_two_coders_merges_into_a_fresh_project(kits, tmp_path, store_url, request):
    project, _, _ = kits
    project.merge(tmp_path / "alice.db")
    project.merge(tmp_path / "bob.db")
    path = wb.interchange.write_qdpx(project, tmp_path / "both.qdpx", raw=True, key=wb.PseudonymKey())
    on_pg = store_url.startswith("postgresql")  # the fresh project on the same backend as the first
    fresh = wb.open_project(request.getfixturevalue("postgres_server").new_database() if on_pg
                            else tmp_path / "fresh.db")
    try:
        for f in sorted((ROOT / "data" / "examples").iterdir()):
            fresh.add_units(load_threads(f))
        fresh.add_codebook(wb.Codebook.from_yaml(CODEBOOK))
        report = fresh.merge(wb.interchange.read_qdpx(path))
        assert report.attrs["problems"] == [], report
        cols = ["unit_id", "coder", "code", "round", "span_start", "span_end"]
        for coder in ("alice", "bob"):  # creatingUser: each coding is its coder's
            want = project.codings(coder=coder)[cols].astype(str).values.tolist()
            got = fresh.codings(coder=coder)[cols].astype(str).values.tolist()
            assert sorted(got) == sorted(want) and got
        assert sorted(fresh.coders()[["name", "role"]].values.tolist()) == [["alice", "coder"], ["bob", "coder"]]
        # agreement from the .qdpx equals agreement on the project it was written from
        pd.testing.assert_frame_equal(fresh.agreement(round="pilot", ci=False), project.agreement(round="pilot", ci=False))
        snapshot = counts(fresh)
        again = fresh.merge(MergeSource.from_refi(wb.interchange.read_qdpx(path), name="both.qdpx"))
        assert again.set_index("kind").loc["events", "n_merged"] == 0 and counts(fresh) == snapshot
        with pytest.raises(TypeError, match="read_qdpx"):
            fresh.merge(str(path))
    finally:
        fresh.close()


@pytest.mark.browser
@pytest.mark.slow
def test_a_kit_opens_in_its_round_in_the_coder_app(tmp_path):
    """The kit in the Voilà coder app (WB_PROJECT only): coding lands in the kit's round and merges back."""
    import shutil

    from _browser import artifacts_on_failure, chromium, voila

    project = supervisor(str(tmp_path / "main.db"))
    try:
        made = project.kit(tmp_path / "alice.db", coder="alice", round="pilot")
        app = tmp_path / "coder_app.ipynb"
        shutil.copy(ROOT / "notebooks" / "coder_app.ipynb", app)
        first = project.round_units("pilot", coder="alice")[0]
        with voila(app, env={"WB_PROJECT": made["path"]}) as server, chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            with artifacts_on_failure(page, "voila-kit", server):
                page.goto(server.url("/"), timeout=90_000)
                page.wait_for_selector(".wb-coder-name input", timeout=90_000)
                page.fill(".wb-coder-name input", "alice")
                page.click("button.wb-start")
                page.wait_for_selector(".wb-panel .wb-code", timeout=60_000)
                assert page.get_attribute(".wb-unit", "data-unit") == first
                page.click(".wb-code[data-code='gratitude']")
                page.wait_for_selector(".wb-saved[data-seq='1'][data-status='saved']", timeout=20_000)
        report = project.merge(made["path"])
        assert report.attrs["problems"] == []
        coded = project.codings(coder="alice")
        assert coded[["unit_id", "code", "round"]].values.tolist() == [[first, "gratitude", "pilot"]]
    finally:
        project.close()


def test_a_selection_across_a_unit_boundary_is_reported(tmp_path, demo_units, demo_codebook):
    import re
    import zipfile

    source = wb.open_project(tmp_path / "source.db")
    source.add_units(demo_units)
    source.add_codebook(demo_codebook)
    source.add_coder("ann")
    source.code("t2:0", ["gratitude"], coder="ann")
    written = wb.interchange.write_qdpx(source, tmp_path / "a.qdpx", raw=True, key=wb.PseudonymKey())
    source.close()
    crossing = tmp_path / "crossing.qdpx"
    with zipfile.ZipFile(written) as z, zipfile.ZipFile(crossing, "w") as out:
        for name in z.namelist():
            data = z.read(name)
            if name == "project.qde":  # the selection runs 2 characters into the next unit's header
                data = re.sub(rb'endPosition="(\d+)"', lambda m: b'endPosition="%d"' % (int(m.group(1)) + 2), data)
            out.writestr(name, data)
    fresh = wb.open_project(tmp_path / "fresh.db")
    try:
        fresh.add_units(demo_units)
        fresh.add_codebook(demo_codebook)
        with pytest.warns(UserWarning, match="runs past unit"):
            refi = wb.interchange.read_qdpx(crossing)
        report = fresh.merge(refi)
        notes = report.set_index("kind").loc["notes"]
        assert notes["n_in"] == 1 and "runs past unit" in notes["detail"]
        assert any("runs past unit" in p for p in report.attrs["problems"])
        assert fresh.codings()[["unit_id", "coder", "code"]].values.tolist() == [["t2:0", "ann", "gratitude"]]
    finally:
        fresh.close()


def test_a_kit_in_a_postgresql_database_merges_back(project, pg_url, demo_units, demo_codebook):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    project.add_coder("ann")
    project.new_round("r", units=["t1:1", "t1:2", "t2:1"], coders=["ann"], seed=1)
    made = project.kit(pg_url, coder="ann", round="r")
    assert made["n_units"] == 3 and made["n_context"] == 2  # t1:0 and t2:0, the posts they reply to
    kit = wb.open_project(pg_url)
    kit.code("t1:2", ["defensive"], coder="ann", round="r")
    kit.memo("t1:2", "hm", coder="ann", round="r")
    kit.close()
    report = project.merge(pg_url).set_index("kind")
    assert report.loc[["events", "memos"], "n_merged"].tolist() == [1, 1]
    assert project.codings()[["unit_id", "code", "round"]].values.tolist() == [["t1:2", "defensive", "r"]]
    assert project.next_unit("ann", round="r") == "t1:1"


def test_merged_state_on_postgresql_equals_sqlite(pg_url, tmp_path):
    """On PostgreSQL the trigger of revision 0004 derives the merged events' state, on SQLite the merge
    replays them: the same current codings and queues, nothing doubled, equal to a rebuild from the log."""
    lite, pg = supervisor(str(tmp_path / "lite.db")), supervisor(pg_url)
    try:
        assert pg.round_units("pilot") == lite.round_units("pilot")
        for coder, seed in (("alice", 1), ("bob", 2)):
            lite.kit(tmp_path / f"{coder}.db", coder=coder, round="pilot")
            code_kit(tmp_path / f"{coder}.db", coder, seed)
            # the kit was made from the SQLite project: the PostgreSQL one is told who its coder is
            for p in (lite, pg):
                assert p.merge(tmp_path / f"{coder}.db", same_coder={coder: coder}).attrs["problems"] == []

        def state(p: wb.Project) -> tuple:
            with p.engine.connect() as conn:
                n_current = conn.execute(sa.select(sa.func.count()).select_from(T.current_codings)).scalar()
                cursors = sorted(conn.execute(sa.select(T.coders.c.name, T.queue_cursors.c.round_key,
                                                        T.queue_cursors.c.frontier_seq)
                                              .join(T.coders, T.coders.c.coder_id == T.queue_cursors.c.coder_id)).all())
            history = p.history()[["unit_id", "coder", "code", "action", "round"]].astype(str).values.tolist()
            return rows(p.codings()), n_current, [tuple(c) for c in cursors], history

        want = state(lite)
        assert want[1] == len(pg.codings()) > 0  # one current coding per row, none twice
        assert state(pg) == want
        pg.rebuild_state()
        assert state(pg)[:2] == want[:2]
        for coder in ("alice", "bob"):
            assert pg.next_unit(coder, round="pilot") is None and lite.next_unit(coder, round="pilot") is None
        pd.testing.assert_frame_equal(pg.agreement(round="pilot", ci=False), lite.agreement(round="pilot", ci=False))
    finally:
        lite.close()
        pg.close()


def test_a_supervisors_login_merges_and_a_coders_project_may_not(pg_url, tmp_path):
    """PostgreSQL with logins: row-level security lets a supervisor's login merge; a coder is refused."""
    from workbench.errors import AccessError

    passwords = {"alice": "alice-passphrase-1", "sam": "sam-passphrase-333"}
    owner = supervisor(pg_url)
    owner.add_coder("sam", role="supervisor")
    for name, password in passwords.items():
        owner.create_login(name, password=password)
    owner.kit(tmp_path / "alice.db", coder="alice", round="pilot")
    owner.close()
    coded = code_kit(tmp_path / "alice.db", "alice", 1)
    with wb.open_project(pg_url, coder="alice", password=passwords["alice"]) as alice:
        with pytest.raises(AccessError, match=r"^merge is a supervisor's operation"):
            alice.merge(tmp_path / "alice.db")
        with pytest.raises(AccessError, match=r"^kit is a supervisor's operation"):
            alice.kit(tmp_path / "again.db", coder="alice", round="pilot")
        assert alice.codings().empty
    assert not (tmp_path / "again.db").exists()
    with wb.open_project(pg_url, coder="sam", password=passwords["sam"]) as sam:
        report = sam.merge(tmp_path / "alice.db")
        assert report.attrs["problems"] == [] and report.set_index("kind").loc["events", "n_merged"] > 0
        assert rows(sam.codings(round="pilot")) == rows(coded)
        assert sam.merge(tmp_path / "alice.db").set_index("kind").loc["events", "n_merged"] == 0
        state = sam.codings().sort_values(KEYS[:3]).reset_index(drop=True)
        sam.rebuild_state()
        pd.testing.assert_frame_equal(state, sam.codings().sort_values(KEYS[:3]).reset_index(drop=True))
        assert sam.next_unit("alice", round="pilot") is None
        log = sam.audit_log()
        assert log.loc[log["action"] == "merge", ["actor", "role"]].values.tolist() == [["sam", "supervisor"]]


def test_a_qdpx_from_another_tool_merges_by_its_users(tmp_path, demo_units, demo_codebook):
    """As NVivo, ATLAS.ti or MAXQDA write it: the user's name in <Users>, creatingUser on the selection
    only. Each coding is its user's; a user name the naming rule refuses stops the merge, nothing written."""
    import re
    import zipfile

    source = wb.open_project(tmp_path / "source.db")
    source.add_units(demo_units)
    source.add_codebook(demo_codebook)
    source.add_coder("ann")
    source.add_coder("ben")
    for coder, unit, code in (("ann", "t2:0", "gratitude"), ("ben", "t2:0", "gratitude"), ("ben", "t1:1", "defensive")):
        source.code(unit, [code], coder=coder)
    written = wb.interchange.write_qdpx(source, tmp_path / "a.qdpx", raw=True, key=wb.PseudonymKey())
    source.close()

    def rewrite(path: Path, names: dict[bytes, bytes]) -> Path:
        with zipfile.ZipFile(written) as z, zipfile.ZipFile(path, "w") as out:
            for member in z.namelist():
                data = z.read(member)
                if member == "project.qde":
                    data = re.sub(rb'(<Coding [^>]*?) creatingUser="[^"]*"', rb"\1", data)
                    for old, new in names.items():
                        data = data.replace(b'name="%s" />' % old, b'name="%s" />' % new)
                out.writestr(member, data)
        return path

    fresh = wb.open_project(tmp_path / "fresh.db")
    try:
        fresh.add_units(demo_units)
        fresh.add_codebook(demo_codebook)
        other = rewrite(tmp_path / "other.qdpx", {b"ann": b"Dr Jones", b"ben": b"B. Smith"})
        report = fresh.merge(wb.interchange.read_qdpx(other))
        assert report.attrs["problems"] == [], report
        got = sorted(map(tuple, fresh.codings()[["coder", "unit_id", "code"]].values.tolist()))
        assert got == [("B. Smith", "t1:1", "defensive"), ("B. Smith", "t2:0", "gratitude"),
                       ("Dr Jones", "t2:0", "gratitude")]
        snapshot = counts(fresh)
        bad = rewrite(tmp_path / "bad.qdpx", {b"ann": b"x" * 300})
        # a user name the naming rule refuses is read under the user's GUID, and the merge report says so
        report = fresh.merge(wb.interchange.read_qdpx(bad))
        assert any("user" in str(p) and "user-" in str(p) for p in report.attrs["problems"]), report.attrs
        renamed = set(fresh.coders()["name"]) - {"Dr Jones", "B. Smith", "ben"}
        assert len(renamed) == 1 and next(iter(renamed)).startswith("user-")
        assert not any(len(name) > 64 for name in fresh.coders()["name"])
        assert counts(fresh) != snapshot
    finally:
        fresh.close()
