"""REFI-QDA projects (.qdpx): pseudonymised exports, offsets, round trips, foreign files, the XSD.

The schema is read from ``../shared/refi`` through the ``shared_refi`` fixture and is
never copied into the repository.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile

import pandas as pd
import pytest

import workbench as wb
from _refi import PR, hier, schema, tree
from workbench.interchange import import_qdpx, read_qdpx, write_qdpx
from workbench.storage import tables as T


# --- .qdpx -----------------------------------------------------------------------------------
@pytest.fixture
def coded_project(project, demo_units):
    cb = hier()
    project.add_codebook(cb)
    units = demo_units.copy()
    units.loc[units.unit_id == "t1:0", "text"] = "I was restrained 😢 and nobody explained why."
    project.add_units(units)
    for c in ("alice", "bob"):
        project.add_coder(c)
    with project.engine.begin() as conn:
        conn.execute(T.rounds.insert().values(name="r1", status="open", created_at=dt.datetime.now(dt.UTC)))
    project.code("t1:1", ["defensive", "gratitude"], coder="alice")
    project.code("t1:1", ["systemic-deflection"], coder="bob")
    project.code("t1:0", ["self-defence"], coder="alice", span=(19, 37))  # after the emoji
    project.code("t1:4", ["gratitude"], coder="bob", round="r1")
    project.code("t2:1", ["systemic-deflection"], coder="alice")
    return project


@pytest.fixture
def refi_key(coded_project, tmp_path_factory):
    """The project's pseudonym key (bound by a first pseudonymised view)."""
    from workbench.privacy import PseudonymKey, export_view

    key = PseudonymKey()
    key.save(tmp_path_factory.mktemp("keys") / "project.key.json")  # apart from the project
    export_view(coded_project, key=key)
    return key


def test_qdpx_export_is_pseudonymised_by_default(coded_project, refi_key, shared_refi, tmp_path):
    from workbench.privacy import PrivacyError

    with pytest.raises(PrivacyError, match="pass key="):
        write_qdpx(coded_project, tmp_path / "nokey.qdpx")
    assert not (tmp_path / "nokey.qdpx").exists()
    path = write_qdpx(coded_project, tmp_path / "shared.qdpx", key=refi_key)
    with zipfile.ZipFile(path) as z:
        everything = "".join(z.read(n).decode("utf-8") for n in z.namelist())
        schema(shared_refi, "Project.xsd").validate(z.read("project.qde").decode())
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
    path = write_qdpx(coded_project, tmp_path / "export.qdpx", raw=True, key=refi_key)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "project.qde" in names
        texts = {n: z.read(n).decode("utf-8") for n in names if n.startswith("sources/")}
        qde = z.read("project.qde")
    assert len(texts) == 2 and all(n.endswith(".txt") for n in texts)
    schema(shared_refi, "Project.xsd").validate(qde.decode("utf-8"))
    root = tree(qde)
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
    path = write_qdpx(coded_project, tmp_path / "export.qdpx", raw=True, key=refi_key)
    content = read_qdpx(path)
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
    path = write_qdpx(coded_project, tmp_path / "export.qdpx", raw=True, key=refi_key)
    fresh = wb.open_project(tmp_path / "fresh.db")
    try:
        with fresh.engine.begin() as conn:
            conn.execute(T.rounds.insert().values(name="r1", status="open", created_at=dt.datetime.now(dt.UTC)))
        summary = import_qdpx(fresh, path)
        assert summary == {"codebook_version": 1, "units": len(coded_project.units()), "coders": 2, "codings": 6}
        assert _key(fresh.codings()) == _key(coded_project.codings())
        assert fresh.codebook().names == coded_project.codebook().names
        # importing the same file again adds no codebook version and no units
        again = import_qdpx(fresh, path)
        assert again["codebook_version"] == 1 and again["units"] == 0
    finally:
        fresh.close()


def test_qdpx_without_authors_and_after_restructuring(coded_project, refi_key, shared_refi, tmp_path):
    coded_project.rename_code("gratitude", "thanks")
    path = write_qdpx(coded_project, tmp_path / "anon.qdpx", include_authors=False, round=None, raw=True, key=refi_key)
    with zipfile.ZipFile(path) as z:
        text = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("sources/"))
        schema(shared_refi, "Project.xsd").validate(z.read("project.qde").decode())
    assert "Nurse Ann" not in text and "[unit t1:1 · reply to t1:0]" in text
    content = read_qdpx(path)
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
    schema(shared_refi, "Project.xsd").validate(qde)
    path = tmp_path / "foreign.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", qde)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        content = read_qdpx(path)
    assert content.units[["unit_id", "thread_id", "text"]].values.tolist() == [
        ["interview-1", "interview-1", "That must have been awful. I believe you."]
    ]
    row = content.codings.iloc[0]
    assert (row.unit_id, row.coder, row.code, int(row.span_start), int(row.span_end)) == (
        "interview-1", "Ann", "validating", 0, 26
    )
    with pytest.raises(wb.WorkbenchError, match="not a .qdpx"):
        read_qdpx(tmp_path / "nope.qdpx")


def test_refi_gathers_both_halves_by_their_old_names():
    from workbench.interchange import qdc, qdpx, refi

    assert refi.write_qdc is qdc.write_qdc and refi.read_qdc is qdc.read_qdc
    assert refi.write_qdpx is qdpx.write_qdpx and refi.read_qdpx is qdpx.read_qdpx
    assert refi.import_qdpx is import_qdpx and refi.RefiProject is qdpx.RefiProject


def test_malformed_selections_and_descriptions_are_reported_not_fatal(tmp_path):
    """A selection without valid positions, or a workbench description that lies, skips that part only."""
    qde = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Broken">
  <Users><User guid="{AAAAAAAA-0000-0000-0000-000000000001}" name="Ann"/></Users>
  <CodeBook><Codes>
    <Code guid="{BBBBBBBB-0000-0000-0000-000000000001}" name="Validating" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="{CCCCCCCC-0000-0000-0000-000000000001}" name="interview-1">
      <Description>Workbench thread (unit offsets are character positions in the plain text):
{"thread_id": "t", "units": [{"unit_id": "u1", "start": "zero"}]}</Description>
      <PlainTextContent>That must have been awful. I believe you.</PlainTextContent>
      <PlainTextSelection guid="{DDDDDDDD-0000-0000-0000-000000000001}" endPosition="26">
        <Coding guid="{EEEEEEEE-0000-0000-0000-000000000001}" creatingUser="{AAAAAAAA-0000-0000-0000-000000000001}">
          <CodeRef targetGUID="{BBBBBBBB-0000-0000-0000-000000000001}"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{DDDDDDDD-0000-0000-0000-000000000002}" startPosition="x" endPosition="26">
        <Coding guid="{EEEEEEEE-0000-0000-0000-000000000002}" creatingUser="{AAAAAAAA-0000-0000-0000-000000000001}">
          <CodeRef targetGUID="{BBBBBBBB-0000-0000-0000-000000000001}"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{DDDDDDDD-0000-0000-0000-000000000003}" startPosition="20" endPosition="5">
        <Coding guid="{EEEEEEEE-0000-0000-0000-000000000003}" creatingUser="{AAAAAAAA-0000-0000-0000-000000000001}">
          <CodeRef targetGUID="{BBBBBBBB-0000-0000-0000-000000000001}"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{DDDDDDDD-0000-0000-0000-000000000004}" startPosition="27" endPosition="41">
        <Coding guid="{EEEEEEEE-0000-0000-0000-000000000004}" creatingUser="{AAAAAAAA-0000-0000-0000-000000000001}">
          <CodeRef targetGUID="{BBBBBBBB-0000-0000-0000-000000000001}"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""
    path = tmp_path / "broken.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", qde)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        content = read_qdpx(path)
    messages = [str(w.message) for w in caught]
    # the lying description is ignored: the source is one unit, named after it
    assert content.units[["unit_id", "text"]].values.tolist() == [
        ["interview-1", "That must have been awful. I believe you."]
    ]
    # the good selection is kept, the three bad ones are reported with the file and skipped
    row = content.codings.iloc[0]
    assert len(content.codings) == 1 and (int(row.span_start), int(row.span_end)) == (27, 41)
    assert sum("startPosition" in m and "skipped" in m for m in messages) == 2
    assert any("ends before it starts" in m for m in messages)
    bad = [m for m in messages if "PlainTextSelection" in m]
    prefix = f"{path}, element <PlainTextSelection>: source 'interview-1', selection {{DDDD"
    assert len(bad) == 3 and all(m.startswith(prefix) for m in bad), bad
    # the lying description is reported too, naming the file and the element
    lie = [m for m in messages if "element <Description>" in m]
    assert len(lie) == 1 and lie[0].startswith(f"{path}, element <Description>: source 'interview-1'")
    assert content.warnings == [m for m in messages if "element <" in m] and len(content.warnings) == 4
