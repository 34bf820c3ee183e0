"""Tests for workbench.agreement: published reference values, hard cases, input forms.

Every reference value names its source next to it. Where a value comes from software
(irr, irrCAC) rather than a paper, the software is the source and the paper it follows
is named too.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import workbench.agreement as ag
from workbench.agreement import _data
from workbench.agreement import _kernels as core

nan = np.nan

# Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability, section C
# ("nominal data, any number of observers, missing data"): 4 observers (columns) x 12 units.
KRIPP_2011 = np.array(
    [
        [1, 1, nan, 1],
        [2, 2, 3, 2],
        [3, 3, 3, 3],
        [3, 3, 3, 3],
        [2, 2, 2, 2],
        [1, 2, 3, 4],
        [4, 4, 4, 4],
        [1, 1, 2, 1],
        [2, 2, 2, 2],
        [nan, 5, 5, 5],
        [nan, nan, 1, 1],
        [nan, 3, nan, nan],
    ]
)

# Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed., p. 120: 4 raters x 12
# units, categories 1-5 (irrCAC's cac.raw4raters). Same as Krippendorff's but unit 12's
# lone rating is rater 3's.
GWET_4RATERS = [
    [1, 1, None, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [None, 5, 5, 5],
    [None, None, 1, 1],
    [None, None, 3, None],
]

# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
# Bulletin 76(5), Table 1: 30 patients, 6 psychiatrists each, 1=depression, 2=personality
# disorder, 3=schizophrenia, 4=neurosis, 5=other (the layout of irr's `diagnoses`).
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]
)  # fmt: skip

# irr (R) data set `anxiety`: 20 subjects x 3 raters, scores 1-6 (Gamer et al., irr package).
ANXIETY = np.array(
    [[3, 3, 2], [3, 6, 1], [3, 4, 4], [4, 6, 4], [5, 2, 3], [5, 4, 2], [2, 2, 1], [3, 4, 6], [5, 3, 1], [2, 3, 1],
     [2, 2, 1], [6, 3, 2], [1, 3, 3], [5, 3, 3], [2, 2, 1], [2, 2, 1], [1, 1, 3], [2, 3, 3], [4, 3, 2], [3, 4, 2]]
)  # fmt: skip


def long_form(table: np.ndarray) -> pd.DataFrame:
    rows = [
        {"unit_id": f"u{i}", "coder": f"c{j}", "code": v}
        for i, row in enumerate(table)
        for j, v in enumerate(row)
        if not (v is None or (isinstance(v, float) and math.isnan(v)))
    ]
    return pd.DataFrame(rows)


def alpha_by_pairs(table, distance) -> float:
    """Alpha straight from its definition over pairs of values (Krippendorff 2011, eq. for D_o and D_e).

    Independent of the coincidence-matrix code: D_o averages the distance over pairs of values
    from different coders in the same unit, each unit weighted 1/(m_u - 1); D_e over all pairs
    of pairable values.
    """
    units = [[v for v in row if v is not None and not (isinstance(v, float) and math.isnan(v))] for row in table]
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    d_o = sum(distance(a, b) / (len(u) - 1) for u in units for a, b in itertools.permutations(u, 2)) / n
    d_e = sum(distance(a, b) for a, b in itertools.permutations(values, 2)) / (n * (n - 1))
    return 1 - d_o / d_e


# --- Krippendorff's alpha ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("level", "published"),
    # Krippendorff (2011), section C and its ordinal/interval/ratio variants (p. 8):
    # alpha = .743 nominal, .815 ordinal, .849 interval, .797 ratio.
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_krippendorff_2011_all_levels(level, published):
    value = ag.krippendorff_alpha(KRIPP_2011, level=level)
    assert round(value, 3) == published


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_krippendorff_package(level):
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(7)
    data = rng.integers(1, 6, (400, 4)).astype(float)
    data[:, 1] = np.where(rng.random(400) < 0.7, data[:, 0], data[:, 1])
    data[rng.random(data.shape) < 0.25] = np.nan
    ours = ag.krippendorff_alpha(data, level=level)
    theirs = krippendorff.alpha(reliability_data=data.T, level_of_measurement=level)
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_alpha_many_coders_uses_matrix_path_and_agrees_with_pairs():
    # More coders than the pairwise-bincount threshold: the counts x matrix-product path.
    rng = np.random.default_rng(3)
    data = rng.integers(0, 3, (60, core._PAIRWISE_MAX_CODERS + 3)).astype(float)
    data[rng.random(data.shape) < 0.3] = np.nan
    expected = alpha_by_pairs(data.tolist(), lambda a, b: float(a != b))
    assert ag.krippendorff_alpha(data) == pytest.approx(expected, abs=1e-12)


def test_alpha_long_dataframe_and_wide_forms_agree():
    long = long_form(KRIPP_2011)
    wide = pd.DataFrame(KRIPP_2011, columns=["A", "B", "C", "D"])
    as_list = [[None if math.isnan(v) else int(v) for v in row] for row in KRIPP_2011]
    a = ag.krippendorff_alpha(long, unit="unit_id", coder="coder", value="code")
    assert a == pytest.approx(ag.krippendorff_alpha(wide))
    assert a == pytest.approx(ag.krippendorff_alpha(as_list))
    assert round(a, 3) == 0.743  # Krippendorff (2011)


def test_alpha_string_values_and_ordinal_needs_order():
    labels = {1: "none", 2: "low", 3: "mid", 4: "high", 5: "top"}
    strings = [[None if math.isnan(v) else labels[int(v)] for v in row] for row in KRIPP_2011]
    assert round(ag.krippendorff_alpha(strings), 3) == 0.743  # nominal does not care about order
    order = ["none", "low", "mid", "high", "top"]
    assert round(ag.krippendorff_alpha(strings, level="ordinal", categories=order), 3) == 0.815
    with pytest.raises(TypeError, match="numeric"):
        ag.krippendorff_alpha(strings, level="interval")


def test_alpha_units_coded_once_are_excluded():
    # Adding units coded by a single coder changes nothing (they have no pairable values).
    extra = np.vstack([KRIPP_2011, [[4, nan, nan, nan], [nan, nan, 2, nan]]])
    assert ag.krippendorff_alpha(extra) == pytest.approx(ag.krippendorff_alpha(KRIPP_2011))


def test_alpha_custom_distance_equals_interval():
    squared = ag.krippendorff_alpha(KRIPP_2011, distance=lambda a, b: (a - b) ** 2)
    assert squared == pytest.approx(ag.krippendorff_alpha(KRIPP_2011, level="interval"))


# --- multi-label -------------------------------------------------------------------------------
def test_masi_distance_passonneau_weights():
    # Passonneau (2006): MASI = 1 - J * M, M = 1 (equal), 2/3 (subset), 1/3 (overlap), 0 (disjoint).
    assert ag.masi_distance({"a", "b"}, {"a", "b"}) == 0
    assert ag.masi_distance({"a", "b"}, {"a"}) == pytest.approx(1 - (1 / 2) * (2 / 3))
    assert ag.masi_distance({"a", "b"}, {"a", "c"}) == pytest.approx(1 - (1 / 3) * (1 / 3))
    assert ag.masi_distance({"a"}, {"b"}) == 1
    assert ag.masi_distance(set(), set()) == 0
    assert ag.masi_distance(set(), {"a"}) == 1
    assert ag.jaccard_distance({"a", "b"}, {"a", "c"}) == pytest.approx(2 / 3)


SETS = [
    [{"val"}, {"val"}, {"val", "thx"}],
    [{"def"}, {"def", "sys"}, None],
    [{"thx"}, {"thx"}, {"thx"}],
    [set(), {"sys"}, {"sys"}],
    [{"val", "thx"}, {"val"}, {"thx"}],
    [{"sys"}, None, {"sys", "def"}],
    [{"def"}, {"def"}, None],
]


@pytest.mark.parametrize("distance", ["masi", "jaccard"])
def test_alpha_set_distances_agree_with_the_pair_definition(distance):
    fn = ag.masi_distance if distance == "masi" else ag.jaccard_distance
    expected = alpha_by_pairs(SETS, fn)
    assert ag.krippendorff_alpha(SETS, distance=distance) == pytest.approx(expected, abs=1e-12)


def test_alpha_on_singletons_with_set_distance_is_nominal_alpha():
    singletons = [[None if math.isnan(v) else {int(v)} for v in row] for row in KRIPP_2011]
    assert ag.krippendorff_alpha(singletons, distance="masi") == pytest.approx(ag.krippendorff_alpha(KRIPP_2011))
    assert ag.krippendorff_alpha(singletons, distance="jaccard") == pytest.approx(0.743, abs=5e-4)


def test_sets_and_single_values_do_not_mix():
    with pytest.raises(TypeError, match="mix sets"):
        ag.krippendorff_alpha([[{"a"}, "a"], [{"b"}, {"b"}]])
    with pytest.raises(TypeError, match="set-valued"):
        ag.krippendorff_alpha(SETS, level="ordinal")


def test_per_code_agreement_binary_values_match_krippendorff_package():
    krippendorff = pytest.importorskip("krippendorff")
    table = ag.per_code_agreement(SETS)
    for code in ["def", "sys", "thx", "val"]:
        binary = np.array([[nan if c is None else float(code in c) for c in row] for row in SETS])
        expected = krippendorff.alpha(reliability_data=binary.T, level_of_measurement="nominal")
        got = table.loc[table["code"] == code, "value"].item()
        assert got == pytest.approx(expected, abs=1e-12)
    overall = table.loc[table["code"] == "(overall)", "value"].item()
    assert overall == pytest.approx(alpha_by_pairs(SETS, ag.masi_distance))


# --- kappa family: published values -----------------------------------------------------------------
def test_fleiss_1971_overall_and_per_category():
    # Fleiss (1971): kappa = .430 for the 30 x 6 diagnoses; per category (p. 381, the values
    # irr::kappam.fleiss(diagnoses, detail=TRUE) prints): .245, .245, .520, .471, .566.
    assert round(ag.fleiss_kappa(FLEISS_1971), 3) == 0.430
    for category, published in zip(range(1, 6), [0.245, 0.245, 0.520, 0.471, 0.566], strict=True):
        assert round(ag.fleiss_kappa((FLEISS_1971 == category).astype(int)), 3) == published


def test_cohen_1960_worked_example():
    # Cohen (1960), Table 1: 200 units, proportions of agreement .44, .20, .06 on the diagonal,
    # marginals .60/.30/.10 (judge A) and .50/.30/.20 (judge B): p_o = .70, p_c = .41,
    # kappa = .492 (p. 41). Kappa depends only on the diagonal and the marginals.
    counts = {(1, 1): 88, (1, 2): 14, (1, 3): 18, (2, 1): 10, (2, 2): 40, (2, 3): 10, (3, 1): 2, (3, 2): 6, (3, 3): 12}
    rows = [[a, b] for (a, b), k in counts.items() for _ in range(k)]
    assert round(ag.percent_agreement(rows), 2) == 0.70
    assert round(ag.cohen_kappa(rows), 3) == 0.492


def test_cohen_weighted_irr_anxiety():
    # irr manual (Gamer et al.), kappa2(anxiety[, 1:2], "squared"): Kappa = 0.297;
    # unweighted kappa2(anxiety[, 1:2]): Kappa = 0.119.
    assert round(ag.cohen_kappa(ANXIETY[:, :2], weights="quadratic"), 3) == 0.297
    assert round(ag.cohen_kappa(ANXIETY[:, :2]), 3) == 0.119


def test_cohen_diagnoses_pair():
    # irr kappa2 on two columns of `diagnoses` (raters 2 and 3), as in pyirr's test suite: 0.631.
    assert round(ag.cohen_kappa(FLEISS_1971[:, [1, 2]]), 3) == 0.631


@pytest.mark.parametrize(
    ("weights", "pa", "ac2", "fleiss", "conger", "bp"),
    # Gwet (2014), 4 raters x 12 units (p. 120), as computed by Gwet's irrCAC (tests of its
    # Python port): AC1/AC2, Fleiss, Conger and Brennan-Prediger, unweighted/linear/quadratic.
    [
        (None, 0.818, 0.775, 0.761, 0.763, 0.773),
        ("linear", 0.939, 0.859, 0.818, 0.814, 0.848),
        ("quadratic", 0.975, 0.914, 0.865, 0.858, 0.902),
    ],
)
def test_gwet_handbook_4raters(weights, pa, ac2, fleiss, conger, bp):
    data = GWET_4RATERS
    if weights is None:
        assert round(ag.percent_agreement(data), 3) == pa
        assert round(ag.gwet_ac1(data), 3) == ac2
        assert ag.gwet_ac2(data, weights=None) == pytest.approx(ag.gwet_ac1(data))
    else:
        assert round(ag.gwet_ac2(data, weights=weights), 3) == ac2
    assert round(ag.fleiss_kappa(data, weights=weights), 3) == fleiss
    assert round(ag.conger_kappa(data, weights=weights), 3) == conger
    assert round(ag.brennan_prediger(data, weights=weights), 3) == bp


def test_gwet_custom_weight_matrix():
    # irrCAC tests, Gwet (2014) 4-rater data with a custom 5 x 5 weight matrix: Conger .763,
    # Brennan-Prediger .773 (pa .886). The matrix is not symmetric: agreement weights by row.
    w = np.array(
        [
            [1.00, 0.75, 0.50, 0.25, 0.00],
            [0.00, 1.00, 0.75, 0.50, 0.25],
            [0.25, 0.00, 1.00, 0.75, 0.50],
            [0.50, 0.25, 0.00, 1.00, 0.75],
            [0.75, 0.50, 0.25, 0.00, 1.00],
        ]
    )
    assert round(ag.conger_kappa(GWET_4RATERS, weights=w), 3) == 0.763
    assert round(ag.brennan_prediger(GWET_4RATERS, weights=w), 3) == 0.773


def test_two_coders_no_missing_identities():
    # With two coders and complete data: Conger = Cohen and Fleiss = Scott (Conger 1980;
    # Fleiss 1971 generalises Scott's pi).
    pair = ANXIETY[:, :2]
    assert ag.conger_kappa(pair) == pytest.approx(ag.cohen_kappa(pair))
    assert ag.fleiss_kappa(pair) == pytest.approx(ag.scott_pi(pair))
    for w in ("linear", "quadratic"):
        assert ag.conger_kappa(pair, weights=w) == pytest.approx(ag.cohen_kappa(pair, weights=w))


def test_explicit_category_order_for_weights():
    # Coders used 1 and 3 but never 2: with categories=[1, 2, 3] the step 1 -> 3 is two steps.
    data = [[1, 1], [1, 3], [3, 3], [3, 3], [1, 1], [3, 1]]
    with_gap = ag.cohen_kappa(data, weights="linear", categories=[1, 2, 3])
    # hand: agreement weights 1 (same), 0 (1 vs 3 at distance 2 of 2); p_o = 4/6, p_e = 1/2
    assert with_gap == pytest.approx((4 / 6 - 1 / 2) / (1 / 2))
    # an unused category at the end does not change Cohen's weighted kappa
    assert ag.cohen_kappa(data, weights="linear", categories=[1, 2, 3, 4]) == pytest.approx(
        1 - (2 / 6) * (2 / 3) / ((1 / 2) * (2 / 3))
    )
    # unweighted kappa ignores the order entirely
    assert ag.cohen_kappa(data, categories=[3, 2, 1]) == pytest.approx(ag.cohen_kappa(data))


def test_brennan_prediger_counts_codebook_categories():
    # Brennan & Prediger (1981): chance agreement 1/q; q from the codebook when given.
    data = [["a", "a"], ["a", "b"], ["b", "b"], ["a", "a"]]
    assert ag.brennan_prediger(data) == pytest.approx((0.75 - 0.5) / 0.5)
    assert ag.brennan_prediger(data, categories=["a", "b", "c", "d"]) == pytest.approx((0.75 - 0.25) / 0.75)


def test_fleiss_varying_coders_missing_is_not_a_category():
    # Missing values never count as a category: replacing NaN by any code would change it.
    data = [["a", "a", None], ["a", "b", "a"], ["b", "b", "b"], ["c", None, None], [None, "c", "c"]]
    # hand (Gwet 2014, eq. 2.9-2.10): pa over units with >= 2 ratings = (1 + 1/3 + 1 + 1) / 4;
    # pi_k averaged over the 5 rated units: a = (1 + 2/3) / 5, b = (1/3 + 1) / 5, c = 2 / 5.
    pa = (1 + 1 / 3 + 1 + 1) / 4
    pi = np.array([(1 + 2 / 3) / 5, (1 / 3 + 1) / 5, 2 / 5])
    pe = (pi**2).sum()
    assert ag.fleiss_kappa(data) == pytest.approx((pa - pe) / (1 - pe))


# --- hard cases ------------------------------------------------------------------------------------
ALL_MEASURES = [
    ag.krippendorff_alpha,
    ag.percent_agreement,
    ag.fleiss_kappa,
    ag.conger_kappa,
    ag.brennan_prediger,
    ag.gwet_ac1,
    ag.gwet_ac2,
]
TWO_CODER = [ag.cohen_kappa, ag.scott_pi]


@pytest.mark.parametrize("fn", ALL_MEASURES + TWO_CODER)
@pytest.mark.parametrize(
    ("data", "why"),
    [
        ([], "empty"),
        (pd.DataFrame(), "empty"),
        (np.full((4, 2), np.nan), "every value is missing"),
        ([[None, None], [None, None]], "every value is missing"),
        ([[1, None], [2, None], [1, None]], "only one coder"),
        ([[1, None], [None, 2], [1, None]], "no unit was coded by two or more coders"),
    ],
)
def test_undefined_inputs_give_nan_and_say_why(fn, data, why):
    with pytest.warns(ag.AgreementWarning, match=why):
        assert math.isnan(fn(data))


@pytest.mark.parametrize("fn", [ag.krippendorff_alpha, ag.fleiss_kappa, ag.conger_kappa, ag.cohen_kappa, ag.scott_pi])
def test_single_value_everywhere_is_undefined(fn):
    with pytest.warns(ag.AgreementWarning, match="every value is 'x'"):
        assert math.isnan(fn([["x", "x"], ["x", "x"], ["x", None]]))


def test_single_value_counts_units_coded_once_in_message():
    with pytest.warns(ag.AgreementWarning, match=r"2 unit\(s\) coded by one coder only"):
        ag.krippendorff_alpha([[1, None], [None, 2], [None, None]])


def test_percent_agreement_and_ac1_are_defined_without_variation():
    # Observed agreement is 1 and AC1's chance agreement is 0 with one category in q=2.
    data = [["x", "x"], ["x", "x"]]
    assert ag.percent_agreement(data) == 1.0
    assert ag.gwet_ac1(data, categories=["x", "y"]) == 1.0


def test_two_coder_measures_refuse_three_coders():
    with pytest.raises(ValueError, match="exactly two coders"):
        ag.cohen_kappa(ANXIETY)
    with pytest.raises(ValueError, match="exactly two coders"):
        ag.scott_pi(ANXIETY)


# --- input checks ------------------------------------------------------------------------------------
def test_input_checks_name_valid_choices():
    with pytest.raises(ValueError, match=r"level must be one of \['nominal', 'ordinal', 'interval', 'ratio'\]"):
        ag.krippendorff_alpha(KRIPP_2011, level="circular")
    with pytest.raises(ValueError, match="masi"):
        ag.krippendorff_alpha(KRIPP_2011, distance="cosine")
    with pytest.raises(ValueError, match="either level= or distance="):
        ag.krippendorff_alpha(KRIPP_2011, level="interval", distance="masi")
    with pytest.raises(ValueError, match="weights must be None, 'linear', 'quadratic'"):
        ag.cohen_kappa(ANXIETY[:, :2], weights="cubic")
    with pytest.raises(ValueError, match="6 x 6"):
        ag.cohen_kappa(ANXIETY[:, :2], weights=np.eye(3))
    with pytest.raises(ValueError, match="not among categories"):
        ag.cohen_kappa(ANXIETY[:, :2], categories=[1, 2, 3])
    with pytest.raises(ValueError, match="also give value="):
        ag.krippendorff_alpha(long_form(KRIPP_2011), unit="unit_id", coder="coder")
    with pytest.raises(ValueError, match=r"column\(s\) \['label'\] not in the DataFrame"):
        ag.krippendorff_alpha(long_form(KRIPP_2011), unit="unit_id", coder="coder", value="label")
    with pytest.raises(TypeError, match="long DataFrame"):
        ag.krippendorff_alpha(KRIPP_2011, unit="u", coder="c", value="v")
    with pytest.raises(ValueError, match="different lengths"):
        ag.krippendorff_alpha([[1, 2], [1]])
    with pytest.raises(ValueError, match="2-D"):
        ag.krippendorff_alpha(np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="units x coders"):
        ag.krippendorff_alpha("not data")


def test_long_table_with_two_rows_for_one_coder_is_refused():
    df = pd.DataFrame({"u": ["a", "a", "b", "b"], "c": ["x", "x", "x", "y"], "v": [1, 2, 1, 1]})
    with pytest.raises(ValueError, match="more than one row for coder 'x'"):
        ag.krippendorff_alpha(df, unit="u", coder="c", value="v")


# --- bootstrap --------------------------------------------------------------------------------------
BOOT_DATA = np.tile(np.array([[1, 1, 1], [2, 2, 1], [3, 3, 3], [1, 2, 2], [2, 2, 2], [3, 1, 3]], float), (40, 1))


def test_bootstrap_is_reproducible_and_seeded():
    a = ag.bootstrap("alpha", BOOT_DATA, n=500, seed=11)
    b = ag.bootstrap(ag.krippendorff_alpha, BOOT_DATA, n=500, seed=11)
    c = ag.bootstrap("alpha", BOOT_DATA, n=500, seed=12)
    assert np.array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)
    assert a.value == pytest.approx(ag.krippendorff_alpha(BOOT_DATA))
    assert a.ci_low < a.value < a.ci_high
    assert a.method == "krippendorff" and a.n == 500 and a.samples.shape == (500,)
    assert set(a.to_dict()) >= {"value", "ci_low", "ci_high", "samples"}


def test_bootstrap_alpha_spread_follows_the_number_of_pairs_drawn():
    # Krippendorff's algorithm: each resample is 1 - mean(delta over M drawn pairs) / D_e, so
    # its standard deviation is sd(delta under p_ck) / (sqrt(M) * D_e); M = min(25 q, (m-1) n / 2).
    coded = _data.encode(BOOT_DATA, None, None, None)
    parts, _ = core.alpha_parts(coded)
    iu, ju = np.triu_indices(len(parts.o))
    p = np.where(iu == ju, parts.o[iu, ju], 2 * parts.o[iu, ju]) / parts.n
    d = parts.delta[iu, ju]
    sd_delta = math.sqrt((p * d**2).sum() - (p * d).sum() ** 2)
    q = int((parts.o > 0).sum())
    for cap, m_pairs in ((True, min(25 * q, (3 - 1) * parts.n / 2)), (False, (3 - 1) * parts.n / 2)):
        res = ag.bootstrap("alpha", BOOT_DATA, n=4000, seed=5, cap=cap)
        expected_sd = sd_delta / (math.sqrt(int(m_pairs)) * parts.d_e)
        assert np.std(res.samples) == pytest.approx(expected_sd, rel=0.08)
        assert np.mean(res.samples) == pytest.approx(res.value, abs=3 * expected_sd / math.sqrt(4000) + 1e-3)


def test_bootstrap_confidence_interval_order_statistics():
    res = ag.bootstrap("alpha", BOOT_DATA, n=1000, seed=3)
    s = np.sort(res.samples)
    # KALPHA: the 25th and the 976th of 1,000 sorted values.
    assert (res.ci_low, res.ci_high) == (s[24], s[975])
    assert res.prob_below(res.ci_low) <= 0.024  # at most 24 values lie strictly below the 25th


@pytest.mark.parametrize(
    "measure", ["fleiss_kappa", "conger_kappa", "gwet_ac1", "gwet_ac2", "brennan_prediger", "percent_agreement"]
)
def test_bootstrap_other_measures_resample_units(measure):
    res = ag.bootstrap(measure, BOOT_DATA, n=300, seed=2)
    assert res.method == "units"
    assert res.value == pytest.approx(getattr(ag, measure)(BOOT_DATA))
    assert res.ci_low <= res.value <= res.ci_high
    again = ag.bootstrap(measure, BOOT_DATA, n=300, seed=2)
    assert np.array_equal(res.samples, again.samples)


def test_bootstrap_units_equals_recomputing_on_resampled_units():
    # The vectorised resampling must equal recomputing the coefficient on each resample.
    pair = BOOT_DATA[:, :2]
    res = ag.bootstrap("cohen_kappa", pair, n=20, seed=9, weights="linear")
    rng = np.random.default_rng(9)
    for b, counts in enumerate(next(core._resample_counts(len(pair), 20, rng))):
        resampled = np.repeat(pair, counts.astype(int), axis=0)
        assert res.samples[b] == pytest.approx(ag.cohen_kappa(resampled, weights="linear"))


def test_bootstrap_undefined_and_bad_arguments():
    with pytest.warns(ag.AgreementWarning, match="every value is"):
        res = ag.bootstrap("alpha", [[1, 1], [1, 1]], n=10)
    assert math.isnan(res.value) and math.isnan(res.ci_low)
    with pytest.raises(ValueError, match="unknown measure 'beta'"):
        ag.bootstrap("beta", BOOT_DATA)
    with pytest.raises(ValueError, match="positive integer"):
        ag.bootstrap("alpha", BOOT_DATA, n=0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ag.bootstrap("alpha", BOOT_DATA, confidence=95)
    with pytest.raises(TypeError, match="does not take"):
        ag.bootstrap("gwet_ac1", BOOT_DATA, weights="linear")


# --- tables ----------------------------------------------------------------------------------------
def test_coincidence_matrix_totals_and_symmetry():
    o = ag.coincidence_matrix(KRIPP_2011)
    assert list(o.index) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert np.allclose(o.to_numpy(), o.to_numpy().T)
    # Krippendorff (2011): n = 40 pairable values (unit 12's lone value is left out).
    assert o.to_numpy().sum() == pytest.approx(40)
    # unit 6 (1, 2, 3, 4) puts 1/3 in each off-diagonal cell among 1-4; unit 2 (2, 2, 3, 2) 1 in 2-3
    assert o.loc[1.0, 4.0] == pytest.approx(1 / 3)
    assert o.loc[2.0, 3.0] == pytest.approx(1 + 1 / 3)


def test_confusion_matrix_and_pairwise():
    df = pd.DataFrame(ANXIETY, columns=["r1", "r2", "r3"])
    cm = ag.confusion_matrix(df[["r1", "r2"]])
    assert cm.index.name == "r1" and cm.columns.name == "r2"
    assert cm.to_numpy().sum() == 20
    assert cm.loc[2, 2] == 4  # units 7, 11, 15, 16
    table = ag.pairwise("cohen_kappa", df, weights="quadratic")
    assert table.loc["r1", "r2"] == pytest.approx(ag.cohen_kappa(df[["r1", "r2"]], weights="quadratic"))
    assert table.loc["r2", "r3"] == table.loc["r3", "r2"]
    assert np.isnan(np.diag(table.to_numpy())).all()
    with pytest.raises(ValueError, match="exactly two coders"):
        ag.confusion_matrix(df)


def test_disagreements_lists_who_said_what():
    df = pd.DataFrame(
        {"ann": ["a", "b", "c", None], "ben": ["a", "c", "c", "d"], "cat": ["a", "b", None, None]},
        index=["u1", "u2", "u3", "u4"],
    )
    out = ag.disagreements(df)
    assert list(out.columns) == ["unit", "coder", "value", "n_coders", "n_values", "majority", "contested"]
    assert set(out["unit"]) == {"u2"}  # u1 agrees, u3 agrees, u4 has one coder
    said = dict(zip(out["coder"], out["value"], strict=True))
    assert said == {"ann": "b", "ben": "c", "cat": "b"}
    # two of the three pairs differ
    assert out["contested"].tolist() == pytest.approx([2 / 3] * 3)
    assert out["majority"].tolist() == [True, False, True]
    # sets: MASI (Passonneau 2006): {} vs {b} is 1, {a, b} vs {a} is 1 - (1/2)(2/3) = 2/3; most contested first
    sets = ag.disagreements([[{"a", "b"}, {"a"}], [{"a"}, {"a"}], [set(), {"b"}]])
    assert list(sets["unit"]) == [2, 2, 0, 0]
    assert list(sets["value"]) == ["", "b", "a, b", "a"]
    assert sets["contested"].tolist() == pytest.approx([1, 1, 2 / 3, 2 / 3])
    nominal = ag.disagreements([[{"a", "b"}, {"a"}], [set(), {"b"}]], distance="nominal")
    assert nominal["contested"].tolist() == pytest.approx([1, 1, 1, 1])


def test_disagreements_long_data_keep_their_column_names_and_wide_form():
    long = pd.DataFrame({"unit_id": ["u1", "u1", "u2", "u2", "u2", "u3"],
                         "coder": ["ann", "ben", "ann", "ben", "cat", "ann"],
                         "codes": ["x", "y", "x", "x", "y", "z"]})
    out = ag.disagreements(long, unit="unit_id", coder="coder", value="codes")
    assert list(out.columns[:3]) == ["unit_id", "coder", "codes"]
    assert out["unit_id"].tolist() == ["u1", "u1", "u2", "u2", "u2"]  # 1.0 before 2/3
    wide = ag.disagreements(long, unit="unit_id", coder="coder", value="codes", wide=True)
    assert list(wide.columns) == ["unit_id", "n_coders", "n_values", "contested", "codes_by_coder",
                                  "codes:ann", "codes:ben", "codes:cat"]
    assert wide["codes_by_coder"].tolist() == ["ann: x; ben: y", "ann: x; ben: x; cat: y"]
    assert wide.loc[0, "codes:cat"] is None and wide.loc[1, "codes:cat"] == "y"
    assert wide["n_values"].tolist() == [2, 2]
    with pytest.raises(ValueError, match="distance must be one of"):
        ag.disagreements(long, unit="unit_id", coder="coder", value="codes", distance="euclid")
    assert ag.disagreements([[1, 1], [2, 2]]).empty
    assert ag.disagreements([[1, 1], [2, 2]], wide=True).empty


def test_interpretation_bands():
    # Krippendorff (2004, p. 241): rely on alpha >= .800, tentative conclusions for .667-.800.
    assert ag.interpret(0.80, "alpha").startswith("acceptable")
    assert ag.interpret(0.70, "alpha").startswith("tentative")
    assert ag.interpret(0.60, "alpha").startswith("unacceptable")
    # Landis & Koch (1977): .00-.20 slight, .21-.40 fair, .41-.60 moderate, .61-.80 substantial.
    expected = {-0.1: "poor", 0.2: "slight", 0.35: "fair", 0.6: "moderate", 0.61: "substantial", 0.95: "almost perfect"}
    for value, band in expected.items():
        assert ag.interpret(value, "fleiss_kappa") == f"{band} (Landis & Koch 1977)"
    assert ag.interpret(float("nan"), "alpha") == "undefined"


def test_public_api_is_declared():
    for name in ag.__all__:
        assert hasattr(ag, name), name
    from workbench.agreement._measures import _REGISTRY

    assert set(ag.MEASURES) == set(_REGISTRY)


def test_no_warning_for_well_defined_data():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in ALL_MEASURES:
            fn(GWET_4RATERS)
