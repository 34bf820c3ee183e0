"""Reply transitions and the reply flow (workbench/charts/replies.py).
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


def test_reply_transitions_by_code(codings, units):
    spec = charts.reply_transitions(codings, units, codebook=CODEBOOK).to_dict()
    rows = data_of(spec)
    # replies to disclosures, alice: wp:1 def, wp:3 val+grat, wp:6 def, tw:1 def, tw:2 val+grat, tw:4 sys;
    # bob: wp:1 def, wp:3 val  -> 8 coded replies to a disclosure
    (dd,) = rows_where(rows, **{"from": "disclosure", "to": "defensive"})
    assert (dd["n"], dd["n_from"], dd["share"]) == (4, 8, 0.5)
    (dv,) = rows_where(rows, **{"from": "disclosure", "to": "validating"})
    assert dv["n"] == 3
    # bob coded wp:4 defensive under a validating parent (his wp:3)
    (vd,) = rows_where(rows, **{"from": "validating", "to": "defensive"})
    assert vd["n"] == 1 and vd["n_from"] == 2  # alice's wp:4 replies to her validating wp:3 too
    # defensive -> challenge: alice wp:2, tw:3; bob wp:2 and wp:5 (his wp:4 is defensive)
    (dc,) = rows_where(rows, **{"from": "defensive", "to": "challenge"})
    assert dc["n"] == 4
    assert spec["layer"][0]["encoding"]["color"]["field"] == "share"
    assert spec["layer"][1]["encoding"]["text"]["field"] == "n"
    assert spec["layer"][0]["encoding"]["y"]["title"] == "in reply to (code)"


def test_reply_transitions_uncoded_parent_and_role(codings, units):
    only_replies = codings[codings["unit_id"] != "tw:0"]
    rows = data_of(charts.reply_transitions(only_replies, units).to_dict())
    assert {r["to"] for r in rows_where(rows, **{"from": charts.NOT_CODED})} == {"defensive", "validating", "gratitude", "systemic-deflection"}
    rows = data_of(charts.reply_transitions(codings, units, by="author_role").to_dict())
    (pd_,) = rows_where(rows, **{"from": "patient", "to": "defensive"})
    assert pd_["n"] == 4  # replies to the patients' root posts coded defensive
    (prof,) = rows_where(rows, **{"from": "professional", "to": "challenge"})
    # wp:2 (alice, bob), wp:5 (alice, bob), tw:3 (alice): every coded reply to a professional
    assert prof["n"] == 5 and prof["share"] == 1.0
    with pytest.raises(ValueError, match="by='depth'.*'code', 'author_role'"):
        charts.reply_transitions(codings, units, by="depth")


def test_reply_flow_links_and_nodes(codings, units):
    spec = charts.reply_flow(codings, units, coder="alice", max_depth=2, codebook=CODEBOOK).to_dict()
    links = data_of(spec, 0)
    nodes = data_of(spec, 1)
    assert len(links) % 2 == 0
    (n0,) = rows_where(nodes, depth="0", code="disclosure")
    assert n0["n"] == 2
    # depth 2+ pools wp:2, wp:4, wp:5 (depth 3) and tw:3
    assert {(r["code"], r["n"]) for r in rows_where(nodes, depth="2+")} == {("challenge", 3), ("systemic-deflection", 1)}
    first = rows_where(links, **{"from": "disclosure", "to": "defensive"})
    assert {r["depth"] for r in first} == {"0", "1"} and first[0]["n"] == 3
    # only links into depth <= max_depth: wp:5 (depth 3) adds no link
    assert not rows_where(links, **{"from": "systemic-deflection", "to": "challenge"})
    assert spec["layer"][0]["mark"]["type"] == "line" and spec["layer"][0]["encoding"]["detail"]["field"] == "link"
    assert spec["layer"][0]["encoding"]["x"]["sort"] == ["0", "1", "2+"]
