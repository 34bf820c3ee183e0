"""Seeded reliability samples, without a database (workbench/sampling.py)."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
import pytest

from workbench import sampling
from workbench.sampling import allocate, check_seed, deal, draw, population_digest, sample_size, seed_rng


@pytest.mark.parametrize(
    ("sample", "population", "expected"),
    [(None, 56, 56), (10, 56, 10), (0.25, 56, 14), (1.0, 56, 56), (0.001, 56, 1), (56, 56, 56),
     (0.5, 7, 4), (0.5, 5, 3), (np.int64(3), 9, 3), (np.float64(0.5), 4, 2), (0.3, 0, 0), (None, 0, 0)],
)
def test_sample_size(sample, population, expected):
    # half up: 0.5 * 7 = 3.5 -> 4 and 0.5 * 5 = 2.5 -> 3 (not banker's rounding)
    assert sample_size(sample, population) == expected


@pytest.mark.parametrize(
    ("sample", "error", "match"),
    [
        (0, ValueError, "at least 1"),
        (57, ValueError, "only 56 codable"),
        (1.5, ValueError, r"\(0, 1\]"),
        (20.0, ValueError, "pass the int 20"),
        (0.0, ValueError, r"\(0, 1\]"),
        (-0.1, ValueError, r"\(0, 1\]"),
        (True, TypeError, "fraction"),
        ("10", TypeError, "fraction"),
        ([1], TypeError, "fraction"),
    ],
)
def test_sample_size_errors(sample, error, match):
    with pytest.raises(error, match=match):
        sample_size(sample, 56)


@pytest.mark.parametrize(
    ("sizes", "n", "expected"),
    [
        # exact shares 10.5, 3.25, 0.25: floors 10, 3, 0; the unit left goes to the largest remainder
        ([42, 13, 1], 14, [11, 3, 0]),
        # 28 of 56: shares 21, 6.5, 0.5; two units left for the two remainders of .5 (ties: first listed)
        ([42, 13, 1], 28, [21, 7, 0]),
        ([5, 5], 3, [2, 1]),
        ([1, 1, 1], 2, [1, 1, 0]),
        ([3, 0, 7], 10, [3, 0, 7]),
        ([0, 0], 4, [0, 0]),
        ([], 0, []),
    ],
)
def test_allocate_by_largest_remainder(sizes, n, expected):
    alloc = allocate(sizes, n)
    assert alloc == expected
    if sum(sizes):
        assert sum(alloc) == n
        assert all(0 <= a <= s for a, s in zip(alloc, sizes))


def test_simple_draw_is_numpys_choice_in_import_order():
    ids = [f"u{i:02d}" for i in range(30)]
    expected = sorted(np.random.default_rng(5).choice(30, size=8, replace=False).tolist())
    assert draw(ids, 8, seed_rng(5)) == [ids[i] for i in expected]
    assert draw(ids, 8, seed_rng(5)) != draw(ids, 8, seed_rng(6))
    assert draw(ids, 30, seed_rng(5)) == ids and draw(ids, 99, seed_rng(5)) == ids


def test_stratified_draw_allocates_proportionally_and_keeps_order():
    ids = [f"a{i}" for i in range(42)] + [f"b{i}" for i in range(13)] + ["c0"]
    strata = [u[0] for u in ids]
    for seed in range(5):
        picked = draw(ids, 14, seed_rng(seed), strata)
        assert Counter(u[0] for u in picked) == {"a": 11, "b": 3}
        assert picked == sorted(picked, key=ids.index)
    # strata interleaved in the population: still drawn per stratum, in order of first appearance
    mixed = [f"{s}{i}" for i in range(10) for s in "xy"]
    picked = draw(mixed, 6, seed_rng(2), [u[0] for u in mixed])
    assert Counter(u[0] for u in picked) == {"x": 3, "y": 3}
    assert picked == sorted(picked, key=mixed.index)


def test_draw_within_a_stratum_uses_the_one_generator_in_stratum_order():
    ids = ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"]
    rng = np.random.default_rng(9)
    first = rng.choice(4, size=2, replace=False).tolist()
    second = rng.choice(4, size=2, replace=False).tolist()
    expected = sorted([ids[i] for i in first] + [ids[4 + i] for i in second], key=ids.index)
    assert draw(ids, 4, seed_rng(9), [u[0] for u in ids]) == expected


def test_deal_overlap_scheme():
    picked = [f"u{i}" for i in range(20)]
    who, n_all = deal(picked, 3, 0.5, seed=9)
    assert n_all == 10 and set(who) == set(picked)
    shared = [u for u in picked if who[u] == [0, 1, 2]]
    assert len(shared) == 10
    rest = [u for u in picked if u not in shared]
    assert all(len(who[u]) == 1 for u in rest)
    assert sorted(Counter(who[u][0] for u in rest).values()) == [3, 3, 4]
    assert deal(picked, 3, 0.5, seed=9) == (who, n_all)  # the same seed deals the same way
    # the shared units are drawn from a generator seeded with (seed, 1)
    assert shared == draw(picked, 10, np.random.default_rng([9, 1]))


@pytest.mark.parametrize(("overlap", "n_all"), [(0, 0), (0.01, 1), (0.25, 3), (1.0, 10)])
def test_deal_sizes(overlap, n_all):
    picked = [f"u{i}" for i in range(10)]
    who, got = deal(picked, 2, overlap, seed=1)
    assert got == n_all
    assert sum(len(c) == 2 for c in who.values()) == n_all
    assert all(len(c) >= 1 for c in who.values())


def test_deal_one_coder_codes_everything():
    assert deal(["a", "b"], 1, 0.0, seed=3) == ({"a": [0], "b": [0]}, 2)


def test_deal_stratified_shares():
    picked = [f"a{i}" for i in range(8)] + [f"b{i}" for i in range(4)]
    who, n_all = deal(picked, 2, 0.5, seed=4, strata=[u[0] for u in picked])
    assert n_all == 6
    assert Counter(u[0] for u in picked if len(who[u]) == 2) == {"a": 4, "b": 2}


@pytest.mark.parametrize(("seed", "error"), [("x", TypeError), (True, TypeError), (1.0, TypeError),
                                             (-1, ValueError), (2**63, ValueError)])
def test_check_seed_refuses(seed, error):
    with pytest.raises(error, match="seed"):
        check_seed(seed)


def test_check_seed_accepts_numpy_integers():
    assert check_seed(np.int64(7)) == 7 and check_seed(2**63 - 1) == 2**63 - 1


def test_population_digest_is_sha256_of_the_ids_in_order():
    assert population_digest(["a", "b"]) == hashlib.sha256(b"a\nb").hexdigest()
    assert population_digest(["a", "b"]) != population_digest(["b", "a"])


def test_stratify_names_units_columns():
    assert sampling.STRATIFY == {"thread": "thread_id", "source": "source"}
