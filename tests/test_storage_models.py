"""Model coders in the store (workbench/storage/models.py, migration 0006), on SQLite and PostgreSQL:
kind model, events of origin model in the same log, runs saved by run_id, supervisors only."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

import workbench as wb
from test_storage_access import PASSWORDS, _fill, as_login, opened
from workbench.errors import AccessError

MODEL = "model:logreg-tfidf@0123abcd"


def _records(df):
    return df.astype(object).where(df.notna(), None).to_dict("records")


def _run(**over):
    run = {"run_id": "run1", "coder": MODEL, "kind": "classifier", "model": "logreg-tfidf", "version": "0123abcd",
           "settings": {"C": 4.0, "ngrams": [1, 2]}, "seed": 7, "temperature": None, "round": "pilot",
           "codebook_version": 1, "units": ["t1:0", "t1:1", "t1:2"], "status": "running",
           "started_at": "2026-11-30T10:00:00+00:00"}
    return {**run, **over}


@pytest.fixture
def team(store_url, demo_units, demo_codebook):
    return _fill(store_url, demo_units, demo_codebook)


def test_a_model_codes_in_the_same_log_and_leaves_the_humans_alone(team):
    with opened(team) as p:
        before_history, before_codings = p.history(), p.codings()
        assert p.add_coder(MODEL, kind="model") == MODEL
        assert p.add_coder(MODEL, kind="model") == MODEL  # idempotent
        ids = p.code_model("t1:1", "defensive", coder=MODEL, round="pilot", memo="'not all' framing")
        # the exclusive group: the model's own earlier code goes, nobody else's
        ids2 = p.code_model("t1:1", ["validating"], coder=MODEL, round="pilot")
        assert len(ids) == 1 and len(ids2) == 2
        after = p.history()
        new = after.iloc[len(before_history):]
        assert new[["coder", "code", "action", "origin"]].values.tolist() == [
            [MODEL, "defensive", "apply", "model"], [MODEL, "defensive", "remove", "model"],
            [MODEL, "validating", "apply", "model"]]
        assert _records(after.iloc[: len(before_history)]) == _records(before_history)
        humans = p.codings()
        assert _records(humans[humans["coder"] != MODEL]) == _records(before_codings)
        assert p.codings(coder=MODEL, round="pilot")["code"].tolist() == ["validating"]
        assert p.coders().set_index("name")["kind"].to_dict() == {
            "alice": "human", "bob": "human", "sam": "human", MODEL: "model"}
        report = p.agreement(round="pilot", ci=False)
        assert report.loc[report["code"] == "(overall)", "n_coders"].item() == 3  # the model is a coder


def test_a_model_never_codes_for_a_human_and_bad_calls_write_nothing(team):
    with opened(team) as p:
        p.add_coder(MODEL, kind="model")
        n = len(p.history())
        with pytest.raises(ValueError, match="'alice' is a human coder: model codings are recorded only under"):
            p.code_model("t2:1", "gratitude", coder="alice")
        with pytest.raises(ValueError, match="no code applies goes in its run's no_code"):
            p.code_model("t2:1", [], coder=MODEL)
        with pytest.raises(wb.UnknownCodeError):
            p.code_model("t2:1", ["nope"], coder=MODEL)
        with pytest.raises(wb.UnknownUnitError):
            p.code_model("nope", ["gratitude"], coder=MODEL)
        p.close_round("pilot")
        with pytest.raises(wb.WorkbenchError, match="closed"):
            p.code_model("t1:0", ["gratitude"], coder=MODEL, round="pilot")
        assert len(p.history()) == n
        with pytest.raises(ValueError, match="is a coder of kind 'human', not 'model'"):
            p.add_coder("alice", kind="model")
        with pytest.raises(ValueError, match="never a supervisor"):
            p.add_coder("model:x@1", kind="model", role="supervisor")
        with pytest.raises(ValueError, match="never a supervisor"):
            p.set_role(MODEL, "supervisor")
        with pytest.raises(ValueError, match="'human' or 'model'"):
            p.add_coder("robot", kind="robot")


def test_a_run_is_saved_by_its_id_and_audited(team):
    with opened(team) as p:
        p.add_coder(MODEL, kind="model")
        assert p.save_model_run(_run()) == "run1"
        p.code_model("t1:0", "validating", coder=MODEL, round="pilot")
        p.save_model_run(_run(status="finished", coded=["t1:0"], no_code=["t1:1", "t1:2"],
                              finished_at="2026-11-30T10:00:09+00:00"))
        runs = p.model_runs()
        assert len(runs) == 1
        row = runs.iloc[0]
        assert (row["coder"], row["kind"], row["model"], row["version"], row["seed"], row["status"]) == (
            MODEL, "classifier", "logreg-tfidf", "0123abcd", 7, "finished")
        assert (row["n_units"], row["n_coded"], row["n_no_code"], row["n_failed"]) == (3, 1, 2, 0)
        assert row["settings"] == {"C": 4.0, "ngrams": [1, 2]} and row["record"]["no_code"] == ["t1:1", "t1:2"]
        assert str(row["finished_at"]) == "2026-11-30 10:00:09+00:00" and row["round"] == "pilot"
        assert p.model_runs(coder="someone else").empty
        audit = p.audit_log()
        saved = [json.loads(d) for d in audit.loc[audit["action"] == "model_run", "detail"]]
        assert [(s["run_id"], s["status"], s["n_coded"]) for s in saved] == [("run1", "running", 0),
                                                                           ("run1", "finished", 1)]
        with pytest.raises(ValueError, match=r"model run 'run1', field 'status': 'done' is not one of"):
            p.save_model_run(_run(status="done"))
        with pytest.raises(ValueError, match=r"field\(s\) \['started_at'\] are missing"):
            p.save_model_run(_run(started_at=None))
        with pytest.raises(ValueError, match="field 'started_at': not an ISO 8601 time"):
            p.save_model_run(_run(started_at="yesterday-ish"))
        with pytest.raises(ValueError, match="field 'settings': not JSON"):
            p.save_model_run(_run(settings={"f": object()}))
        with pytest.raises(ValueError, match="'bob' is a human coder"):
            p.save_model_run(_run(run_id="run2", coder="bob"))
        p.add_coder("model:other@1", kind="model")
        with pytest.raises(ValueError, match="another model coder's"):
            p.save_model_run(_run(coder="model:other@1"))
        assert p.model_runs()["status"].tolist() == ["finished"]


def test_a_coder_records_no_model_run(team):
    with opened(team) as p:
        p.add_coder(MODEL, kind="model")
        p.save_model_run(_run())
    with opened(team, coder="alice") as alice:
        for call in (lambda: alice.code_model("t2:1", "gratitude", coder=MODEL),
                     lambda: alice.save_model_run(_run(status="stopped")),
                     lambda: alice.model_runs(),
                     lambda: alice.add_coder("model:mine@1", kind="model")):
            with pytest.raises(AccessError, match="supervisor's operation"):
                call()
    with opened(team, coder="sam") as sam:  # a supervisor
        sam.code_model("t2:1", "gratitude", coder=MODEL)
        assert sam.model_runs()["run_id"].tolist() == ["run1"]


def test_under_row_level_security_the_supervisor_applies_model_runs(pg_url, demo_units, demo_codebook):
    _fill(pg_url, demo_units, demo_codebook)
    with opened(pg_url) as owner:
        owner.add_coder(MODEL, kind="model")
        for name, password in PASSWORDS.items():
            owner.create_login(name, password=password)
    with opened(pg_url) as owner, pytest.raises(ValueError, match="is a model coder: it has no login"):
        owner.create_login(MODEL, password="long enough pass")
    with opened(pg_url, coder="sam", password=PASSWORDS["sam"]) as sam:
        sam.save_model_run(_run())
        ids = sam.code_model("t1:0", "validating", coder=MODEL, round="pilot")
        sam.save_model_run(_run(status="finished", coded=["t1:0"]))
        assert len(ids) == 1
        # the trigger derived the state from the supervisor's insert
        assert sam.codings(coder=MODEL, round="pilot")["unit_id"].tolist() == ["t1:0"]
        assert sam.model_runs()["status"].tolist() == ["finished"]
    with as_login(pg_url, "alice") as conn:
        with pytest.raises(sa.exc.DBAPIError, match="permission denied for table model_runs"):
            conn.exec_driver_sql("SELECT count(*) FROM model_runs").scalar()
    with opened(pg_url, coder="alice", password=PASSWORDS["alice"]) as alice:
        # the blind rule hides the model's codings in the open round, as any other coder's
        assert alice.codings(round="pilot")["coder"].unique().tolist() == ["alice"]


def test_migration_0006_makes_an_earlier_model_coder_a_coder_of_kind_model(store_url):
    from alembic import command

    from workbench import storage
    from workbench.storage import engine as storage_engine

    engine = storage_engine._make_engine(storage.database_url(store_url))
    with storage.write(engine) as conn:
        command.upgrade(storage_engine._alembic_config(conn), "0004")
        conn.commit()
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO coders (name, role, created_at) VALUES "
                             "('ann', 'coder', '2026-01-01 10:00:00'), ('model:old@1', 'model', '2026-01-01 10:00:00')")
    engine.dispose()
    with opened(store_url) as p:
        assert storage.schema_revision(p.engine) == "0006"
        assert p.coders()[["name", "role", "kind"]].values.tolist() == [
            ["ann", "coder", "human"], ["model:old@1", "coder", "model"]]
        assert p.model_runs().empty
    engine = storage_engine._make_engine(storage.database_url(store_url))
    with storage.write(engine) as conn:
        command.downgrade(storage_engine._alembic_config(conn), "0004")
        conn.commit()
        assert conn.exec_driver_sql("SELECT role FROM coders ORDER BY coder_id").scalars().all() == ["coder", "model"]
        assert not sa.inspect(conn).has_table("model_runs")
    engine.dispose()


def test_migration_0006_lets_an_existing_supervisors_group_update_the_runs(pg_url):
    from alembic import command

    from workbench import storage
    from workbench.storage import engine as storage_engine
    from workbench.storage.access import group_names

    engine = storage_engine._make_engine(storage.database_url(pg_url))
    with storage.write(engine) as conn:
        command.upgrade(storage_engine._alembic_config(conn), "0004")
        conn.commit()
    with engine.begin() as conn:
        _, supervisors = group_names(str(conn.exec_driver_sql("SELECT current_database()").scalar()))
        conn.exec_driver_sql(f'CREATE ROLE "{supervisors}" NOLOGIN')
    engine.dispose()
    with opened(pg_url) as p, p.engine.connect() as conn:
        can = conn.exec_driver_sql(
            f"SELECT has_table_privilege('{supervisors}', 'model_runs', 'UPDATE')").scalar()
        assert can is True
