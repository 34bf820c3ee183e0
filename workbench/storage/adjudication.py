"""Adjudication: a supervisor's decisions per unit and round, the gold set, proposals.

Decisions are append-only; the latest per unit and round is current. A decision may be
"no code applies" (an empty list). :meth:`Adjudication.decisions` lists one row per
decision, codes comma-joined, so decisions are countable; :meth:`Adjudication.gold`
lists the same decisions long, one row per code, with a decision of "no code" kept as
one row whose ``code`` is missing (None).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..errors import UnknownCodeError, WorkbenchError
from ..sentinels import ALL_ROUNDS
from . import tables as T
from ._kernel import Kernel, RoundRef, RoundSelection, now, round_selection, utc
from .codebooks import Codebooks

__all__ = ["Adjudication"]

_DECISION_COLUMNS = [
    "adjudication_id", "unit_id", "round", "codes", "n_codes", "decided_by", "reason", "proposal",
    "codebook_version", "at",
]
_GOLD_COLUMNS = ["unit_id", "code", "round", "decided_by", "reason", "at", "codebook_version", "adjudication_id"]


def _none_for_nan(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Missing values of text columns as None (pandas turns None into NaN when building frames).

    Parameters
    ----------
    df : pandas.DataFrame
        Changed in place.
    columns : iterable of str

    Returns
    -------
    pandas.DataFrame
        ``df``.

    Examples
    --------
    >>> _none_for_nan(pd.DataFrame({"memo": ["a", float("nan")]}), ["memo"])["memo"].tolist()
    ['a', None]
    """
    for c in columns:
        df[c] = pd.Series(
            [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in df[c]],
            index=df.index,
            dtype=object,
        )
    return df


class Adjudication:
    """Record decisions and read the decisions, the gold set and the proposals.

    Parameters
    ----------
    kernel : Kernel
    codebooks : Codebooks
        To validate decisions against the round's codebook version.
    """

    def __init__(self, kernel: Kernel, codebooks: Codebooks):
        self.kernel = kernel
        self.codebooks = codebooks

    def adjudicate(
        self,
        unit_id: str,
        codes: str | Iterable[str],
        *,
        round: RoundRef,
        decided_by: str,
        reason: str | None = None,
        proposal: str | None = None,
    ) -> int:
        """Record the final codes of a unit in a round (append-only; the latest decision is current).

        Parameters
        ----------
        unit_id : str
            The unit.
        codes : str or list of str
            The decided codes; an empty list records that no code applies. Validated
            against the round's codebook version (unknown codes, categories, two codes
            of one exclusive group are refused).
        round : str or int
            The round whose disagreement this resolves.
        decided_by : str
            The supervisor (need not be a coder).
        reason : str, optional
            Why: shown beside the decision and in :meth:`gold`.
        proposal : str, optional
            Discussion notes for a proposed codebook change (see :meth:`proposals`).

        Returns
        -------
        int
            The decision's id.
        """
        if isinstance(codes, str):
            code_list = [codes]
        else:
            code_list = list(codes)
            for c in code_list:
                if not isinstance(c, str):
                    raise TypeError(f"codes must be code names (strings); got {c!r}")
        code_list = sorted(set(code_list))
        if not isinstance(decided_by, str) or not decided_by.strip():
            raise ValueError("decided_by must name the person who decides, e.g. decided_by='supervisor'")
        for label, text in (("reason", reason), ("proposal", proposal)):
            if text is not None and not isinstance(text, str):
                raise TypeError(f"{label} must be text or None; got {type(text).__name__}")
        has_proposal = bool(proposal and proposal.strip())
        doing = f"record the decision on unit {unit_id!r}"
        with self.kernel.transaction(doing, after="Nothing was recorded; try again.") as conn:
            rnd = self.kernel.one_round(conn, round, "adjudicate")
            self.kernel.require_unit(conn, unit_id)
            a = T.round_assignments.c
            has_assignments = sa.select(sa.literal(1)).where(a.round_id == rnd["round_id"]).limit(1)
            assigned = sa.select(sa.literal(1)).where(a.round_id == rnd["round_id"], a.unit_id == unit_id).limit(1)
            if conn.execute(has_assignments).first() and not conn.execute(assigned).first():
                raise ValueError(
                    f"unit {unit_id!r} is not in round {rnd['name']!r}; adjudicate the units of "
                    f"project.round_disagreements({rnd['name']!r})"
                )
            version = rnd["codebook_version"] or self.kernel.newest_version(conn)
            if version is None:
                raise WorkbenchError("this project has no codebook; add one with project.add_codebook(...)")
            self._check(code_list, int(version))
            adj_id = conn.execute(
                T.adjudications.insert()
                .values(round_id=rnd["round_id"], unit_id=unit_id, codes=json.dumps(code_list),
                        decided_by=decided_by.strip(), reason=reason, proposal=proposal if has_proposal else None,
                        codebook_version=int(version), at=now())
                .returning(T.adjudications.c.adjudication_id)
            ).scalar_one()
            detail = {"adjudication_id": adj_id, "round": rnd["name"], "unit_id": unit_id, "codes": code_list,
                      "has_proposal": has_proposal}
            self.kernel.audit(conn, "adjudicate", detail, decided_by.strip())
        return int(adj_id)

    def _check(self, codes: list[str], version: int) -> None:
        cb = self.codebooks.codebook(version)
        unknown = [c for c in codes if c not in cb]
        if unknown:
            raise UnknownCodeError(
                f"code(s) {unknown} are not in codebook version {version} ({cb.name}), the round's version; "
                f"valid codes: {cb.names}"
            )
        categories = [c for c in codes if not getattr(cb[c], "codable", True)]
        if categories:
            raise ValueError(f"{categories} are categories (isCodable=false), not codes; decide on one of their codes")
        by_group: dict[str, list[str]] = {}
        for c in codes:
            group = cb[c].group
            if group:
                by_group.setdefault(group, []).append(c)
        for g, members in by_group.items():
            try:
                exclusive = cb.group(g).exclusive
            except KeyError:
                exclusive = False
            if exclusive and len(members) > 1:
                raise ValueError(f"codes {members} belong to the exclusive group {g!r}: decide on one of them")

    def decisions(self, round: RoundSelection = ALL_ROUNDS, *, latest: bool = True) -> pd.DataFrame:
        """Decisions, one row per decision, codes comma-joined, oldest first.

        Parameters
        ----------
        round : str, int, ALL_ROUNDS, NO_ROUND or None
            One round's decisions, or every round's (ALL_ROUNDS). Decisions are always made
            in a round, so NO_ROUND (None) selects none.
        latest : bool
            Only current decisions: the latest per unit and round for one round; across
            rounds the latest per unit (the gold set). False: every decision ever recorded.

        Returns
        -------
        pandas.DataFrame
            ``adjudication_id, unit_id, round, codes`` (``""`` when no code applies),
            ``n_codes, decided_by, reason, proposal, codebook_version, at``.
        """
        j, r = T.adjudications.c, T.rounds.c
        q = (
            sa.select(j.adjudication_id, j.unit_id, r.name.label("round"), j.codes, j.decided_by, j.reason,
                      j.proposal, j.codebook_version, j.at)
            .select_from(T.adjudications.outerjoin(T.rounds, r.round_id == j.round_id))
            .order_by(j.adjudication_id)
        )
        sel = round_selection(round)
        q = self.kernel.where_round(q, j, sel)
        df = self.kernel.frame(q, "read the adjudication decisions", times=("at",))
        if latest and len(df):
            keys = ["unit_id"] if sel is ALL_ROUNDS else ["unit_id", "round"]
            df = df.groupby(keys, sort=False, dropna=False).tail(1).sort_values("adjudication_id")
        lists = [json.loads(c) for c in df["codes"]]
        df["codes"] = [", ".join(x) for x in lists]
        df["n_codes"] = pd.Series([len(x) for x in lists], index=df.index, dtype="int64")
        df["codebook_version"] = df["codebook_version"].astype("Int64")
        df["adjudication_id"] = df["adjudication_id"].astype("int64")
        return _none_for_nan(df[_DECISION_COLUMNS].reset_index(drop=True), ["reason", "proposal"])

    def gold(self, round: RoundSelection = ALL_ROUNDS) -> pd.DataFrame:
        """The gold set: current decisions, long (one row per code; "no code" is one row, code None).

        Parameters
        ----------
        round : str, int, ALL_ROUNDS, NO_ROUND or None
            As for :meth:`decisions`.

        Returns
        -------
        pandas.DataFrame
            ``unit_id, code, round, decided_by, reason, at, codebook_version, adjudication_id``.
        """
        dec = self.decisions(round)
        rows: list[dict[str, Any]] = []
        for rec in dec.to_dict("records"):
            codes = [c for c in rec["codes"].split(", ") if c] or [None]
            rows.extend({**rec, "code": c} for c in codes)
        df = pd.DataFrame.from_records(rows, columns=_GOLD_COLUMNS)
        if not len(df):
            df = dec.assign(code=pd.Series(dtype=object))[_GOLD_COLUMNS]
        df["codebook_version"] = df["codebook_version"].astype("Int64")
        df["at"] = utc(df["at"])
        return _none_for_nan(df.reset_index(drop=True), ["code", "reason"])

    def proposals(self, round: RoundSelection = ALL_ROUNDS) -> pd.DataFrame:
        """Discussion notes of proposed codebook changes (superseded decisions included), oldest first.

        Parameters
        ----------
        round : str, int, ALL_ROUNDS, NO_ROUND or None
            As for :meth:`decisions`.

        Returns
        -------
        pandas.DataFrame
            ``adjudication_id, unit_id, round, decided_by, proposal, reason,
            codebook_version, newer_version, at``.
        """
        df = self.decisions(round, latest=False)
        df = df[df["proposal"].notna() & (df["proposal"].astype(str).str.strip() != "")]
        newest = self.codebooks.codebook_version()
        newer = [newest if newest is not None and pd.notna(v) and newest > v else None for v in df["codebook_version"]]
        df = df.assign(newer_version=pd.array(newer, dtype="Int64"))
        cols = ["adjudication_id", "unit_id", "round", "decided_by", "proposal", "reason", "codebook_version",
                "newer_version", "at"]
        return df[cols].reset_index(drop=True)

