"""Tests for workbench.privacy.policy: the project's privacy state and what exporters may write."""

from __future__ import annotations

import warnings

import pytest

import workbench as wb
from _privacy import people_to_hide, present
from workbench import privacy as P
from workbench.privacy import PrivacyError, PseudonymKey


# --- the project side ---------------------------------------------------------------------
def test_privacy_state_and_marking(project, demo_units):
    assert P.privacy_state(project)["state"] == "raw"
    key = PseudonymKey()
    project.add_units(demo_units)
    P.pseudonymise(demo_units, key)  # the key now knows the real names, but the store holds them raw
    with pytest.raises(PrivacyError, match="real name in the key"):
        P.mark_pseudonymised(project, key)
    assert P.privacy_state(project)["state"] == "raw"


def test_mark_pseudonymised_records_state(tmp_path, demo_units):
    project = wb.open_project(tmp_path / "p.db")
    try:
        key = PseudonymKey()
        safe = P.redact(P.pseudonymise(demo_units, key).units)
        project.add_units(safe.units)
        state = P.mark_pseudonymised(project, key, redacted=("url", "phone"))
        assert state["state"] == "pseudonymised" and state["key_id"] == key.key_id
        assert P.privacy_state(project)["redacted"] == ["url", "phone"]
        assert P.privacy_state(project)["through_seq"] == len(demo_units)
        assert "set_setting" in set(project.audit_log()["action"])
        with pytest.raises(PrivacyError, match="not the key of this project"):
            P.mark_pseudonymised(project, PseudonymKey())
        # exporting needs no key now
        view = P.export_view(project)
        assert set(view.units["author"]) <= key.pseudonyms() | {""}
        # units added after marking are refused until marked again
        project.add_units(wb.make_units([{"unit_id": "late", "thread_id": "t9", "author": "Sam", "text": "hi"}]))
        with pytest.raises(PrivacyError, match="added after the project was"):
            P.export_view(project)
    finally:
        project.close()


def test_export_view_of_a_raw_project(tmp_path, demo_units, demo_codebook):
    project = wb.open_project(tmp_path / "p.db")
    try:
        units = demo_units.copy()
        units.loc[units["unit_id"] == "t1:2", "text"] = "Nurse Ann, see https://example.org/policy then call 07700 900123. That isn't the point."
        project.add_units(units)
        project.add_codebook(demo_codebook)
        project.add_coder("alice")
        text = units.loc[units["unit_id"] == "t1:2", "text"].item()
        start = text.index("That isn't")
        project.code("t1:2", ["defensive"], coder="alice", span=(start, len(text)), memo="Sam's reply to Nurse Ann")
        project.code("t1:0", ["validating"], coder="alice", span=(0, 3))
        with pytest.raises(PrivacyError, match="pass key="):
            P.export_view(project)
        with pytest.raises(PrivacyError, match="as proof"):
            P.export_view(project, raw=True)
        key = PseudonymKey()
        key_path = key.save(tmp_path.parent / (tmp_path.name + "-keys") / "k.json")
        view = P.export_view(project, key=key)
        assert not view.raw
        assert not PseudonymKey.load(key_path).dirty and len(PseudonymKey.load(key_path)) == len(key) > 0
        for name in ["Sam", "Nurse Ann", "Jo", "Lee", "Dr K", "Max"]:
            for col in ("author", "text"):
                assert not any(present(name, str(v)) for v in view.units[col]), (name, col)
            assert not any(present(name, str(m)) for m in view.codings["memo"].dropna())
        assert not view.units["unit_id"].isin(units["unit_id"]).any()  # ids are pseudonymous
        row = view.units.set_index("unit_id").loc[view.pseudonymous_id("t1:2")]
        assert "[URL]" in row["text"] and "[PHONE]" in row["text"]
        coded = view.codings.set_index("code")
        assert row["text"][coded.loc["defensive", "span_start"] : coded.loc["defensive", "span_end"]] == "That isn't the point."
        t10 = view.units.set_index("unit_id").loc[view.pseudonymous_id("t1:0"), "text"]
        assert (coded.loc["validating", "span_start"], coded.loc["validating", "span_end"]) == (0, 3)
        assert t10[0:3] == "I w"  # a unit without edits keeps its spans
        assert P.privacy_state(project)["key_id"] == key.key_id  # the key is now bound
        with pytest.raises(PrivacyError, match="not the key of this project"):
            P.export_view(project, key=PseudonymKey())
        raw = P.export_view(project, raw=True, key=key)
        assert raw.raw and "Nurse Ann" in set(raw.units["author"])
        assert raw.units.set_index("unit_id").loc["t1:1", "author_pseudonym"] == key.lookup("Nurse Ann")
        with pytest.raises(PrivacyError, match="not the key of this project"):
            P.export_view(project, raw=True, key=PseudonymKey())
    finally:
        project.close()


def test_export_view_warns_about_an_unsaved_key(project, demo_units):
    project.add_units(demo_units)
    with pytest.warns(UserWarning, match="never been saved"):
        P.export_view(project, key=PseudonymKey())


def test_raw_view_of_a_pseudonymised_project_reidentifies_authors(project, demo_units):
    key = PseudonymKey()
    project.add_units(P.pseudonymise(demo_units, key).units)
    P.mark_pseudonymised(project, key)
    view = P.export_view(project, raw=True, key=key)
    got = dict(zip(view.units["unit_id"], view.units["author"]))
    assert got["t1:1"] == "Nurse Ann" and got["t2:1"] == "Dr K"
    assert view.units.set_index("unit_id").loc["t1:1", "author_pseudonym"] == key.lookup("Nurse Ann")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert P.export_view(project).units["author"].isin(key.pseudonyms() | {""}).all()


# --- end to end through the real ingester: nothing identifying anywhere in an export ---------
def test_example_threads_export_holds_no_author_or_handle_even_in_ids(examples, tmp_path, tmp_path_factory):
    from workbench.interchange import export_codings

    authors, handles, parts = people_to_hide(examples)
    project = wb.open_project(tmp_path / "p.db")
    try:
        for name in ("wordpress_not_all_like_that.txt", "twitter_unrolled_thread.txt"):
            project.add_units(wb.load_threads(examples / name))
        project.add_codebook(wb.Codebook.from_yaml(examples.parent.parent / "codebooks" / "response-types.yaml"))
        project.add_coder("alice")
        first = project.queue("alice")[:3]
        for unit in first:
            project.code(unit, ["validating"], coder="alice")
        key = PseudonymKey()
        key.save(tmp_path_factory.mktemp("keys") / "k.json")  # apart from the project
        path = export_codings(project, tmp_path / "out" / "codings.csv", key=key)
        exported = path.read_text(encoding="utf-8-sig")
    finally:
        project.close()
    leaked = [p for p in [*authors, *handles, *parts] if present(p, exported)]
    assert not leaked, f"identifying names left in the export: {leaked}"
    from workbench.privacy.ids import id_map

    ids = id_map(key)
    assert all(ids(u) in exported for u in first)  # ids are exported, mapped through the key
    assert not any(u in exported for u in first)
