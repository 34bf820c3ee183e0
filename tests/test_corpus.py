"""The units table: building, validating, tree helpers."""

import pytest

from workbench.corpus import CODABLE_STATUSES, UNIT_COLUMNS, ancestors, children, make_units, thread_of, validate_units
from workbench.errors import UnitsError


def test_make_units_fills_depth_position_and_flags_orphans(demo_units):
    assert list(demo_units.columns[: len(UNIT_COLUMNS)]) == list(UNIT_COLUMNS)
    d = demo_units.set_index("unit_id")
    assert d.loc["t1:0", "depth"] == 0 and d.loc["t1:2", "depth"] == 2
    assert d.loc["t2:2", "status"] == "orphan" and d.loc["t2:2", "parent_id"] == "t2:missing"
    assert list(thread_of(demo_units, "t1")["position"]) == [0, 1, 2, 3, 4]
    validate_units(demo_units)


def test_ids_stay_strings_even_when_numeric():
    big = 1834567890123456789  # a tweet id beyond 2**53
    units = make_units([
        {"unit_id": big, "thread_id": big, "text": "root"},
        {"unit_id": big + 1, "thread_id": big, "parent_id": big, "text": "reply"},
        {"unit_id": 7.0, "thread_id": "x", "text": "float id"},
    ])
    assert list(units["unit_id"]) == [str(big), str(big + 1), "7"]
    assert units.loc[1, "parent_id"] == str(big)


def test_cycles_and_duplicates_are_reported_not_dropped():
    report = []
    units = make_units([
        {"unit_id": "a", "thread_id": "t", "parent_id": "b", "text": "1"},
        {"unit_id": "b", "thread_id": "t", "parent_id": "a", "text": "2"},
        {"unit_id": "c", "thread_id": "t", "text": "3"},
        {"unit_id": "c", "thread_id": "t", "text": "dup"},
    ], report=report)
    assert len(units) == 3
    assert any("reply cycle among units ['a', 'b']" in p for p in report)
    assert any("duplicate unit_id ['c']" in p for p in report)
    assert set(units.loc[units.unit_id.isin(["a", "b"]), "status"]) == {"orphan"}


def test_parents_resolve_within_the_thread_only():
    units = make_units([
        {"unit_id": "a", "thread_id": "t1", "text": "root"},
        {"unit_id": "b", "thread_id": "t2", "parent_id": "a", "text": "other thread"},
    ])
    assert units.loc[1, "status"] == "orphan"


def test_validate_names_offending_ids():
    units = make_units([{"unit_id": "a", "thread_id": "t", "text": "x"}, {"unit_id": "b", "thread_id": "t", "text": "y"}])
    units.loc[1, "unit_id"] = "a"
    with pytest.raises(UnitsError, match=r"duplicate unit_id \['a'\]"):
        validate_units(units)
    with pytest.raises(UnitsError, match="missing the required column"):
        make_units([{"unit_id": "a", "text": "x"}])
    with pytest.raises(TypeError, match="pandas DataFrame"):
        validate_units([{"unit_id": "a"}])


def test_tree_helpers(demo_units):
    assert ancestors(demo_units, "t1:2") == ["t1:0", "t1:1"]
    assert children(demo_units, "t1:0") == ["t1:1", "t1:3"]
    with pytest.raises(KeyError, match="not in the units table"):
        ancestors(demo_units, "zz")


def test_deep_chain_is_vectorised():
    n = 5000
    rows = [{"unit_id": str(i), "thread_id": "t", "parent_id": None if i == 0 else str(i - 1), "text": ""} for i in range(n)]
    units = make_units(rows)
    assert units["depth"].tolist() == list(range(n))
    assert set(CODABLE_STATUSES) >= {"ok"}
