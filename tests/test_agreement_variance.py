"""Tests for workbench.agreement.variance: Gwet's standard errors, intervals and p-values.

Every expected value is printed by irrCAC, Gwet's R package, or by its Python port:

* irrCAC README (GitHub kgwet/irrCAC, version 1.4, output regenerated 2026): the
  unweighted coefficients on ``cont3x3abstractors`` (``*.table``), ``distrib.6raters``
  (``*.dist``) and ``cac.raw4raters`` (``*.raw``), with ``coeff.se``, ``conf.int`` and the
  one-sided ``p.value`` that irrCAC prints since its 2021-11-30 revision;
* irrCAC 1.0 (CRAN 2019-09-23), vignettes ``overview.html`` and ``weighting.html``: the
  same with quadratic weights; 1.0 printed two-sided p-values (twice the one-sided ones);
* afergadis/irrCAC 0.4.4 (the Python port, made with Gwet's permission), tests
  ``test/unit/irrCAC/raw/test_{gwet,conger,bp,fleiss}.py``: the other weighting schemes on
  ``cac.raw4raters`` and the two-rater data ``cac.ben.gerry`` (3 decimals; two-sided p).
"""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest

import workbench.agreement as ag
from workbench.agreement.variance import t_cdf, t_quantile

TYPES = ["Ectopic", "AIU", "NIU"]
CONT3X3 = ag.from_contingency(pd.DataFrame([[13, 0, 0], [0, 20, 7], [0, 4, 56]], index=TYPES, columns=TYPES))
DISTRIB6 = ag.from_counts(
    [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
     [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
     [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]]
)  # fmt: skip
RAW4RATERS = [
    [1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1], [None, None, 3, None],
]  # fmt: skip
# irrCAC's cac.ben.gerry[, c("Ben", "Gerry")]: 12 units, Gerry did not rate unit 10
BEN_GERRY = [["a", "b"], ["a", "a"], ["b", "b"], ["b", "b"], ["d", "b"], ["c", "c"],
             ["c", "c"], ["c", "c"], ["e", "e"], ["d", None], ["d", "d"], ["a", "d"]]  # fmt: skip


def rows(out: pd.DataFrame) -> dict[str, pd.Series]:
    return {r["coefficient"]: r for _, r in out.iterrows()}


def _half_unit(printed: float) -> float:
    """Half a unit in the last digit irrCAC printed (0.8493305 -> 5e-8)."""
    text = repr(printed)
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return 0.5 * 10.0**-decimals + 1e-12


def check(row: pd.Series, value: float, se: float, ci: tuple[float, float]) -> None:
    """Compare to irrCAC's printed value and se (to the digits printed) and interval (3 decimals)."""
    assert row["value"] == pytest.approx(value, abs=_half_unit(value))
    assert row["se"] == pytest.approx(se, abs=_half_unit(se))
    assert (round(row["ci_low"], 3), round(row["ci_high"], 3)) == pytest.approx(ci, abs=1e-9)


def test_student_t():
    # Tables of Student's t: t(0.975; 11) = 2.200985, t(0.975; 99) = 1.984217, t(0.995; 3) = 5.840909
    assert t_quantile(0.975, 11) == pytest.approx(2.200985, abs=1e-6)
    assert t_quantile(0.975, 99) == pytest.approx(1.984217, abs=1e-6)
    assert t_quantile(0.995, 3) == pytest.approx(5.840909, abs=1e-6)
    assert t_quantile(0.025, 14) == pytest.approx(-2.144787, abs=1e-6)
    assert t_cdf(0.0, 5) == 0.5
    assert t_cdf(1.0, 1) == pytest.approx(0.75)  # Cauchy
    assert t_cdf(1.959964, 10**6) == pytest.approx(0.975, abs=1e-5)


def test_contingency_table_unweighted():
    # irrCAC README: kappa2.table(cont3x3abstractors) 0.7964094 0.05891072 (0.68,0.913); scott2.table
    # 0.7962397 0.05905473 (0.679,0.913); gwet.ac1.table 0.8493305 0.04321747 (0.764,0.935);
    # bp2.table 0.835 0.04693346 (0.742,0.928); pa2.table 0.89 0.03128898 (0.828,0.952).
    r = rows(ag.standard_errors(CONT3X3))
    assert list(r) == ["percent_agreement", "cohen_kappa", "scott_pi", "brennan_prediger", "gwet_ac1"]
    check(r["cohen_kappa"], 0.7964094, 0.05891072, (0.680, 0.913))
    check(r["scott_pi"], 0.7962397, 0.05905473, (0.679, 0.913))
    check(r["gwet_ac1"], 0.8493305, 0.04321747, (0.764, 0.935))
    check(r["brennan_prediger"], 0.835, 0.04693346, (0.742, 0.928))
    check(r["percent_agreement"], 0.89, 0.03128898, (0.828, 0.952))
    assert (r["cohen_kappa"]["n_units"], r["percent_agreement"]["pe"]) == (100, 0.0)
    assert r["cohen_kappa"]["p_value"] < 1e-10  # irrCAC prints 0e+00


def test_contingency_table_quadratic():
    # irrCAC 1.0 weighting vignette, weights = quadratic.weights(1:3): Cohen 0.8921569 0.03535151
    # (0.822,0.962); Scott 0.8921093 0.03539506 (0.822,0.962); AC2 0.9402369 0.01792019 (0.905,0.976);
    # BP 0.9175 0.02346673 (0.871,0.964); pa 0.9725 0.007822244 (0.957,0.988).
    r = rows(ag.standard_errors(CONT3X3, weights="quadratic"))
    check(r["cohen_kappa"], 0.8921569, 0.03535151, (0.822, 0.962))
    check(r["scott_pi"], 0.8921093, 0.03539506, (0.822, 0.962))
    check(r["gwet_ac2"], 0.9402369, 0.01792019, (0.905, 0.976))
    check(r["brennan_prediger"], 0.9175, 0.02346673, (0.871, 0.964))
    check(r["percent_agreement"], 0.9725, 0.007822244, (0.957, 0.988))


def test_raw_ratings_unweighted():
    # irrCAC README (version 1.4), cac.raw4raters: coeff.val, coeff.se (5 decimals), conf.int, p.value
    printed = {
        "percent_agreement": (0.8181818, 0.12561, (0.542, 1), 2.172686e-05, 0.0),
        "gwet_ac1": (0.77544, 0.14295, (0.461, 1), 0.0001043605, 0.1903212),
        "fleiss_kappa": (0.76117, 0.15302, (0.424, 1), 0.0002095865, 0.2387153),
        "conger_kappa": (0.76282, 0.14917, (0.435, 1), 0.0001683533, 0.2334252),
        "brennan_prediger": (0.77273, 0.14472, (0.454, 1), 0.0001187804, 0.2),
    }
    r = rows(ag.standard_errors(RAW4RATERS))
    assert set(r) == set(printed)
    for name, (value, se, ci, p, pe) in printed.items():
        check(r[name], value, se, ci)
        assert r[name]["p_value"] == pytest.approx(p, rel=1e-6), name
        assert r[name]["pe"] == pytest.approx(pe, abs=5e-8), name
        assert r[name]["pa"] == pytest.approx(0.8181818, abs=5e-8)
        assert r[name]["n_units"] == 12


def test_raw_ratings_quadratic_and_two_sided_p_of_irrcac_1_0():
    # irrCAC 1.0 weighting vignette, cac.raw4raters, weights = "quadratic" (two-sided p-values):
    printed = {
        "percent_agreement": (0.9753788, 0.09062, (0.776, 1), 3.526377e-07, 0.0),
        "gwet_ac2": (0.91400, 0.10396, (0.685, 1), 2.634438e-06, 0.7137044),
        "fleiss_kappa": (0.86494, 0.14603, (0.544, 1), 9.976081e-05, 0.8177083),
        "conger_kappa": (0.85771, 0.14367, (0.541, 1), 9.319979e-05, 0.8269638),
        "brennan_prediger": (0.90152, 0.11089, (0.657, 1), 5.60548e-06, 0.75),
    }
    r = rows(ag.standard_errors(RAW4RATERS, weights="quadratic"))
    assert set(r) == set(printed)
    for name, (value, se, ci, p_two_sided, pe) in printed.items():
        check(r[name], value, se, ci)
        assert 2 * r[name]["p_value"] == pytest.approx(p_two_sided, rel=1e-5), name
        assert r[name]["pe"] == pytest.approx(pe, abs=5e-8), name


@pytest.mark.parametrize(
    ("weights", "gwet", "conger", "bp", "fleiss"),
    # afergadis/irrCAC 0.4.4 tests, cac.raw4raters: (value, se, ci_low) for AC2, Conger, BP, Fleiss
    [
        ("linear", (0.859, 0.117, 0.600), (0.814, 0.145, 0.494), (0.848, 0.123, 0.577), (0.818, 0.149, 0.491)),
        ("ordinal", (0.899, 0.107, 0.664), (0.844, 0.144, 0.526), (0.886, 0.114, 0.636), (0.850, 0.147, 0.527)),
        ("radical", (0.820, 0.128, 0.537), (0.788, 0.146, 0.466), (0.813, 0.133, 0.520), (0.790, 0.150, 0.460)),
        ("ratio", (0.857, 0.122, 0.589), (0.812, 0.149, 0.485), (0.840, 0.132, 0.549), (0.821, 0.152, 0.486)),
        ("circular", (0.830, 0.133, 0.538), (0.805, 0.147, 0.481), (0.824, 0.137, 0.522), (0.807, 0.149, 0.479)),
        ("bipolar", (0.900, 0.106, 0.667), (0.845, 0.142, 0.532), (0.888, 0.112, 0.641), (0.853, 0.145, 0.535)),
    ],
)
def test_raw_ratings_every_scheme(weights, gwet, conger, bp, fleiss):
    names = ["gwet_ac2", "conger_kappa", "brennan_prediger", "fleiss_kappa"]
    r = rows(ag.standard_errors(RAW4RATERS, names, weights=weights))
    for name, (value, se, lo) in zip(names, (gwet, conger, bp, fleiss)):
        got = r[name]
        assert (round(got["value"], 3), round(got["se"], 3), round(got["ci_low"], 3)) == (value, se, lo), name
        assert got["ci_high"] == 1.0


def test_two_raters_with_a_missing_rating():
    # afergadis/irrCAC 0.4.4 tests, cac.ben.gerry (gwet.ac1.raw, conger.kappa.raw, bp.coeff.raw):
    # AC1 .661 se .184 (.257, 1); Conger .657 se .179 (.262, 1); BP .659 se .185 (.251, 1); pa .727;
    # two-sided p .00420 and .00374 (the port's BP p-value, .00225, is one-sided, unlike its others).
    r = rows(ag.standard_errors(BEN_GERRY))
    for name, (value, se, lo, p) in {
        "gwet_ac1": (0.661, 0.184, 0.257, 0.00420),
        "conger_kappa": (0.657, 0.179, 0.262, 0.00374),
        "brennan_prediger": (0.659, 0.185, 0.251, 2 * 0.00225),
    }.items():
        got = r[name]
        assert (round(got["value"], 3), round(got["se"], 3), round(got["ci_low"], 3)) == (value, se, lo), name
        assert round(2 * got["p_value"], 5) == pytest.approx(p, abs=1.5e-5), name
        assert round(got["pa"], 3) == 0.727 and got["n_units"] == 12
    # Cohen's kappa and Scott's pi: the two-rater formulas on the 11 units both coded, the same
    # as for the contingency table of those units
    table = ag.from_contingency(ag.confusion_matrix(BEN_GERRY))
    for name in ("cohen_kappa", "scott_pi"):
        via_table = rows(ag.standard_errors(table, [name]))[name]
        assert r[name]["n_units"] == 11
        for col in ("value", "se", "ci_low", "ci_high", "p_value", "pa", "pe"):
            assert r[name][col] == pytest.approx(via_table[col], abs=1e-14), (name, col)
    assert r["cohen_kappa"]["value"] == pytest.approx(ag.cohen_kappa(BEN_GERRY))


def test_counts_unweighted_and_quadratic():
    # irrCAC README (1.4), distrib.6raters: gwet.ac1.dist 0.4448007 0.08418757 (0.264,0.625) p 5.779637e-05;
    # fleiss.kappa.dist 0.4139265 0.08119291 (0.24,0.588) 8.113618e-05; bp.coeff.dist 0.4388889
    # 0.08312142 (0.261,0.617) 5.814998e-05.
    r = rows(ag.standard_errors(DISTRIB6))
    assert list(r) == ["percent_agreement", "fleiss_kappa", "brennan_prediger", "gwet_ac1"]
    for name, (value, se, ci, p) in {
        "gwet_ac1": (0.4448007, 0.08418757, (0.264, 0.625), 5.779637e-05),
        "fleiss_kappa": (0.4139265, 0.08119291, (0.240, 0.588), 8.113618e-05),
        "brennan_prediger": (0.4388889, 0.08312142, (0.261, 0.617), 5.814998e-05),
    }.items():
        check(r[name], value, se, ci)
        assert r[name]["p_value"] == pytest.approx(p, rel=1e-6)
        assert r[name]["pa"] == pytest.approx(0.5511111, abs=5e-8)
    # irrCAC 1.0 weighting vignette, weights = quadratic.weights(1:5), two-sided p-values:
    r = rows(ag.standard_errors(DISTRIB6, weights="quadratic"))
    for name, (value, se, ci, p_two, pe) in {
        "gwet_ac2": (0.4837438, 0.1058227, (0.257, 0.711), 0.0004356618, 0.7180556),
        "fleiss_kappa": (0.2511909, 0.1457381, (-0.061, 0.564), 0.1067865, 0.8056173),
        "brennan_prediger": (0.4177778, 0.1067493, (0.189, 0.647), 0.001559352, 0.75),
    }.items():
        check(r[name], value, se, ci)
        assert 2 * r[name]["p_value"] == pytest.approx(p_two, rel=1e-5)
        assert r[name]["pe"] == pytest.approx(pe, abs=5e-8)
        assert r[name]["pa"] == pytest.approx(0.8544444, abs=5e-8)


def test_finite_population_confidence_and_long_data():
    full = rows(ag.standard_errors(RAW4RATERS))["fleiss_kappa"]
    # irrCAC: var * (1 - n/N)
    finite = rows(ag.standard_errors(RAW4RATERS, ["fleiss_kappa"], population=48))["fleiss_kappa"]
    assert finite["se"] == pytest.approx(full["se"] * math.sqrt(1 - 12 / 48))
    assert finite["value"] == full["value"]
    narrow = rows(ag.standard_errors(RAW4RATERS, ["fleiss_kappa"], confidence=0.5))["fleiss_kappa"]
    half = t_quantile(0.75, 11) * full["se"]
    assert (narrow["ci_low"], narrow["ci_high"]) == pytest.approx((full["value"] - half, full["value"] + half))
    long = pd.DataFrame(
        [(i, c, v) for i, row in enumerate(RAW4RATERS) for c, v in enumerate(row) if v is not None],
        columns=["unit_id", "coder", "code"],
    )
    via_long = ag.standard_errors(long, unit="unit_id", coder="coder", value="code")
    pd.testing.assert_frame_equal(via_long, ag.standard_errors(RAW4RATERS))


def test_se_shrinks_like_one_over_root_n():
    # Replicating every unit k times multiplies n by k: the linearised variance falls by about k
    # (exactly (n - 1) / (k n - 1) for the unit-level formulas).
    base = rows(ag.standard_errors(RAW4RATERS, ["conger_kappa", "gwet_ac1", "fleiss_kappa"]))
    big = rows(ag.standard_errors(RAW4RATERS * 4, ["conger_kappa", "gwet_ac1", "fleiss_kappa"]))
    for name in base:
        assert big[name]["value"] == pytest.approx(base[name]["value"])
        assert big[name]["se"] ** 2 == pytest.approx(base[name]["se"] ** 2 * 11 / 47, rel=1e-9), name


def test_bad_arguments_and_undefined_rows():
    with pytest.raises(ValueError, match="no variance formula for \\['alpha'\\]"):
        ag.standard_errors(RAW4RATERS, ["alpha"])
    with pytest.raises(ValueError, match="gwet_ac1 is unweighted"):
        ag.standard_errors(RAW4RATERS, ["gwet_ac1"], weights="linear")
    with pytest.raises(ValueError, match="exactly two coders"):
        ag.standard_errors(RAW4RATERS, ["cohen_kappa"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        ag.standard_errors(RAW4RATERS, confidence=95)
    with pytest.raises(ValueError, match="smaller than the 12 units"):
        ag.standard_errors(RAW4RATERS, population=10)
    with pytest.raises(ValueError, match="which coder"):
        ag.standard_errors(DISTRIB6, ["conger_kappa"])
    with pytest.warns(ag.AgreementWarning, match="fleiss_kappa: every value is 'x'"):
        out = ag.standard_errors([["x", "x"], ["x", "x"]], ["fleiss_kappa", "percent_agreement"])
    r = rows(out)
    assert math.isnan(r["fleiss_kappa"]["value"]) and math.isnan(r["fleiss_kappa"]["se"])
    assert r["percent_agreement"]["value"] == 1.0
    assert list(out.columns) == ag.SE_COLUMNS


def test_gwet_intervals_in_the_reliability_report():
    codings = pd.DataFrame(
        [(f"u{i}", c, f"code{int(v)}") for i, row in enumerate(RAW4RATERS) for c, v in zip("abcd", row) if v is not None],
        columns=["unit_id", "coder", "code"],
    )
    measures = ("alpha", "fleiss_kappa", "gwet_ac1")
    gwet = ag.reliability_table(codings, measures=measures, ci_method="gwet", exclusive_groups={"all": [f"code{k}" for k in range(1, 6)]})
    boot = ag.reliability_table(codings, measures=measures, n_boot=200, exclusive_groups={"all": [f"code{k}" for k in range(1, 6)]})
    pd.testing.assert_series_equal(gwet["value"], boot["value"])
    group = gwet[gwet["code"] == "group:all"].set_index("measure")
    # the exclusive group is the nominal variable 1..5 (plus "(none)", unused): Gwet's intervals
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ag.AgreementWarning)
        expected = rows(ag.standard_errors(RAW4RATERS, ["fleiss_kappa", "gwet_ac1"], categories=[1, 2, 3, 4, 5, 6]))
    for name in ("fleiss_kappa", "gwet_ac1"):
        assert group.loc[name, "value"] == pytest.approx(expected[name]["value"])
        assert (group.loc[name, "ci_low"], group.loc[name, "ci_high"]) == pytest.approx(
            (expected[name]["ci_low"], expected[name]["ci_high"])
        )
    # alpha keeps the bootstrap
    a_g = gwet[(gwet["code"] == "group:all") & (gwet["measure"] == "alpha")].iloc[0]
    a_b = boot[(boot["code"] == "group:all") & (boot["measure"] == "alpha")].iloc[0]
    assert a_g["value"] == pytest.approx(a_b["value"])
    with pytest.raises(ValueError, match="ci_method must be one of"):
        ag.reliability_table(codings, ci_method="jackknife")
