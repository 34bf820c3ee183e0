"""Seeded reliability samples: pure functions, no database.

A reliability round codes a sample of the project's codable units. The store
(:meth:`workbench.Project.new_round`, :meth:`workbench.Project.sample_units`) reads the
population and records the seed and specification; this module decides which units.
The same inputs always give the same sample, on every machine.

The scheme, for a population of ``N`` units in import order, a sample size ``n`` and a
seed ``s``:

* :func:`sample_size`: ``sample=None``: every unit; ``sample=k`` (an int): ``k`` units;
  ``sample=f`` (a float in (0, 1]): ``round(f * N)`` units (half up, at least one);
* :func:`draw`, simple random (no strata): ``numpy.random.default_rng(s).choice(N, n,
  replace=False)``, returned in import order;
* :func:`draw`, stratified (by thread or by source format): proportional allocation by
  the largest-remainder method (:func:`allocate`), then a simple random draw within each
  stratum, strata in order of their first unit, all from the one generator. A stratum
  smaller than ``N / n`` may get no unit;
* :func:`deal`, the overlap: with ``overlap=1`` every coder codes every unit. With
  ``overlap < 1`` a subsample of ``round(overlap * n)`` units (at least one unless
  ``overlap == 0``), drawn like the sample itself from a generator seeded with
  ``(s, 1)``, is coded by all coders; the other units are shuffled with that generator
  and dealt to the coders in turn, so each is coded by exactly one coder.

Examples
--------
>>> ids = [f"u{i}" for i in range(10)]
>>> n = sample_size(0.3, len(ids))
>>> n
3
>>> draw(ids, n, seed_rng(7)) == draw(ids, n, seed_rng(7))
True
>>> allocate([42, 13, 1], 14)
[11, 3, 0]
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "STRATIFY",
    "SEED_LIMIT",
    "sample_size",
    "allocate",
    "draw",
    "deal",
    "check_seed",
    "seed_rng",
    "population_digest",
]

#: Valid values of ``stratify`` and the units column each one stratifies by.
STRATIFY = {"thread": "thread_id", "source": "source"}
#: Seeds are integers in ``[0, SEED_LIMIT)`` (they are stored in a 64-bit column).
SEED_LIMIT = 2**63


def sample_size(sample: Any, population: int) -> int:
    """How many units ``sample`` asks for out of ``population``.

    Parameters
    ----------
    sample : None, int or float
        None: every unit; an int: that many units (1 to ``population``); a float in
        (0, 1]: that fraction of the population, rounded half up, at least one unit.
    population : int
        The number of units to sample from.

    Returns
    -------
    int
        The sample size (0 only for an empty population and a fraction or None).

    Raises
    ------
    TypeError
        ``sample`` is not None, an int or a float (``True`` is refused).
    ValueError
        An int below 1 or above the population, a fraction outside (0, 1].

    Examples
    --------
    >>> sample_size(None, 56), sample_size(10, 56), sample_size(0.25, 56), sample_size(0.001, 56)
    (56, 10, 14, 1)
    >>> sample_size(20.0, 56)
    Traceback (most recent call last):
    ...
    ValueError: a fractional sample must be in (0, 1]; got 20.0; for 20 units pass the int 20
    """
    if sample is None:
        return population
    if isinstance(sample, bool) or not isinstance(sample, int | float | np.integer | np.floating):
        raise TypeError(
            f"sample must be None (every codable unit), a number of units (int) or a fraction "
            f"in (0, 1] (float); got {sample!r}"
        )
    if isinstance(sample, int | np.integer):
        if sample < 1:
            raise ValueError(f"sample must be at least 1 unit; got {sample}")
        if sample > population:
            raise ValueError(
                f"sample={sample} units, but the population has only {population} codable unit(s); "
                f"ask for at most {population}, or a fraction such as 0.1"
            )
        return int(sample)
    f = float(sample)
    if not (0 < f <= 1):
        hint = f"; for {int(f)} units pass the int {int(f)}" if f > 1 and f == int(f) else ""
        raise ValueError(f"a fractional sample must be in (0, 1]; got {sample!r}{hint}")
    if population == 0:
        return 0
    return min(population, max(1, int(math.floor(f * population + 0.5))))


def allocate(sizes: Sequence[int], n: int) -> list[int]:
    """Proportional allocation of ``n`` units over strata of ``sizes`` (largest remainder).

    Each stratum gets ``floor(n * N_h / N)`` units; the units left over go one each to
    the strata with the largest fractional parts, ties to the stratum listed first.

    Parameters
    ----------
    sizes : sequence of int
        The number of units in each stratum.
    n : int
        The sample size to allocate.

    Returns
    -------
    list of int
        Units per stratum, in the order of ``sizes``; they sum to ``n`` (0 everywhere
        when every stratum is empty).

    Examples
    --------
    Exact shares 10.5, 3.25 and 0.25: 10, 3 and 0, and the unit left over goes to the
    largest remainder.

    >>> allocate([42, 13, 1], 14)
    [11, 3, 0]
    >>> allocate([5, 5], 3)
    [2, 1]
    """
    total = sum(sizes)
    if total == 0:
        return [0] * len(sizes)
    exact = [n * s / total for s in sizes]
    alloc = [int(math.floor(x)) for x in exact]
    left = n - sum(alloc)
    order = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - alloc[i]), i))
    for i in order[:left]:
        alloc[i] += 1
    return alloc


def seed_rng(seed: int | Sequence[int]) -> np.random.Generator:
    """The random generator a seed stands for: ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    seed : int or sequence of int
        A recorded seed (or ``(seed, 1)`` for the overlap, see :func:`deal`).

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> int(seed_rng(1).integers(100)) == int(seed_rng(1).integers(100))
    True
    """
    return np.random.default_rng(seed)


def draw(
    ids: Sequence[str], n: int, rng: np.random.Generator, strata: Sequence[str] | None = None
) -> list[str]:
    """``n`` of ``ids``, simple random or stratified, kept in the order of ``ids``.

    Parameters
    ----------
    ids : sequence of str
        The population (unit ids in import order).
    n : int
        The sample size; ``n >= len(ids)`` returns every id.
    rng : numpy.random.Generator
        The generator (see :func:`seed_rng`); every draw uses it in the same order.
    strata : sequence of str, optional
        The stratum of each id (e.g. its thread): proportional allocation by
        :func:`allocate`, strata in order of their first unit.

    Returns
    -------
    list of str
        The drawn ids in their order in ``ids``.

    Examples
    --------
    >>> ids = ["a1", "a2", "a3", "a4", "b1", "b2"]
    >>> picked = draw(ids, 3, seed_rng(3), strata=[u[0] for u in ids])
    >>> [u[0] for u in picked]
    ['a', 'a', 'b']
    >>> picked == draw(ids, 3, seed_rng(3), strata=[u[0] for u in ids])
    True
    """
    if n >= len(ids):
        return list(ids)
    if strata is None:
        picked = rng.choice(len(ids), size=n, replace=False)
        return [ids[i] for i in sorted(picked.tolist())]
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(strata):
        groups.setdefault(s, []).append(i)
    members = list(groups.values())
    chosen: list[int] = []
    for idx, k in zip(members, allocate([len(m) for m in members], n)):
        if k:
            chosen.extend(idx[j] for j in rng.choice(len(idx), size=k, replace=False).tolist())
    return [ids[i] for i in sorted(chosen)]


def deal(
    picked: Sequence[str], n_coders: int, overlap: float, seed: int, strata: Sequence[str] | None = None
) -> tuple[dict[str, list[int]], int]:
    """Which coders code each unit of a sample, given the overlap.

    Parameters
    ----------
    picked : sequence of str
        The sample (unit ids in queue order).
    n_coders : int
        The number of coders (they are numbered 0 to ``n_coders - 1``).
    overlap : float
        The fraction of the sample coded by every coder, in [0, 1].
    seed : int
        The round's seed; the overlap uses a generator seeded with ``(seed, 1)``.
    strata : sequence of str, optional
        The stratum of each unit of ``picked``: the shared units are drawn stratified.

    Returns
    -------
    tuple of (dict of str to list of int, int)
        The coders (indexes) of each unit, and how many units every coder codes.

    Examples
    --------
    >>> who, n_all = deal([f"u{i}" for i in range(10)], 2, 0.4, seed=1)
    >>> n_all, sum(len(c) == 2 for c in who.values()), sum(len(c) == 1 for c in who.values())
    (4, 4, 6)
    >>> deal(["a", "b"], 3, 1.0, seed=1)
    ({'a': [0, 1, 2], 'b': [0, 1, 2]}, 2)
    """
    k = n_coders
    if k == 1 or overlap >= 1:
        return {u: list(range(k)) for u in picked}, len(picked)
    n = len(picked)
    n_all = 0 if overlap == 0 else min(n, max(1, int(math.floor(overlap * n + 0.5))))
    rng = seed_rng([seed, 1])
    shared = set(draw(picked, n_all, rng, strata))
    rest = [u for u in picked if u not in shared]
    out = {u: list(range(k)) for u in picked if u in shared}
    for turn, i in enumerate(rng.permutation(len(rest)).tolist()):
        out[rest[i]] = [turn % k]
    return out, n_all


def check_seed(seed: Any) -> int:
    """A valid seed as an int, or a clear error.

    Parameters
    ----------
    seed : int
        A non-negative integer below ``2**63``.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        Not an integer (``True`` is refused).
    ValueError
        Negative, or too large for the store.

    Examples
    --------
    >>> check_seed(7)
    7
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be between 0 and 2**63 - 1; got -1
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be a non-negative integer (or None to draw one); got {seed!r}")
    if not 0 <= int(seed) < SEED_LIMIT:
        raise ValueError(f"seed must be between 0 and 2**63 - 1; got {seed}")
    return int(seed)


def population_digest(ids: Sequence[str]) -> str:
    """A SHA-256 checksum of a population (ids in order), recorded with a round's sample.

    Parameters
    ----------
    ids : sequence of str
        The population in import order.

    Returns
    -------
    str
        64 hexadecimal digits; equal digests mean the same ids in the same order.

    Examples
    --------
    >>> population_digest(["a", "b"]) == population_digest(["a", "b"]) != population_digest(["b", "a"])
    True
    """
    return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()
