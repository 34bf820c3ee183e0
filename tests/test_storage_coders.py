"""The project's coders (workbench/storage/coders.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pandas as pd
import pytest


def test_add_coder_is_idempotent_and_keeps_the_order(any_project):
    assert any_project.add_coder("  bob ") == "bob"
    assert any_project.add_coder("alice", role="supervisor") == "alice"
    assert any_project.add_coder("bob") == "bob"
    coders = any_project.coders()
    assert coders["name"].tolist() == ["bob", "alice"]
    assert pd.isna(coders["role"].iloc[0]) and coders["role"].iloc[1] == "supervisor"
    assert coders["created_at"].dt.tz is not None
    audit = any_project.audit_log()
    added = [json.loads(d)["name"] for d in audit.loc[audit["action"] == "add_coder", "detail"]]
    assert added == ["bob", "alice"]  # the second add of bob changed nothing


@pytest.mark.parametrize("name", ["", "   ", None, 3])
def test_a_coder_needs_a_name(any_project, name):
    with pytest.raises(ValueError, match=r"non-empty name, e.g. project.add_coder\('alice'\)"):
        any_project.add_coder(name)
    assert any_project.coders().empty
