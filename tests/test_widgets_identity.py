"""The coder of a coding panel is fixed in the kernel: nothing the page sends changes it.

The page's messages are delivered exactly as ipywidgets delivers them from the browser
(a comm message ``{"method": "update", "state": {...}}`` for a trait, ``{"method":
"custom", "content": {...}}`` for an action), and every test asserts on what the store
holds afterwards. (``tests/test_browser_identity.py`` does the same from Chromium.)
"""

from __future__ import annotations

import logging

import pytest

import workbench as wb
from workbench.widgets import CodingPanel
from workbench.widgets._from_browser import BrowserSets


@pytest.fixture
def ready(project, demo_units, demo_codebook):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    project.add_coder("alice")
    project.add_coder("bob")
    return project


def from_page(panel: CodingPanel, data: dict) -> None:
    """Deliver a comm message from the page, as ipykernel hands it to the widget."""
    panel._handle_msg({"content": {"comm_id": panel.model_id, "data": data}, "buffers": []})


def page_sets(panel: CodingPanel, **state) -> None:
    """The page's ``model.set(...); model.save_changes()``."""
    from_page(panel, {"method": "update", "state": state, "buffer_paths": []})


def page_sends(panel: CodingPanel, **msg) -> None:
    """The page's ``model.send(msg)``."""
    from_page(panel, {"method": "custom", "content": msg})


def coders_in_store(project) -> list[tuple[str, str, str]]:
    return sorted((e.coder, e.unit_id, e.code) for e in project.history().itertuples())


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "refused" in r.getMessage()]


def test_a_forged_coder_from_the_page_is_refused_and_logged_and_the_next_code_is_alices(ready, caplog):
    panel = CodingPanel(ready, coder="alice")
    unit = panel.unit["unit_id"]
    with caplog.at_level(logging.WARNING):
        page_sets(panel, coder="bob")
    assert panel.coder == "alice"
    [logged] = refusals(caplog)
    assert "coder='bob'" in logged and "CodingPanel" in logged
    page_sends(panel, type="toggle", code="validating")
    assert panel.status == "saved"
    assert coders_in_store(ready) == [("alice", unit, "validating")]
    assert ready.codings(coder="bob").empty


def test_an_update_keeps_what_the_page_may_set_and_drops_the_rest(ready, caplog):
    panel = CodingPanel(ready, coder="alice")
    with caplog.at_level(logging.WARNING):
        page_sets(panel, memo="Asks for help", coder="bob", round_name="pilot", applied=["defensive"])
    assert panel.memo == "Asks for help"  # the memo being typed: the page's to set
    assert (panel.coder, panel.round_name, panel.applied) == ("alice", "", [])
    [logged] = refusals(caplog)
    assert "applied=" in logged and "coder=" in logged and "round_name=" in logged
    page_sends(panel, type="memo", text="Asks for help")
    memos = ready.memos(latest=True)
    assert list(zip(memos["coder"], memos["text"])) == [("alice", "Asks for help")]


def test_a_forged_pending_action_is_not_retried(ready, caplog):
    panel = CodingPanel(ready, coder="alice")
    with caplog.at_level(logging.WARNING):
        page_sets(panel, pending={"type": "toggle", "code": "defensive"})
    assert panel.pending == {}
    page_sends(panel, type="retry")
    assert coders_in_store(ready) == []
    assert refusals(caplog)


def test_an_action_naming_another_coder_still_codes_as_the_panels_coder(ready):
    panel = CodingPanel(ready, coder="alice")
    unit = panel.unit["unit_id"]
    page_sends(panel, type="toggle", code="defensive", coder="bob")
    page_sends(panel, type="flag", on=True, coder="bob")
    assert coders_in_store(ready) == [("alice", unit, "defensive")]
    assert ready.flagged(coder="alice") == [unit] and ready.flagged(coder="bob") == []


def test_filters_still_come_from_the_page(ready):
    panel = CodingPanel(ready, coder="alice")
    page_sets(panel, filters={"thread": "t2", "uncoded": False, "flagged": False})
    assert panel.unit["thread_id"] == "t2"


def test_the_coder_cannot_be_changed_from_python_either(ready):
    panel = CodingPanel(ready, coder="alice")
    with pytest.raises(wb.AccessError, match="fixed"):
        panel.coder = "bob"
    assert panel.coder == "alice"
    panel.toggle("validating")
    assert {c for c, _, _ in coders_in_store(ready)} == {"alice"}


def test_a_project_open_for_a_coder_makes_panels_for_that_coder_only(ready, tmp_path):
    alice = wb.open_project(tmp_path / "project.db", coder="alice")
    try:
        with pytest.raises(wb.AccessError, match="open for the coder 'alice'.*not as 'bob'"):
            CodingPanel(alice, coder="bob")
        panel = CodingPanel(alice)  # the project's coder by default
        assert panel.coder == "alice"
        unit = panel.unit["unit_id"]
        page_sets(panel, coder="bob")
        page_sends(panel, type="toggle", code="gratitude")
    finally:
        alice.close()
    assert coders_in_store(ready) == [("alice", unit, "gratitude")]


def test_a_panel_needs_a_coder_when_the_project_is_open_for_none(ready):
    with pytest.raises(ValueError, match="needs the coder's name"):
        CodingPanel(ready)


def test_browser_sets_refuses_a_state_that_is_not_a_mapping(ready, caplog):
    panel = CodingPanel(ready, coder="alice")
    assert isinstance(panel, BrowserSets)
    with caplog.at_level(logging.WARNING):
        panel.set_state(["coder", "bob"])
    assert panel.coder == "alice" and refusals(caplog)
