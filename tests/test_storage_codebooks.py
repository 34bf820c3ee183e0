"""Codebook versions in the store (workbench/storage/codebooks.py)."""

from __future__ import annotations

import pytest

import workbench as wb


@pytest.fixture
def coded(any_project, demo_units, demo_codebook):
    any_project.add_units(demo_units)
    any_project.add_codebook(demo_codebook, note="first")
    any_project.add_coder("alice")
    any_project.add_coder("bob")
    return any_project


def test_codebook_versions_are_immutable_and_recorded_on_events(coded, demo_codebook):
    coded.code("t1:1", "defensive", coder="alice")
    v2 = coded.add_codebook(demo_codebook.replace(title="second draft"), note="wording")
    assert v2 == 2
    coded.code("t1:2", "validating", coder="alice")
    hist = coded.history()
    assert list(hist["codebook_version"]) == [1, 2]
    assert coded.codebook(1).title == ""
    assert coded.codebook().title == "second draft"
    assert list(coded.codebook_versions()["note"]) == ["first", "wording"]


def test_codebook_diff_defaults_to_the_last_two_versions(coded, demo_codebook):
    coded.add_codebook(demo_codebook.replace_code("defensive", definition="Says not all staff are like that."))
    diff = coded.codebook_diff()
    assert diff == coded.codebook(1).diff(coded.codebook(2))
    assert coded.codebook_diff(1, 1) == coded.codebook(1).diff(coded.codebook(1))


def test_a_project_without_a_codebook_says_how_to_add_one(any_project):
    assert any_project.codebook_version() is None
    with pytest.raises(wb.WorkbenchError, match=r"no codebook yet; add one with project.add_codebook"):
        any_project.codebook()
    with pytest.raises(wb.CodebookError, match="no codebook yet"):
        any_project.codebook_diff()
    with pytest.raises(wb.WorkbenchError, match="version 7 does not exist"):
        any_project.add_codebook(wb.Codebook.from_dict({"name": "x", "codes": [
            {"name": "a", "label": "A", "definition": "d"}]}))
        any_project.codebook(7)


def test_add_codebook_takes_a_codebook(any_project):
    with pytest.raises(TypeError, match="Codebook.from_yaml"):
        any_project.add_codebook({"name": "x"})
    assert any_project.codebook_versions().empty


def test_an_identical_codebook_returns_the_newest_version_and_stores_nothing(coded, demo_codebook, caplog):
    coded.code("t1:1", "defensive", coder="alice")
    before = coded.codebook_versions()
    same = wb.Codebook.from_dict(demo_codebook.to_dict())  # equal content, a different object
    with caplog.at_level("INFO", logger="workbench.storage.codebooks"):
        assert coded.add_codebook(same, note="the first cell run again") == 1
    assert "identical to version 1: nothing stored" in caplog.text
    assert coded.codebook_versions().equals(before)
    assert coded.codebook_version() == 1
    coded.code("t1:2", "validating", coder="alice")
    assert list(coded.history()["codebook_version"]) == [1, 1]
    # a changed codebook is a new version, as before; the same change again is not
    changed = demo_codebook.replace(title="second draft")
    assert coded.add_codebook(changed) == 2
    assert coded.add_codebook(changed) == 2
    # going back to the first version's content is a change from the newest: version 3
    assert coded.add_codebook(demo_codebook) == 3
    assert list(coded.codebook_versions()["version"]) == [1, 2, 3]
