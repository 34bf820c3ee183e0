"""Response types by depth and over time (workbench/charts/depth_time.py).
"""

from __future__ import annotations

import pandas as pd
import pytest

from _charts_data import (
    CODEBOOK,
    data_of,
    example_codings,
    example_units,
    rows_where,
)
from workbench import charts


@pytest.fixture
def units() -> pd.DataFrame:
    return example_units()


@pytest.fixture
def codings() -> pd.DataFrame:
    return example_codings()


def test_codes_by_depth(codings, units):
    spec = charts.codes_by_depth(codings, units, max_depth=2, codebook=CODEBOOK).to_dict()
    rows = data_of(spec)
    (d1,) = rows_where(rows, depth="1", code="defensive")
    # depth 1: alice wp:1 wp:3 wp:6 tw:1 tw:2 tw:4 + bob wp:1 wp:3 = 8 coded units; defensive 4
    assert (d1["n"], d1["n_coded"], d1["share"]) == (4, 8, 0.5)
    assert {r["depth"] for r in rows} == {"0", "1", "2+"}
    assert spec["encoding"]["x"]["sort"] == ["0", "1", "2+"]
    assert spec["params"][0]["bind"] == "legend"


def test_codes_over_time(codings, units):
    spec = charts.codes_over_time(codings, units, freq="W", codebook=CODEBOOK).to_dict()
    rows = data_of(spec)
    periods = sorted({r["period"] for r in rows})
    # weeks starting Monday: 12 Aug, 19 Aug, 26 Aug? (wp:6 posted Sun 25 Aug -> week of 19 Aug), 2 Sep, 9 Sep
    assert periods == ["2024-08-12", "2024-08-19", "2024-09-02", "2024-09-09"]
    (w,) = rows_where(rows, period="2024-09-02", code="defensive")
    assert w["n"] == 1 and w["n_coded"] == 4
    assert spec["encoding"]["x"]["type"] == "temporal" and spec["encoding"]["x"]["scale"]["type"] == "utc"
    # one tick per period, on the period's first day (ms since the epoch, UTC)
    assert spec["encoding"]["x"]["axis"]["values"] == [int(pd.Timestamp(p, tz="UTC").timestamp() * 1000) for p in periods]
    # codes absent in a week are drawn at 0, so lines fall instead of skipping the week
    (zero,) = rows_where(rows, period="2024-09-09", code="defensive")
    assert (zero["n"], zero["share"]) == (0, 0.0)
    later = codings.assign(at=codings["at"].where(codings["coder"] == "alice", pd.Timestamp("2024-10-05 12:00", tz="UTC")))
    coded = data_of(charts.codes_over_time(later, freq="D", when="coded").to_dict())
    assert {r["period"] for r in coded} == {"2024-10-01", "2024-10-05"}
    assert sum(r["n"] for r in rows_where(coded, period="2024-10-05")) == 6  # bob's codings


def test_codes_over_time_guards(codings, units):
    with pytest.raises(ValueError, match="freq='H'.*'D', 'W', 'M', 'Q', 'Y', 'auto'"):
        charts.codes_over_time(codings, units, freq="H")
    long = units.copy()
    long.loc[0, "posted_at"] = pd.Timestamp("2010-01-01", tz="UTC")
    with pytest.raises(ValueError, match="weekly periods.*coarser"):
        charts.codes_over_time(codings, long, freq="W")
    assert charts.codes_over_time(codings, long, freq="auto").to_dict()
    with pytest.raises(ValueError, match="needs the units table"):
        charts.codes_over_time(codings)
    undated = units.copy()
    undated.loc[undated["unit_id"] == "wp:0", "posted_at"] = pd.NaT
    spec = charts.codes_over_time(codings, undated).to_dict()
    assert spec["title"]["subtitle"] == "2 codings of units without a date are not shown"
