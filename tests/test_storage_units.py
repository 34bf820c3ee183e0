"""Threads and units in the store (workbench/storage/units.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb


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
