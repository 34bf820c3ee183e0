"""Tests for workbench.privacy.names: person names proposed by NER, never applied silently."""

from __future__ import annotations

import pandas as pd
import pytest

from _privacy import seed_units_of
from workbench import privacy as P
from workbench.privacy import PrivacyError


@pytest.fixture
def seed_units(examples):
    return seed_units_of(examples)


# --- NER proposals ------------------------------------------------------------------------
def test_ner_without_a_trained_pipeline_says_it_is_unavailable(seed_units):
    import spacy

    installed = [m for m in spacy.util.get_installed_models()]
    if P.ner_available():
        proposals = P.propose_names(seed_units.head(3))
        assert list(proposals.columns) == ["unit_id", "start", "end", "text", "label", "accept"]
        assert installed
    else:
        with pytest.raises(P.NERUnavailableError, match="unavailable"):
            P.propose_names(seed_units)
    with pytest.raises(P.NERUnavailableError, match="no named-entity component"):
        P.propose_names(seed_units, nlp=spacy.blank("en"))


def test_ner_proposals_are_never_applied_silently(seed_units):
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Charlotte Walker"}, {"label": "PERSON", "pattern": "Sarah Knowles"},
                        {"label": "ORG", "pattern": "NHS"}])
    before = seed_units.copy(deep=True)
    proposals = P.propose_names(seed_units, nlp=nlp)
    pd.testing.assert_frame_equal(seed_units, before)
    assert set(proposals["text"]) == {"Charlotte Walker", "Sarah Knowles"}
    assert not proposals["accept"].any()
    # nothing accepted: nothing changes
    assert P.apply_names(seed_units, proposals).units["text"].tolist() == seed_units["text"].tolist()
    accepted = proposals.assign(accept=proposals["text"] == "Sarah Knowles")
    result = P.apply_names(seed_units, accepted)
    assert not any("Sarah Knowles" in t for t in result.units["text"])
    assert any("Charlotte Walker" in t for t in result.units["text"])
    assert (result.report["kind"] == "name").all() and (result.report["original"] == "Sarah Knowles").all()
    with pytest.raises(PrivacyError, match="'accept' column"):
        P.apply_names(seed_units, proposals.drop(columns="accept"))
    shifted = accepted.assign(start=accepted["start"] + 1)
    with pytest.raises(PrivacyError, match="the text there is"):
        P.apply_names(seed_units, shifted)
