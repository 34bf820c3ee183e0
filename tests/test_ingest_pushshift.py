"""workbench.ingest.pushshift: Arrow parsing, odd lines found and reported, the column-wise units table."""

from __future__ import annotations

import json
import random
import warnings

import pandas as pd
import pytest

from workbench.corpus import make_units, validate_units
from workbench.ingest import IngestWarning, load_threads
from workbench.ingest._common import Context
from workbench.ingest._tree import units_from_clean_frame
from workbench.ingest.pushshift import read_pushshift


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")


def _thread(rng, n, link="t3_p1"):
    ids, rows = [], []
    tag = link[-1]
    for i in range(n):
        parent = link if not ids or rng.random() < 0.3 else f"t1_{rng.choice(ids)}"
        body = rng.choice(["fine", "[deleted]", "[removed]", "a &amp; b &lt;3", "two\n\nlines", "x  y", "&eacute;t&eacute;"])
        rows.append({"id": f"c{i}{tag}", "parent_id": parent, "link_id": link, "author": rng.choice(["a", "b", "[deleted]"]),
                     "body": body, "created_utc": 1_700_000_000 + i})
        ids.append(f"c{i}{tag}")
    return rows


def test_column_wise_units_equal_make_units(tmp_path):
    rng = random.Random(7)
    rows = _thread(rng, 300) + _thread(rng, 50, link="t3_p2")
    rows.append({"id": "p1", "title": "The post &amp; more", "selftext": "text", "author": "op", "created_utc": 1})
    rows.append({"id": "x1", "parent_id": "t1_x2", "link_id": "t3_p1", "body": "cycle", "author": "a", "created_utc": 2})
    rows.append({"id": "x2", "parent_id": "t1_x1", "link_id": "t3_p1", "body": "cycle", "author": "a", "created_utc": 3})
    rows.append({"id": "o1", "parent_id": "t1_gone", "link_id": "t3_p1", "body": "[deleted]", "author": "a",
                 "created_utc": 4})
    rows.append({"id": "o2", "parent_id": "t1_c11", "link_id": "t3_p2", "body": "other thread", "author": "a",
                 "created_utc": 5})
    path = tmp_path / "RC.ndjson"
    _write(path, rows)
    frame = read_pushshift(Context(path, "pushshift"))
    fast_report: list[str] = []
    slow_report: list[str] = []
    fast = units_from_clean_frame(frame, "pushshift", fast_report)
    slow = make_units(frame.drop(columns="_line").astype({"kind": str, "status": str}), source="pushshift",
                      report=slow_report)
    pd.testing.assert_frame_equal(fast, slow, check_dtype=False)
    assert fast_report == slow_report and "reply cycle" in fast_report[0]
    # through load_threads, the deleted reply to a missing comment is flagged too, as every reader does
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        units = load_threads(path).set_index("unit_id")
    assert units.loc["reddit:t1_o1", "status"] == "orphan"
    assert units.loc["reddit:t1_o1", "extra"] == {"source_status": "deleted"}
    assert units.loc["reddit:t1_o2", "status"] == "orphan"  # its parent is in another thread
    validate_units(units.drop(index=["reddit:t1_x1", "reddit:t1_x2"]).reset_index())


def test_lines_arrow_cannot_type_are_found_converted_and_reported(tmp_path):
    rows = [{"id": f"c{i}", "parent_id": "t3_p", "link_id": "t3_p", "author": "a", "body": "ok",
             "created_utc": 1_700_000_000 + i} for i in range(500)]
    rows[123]["created_utc"] = "1700000123"  # a string: Arrow refuses the block
    rows[321] = '{"id": "c321", "parent_id": "t3_p", "link_id": "t3_p", "body": "cut off'  # truncated
    rows.insert(400, "   ")  # a blank line moves the later line numbers
    path = tmp_path / "RC.ndjson"
    _write(path, rows)
    with pytest.warns(IngestWarning):
        units = load_threads(path)
    report = units.attrs["report"]
    assert [r["line"] for r in report if r["skipped"]] == [322]
    converted = [r for r in report if r["field"] == "created_utc"]
    assert converted and converted[0]["line"] == 124 and "1 line(s) (124)" in converted[0]["message"]
    u = units.set_index("unit_id")
    assert u.loc["reddit:t1_c123", "posted_at"] == pd.Timestamp(1_700_000_123, unit="s", tz="UTC")
    assert len(units) == 499 + 1  # 499 comments and the missing post's placeholder
    # line numbers after the blank line are right: make c450 an orphan and look at its line
    rows[451] = {"id": "c450", "parent_id": "t1_nowhere", "link_id": "t3_p", "body": "x", "created_utc": 1}
    _write(path, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        units = load_threads(path)
    assert [r["line"] for r in units.attrs["report"] if r["kind"] == "orphan"] == [452]
