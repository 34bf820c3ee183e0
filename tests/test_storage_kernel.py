"""The store's kernel: driver errors become one StoreError, round selections, look-ups, times
(workbench/storage/_kernel.py)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa

import workbench as wb
from workbench.sentinels import ALL_ROUNDS, NO_ROUND
from workbench.storage import tables as T
from workbench.storage._kernel import Kernel, round_selection, utc, utc_timestamp


@pytest.fixture
def kernel(project):
    return Kernel(project.engine, str(project.url))


def test_a_driver_error_in_a_transaction_is_one_store_error_naming_the_database(kernel, project):
    with pytest.raises(wb.StoreError) as err:
        with kernel.transaction("store the thing", after="Nothing was changed.") as conn:
            conn.execute(T.coders.insert().values(name="ann", created_at=dt.datetime.now(dt.UTC)))
            conn.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")
    message = str(err.value)
    assert message.startswith(f"the project database {project.url} refused to store the thing: ")
    assert "no_such_table" in message and message.endswith("Nothing was changed.")
    assert isinstance(err.value.__cause__, sa.exc.OperationalError)
    assert project.coders().empty  # rolled back


def test_nested_parts_wrap_a_driver_error_only_once(kernel):
    with pytest.raises(wb.StoreError) as err:
        with kernel.transaction("do the outer thing"):
            with kernel.reading("do the inner thing") as conn:
                conn.exec_driver_sql("SELECT * FROM no_such_table")
    assert "do the inner thing" in str(err.value) and "outer" not in str(err.value)
    assert str(err.value).count("refused") == 1


def test_sqlite3_errors_become_store_errors_too(kernel):
    with pytest.raises(wb.StoreError, match="refused to read raw: .*no such table"):
        with kernel.reading("read raw") as conn:
            conn.connection.driver_connection.execute("SELECT * FROM nowhere")
    assert issubclass(sqlite3.OperationalError, sqlite3.Error)


def test_workbench_and_input_errors_pass_through_unchanged(kernel):
    with pytest.raises(wb.UnknownCoderError, match="known coders: \\[\\]"):
        with kernel.transaction("look up") as conn:
            kernel.coder_id(conn, "nobody")
    with pytest.raises(ValueError, match="mine"):
        with kernel.transaction("anything"):
            raise ValueError("mine")


def test_round_selection():
    assert round_selection(None) is NO_ROUND
    assert round_selection(NO_ROUND) is NO_ROUND
    assert round_selection(ALL_ROUNDS) is ALL_ROUNDS
    assert round_selection("pilot") == "pilot" and round_selection(3) == 3
    with pytest.raises(TypeError, match=r"round=\.\.\. is not a round selection; pass round=workbench.ALL_ROUNDS"):
        round_selection(...)
    with pytest.raises(TypeError, match="NO_ROUND"):
        round_selection(True)
    with pytest.raises(TypeError, match="ALL_ROUNDS selects codings to read"):
        round_selection(ALL_ROUNDS, every=False)
    with pytest.raises(TypeError, match="a round's name or id"):
        round_selection(..., every=False)


def test_round_row_and_keys(kernel):
    with kernel.transaction("add a round") as conn:
        conn.execute(T.rounds.insert().values(name="r", status="open", created_at=dt.datetime.now(dt.UTC)))
    with kernel.reading("look up") as conn:
        row = kernel.round_row(conn, "r")
        assert row is not None and kernel.round_row(conn, row["round_id"])["name"] == "r"
        assert kernel.round_row(conn, None) is None and kernel.round_row(conn, NO_ROUND) is None
        assert kernel.round_key(None) == T.NO_ROUND_KEY == 0 and kernel.round_key(row) == row["round_id"]
        with pytest.raises(wb.UnknownRoundError, match=r"round 'zz' does not exist; rounds: \['r'\]"):
            kernel.round_row(conn, "zz")
        with pytest.raises(TypeError, match="round_info needs a round name or id"):
            kernel.one_round(conn, None, "round_info")


def test_audit_is_written_inside_the_callers_transaction(kernel, project):
    with pytest.raises(wb.StoreError):
        with kernel.transaction("fail after auditing") as conn:
            kernel.audit(conn, "something", {"n": 1}, "ann")
            conn.exec_driver_sql("SELECT * FROM no_such_table")
    assert project.audit_log().empty
    with kernel.transaction("audit") as conn:
        kernel.audit(conn, "something", {"n": 1}, "ann")
    log = project.audit_log()
    assert log[["action", "actor", "detail"]].values.tolist() == [["something", "ann", '{"n": 1}']]
    assert log["at"].dt.tz is not None


def test_times_are_utc():
    naive = utc(pd.Series(["2025-03-01 12:00:00", "2025-03-01T13:00:00+01:00", None, "not a time"]))
    assert str(naive.dt.tz) == "UTC"
    assert naive.iloc[0] == naive.iloc[1] == pd.Timestamp("2025-03-01 12:00", tz="UTC")
    assert naive.iloc[2:].isna().all()
    assert utc_timestamp(None) is None
    aware = dt.datetime(2025, 3, 1, 13, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert utc_timestamp(aware) == utc_timestamp(dt.datetime(2025, 3, 1, 12)) == pd.Timestamp("2025-03-01 12:00", tz="UTC")
