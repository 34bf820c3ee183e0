"""The disagreement table of a round, as ``round_disagreements`` has always built it.

A pure function over what :meth:`workbench.storage.rounds.Rounds.review_data` reads.
It stays here only until :mod:`workbench.agreement` holds the one disagreement analysis
(issue 12, step 5); then the round's review uses that function and this module goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from ..agreement import masi_distance
from .adjudication import none_for_nan

__all__ = ["disagreement_table"]

WIDE = ["unit_id", "n_coders", "n_assigned", "n_code_sets", "contested", "adjudicated", "codes_by_coder"]
LONG = ["unit_id", "coder", "codes", "memo", "contested"]


def _joined(codes: Iterable[str]) -> str:
    return ", ".join(sorted(set(codes)))


def disagreement_table(
    codings: pd.DataFrame,
    assigned: dict[str, list[str]],
    coders: list[str],
    *,
    decided: set[str],
    codes: str | Sequence[str] | None = None,
    long: bool = False,
    anonymise: bool = False,
    memos: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The units on which the coders assigned to them disagree, most contested first.

    Parameters
    ----------
    codings : pandas.DataFrame
        The round's current codings (``unit_id, coder, code, memo``).
    assigned : dict of str to list of str
        The coders assigned to each unit, units in queue order (empty: any coder).
    coders : list of str
        The round's coders in order.
    decided : set of str
        Units with a decision in the round.
    codes : str or list of str, optional
        Compare only these codes.
    long : bool
        One row per unit and coder.
    anonymise : bool
        Name the coders ``coder 1``, ``coder 2``, ...
    memos : pandas.DataFrame, optional
        The round's latest memos (``unit_id, coder, text``), for the long form.

    Returns
    -------
    pandas.DataFrame
        See :meth:`workbench.Project.round_disagreements`.
    """
    wanted = None if codes is None else set([codes] if isinstance(codes, str) else codes)
    labels = {c: f"coder {i + 1}" for i, c in enumerate(coders)} if anonymise else {c: c for c in coders}
    sets: dict[str, dict[str, set[str]]] = {}
    for uid, coder, code in zip(codings["unit_id"], codings["coder"], codings["code"]):
        if assigned and coder not in assigned.get(uid, ()):
            continue
        cs = sets.setdefault(uid, {}).setdefault(coder, set())
        if code is not None and (wanted is None or code in wanted):
            cs.add(code)
    order = {u: i for i, u in enumerate(assigned)} if assigned else {}
    rows = []
    for uid, by_coder in sets.items():
        if len(by_coder) < 2:
            continue
        distinct = {frozenset(s) for s in by_coder.values()}
        if len(distinct) < 2:
            continue
        ordered = [c for c in coders if c in by_coder] + [c for c in by_coder if c not in coders]
        dists = [masi_distance(frozenset(by_coder[x]), frozenset(by_coder[y])) for x, y in combinations(ordered, 2)]
        row: dict[str, Any] = {
            "unit_id": uid,
            "n_coders": len(by_coder),
            "n_assigned": len(assigned.get(uid, ())) if assigned else len(by_coder),
            "n_code_sets": len(distinct),
            "contested": float(np.round(np.mean(dists), 6)),
            "adjudicated": uid in decided,
            "codes_by_coder": "; ".join(f"{labels.get(c, c)}: {_joined(by_coder[c]) or '(none)'}" for c in ordered),
            "_order": order.get(uid, len(order)),
            "_sets": {c: by_coder[c] for c in ordered},
        }
        for c in coders:
            row[f"codes:{labels[c]}"] = _joined(by_coder[c]) if c in by_coder else None
        rows.append(row)
    rows.sort(key=lambda r: (-r["contested"], -r["n_code_sets"], r["_order"], r["unit_id"]))
    if long:
        return _long(rows, labels, codings, memos)
    cols = WIDE + [f"codes:{labels[c]}" for c in coders]
    df = pd.DataFrame.from_records([{k: r.get(k) for k in cols} for r in rows], columns=cols)
    df = none_for_nan(df, [c for c in cols if c.startswith("codes:")])
    return df.astype({"n_coders": "int64", "n_assigned": "int64", "n_code_sets": "int64",
                      "contested": "float64", "adjudicated": "bool"})


def _long(
    rows: list[dict[str, Any]], labels: dict[str, str], codings: pd.DataFrame, memos: pd.DataFrame | None
) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=LONG)
    memo_of: dict[tuple[str, str], Any] = {}
    if memos is not None:
        memo_of = {(u, c): t for u, c, t in zip(memos["unit_id"], memos["coder"], memos["text"])}
    units = {r["unit_id"] for r in rows}
    noted = codings[codings["unit_id"].isin(units) & codings["memo"].notna() & (codings["memo"] != "")]
    coding_memo = {(u, c): t for u, c, t in zip(noted["unit_id"], noted["coder"], noted["memo"])}
    out = []
    for r in rows:
        for c, s in r["_sets"].items():
            memo = memo_of.get((r["unit_id"], c)) or coding_memo.get((r["unit_id"], c))
            out.append((r["unit_id"], labels.get(c, c), _joined(s), memo, r["contested"]))
    return none_for_nan(pd.DataFrame.from_records(out, columns=LONG), ["memo"])
