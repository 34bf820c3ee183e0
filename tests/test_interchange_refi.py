"""REFI-QDA exchange: .qdc codebooks and .qdpx projects, validated against the official XSDs.

The schemas are read from ``../shared/refi`` through the ``shared_refi`` fixture and are
never copied into the repository.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import workbench as wb
from workbench.codebook import code_guid
from workbench.interchange import refi
from workbench.storage import tables as T

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "codebooks" / "response-types.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "refi"
CB = "{urn:QDA-XML:codebook:1.0}"
PR = "{urn:QDA-XML:project:1.0}"


def _schema(shared_refi: Path, name: str):
    xmlschema = pytest.importorskip("xmlschema", reason="pip install xmlschema to validate against the REFI-QDA XSDs")
    return xmlschema.XMLSchema(str(shared_refi / name))


def _tree(text: str | bytes):
    import defusedxml.ElementTree as SafeET

    return SafeET.fromstring(text.encode() if isinstance(text, str) else text, forbid_dtd=True)


@pytest.fixture(scope="module")
def default() -> wb.Codebook:
    return wb.Codebook.from_yaml(DEFAULT)


def _hier() -> wb.Codebook:
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


# --- .qdc ------------------------------------------------------------------------------------
def test_default_codebook_qdc_validates_and_round_trips(default, shared_refi, tmp_path):
    path = tmp_path / "response-types.qdc"
    text = default.to_qdc(path)
    assert path.read_text(encoding="utf-8") == text
    _schema(shared_refi, "Codebook.xsd").validate(str(path))
    root = _tree(text)
    assert root.tag == f"{CB}CodeBook"
    codes = root.findall(f"{CB}Codes/{CB}Code")
    assert [c.get("guid") for c in codes] == [code_guid("response-types", c.name) for c in default.codes]
    sets = root.findall(f"{CB}Sets/{CB}Set")
    assert [s.get("name") for s in sets] == ["Stance", "Moves"]
    back = wb.Codebook.from_qdc(path)
    expected = default.with_guids().replace(title="", description="", content_warnings=())
    assert back == expected
    assert back.group("stance").exclusive and not back.group("moves").exclusive


def test_description_packs_definition_rules_and_examples_readably(default):
    root = _tree(default.to_qdc())
    code = next(c for c in root.iter(f"{CB}Code") if c.get("name") == 'Defensive ("not all of us")')
    desc = code.find(f"{CB}Description").text
    assert desc.startswith(default["defensive"].definition)
    assert "\n\nInclude: " in desc and "\n\nExclude: " in desc
    assert "Examples:\n- \"Mental health workers who say ‘we’re not all like that’" in desc
    assert "[unit wp:but-were-not-all-like-that-ed363f17:c5]" in desc
    assert "Near misses:\n" in desc and "Code name: defensive" in desc and "Shortcut: d" in desc


def test_hierarchy_nests_codes_and_everything_survives_the_round_trip(shared_refi, tmp_path):
    cb = _hier()
    path = tmp_path / "hier.qdc"
    cb.to_qdc(path)
    _schema(shared_refi, "Codebook.xsd").validate(str(path))
    root = _tree(path.read_bytes())
    top = root.findall(f"{CB}Codes/{CB}Code")
    assert [c.get("name") for c in top] == ["Derailing", "Gratitude"]
    assert top[0].get("isCodable") == "false"
    assert [c.get("name") for c in top[0].findall(f"{CB}Code")] == ["Defensive", "Systemic <deflection> & co"]
    assert top[0].find(f"{CB}Code/{CB}Code").get("name") == "Self-defence"
    assert b"Systemic &lt;deflection&gt; &amp; co" in path.read_bytes()
    back = refi.read_qdc(path)
    assert back == cb.with_guids()
    assert back["defensive"].examples == cb["defensive"].examples
    assert back["defensive"].patterns == cb["defensive"].patterns


def test_guids_are_stable_across_versions_and_renames(demo_codebook, project, shared_refi, tmp_path):
    project.add_codebook(demo_codebook)
    project.rename_code("defensive", "not-all-of-us")
    v1, v2 = project.codebook(1), project.codebook(2)
    x1, x2 = _tree(v1.to_qdc()), _tree(v2.to_qdc())
    g1 = {c.get("name"): c.get("guid") for c in x1.iter(f"{CB}Code")}
    g2 = {c.get("name"): c.get("guid") for c in x2.iter(f"{CB}Code")}
    assert g1 == g2  # same labels, same GUIDs, although one code was renamed
    assert refi.read_qdc(v2.to_qdc())["not-all-of-us"].guid == code_guid("demo", "defensive")
    assert v1.with_guids().diff(refi.read_qdc(v2.to_qdc())).renamed == (("defensive", "not-all-of-us"),)


def test_atlas_style_qdc_imports(shared_refi):
    path = FIXTURES / "atlas_style.qdc"
    _schema(shared_refi, "Codebook.xsd").validate(str(path))  # the fixture itself is valid REFI-QDA
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cb = wb.Codebook.from_qdc(path)
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
    again = _tree(cb.to_qdc())
    guids = {c.get("guid") for c in again.iter(f"{CB}Code")}
    assert "0e1c2b7a-5d2e-4c55-9b1e-3f6a8c2d4e05" in guids
    _schema(shared_refi, "Codebook.xsd").validate(cb.to_qdc())


def test_dtds_and_other_roots_are_refused(tmp_path):
    with pytest.raises(wb.CodebookError, match="DTD"):
        refi.read_qdc(FIXTURES / "with_dtd.qdc")
    with pytest.raises(wb.CodebookError, match="not <CodeBook>"):
        refi.read_qdc('<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
    with pytest.raises(wb.CodebookError, match="not well-formed"):
        refi.read_qdc("<CodeBook><Codes>")
    with pytest.raises(wb.WorkbenchError, match="no codebook file"):
        refi.read_qdc(tmp_path / "missing.qdc")


# --- .qdpx -----------------------------------------------------------------------------------
@pytest.fixture
def coded_project(project, demo_units):
    cb = _hier()
    project.add_codebook(cb)
    units = demo_units.copy()
    units.loc[units.unit_id == "t1:0", "text"] = "I was restrained 😢 and nobody explained why."
    project.add_units(units)
    for c in ("alice", "bob"):
        project.add_coder(c)
    with project.engine.begin() as conn:
        conn.execute(T.rounds.insert().values(name="r1", status="open", created_at=dt.datetime.now(dt.timezone.utc)))
    project.code("t1:1", ["defensive", "gratitude"], coder="alice")
    project.code("t1:1", ["systemic-deflection"], coder="bob")
    project.code("t1:0", ["self-defence"], coder="alice", span=(19, 37))  # after the emoji
    project.code("t1:4", ["gratitude"], coder="bob", round="r1")
    project.code("t2:1", ["systemic-deflection"], coder="alice")
    return project


@pytest.fixture
def refi_key(coded_project, tmp_path):
    """The project's pseudonym key (bound by a first pseudonymised view)."""
    from workbench.privacy import PseudonymKey, export_view

    key = PseudonymKey()
    key.save(tmp_path / "keys" / "project.key.json")
    export_view(coded_project, key=key)
    return key


def test_qdpx_export_is_pseudonymised_by_default(coded_project, refi_key, shared_refi, tmp_path):
    from workbench.privacy import PrivacyError

    with pytest.raises(PrivacyError, match="pass key="):
        refi.write_qdpx(coded_project, tmp_path / "nokey.qdpx")
    assert not (tmp_path / "nokey.qdpx").exists()
    path = refi.write_qdpx(coded_project, tmp_path / "shared.qdpx", key=refi_key)
    with zipfile.ZipFile(path) as z:
        everything = "".join(z.read(n).decode("utf-8") for n in z.namelist())
        _schema(shared_refi, "Project.xsd").validate(z.read("project.qde").decode())
    authors = {a for a in coded_project.units()["author"] if a}
    assert authors, "the fixture should have authors"
    for author in authors:
        assert author not in everything, f"raw author {author!r} leaked into the .qdpx"
    assert refi_key.lookup("Nurse Ann") in everything


def _key(df: pd.DataFrame) -> set[tuple]:
    return {
        (r.unit_id, r.coder, r.code, None if pd.isna(r["round"]) else r["round"],
         None if pd.isna(r.span_start) else int(r.span_start), None if pd.isna(r.span_end) else int(r.span_end))
        for _, r in df.iterrows()
    }


def test_qdpx_export_is_valid_and_offsets_select_the_coded_text(coded_project, refi_key, shared_refi, tmp_path):
    path = refi.write_qdpx(coded_project, tmp_path / "export.qdpx", raw=True, key=refi_key)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "project.qde" in names
        texts = {n: z.read(n).decode("utf-8") for n in names if n.startswith("sources/")}
        qde = z.read("project.qde")
    assert len(texts) == 2 and all(n.endswith(".txt") for n in texts)
    _schema(shared_refi, "Project.xsd").validate(qde.decode("utf-8"))
    root = _tree(qde)
    assert root.tag == f"{PR}Project"
    order = [child.tag.replace(PR, "") for child in root]
    assert order == ["Users", "CodeBook", "Sources", "Sets"]
    assert [u.get("name") for u in root.iter(f"{PR}User")] == ["alice", "bob"]
    assert root.find(f"{PR}Sets/{PR}Set/{PR}MemberCode").get("targetGUID")
    units = coded_project.units().set_index("unit_id")["text"]
    label_of = {c.get("guid"): c.get("name") for c in root.iter(f"{PR}Code")}
    seen = 0
    for src in root.iter(f"{PR}TextSource"):
        assert src.find(f"{PR}PlainTextContent") is None
        text = texts["sources/" + src.get("plainTextPath").removeprefix("internal://")]
        for sel in src.findall(f"{PR}PlainTextSelection"):
            chosen = text[int(sel.get("startPosition")) : int(sel.get("endPosition"))]
            unit = sel.get("name")
            assert chosen in units[unit]
            for coding in sel.findall(f"{PR}Coding"):
                seen += 1
                assert coding.find(f"{PR}CodeRef").get("targetGUID") in label_of
            if unit == "t1:0":
                assert chosen == units["t1:0"][19:37] == "and nobody explain"
    assert seen == len(coded_project.codings())
    assert "[unit t1:1 · Nurse Ann · reply to t1:0]" in "".join(texts.values())


def test_qdpx_round_trip_reads_back_units_codebook_and_codings(coded_project, refi_key, tmp_path):
    path = refi.write_qdpx(coded_project, tmp_path / "export.qdpx", raw=True, key=refi_key)
    content = refi.read_qdpx(path)
    assert content.codebook == coded_project.codebook().with_guids().replace(title="", description="", content_warnings=())
    assert _key(content.codings) == _key(coded_project.codings())
    stored = coded_project.units().set_index("unit_id")
    back = content.units.set_index("unit_id")
    assert set(back.index) == set(stored.index)
    for uid in stored.index:
        assert back.loc[uid, "text"] == stored.loc[uid, "text"]
        assert back.loc[uid, "thread_id"] == stored.loc[uid, "thread_id"]
        parents = [back.loc[uid, "parent_id"], stored.loc[uid, "parent_id"]]
        assert [None if pd.isna(x) else x for x in parents[:1]] == [None if pd.isna(x) else x for x in parents[1:]]
    assert back.loc["t1:1", "parent_id"] == "t1:0" and pd.isna(back.loc["t1:0", "parent_id"])
    assert sorted(content.users) == ["alice", "bob"]


def test_qdpx_imports_into_a_fresh_project(coded_project, refi_key, tmp_path):
    path = refi.write_qdpx(coded_project, tmp_path / "export.qdpx", raw=True, key=refi_key)
    fresh = wb.open_project(tmp_path / "fresh.db")
    try:
        with fresh.engine.begin() as conn:
            conn.execute(T.rounds.insert().values(name="r1", status="open", created_at=dt.datetime.now(dt.timezone.utc)))
        summary = refi.import_qdpx(fresh, path)
        assert summary == {"codebook_version": 1, "units": len(coded_project.units()), "coders": 2, "codings": 6}
        assert _key(fresh.codings()) == _key(coded_project.codings())
        assert fresh.codebook().names == coded_project.codebook().names
        # importing the same file again adds no codebook version and no units
        again = refi.import_qdpx(fresh, path)
        assert again["codebook_version"] == 1 and again["units"] == 0
    finally:
        fresh.close()


def test_qdpx_without_authors_and_after_restructuring(coded_project, refi_key, shared_refi, tmp_path):
    coded_project.rename_code("gratitude", "thanks")
    path = refi.write_qdpx(coded_project, tmp_path / "anon.qdpx", include_authors=False, round=None, raw=True, key=refi_key)
    with zipfile.ZipFile(path) as z:
        text = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("sources/"))
        _schema(shared_refi, "Project.xsd").validate(z.read("project.qde").decode())
    assert "Nurse Ann" not in text and "[unit t1:1 · reply to t1:0]" in text
    content = refi.read_qdpx(path)
    assert "thanks" in set(content.codings["code"])
    assert content.codings["round"].isna().all()


def test_foreign_qdpx_sources_become_units(tmp_path, shared_refi):
    qde = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Foreign" origin="Other QDA 1.0">
  <Users><User guid="{AAAAAAAA-0000-0000-0000-000000000001}" name="Ann"/></Users>
  <CodeBook><Codes>
    <Code guid="{BBBBBBBB-0000-0000-0000-000000000001}" name="Validating" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="{CCCCCCCC-0000-0000-0000-000000000001}" name="interview-1">
      <PlainTextContent>That must have been awful. I believe you.</PlainTextContent>
      <PlainTextSelection guid="{DDDDDDDD-0000-0000-0000-000000000001}" startPosition="0" endPosition="26"
          creatingUser="{AAAAAAAA-0000-0000-0000-000000000001}">
        <Coding guid="{EEEEEEEE-0000-0000-0000-000000000001}" creatingUser="{AAAAAAAA-0000-0000-0000-000000000001}">
          <CodeRef targetGUID="{BBBBBBBB-0000-0000-0000-000000000001}"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""
    _schema(shared_refi, "Project.xsd").validate(qde)
    path = tmp_path / "foreign.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", qde)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        content = refi.read_qdpx(path)
    assert content.units[["unit_id", "thread_id", "text"]].values.tolist() == [
        ["interview-1", "interview-1", "That must have been awful. I believe you."]
    ]
    row = content.codings.iloc[0]
    assert (row.unit_id, row.coder, row.code, int(row.span_start), int(row.span_end)) == (
        "interview-1", "Ann", "validating", 0, 26
    )
    with pytest.raises(wb.WorkbenchError, match="not a .qdpx"):
        refi.read_qdpx(tmp_path / "nope.qdpx")
