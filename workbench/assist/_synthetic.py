"""A synthetic coded corpus with known answers, for tests, benchmarks and examples (private).

Each unit gets one code of an exclusive ``stance`` group and, each with probability 0.3,
the ``gratitude`` and ``shared-experience`` codes; its text mixes common words with marker
words of its codes, so that the codes are learnable (separable with ``noise=0``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..codebook import Codebook

__all__ = ["CODEBOOK", "synthetic_coders", "synthetic_corpus", "synthetic_project"]

CODEBOOK = Codebook.from_dict({
    "name": "synthetic",
    "title": "Synthetic responses",
    "groups": [{"name": "stance", "label": "Stance", "exclusive": True},
               {"name": "moves", "label": "Moves", "exclusive": False}],
    "codes": [
        {"name": "validating", "label": "Validating", "group": "stance",
         "definition": "Takes the account as true and serious."},
        {"name": "defensive", "label": "Defensive", "group": "stance",
         "definition": "Recentres the responder or their profession."},
        {"name": "systemic-deflection", "label": "Systemic deflection", "group": "stance",
         "definition": "Moves the account onto funding or the system."},
        {"name": "gratitude", "label": "Gratitude", "group": "moves", "definition": "Thanks the writer."},
        {"name": "shared-experience", "label": "Shared experience", "group": "moves",
         "definition": "Relates the responder's own experience of care."},
    ],
})

_MARKERS = {
    "validating": ["sorry", "awful", "believe", "upsetting", "heard", "terrible", "honour"],
    "defensive": ["notall", "colleagues", "hardworking", "profession", "generalise", "nurses", "unfair"],
    "systemic-deflection": ["funding", "underfunded", "government", "cuts", "system", "budget", "politics"],
    "gratitude": ["thanks", "grateful", "wellwritten", "appreciate"],
    "shared-experience": ["mydaughter", "happenedtome", "aspatient", "mymother"],
}
_COMMON = ("the a and to of in it was is that this for on with as at by we you they there here when what which "
           "ward care team staff day week time people service post reply read think know feel").split()


def synthetic_corpus(n: int, *, seed: int = 0, noise: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` units and their true codes.

    Parameters
    ----------
    n : int
        Number of units (ids ``s0``, ``s1``, ...; thread ``synthetic``, each a reply to ``s0``).
    seed : int
        Seed.
    noise : float
        Share of units whose true codes are drawn at random, independent of the text.

    Returns
    -------
    (units, gold)
        A units table (as :func:`workbench.make_units` makes it) and the true codes,
        long (``unit_id, code``).

    Examples
    --------
    >>> units, gold = synthetic_corpus(3, seed=1)
    >>> len(units), sorted(gold.columns)
    (3, ['code', 'unit_id'])
    """
    from ..corpus import make_units

    rng = np.random.default_rng(seed)
    stances = [c.name for c in CODEBOOK.codes_in("stance")]
    rows, gold = [], []
    for i in range(n):
        codes = [stances[rng.integers(len(stances))]]
        codes += [m for m in ("gratitude", "shared-experience") if rng.random() < 0.3]
        words = list(rng.choice(_COMMON, int(rng.integers(6, 14))))
        for c in codes:
            words += list(rng.choice(_MARKERS[c], 2))
        rng.shuffle(words)
        if noise and rng.random() < noise:
            codes = [stances[rng.integers(len(stances))]] + [m for m in ("gratitude", "shared-experience")
                                                               if rng.random() < 0.3]
        uid = f"s{i}"
        rows.append({"unit_id": uid, "thread_id": "synthetic", "parent_id": None if i == 0 else "s0",
                     "text": " ".join(words).capitalize() + ".", "author": f"A{i % 50}"})
        gold += [{"unit_id": uid, "code": c} for c in codes]
    units = make_units(rows, source="synthetic")
    return units, pd.DataFrame(gold, columns=["unit_id", "code"])


def synthetic_coders(gold: pd.DataFrame, slips: dict[str, float], *, seed: int = 0) -> pd.DataFrame:
    """Codings of stand-in coders who follow the true codes except for a share of slips.

    A slip replaces the stance by another at random or drops a move.

    Parameters
    ----------
    gold : pandas.DataFrame
        The true codes (``unit_id, code``).
    slips : dict
        Coder name -> share of units with a slip.
    seed : int
        Seed.

    Returns
    -------
    pandas.DataFrame
        Long codings ``unit_id, coder, code``.

    Examples
    --------
    >>> units, gold = synthetic_corpus(5)
    >>> synthetic_coders(gold, {"ann": 0.0})["coder"].unique().tolist()
    ['ann']
    """
    rng = np.random.default_rng(seed)
    stances = [c.name for c in CODEBOOK.codes_in("stance")]
    rows = []
    sets = gold.groupby("unit_id", sort=False)["code"].agg(list)
    for coder, slip in slips.items():
        for uid, codes in sets.items():
            codes = list(codes)
            if rng.random() < slip:
                if rng.random() < 0.5 or len(codes) == 1:
                    codes[0] = stances[rng.integers(len(stances))]
                else:
                    codes.pop()
            rows += [{"unit_id": uid, "coder": coder, "code": c} for c in codes]
    return pd.DataFrame(rows, columns=["unit_id", "coder", "code"])


def synthetic_project(project, *, n: int = 160, rounds: dict[str, int] | None = None,
                      slips: dict[str, float] | None = None, seed: int = 0, noise: float = 0.0):
    """Fill a project with a synthetic corpus, rounds coded by stand-in coders, and adjudicated (gold) codes.

    Parameters
    ----------
    project : Project
        An empty project.
    n : int
        Number of units.
    rounds : dict
        Round name -> number of units, taken in order from the start (default
        ``{"pilot": 100, "check": 60}``); every coder codes every unit of a round and the
        true codes are recorded as the gold decision.
    slips : dict
        Coder -> share of slips (default ``{"ann": 0.1, "bob": 0.2}``).
    seed : int
        Seed of the corpus and the slips.
    noise : float
        See :func:`synthetic_corpus`.

    Returns
    -------
    (units, gold)
        What :func:`synthetic_corpus` returns.

    Examples
    --------
    >>> import tempfile, os, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> units, gold = synthetic_project(project, n=6, rounds={"pilot": 4})
    >>> project.decisions("pilot")["unit_id"].tolist()
    ['s0', 's1', 's2', 's3']
    >>> project.close()
    """
    rounds = {"pilot": 100, "check": 60} if rounds is None else rounds
    slips = {"ann": 0.1, "bob": 0.2} if slips is None else slips
    units, gold = synthetic_corpus(n, seed=seed, noise=noise)
    project.add_units(units)
    project.add_codebook(CODEBOOK, note="synthetic")
    for coder in slips:
        project.add_coder(coder)
    start = 0
    truth = gold.groupby("unit_id", sort=False)["code"].agg(list)
    for i, (name, size) in enumerate(rounds.items()):
        ids = units["unit_id"].iloc[start:start + size].tolist()
        start += size
        project.new_round(name, coders=list(slips), units=ids, seed=seed)
        codings = synthetic_coders(gold[gold["unit_id"].isin(ids)], slips, seed=seed + i)
        for (uid, coder), rows in codings.groupby(["unit_id", "coder"], sort=False):
            project.code(uid, rows["code"].tolist(), coder=coder, round=name)
        for uid in ids:
            project.adjudicate(uid, truth[uid], round=name, decided_by="supervisor")
    return units, gold
