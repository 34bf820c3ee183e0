"""The project's coders and their roles (workbench/storage/coders.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

import workbench as wb
from workbench.errors import IdentifierError


def test_add_coder_is_idempotent_and_keeps_the_order(any_project):
    assert any_project.add_coder("  bob ") == "bob"
    assert any_project.add_coder("alice", role="supervisor") == "alice"
    assert any_project.add_coder("bob") == "bob"
    assert any_project.add_coder("alice", role="supervisor") == "alice"
    coders = any_project.coders()
    assert coders["name"].tolist() == ["bob", "alice"]
    assert coders["role"].tolist() == ["coder", "supervisor"]  # a coder added without a role is a coder
    assert coders["created_at"].dt.tz is not None
    assert coders["login"].isna().all()  # no database login until workbench team add-coder makes one
    audit = any_project.audit_log()
    added = audit.loc[audit["action"] == "add_coder"]
    assert [json.loads(d) for d in added["detail"]] == [{"name": "bob", "role": "coder"},
                                                        {"name": "alice", "role": "supervisor"}]
    assert added["role"].tolist() == ["owner", "owner"]  # opened without a coder: the project's owner


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", r"a coder needs a non-empty name, e.g. 'alice'"),
        ("   ", r"a coder needs a non-empty name, e.g. 'alice'"),
        (None, r"a coder name must be text, not NoneType: e.g. 'alice'"),
        (3, r"a coder name must be text, not int"),
        ("ali\u202ece", r"U\+202E RIGHT-TO-LEFT OVERRIDE at position 4, an invisible formatting character"),
        ("al\x00ice", r"U\+0000 at position 3, a control character"),
        ("a" * 65, r"is 65 characters long; the limit is 64"),
    ],
)
def test_a_coder_name_follows_the_naming_rule(any_project, name, message):
    with pytest.raises(IdentifierError, match=message):
        any_project.add_coder(name)
    assert any_project.coders().empty
    assert issubclass(IdentifierError, ValueError)


@pytest.mark.parametrize("other", ["Alice", "ALICE", "\u0430lice", "al1ce", "\uff21lice"])
def test_a_look_alike_of_a_coder_is_refused(any_project, other):
    any_project.add_coder("alice")
    with pytest.raises(IdentifierError, match=r"too like the existing coder 'alice'"):
        any_project.add_coder(other)
    assert any_project.coders()["name"].tolist() == ["alice"]


def test_names_are_stored_in_nfc(any_project):
    assert any_project.add_coder("Zoe\u0301") == "Zo\u00e9"
    assert any_project.add_coder("Zo\u00e9") == "Zo\u00e9"  # the same coder, however it was typed
    assert any_project.coders()["name"].tolist() == ["Zo\u00e9"]


def test_roles_are_coder_or_supervisor(any_project):
    with pytest.raises(ValueError, match=r"role must be 'coder' or 'supervisor', not 'admin'"):
        any_project.add_coder("alice", role="admin")
    any_project.add_coder("alice")
    with pytest.raises(ValueError, match=r"'alice' is already a coder; change the role with "
                                         r"project.set_role\('alice', 'supervisor'\)"):
        any_project.add_coder("alice", role="supervisor")
    assert any_project.coders()["role"].tolist() == ["coder"]


def test_set_role_is_audited(any_project):
    any_project.add_coder("alice")
    any_project.set_role("alice", "supervisor")
    any_project.set_role("alice", "supervisor")  # no change, no entry
    assert any_project.coders()["role"].tolist() == ["supervisor"]
    audit = any_project.audit_log()
    changes = audit.loc[audit["action"] == "set_role"]
    assert [json.loads(d) for d in changes["detail"]] == [{"name": "alice", "from": "coder", "to": "supervisor"}]
    with pytest.raises(ValueError, match="role must be"):
        any_project.set_role("alice", "boss")
    with pytest.raises(wb.UnknownCoderError, match=r"coder 'bob' is not in this project"):
        any_project.set_role("bob", "coder")


def test_a_supervisor_names_themselves_in_the_audit_log(store_url):
    owner = wb.open_project(store_url)
    owner.add_coder("sam", role="supervisor")
    owner.close()
    sam = wb.open_project(store_url, coder="sam")
    try:
        assert (sam.coder, sam.role) == ("sam", "supervisor")
        sam.add_coder("alice")
        sam.set_setting("break_minutes", 50, actor="someone else")  # the audit names who is acting
        audit = sam.audit_log()
        rows = audit.loc[audit["action"].isin(["add_coder", "set_setting"]), ["actor", "role"]]
        rows = rows.astype(object).where(rows.notna(), None)
        assert rows.to_dict("records") == [{"actor": None, "role": "owner"}] + [{"actor": "sam", "role": "supervisor"}] * 2
    finally:
        sam.close()
