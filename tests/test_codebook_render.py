"""Codebook tables for people, escaped once (workbench.codebook.render)."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "codebooks" / "response-types.yaml"


@pytest.fixture(scope="module")
def default() -> wb.Codebook:
    return wb.Codebook.from_yaml(DEFAULT)


# --- rendering -------------------------------------------------------------------------------
HOSTILE = wb.Codebook.from_dict(
    {
        "name": "hostile",
        "title": "<b>Title</b>",
        "groups": [{"name": "g", "label": "G & <i>", "exclusive": True}],
        "codes": [
            {
                "name": "a",
                "label": '<img src=x onerror="alert(1)">',
                "definition": "pipes | and *stars* and\nnew lines",
                "group": "g",
                "color": "#abc",
                "examples": [{"text": "<script>alert('x')</script>", "unit": "t1:0"}],
            },
            {"name": "b", "label": "Child", "definition": "y", "parent": "a", "group": "g"},
        ],
    }
)


def test_markdown_table_escapes_text_and_keeps_one_row_per_code(default):
    md = default.to_markdown()
    rows = [line for line in md.splitlines() if line.startswith("| **")]
    assert len(rows) == len(default)
    assert md.splitlines()[0] == "# Responses to accounts of care"
    hostile = HOSTILE.to_markdown()
    assert "<img" not in hostile and "<script>" not in hostile
    assert "&lt;img" in hostile and "&lt;script&gt;" in hostile
    assert "pipes \\| and \\*stars\\* and new lines" in hostile
    table_rows = [line for line in hostile.splitlines() if line.startswith("| ")]
    assert all(line.count(" | ") == table_rows[0].count(" | ") for line in table_rows)
    assert "↳ **Child**" in hostile


def test_html_table_escapes_every_text(default):
    out = default.to_html()
    assert out.count('<tr data-code="') == len(default)
    assert "&lt;" not in out or "&amp;" in out
    hostile = HOSTILE.to_html()
    assert "<img" not in hostile and "<script>" not in hostile and "<b>" not in hostile and "<i>" not in hostile
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in hostile
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in hostile
    assert 'style="background:#abc"' in hostile
    assert 'title="exclusive"' in hostile
    assert HOSTILE._repr_html_().startswith("<table")
