"""The disagreement review without a browser: actions arrive as the JavaScript sends them
(custom messages, or the ``reason`` / ``proposal`` traits set by the view) and the tests
assert on what the store holds. Store refusals are real (a SQLite trigger), not mocks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import workbench as wb
from workbench.widgets.disagreement_review import DisagreementReview

JS = Path(wb.__file__).parent / "widgets" / "static" / "disagreement_review.js"
CODERS = ["alice", "bob", "carol"]


def send(review: DisagreementReview, **msg) -> None:
    """Deliver a message exactly as the view's ``model.send(msg)`` does."""
    review._handle_custom_msg(msg, [])


def refuse(project, table: str, message: str = "disk says no") -> None:
    with project.engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def allow(project, table: str) -> None:
    with project.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TRIGGER refuse_{table}")


@pytest.fixture
def ready(project, demo_units, demo_codebook):
    """A round in which three coders disagree on t1:1, t2:1, t1:4 and agree on t1:2."""
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    for c in CODERS:
        project.add_coder(c)
    units = ["t1:0", "t1:1", "t1:2", "t1:4", "t2:0", "t2:1"]
    project.new_round("pilot", coders=CODERS, units=units)
    code = {
        "t1:1": {"alice": ["defensive"], "bob": ["defensive", "gratitude"], "carol": ["validating"]},
        "t1:2": {"alice": ["validating"], "bob": ["validating"]},
        "t2:1": {"alice": ["systemic-deflection"], "bob": ["defensive"]},
        "t1:4": {"alice": ["gratitude"], "bob": ["gratitude", "validating"]},
    }
    for unit, by in code.items():
        for coder, codes in by.items():
            for c in codes:
                project.code(unit, [c], coder=coder, round="pilot")
    project.memo("t2:1", "Blames the <b>system</b>, not staff", coder="alice", round="pilot")
    project.flag("t1:1", coder="bob", round="pilot")
    return project


def test_opens_on_the_most_contested_unit_with_context_and_each_coder(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    expected = ready.round_disagreements("pilot")["unit_id"].tolist()
    assert review.queue == expected and set(expected) == {"t1:1", "t2:1", "t1:4"}
    assert review.unit["unit_id"] == expected[0]
    assert (review.position, review.total, review.decided) == (1, 3, 0)
    review.jump("t1:1")
    assert review.unit["text"] == "We're not all like that!"
    assert [p["unit_id"] for p in review.context] == ["t1:0"]
    by = {c["label"]: c for c in review.coders}
    assert set(by) == set(CODERS)
    assert [x["name"] for x in by["bob"]["codes"]] == ["defensive", "gratitude"]
    assert [x["name"] for x in by["carol"]["codes"]] == ["validating"]
    assert by["bob"]["flagged"] and not by["alice"]["flagged"]
    # the codebook entries of every code any coder applied, with their counts
    entries = {e["name"]: e for e in review.involved}
    assert set(entries) == {"defensive", "gratitude", "validating"}
    assert entries["defensive"]["definition"] == "Not all of us." and entries["defensive"]["applied_by"] == 2
    assert entries["validating"]["of"] == 3
    assert "3 coders" in review.contested and "disagreement" in review.contested
    review.jump("t2:1")
    memo = {c["label"]: c["memo"] for c in review.coders}
    assert memo == {"alice": "Blames the <b>system</b>, not staff", "bob": ""}


def test_anonymous_review_sends_no_coder_name_to_the_page(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam", anonymous=True, seed=3)
    labels_seen = set()
    memo_label = None
    for unit in review.queue:
        review.jump(unit)
        state = json.dumps({k: v for k, v in review.get_state().items() if not k.startswith("_")})
        for name in CODERS:
            assert name not in state
        labels_seen |= {c["label"] for c in review.coders}
        if unit == "t2:1":
            memo_label = next(c["label"] for c in review.coders if c["memo"])
    assert labels_seen == {"Coder A", "Coder B", "Coder C"}
    # the same coder keeps the same label on every unit: alice wrote the memo on t2:1
    # and is the one coder who applied systemic-deflection
    review.jump("t2:1")
    sd = next(c["label"] for c in review.coders if any(x["name"] == "systemic-deflection" for x in c["codes"]))
    assert sd == memo_label
    review.jump("t1:4")
    alice_t14 = next(c["label"] for c in review.coders if [x["name"] for x in c["codes"]] == ["gratitude"])
    assert alice_t14 == memo_label


def test_record_message_writes_the_decision_reason_and_proposal(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    review.jump("t1:1")
    assert review.selected == []  # no code all three applied
    send(review, type="toggle", code="defensive")
    send(review, type="toggle", code="gratitude")
    assert review.selected == ["defensive", "gratitude"] and review.status == "editing"
    before = review.saved_seq
    send(review, type="record", reason="Defends colleagues; thanks nobody", proposal="Say defensive needs 'we'")
    assert review.status == "saved" and review.saved_seq == before + 1 and review.saved_unit == "t1:1"
    dec = ready.decisions(round="pilot")
    assert dec[["unit_id", "codes", "decided_by", "reason", "proposal"]].values.tolist() == [
        ["t1:1", "defensive, gratitude", "sam", "Defends colleagues; thanks nobody", "Say defensive needs 'we'"]
    ]
    gold = ready.gold(round="pilot")
    assert sorted(gold["code"]) == ["defensive", "gratitude"]
    props = ready.proposals(round="pilot")
    assert props["proposal"].tolist() == ["Say defensive needs 'we'"] and props["unit_id"].tolist() == ["t1:1"]
    assert review.decision["codes"] == ["defensive", "gratitude"] and review.decision["decided_by"] == "sam"
    assert review.decided == 1


def test_reason_and_proposal_traits_set_by_the_view_are_recorded(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    review.jump("t2:1")
    send(review, type="toggle", code="systemic-deflection")
    review.reason = "Points at funding"  # as the view's textarea sets it
    review.proposal = ""
    send(review, type="record")
    row = ready.decisions(round="pilot").iloc[0]
    assert (row["unit_id"], row["codes"], row["reason"]) == ("t2:1", "systemic-deflection", "Points at funding")
    assert row["proposal"] is None or row["proposal"] != row["proposal"]  # no proposal: missing
    assert ready.proposals(round="pilot").empty


def test_the_page_sets_only_the_reason_and_the_proposal(ready, caplog):
    """A state update from the page cannot change who decides, the round, or the unit on screen."""
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    review.jump("t2:1")
    with caplog.at_level("WARNING"):
        review.set_state({"supervisor": "mallory", "round_name": "other", "unit": {"unit_id": "t1:1"},
                          "reason": "Points at funding"})
    assert (review.supervisor, review.round_name, review.unit["unit_id"]) == ("sam", "pilot", "t2:1")
    assert review.reason == "Points at funding"
    assert "refused a change from the page" in caplog.text and "mallory" in caplog.text
    send(review, type="toggle", code="systemic-deflection")
    send(review, type="record")
    row = ready.decisions(round="pilot").iloc[0]
    assert (row["unit_id"], row["reason"]) == ("t2:1", "Points at funding")


def test_exclusive_group_is_single_choice(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    review.jump("t1:1")
    send(review, type="toggle", code="defensive")
    send(review, type="toggle", code="validating")  # same exclusive group: replaces it
    send(review, type="toggle", code="gratitude")
    assert review.selected == ["validating", "gratitude"]
    send(review, type="toggle", code="gratitude")
    assert review.selected == ["validating"]


def test_agreed_codes_are_preselected_unless_asked_not_to(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    review.jump("t1:4")
    assert review.selected == ["gratitude"]  # both coders applied it
    plain = DisagreementReview(ready, round="pilot", supervisor="sam", preselect="none")
    plain.jump("t1:4")
    assert plain.selected == []


def test_no_code_applies_is_a_decision(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam", preselect="none")
    review.jump("t2:1")
    review.record(reason="Neither: it is a question")
    gold = ready.gold(round="pilot")
    assert gold["unit_id"].tolist() == ["t2:1"] and gold["code"].isna().all()


def test_saved_shows_only_after_the_store_committed_and_input_is_kept(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    review.jump("t2:1")
    send(review, type="toggle", code="defensive")
    refuse(ready, "adjudications")
    send(review, type="record", reason="Defends staff", proposal="")
    assert review.status == "error" and "disk says no" in review.error
    assert review.saved_seq == 0 and review.saved_unit == ""
    assert review.selected == ["defensive"] and review.reason == "Defends staff"
    assert ready.decisions(round="pilot").empty
    allow(ready, "adjudications")
    send(review, type="record", reason=review.reason)
    assert review.status == "saved" and review.saved_seq == 1 and review.error == ""
    assert ready.decisions(round="pilot")["codes"].tolist() == ["defensive"]


def test_changing_the_choice_after_saving_hides_saved(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    review.jump("t2:1")
    send(review, type="toggle", code="defensive")
    send(review, type="record", reason="x")
    assert review.status == "saved"
    review.reason = "x, and more"
    assert review.status == "editing"
    send(review, type="record")
    assert review.status == "saved"
    send(review, type="toggle", code="gratitude")
    assert review.status == "editing"


def test_reopening_shows_decisions_and_starts_at_the_first_undecided(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    first = review.queue[0]
    send(review, type="toggle", code="gratitude")
    send(review, type="record", reason="r1", proposal="p1")
    again = DisagreementReview(ready, round="pilot", supervisor="kim")
    assert again.decided == 1
    assert again.unit["unit_id"] == again.queue[1]
    again.jump(first)
    assert "gratitude" in again.decision["codes"] and again.decision["decided_by"] == "sam"
    assert again.reason == "r1" and again.proposal == "p1"
    assert "gratitude" in again.selected
    send(again, type="next_undecided")
    assert again.unit["unit_id"] == again.queue[1]


def test_next_previous_and_the_ends_of_the_queue(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    q = review.queue
    send(review, type="prev")
    assert review.unit["unit_id"] == q[0] and "first" in review.message
    send(review, type="next")
    send(review, type="next")
    assert review.unit["unit_id"] == q[2] and review.position == 3
    send(review, type="next")
    assert review.unit["unit_id"] == q[2] and "last" in review.message
    send(review, type="jump", unit_id="t1:2")  # the coders agree there
    assert review.unit["unit_id"] == q[2] and "not among" in review.error


def test_codes_filter_reviews_one_group_only(ready):
    stance = ["validating", "defensive", "systemic-deflection"]
    review = DisagreementReview(ready, round="pilot", supervisor="sam", codes=stance)
    # on t1:4 the coders differ only in validating; on t1:1 and t2:1 in the stance
    assert set(review.queue) == {"t1:1", "t2:1", "t1:4"}
    review.jump("t1:4")
    # a decision sets all the unit's gold codes: every code a coder applied is shown
    assert {e["name"] for e in review.involved} == {"gratitude", "validating"}
    assert review.selected == ["gratitude"]
    assert review.queue == ready.round_disagreements("pilot", codes=stance)["unit_id"].tolist()
    with pytest.raises(ValueError, match="not in the round's codebook"):
        DisagreementReview(ready, round="pilot", supervisor="sam", codes=["nonsense"])


def test_round_without_disagreements_says_so(project, demo_units, demo_codebook):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    project.add_coder("alice")
    project.add_coder("bob")
    project.new_round("calm", coders=["alice", "bob"], units=["t1:1"])
    for c in ("alice", "bob"):
        project.code("t1:1", ["defensive"], coder=c, round="calm")
    review = DisagreementReview(project, round="calm", supervisor="sam")
    assert review.total == 0 and review.unit == {} and "do not disagree" in review.message
    send(review, type="record")
    assert review.status == "error" and project.decisions(round="calm").empty


def test_refresh_picks_up_new_codings(ready):
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    assert "t1:2" not in review.queue
    ready.code("t1:2", ["gratitude"], coder="carol", round="pilot")
    send(review, type="refresh")
    assert "t1:2" in review.queue and review.total == 4


def test_bad_arguments_and_messages(ready):
    with pytest.raises(TypeError, match="workbench Project"):
        DisagreementReview("project.db", round="pilot")
    with pytest.raises(wb.errors.UnknownRoundError):
        DisagreementReview(ready, round="nope", supervisor="sam")
    with pytest.raises(ValueError, match="preselect"):
        DisagreementReview(ready, round="pilot", supervisor="sam", preselect="all")
    review = DisagreementReview(ready, round="pilot", supervisor="sam")
    send(review, type="explode")
    assert review.status == "error" and "unknown review action" in review.error
    send(review, type="toggle", code="<img src=x>")
    assert "not a code" in review.error and review.selected == []


def test_supervisor_defaults_to_the_project_setting(ready):
    ready.set_setting("supervisor", "dr-lee")
    review = DisagreementReview(ready, round="pilot")
    assert review.supervisor == "dr-lee"
    review.record(codes=["gratitude"])
    assert ready.decisions(round="pilot")["decided_by"].tolist() == ["dr-lee"]


def test_hostile_text_reaches_the_view_as_data(project, demo_codebook):
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    project.add_units(
        wb.make_units(
            [
                {"unit_id": "r", "thread_id": "t", "text": hostile, "author": "<b>x</b>"},
                {"unit_id": "c", "thread_id": "t", "parent_id": "r", "text": hostile},
            ]
        )
    )
    project.add_codebook(demo_codebook)
    for c in ("alice", "bob"):
        project.add_coder(c)
    project.new_round("r1", coders=["alice", "bob"], units=["c"])
    project.code("c", ["defensive"], coder="alice", round="r1")
    project.code("c", ["gratitude"], coder="bob", round="r1")
    project.memo("c", hostile, coder="bob", round="r1")
    review = DisagreementReview(project, round="r1", supervisor="sam")
    assert review.unit["text"] == hostile and review.context[0]["author"] == "<b>x</b>"
    assert any(c["memo"] == hostile for c in review.coders)


def test_view_puts_text_into_the_page_as_text_only():
    js = re.sub(r"//[^\n]*", "", JS.read_text())  # code only, not the comments
    assert "innerHTML" not in js and "outerHTML" not in js and "insertAdjacentHTML" not in js
    assert "textContent" in js
    for cls in ("wb-adj-code", "wb-adj-reason", "wb-adj-proposal", "wb-adj-record", "wb-adj-saved", "wb-adj-next", "wb-adj-prev"):
        assert re.search(rf'"{cls}"', js), cls
