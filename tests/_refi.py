"""Helpers shared by the REFI-QDA tests (``test_interchange_qdc.py``, ``test_interchange_qdpx.py``).

The schemas are read from ``../shared/refi`` through the ``shared_refi`` fixture and are
never copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "refi"
CB = "{urn:QDA-XML:codebook:1.0}"
PR = "{urn:QDA-XML:project:1.0}"


def schema(shared_refi: Path, name: str):
    xmlschema = pytest.importorskip("xmlschema", reason="pip install xmlschema to validate against the REFI-QDA XSDs")
    return xmlschema.XMLSchema(str(shared_refi / name))


def tree(text: str | bytes):
    import defusedxml.ElementTree as SafeET

    return SafeET.fromstring(text.encode() if isinstance(text, str) else text, forbid_dtd=True)


def hier() -> wb.Codebook:
    """A codebook with a hierarchy, a category, groups, examples with quotes and patterns."""
    return wb.Codebook.from_dict(
        {
            "name": "hier",
            "groups": [
                {"name": "stance", "label": "Stance", "exclusive": True, "description": "One per unit."},
                {"name": "moves", "exclusive": False},
            ],
            "codes": [
                {"name": "derailing", "label": "Derailing", "definition": "Moves off the person.", "codable": False},
                {"name": "defensive", "label": "Defensive", "definition": "Not all of us.", "parent": "derailing",
                 "group": "stance", "shortcut": "d", "color": "#d95f02",
                 "include": "Not all ...\nacross lines", "exclude": "System talk: use systemic-deflection.",
                 "examples": [{"text": 'He said "not all" — twice\nand then "[unit x]"', "unit": "000:c5", "note": "tricky"}],
                 "near_misses": [{"text": "plain"}],
                 "patterns": ["not all", [{"LOWER": "not"}, {"LOWER": "all"}]]},
                {"name": "self-defence", "label": "Self-defence", "definition": "I am good.", "parent": "defensive"},
                {"name": "systemic-deflection", "label": "Systemic <deflection> & co", "definition": "The system.",
                 "parent": "derailing", "group": "stance"},
                {"name": "gratitude", "label": "Gratitude", "definition": "Thanks.", "group": "moves", "color": "#abc"},
            ],
        }
    )
