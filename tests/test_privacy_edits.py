"""Tests for workbench.privacy.edits: coding spans follow the texts through every replacement."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from _privacy import one, seed_units_of
from workbench import privacy as P
from workbench.privacy import PseudonymKey


@pytest.fixture
def seed_units(examples):
    return seed_units_of(examples)


# --- offsets ------------------------------------------------------------------------------
def test_spans_outside_edits_keep_their_text(seed_units):
    key = PseudonymKey()
    pseudo = P.pseudonymise(seed_units, key)
    red = P.redact(pseudo.units, keep={"@" + p for p in key.pseudonyms()})
    checked = 0
    for uid, old in zip(seed_units["unit_id"], seed_units["text"]):
        if uid not in pseudo.edits and uid not in red.edits:
            continue
        new = red.units.loc[red.units["unit_id"] == uid, "text"].item()
        edited = [(e.start, e.end) for e in pseudo.edits.get(uid, ())]
        for m in re.finditer(r"\w+", old):
            if any(s < m.end() and m.start() < e for s, e in edited):
                continue
            s1, e1 = pseudo.remap_span(uid, m.start(), m.end())
            s2, e2 = red.remap_span(uid, s1, e1)
            if red.units.loc[red.units["unit_id"] == uid, "text"].item()[s2:e2] != m.group(0):
                # only words that were inside a redacted URL may change
                assert any(e.start <= s1 < e.end for e in red.edits.get(uid, ())), (uid, m.group(0))
                continue
            assert new[s2:e2] == m.group(0)
            checked += 1
    assert checked > 500


def test_spans_cutting_into_a_replacement_cover_all_of_it():
    key = PseudonymKey()
    key.pseudonym_for("Samantha")
    result = P.pseudonymise(one("Ask Samantha now"), key)
    assert result.units.loc[0, "text"] == "Ask P001 now"
    s, e = result.remap_span("u1", 6, 9)  # "man" inside the name
    assert (s, e) == (4, 8)
    s, e = result.remap_span("u1", 0, 16)
    assert result.units.loc[0, "text"][s:e] == "Ask P001 now"
    assert result.remap_span("no-such-unit", 2, 3) == (2, 3)
    with pytest.raises(ValueError, match="after its end"):
        P.remap_span([], 5, 2)


def test_remap_codings_moves_spans():
    result = P.redact(one("see https://example.org/long/path then I was restrained"))
    codings = pd.DataFrame(
        {"unit_id": ["u1", "u1", "other"], "code": ["a", "b", "c"],
         "span_start": pd.array([39, None, 1], dtype="Int64"), "span_end": pd.array([55, None, 2], dtype="Int64")}
    )
    out = result.remap_codings(codings)
    text = result.units.loc[0, "text"]
    assert text[out.loc[0, "span_start"] : out.loc[0, "span_end"]] == "I was restrained"
    assert pd.isna(out.loc[1, "span_start"])
    assert (out.loc[2, "span_start"], out.loc[2, "span_end"]) == (1, 2)
    assert codings.loc[0, "span_start"] == 39  # copy, not in place
