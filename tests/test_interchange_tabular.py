"""Tests for workbench.interchange.tabular: CSV and XLSX exports that never leak people."""

from __future__ import annotations

import csv
import stat

import pandas as pd
import pytest
from openpyxl import load_workbook

import workbench as wb
from _privacy import present as _present
from _privacy import seeds
from workbench.interchange.tabular import codings_table, export_codings, export_units, units_table
from workbench.privacy import PrivacyError, PseudonymKey, export_view, id_map


@pytest.fixture
def seed_project(tmp_path, examples, demo_codebook):
    """The two seed threads in a raw project, with codings (spans, memos naming people)."""
    project = wb.open_project(tmp_path / "project" / "seeds.db")
    u0 = seeds.seed000_units(examples / "wordpress_not_all_like_that.txt")
    u1 = seeds.seed001_units(examples / "twitter_unrolled_thread.txt")
    project.add_units(u0)
    project.add_units(u1)
    project.add_codebook(demo_codebook)
    for coder in ("alice", "bob"):
        project.add_coder(coder)
    text = u1.loc[u1["unit_id"] == "s001:5", "text"].item()  # "... https://twitter.com/crys_tom/status/..."
    project.code("s001:5", ["gratitude"], coder="alice", span=(0, text.index("https")), memo="crys_tom links @crys_tom's thread")
    project.code("s001:13", ["validating"], coder="bob", memo="follow @crys_tom")
    kath = u0[u0["author"] == "kath"]["unit_id"].iloc[0]
    project.code(kath, ["defensive", "gratitude"], coder="alice", memo="kath replies to Sectioned")
    hi = u0[u0["text"].str.startswith("Hi Kath")]["unit_id"].iloc[0]
    t = u0.set_index("unit_id").loc[hi, "text"]
    project.code(hi, ["validating"], coder="bob", span=(0, len("Hi Kath, I’ve posted")))
    yield project, u0, u1, {"s001:5": text, hi: t}
    project.close()


@pytest.fixture
def key(tmp_path_factory):
    k = PseudonymKey()
    k.save(tmp_path_factory.mktemp("keys") / "study.key.json")  # apart from the project
    return k


def _people(examples):
    authors = seeds.seed000_authors(examples / "wordpress_not_all_like_that.txt")
    handles = seeds.seed001_handles(examples / "twitter_unrolled_thread.txt")
    return authors + handles + ["Lisa Rodrigues", "LisaSaysThis"]


def _xlsx_cells(path) -> list[str]:
    wb_ = load_workbook(path)
    return [str(c.value) for ws in wb_.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("what", ["codings", "units"])
def test_no_author_or_handle_in_exports(seed_project, key, examples, tmp_path, suffix, what):
    project, *_ = seed_project
    path = tmp_path / "out" / f"{what}{suffix}"
    writer = export_codings if what == "codings" else export_units
    assert writer(project, path, key=key) == path
    if suffix == ".csv":
        body = path.read_text(encoding="utf-8-sig")
        cells = [body]
        frame = pd.read_csv(path)
    else:
        cells = _xlsx_cells(path)
        frame = pd.read_excel(path, sheet_name=what)
    assert len(frame) >= 59
    assert "author" not in frame.columns and "author_pseudonym" in frame.columns
    for name in _people(examples):
        leaks = [c for c in cells if _present(name, c)]
        assert not leaks, f"{name!r} leaked into {path.name}: {leaks[0][:120]!r}"
    for cell in cells:
        assert "http" not in cell and "twitter.com" not in cell


def test_codings_export_rows_and_spans(seed_project, key, tmp_path):
    project, u0, u1, texts = seed_project
    path = export_codings(project, tmp_path / "codings.csv", key=key)
    df = pd.read_csv(path, dtype={"unit_id": str})
    coded = df.dropna(subset=["code"])
    assert len(coded) == 5  # one row per unit x coder x code
    assert set(zip(coded["coder"], coded["code"])) >= {("alice", "defensive"), ("alice", "gratitude"), ("bob", "validating")}
    assert df["unit_id"].nunique() == len(u0) + len(u1)  # uncoded units listed once
    assert len(df) == len(u0) + len(u1) + 5 - 4
    ids = id_map(key)
    assert not df["unit_id"].isin(list(u0["unit_id"]) + list(u1["unit_id"])).any()  # ids are pseudonymous
    row = coded[coded["unit_id"] == ids("s001:5")].iloc[0]
    assert row["span_text"] == texts["s001:5"][: texts["s001:5"].index("https")]
    assert row["text"][int(row["span_start"]) : int(row["span_end"])] == row["span_text"]
    assert row["author_pseudonym"] == key.lookup("crys_tom")
    assert row["memo"] == f"{key.lookup('crys_tom')} links @{key.lookup('crys_tom')}'s thread"
    hi = coded[coded["span_text"].fillna("").str.startswith("Hi ")].iloc[0]
    assert hi["span_text"] == f"Hi {key.lookup('kath')}, I’ve posted"
    assert set(df.loc[df["thread_id"] == ids("s000"), "depth"]) == {0, 1, 2, 3}
    only_coded = codings_table(export_view(project, key=key), include_uncoded=False)
    assert len(only_coded) == 5


def test_xlsx_has_about_sheet_and_utc_times(seed_project, key, tmp_path):
    project, *_ = seed_project
    path = export_codings(project, tmp_path / "c.xlsx", key=key)
    book = load_workbook(path)
    assert book.sheetnames == ["codings", "about"]
    about = dict(pd.read_excel(path, sheet_name="about").values.tolist())
    assert about["data"] == "pseudonymised" and about["times"] == "UTC"
    assert about["key_id"] == key.key_id and key.secret not in str(about)
    df = pd.read_excel(path, sheet_name="codings")
    assert pd.api.types.is_datetime64_any_dtype(df["posted_at"])


def test_format_from_suffix_or_argument(seed_project, key, tmp_path):
    project, *_ = seed_project
    with pytest.raises(ValueError, match=r"\['.csv', '.xlsx'\]"):
        export_units(project, tmp_path / "units.txt", key=key)
    out = export_units(project, tmp_path / "units.txt", key=key, format="csv")
    assert pd.read_csv(out).shape[0] >= 59
    with pytest.raises(ValueError, match="format must be one of"):
        export_units(project, tmp_path / "u.csv", key=key, format="json")


def test_exports_need_the_key(seed_project, key, tmp_path):
    project, *_ = seed_project
    with pytest.raises(PrivacyError, match="pass key="):
        export_codings(project, tmp_path / "c.csv")
    with pytest.raises(PrivacyError, match="as proof"):
        export_codings(project, tmp_path / "c.csv", raw=True)
    assert not (tmp_path / "c.csv").exists()
    export_codings(project, tmp_path / "c.csv", key=key)  # binds the key to the project
    with pytest.raises(PrivacyError, match="not the key of this project"):
        export_codings(project, tmp_path / "raw.csv", raw=True, key=PseudonymKey())
    path = export_codings(project, tmp_path / "raw.csv", raw=True, key=key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    df = pd.read_csv(path)
    assert "drtonyryan" in set(df["author"]) and "author_pseudonym" in df.columns
    assert df.loc[df["author"] == "kath", "author_pseudonym"].iloc[0] == key.lookup("kath")


def test_pseudonymised_project_exports_without_a_key(tmp_path, demo_units):
    key = PseudonymKey()
    project = wb.open_project(tmp_path / "p.db")
    try:
        from workbench.privacy import mark_pseudonymised, pseudonymise

        project.add_units(pseudonymise(demo_units, key).units)
        mark_pseudonymised(project, key)
        df = pd.read_csv(export_units(project, tmp_path / "u.csv"))
        assert set(df["author_pseudonym"].dropna()) <= key.pseudonyms()
        assert not any(_present("Nurse Ann", str(v)) for v in df.to_numpy().ravel())
    finally:
        project.close()


def test_spreadsheet_formulas_are_never_run(tmp_path, key):
    project = wb.open_project(tmp_path / "p.db")
    try:
        evil = '=HYPERLINK("http://evil.example","click")'
        project.add_units(wb.make_units([
            {"unit_id": "1", "thread_id": "t", "author": "Sam", "text": evil},
            {"unit_id": "2", "thread_id": "t", "author": "Jo", "text": "-1 for this +1 for that"},
            {"unit_id": "3", "thread_id": "t", "author": "Al", "text": "bell\x07 and tab"},
        ]))
        csv_path = export_units(project, tmp_path / "u.csv", key=key, redact_kinds=())
        with open(csv_path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows[0]["text"] == "'" + evil
        assert rows[1]["text"] == "'-1 for this +1 for that"
        plain = export_units(project, tmp_path / "plain.csv", key=key, redact_kinds=(), formula_guard=False)
        assert pd.read_csv(plain)["text"].iloc[0] == evil
        xlsx = export_units(project, tmp_path / "u.xlsx", key=key, redact_kinds=())
        sheet = load_workbook(xlsx)["units"]
        texts = {c.value: c.data_type for c in sheet["L"][1:]}
        assert texts[evil] == "s"  # stored as text: exactly the text, and not a formula
        assert "bell\ufffd and tab" in texts
    finally:
        project.close()


def test_units_table_columns(seed_project, key):
    project, *_ = seed_project
    safe = units_table(export_view(project, key=key))
    assert list(safe.columns) == [
        "unit_id", "thread_id", "parent_id", "depth", "position", "author_pseudonym",
        "author_role", "posted_at", "kind", "status", "title", "text",
    ]
    raw = units_table(export_view(project, raw=True, key=key))
    assert list(raw.columns)[5:7] == ["author_pseudonym", "author"]
