"""Memos and flags (workbench/storage/memos.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def coded(any_project, demo_units, demo_codebook):
    any_project.add_units(demo_units)
    any_project.add_codebook(demo_codebook, note="first")
    any_project.add_coder("alice")
    any_project.add_coder("bob")
    return any_project


def test_memos_and_flags(coded):
    coded.memo("t1:1", "first thought", coder="alice")
    coded.memo("t1:1", "second thought", coder="alice")
    coded.flag("t1:2", coder="alice", note="discuss")
    coded.flag("t2:1", coder="alice")
    coded.flag("t2:1", coder="alice", on=False)
    latest = coded.memos(kind="memo", latest=True)
    assert list(latest["text"]) == ["second thought"]
    assert coded.flagged("alice") == ["t1:2"]
    assert len(coded.memos()) == 5  # append-only
