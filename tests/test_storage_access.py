"""Who may do what (workbench/storage/access.py): a project opened for one coder, blind rounds,
supervisors; on PostgreSQL the same rules for direct SQL through each coder's login."""

from __future__ import annotations

import contextlib
import json

import pandas as pd
import pytest
import sqlalchemy as sa

import workbench as wb
from workbench.errors import AccessError, IdentifierError
from workbench.storage.access import SUPERVISOR_ONLY, group_names, login_name, login_url

PILOT = ["t1:0", "t1:1", "t1:2"]
PASSWORDS = {"alice": "alice-passphrase-1", "bob": "bob-passphrase-22", "sam": "sam-passphrase-333"}


def _fill(url, demo_units, demo_codebook):
    """alice and bob code the open round 'pilot' (t1:0-2); bob also codes outside rounds, on a pilot
    unit (t1:1) and elsewhere (t2:0), and leaves a memo in the round and one outside it."""
    p = wb.open_project(url)
    p.add_units(demo_units)
    p.add_codebook(demo_codebook)
    p.add_coder("alice")
    p.add_coder("bob")
    p.add_coder("sam", role="supervisor")
    p.new_round("pilot", units=PILOT, coders=["alice", "bob"], seed=1)
    for u in PILOT:
        p.code(u, "validating", coder="alice", round="pilot")
        p.code(u, "validating" if u == "t1:0" else "defensive", coder="bob", round="pilot")
    p.code("t1:1", "gratitude", coder="bob")
    p.code("t2:0", "gratitude", coder="bob")
    p.memo("t1:0", "bob's pilot note", coder="bob", round="pilot")
    p.memo("t2:0", "bob's open note", coder="bob")
    p.close()
    return url


@pytest.fixture
def team(store_url, demo_units, demo_codebook):
    return _fill(store_url, demo_units, demo_codebook)


@contextlib.contextmanager
def opened(url, **kw):
    p = wb.open_project(url, **kw)
    try:
        yield p
    finally:
        p.close()


def _rows(df, *cols):
    return sorted(map(tuple, df[list(cols)].astype(object).where(df[list(cols)].notna(), None).to_numpy().tolist()))


# --- a project opened for one coder ---------------------------------------------------------
def test_opened_for_a_coder_or_for_the_owner(team):
    with opened(team) as owner:
        assert (owner.coder, owner.role) == (None, "owner")
    with opened(team, coder="alice") as alice:
        assert (alice.coder, alice.role) == ("alice", "coder")
    with pytest.raises(wb.UnknownCoderError, match=r"coder 'zed' is not in this project"):
        wb.open_project(team, coder="zed")
    with pytest.raises(ValueError, match=r"password= logs a coder in to PostgreSQL"):
        wb.open_project(team, password="x")


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda p: p.code("t2:1", "gratitude", coder="bob"), "code"),
        (lambda p: p.uncode("t2:0", "gratitude", coder="bob"), "uncode"),
        (lambda p: p.memo("t2:1", "a note", coder="bob"), "memo"),
        (lambda p: p.flag("t2:1", coder="bob"), "flag"),
        (lambda p: p.code("t1:0", "defensive", coder="bob", round="pilot"), "code"),
    ],
)
def test_a_coder_writes_only_as_themselves(team, call, what):
    with opened(team) as owner:
        before = (len(owner.history()), len(owner.memos()))
    with opened(team, coder="alice") as alice:
        with pytest.raises(AccessError, match=rf"this project is open for the coder 'alice': {what} for 'bob' is "
                                              r"refused; pass coder='alice'"):
            call(alice)
        assert isinstance(AccessError("x"), PermissionError) and isinstance(AccessError("x"), wb.WorkbenchError)
        alice.code("t2:1", "gratitude", coder="alice")
        alice.memo("t2:1", "mine", coder="alice")
    with opened(team) as owner:
        assert (len(owner.history()), len(owner.memos())) == (before[0] + 1, before[1] + 1)
        assert owner.history()["coder"].iloc[-1] == "alice"


SUPERVISOR_CALLS = {
    "add_units": lambda p: p.add_units(wb.make_units([{"unit_id": "n1", "thread_id": "n", "text": "x"}])),
    "set_setting": lambda p: p.set_setting("break_minutes", 5),
    "audit_log": lambda p: p.audit_log(),
    "add_coder": lambda p: p.add_coder("carol"),
    "set_role": lambda p: p.set_role("alice", "supervisor"),
    "create_login": lambda p: p.create_login("alice", password="long enough pass"),
    "disable_login": lambda p: p.disable_login("bob"),
    "add_codebook": lambda p: p.add_codebook(p.codebook()),
    "rename_code": lambda p: p.rename_code("gratitude", "thanks"),
    "merge_codes": lambda p: p.merge_codes(["validating", "defensive"], into="validating"),
    "split_code": lambda p: p.split_code("gratitude", into=["thanks", "praise"]),
    "retire_code": lambda p: p.retire_code("gratitude"),
    "rebuild_state": lambda p: p.rebuild_state(),
    "new_round": lambda p: p.new_round("second", units=["t2:1"], coders=["alice"]),
    "close_round": lambda p: p.close_round("pilot"),
    "reopen_round": lambda p: p.reopen_round("pilot"),
    "adjudicate": lambda p: p.adjudicate("t1:1", "defensive", round="pilot", decided_by="alice"),
    "merge": lambda p: p.merge("other.db"),
    "kit": lambda p: p.kit("alice-kit.db", coder="alice", round="pilot"),
}


@pytest.mark.parametrize("name", SUPERVISOR_ONLY)
def test_supervisor_operations_are_refused_to_a_coder(team, name):
    with opened(team, coder="alice") as alice:
        with pytest.raises(AccessError, match=rf"^{name} is a supervisor's operation; this project is open for the "
                                              r"coder 'alice'"):
            SUPERVISOR_CALLS[name](alice)
    with opened(team) as owner:
        assert owner.rounds()["status"].tolist() == ["open"] and owner.coders()["name"].tolist() == ["alice", "bob", "sam"]
        assert owner.codebook_version() == 1


def test_the_blind_rule_filters_what_a_coder_reads(team):
    with opened(team, coder="alice") as alice:
        # her own codings, and bob's only outside open rounds and off the units she codes blind
        assert _rows(alice.codings(), "unit_id", "coder", "code", "round") == sorted(
            [(u, "alice", "validating", "pilot") for u in PILOT] + [("t2:0", "bob", "gratitude", None)]
        )
        assert _rows(alice.history(), "unit_id", "coder", "code") == _rows(alice.codings(), "unit_id", "coder", "code")
        assert alice.memos()["text"].tolist() == ["bob's open note"]
        assert _rows(alice.codings(coder="bob"), "unit_id", "code") == [("t2:0", "gratitude")]
        assert alice.round("pilot").codings()["coder"].unique().tolist() == ["alice"]
        assert alice.unit_codes("t1:1", coder="bob") == []  # outside rounds, but on a unit she codes blind
        assert alice.unit_codes("t2:0", coder="bob") == ["gratitude"]
        assert alice.flagged() == []
        for call in (
            lambda: alice.codings(coder="bob", round="pilot"),
            lambda: alice.history(coder=["alice", "bob"], round="pilot"),
            lambda: alice.memos(coder="bob", round="pilot"),
            lambda: alice.flagged("bob", round="pilot"),
            lambda: alice.blind_codings("bob", "pilot"),
            lambda: alice.unit_codes("t1:0", coder="bob", round="pilot"),
            lambda: alice.round("pilot").codings(coder="bob"),
        ):
            with pytest.raises(AccessError, match=r"round 'pilot' is open and coded blind: the .* of \['bob'\] are "
                                                  r"hidden from 'alice' until a supervisor closes it"):
                call()
    with opened(team, coder="bob") as bob:  # the same rule, the other way round
        assert set(bob.codings()["coder"]) == {"bob"}
        assert len(bob.codings()) == 5


def test_a_coder_reads_their_own_queue_only(team):
    with opened(team, coder="alice") as alice:
        assert alice.next_unit("alice", round="pilot") is None
        assert alice.queue("alice", round="pilot") == PILOT
        assert alice.progress("alice", round="pilot") == {"coded": 3, "total": 3}
        for call in (lambda: alice.next_unit("bob"), lambda: alice.queue("bob", round="pilot"),
                     lambda: alice.progress("bob")):
            with pytest.raises(AccessError, match=r"open for the coder 'alice': (next_unit|queue|progress) for 'bob'"):
                call()


def test_comparisons_wait_until_the_round_is_closed(team):
    with opened(team, coder="alice") as alice:
        refused = {
            "agreement": lambda: alice.agreement(round="pilot", ci=False),
            "disagreements": lambda: alice.round("pilot").disagreements(),
            "decisions": lambda: alice.decisions("pilot"),
        }
        for what, call in refused.items():
            with pytest.raises(AccessError, match=rf"round 'pilot' is open and coded blind: its {what} is hidden from "
                                                  r"'alice' until it is closed; a supervisor can compare now"):
                call()
        with pytest.raises(AccessError, match=r"agreement over every round is hidden from 'alice' while round\(s\) "
                                              r"\['pilot'\] are open; pass a closed round"):
            alice.agreement(ci=False)
        with pytest.raises(AccessError, match=r"the gold outside rounds is hidden from 'alice', who codes units of it "
                                              r"blind in the open round\(s\) \['pilot'\]"):
            alice.gold(round=wb.NO_ROUND)
    with opened(team) as owner:
        expected = owner.agreement(round="pilot", ci=False)
        owner.close_round("pilot")
    with opened(team, coder="alice") as alice:
        assert len(alice.codings(round="pilot")) == 6  # closed: both coders' codings
        pd.testing.assert_frame_equal(alice.agreement(round="pilot", ci=False), expected)
        assert alice.round("pilot").disagreements()["unit_id"].tolist() == ["t1:1", "t1:2"]
        assert alice.gold("pilot").empty
    with opened(team) as owner:  # a later open round on a unit of the closed one hides it again
        owner.new_round("second", units=["t1:1"], coders=["alice"], seed=2)
    with opened(team, coder="alice") as alice:
        with pytest.raises(AccessError, match=r"the agreement of round 'pilot' is hidden from 'alice', who codes "
                                              r"units of it blind in the open round\(s\) \['second'\]"):
            alice.agreement(round="pilot", ci=False)


def test_a_supervisor_sees_and_does_everything(team):
    with opened(team) as owner:
        everything = owner.codings()
    with opened(team, coder="sam") as sam:
        assert (sam.coder, sam.role) == ("sam", "supervisor")
        pd.testing.assert_frame_equal(sam.codings(), everything)
        assert len(sam.round("pilot").disagreements()) == 2
        sam.code("t2:1", "gratitude", coder="bob")  # e.g. bob's codes from paper
        sam.close_round("pilot", actor="someone")
        log = sam.audit_log()
    closed = log.loc[log["action"] == "close_round"]
    assert closed[["actor", "role"]].to_dict("records") == [{"actor": "sam", "role": "supervisor"}]


def test_round_names_follow_the_naming_rule(team):
    with opened(team) as owner:
        with pytest.raises(IdentifierError, match=r"round name '2' is all digits and would be read as an id"):
            owner.new_round("2", units=["t2:1"], coders=["alice"])
        with pytest.raises(IdentifierError, match=r"round name 'Pilot' is too like the existing round 'pilot'"):
            owner.new_round("Pilot", units=["t2:1"], coders=["alice"])
        with pytest.raises(ValueError, match=r"a round called 'pilot' exists already"):
            owner.new_round(" pilot ", units=["t2:1"], coders=["alice"])
        assert owner.rounds()["round"].tolist() == ["pilot"]


def test_sqlite_has_no_logins(tmp_path, demo_units, demo_codebook):
    url = _fill(str(tmp_path / "p.db"), demo_units, demo_codebook)
    with opened(url) as owner:
        with pytest.raises(wb.StoreError, match=r"create_login needs a PostgreSQL project: a SQLite file has no "
                                                r"database logins"):
            owner.create_login("alice", password="long enough pass")
        assert owner.logins()[["name", "login", "can_login"]].to_dict("records") == [
            {"name": n, "login": None, "can_login": False} for n in ("alice", "bob", "sam")]


# --- PostgreSQL: the server keeps the rules -------------------------------------------------
@pytest.fixture
def pg_team(pg_url, demo_units, demo_codebook):
    _fill(pg_url, demo_units, demo_codebook)
    with opened(pg_url) as owner:
        for name, password in PASSWORDS.items():
            owner.create_login(name, password=password)
    return pg_url


@contextlib.contextmanager
def as_login(url, coder):
    """A plain SQLAlchemy connection logged in as a coder's role (direct SQL, no workbench API)."""
    engine = sa.create_engine(wb.storage.database_url(login_url(url, coder, PASSWORDS[coder])))
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _ids(url):
    with opened(url) as owner, owner.engine.connect() as conn:
        coders = dict(conn.exec_driver_sql("SELECT name, coder_id FROM coders").all())
        rounds = dict(conn.exec_driver_sql("SELECT name, round_id FROM rounds").all())
    return coders, rounds


def _insert_event(conn, coder_id, round_id, unit="t2:1"):
    conn.exec_driver_sql(
        "INSERT INTO coding_events (unit_id, code, action, coder_id, round_id, codebook_version, at) "
        f"VALUES ('{unit}', 'gratitude', 'apply', {coder_id}, {'NULL' if round_id is None else round_id}, 1, now())"
    )


def test_each_coder_has_a_login_in_the_groups_of_the_roles(pg_team):
    database = sa.engine.make_url(pg_team).database
    with opened(pg_team) as owner:
        logins = owner.logins()
        audit = owner.audit_log()
    assert logins.to_dict("records") == [
        {"name": n, "role": r, "login": login_name(database, n), "can_login": True}
        for n, r in (("alice", "coder"), ("bob", "coder"), ("sam", "supervisor"))
    ]
    made = [json.loads(d) for d in audit.loc[audit["action"] == "create_login", "detail"]]
    assert [m["name"] for m in made] == ["alice", "bob", "sam"] and all(m["password"] for m in made)
    coders, supervisors = group_names(database)
    with as_login(pg_team, "alice") as conn:
        groups = set(conn.exec_driver_sql(
            "SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid "
            "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = current_user").scalars())
        assert groups == {coders}
        assert conn.exec_driver_sql("SELECT wb_coder(), wb_supervising()").one() == (1, False)


def test_a_coders_login_reads_nothing_of_others_in_an_open_round(pg_team):
    coders, rounds = _ids(pg_team)
    bob, pilot = coders["bob"], rounds["pilot"]
    with as_login(pg_team, "alice") as conn:
        count = lambda sql: conn.exec_driver_sql(sql).scalar()  # noqa: E731
        assert count(f"SELECT count(*) FROM coding_events WHERE coder_id = {bob} AND round_id = {pilot}") == 0
        assert count(f"SELECT count(*) FROM current_codings WHERE coder_id = {bob} AND round_key = {pilot}") == 0
        assert count(f"SELECT count(*) FROM memos WHERE coder_id = {bob} AND round_id = {pilot}") == 0
        assert count(f"SELECT count(*) FROM queue_cursors WHERE coder_id = {bob}") == 0
        # outside rounds only what is not on a unit she codes blind
        assert conn.exec_driver_sql(f"SELECT unit_id FROM coding_events WHERE coder_id = {bob}").scalars().all() == ["t2:0"]
        assert count("SELECT count(*) FROM coding_events WHERE coder_id = 1") == 3  # her own
        assert count("SELECT count(*) FROM audit_log") == 0  # the supervisors' (but for restructurings)
    with as_login(pg_team, "sam") as conn:  # the supervisor's login sees everything
        assert conn.exec_driver_sql(
            f"SELECT count(*) FROM coding_events WHERE coder_id = {bob} AND round_id = {pilot}").scalar() == 3


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("INSERT_AS_BOB", "new row violates row-level security policy"),
        ("INSERT_AS_BOB_OUTSIDE", "new row violates row-level security policy"),
        ("SELECT wb_code('t2:1', {bob}, NULL, 1, 'apply', ARRAY['gratitude'], '{{}}', NULL, NULL, NULL)",
         "new row violates row-level security policy"),
        ("UPDATE coding_events SET code = 'defensive'", "permission denied for table coding_events"),
        ("DELETE FROM coding_events", "permission denied for table coding_events"),
        ("DELETE FROM memos", "permission denied for table memos"),
        ("INSERT INTO current_codings VALUES ({bob}, 0, 't2:1', 'gratitude', '', 1)",
         "permission denied for table current_codings"),
        ("UPDATE queue_cursors SET frontier_seq = 0", "permission denied for table queue_cursors"),
        ("UPDATE coders SET role = 'supervisor'", "permission denied for table coders"),
        ("UPDATE rounds SET status = 'closed'", "permission denied for table rounds"),
        ("INSERT INTO audit_log (at, action) VALUES (now(), 'x')", "permission denied for table audit_log"),
    ],
)
def test_a_coders_login_writes_only_as_itself(pg_team, sql, refusal):
    coders, rounds = _ids(pg_team)
    with opened(pg_team) as owner:
        before = len(owner.history())
    with as_login(pg_team, "alice") as conn:
        with pytest.raises(sa.exc.DBAPIError, match=refusal):
            if sql == "INSERT_AS_BOB":
                _insert_event(conn, coders["bob"], rounds["pilot"], unit="t1:0")
            elif sql == "INSERT_AS_BOB_OUTSIDE":
                _insert_event(conn, coders["bob"], None)
            else:
                conn.exec_driver_sql(sql.format(bob=coders["bob"]))
    with opened(pg_team) as owner:
        assert len(owner.history()) == before


def test_a_coders_login_codes_as_itself_and_the_state_follows(pg_team):
    coders, rounds = _ids(pg_team)
    with as_login(pg_team, "alice") as conn:  # direct SQL: the trigger derives the state
        _insert_event(conn, coders["alice"], None)
        conn.commit()
        assert conn.exec_driver_sql(
            "SELECT code FROM current_codings WHERE unit_id = 't2:1' AND coder_id = 1").scalars().all() == ["gratitude"]
    with opened(pg_team, coder="alice", password=PASSWORDS["alice"]) as alice:
        assert (alice.coder, alice.role) == ("alice", "coder")
        assert "wb_coder_" in alice.url and PASSWORDS["alice"] not in alice.url + repr(alice)
        alice.code("t2:2", ["defensive"], coder="alice", memo="mine")
        alice.code("t2:2", ["validating"], coder="alice")  # exclusive: defensive goes
        assert alice.unit_codes("t2:2", coder="alice") == ["validating"]
        assert alice.next_unit("alice") == "t1:0"
        assert alice.next_unit("alice", after="t2:0") is None  # t2:1 and t2:2 are coded
        with pytest.raises(AccessError):
            alice.code("t2:2", "gratitude", coder="bob")
    with opened(pg_team) as owner:
        hist = owner.history(coder="alice", round=wb.NO_ROUND)
        assert hist[["unit_id", "code", "action"]].values.tolist() == [
            ["t2:1", "gratitude", "apply"], ["t2:2", "defensive", "apply"], ["t2:2", "defensive", "remove"],
            ["t2:2", "validating", "apply"]]
        before = owner.codings().drop(columns="at").sort_values(["unit_id", "coder", "code"]).reset_index(drop=True)
        owner.rebuild_state()
        after = owner.codings().drop(columns="at").sort_values(["unit_id", "coder", "code"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(before, after)


def test_after_the_round_closes_the_supervisors_login_computes_agreement(pg_team):
    with opened(pg_team) as owner:
        owner.close_round("pilot")
        expected = owner.agreement(round="pilot", ci=False)
    coders, rounds = _ids(pg_team)
    with as_login(pg_team, "alice") as conn:  # closed: no longer hidden
        assert conn.exec_driver_sql(
            f"SELECT count(*) FROM coding_events WHERE coder_id = {coders['bob']} AND round_id = {rounds['pilot']}"
        ).scalar() == 3
    with opened(pg_team, coder="sam", password=PASSWORDS["sam"]) as sam:
        assert sam.role == "supervisor"
        pd.testing.assert_frame_equal(sam.agreement(round="pilot", ci=False), expected)
        sam.adjudicate("t1:1", "defensive", round="pilot", decided_by="sam")
        assert sam.gold("pilot")["code"].tolist() == ["defensive"]
    with as_login(pg_team, "sam") as conn:  # append-only for the supervisors too
        with pytest.raises(sa.exc.DBAPIError, match="permission denied for table coding_events"):
            conn.exec_driver_sql("DELETE FROM coding_events")


def test_a_supervisors_login_runs_the_project(pg_team):
    """The grants of the supervisors' group cover every operation of the workbench's API."""
    with opened(pg_team, coder="sam", password=PASSWORDS["sam"]) as sam:
        sam.add_units(wb.make_units([{"unit_id": "n1", "thread_id": "n", "text": "a new reply"}]))
        sam.add_coder("carol")
        sam.set_role("carol", "supervisor")  # carol has no login yet: the project's record only
        sam.set_setting("break_minutes", 45)
        sam.close_round("pilot")
        sam.adjudicate("t1:1", "defensive", round="pilot", decided_by="sam", reason="not all")
        sam.new_round("second", units=["t2:1", "n1"], coders=["alice", "carol"], seed=3)
        sam.code("n1", "gratitude", coder="carol", round="second")
        version = sam.rename_code("gratitude", "thanks")
        assert version == 2 and sam.codings(coder="carol")["code"].tolist() == ["thanks"]
        assert sam.next_unit("carol", round="second") == "t2:1"
        sam.rebuild_state()
        assert sam.gold("pilot")["code"].tolist() == ["defensive"]
        assert set(sam.audit_log().loc[lambda d: d["role"] == "supervisor", "actor"]) == {"sam"}
    with opened(pg_team) as owner:
        assert owner.rounds()["status"].tolist() == ["closed", "open"]


def test_a_login_opens_the_project_for_its_own_coder_only(pg_team):
    alice_url = login_url(pg_team, "alice", PASSWORDS["alice"])
    with opened(alice_url) as alice:  # no coder= given: the login decides
        assert alice.coder == "alice"
        assert set(alice.codings()["coder"]) == {"alice", "bob"} and len(alice.codings()) == 4
    with pytest.raises(AccessError, match=r"the database login wb_coder_\w+ is coder 'alice''s; it cannot open the "
                                          r"project for 'bob'"):
        wb.open_project(alice_url, coder="bob")


def test_set_role_moves_the_login_and_disable_stops_it(pg_team):
    coders, rounds = _ids(pg_team)
    with opened(pg_team) as owner:
        owner.set_role("alice", "supervisor")
    with as_login(pg_team, "alice") as conn:
        assert conn.exec_driver_sql("SELECT wb_supervising()").scalar() is True
        assert conn.exec_driver_sql("SELECT has_table_privilege('rounds', 'UPDATE')").scalar() is True
        assert conn.exec_driver_sql(
            f"SELECT count(*) FROM coding_events WHERE coder_id = {coders['bob']}").scalar() == 5
    with opened(pg_team) as owner:
        owner.disable_login("bob")
        assert owner.logins().set_index("name")["can_login"].to_dict() == {"alice": True, "bob": False, "sam": True}
    with pytest.raises(wb.StoreError, match=r"not permitted to log in"):
        wb.open_project(pg_team, coder="bob", password=PASSWORDS["bob"])


@pytest.fixture
def passwords_required(postgres_server, pg_team):
    """The test server trusts loopback; for this database, ask for passwords (SCRAM)."""
    database = sa.engine.make_url(pg_team).database
    hba = postgres_server.data / "pg_hba.conf"
    before = hba.read_text()
    hba.write_text(f"host {database} workbench 127.0.0.1/32 trust\n"
                   f"host {database} all 127.0.0.1/32 scram-sha-256\n" + before)

    def reload():
        engine = sa.create_engine(wb.storage.database_url(pg_team))
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_reload_conf()")
        engine.dispose()

    reload()
    yield pg_team
    hba.write_text(before)
    reload()


def test_passwords_are_checked(passwords_required):
    url = passwords_required
    with pytest.raises(wb.StoreError, match=r"password authentication failed for user \"wb_coder_\w+\""):
        wb.open_project(url, coder="alice", password="not-alices-password")
    with opened(url, coder="alice", password=PASSWORDS["alice"]) as alice:
        assert alice.coder == "alice"
    with opened(url) as owner:
        owner.add_coder("carol")
        assert owner.create_login("carol").startswith("wb_coder_")  # no password: cert or peer authentication
    with pytest.raises(wb.StoreError, match=r"password authentication failed"):
        wb.open_project(url, coder="carol", password="anything at all")
