"""Tests for workbench.agreement.reliability_table, the function behind Project.agreement.

The expected values are computed independently of the code under test: per-code and
group values with the ``krippendorff`` package on matrices written out from a hand-built
dict, the overall MASI value straight from alpha's pair definition (Krippendorff 2011).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

import workbench.agreement as ag

krippendorff = pytest.importorskip("krippendorff")

CODERS = ["ann", "ben", "cat"]
STANCE = ["validating", "defensive", "systemic-deflection"]
# unit -> coder -> the set of codes applied (a coder absent from a unit did not code it)
CODED = {
    "u1": {"ann": {"validating"}, "ben": {"validating"}, "cat": {"validating", "gratitude"}},
    "u2": {"ann": {"defensive"}, "ben": {"defensive"}, "cat": {"systemic-deflection"}},
    "u3": {"ann": {"gratitude"}, "ben": {"gratitude", "validating"}},
    "u4": {"ann": {"systemic-deflection"}, "ben": {"systemic-deflection"}, "cat": {"systemic-deflection"}},
    "u5": {"ann": {"defensive", "gratitude"}, "cat": {"defensive"}},
    "u6": {"ann": {"validating"}},
    "u7": {"ben": {"defensive", "validating"}, "cat": {"defensive"}},  # ben breaks the exclusive group
    "u8": {"ann": {"gratitude"}, "ben": {"gratitude"}, "cat": {"gratitude"}},
}
CODES = sorted({c for unit in CODED.values() for s in unit.values() for c in s})


def codings_frame(coded=CODED) -> pd.DataFrame:
    rows = [
        {"unit_id": u, "coder": c, "code": code, "round": "r1", "at": pd.Timestamp("2024-01-01", tz="UTC")}
        for u, by_coder in coded.items()
        for c, codes in by_coder.items()
        for code in sorted(codes)
    ]
    return pd.DataFrame(rows)


def binary_matrix(code: str) -> np.ndarray:
    """Units x coders: 1 applied, 0 coded without it, NaN not coded (written out by hand)."""
    return np.array(
        [[float(code in CODED[u][c]) if c in CODED[u] else np.nan for c in CODERS] for u in sorted(CODED)]
    )


def masi_alpha_by_pairs() -> float:
    units = [[frozenset(s) for s in CODED[u].values()] for u in sorted(CODED)]
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    d = ag.masi_distance
    d_o = sum(d(a, b) / (len(u) - 1) for u in units for a, b in itertools.permutations(u, 2)) / n
    d_e = sum(d(a, b) for a, b in itertools.permutations(values, 2)) / (n * (n - 1))
    return 1 - d_o / d_e


def kripp(matrix: np.ndarray) -> float:
    return float(krippendorff.alpha(reliability_data=matrix.T, level_of_measurement="nominal"))


def row(table: pd.DataFrame, code: str, measure: str = "alpha") -> pd.Series:
    hit = table[(table["code"] == code) & (table["measure"] == measure)]
    assert len(hit) == 1, (code, measure)
    return hit.iloc[0]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return ag.reliability_table(codings_frame(), exclusive_groups={"stance": STANCE}, n_boot=400, seed=1)


def test_columns_and_row_order(table):
    assert list(table.columns) == [
        "code", "measure", "value", "ci_low", "ci_high", "n_units", "n_coders", "n_pairable", "interpretation",
    ]  # fmt: skip
    assert list(table["code"]) == ["(overall)", "group:stance", *CODES]
    assert set(table["measure"]) == {"alpha"}
    assert table["n_units"].dtype == np.int64 and table["value"].dtype == np.float64


@pytest.mark.parametrize("code", CODES)
def test_per_code_values_match_binary_alpha(table, code):
    r = row(table, code)
    assert r["value"] == pytest.approx(kripp(binary_matrix(code)), abs=1e-12)
    assert (r["n_units"], r["n_coders"], r["n_pairable"]) == (8, 3, 7)  # u6 was coded by ann only
    assert r["ci_low"] <= r["value"] <= r["ci_high"]


def test_overall_row_is_masi_alpha_on_sets(table):
    r = row(table, "(overall)")
    assert r["value"] == pytest.approx(masi_alpha_by_pairs(), abs=1e-12)
    assert "MASI" in r["interpretation"]
    assert (r["n_units"], r["n_pairable"]) == (8, 7)


def test_exclusive_group_row_is_nominal_alpha_on_the_single_code(table):
    index = {c: i for i, c in enumerate([*STANCE, "(none)"])}
    expected = np.full((8, 3), np.nan)
    for i, u in enumerate(sorted(CODED)):
        for j, c in enumerate(CODERS):
            if c in CODED[u]:
                chosen = [s for s in STANCE if s in CODED[u][c]]
                if len(chosen) <= 1:  # two codes of an exclusive group: left out
                    expected[i, j] = index[chosen[0]] if chosen else index["(none)"]
    r = row(table, "group:stance")
    assert r["value"] == pytest.approx(kripp(expected), abs=1e-12)
    assert (r["n_units"], r["n_pairable"]) == (8, 6)  # u7 keeps only cat's value
    assert "1 coding(s) with two codes of this exclusive group left out" in r["interpretation"]


def test_interpretations_name_krippendorffs_benchmarks(table):
    for _, r in table.iterrows():
        if math.isnan(r["value"]):
            assert r["interpretation"].startswith("undefined: ")
        else:
            assert "Krippendorff" in r["interpretation"]
            assert r["interpretation"].startswith(ag.interpret(r["value"], "alpha"))


def test_seeded_and_independent_of_other_rows(table):
    alone = ag.reliability_table(codings_frame(), codes=["gratitude"], n_boot=400, seed=1)
    a, b = row(alone, "gratitude"), row(table, "gratitude")
    assert (a["ci_low"], a["ci_high"]) == (b["ci_low"], b["ci_high"])
    # on larger data another seed moves the interval
    rng = np.random.default_rng(0)
    big = {f"v{i}": {c: ({"x"} if rng.random() < 0.5 else {"y"}) for c in CODERS} for i in range(300)}
    one, two = (ag.reliability_table(codings_frame(big), codes=["x"], n_boot=400, seed=s) for s in (1, 2))
    assert (row(one, "x")["ci_low"], row(one, "x")["ci_high"]) != (row(two, "x")["ci_low"], row(two, "x")["ci_high"])


def test_without_ci_and_with_other_measures():
    t = ag.reliability_table(codings_frame(), measures=("alpha", "fleiss_kappa", "cohen_kappa"), ci=False)
    assert t[["ci_low", "ci_high"]].isna().all().all()
    over = row(t, "(overall)", "fleiss_kappa")
    assert math.isnan(over["value"]) and "not defined for multi-label data" in over["interpretation"]
    grat = row(t, "gratitude", "fleiss_kappa")
    assert grat["value"] == pytest.approx(ag.fleiss_kappa(binary_matrix("gratitude")))
    assert "Landis & Koch" in grat["interpretation"]
    three = row(t, "gratitude", "cohen_kappa")
    assert math.isnan(three["value"]) and "exactly two coders" in three["interpretation"]
    two = ag.reliability_table(codings_frame(), coders=["ann", "ben"], measures=("cohen_kappa",), ci=False)
    assert row(two, "gratitude", "cohen_kappa")["value"] == pytest.approx(
        ag.cohen_kappa(binary_matrix("gratitude")[:, :2])
    )
    assert row(two, "gratitude", "cohen_kappa")["n_coders"] == 2


def test_filters_and_a_code_nobody_applied():
    t = ag.reliability_table(codings_frame(), codes=["gratitude", "sarcasm"], units=["u1", "u3", "u8"], ci=False)
    assert list(t["code"]) == ["(overall)", "gratitude", "sarcasm"]
    sarcasm = row(t, "sarcasm")
    assert math.isnan(sarcasm["value"]) and sarcasm["interpretation"].startswith("undefined: every value is 0")
    assert row(t, "gratitude")["n_units"] == 3
    # with units u1, u3, u8 the overall sets hold gratitude only
    assert row(t, "(overall)")["n_pairable"] == 3


def test_duplicate_rows_and_extra_columns_are_harmless():
    df = codings_frame()
    doubled = pd.concat([df, df.iloc[:3].assign(at=pd.Timestamp("2024-02-01", tz="UTC"))], ignore_index=True)
    a = ag.reliability_table(df, ci=False)
    b = ag.reliability_table(doubled, ci=False)
    pd.testing.assert_frame_equal(a, b)


def test_empty_codings_give_undefined_overall_row():
    empty = pd.DataFrame(columns=["unit_id", "coder", "code"])
    t = ag.reliability_table(empty, ci=True, n_boot=10)
    assert list(t["code"]) == ["(overall)"]
    assert math.isnan(t["value"].item()) and t["interpretation"].item().startswith("undefined: ")
    assert t["n_units"].item() == 0


def test_input_checks():
    with pytest.raises(TypeError, match="DataFrame"):
        ag.reliability_table([("u1", "ann", "x")])
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['code'\]"):
        ag.reliability_table(pd.DataFrame({"unit_id": ["u1"], "coder": ["ann"]}))
    with pytest.raises(ValueError, match="unknown measure"):
        ag.reliability_table(codings_frame(), measures=("kappa_prime",))
    with pytest.raises(ValueError, match="n_boot"):
        ag.reliability_table(codings_frame(), n_boot=0)


def test_with_a_real_project(project, demo_units, demo_codebook):
    """The contract with Project.codings(): its frame goes straight in."""
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    for name in ("alice", "bob"):
        project.add_coder(name)
    plan = {
        "t1:1": (["defensive"], ["defensive"]),
        "t1:2": (["validating"], ["validating", "gratitude"]),
        "t1:4": (["gratitude"], ["gratitude"]),
        "t2:1": (["systemic-deflection"], ["defensive"]),
        "t2:2": (["validating"], None),
    }
    for unit_id, (alice, bob) in plan.items():
        project.code(unit_id, alice, coder="alice")
        if bob:
            project.code(unit_id, bob, coder="bob")
    groups = {"stance": [c.name for c in demo_codebook.codes if c.group == "stance"]}
    t = ag.reliability_table(project.codings(), exclusive_groups=groups, ci=False)
    assert list(t["code"])[:2] == ["(overall)", "group:stance"]
    r = row(t, "gratitude")
    assert (r["n_units"], r["n_coders"], r["n_pairable"]) == (5, 2, 4)
    # hand: gratitude on the 4 pairable units (alice, bob): (0,0) (0,1) (1,1) (0,0) -> o00=4, o01=o10=1,
    # o11=2; n=8, n0=5, n1=3: alpha = 1 - 7 * 2 / (2 * 5 * 3) = 0.5333...
    assert r["value"] == pytest.approx(1 - 7 * 2 / 30)


# --- per group of units (per thread) ---------------------------------------------------------------
THREAD = {"u1": "t1", "u2": "t1", "u3": "t1", "u4": "t2", "u5": "t2", "u6": "t3", "u7": "t3", "u8": "t3"}


def threaded(coded=CODED) -> pd.DataFrame:
    df = codings_frame(coded)
    df["thread_id"] = df["unit_id"].map(THREAD)
    return df


def test_per_thread_rows_sum_to_the_units_coded():
    by = ag.reliability_table(threaded(), by="thread_id", measures=("alpha", "fleiss_kappa"), ci=False)
    whole = ag.reliability_table(threaded(), measures=("alpha", "fleiss_kappa"), ci=False)
    assert list(by.columns) == ["thread_id", *ag.REPORT_COLUMNS]
    assert list(pd.unique(by["thread_id"])) == ["t1", "t2", "t3"]
    # every thread reports the same rows: overall first, then every code of the whole codings
    for _, part in by.groupby("thread_id"):
        assert list(part["code"]) == list(whole["code"])
    for (code, measure), part in by.groupby(["code", "measure"]):
        total = whole[(whole["code"] == code) & (whole["measure"] == measure)].iloc[0]
        assert part["n_units"].sum() == total["n_units"] == 8
        assert part["n_pairable"].sum() == total["n_pairable"]
    assert dict(zip(by.loc[by["code"] == "(overall)", "thread_id"], by.loc[by["code"] == "(overall)", "n_units"])) == {
        "t1": 3, "t2": 2, "t3": 3
    }  # fmt: skip


@pytest.mark.parametrize("thread", ["t1", "t2", "t3"])
def test_a_thread_row_is_the_report_on_that_threads_units(thread):
    by = ag.reliability_table(threaded(), by="thread_id", exclusive_groups={"stance": STANCE}, ci=False)
    units = [u for u, t in THREAD.items() if t == thread]
    alone = ag.reliability_table(threaded(), units=units, codes=CODES, exclusive_groups={"stance": STANCE}, ci=False)
    mine = by[by["thread_id"] == thread].drop(columns="thread_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, alone)
    # and by hand for gratitude in t3: u6 ann only (0); u7 ben 0, cat 0; u8 all three 1:
    # o00 = 2, o11 = 6, n = 8 -> perfect agreement
    if thread == "t3":
        assert row(mine, "gratitude")["value"] == pytest.approx(1.0)


def test_per_thread_intervals_are_seeded_per_group_and_row():
    df = threaded()
    one = ag.reliability_table(df, by="thread_id", codes=["gratitude", "defensive"], n_boot=300, seed=3)
    two = ag.reliability_table(df[df["thread_id"] != "t2"], by="thread_id", codes=["gratitude", "defensive"], n_boot=300, seed=3)
    keep = one[one["thread_id"] != "t2"].reset_index(drop=True)
    pd.testing.assert_frame_equal(keep, two)
    gw = ag.reliability_table(df, by="thread_id", measures=("fleiss_kappa",), ci_method="gwet", codes=["gratitude"])
    assert gw[["ci_low", "ci_high"]].notna().any().any()


def test_per_thread_input_checks():
    with pytest.raises(ValueError, match=r"by='thread_id' is not a column of codings.*join the grouping"):
        ag.reliability_table(codings_frame(), by="thread_id")
    df = threaded()
    df.loc[df["unit_id"] == "u2", "thread_id"] = None
    with pytest.raises(ValueError, match=r"unit 'u2' has no thread_id"):
        ag.reliability_table(df, by="thread_id", ci=False)
    df = threaded()
    df.loc[(df["unit_id"] == "u1") & (df["coder"] == "cat"), "thread_id"] = "t9"
    with pytest.raises(ValueError, match=r"unit 'u1' has more than one thread_id \(t1, t9\)"):
        ag.reliability_table(df, by="thread_id", ci=False)
    with pytest.raises(ValueError, match="clash"):
        ag.reliability_table(threaded().assign(value=1), by="value", ci=False)
    empty = ag.reliability_table(threaded().iloc[:0], by="thread_id", ci=False)
    assert list(empty.columns) == ["thread_id", *ag.REPORT_COLUMNS] and empty.empty


def test_per_thread_with_a_real_project(project, demo_units, demo_codebook):
    """The shape Project.agreement(by="thread") will have: thread_id joined onto project.codings()."""
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    for name in ("alice", "bob"):
        project.add_coder(name)
    plan = {"t1:1": ["defensive"], "t1:2": ["validating"], "t2:1": ["defensive"], "t2:2": ["validating"]}
    for unit_id, codes in plan.items():
        project.code(unit_id, codes, coder="alice")
        project.code(unit_id, codes if unit_id.startswith("t1") else ["gratitude"], coder="bob")
    units = project.units()
    codings = project.codings().merge(units[["unit_id", "thread_id"]], on="unit_id", how="left")
    t = ag.reliability_table(codings, by="thread_id", ci=False)
    overall = t[t["code"] == "(overall)"].set_index("thread_id")
    assert overall["n_units"].sum() == project.codings()["unit_id"].nunique() == 4
    assert overall.loc["t1", "value"] == pytest.approx(1.0)  # alice and bob agree on every unit of t1
    assert overall.loc["t2", "value"] < 0.5
