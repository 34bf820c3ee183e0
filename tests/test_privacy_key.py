"""Tests for workbench.privacy.key: the pseudonym key, its file, and where it may live."""

from __future__ import annotations

import json
import os
import stat

import pandas as pd
import pytest

from _privacy import seed_units_of
from workbench import privacy as P
from workbench.privacy import PrivacyError, PseudonymKey


@pytest.fixture
def seed_units(examples):
    return seed_units_of(examples)


# --- the key --------------------------------------------------------------------------------
def test_key_round_trips(tmp_path, seed_units):
    key = PseudonymKey(scheme="role")
    units = seed_units.copy()
    units["author_role"] = ["professional" if a in ("drtonyryan", "Jonathon Tomlinson") else None for a in units["author"]]
    P.pseudonymise(units, key)
    key.add_alias("Sectioned", "@Sectioned_UK")
    key.set_matching("Sectioned", case_sensitive=True)
    path = key.save(tmp_path / "k" / "key.json")
    back = PseudonymKey.load(path)
    assert back.to_dict() == key.to_dict()
    assert back.key_id == key.key_id and back.secret == key.secret
    pd.testing.assert_frame_equal(back.mapping(), key.mapping())
    assert back.lookup("sectioned_uk") == key.lookup("Sectioned")
    assert back.lookup("drtonyryan").startswith("Professional-")
    assert back.lookup("kath").startswith("Unknown-")
    assert back.reidentify(key.lookup("kath")) == "kath"
    # the next person after a round trip continues the count
    assert back.pseudonym_for("new person") == key.pseudonym_for("new person")
    assert not back.dirty or back.path == path


def test_key_file_is_private_and_atomic(tmp_path):
    key = PseudonymKey()
    key.pseudonym_for("Sam")
    path = key.save(tmp_path / "key.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["key.json"]
    data = json.loads(path.read_text())
    assert data["format"] == "workbench-pseudonym-key" and data["people"][0]["name"] == "Sam"
    key.pseudonym_for("Jo")
    key.save()  # to where it was saved before
    assert PseudonymKey.load(path).lookup("jo") == "P002"


def test_key_refused_inside_the_project_folder(tmp_path, project):
    key = PseudonymKey()
    with pytest.raises(PrivacyError, match="inside the project folder"):
        key.save(tmp_path / "key.json", project=project)
    with pytest.raises(PrivacyError, match="allow_near_project"):
        key.save(tmp_path / "sub" / "key.json", project=project)
    with pytest.warns(P.KeyLocationWarning):
        key.save(tmp_path / "key.json", project=project, allow_near_project=True)
    elsewhere = tmp_path.parent / (tmp_path.name + "-keys") / "key.json"
    assert key.save(elsewhere, project=project) == elsewhere.resolve()
    # a key kept beside the project on purpose is said again whenever it is used
    with pytest.warns(P.KeyLocationWarning):
        key.save(tmp_path / "key.json", project=project, allow_near_project=True)
    with pytest.warns(P.KeyLocationWarning, match="inside the project folder"):
        P.export_view(project, key=key)


def test_the_default_key_place_is_the_configuration_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("WB_KEY_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    one = P.default_key_path(tmp_path / "a" / "project.db")
    two = P.default_key_path(tmp_path / "b" / "project.db")
    assert one.parent == tmp_path / "config" / "workbench" / "keys"
    assert one.name.startswith("project-") and one.name.endswith(".key.json") and one != two
    assert P.default_key_path(tmp_path / "a" / "project.db") == one  # stable
    assert P.default_key_path("postgresql://me:secret@server/study").name.startswith("study-")
    assert "secret" not in str(P.default_key_path("postgresql://me:secret@server/study"))
    monkeypatch.setenv("WB_KEY_DIR", str(tmp_path / "keys"))
    assert P.default_key_path().parent == tmp_path / "keys"
    P.check_key_place(one, tmp_path / "a" / "project.db")  # outside the project's folder: fine


def test_key_load_errors_name_the_problem(tmp_path):
    with pytest.raises(PrivacyError, match="no pseudonym key at"):
        PseudonymKey.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  'not json'\n}")
    with pytest.raises(PrivacyError, match=r"bad.json: line 2"):
        PseudonymKey.load(bad)
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(PrivacyError, match="field 'format'"):
        PseudonymKey.load(bad)
    key = PseudonymKey()
    key.pseudonym_for("Sam")
    data = key.to_dict()
    data["secret"] = "0" * 64
    bad.write_text(json.dumps(data))
    with pytest.raises(PrivacyError, match="altered"):
        PseudonymKey.load(bad)
    data = key.to_dict()
    data["people"].append(dict(data["people"][0], name="Other"))
    bad.write_text(json.dumps(data))
    with pytest.raises(PrivacyError, match=r"people\[1\]"):
        PseudonymKey.load(bad)


def test_key_load_warns_when_others_can_read_it(tmp_path):
    path = PseudonymKey().save(tmp_path / "key.json")
    os.chmod(path, 0o644)
    with pytest.warns(UserWarning, match="chmod 600"):
        PseudonymKey.load(path)


def test_key_arguments_are_checked():
    with pytest.raises(ValueError, match="numbered"):
        PseudonymKey(scheme="random")
    with pytest.raises(ValueError, match="prefix"):
        PseudonymKey(prefix="1")
    key = PseudonymKey()
    with pytest.raises(KeyError, match="not in the key"):
        key.add_alias("Nobody", "x")
    key.pseudonym_for("Sam")
    key.pseudonym_for("Jo")
    with pytest.raises(PrivacyError, match="one alias cannot name two people"):
        key.add_alias("Sam", "Jo")
    with pytest.raises(KeyError):
        key.reidentify("P999")


@pytest.mark.parametrize(("content", "fragment"), [
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[" * 100_000, "nested too deeply"),
    (b"", "not valid JSON"),
    (json.dumps({"format": "workbench-pseudonym-key", "version": 1, "scheme": ["numbered"]}).encode(), "'scheme'"),
    (json.dumps({"format": "workbench-pseudonym-key", "version": 1, "scheme": "numbered", "width": True}).encode(),
     "'width'"),
    (json.dumps({"format": "workbench-pseudonym-key", "version": 1, "scheme": "numbered", "secret": "ab" * 32,
                 "people": [{"name": "Sam", "pseudonym": "P001", "role": 7}]}).encode(), "'role'"),
])
def test_a_broken_key_file_is_a_privacy_error_naming_the_file(tmp_path, content, fragment):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(PrivacyError, match=fragment) as info:
        PseudonymKey.load(path)
    assert str(path) in str(info.value)


def test_a_key_file_is_read_within_a_size_limit(tmp_path, monkeypatch):
    path = PseudonymKey().save(tmp_path / "k.json")
    size = path.stat().st_size
    with pytest.raises(PrivacyError, match=r"too large for a pseudonym key.*max_bytes=N.*WB_MAX_KEY_BYTES"):
        PseudonymKey.load(path, max_bytes=size - 1)
    monkeypatch.setenv("WB_MAX_KEY_BYTES", str(size - 1))
    with pytest.raises(PrivacyError, match="too large"):
        PseudonymKey.load(path)
    assert PseudonymKey.load(path, max_bytes=size).key_id  # the keyword wins
    with pytest.raises(PrivacyError, match="is not a file"):
        PseudonymKey.load(tmp_path)
