"""REFI-QDA codebooks (.qdc): written, read back and validated against the official XSD.

The schema is read from ``../shared/refi`` through the ``shared_refi`` fixture and is
never copied into the repository.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import workbench as wb
from _refi import CB, FIXTURES, hier, schema, tree
from workbench.codebook import code_guid
from workbench.interchange import read_qdc, write_qdc

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "codebooks" / "response-types.yaml"


@pytest.fixture(scope="module")
def default() -> wb.Codebook:
    return wb.Codebook.from_yaml(DEFAULT)


# --- .qdc ------------------------------------------------------------------------------------
def test_default_codebook_qdc_validates_and_round_trips(default, shared_refi, tmp_path):
    path = tmp_path / "response-types.qdc"
    text = write_qdc(default, path)
    assert path.read_text(encoding="utf-8") == text
    schema(shared_refi, "Codebook.xsd").validate(str(path))
    root = tree(text)
    assert root.tag == f"{CB}CodeBook"
    codes = root.findall(f"{CB}Codes/{CB}Code")
    assert [c.get("guid") for c in codes] == [code_guid("response-types", c.name) for c in default.codes]
    sets = root.findall(f"{CB}Sets/{CB}Set")
    assert [s.get("name") for s in sets] == ["Stance", "Moves"]
    back = read_qdc(path)
    expected = default.with_guids().replace(title="", description="", content_warnings=())
    assert back == expected
    assert back.group("stance").exclusive and not back.group("moves").exclusive


def test_description_packs_definition_rules_and_examples_readably(default):
    root = tree(write_qdc(default))
    code = next(c for c in root.iter(f"{CB}Code") if c.get("name") == 'Defensive ("not all of us")')
    desc = code.find(f"{CB}Description").text
    assert desc.startswith(default["defensive"].definition)
    assert "\n\nInclude: " in desc and "\n\nExclude: " in desc
    assert "Examples:\n- \"Mental health workers who say ‘we’re not all like that’" in desc
    assert "[unit wp:ed363f17:c5]" in desc
    assert "Near misses:\n" in desc and "Code name: defensive" in desc and "Shortcut: d" in desc


def test_hierarchy_nests_codes_and_everything_survives_the_round_trip(shared_refi, tmp_path):
    cb = hier()
    path = tmp_path / "hier.qdc"
    write_qdc(cb, path)
    schema(shared_refi, "Codebook.xsd").validate(str(path))
    root = tree(path.read_bytes())
    top = root.findall(f"{CB}Codes/{CB}Code")
    assert [c.get("name") for c in top] == ["Derailing", "Gratitude"]
    assert top[0].get("isCodable") == "false"
    assert [c.get("name") for c in top[0].findall(f"{CB}Code")] == ["Defensive", "Systemic <deflection> & co"]
    assert top[0].find(f"{CB}Code/{CB}Code").get("name") == "Self-defence"
    assert b"Systemic &lt;deflection&gt; &amp; co" in path.read_bytes()
    back = read_qdc(path)
    assert back == cb.with_guids()
    assert back["defensive"].examples == cb["defensive"].examples
    assert back["defensive"].patterns == cb["defensive"].patterns


def test_guids_are_stable_across_versions_and_renames(demo_codebook, project, shared_refi, tmp_path):
    project.add_codebook(demo_codebook)
    project.rename_code("defensive", "not-all-of-us")
    v1, v2 = project.codebook(1), project.codebook(2)
    x1, x2 = tree(write_qdc(v1)), tree(write_qdc(v2))
    g1 = {c.get("name"): c.get("guid") for c in x1.iter(f"{CB}Code")}
    g2 = {c.get("name"): c.get("guid") for c in x2.iter(f"{CB}Code")}
    assert g1 == g2  # same labels, same GUIDs, although one code was renamed
    assert read_qdc(write_qdc(v2))["not-all-of-us"].guid == code_guid("demo", "defensive")
    assert v1.with_guids().diff(read_qdc(write_qdc(v2))).renamed == (("defensive", "not-all-of-us"),)


def test_atlas_style_qdc_imports(shared_refi):
    path = FIXTURES / "atlas_style.qdc"
    schema(shared_refi, "Codebook.xsd").validate(str(path))  # the fixture itself is valid REFI-QDA
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cb = read_qdc(path)
    messages = " ".join(str(w.message) for w in caught)
    assert "2 code(s) have no definition" in messages
    assert "stays in 'problematic-responses'" in messages
    assert cb.name == "atlas-style"
    assert cb.names == ["responses", "not-all-of-us", "blames-the-system", "validation-belief", "not-all-of-us-2"]
    assert cb["responses"].codable is False
    assert cb["not-all-of-us"].parent == "responses"
    assert cb["not-all-of-us"].guid == "0e1c2b7a-5d2e-4c55-9b1e-3f6a8c2d4e02"
    assert cb["validation-belief"].label == "Validation & belief"
    assert cb["validation-belief"].definition == "Takes the account as true.\nStays with the person."
    assert "no definition" in cb["blames-the-system"].definition
    assert [g.name for g in cb.groups] == ["problematic-responses", "everything"]
    assert not any(g.exclusive for g in cb.groups)
    assert cb["not-all-of-us"].group == "problematic-responses"
    assert cb.validate() is cb
    # and it writes back out as valid REFI-QDA with the same GUIDs
    again = tree(write_qdc(cb))
    guids = {c.get("guid") for c in again.iter(f"{CB}Code")}
    assert "0e1c2b7a-5d2e-4c55-9b1e-3f6a8c2d4e05" in guids
    schema(shared_refi, "Codebook.xsd").validate(write_qdc(cb))


def test_dtds_and_other_roots_are_refused(tmp_path):
    with pytest.raises(wb.CodebookError, match="DTD"):
        read_qdc(FIXTURES / "with_dtd.qdc")
    with pytest.raises(wb.CodebookError, match="not <CodeBook>"):
        read_qdc('<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
    with pytest.raises(wb.CodebookError, match="not well-formed"):
        read_qdc("<CodeBook><Codes>")
    with pytest.raises(wb.WorkbenchError, match="no codebook file"):
        read_qdc(tmp_path / "missing.qdc")
