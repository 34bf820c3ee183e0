"""The methods paragraph and its numbers (workbench/report/methods.py): counts in words,
coefficients in APA style, the verdict by Krippendorff's thresholds.
"""

from __future__ import annotations

import math

import pytest

from workbench.agreement import THRESHOLDS
from workbench.report.methods import format_ci, format_coefficient, number_words, paragraph, percent


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.8249, ".82"), (0.825001, ".83"), (1.0, "1.00"), (0.0, ".00"), (-0.004, ".00"), (-0.25, "−.25"),
     (float("nan"), "undefined"), (None, "undefined")],
)
def test_format_coefficient(value, text):
    assert format_coefficient(value) == text


def test_format_ci_and_words():
    assert format_ci(0.76, 0.88) == "95% CI .76–.88"
    assert format_ci(-0.2, 0.4) == "95% CI −.20 to .40"
    assert format_ci(float("nan"), 0.4) == "95% CI not available"
    assert [number_words(n) for n in (0, 1, 10, 11, 1204)] == ["no", "one", "ten", "11", "1,204"]
    assert number_words(3, capital=True) == "Three"


def test_percent():
    assert (percent(120, 1204), percent(3, 1204), percent(0, 5), percent(1, 0)) == ("10%", "0.2%", "0%", "n/a")


def _figures(**changes) -> dict:
    f = {
        "n_coders": 2, "n_units": 20, "n_codable": 40, "percent": "50%", "method": "random", "stratify": None,
        "seed": 1, "exclude": [], "n_population": None, "codebook_version": 1, "n_overlap": 20,
        "alpha": 0.74, "ci_low": 0.61, "ci_high": 0.86, "n_pairable": 20, "n_boot": 200, "groups": {},
        "codes": {"a": 0.9, "b": 0.7, "c": 0.5}, "n_codes_reliable": 1, "n_codes_tentative": 1, "n_codes_below": 1,
        "codes_undefined": [], "first_round": None, "n_disagreements": None,
    }
    return f | changes


def test_the_paragraph_judges_by_the_agreement_thresholds():
    lo, hi = (format_coefficient(x, 3) for x in THRESHOLDS)
    text = paragraph(_figures(), None, None)
    assert text.startswith("Two coders independently coded 20 of 40 codable units (50%; a simple random sample, seed 1)")
    assert f"one of three codes reached {hi}, one lay between {lo} and {hi} and one fell below {lo}" in text
    assert "overall agreement was sufficient for tentative conclusions only" in text
    assert "was acceptable" in paragraph(_figures(alpha=THRESHOLDS[1]), None, None)
    assert "below the acceptable minimum" in paragraph(_figures(alpha=THRESHOLDS[0] - 0.001), None, None)
    assert "could not be computed" in paragraph(_figures(alpha=math.nan), None, None)
