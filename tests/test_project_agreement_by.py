"""Per-thread and per-source agreement through the project: ``Project.agreement(by=...)``.

The store joins each unit's thread (or source) onto the codings (SQLite and PostgreSQL);
the expected rows are :func:`workbench.agreement.reliability_table` run by hand on each
thread's own codings, selected in pandas from the units table.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.agreement import OVERALL, reliability_table
from workbench.cli import main

STANCE = ["validating", "defensive", "systemic-deflection"]
# thread -> (source, number of units)
THREADS = {"rA": ("reddit", 5), "rB": ("reddit", 4), "wC": ("wordpress", 6)}
MEASURES = ("alpha", "fleiss_kappa", "gwet_ac2")


def _fill(project: wb.Project, codebook: wb.Codebook) -> None:
    """Three threads from two sources; three coders, seeded, agreeing less in thread wC."""
    project.add_codebook(codebook)
    for source in ("reddit", "wordpress"):
        rows = [{"unit_id": f"{t}:{i}", "thread_id": t, "text": "..."}
                for t, (s, n) in THREADS.items() if s == source for i in range(n)]
        project.add_units(wb.make_units(rows, source=source))
    for coder in ("ann", "ben", "cat"):
        project.add_coder(coder)
    rng = np.random.default_rng(19)
    for t, (_, n) in THREADS.items():
        for i in range(n - 1):  # the last unit of each thread is not coded
            truth = STANCE[int(rng.integers(3))]
            for coder in ("ann", "ben", "cat"):
                if coder == "cat" and i % 2:
                    continue  # cat codes every other unit only
                slip = rng.random() < (0.6 if t == "wC" else 0.15)
                stance = STANCE[int(rng.integers(3))] if slip else truth
                codes = [stance, "gratitude"] if (i + len(coder)) % 3 == 0 else [stance]
                project.code(f"{t}:{i}", codes, coder=coder)
    project.code("rB:3", "gratitude", coder="ann")  # a unit coded once: counted, not pairable


@pytest.fixture
def filled(any_project, demo_codebook):
    _fill(any_project, demo_codebook)
    return any_project


def _by_hand(project: wb.Project, key: str, **options) -> pd.DataFrame:
    codings = project.codings()
    units = project.units().set_index("unit_id")[key]
    groups = codings["unit_id"].map(units)
    codes = sorted(codings["code"].unique())
    parts = []
    for group in sorted(groups.unique()):
        part = reliability_table(codings[groups == group], codes=codes, exclusive_groups={"stance": STANCE}, **options)
        parts.append(part.assign(**{key: group})[[key, *part.columns]])
    return pd.concat(parts, ignore_index=True)


def test_per_thread_rows_sum_to_the_units_coded(filled):
    table = filled.agreement(by="thread", measures=MEASURES, ci=False)
    assert list(table.columns[:2]) == ["thread_id", "code"]
    coded = filled.codings()["unit_id"].nunique()
    assert coded == sum(n - 1 for _, n in THREADS.values()) + 1
    for (code, measure), rows in table.groupby(["code", "measure"]):
        assert rows["n_units"].sum() == coded, (code, measure)
        assert list(rows["thread_id"]) == ["rA", "rB", "wC"]
    assert set(table["code"]) == {OVERALL, "group:stance", "gratitude", *STANCE}
    assert (table.groupby("thread_id").size() == len(set(table["code"])) * len(MEASURES)).all()
    overall = table[(table["code"] == OVERALL) & (table["measure"] == "alpha")].set_index("thread_id")["value"]
    assert overall["wC"] < min(overall["rA"], overall["rB"])  # the thread the coders read differently


def test_per_thread_equals_the_report_of_each_thread_by_hand(filled):
    table = filled.agreement(by="thread", measures=MEASURES, ci=False)
    pd.testing.assert_frame_equal(table, _by_hand(filled, "thread_id", measures=MEASURES, ci=False))
    # analytic intervals and weights pass through unchanged
    options = {"measures": ("fleiss_kappa", "gwet_ac2"), "ci_method": "gwet", "weights": "linear"}
    table = filled.agreement(by="thread", **options)
    pd.testing.assert_frame_equal(table, _by_hand(filled, "thread_id", **options))
    assert table.loc[table["measure"] == "fleiss_kappa", "ci_low"].notna().any()


def test_per_source(filled):
    table = filled.agreement(by="source", measures=("alpha",), ci=False)
    assert list(table.columns[:2]) == ["source", "code"]
    assert list(table.loc[table["code"] == OVERALL, "source"]) == ["reddit", "wordpress"]
    assert list(table.loc[table["code"] == OVERALL, "n_units"]) == [4 + 4, 5]
    pd.testing.assert_frame_equal(table, _by_hand(filled, "source", measures=("alpha",), ci=False))


def test_weights_and_ci_method_pass_through_without_by(filled):
    options = {"measures": ("fleiss_kappa",), "weights": "quadratic", "ci_method": "gwet"}
    table = filled.agreement(**options)
    expected = reliability_table(filled.codings(), exclusive_groups={"stance": STANCE}, **options)
    pd.testing.assert_frame_equal(table, expected)
    plain = filled.agreement(measures=("fleiss_kappa",), ci=False)
    group = table["code"] == "group:stance"
    assert table.loc[group, "value"].iloc[0] != pytest.approx(plain.loc[plain["code"] == "group:stance", "value"].iloc[0])


def test_a_round_per_thread_and_bad_groupings(project, demo_codebook):
    _fill(project, demo_codebook)
    rid = project.new_round("pilot", units=["rA:0", "rA:1", "wC:0", "wC:1"], coders=["ann", "ben"])
    for uid in ("rA:0", "rA:1", "wC:0", "wC:1"):
        for coder in ("ann", "ben"):
            project.code(uid, "validating" if coder == "ann" or uid != "wC:1" else "defensive", coder=coder, round=rid)
    table = project.round(rid).agreement(by="thread", ci=False)
    overall = table[table["code"] == OVERALL]
    assert list(overall["thread_id"]) == ["rA", "wC"] and list(overall["n_units"]) == [2, 2]
    with pytest.raises(ValueError, match=r"by must be one of \['thread', 'source'\].*got 'thread_id'"):
        project.agreement(by="thread_id")
    with pytest.raises(ValueError, match=r"by must be one of \['thread', 'source'\]"):
        project.agreement(by=["thread"])


def test_the_command_reports_per_thread(tmp_path, demo_codebook, capsys):
    db = str(tmp_path / "project.db")
    with wb.open_project(db) as project:
        _fill(project, demo_codebook)
        expected = project.agreement(by="thread", measures=("alpha", "fleiss_kappa"), weights="linear", ci=False)
    code = main(["agreement", "--project", db, "--by", "thread", "--weights", "linear", "--measure", "alpha",
                 "fleiss_kappa", "--no-ci", "--format", "csv"])
    out = capsys.readouterr().out
    assert code == 0
    got = pd.read_csv(io.StringIO(out), keep_default_na=False, na_values=[""])
    assert list(got.columns) == list(expected.columns)
    assert list(got["thread_id"]) == list(expected["thread_id"])
    np.testing.assert_allclose(got["value"], expected["value"], equal_nan=True)
    assert list(got["n_units"]) == list(expected["n_units"])
    # --fail-under checks every thread and names the ones below it
    low = expected[(expected["code"] == OVERALL) & (expected["measure"] == "alpha")].set_index("thread_id")["value"]
    cut = (low["wC"] + min(low["rA"], low["rB"])) / 2
    code = main(["agreement", "--project", db, "--by", "thread", "--no-ci", "--fail-under", f"{cut:.4f}"])
    err = capsys.readouterr().err
    assert code == 1 and "wC (" in err and "rA (" not in err
    assert main(["agreement", "--project", db, "--by", "thread", "--no-ci", "--fail-under", "-1"]) == 0
    capsys.readouterr()
    assert main(["agreement", "--project", db, "--by", "file"]) == 2
    assert "invalid choice: 'file'" in capsys.readouterr().err
