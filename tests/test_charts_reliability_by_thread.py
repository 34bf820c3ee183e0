"""The per-thread agreement heatmap (workbench.charts.reliability.agreement_by_thread)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from _charts_data import data_of
from workbench import charts
from workbench.agreement import OVERALL, THRESHOLDS, band, reliability_table
from workbench.charts.render import to_svg


def codings() -> pd.DataFrame:
    """Four threads of two coders: t-agree agrees everywhere, t-split on half its units."""
    rows = []
    for thread, n, slips in (("t-agree", 8, ()), ("t-mostly", 10, (3,)), ("t-split", 6, (0, 2, 3)), ("t-one", 3, ())):
        for i in range(n):
            codes = {"ann": ["praise", "blame"][i % 2], "ben": ["praise", "blame"][(i + (i in slips)) % 2]}
            if thread == "t-one":
                del codes["ben"]  # coded once: undefined everywhere
            rows += [{"unit_id": f"{thread}:{i}", "coder": c, "code": code, "thread_id": thread}
                     for c, code in codes.items()]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return reliability_table(codings(), by="thread_id", measures=("alpha", "gwet_ac1"), ci=False)


def test_cells_show_the_coefficient_its_band_and_n(table):
    spec = charts.agreement_by_thread(table, measure="alpha").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "text", "text"]
    assert [layer["encoding"]["text"]["field"] for layer in spec["layer"][1:]] == ["label", "n_label"]
    rows = data_of(spec)
    alpha = table[table["measure"] == "alpha"]
    assert len(rows) == len(alpha)
    by_cell = {(r["group"], r["code"]): r for r in rows}
    for _, row in alpha.iterrows():
        cell = by_cell[(row["thread_id"], row["code"])]
        assert cell["n_units"] == row["n_units"] and cell["n_label"] == f"n={row['n_units']}"
        assert cell["band"] == band(row["value"], THRESHOLDS)
        if np.isnan(row["value"]):
            assert cell["value"] is None and cell["label"] == "–"
        else:
            assert cell["value"] == pytest.approx(row["value"], abs=1e-4)
            assert float(cell["label"]) == pytest.approx(row["value"], abs=0.005)
    assert sum(r["n_units"] for r in rows if r["code"] == OVERALL) == codings()["unit_id"].nunique()
    # the threads the coders read differently come first; undefined last
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["t-split", "t-mostly", "t-agree", "t-one"]
    assert spec["layer"][0]["encoding"]["x"]["sort"] == [OVERALL, "blame", "praise"]
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["≥ .800", ".667–.800", "< .667", "undefined"]
    assert spec["title"]["text"] == "Agreement by thread"
    assert spec["title"]["subtitle"].startswith("alpha; lowest agreement first; bands at .667 and .800")


def test_it_renders_with_n_shown(table):
    svg = to_svg(charts.agreement_by_thread(table, measure="gwet_ac1"))
    assert svg.startswith("<svg")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    for thread in ("t-agree", "t-mostly", "t-split", "t-one"):
        assert thread in texts
    assert "n=8" in texts and "n=10" in texts and "n=6" in texts and "n=3" in texts
    assert "–" in texts  # t-one: coded once, undefined
    assert "Agreement by thread" in texts


def test_top_sources_and_checks(table):
    spec = charts.agreement_by_thread(table, measure="alpha", top=2).to_dict()
    assert {r["group"] for r in data_of(spec)} == {"t-split", "t-mostly"}
    assert spec["title"]["subtitle"].endswith("; 2 more thread(s) not shown")
    by_source = table.rename(columns={"thread_id": "source"})
    spec = charts.agreement_by_thread(by_source, measure="alpha").to_dict()
    assert spec["title"]["text"] == "Agreement by source"
    assert spec["layer"][0]["encoding"]["y"]["title"] == "source"
    with pytest.raises(ValueError, match=r"several measures \['alpha', 'gwet_ac1'\]; choose one with measure="):
        charts.agreement_by_thread(table)
    with pytest.raises(ValueError, match=r"no group column.*project.agreement\(by='thread'\)"):
        charts.agreement_by_thread(table.drop(columns="thread_id"), measure="alpha")
    with pytest.raises(ValueError, match=r"by='document' is not a column"):
        charts.agreement_by_thread(table, by="document", measure="alpha")
    with pytest.raises(ValueError, match="top must be a positive integer"):
        charts.agreement_by_thread(table, measure="alpha", top=0)
    with pytest.raises(ValueError, match=r"measure='kappa' is not in the report"):
        charts.agreement_by_thread(table, measure="kappa")
