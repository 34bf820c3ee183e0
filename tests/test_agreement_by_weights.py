"""``weights=`` and ``ci_method=`` in the per-code report (workbench.agreement.report), also per thread.

The expected values come from the coefficients themselves (:func:`cohen_kappa`,
:func:`gwet_ac2`, :func:`standard_errors`, each tested against irrCAC's published values
in test_agreement_weights.py and test_agreement_variance.py) applied to the units x
coders table of an exclusive group written out by hand: the report must hand them the
same table, the same category order (the group's codes, then ``"(none)"``) and the weights.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import workbench.agreement as ag

STANCE = ["validating", "defensive", "systemic-deflection"]
# unit -> (ann's codes, ben's codes); an empty tuple: coded, none of the stance codes
CODED = {
    "u1": (("validating",), ("validating",)),
    "u2": (("defensive",), ("systemic-deflection",)),
    "u3": (("validating", "gratitude"), ("defensive",)),
    "u4": (("systemic-deflection",), ("systemic-deflection",)),
    "u5": (("defensive",), ("defensive", "gratitude")),
    "u6": (("gratitude",), ("validating",)),
    "u7": (("systemic-deflection",), ("validating",)),
    "u8": (("defensive",), ("defensive",)),
    "u9": (("validating",), ("defensive",)),
}
THREAD = {"u1": "t1", "u2": "t1", "u3": "t1", "u4": "t1", "u5": "t2", "u6": "t2", "u7": "t2", "u8": "t2", "u9": "t2"}


def codings_frame() -> pd.DataFrame:
    rows = [
        {"unit_id": u, "coder": coder, "code": code, "thread_id": THREAD[u]}
        for u, pair in CODED.items()
        for coder, codes in zip(("ann", "ben"), pair, strict=True)
        for code in codes
    ]
    return pd.DataFrame(rows)


def stance_table(units=None) -> pd.DataFrame:
    """The stance group as a units x coders table, written out by hand."""
    out = {}
    for u, pair in CODED.items():
        if units is not None and u not in units:
            continue
        out[u] = [next((c for c in codes if c in STANCE), ag.NO_CODE) for codes in pair]
    return pd.DataFrame.from_dict(out, orient="index", columns=["ann", "ben"])


CATEGORIES = [*STANCE, ag.NO_CODE]
GROUPS = {"stance": STANCE}


def group_row(table: pd.DataFrame, measure: str, thread: str | None = None) -> pd.Series:
    rows = table[(table["code"] == "group:stance") & (table["measure"] == measure)]
    if thread is not None:
        rows = rows[rows["thread_id"] == thread]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize("weights", ["linear", "quadratic", "ordinal", "radical", "circular", "bipolar"])
def test_group_rows_take_the_weights(weights):
    table = ag.reliability_table(codings_frame(), measures=("cohen_kappa", "gwet_ac2", "percent_agreement"),
                                 exclusive_groups=GROUPS, weights=weights, ci=False)
    by_hand = stance_table()
    assert group_row(table, "cohen_kappa")["value"] == pytest.approx(
        ag.cohen_kappa(by_hand, weights=weights, categories=CATEGORIES), abs=1e-12)
    assert group_row(table, "gwet_ac2")["value"] == pytest.approx(
        ag.gwet_ac2(by_hand, weights=weights, categories=CATEGORIES), abs=1e-12)
    assert group_row(table, "percent_agreement")["value"] == pytest.approx(
        ag.percent_agreement(by_hand, weights=weights, categories=CATEGORIES), abs=1e-12)
    # the weights change the value: partial credit for neighbouring categories
    plain = ag.reliability_table(codings_frame(), measures=("cohen_kappa",), exclusive_groups=GROUPS, ci=False)
    assert group_row(plain, "cohen_kappa")["value"] != pytest.approx(group_row(table, "cohen_kappa")["value"])


def test_weights_leave_present_absent_codes_and_alpha_alone():
    plain = ag.reliability_table(codings_frame(), measures=("alpha", "cohen_kappa"), exclusive_groups=GROUPS, ci=False)
    for weights in ag.WEIGHTS:
        if weights == "ratio":
            continue  # needs numeric categories: refused for codes (test below)
        weighted = ag.reliability_table(codings_frame(), measures=("alpha", "cohen_kappa"), exclusive_groups=GROUPS,
                                        weights=weights, ci=False)
        keep = ~weighted["code"].str.startswith("group:") | (weighted["measure"] == "alpha")
        pd.testing.assert_frame_equal(weighted[keep], plain[keep])


def test_gwet_ac2_defaults_to_quadratic_and_ac1_stays_unweighted():
    args = {"measures": ("gwet_ac1", "gwet_ac2"), "exclusive_groups": GROUPS, "ci": False}
    default = ag.reliability_table(codings_frame(), **args)
    quadratic = ag.reliability_table(codings_frame(), weights="quadratic", **args)
    pd.testing.assert_frame_equal(default, quadratic)
    assert group_row(default, "gwet_ac1")["value"] == pytest.approx(
        ag.gwet_ac1(stance_table(), categories=CATEGORIES), abs=1e-12)


def test_gwet_intervals_with_weights_are_those_of_standard_errors():
    table = ag.reliability_table(codings_frame(), measures=("cohen_kappa", "fleiss_kappa"), exclusive_groups=GROUPS,
                                 weights="linear", ci_method="gwet")
    se = ag.standard_errors(stance_table(), ["cohen_kappa", "fleiss_kappa"], weights="linear",
                            categories=CATEGORIES).set_index("coefficient")
    for measure in ("cohen_kappa", "fleiss_kappa"):
        row = group_row(table, measure)
        assert (row["value"], row["ci_low"], row["ci_high"]) == pytest.approx(
            tuple(se.loc[measure, ["value", "ci_low", "ci_high"]]), abs=1e-12)


def test_per_thread_rows_take_the_weights():
    table = ag.reliability_table(codings_frame(), by="thread_id", measures=("cohen_kappa",), exclusive_groups=GROUPS,
                                 weights="linear", ci=False)
    for thread in ("t1", "t2"):
        units = [u for u, t in THREAD.items() if t == thread]
        expected = ag.cohen_kappa(stance_table(units), weights="linear", categories=CATEGORIES)
        assert group_row(table, "cohen_kappa", thread)["value"] == pytest.approx(expected, abs=1e-12)
    overall = table[table["code"] == ag.OVERALL]
    assert overall["n_units"].sum() == len(CODED)


def test_bad_weights_are_refused_with_what_would_be_valid():
    with pytest.raises(TypeError, match=r"must name a scheme, one of \['identity'.*pass it to the coefficient"):
        ag.reliability_table(codings_frame(), measures=("cohen_kappa",), weights=np.eye(2))
    with pytest.raises(ValueError, match=r"unknown weights 'cubic'; valid: \['identity', 'linear'"):
        ag.reliability_table(codings_frame(), weights="cubic")
    with pytest.raises(TypeError, match="ratio weights .* need numeric categories"):
        ag.reliability_table(codings_frame(), measures=("cohen_kappa",), exclusive_groups=GROUPS, weights="ratio",
                             ci=False)
    unweighted = ag.reliability_table(codings_frame(), measures=("cohen_kappa",), exclusive_groups=GROUPS,
                                      weights="unweighted", ci=False)
    assert not math.isnan(group_row(unweighted, "cohen_kappa")["value"])
