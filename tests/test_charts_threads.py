"""One thread as a tree (workbench/charts/threads.py).
"""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from _charts_data import (
    CODEBOOK,
    data_of,
    example_codings,
    example_units,
)
from workbench import charts


@pytest.fixture
def units() -> pd.DataFrame:
    return example_units()


@pytest.fixture
def codings() -> pd.DataFrame:
    return example_codings()


def test_thread_tree_layout_and_colours(codings, units):
    spec = charts.thread_tree(codings, units, "wp", codebook=CODEBOOK).to_dict()
    edges, nodes = data_of(spec, 0), data_of(spec, 1)
    order = [r["unit_id"] for r in nodes]
    # reply order: each unit followed by its replies
    assert order == ["wp:0", "wp:1", "wp:2", "wp:3", "wp:4", "wp:5", "wp:6"]
    assert [r["depth"] for r in nodes] == [0, 1, 2, 1, 2, 3, 1]
    by_id = {r["unit_id"]: r for r in nodes}
    # wp:4: alice systemic-deflection, bob defensive -> tie, codebook order puts defensive first
    assert by_id["wp:4"]["code"] == "defensive"
    assert by_id["wp:4"]["codes"] == "defensive (bob); systemic-deflection (alice)"
    assert by_id["wp:3"]["code"] == "validating"  # both coders
    # elbow edges: two segments per reply
    assert len(edges) == 2 * 6
    assert {"x": 1, "x2": 1, "y": 3, "y2": 4} in edges  # down from wp:3 (row 3) to wp:4 (row 4)
    assert {"x": 1, "x2": 2, "y": 4, "y2": 4} in edges
    dots = spec["layer"][1]
    assert dots["encoding"]["color"]["field"] == "code"
    assert "#d95f02" in dots["encoding"]["color"]["scale"]["range"]
    assert {t["field"] for t in dots["encoding"]["tooltip"]} >= {"author", "text", "codes"}
    assert spec["layer"][2]["mark"]["type"] == "text"


def test_thread_tree_uncoded_truncation_and_unknown(codings, units):
    spec = charts.thread_tree(codings, units, "tw", coder="bob").to_dict()
    assert {r["code"] for r in data_of(spec, 1)} == {charts.NOT_CODED}
    spec = charts.thread_tree(codings, units, "wp", max_units=3).to_dict()
    assert [r["unit_id"] for r in data_of(spec, 1)] == ["wp:0", "wp:1", "wp:2"]
    assert spec["title"]["subtitle"] == "7 units; the first 3 in reply order are shown"
    with pytest.raises(ValueError, match="thread 'nope' is not in units.*'wp', 'tw'"):
        charts.thread_tree(codings, units, "nope")


def test_thread_tree_orphans_and_cycles_do_not_hang(codings):
    units = wb.make_units(
        [
            {"unit_id": "a", "thread_id": "t", "text": "root"},
            {"unit_id": "b", "thread_id": "t", "parent_id": "gone", "text": "orphan", "depth": 2},
            {"unit_id": "c", "thread_id": "t", "parent_id": "d", "text": "cycle 1"},
            {"unit_id": "d", "thread_id": "t", "parent_id": "c", "text": "cycle 2"},
        ]
    )
    nodes = data_of(charts.thread_tree(codings, units, "t").to_dict(), 1)
    assert sorted(r["unit_id"] for r in nodes) == ["a", "b", "c", "d"]
    assert {r["unit_id"]: r["depth"] for r in nodes}["b"] == 2
