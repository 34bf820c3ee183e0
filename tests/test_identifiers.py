"""Names of coders, rounds and codes: one rule, refusing look-alikes (issue 14)."""

from __future__ import annotations

import re

import pytest

from workbench.errors import IdentifierError
from workbench.identifiers import MAX_NAME_LENGTH, clean_name, looks_alike, new_name


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("ali\nce", "U+000A"),
        ("alice\u200b", "ZERO WIDTH SPACE"),
        ("\u202eecila", "RIGHT-TO-LEFT OVERRIDE"),
        ("ali\u00a0ce", "NO-BREAK SPACE"),
        ("al\x00ice", "control character"),
        ("x" * (MAX_NAME_LENGTH + 1), "the limit is 64"),
        ("", "non-empty"),
        ("   ", "non-empty"),
        ("a  b", "two spaces"),
    ],
)
def test_names_that_no_one_may_hold(name, fragment):
    with pytest.raises(IdentifierError, match=re.escape(fragment)):
        clean_name(name, what="coder")


def test_a_ten_thousand_character_name_is_refused_and_the_message_stays_short():
    with pytest.raises(IdentifierError) as err:
        clean_name("a" * 10_000, what="coder")
    assert len(str(err.value)) < 200


def test_names_are_stored_in_nfc_and_trimmed():
    assert clean_name("  Zoe\u0301 ", what="coder") == "Zo\u00e9"
    assert clean_name("Anne-Marie O'Neill", what="coder") == "Anne-Marie O'Neill"
    assert clean_name("草莓", what="coder") == "草莓"


@pytest.mark.parametrize("other", ["ALICE", "Alice", "\u0430lice", "al1ce", "ａｌｉｃｅ"])
def test_look_alikes_of_an_existing_name_are_refused(other):
    assert looks_alike("alice", other)
    with pytest.raises(IdentifierError, match="too like the existing coder 'alice'"):
        new_name(other, ["alice", "bob"], what="coder")


def test_the_same_name_again_is_idempotent_and_different_names_pass():
    assert new_name("alice", ["alice"], what="coder") == "alice"
    assert new_name("alicia", ["alice"], what="coder") == "alicia"
    assert not looks_alike("alice", "bob")


def test_round_names_cannot_be_digits():
    with pytest.raises(IdentifierError, match="all digits"):
        clean_name("2", what="round", allow_digits=False)
    assert clean_name("round 2", what="round", allow_digits=False) == "round 2"


def test_names_must_be_text():
    with pytest.raises(IdentifierError, match="must be text"):
        clean_name(7, what="coder")
