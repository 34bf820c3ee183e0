"""Content warnings in the coding panel: every hidden post (the thread's root, the posts a
reply answers, the unit itself) is opened on its own by a message the kernel checks, and
stays open while the coder stays in that thread. The project is a real SQLite store.
"""

from __future__ import annotations

import pytest

import workbench as wb
from workbench.widgets import CodingPanel

ROOT_TEXT = "Since my overdose last spring I have tried to get help."


@pytest.fixture
def panel(project):
    project.add_codebook(
        wb.Codebook.from_dict(
            {"name": "cw", "codes": [{"name": "a", "label": "A", "definition": "x", "shortcut": "a"}]}
        )
    )
    project.add_units(
        wb.make_units(
            [
                {"unit_id": "root", "thread_id": "t", "text": ROOT_TEXT, "kind": "post", "author": "Sam"},
                {"unit_id": "r1", "thread_id": "t", "parent_id": "root", "text": "Thank you for <b>sharing</b>."},
                {"unit_id": "r2", "thread_id": "t", "parent_id": "r1", "text": "The abuse you describe is real."},
                {"unit_id": "r3", "thread_id": "t", "parent_id": "r2", "text": "Agreed."},
                {"unit_id": "other", "thread_id": "u", "text": "An overdose story of another thread."},
                {"unit_id": "o1", "thread_id": "u", "parent_id": "other", "text": "Hugs."},
            ]
        )
    )
    project.add_coder("alice")
    return CodingPanel(project, coder="alice", content_warnings=["overdose", "abuse"])


def send(panel: CodingPanel, **msg) -> None:
    """Deliver a message exactly as the view's ``model.send(msg)`` does."""
    panel._handle_custom_msg(msg, [])


def test_the_root_post_has_its_own_control_and_stays_open_in_the_thread(panel):
    panel.jump("r1")
    root = panel.context[0]
    assert root["hidden"] and root["text"] == "" and root["excerpt"] == "" and root["warning"] == ["overdose"]
    assert not panel.unit["hidden"] and panel.unit["text"] == "Thank you for <b>sharing</b>."  # not escaped here
    assert not panel.warning_open and panel.opened_posts == []
    send(panel, type="open_warning", unit_id="root")
    assert panel.context[0]["text"] == ROOT_TEXT and not panel.context[0]["hidden"]
    assert panel.warning_open and panel.opened_posts == ["root"]
    send(panel, type="next")  # r2: the root stays open, r2 is hidden by its own warning
    assert panel.unit["unit_id"] == "r2" and panel.unit["hidden"] and panel.unit["text"] == ""
    assert panel.context[0]["text"] == ROOT_TEXT and not panel.context[1]["hidden"]
    send(panel, type="open_warning", unit_id="r2")
    assert panel.unit["text"] == "The abuse you describe is real." and panel.opened_posts == ["root", "r2"]
    send(panel, type="next")  # r3 replies to r2: the parent opened as the unit stays open as context
    assert [(p["unit_id"], p["hidden"]) for p in panel.context] == [("root", False), ("r1", False), ("r2", False)]
    assert panel.context[2]["text"] == "The abuse you describe is real."
    send(panel, type="prev")
    send(panel, type="prev")  # back to r1: still the same thread, still open
    assert panel.unit["unit_id"] == "r1" and panel.context[0]["text"] == ROOT_TEXT


def test_another_thread_starts_hidden_again(panel):
    panel.open_warning()  # the unit on screen: the root of thread t
    assert panel.unit["unit_id"] == "root" and panel.unit["text"] == ROOT_TEXT
    panel.jump("o1")
    assert panel.context[0]["hidden"] and panel.opened_posts == []
    panel.jump("r1")  # back in thread t: what was opened before leaving it is closed again
    assert panel.context[0]["hidden"] and panel.context[0]["text"] == ""


def test_parents_between_root_and_unit_are_opened_one_by_one(panel):
    panel.jump("r3")
    assert [p["hidden"] for p in panel.context] == [True, False, True]
    assert panel.warning == ["overdose", "abuse"]
    panel.open_warning("r2")  # the parent only: the root stays hidden
    assert [p["hidden"] for p in panel.context] == [True, False, False]
    assert panel.context[0]["text"] == "" and not panel.warning_open
    panel.open_warning("root")
    assert [p["hidden"] for p in panel.context] == [False, False, False] and panel.warning_open


def test_the_kernel_checks_what_the_page_asks_to_open(panel):
    panel.jump("r1")
    done = panel.done_seq
    send(panel, type="open_warning", unit_id="other")  # a post of another thread, not on screen
    assert "post 'other' is not on screen" in panel.error and "'root', 'r1'" in panel.error
    assert panel.context[0]["hidden"] and panel.opened_posts == [] and panel.done_seq > done  # answered
    send(panel, type="open_warning", unit_id=["root"])
    assert "unit id (a string)" in panel.error and panel.context[0]["hidden"]
    with pytest.raises(ValueError, match="not on screen"):
        panel.open_warning("o1")
    send(panel, type="open_warning", unit_id="r1")  # nothing hides it: nothing changes
    assert panel.opened_posts == [] and panel.context[0]["hidden"]


def test_opening_is_sent_as_before_and_reaches_the_handler(panel):
    # the choice is recorded as it was: an "open_warning" action through the action loop
    before = panel.done_seq
    send(panel, type="open_warning")
    assert panel.done_seq == before + 1 and panel.unit["text"] == ROOT_TEXT and panel.opened_posts == ["root"]
