"""Tests for workbench.agreement.weights: Gwet's weighting schemes and checked weight matrices.

Reference values and their sources:

* the weight matrices for categories 1:3: irrCAC 1.0 (R, CRAN 2019-09-23), vignette
  "Weighted Chance-corrected Agreement Coefficients" (weighting.html), which prints
  ``identity.weights(1:3)`` ... ``bipolar.weights(1:3)``;
* the coefficients under quadratic weights on ``cac.raw4raters`` (Gwet 2014, p. 120):
  the same vignette prints ``pa.coeff.raw``, ``gwet.ac1.raw``, ``fleiss.kappa.raw``,
  ``conger.kappa.raw`` and ``bp.coeff.raw`` with ``weights = "quadratic"``;
* the other schemes (linear, ordinal, radical, ratio, circular, bipolar) on
  ``cac.raw4raters``: irrCAC's R documentation prints no example for them, so the values
  are those of the test suite of irrCAC's Python port (afergadis/irrCAC 0.4.4,
  ``test/unit/irrCAC/raw/test_{gwet,fleiss,conger,bp}.py``), a port of the R package
  made with Gwet's permission, rounded there to 3 decimals.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import workbench.agreement as ag
from workbench.agreement import weights as wt

# irrCAC's cac.raw4raters = Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., p. 120.
RAW4RATERS = [
    [1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1], [None, None, 3, None],
]  # fmt: skip

# irrCAC 1.0, weighting vignette: the matrices printed for categories 1:3 (circular prints
# 3.330669e-16 off the diagonal: zero up to rounding).
PRINTED_1_TO_3 = {
    "identity": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    "radical": [[1, 0.2928932, 0], [0.2928932, 1, 0.2928932], [0, 0.2928932, 1]],
    "linear": [[1, 0.5, 0], [0.5, 1, 0.5], [0, 0.5, 1]],
    "ordinal": [[1, 0.6666667, 0], [0.6666667, 1, 0.6666667], [0, 0.6666667, 1]],
    "quadratic": [[1, 0.75, 0], [0.75, 1, 0.75], [0, 0.75, 1]],
    "circular": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    "bipolar": [[1, 0.6666667, 0], [0.6666667, 1, 0.6666667], [0, 0.6666667, 1]],
}


@pytest.mark.parametrize("scheme", sorted(PRINTED_1_TO_3))
def test_matrices_for_three_categories_match_irrcac(scheme):
    got = ag.weights_matrix(scheme, [1, 2, 3])
    np.testing.assert_allclose(got, PRINTED_1_TO_3[scheme], atol=5e-8)


@pytest.mark.parametrize("scheme", ag.WEIGHTS)
@pytest.mark.parametrize("categories", [[1, 2, 3, 4, 5], [0, 1, 3, 7], [2.5, 3.0, 10.0]])
def test_every_scheme_is_a_valid_weight_matrix(scheme, categories):
    w = ag.weights_matrix(scheme, categories)
    q = len(categories)
    assert w.shape == (q, q)
    np.testing.assert_allclose(np.diag(w), 1.0)
    np.testing.assert_allclose(w, w.T, atol=1e-12)
    assert (w >= 0).all() and (w <= 1).all()
    if scheme not in ("identity", "circular"):
        assert w[0, -1] == pytest.approx(0.0, abs=1e-12)  # the two ends of the scale earn no credit
    # and the validation accepts what the schemes make
    np.testing.assert_array_equal(ag.weights_matrix(w, categories), w)


def test_schemes_by_formula_on_unequal_scores():
    # Gwet (2014), Table 3.5.1, with scores x = 1, 2, 5 (x_max - x_min = 4):
    x = np.array([1.0, 2.0, 5.0])
    d = np.abs(x[:, None] - x[None, :])
    np.testing.assert_allclose(wt.linear_weights(x.tolist()), 1 - d / 4)
    np.testing.assert_allclose(wt.quadratic_weights(x.tolist()), 1 - d**2 / 16)
    np.testing.assert_allclose(wt.radical_weights(x.tolist()), 1 - np.sqrt(d) / 2)
    ratio = 1 - ((x[:, None] - x[None, :]) / (x[:, None] + x[None, :])) ** 2 / (4 / 6) ** 2
    np.testing.assert_allclose(wt.ratio_weights(x.tolist()), ratio)
    circ = np.sin(np.pi * (x[:, None] - x[None, :]) / 5) ** 2
    np.testing.assert_allclose(wt.circular_weights(x.tolist()), 1 - circ / circ.max(), atol=1e-12)
    s = x[:, None] + x[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        bip = np.where(d > 0, d**2 / ((s - 2) * (10 - s)), 0.0)
    np.testing.assert_allclose(wt.bipolar_weights(x.tolist()), 1 - bip / bip.max())
    # ordinal counts categories, not scores: the same as for 1, 2, 3
    np.testing.assert_allclose(wt.ordinal_weights(x.tolist()), wt.ordinal_weights([1, 2, 3]))


def test_labels_use_positions_and_ratio_needs_numbers():
    # irrCAC: non-numeric categories are scored 1..q
    for scheme in ("linear", "quadratic", "radical", "circular", "bipolar", "ordinal"):
        np.testing.assert_allclose(ag.weights_matrix(scheme, ["lo", "mid", "hi"]), ag.weights_matrix(scheme, [1, 2, 3]))
    with pytest.raises(TypeError, match="ratio weights .* need numeric categories; got 'lo', 'mid', 'hi'"):
        ag.weights_matrix("ratio", ["lo", "mid", "hi"])
    with pytest.raises(ValueError, match="non-negative"):
        ag.weights_matrix("ratio", [-1, 0, 1])
    # a ratio scale with a true zero: 0 and anything else are as far apart as can be
    assert ag.weights_matrix("ratio", [0, 1, 2])[0, 1] == pytest.approx(0.0)
    # booleans are labels, not numbers
    np.testing.assert_allclose(ag.weights_matrix("linear", [False, True]), np.eye(2))


def test_one_or_no_category():
    for scheme in ag.WEIGHTS:
        np.testing.assert_array_equal(ag.weights_matrix(scheme, [7]), [[1.0]])
        assert ag.weights_matrix(scheme, []).shape == (0, 0)


# --- coefficients under every scheme -------------------------------------------------------------
# (pa, AC2, Fleiss, Conger, Brennan-Prediger) on cac.raw4raters.
# quadratic: irrCAC 1.0 weighting vignette (R output, 5 decimals for the coefficients);
# the rest: afergadis/irrCAC 0.4.4 tests (3 decimals); identity: irrCAC README (R output).
BY_SCHEME = {
    "identity": (0.8181818, 0.77544, 0.76117, 0.76282, 0.77273),
    "quadratic": (0.9753788, 0.91400, 0.86494, 0.85771, 0.90152),
    "linear": (0.939, 0.859, 0.818, 0.814, 0.848),
    "ordinal": (0.968, 0.899, 0.850, 0.844, 0.886),
    "radical": (0.897, 0.820, 0.790, 0.788, 0.813),
    "ratio": (0.954, 0.857, 0.821, 0.812, 0.840),
    "circular": (0.902, 0.830, 0.807, 0.805, 0.824),
    "bipolar": (0.968, 0.900, 0.853, 0.845, 0.888),
}


@pytest.mark.parametrize("scheme", sorted(BY_SCHEME))
def test_every_scheme_on_gwet_raw4raters_matches_irrcac(scheme):
    expected = BY_SCHEME[scheme]
    got = (
        ag.percent_agreement(RAW4RATERS, weights=scheme),
        ag.gwet_ac2(RAW4RATERS, weights=scheme),
        ag.fleiss_kappa(RAW4RATERS, weights=scheme),
        ag.conger_kappa(RAW4RATERS, weights=scheme),
        ag.brennan_prediger(RAW4RATERS, weights=scheme),
    )
    for value, published in zip(got, expected):
        digits = len(str(published).split(".")[1])
        assert round(value, min(digits, 5)) == pytest.approx(round(published, min(digits, 5)), abs=1e-12)


def test_ratio_fleiss_by_hand():
    # Fleiss under ratio weights independently of the code: pa and pe straight from their definitions
    # (Gwet 2014, eqs. 3.9-3.10): pa = mean over units rated twice of sum_kl r_k (r_l w_kl - [k=l]) /
    # (r (r - 1)); pe = sum_kl w_kl pi_k pi_l with pi_k the category shares averaged over units.
    w = wt.ratio_weights([1, 2, 3, 4, 5])
    pas, shares = [], []
    for row in RAW4RATERS:
        vals = [v for v in row if v is not None]
        counts = np.bincount(np.array(vals) - 1, minlength=5).astype(float)
        shares.append(counts / counts.sum())
        if len(vals) >= 2:
            pas.append((counts @ w @ counts - len(vals)) / (len(vals) * (len(vals) - 1)))
    pi = np.mean(shares, axis=0)
    pa, pe = np.mean(pas), pi @ w @ pi
    assert ag.fleiss_kappa(RAW4RATERS, weights="ratio") == pytest.approx((pa - pe) / (1 - pe), abs=1e-12)
    assert (round(pa, 3), round(pe, 3)) == (0.954, 0.743)  # the port's tests print pa .954, pe .743


@pytest.mark.parametrize("scheme", ag.WEIGHTS)
def test_a_matrix_equal_to_a_scheme_gives_the_same_value(scheme):
    cats = [1, 2, 3, 4, 5]
    matrix = ag.weights_matrix(scheme, cats)
    frame = pd.DataFrame(matrix, index=cats, columns=cats).iloc[::-1, ::-1]  # labelled, any order
    pair = [row[2:] for row in RAW4RATERS]
    for fn in (ag.percent_agreement, ag.gwet_ac2, ag.fleiss_kappa, ag.conger_kappa, ag.brennan_prediger):
        named = fn(RAW4RATERS, weights=scheme, categories=cats)
        assert fn(RAW4RATERS, weights=matrix, categories=cats) == pytest.approx(named, abs=1e-14)
        assert fn(RAW4RATERS, weights=frame, categories=cats) == pytest.approx(named, abs=1e-14)
    for fn in (ag.cohen_kappa, ag.scott_pi):
        assert fn(pair, weights=matrix, categories=cats) == pytest.approx(fn(pair, weights=scheme, categories=cats))


def test_unused_categories_count_for_the_weights():
    # Coders used 1, 2 and 5 only. With the codebook's 1..5, quadratic weights see 5 as three
    # steps from 2 (the same as naming the values); without, 5 would be the next step after 2
    # by position, but the weights use the values: the same matrix either way.
    data = [[1, 1], [2, 2], [5, 2], [5, 5], [1, 2], [2, 5]]
    full = ag.cohen_kappa(data, weights="quadratic", categories=[1, 2, 3, 4, 5])
    assert ag.cohen_kappa(data, weights="quadratic") == pytest.approx(full)
    labels = {1: "a", 2: "b", 5: "e"}
    as_text = [[labels[v] for v in row] for row in data]
    # as labels, the scores are positions: with all five labels the result is the numeric one
    assert ag.cohen_kappa(as_text, weights="quadratic", categories=list("abcde")) == pytest.approx(full)
    # ... and without them, 'e' is only one step from 'b'
    assert ag.cohen_kappa(as_text, weights="quadratic") != pytest.approx(full)


# --- invalid matrices ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.eye(2), r"must be 3 x 3, one row and one column per category \[1, 2, 3\]; got shape \(2, 2\)"),
        ([[1, 0.5, 0], [0.5, 1, 0.5]], r"must be 3 x 3"),
        ([[1, 1.5, 0], [1.5, 1, 0], [0, 0, 1]], r"between 0 \(no credit\) and 1 .* w\[0, 1\] \(1 vs 2\) is 1.5"),
        ([[1, -0.5, 0], [-0.5, 1, 0], [0, 0, 1]], r"w\[0, 1\] \(1 vs 2\) is -0.5"),
        ([[1, 0, 0], [0, 0.9, 0], [0, 0, 1]], r"needs 1 on its diagonal .* w\[1, 1\] \(2\) is 0.9"),
        ([[1, 0.5, 0], [0.2, 1, 0], [0, 0, 1]], r"must be symmetric .* w\[0, 1\] = 0.5 but w\[1, 0\] = 0.2"),
        ([[1, np.nan, 0], [np.nan, 1, 0], [0, 0, 1]], r"numbers between 0 and 1; w\[0, 1\] is nan"),
    ],
)
def test_invalid_matrices_are_refused_with_what_is_wrong(matrix, message):
    with pytest.raises(ValueError, match=message):
        ag.weights_matrix(matrix, [1, 2, 3])
    with pytest.raises(ValueError, match=message.split(" ")[0]):
        ag.cohen_kappa([[1, 2], [2, 2], [3, 3]], weights=matrix)


def test_unknown_scheme_and_non_numeric_matrix():
    with pytest.raises(ValueError, match=r"weights must be None, 'linear', 'quadratic', 'ordinal', .* or a 3 x 3"):
        ag.weights_matrix("cubic", [1, 2, 3])
    with pytest.raises(TypeError, match="matrix of numbers"):
        ag.weights_matrix([["a", "b"], ["c", "d"]], [1, 2])
    with pytest.raises(ValueError, match="distinct"):
        ag.weights_matrix("linear", [1, 1, 2])


def test_asymmetric_matrix_many_coders_warn_two_coders_refuse():
    # Many-coder coefficients count every pair of coders both ways, so only (W + W') / 2
    # matters: an asymmetric matrix gives the value of its symmetric part, with a warning.
    w = np.array([[1.0, 0.8, 0.0], [0.2, 1.0, 0.5], [0.0, 0.5, 1.0]])
    data = [[1, 2, 2], [2, 2, 3], [3, 3, 3], [1, 1, 2], [2, 3, 3]]
    for fn in (ag.fleiss_kappa, ag.conger_kappa, ag.brennan_prediger, ag.gwet_ac2, ag.percent_agreement):
        with pytest.warns(ag.AgreementWarning, match=r"not symmetric .* uses only \(W \+ W.T\) / 2"):
            value = fn(data, weights=w)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert value == pytest.approx(fn(data, weights=(w + w.T) / 2), abs=1e-14)
    with pytest.raises(ValueError, match="symmetric"):
        ag.cohen_kappa([row[:2] for row in data], weights=w)


def test_alpha_keeps_levels_and_takes_a_distance_matrix():
    cats = [1, 2, 3, 4, 5]
    squared = [[(a - b) ** 2 for b in cats] for a in cats]
    interval = ag.krippendorff_alpha(RAW4RATERS, level="interval")
    assert ag.krippendorff_alpha(RAW4RATERS, distance=squared) == pytest.approx(interval)
    assert ag.krippendorff_alpha(RAW4RATERS, distance=lambda a, b: (a - b) ** 2) == pytest.approx(interval)
    # 1 - quadratic weights is the squared distance over its largest value: alpha does not care about scale
    assert ag.krippendorff_alpha(RAW4RATERS, distance=1 - ag.weights_matrix("quadratic", cats)) == pytest.approx(interval)
    with pytest.raises(ValueError, match="5 x 5"):
        ag.krippendorff_alpha(RAW4RATERS, distance=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="0 on its diagonal"):
        ag.krippendorff_alpha(RAW4RATERS, distance=np.ones((5, 5)))
    with pytest.raises(ValueError, match="symmetric"):
        ag.krippendorff_alpha(RAW4RATERS, distance=np.triu(np.ones((5, 5)), 1))
    with pytest.raises(ValueError, match=">= 0"):
        ag.krippendorff_alpha(RAW4RATERS, distance=-np.array(squared, dtype=float))


def test_weights_in_bootstrap_pairwise_and_report_agree_with_the_coefficient():
    res = ag.bootstrap("fleiss_kappa", RAW4RATERS, n=50, seed=1, weights="ordinal")
    assert res.value == pytest.approx(ag.fleiss_kappa(RAW4RATERS, weights="ordinal"))
    res = ag.bootstrap("percent_agreement", RAW4RATERS, n=50, seed=1, weights="radical")
    assert res.value == pytest.approx(ag.percent_agreement(RAW4RATERS, weights="radical"))
    assert res.ci_low <= res.value <= res.ci_high
    table = ag.pairwise("cohen_kappa", pd.DataFrame(RAW4RATERS).iloc[:9, :2], weights="bipolar", categories=[1, 2, 3, 4, 5])
    assert math.isfinite(table.iloc[0, 1])
