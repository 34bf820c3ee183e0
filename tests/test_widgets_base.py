"""What the widgets share (workbench/widgets/_base.py): the action loop, saved / error state,
navigation and the units' thread context, checked through both anywidgets on a real store.

Messages are delivered exactly as the view's ``model.send(msg)`` delivers them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import workbench as wb
from workbench.errors import StoreError, WorkbenchError
from workbench.widgets import CodingPanel, DisagreementReview
from workbench.widgets._base import STORE_ERRORS, ActionWidget

WIDGETS = Path(wb.__file__).parent / "widgets"


def send(widget: ActionWidget, **msg) -> None:
    widget._handle_custom_msg(msg, [])


@pytest.fixture
def ready(project, demo_units, demo_codebook):
    """A round in which alice and bob disagree on t1:1 and t2:1 (alice codes everything)."""
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    for c in ("alice", "bob"):
        project.add_coder(c)
    project.new_round("pilot", coders=["alice", "bob"], units=["t1:1", "t1:2", "t2:1"])
    for unit, alice, bob in [("t1:1", "defensive", "validating"), ("t1:2", "gratitude", "gratitude"), ("t2:1", "defensive", "systemic-deflection")]:
        project.code(unit, [alice], coder="alice", round="pilot")
        project.code(unit, [bob], coder="bob", round="pilot")
    return project


@pytest.fixture(params=["panel", "review"])
def widget(request, ready) -> ActionWidget:
    if request.param == "panel":
        return CodingPanel(ready, coder="alice")
    return DisagreementReview(ready, round="pilot", supervisor="sam")


def test_both_widgets_share_the_base():
    assert issubclass(CodingPanel, ActionWidget) and issubclass(DisagreementReview, ActionWidget)
    assert CodingPanel._esm != DisagreementReview._esm  # each view loads alone


def test_the_store_errors_widgets_catch_are_workbench_errors_never_the_drivers():
    assert STORE_ERRORS == (WorkbenchError, OSError) and issubclass(StoreError, WorkbenchError)
    for path in WIDGETS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
        assert "sqlalchemy" not in imported, path.name


def test_every_action_is_answered(widget):
    before = widget.done_seq
    send(widget, type="next")
    send(widget, type="no-such-action")
    send(widget, type="jump", unit_id="nope")
    assert widget.done_seq == before + 3


def test_an_unknown_action_from_the_view_is_reported_not_raised(widget):
    send(widget, type="dance")
    noun = "panel" if isinstance(widget, CodingPanel) else "review"
    assert widget.error.startswith(f"The {noun} could not do that: unknown {noun} action 'dance'")
    assert widget.status == "error" and widget.error_seq == 1
    send(widget, nothing="here")  # not an action at all: ignored
    assert widget.error_seq == 1


def test_a_request_the_widget_cannot_follow_is_not_a_refusal(widget):
    status = widget.status
    send(widget, type="jump", unit_id="nope")
    assert "'nope'" in widget.error and not widget.error.startswith("Not saved")
    assert widget.status == status and widget.error_seq == 1


def test_next_and_previous_stop_at_the_ends_of_the_list(widget):
    first = widget.unit["unit_id"]
    widget.jump(first)
    for _ in range(widget.total + 1):
        widget.next()
    assert widget.position == widget.total and "last" in widget.message
    last = widget.unit["unit_id"]
    widget.previous()
    assert widget.message == "" and widget.unit["unit_id"] != last
    for _ in range(widget.total + 1):
        widget.previous()
    assert widget.position == 1 and "first" in widget.message


def test_context_is_the_chain_of_parents_root_first(widget):
    widget.jump("t1:1" if isinstance(widget, DisagreementReview) else "t1:2")
    ids = [c["unit_id"] for c in widget.context]
    assert ids == (["t1:0"] if isinstance(widget, DisagreementReview) else ["t1:0", "t1:1"])


def test_a_saved_action_says_so_after_the_store_committed(ready):
    panel = CodingPanel(ready, coder="alice")
    send(panel, type="toggle", code="gratitude")
    assert panel.status == "saved" and panel.saved_seq == 1 and panel.saved_at
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    send(review, type="toggle", code="validating")
    assert review.status == "editing" and review.saved_seq == 0  # chosen, not recorded yet
    send(review, type="record", reason="believes the account")
    assert review.status == "saved" and review.saved_seq == 1 and review.saved_unit == review.unit["unit_id"]
    assert ready.decisions(round="pilot")["codes"].tolist() == ["validating"]
