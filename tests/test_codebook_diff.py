"""What changed between two codebook versions (workbench.codebook.diff)."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb
from workbench.codebook import Code, CodebookDiff

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "codebooks" / "response-types.yaml"


@pytest.fixture(scope="module")
def default() -> wb.Codebook:
    return wb.Codebook.from_yaml(DEFAULT)


# --- diff ------------------------------------------------------------------------------------
def test_diff_reports_added_removed_renamed_and_changed(default):
    codes = []
    for c in default.codes:
        if c.name == "gratitude":
            continue  # removed
        if c.name == "dismissing":
            c = Code(**{**c.__dict__, "name": "minimising"})  # renamed, same definition
        if c.name == "defensive":
            c = Code(**{**c.__dict__, "shortcut": "f", "label": "Defensive"})
        codes.append(c)
    codes.append(Code("tone-policing", "Tone policing", "Tells the person how to speak."))
    new = default.replace(codes=tuple(codes))
    d = default.diff(new)
    assert d.added == ("tone-policing",)
    assert d.removed == ("gratitude",)
    assert d.renamed == (("dismissing", "minimising"),)
    assert d.changed == {"defensive": {"label": ('Defensive ("not all of us")', "Defensive"), "shortcut": ("d", "f")}}
    assert bool(d)
    frame = d.to_frame()
    assert set(frame["change"]) == {"added", "removed", "renamed", "changed"}
    assert len(frame) == 5
    assert "renamed: dismissing -> minimising" in str(d)
    assert not default.diff(default)
    assert str(default.diff(default)) == "no differences"


def test_diff_uses_guids_for_renames_and_follows_renamed_parents():
    old = wb.Codebook.from_dict(
        {
            "name": "d",
            "groups": [{"name": "g", "exclusive": False}],
            "codes": [
                {"name": "derailing", "label": "Derailing", "definition": "Moves the conversation."},
                {"name": "defensive", "label": "Defensive", "definition": "Not all.", "parent": "derailing"},
            ],
        }
    ).with_guids()
    new = old.replace_code("derailing", name="off-topic", definition="Changed too.")
    new = new.replace_code("defensive", parent="off-topic")
    new = new.replace(groups=(wb.CodeGroup("g", exclusive=True),))
    d = old.diff(new)
    assert d.renamed == (("derailing", "off-topic"),)
    assert d.changed == {"off-topic": {"definition": ("Moves the conversation.", "Changed too.")}}
    assert d.groups_changed == {"g": {"exclusive": (False, True)}}
    assert isinstance(d, CodebookDiff)
