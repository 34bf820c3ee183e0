"""The reliability report's Markdown and HTML (workbench/report/reliability_page.py): every
text escaped for where it goes, the chart's place kept for the saved SVG.
"""

from __future__ import annotations

import pandas as pd

from workbench.agreement import OVERALL
from workbench.report.reliability_page import CHART_SLOT, html_page, markdown

HOSTILE = "<img src=x onerror=alert(1)> | *bold*"


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [OVERALL, HOSTILE],
            "measure": "alpha",
            "value": [0.81, 0.7],
            "ci_low": [0.7, 0.5],
            "ci_high": [0.9, 0.85],
            "n_units": [20, 20],
            "n_pairable": [20, 20],
            "interpretation": ["acceptable (Krippendorff)", "tentative <b>"],
        }
    )


def _trend() -> pd.DataFrame:
    return pd.DataFrame(
        {"round": ["r1"], "codebook_version": [1], "n_units": [20], "code": [OVERALL], "value": [0.81],
         "ci_low": [0.7], "ci_high": [0.9], "n_pairable": [20], "interpretation": [""]}
    )


FIGURES = {"n_disagreements": 3, "n_adjudicated": 1, "n_proposals": 0, "codebook_version": 1}


def test_markdown_escapes_table_cells_and_keeps_the_chart_slot():
    md = markdown(HOSTILE, "A <b>paragraph</b>.", _table(), _trend(), FIGURES, None, False, None)
    assert "<img" not in md and "<b>" not in md
    assert "&lt;img src=x onerror=alert(1)&gt; \\| \\*bold\\*" in md  # one cell, not three
    assert CHART_SLOT.rstrip("\n") in md
    assert "- Units on which the coders disagreed: 3" in md


def test_html_escapes_everything_and_names_the_thresholds():
    page = html_page(HOSTILE, "A <b>paragraph</b>.", _table(), _trend(), FIGURES, None, False, None, "<svg></svg>", {"a": "</script>"})
    assert "<img" not in page and "<b>paragraph" not in page and "tentative <b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "dashed lines at .667 and .800" in page
    assert '<script type="application/json" id="wb-trend-spec">{"a":"\\u003c/script\\u003e"}</script>' in page
