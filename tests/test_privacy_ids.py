"""Ids carry no names (workbench.privacy.ids): every pseudonymised output maps ids through the key.

Ids are often made of what identifies people: a file name, a blog's domain, a Bluesky
handle. The test project below has all three, a thread title and a source file name that
name people, and an ``extra`` holding a display name; the bytes of every file written (zip
members inflated) are searched for them.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.interchange import export_codings, export_units, read_qdpx, write_qdpx
from workbench.privacy import ID_PATTERN, IdMap, PseudonymKey, export_view, id_map, pseudonymise

BSKY = "at://carol.bsky.social/app.bsky.feed.post/3kxyzabc"
BSKY_REPLY = "at://carol.bsky.social/app.bsky.feed.post/3kxyzdef"
NAMES = [
    "alice-smith", "alice", "smith", "janedoe", "Jane Doe", "carol.bsky.social", "carol", "Carol Danvers",
    "did:plc:carol123", "bsky.social", "wordpress.com",
]


def _units() -> pd.DataFrame:
    return wb.make_units([
        {"unit_id": "alice-smith-comments:1", "thread_id": "alice-smith-comments", "author": "Alice Smith",
         "text": "My care was awful.", "title": "Alice Smith's story"},
        {"unit_id": "alice-smith-comments:2", "thread_id": "alice-smith-comments",
         "parent_id": "alice-smith-comments:1", "author": "nurse_b", "text": "Not all of us.",
         "title": "Alice Smith's story"},
        {"unit_id": "wxr:janedoe.wordpress.com:7", "thread_id": "wxr:janedoe.wordpress.com", "author": "Jane Doe",
         "text": "Thank you for writing this.", "title": "Jane Doe's blog"},
        {"unit_id": "wxr:janedoe.wordpress.com:8", "thread_id": "wxr:janedoe.wordpress.com",
         "parent_id": "wxr:janedoe.wordpress.com:7", "author": "guest", "text": "Same here."},
        {"unit_id": BSKY, "thread_id": BSKY, "author": "carol.bsky.social", "text": "It happened to me too.",
         "extra": {"did": "did:plc:carol123", "display_name": "Carol Danvers"}},
        {"unit_id": BSKY_REPLY, "thread_id": BSKY, "parent_id": BSKY, "author": "dave.bsky.social",
         "text": "I believe you.", "extra": {"in_reply_to": "carol.bsky.social"}},
    ])


@pytest.fixture
def named(tmp_path):
    """A raw project whose ids, titles and source file names hold names, coded by two coders."""
    project = wb.open_project(tmp_path / "project" / "p.db")
    units = _units()
    for i, (file_name, part) in enumerate(units.groupby("thread_id", sort=False)):
        stored = part.copy()
        stored.attrs = {}
        project.add_units(stored, source_file=f"{file_name.replace('/', '_')}-{i}.txt")
    project.add_codebook(wb.Codebook.from_dict({"name": "demo", "codes": [
        {"name": "validating", "label": "Validating", "definition": "Believes it.",
         "examples": [{"text": "I believe you.", "unit": BSKY_REPLY}]},
        {"name": "defensive", "label": "Defensive", "definition": "Not all of us."}]}))
    for coder in ("ann", "bob"):  # coders are the research team, named in every output
        project.add_coder(coder)
    project.code("alice-smith-comments:2", ["defensive"], coder="ann", span=(0, 7))
    project.code(BSKY_REPLY, ["validating"], coder="bob")
    project.code("wxr:janedoe.wordpress.com:7", ["validating"], coder="ann")
    yield project
    project.close()


@pytest.fixture
def key(tmp_path_factory):
    k = PseudonymKey()
    k.save(tmp_path_factory.mktemp("keys") / "study.key.json")
    return k


def _all_bytes(path: Path) -> bytes:
    """The file's bytes, and the inflated bytes of every member when it is a zip (XLSX, .qdpx)."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            data += b"".join(z.read(n) + n.encode() for n in z.namelist())
    return data


def test_no_name_in_any_id_title_source_or_file(named, key, tmp_path):
    out = tmp_path / "out"
    written = [
        export_codings(named, out / "codings.csv", key=key),
        export_codings(named, out / "codings.xlsx", key=key),
        export_units(named, out / "units.csv", key=key),
        write_qdpx(named, out / "project.qdpx", key=key),
    ]
    for path in written:
        blob = _all_bytes(path).decode("utf-8", "replace").lower()
        leaked = [n for n in NAMES if n.lower() in blob]
        assert not leaked, f"{path.name} holds {leaked}"
        assert "id-" in blob
    ids = id_map(key)
    df = pd.read_csv(out / "codings.csv")
    row = df[df["unit_id"] == ids("alice-smith-comments:2")].iloc[0]
    assert row["parent_id"] == ids("alice-smith-comments:1")  # a parent link stays a parent link
    assert row["thread_id"] == ids("alice-smith-comments")
    assert all(ID_PATTERN.match(v) for v in df[["unit_id", "thread_id"]].to_numpy().ravel())
    back = read_qdpx(out / "project.qdpx")
    assert set(back.units["unit_id"]) == set(df["unit_id"])  # the .qdpx agrees with the CSV
    assert ids(BSKY_REPLY) in {e.unit for c in back.codebook.codes for e in c.examples}


def test_the_export_view_maps_ids_threads_and_sources(named, key):
    view = export_view(named, key=key)
    ids = view.ids
    assert ids is not None and view.pseudonymous_id("x") == ids("x")
    assert set(view.units["unit_id"]) == {ids(u) for u in _units()["unit_id"]}
    assert set(view.codings["unit_id"]) <= set(view.units["unit_id"])
    threads = view.threads
    assert set(threads["thread_id"]) == set(view.units["thread_id"])
    stored = named.sources()["file_name"]
    assert set(threads["file_name"]) == {ids(f) for f in stored}
    assert not threads["title"].fillna("").str.contains("Alice|Jane", regex=True).any()
    raw = export_view(named, raw=True, key=key)
    assert raw.ids is None and "alice-smith-comments:1" in set(raw.units["unit_id"])
    assert set(raw.threads["file_name"]) == set(stored)


def test_the_same_id_maps_alike_across_exports_and_a_pseudonymised_project(tmp_path, key):
    first = export_view_of(tmp_path / "a", key)
    second = export_view_of(tmp_path / "b", key)
    assert list(first.units["unit_id"]) == list(second.units["unit_id"])
    with pytest.warns(UserWarning, match="never been saved"):
        other = export_view_of(tmp_path / "c", PseudonymKey())
    assert not set(other.units["unit_id"]) & set(first.units["unit_id"])  # keyed: another key, other ids
    # a pseudonymised project maps its ids without the key, as the key would
    project = wb.open_project(tmp_path / "d" / "p.db")
    try:
        project.add_units(pseudonymise(_units(), key).units)
        wb.privacy.mark_pseudonymised(project, key)
        assert "id_secret" not in wb.privacy.privacy_state(project)
        assert list(export_view(project).units["unit_id"]) == list(first.units["unit_id"])
    finally:
        project.close()


def export_view_of(folder: Path, key: PseudonymKey):
    project = wb.open_project(folder / "p.db")
    try:
        project.add_units(_units())
        return export_view(project, key=key)
    finally:
        project.close()


def test_pseudonymise_covers_every_text_column_and_extra(key):
    units = _units()
    units["note"] = ["written by Alice Smith", None, None, None, None, None]
    result = pseudonymise(units, key)
    flat = repr(result.units.drop(columns=["unit_id", "thread_id", "parent_id"]).to_dict("records"))
    for name in ("Alice Smith", "Jane Doe", "carol.bsky.social", "Carol Danvers", "did:plc:carol123"):
        assert name not in flat, name
    carol = key.lookup("carol.bsky.social")
    extra = result.units.set_index("unit_id").loc[BSKY, "extra"]
    assert extra == {"did": carol, "display_name": carol}  # other names of the author: the author's pseudonym
    assert result.units.set_index("unit_id").loc[BSKY_REPLY, "extra"] == {"in_reply_to": carol}
    assert {"extra", "note", "title"} <= set(result.report["column"])
    assert units.loc[4, "extra"]["display_name"] == "Carol Danvers"  # the input is untouched


# --- properties (Hypothesis) ------------------------------------------------------------------
_ids = st.text(min_size=1, max_size=200)
_FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FAST
@given(value=_ids, secret=st.binary(min_size=16, max_size=64))
def test_a_pseudonymous_id_is_stable_and_has_one_form(value, secret):
    out = IdMap(secret)(value)
    assert out == IdMap(secret)(value)  # stable: the same id, the same pseudonymous id
    assert ID_PATTERN.match(out)  # id- and 16 of a-z2-7: no other character of the id survives
    assert out == IdMap(secret).frame(pd.DataFrame({"unit_id": [value]}))["unit_id"].iloc[0]


@_FAST
@given(values=st.lists(_ids, min_size=2, max_size=50, unique=True), secret=st.binary(min_size=16, max_size=64))
def test_distinct_ids_stay_distinct(values, secret):
    ids = IdMap(secret)
    assert len({ids(v) for v in values}) == len(values)


@_FAST
@given(name=st.text(alphabet=st.characters(categories=("L",)), min_size=12, max_size=40), prefix=st.text(max_size=20))
def test_a_name_in_an_id_never_survives(name, prefix):
    out = IdMap(b"a secret of sixteen bytes or more")(prefix + name + ":7")
    # 16 characters drawn from 32 cannot hold a name of 12 letters except by a chance of 32**-12
    assert name.lower() not in out and name not in out
    assert not re.search(re.escape(name[:12]), out, re.IGNORECASE)


@_FAST
@given(a=_ids, b=_ids)
def test_keys_give_other_ids(a, b):
    first, second = PseudonymKey(), PseudonymKey()
    assert id_map(first)(a) != id_map(second)(a)
    assert (id_map(first)(a) == id_map(first)(b)) == (a == b)
