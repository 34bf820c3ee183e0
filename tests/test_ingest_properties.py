"""Properties of the readers on arbitrary input (Hypothesis): a units table or a named error, nothing else.

Whatever text or bytes a file holds, ``load_threads`` returns a valid units table (no
control character left in a text, author or id; every problem in the report names the
file) or raises a ``WorkbenchError`` naming the file; never another exception.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from workbench.corpus import validate_units  # noqa: E402
from workbench.errors import WorkbenchError  # noqa: E402
from workbench.ingest import IngestWarning, load_threads  # noqa: E402

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TEXT_FORMATS = (None, "wordpress-text", "x-unrolled", "reddit-text", "forum-text", "dreamwidth-text",
                 "blogger-text", "essay")
#: Lines in the shapes the text readers look for, so that the examples reach past the sniffers.
_SHAPES = st.sampled_from([
    "1. ", "1/", "• ", "says:", "Reply", "17 August 2013 at 9:32 am", "u/someone · 3 points", "[–]",
    "Post by x » Wed Jan 10, 2024 9:32 am", "level 2", "Quote", "&amp;", "<b>", "\u202e", "\x00", "\r", "\t",
    "@handle", "— ", ">>", "2h", "Anonymous said...", "\ufeff",
])
_LINES = st.lists(st.one_of(st.text(max_size=80), _SHAPES, st.tuples(_SHAPES, st.text(max_size=40)).map("".join)),
                  max_size=30).map("\n".join)
_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(path: Path, fmt: str | None = None) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IngestWarning)
            units = load_threads(path, fmt)
    except WorkbenchError as exc:
        assert path.name in str(exc), str(exc)
        return
    validate_units(units)
    for col in ("text", "author", "unit_id", "thread_id", "parent_id"):
        values = units[col].dropna().astype(str)
        assert not values.str.contains(_CONTROL).any(), (col, values[values.str.contains(_CONTROL)].tolist())
    assert all(r["file"] == path.name for r in units.attrs["report"])


@_SETTINGS
@given(text=_LINES, fmt=st.sampled_from(_TEXT_FORMATS))
def test_any_copied_text_is_a_units_table_or_a_named_error(text, fmt):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "copied.txt"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _check(path, fmt)


@_SETTINGS
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".txt", ".jsonl", ".csv", ".json", ".html", ".xml",
                                                                ".ndjson", ".zst", ".tsv"]))
def test_any_bytes_are_a_units_table_or_a_named_error(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file{suffix}"
        path.write_bytes(data)
        _check(path)


_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                   max_size=4), max_leaves=12)
_KEYS = st.sampled_from(["id", "parent_id", "link_id", "author", "body", "text", "created_utc", "subreddit",
                         "parent", "thread", "time"])


@_SETTINGS
@given(rows=st.lists(st.dictionaries(_KEYS, _VALUES, max_size=8), min_size=1, max_size=8),
       name=st.sampled_from(["comments.jsonl", "RC_2024-01.ndjson"]))
def test_any_json_lines_are_a_units_table_or_a_named_error(rows, name):
    import json

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        _check(path)
