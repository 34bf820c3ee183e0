"""Content warnings (workbench/widgets/_warnings.py): terms at the start of a word, ignoring case."""

from __future__ import annotations

from workbench.widgets._warnings import DEFAULT_CONTENT_WARNINGS, ContentWarnings


def test_terms_are_found_at_the_start_of_a_word_ignoring_case():
    warn = ContentWarnings(["overdose", "self-harm", "self-harm", " "])
    assert warn.terms == ["overdose", "self-harm"]
    assert warn.find({"text": "Since my OVERDOSE and the self-harm"}) == ["overdose", "self-harm"]
    assert warn.find({"text": "nonoverdose dosage"}) == []
    assert warn.find({"text": "calm", "content_warning": "violence"}) == ["violence"]


def test_no_terms_means_the_default_list():
    assert ContentWarnings([]).terms == list(DEFAULT_CONTENT_WARNINGS)


def test_blank_terms_alone_mean_the_default_list_not_a_warning_on_every_unit():
    # Before: [" ", ""] left no term, and the empty pattern matched every text, hiding every unit.
    warn = ContentWarnings([" ", ""])
    assert warn.terms == list(DEFAULT_CONTENT_WARNINGS)
    assert warn.find({"text": "An ordinary reply."}) == []
    assert warn.find({"text": "After the overdose"}) == ["overdose"]
