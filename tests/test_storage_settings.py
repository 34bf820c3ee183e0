"""Project settings and the audit log (workbench/storage/settings.py)."""

from __future__ import annotations

import json


def test_settings_round_trip(any_project):
    assert any_project.get_setting("privacy", "raw") == "raw"
    any_project.set_setting("privacy", {"state": "pseudonymised"})
    any_project.set_setting("privacy", {"state": "pseudonymised", "v": 2})
    assert any_project.get_setting("privacy") == {"state": "pseudonymised", "v": 2}


def test_settings_are_audited(any_project):
    any_project.set_setting("content_warnings", ["self-harm"], actor="sam")
    audit = any_project.audit_log()
    row = audit[audit["action"] == "set_setting"].iloc[-1]
    assert row["actor"] == "sam"
    assert json.loads(row["detail"]) == {"key": "content_warnings", "value": ["self-harm"]}
    assert list(audit["audit_id"]) == sorted(audit["audit_id"])
