"""The coding panel without a browser: actions arrive as the JavaScript sends them
(custom messages, or the ``memo`` / ``filters`` traits set by the view) and every test
asserts on what the store holds. The store refusals are real (a SQLite trigger), not mocks.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

import workbench as wb
from workbench.storage import tables as T
from workbench.widgets import CodingPanel
from workbench.widgets import coding_panel as cp
from workbench.widgets._codes import check_shortcuts

QUEUE = ["t1:0", "t1:1", "t1:2", "t1:4", "t2:0", "t2:1", "t2:2"]  # t1:3 is deleted: not codable


@pytest.fixture
def ready(project, demo_units, demo_codebook):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    project.add_coder("alice")
    project.add_coder("bob")
    return project


def send(panel: CodingPanel, **msg) -> None:
    """Deliver a message exactly as the view's ``model.send(msg)`` does."""
    panel._handle_custom_msg(msg, [])


def store_codes(project, unit_id, coder="alice", round=None) -> set[str]:
    df = project.codings(coder=coder, round=round, unit_ids=[unit_id])
    return set(df["code"])


def refuse(project, table: str, message: str = "disk says no") -> None:
    """Make the SQLite store refuse every insert into ``table`` (a real database error)."""
    with project.engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def allow(project, table: str) -> None:
    with project.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TRIGGER refuse_{table}")


# --- opening -------------------------------------------------------------------------------
def test_opens_on_first_unit_with_queue_position(ready):
    panel = CodingPanel(ready, coder="alice")
    assert panel.unit["unit_id"] == "t1:0"
    assert (panel.position, panel.total) == (1, len(QUEUE))
    assert (panel.coded, panel.queue_total) == (0, len(QUEUE))
    assert panel.context == []
    assert panel.unit["author"] == "Sam"
    assert panel.unit["text"] == "I was restrained and nobody explained why."
    assert [c["name"] for c in panel.codes] == ["validating", "defensive", "systemic-deflection", "gratitude"]
    assert panel.code_counts == {"validating": 0, "defensive": 0, "systemic-deflection": 0, "gratitude": 0}


def test_context_is_the_chain_of_parents_root_first(ready):
    panel = CodingPanel(ready, coder="alice")
    panel.jump("t1:2")
    assert panel.unit["unit_id"] == "t1:2"
    assert [c["unit_id"] for c in panel.context] == ["t1:0", "t1:1"]
    assert panel.context[0]["excerpt"] == "I was restrained and nobody explained why."
    assert panel.context[1]["author"] == "Nurse Ann"
    assert panel.position == 3


def test_root_post_excerpt_is_shortened(project, demo_codebook):
    long = "word " * 200
    project.add_units(
        wb.make_units(
            [
                {"unit_id": "r", "thread_id": "t", "text": long, "author": "A", "posted_at": "2024-03-01T14:02:00Z"},
                {"unit_id": "c", "thread_id": "t", "parent_id": "r", "text": "reply", "author": "B", "author_role": "carer"},
            ]
        )
    )
    project.add_codebook(demo_codebook)
    project.add_coder("alice")
    panel = CodingPanel(project, coder="alice")
    panel.next()
    root = panel.context[0]
    assert root["text"] == long
    assert len(root["excerpt"]) < 300 and root["excerpt"].endswith("…")
    assert root["posted_at"] == "2024-03-01 14:02 UTC"
    assert panel.unit["author_role"] == "carer"


def test_refuses_unknown_coder_and_non_project(ready):
    with pytest.raises(ValueError, match="add_coder"):
        CodingPanel(ready, coder="mallory")
    with pytest.raises(TypeError, match="open_project"):
        CodingPanel("data/project.db", coder="alice")


# --- coding --------------------------------------------------------------------------------
def test_toggle_message_is_recorded_before_saved_shows(ready):
    panel = CodingPanel(ready, coder="alice")
    send(panel, type="toggle", code="validating")
    assert store_codes(ready, "t1:0") == {"validating"}
    assert panel.applied == ["validating"]
    assert (panel.status, panel.saved_seq, panel.error) == ("saved", 1, "")
    assert panel.coded == 1
    assert panel.code_counts["validating"] == 1
    # toggling it again removes it
    send(panel, type="toggle", code="validating")
    assert store_codes(ready, "t1:0") == set()
    assert panel.applied == [] and panel.coded == 0 and panel.saved_seq == 2
    assert panel.code_counts["validating"] == 0


def test_exclusive_group_is_single_choice_and_multilabel_toggles(ready):
    panel = CodingPanel(ready, coder="alice")
    send(panel, type="toggle", code="validating")
    send(panel, type="toggle", code="gratitude")
    send(panel, type="toggle", code="defensive")
    assert store_codes(ready, "t1:0") == {"defensive", "gratitude"}
    assert sorted(panel.applied) == ["defensive", "gratitude"]
    assert panel.code_counts["validating"] == 0 and panel.code_counts["defensive"] == 1
    assert panel.coded == 1
    group = {c["name"]: c["exclusive"] for c in panel.codes}
    assert group["validating"] and not group["gratitude"]


def test_undo_restores_previous_codes_memo_and_flag(ready):
    panel = CodingPanel(ready, coder="alice")
    send(panel, type="toggle", code="validating")
    send(panel, type="toggle", code="defensive")
    send(panel, type="undo")
    assert store_codes(ready, "t1:0") == {"validating"}
    assert panel.applied == ["validating"]
    hist = ready.history(coder="alice")
    assert list(zip(hist["code"], hist["action"]))[-2:] == [("defensive", "remove"), ("validating", "apply")]

    send(panel, type="memo", text="first note")
    send(panel, type="flag", on=True)
    send(panel, type="undo")
    assert ready.flagged("alice") == [] and panel.flagged is False
    send(panel, type="undo")
    memos = ready.memos(coder="alice", kind="memo", latest=True)
    assert memos["text"].tolist() == [""] and panel.memo == ""
    send(panel, type="undo")
    assert store_codes(ready, "t1:0") == set()
    send(panel, type="undo")
    assert panel.message == "Nothing to undo." and panel.undo_label == ""


def test_undo_goes_back_to_the_unit_it_changes(ready):
    panel = CodingPanel(ready, coder="alice")
    send(panel, type="toggle", code="gratitude")
    send(panel, type="next")
    assert panel.unit["unit_id"] == "t1:1"
    send(panel, type="undo")
    assert panel.unit["unit_id"] == "t1:0"
    assert store_codes(ready, "t1:0") == set()


def test_memo_trait_set_by_view_is_saved_on_moving_on(ready):
    panel = CodingPanel(ready, coder="alice")
    panel.memo = "typed but not saved"  # the view sets the trait on every key stroke
    assert ready.memos(coder="alice").empty
    send(panel, type="next")
    memos = ready.memos(coder="alice", kind="memo", latest=True)
    assert memos[["unit_id", "text"]].values.tolist() == [["t1:0", "typed but not saved"]]
    send(panel, type="prev")
    assert panel.memo == panel.memo_saved == "typed but not saved"


def test_flag_for_discussion_and_flagged_filter(ready):
    panel = CodingPanel(ready, coder="alice")
    panel.jump("t1:4")
    send(panel, type="flag", on=True)
    panel.jump("t2:1")
    send(panel, type="flag", on=True)
    assert sorted(ready.flagged("alice")) == ["t1:4", "t2:1"]
    panel.jump("t1:0")
    panel.filters = {"thread": "", "uncoded": False, "flagged": True}  # as the view sets it
    assert (panel.unit["unit_id"], panel.position, panel.total) == ("t1:4", 1, 2)
    send(panel, type="next")
    assert panel.unit["unit_id"] == "t2:1" and panel.flagged
    send(panel, type="next")
    assert panel.unit["unit_id"] == "t2:1" and "last" in panel.message


# --- navigation ------------------------------------------------------------------------------
def test_next_previous_next_uncoded_and_jump(ready):
    panel = CodingPanel(ready, coder="alice")
    send(panel, type="next")
    send(panel, type="next")
    assert panel.unit["unit_id"] == "t1:2" and panel.position == 3
    send(panel, type="prev")
    assert panel.unit["unit_id"] == "t1:1"
    ready.code("t1:2", ["gratitude"], coder="alice")
    ready.code("t1:4", ["gratitude"], coder="alice")
    send(panel, type="next_uncoded")
    assert panel.unit["unit_id"] == "t2:0"
    send(panel, type="jump", unit_id="t2:2")
    assert panel.unit["unit_id"] == "t2:2" and panel.position == 7
    assert panel.unit["status"] == "orphan"
    send(panel, type="next")
    assert panel.unit["unit_id"] == "t2:2" and "last" in panel.message


def test_jump_to_unknown_or_uncodable_unit_says_so(ready):
    panel = CodingPanel(ready, coder="alice")
    send(panel, type="toggle", code="gratitude")
    send(panel, type="jump", unit_id="nope")
    assert "no unit 'nope'" in panel.error and not panel.error.startswith("Not saved")
    assert panel.status == "saved" and panel.pending == {}  # nothing was refused by the store
    assert panel.unit["unit_id"] == "t1:0"
    send(panel, type="jump", unit_id="t1:3")
    assert "not in alice's queue" in panel.error
    send(panel, type="next")  # moving on clears the message
    assert panel.error == "" and panel.unit["unit_id"] == "t1:1"


def test_filters_by_thread_and_uncoded(ready):
    panel = CodingPanel(ready, coder="alice")
    ready.code("t2:0", ["validating"], coder="alice")
    panel.filters = {"thread": "t2", "uncoded": False, "flagged": False}
    assert (panel.unit["unit_id"], panel.position, panel.total) == ("t2:0", 1, 3)
    panel.filters = {"thread": "t2", "uncoded": True, "flagged": False}
    assert panel.unit["unit_id"] == "t2:1"
    send(panel, type="toggle", code="defensive")
    send(panel, type="next")
    assert panel.unit["unit_id"] == "t2:2"
    send(panel, type="prev")  # t2:1 and t2:0 are coded now: nothing before
    assert panel.unit["unit_id"] == "t2:2" and "first" in panel.message
    panel.filters = {"thread": "", "uncoded": False, "flagged": False}
    assert panel.total == len(QUEUE) and panel.position == 7
    send(panel, type="jump", unit_id="t1:1")
    panel.filters = {"thread": "t2", "uncoded": False, "flagged": False}
    send(panel, type="jump", unit_id="t1:2")  # outside the filter: filters are cleared
    assert panel.unit["unit_id"] == "t1:2" and panel.filters["thread"] == ""


def test_reopening_resumes_at_first_uncoded_unit(ready):
    panel = CodingPanel(ready, coder="alice")
    for _ in range(3):
        send(panel, type="toggle", code="validating")
        send(panel, type="next")
    panel.close()
    again = CodingPanel(ready, coder="alice")
    assert again.unit["unit_id"] == "t1:4" and again.position == 4
    assert again.coded == 3 and again.code_counts["validating"] == 3
    other = CodingPanel(ready, coder="bob")
    assert other.unit["unit_id"] == "t1:0" and other.coded == 0


def test_all_coded_says_so(ready):
    for u in QUEUE:
        ready.code(u, ["gratitude"], coder="alice")
    panel = CodingPanel(ready, coder="alice")
    assert panel.unit["unit_id"] == QUEUE[-1]
    assert "All 7 units" in panel.message


# --- the store refuses ---------------------------------------------------------------------
def test_store_refusal_is_shown_and_input_kept_then_retry(ready):
    panel = CodingPanel(ready, coder="alice")
    refuse(ready, "coding_events")
    send(panel, type="toggle", code="defensive")
    assert panel.status == "error" and "disk says no" in panel.error
    assert panel.saved_seq == 0 and panel.applied == []
    assert panel.pending == {"type": "toggle", "code": "defensive"}
    assert store_codes(ready, "t1:0") == set() and ready.history().empty
    send(panel, type="toggle", code="defensive")  # still refused: still reported, still kept
    assert panel.status == "error" and panel.pending["code"] == "defensive" and panel.error_seq == 2
    allow(ready, "coding_events")
    send(panel, type="retry")
    assert store_codes(ready, "t1:0") == {"defensive"}
    assert (panel.status, panel.error, panel.pending, panel.applied) == ("saved", "", {}, ["defensive"])


def test_memo_refused_keeps_text_and_does_not_move_on(ready):
    panel = CodingPanel(ready, coder="alice")
    refuse(ready, "memos")
    panel.memo = "a careful thought"
    send(panel, type="next")  # moving on tries to save the memo first
    assert panel.status == "error" and "disk says no" in panel.error
    assert panel.unit["unit_id"] == "t1:0"
    assert panel.memo == "a careful thought" and panel.memo_saved == ""
    allow(ready, "memos")
    send(panel, type="memo", text=panel.memo)
    assert ready.memos(coder="alice", kind="memo")["text"].tolist() == ["a careful thought"]
    assert panel.status == "saved"


def test_read_only_database_file_is_refused(tmp_path, demo_units, demo_codebook):
    path = tmp_path / "ro.db"
    p = wb.open_project(path)
    p.add_units(demo_units)
    p.add_codebook(demo_codebook)
    p.add_coder("alice")
    p.close()
    ro = wb.open_project(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        panel = CodingPanel(ro, coder="alice")
        send(panel, type="toggle", code="gratitude")
        assert panel.status == "error" and "Not saved" in panel.error
        assert panel.pending["code"] == "gratitude"
    finally:
        ro.close()
    assert wb.open_project(path).codings().empty


# --- blind coding in a round -----------------------------------------------------------------
def _round(project, name, coders, units):
    if hasattr(project, "new_round"):
        return project.new_round(name, coders=coders, units=units, seed=1)
    # before the Rounds API: set the round up in the tables it uses
    with project.engine.begin() as conn:
        rid = conn.execute(
            T.rounds.insert()
            .values(name=name, status="open", created_at=dt.datetime.now(dt.UTC))
            .returning(T.rounds.c.round_id)
        ).scalar_one()
        for coder in coders:
            cid = conn.execute(sa.select(T.coders.c.coder_id).where(T.coders.c.name == coder)).scalar_one()
            for i, u in enumerate(units):
                conn.execute(T.round_assignments.insert().values(round_id=rid, coder_id=cid, unit_id=u, seq=i + 1))
    return name


def test_blind_coding_in_a_round_shows_only_own_codes(ready):
    r = _round(ready, "pilot", ["alice", "bob"], ["t2:1", "t1:1"])
    first, second = ready.queue("alice", round=r)
    assert {first, second} == {"t2:1", "t1:1"}
    ready.code(first, ["defensive"], coder="bob", round=r)
    ready.code(second, ["gratitude"], coder="alice")  # outside the round
    panel = CodingPanel(ready, coder="alice", round=r)
    assert (panel.unit["unit_id"], panel.total, panel.coded) == (first, 2, 0)
    assert panel.applied == []  # bob's code is not visible
    assert panel.code_counts["defensive"] == 0 and panel.code_counts["gratitude"] == 0
    send(panel, type="toggle", code="validating")
    assert store_codes(ready, first, "alice", r) == {"validating"}
    assert store_codes(ready, first, "bob", r) == {"defensive"}
    assert panel.applied == ["validating"] and panel.coded == 1
    send(panel, type="next")
    assert panel.unit["unit_id"] == second and panel.applied == []  # the code outside the round is not shown
    send(panel, type="jump", unit_id="t1:2")
    assert "not in alice's queue" in panel.error


# --- wellbeing ---------------------------------------------------------------------------------
def test_content_warning_hides_text_until_opened(project):
    cb = wb.Codebook.from_dict(
        {"name": "cw", "content_warnings": ["self-harm"], "codes": [{"name": "a", "label": "A", "definition": "x"}]}
    )
    project.add_codebook(cb)
    project.set_setting("content_warnings", ["overdose"])
    project.add_units(
        wb.make_units(
            [
                {"unit_id": "p", "thread_id": "t", "text": "After my Overdose nobody came."},
                {"unit_id": "q", "thread_id": "t", "parent_id": "p", "text": "I am so sorry."},
                {"unit_id": "r", "thread_id": "t", "parent_id": "p", "text": "Self-harm is not attention seeking."},
                {"unit_id": "s", "thread_id": "u", "text": "Nothing hard here."},
            ]
        )
    )
    project.add_coder("alice")
    panel = CodingPanel(project, coder="alice")
    assert panel.warning == ["overdose"] and panel.unit["hidden"] and panel.unit["text"] == ""
    send(panel, type="open_warning")
    assert panel.unit["text"] == "After my Overdose nobody came." and panel.warning_open
    send(panel, type="next")  # the reply is harmless; its root post, opened above, stays open in this thread
    assert panel.unit["text"] == "I am so sorry." and not panel.unit["hidden"]
    assert not panel.context[0]["hidden"] and panel.context[0]["text"] == "After my Overdose nobody came."
    assert panel.warning == ["overdose"] and panel.warning_open
    send(panel, type="next")
    assert panel.unit["hidden"] and sorted(panel.warning) == ["overdose", "self-harm"] and not panel.warning_open
    send(panel, type="next")
    assert panel.warning == [] and panel.unit["text"] == "Nothing hard here."


def test_default_content_warning_terms_when_none_are_listed(ready):
    ready.add_units(wb.make_units([{"unit_id": "x", "thread_id": "t9", "text": "He was abused as a child."}]))
    panel = CodingPanel(ready, coder="alice")
    panel.jump("x")
    assert panel.warning == ["abuse"] and panel.unit["text"] == ""
    assert "suicide" in panel.content_warning_terms


def test_break_reminder_after_configured_minutes(ready, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(cp, "_monotonic", lambda: now[0])
    panel = CodingPanel(ready, coder="alice", break_minutes=20)
    send(panel, type="toggle", code="gratitude")
    assert not panel.break_due
    now[0] += 20 * 60
    send(panel, type="tick")  # the view ticks while the coder reads
    assert panel.break_due
    send(panel, type="break_taken")
    assert not panel.break_due
    off = CodingPanel(ready, coder="bob")
    now[0] += 10_000
    send(off, type="tick")
    assert not off.break_due and off.break_minutes == 0


# --- the codebook on the buttons ---------------------------------------------------------------
def test_shortcut_clashing_with_navigation_is_refused(project):
    # Codebook.from_dict refuses it already; a codebook built in code is checked by the panel.
    cb = wb.Codebook(name="x", codes=(wb.Code("judging", "Judging", "d", shortcut="j"),))
    with pytest.raises(ValueError, match=r"'judging'.*'j'.*next"):
        check_shortcuts(cb, cp.NAVIGATION_KEYS)
    for key in ("k", "n", "p", "u"):
        with pytest.raises(ValueError, match="navigation"):
            check_shortcuts(wb.Codebook(name="x", codes=(wb.Code("c", "C", "d", shortcut=key),)), cp.NAVIGATION_KEYS)
    assert set("jknpu") >= set(wb.codebook.RESERVED_SHORTCUTS)


def test_duplicate_shortcuts_are_refused():
    cb = wb.Codebook(name="x", codes=(wb.Code("a", "A", "d", shortcut="a"), wb.Code("b", "B", "d", shortcut="A")))
    with pytest.raises(ValueError, match="share the shortcut"):
        check_shortcuts(cb, cp.NAVIGATION_KEYS)


def test_codes_carry_rules_hierarchy_and_safe_colours(project):
    cb = wb.Codebook.from_dict(
        {
            "name": "h",
            "groups": [{"name": "tone", "label": "Tone", "exclusive": False}],
            "codes": [
                {"name": "child", "label": "Child", "definition": "c", "parent": "top", "group": "tone"},
                {
                    "name": "top",
                    "label": "Top",
                    "definition": "The top code.",
                    "include": "when it is on top",
                    "exclude": "when it is not",
                    "examples": [{"text": "an anchor example", "unit": "u1"}],
                    "group": "tone",
                    "color": "#ffcc00",
                    "shortcut": "t",
                },
            ],
        }
    )
    project.add_codebook(cb)
    project.add_coder("alice")
    panel = CodingPanel(project, coder="alice")
    assert [(c["name"], c["level"]) for c in panel.codes] == [("top", 0), ("child", 1)]
    top, child = panel.codes
    assert (top["include"], top["exclude"], top["example"]) == ("when it is on top", "when it is not", "an anchor example")
    assert top["color"] == "#ffcc00" and top["text_color"] == "#000000" and top["group_label"] == "Tone"
    assert child["color"] == "" and child["parent"] == "top"


def test_hostile_text_reaches_the_view_as_data(ready):
    hostile = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"><a href="javascript:alert(1)">x</a>'
    ready.add_units(wb.make_units([{"unit_id": "evil", "thread_id": "t9", "text": hostile, "author": "<b>x</b>"}]))
    panel = CodingPanel(ready, coder="alice")
    panel.jump("evil")
    assert panel.unit["text"] == hostile and panel.unit["author"] == "<b>x</b>"


def test_view_puts_text_into_the_page_as_text_only():
    source = (Path(cp.__file__).parent / "static" / "coding_panel.js").read_text()
    js = re.sub(r"^\s*//.*$", "", source, flags=re.M)  # code only, not comments
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\.href\s*=|eval\(|new Function", js)
    assert "textContent" in js
    # no code is fetched from elsewhere: the view ships inside the package
    assert not re.search(r"^\s*import\s", js, re.M) and "http" not in js.replace("https://", "")
    assert str(CodingPanel._esm) == source


def test_unknown_action_from_view_is_reported_not_raised(ready):
    panel = CodingPanel(ready, coder="alice")
    send(panel, type="explode")
    assert panel.status == "error" and "unknown panel action" in panel.error


def test_large_queue_lists_threads_only_when_asked(ready, monkeypatch):
    monkeypatch.setattr(cp, "_EAGER_THREADS", 3)
    panel = CodingPanel(ready, coder="alice")
    assert panel.threads == []
    send(panel, type="load_threads")  # the view asks when the coder opens the thread filter
    assert [t["thread_id"] for t in panel.threads] == ["t1", "t2"]
    monkeypatch.setattr(cp, "_EAGER_THREADS", 100)
    assert [t["thread_id"] for t in CodingPanel(ready, coder="bob").threads] == ["t1", "t2"]


def test_refresh_sees_units_added_later_and_keeps_the_unit_on_screen(ready):
    panel = CodingPanel(ready, coder="alice")
    panel.jump("t2:0")
    ready.add_units(wb.make_units([{"unit_id": "t3:0", "thread_id": "t3", "text": "A new thread."}]))
    send(panel, type="refresh")
    assert panel.unit["unit_id"] == "t2:0" and panel.total == len(QUEUE) + 1 and panel.queue_total == len(QUEUE) + 1
    send(panel, type="jump", unit_id="t3:0")
    assert panel.unit["text"] == "A new thread."


def test_memo_text_is_stored_verbatim(ready):
    panel = CodingPanel(ready, coder="alice")
    text = "<script>alert(1)</script> & 'quotes' \u00e9"
    send(panel, type="memo", text=text)
    assert ready.memos(coder="alice")["text"].tolist() == [text]
    assert panel.memo_saved == text and panel.status == "saved"
