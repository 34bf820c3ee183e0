"""Tests for workbench.agreement.forms: contingency tables and units x categories counts as input.

Published values: irrCAC (R) README and vignettes, which print the coefficients for its
data sets ``cont3x3abstractors`` (a 3 x 3 contingency table of two abstractors) and
``distrib.6raters`` (counts of 6 psychiatrists per patient and diagnosis; Fleiss 1971).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench.agreement as ag

TYPES = ["Ectopic", "AIU", "NIU"]
# irrCAC's cont3x3abstractors
CONT3X3 = pd.DataFrame([[13, 0, 0], [0, 20, 7], [0, 4, 56]], index=TYPES, columns=TYPES)
# irrCAC's distrib.6raters: 15 patients, 6 psychiatrists each
DIAGNOSES = ["Depression", "Personality Disorder", "Schizophrenia", "Neurosis", "Other"]
DISTRIB6 = pd.DataFrame(
    [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
     [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
     [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]],
    columns=DIAGNOSES,
)  # fmt: skip


def test_contingency_table_published_values():
    # irrCAC README / overview vignette (kappa2.table, scott2.table, gwet.ac1.table, bp2.table,
    # pa2.table on cont3x3abstractors): 0.7964094, 0.7962397, 0.8493305, 0.835, 0.89.
    t = ag.from_contingency(CONT3X3)
    assert round(ag.cohen_kappa(t), 7) == 0.7964094
    assert round(ag.scott_pi(t), 7) == 0.7962397
    assert round(ag.gwet_ac1(t), 7) == 0.8493305
    assert round(ag.brennan_prediger(t), 7) == 0.835
    assert round(ag.percent_agreement(t), 7) == 0.89
    # weighting vignette, quadratic.weights(1:3): 0.8921569, 0.8921093, 0.9402369, 0.9175, 0.9725
    assert round(ag.cohen_kappa(t, weights="quadratic"), 7) == 0.8921569
    assert round(ag.scott_pi(t, weights="quadratic"), 7) == 0.8921093
    assert round(ag.gwet_ac2(t, weights="quadratic"), 7) == 0.9402369
    assert round(ag.brennan_prediger(t, weights="quadratic"), 7) == 0.9175
    assert round(ag.percent_agreement(t, weights="quadratic"), 7) == 0.9725
    # two coders, no missing values: Conger = Cohen and Fleiss = Scott
    assert ag.conger_kappa(t) == pytest.approx(ag.cohen_kappa(t))
    assert ag.fleiss_kappa(t) == pytest.approx(ag.scott_pi(t))


def test_counts_published_values():
    # irrCAC README (gwet.ac1.dist, fleiss.kappa.dist, krippen.alpha.dist, bp.coeff.dist on
    # distrib.6raters): AC1 0.4448007, Fleiss 0.4139265, alpha 0.4204384, BP 0.4388889, pa 0.5511111.
    c = ag.from_counts(DISTRIB6)
    assert round(ag.gwet_ac1(c), 7) == 0.4448007
    assert round(ag.fleiss_kappa(c), 7) == 0.4139265
    assert round(ag.krippendorff_alpha(c), 7) == 0.4204384
    assert round(ag.brennan_prediger(c), 7) == 0.4388889
    assert round(ag.percent_agreement(c), 7) == 0.5511111
    # weighting vignette, quadratic.weights(1:5): AC2 0.4837438, Fleiss 0.2511909, BP 0.4177778
    assert round(ag.gwet_ac2(c, weights="quadratic"), 7) == 0.4837438
    assert round(ag.fleiss_kappa(c, weights="quadratic"), 7) == 0.2511909
    assert round(ag.brennan_prediger(c, weights="quadratic"), 7) == 0.4177778


def test_the_forms_stand_for_the_same_ratings():
    rng = np.random.default_rng(4)
    raw = rng.integers(1, 5, (60, 2))
    raw[:, 1] = np.where(rng.random(60) < 0.6, raw[:, 0], raw[:, 1])
    table = ag.confusion_matrix(raw, categories=[1, 2, 3, 4])
    t = ag.from_contingency(table)
    for fn in (ag.cohen_kappa, ag.scott_pi, ag.gwet_ac1, ag.krippendorff_alpha, ag.percent_agreement):
        assert fn(t) == pytest.approx(fn(raw), abs=1e-14)
    assert ag.cohen_kappa(t, weights="linear") == pytest.approx(ag.cohen_kappa(raw, weights="linear"))
    # counts of each unit's values stand for raw ratings in any order of coders
    many = rng.integers(1, 4, (40, 5)).astype(float)
    many[rng.random(many.shape) < 0.2] = np.nan
    counts = np.stack([(many == k).sum(axis=1) for k in (1, 2, 3)], axis=1)
    c = ag.from_counts(counts)
    for fn in (ag.fleiss_kappa, ag.gwet_ac1, ag.brennan_prediger, ag.percent_agreement, ag.krippendorff_alpha):
        assert fn(c) == pytest.approx(fn(many), abs=1e-14)
    assert ag.gwet_ac2(c, weights="ordinal") == pytest.approx(ag.gwet_ac2(many, weights="ordinal"))
    np.testing.assert_allclose(ag.coincidence_matrix(c).to_numpy(), ag.coincidence_matrix(many).to_numpy())


def test_contingency_labels_order_and_unused_categories():
    shuffled = CONT3X3.loc[["NIU", "Ectopic", "AIU"], ["AIU", "NIU", "Ectopic"]]
    assert ag.cohen_kappa(ag.from_contingency(shuffled)) == pytest.approx(ag.cohen_kappa(ag.from_contingency(CONT3X3)))
    # an unused category in the codebook: a zero row and column (Brennan-Prediger's q grows)
    wider = ag.from_contingency(CONT3X3, categories=[*TYPES, "Other"])
    assert wider.categories == (*TYPES, "Other") and wider.counts.shape == (4, 4)
    assert ag.brennan_prediger(wider) == pytest.approx((0.89 - 0.25) / 0.75)
    # an array's categories are 1..q by default, irrCAC's scores for the weights
    t = ag.from_contingency(CONT3X3.to_numpy())
    assert t.categories == (1, 2, 3) and t.n_units == 100
    cm = ag.confusion_matrix(ag.from_contingency(CONT3X3, coders=["A", "B"]))
    assert cm.index.name == "A" and cm.columns.name == "B" and int(cm.loc["AIU", "NIU"]) == 7


def test_counts_labels_and_categories():
    c = ag.from_counts(DISTRIB6)
    assert c.categories == tuple(DIAGNOSES) and c.n_units == 15
    wider = ag.from_counts(DISTRIB6, categories=[*DIAGNOSES, "None of these"])
    assert wider.counts.shape == (15, 6)
    assert ag.brennan_prediger(wider) == pytest.approx((0.5511111111 - 1 / 6) / (5 / 6))
    arr = ag.from_counts(DISTRIB6.to_numpy(), categories=list("abcdefg"))
    assert arr.counts.shape == (15, 7)
    # units nobody rated carry no information and are not counted
    with_empty = ag.from_counts(np.vstack([DISTRIB6.to_numpy(), np.zeros((2, 5), int)]))
    assert with_empty.n_units == 15
    assert ag.fleiss_kappa(with_empty) == pytest.approx(ag.fleiss_kappa(c))


def test_bad_tables_are_refused_clearly():
    with pytest.raises(ValueError, match="square"):
        ag.from_contingency([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match=r"whole numbers >= 0; cell \[0, 1\] is -1"):
        ag.from_contingency([[1, -1], [0, 2]])
    with pytest.raises(ValueError, match=r"cell \[1, 0\] is 0.5"):
        ag.from_counts([[1, 2], [0.5, 2]])
    with pytest.raises(ValueError, match=r"\['NIU', 'Other'\] appear on one side only"):
        ag.from_contingency(pd.DataFrame([[1, 0], [0, 1]], index=["AIU", "NIU"], columns=["AIU", "Other"]))
    with pytest.raises(ValueError, match=r"column\(s\) \['Other'\] are not among categories"):
        ag.from_counts(DISTRIB6, categories=DIAGNOSES[:4])
    with pytest.raises(ValueError, match="give at least one per column"):
        ag.from_counts([[1, 2, 3]], categories=["a", "b"])
    with pytest.raises(TypeError, match="counts"):
        ag.from_counts([["a", "b"]])
    with pytest.raises(ValueError, match="2-D"):
        ag.from_counts([1, 2, 3])
    with pytest.raises(TypeError, match="not of a counts table"):
        ag.fleiss_kappa(ag.from_counts(DISTRIB6), unit="u", coder="c", value="v")
    with pytest.raises(ValueError, match="give other categories to from_counts"):
        ag.fleiss_kappa(ag.from_counts(DISTRIB6), categories=["x", "y"])


@pytest.mark.parametrize("fn", [ag.cohen_kappa, ag.conger_kappa, ag.confusion_matrix, ag.disagreements])
def test_counts_do_not_say_who_said_what(fn):
    with pytest.raises(ValueError, match="needs to know which coder gave which value"):
        fn(ag.from_counts(DISTRIB6))
    with pytest.raises(ValueError, match="which coder"):
        ag.pairwise("fleiss_kappa", ag.from_counts(DISTRIB6))
