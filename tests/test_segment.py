"""workbench.segment: sentence segments with character offsets."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
import spacy

from workbench.ingest import IngestWarning, load_threads
from workbench.segment import load_pipeline, segment


def test_offsets_slice_the_unit_text(examples):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        units = load_threads(examples / "wordpress_not_all_like_that.txt")
    seg = segment(units)
    assert list(seg.columns) == ["unit_id", "segment_id", "start", "end", "text"]
    texts = units.set_index("unit_id")["text"]
    for row in seg.itertuples():
        assert texts[row.unit_id][row.start:row.end] == row.text
        assert row.text == row.text.strip() and row.text
        assert "\n\n" not in row.text
    assert seg["segment_id"].is_unique
    # every non-empty unit has segments, in order, not overlapping
    assert set(seg["unit_id"]) == set(units.loc[units["text"] != "", "unit_id"])
    for _, group in seg.groupby("unit_id", sort=False):
        starts, ends = group["start"].tolist(), group["end"].tolist()
        assert all(e <= s for e, s in zip(ends[:-1], starts[1:]))
    assert len(seg) > len(units)


def test_emoji_and_placeholders():
    units = pd.DataFrame({"unit_id": ["a", "b", "c"],
                          "text": ["Thank you 😀 so much. I felt heard!", "", "   "]})
    seg = segment(units)
    assert seg["unit_id"].tolist() == ["a", "a"]
    assert seg["text"].tolist() == ["Thank you 😀 so much.", "I felt heard!"]
    assert seg["start"].tolist() == [0, 21]  # code points, not bytes


def test_same_sentences_as_spacy():
    texts = ["One. Two? Three!", "No punctuation at all", "Dr. Smith said no. Then left."]
    units = pd.DataFrame({"unit_id": ["1", "2", "3"], "text": texts})
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    expected = [s.text for doc in nlp.pipe(texts) for s in doc.sents]
    assert segment(units, nlp)["text"].tolist() == expected


def test_missing_pipeline_names_the_install_command():
    with pytest.raises(ImportError, match=r"(?s)pip install .*en_core_web_sm.*spacy download en_core_web_sm"):
        segment(pd.DataFrame({"unit_id": ["a"], "text": ["x"]}), "en_core_web_sm")


def test_pipeline_without_sentence_boundaries_gets_a_sentencizer():
    assert "sentencizer" in load_pipeline(spacy.blank("en")).pipe_names


def test_bad_input():
    with pytest.raises(TypeError, match="DataFrame"):
        segment(["a text"])
    with pytest.raises(ValueError, match="'text'"):
        segment(pd.DataFrame({"unit_id": ["a"]}))
    with pytest.raises(TypeError, match="nlp must be"):
        segment(pd.DataFrame({"unit_id": ["a"], "text": ["x"]}), nlp=42)
