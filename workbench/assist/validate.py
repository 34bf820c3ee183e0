"""Honest evaluation of a model coder: agreement with the gold and with each human, beside the humans' own.

The model is measured as one more coder with the coefficients of :mod:`workbench.agreement`
(Krippendorff's alpha and Cohen's kappa, per code, per exclusive group and over all codes,
with bootstrap intervals), on the units it never saw: units it was trained on, or that the
prompt quotes as examples, are left out. The humans' agreement with each other (and with
the gold) is computed on the same units, so that the two can be read side by side
(Chew et al. 2023; Pangakis, Wolken & Fasching 2023; Törnberg 2024). :func:`stability`
asks the same prompt twice, and a paraphrased prompt, and measures agreement between runs
(Barrie, Palaiologou & Törnberg 2024).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from ..agreement import OVERALL, band, reliability_table
from ..codebook import Codebook
from ..sentinels import ALL_ROUNDS, NO_ROUND
from ._data import GOLD, coded_frame
from ._record import model_coders, read_codebook, round_arg, run_records

__all__ = ["VALIDATION_COLUMNS", "Validation", "stability", "validate"]

VALIDATION_COLUMNS = [
    "comparison", "kind", "coder_a", "coder_b", "code", "measure", "value", "ci_low", "ci_high", "n_units",
    "n_pairable", "interpretation", "offered",
]


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "undefined"
    s = f"{x:.3f}"
    return s.replace("0.", ".", 1) if s.startswith("0.") else s.replace("-0.", "-.", 1)


def _ci(row: pd.Series) -> str:
    if not np.isfinite(row["ci_low"]):
        return ""
    joint = " to " if row["ci_low"] < 0 else "–"
    return f" (95% CI {_fmt(row['ci_low'])}{joint}{_fmt(row['ci_high'])})"


@dataclass(frozen=True)
class Validation:
    """The result of :func:`validate`.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy, one row per comparison, code and measure: ``comparison`` (``"<a> vs <b>"``),
        ``kind`` (``model–gold``, ``model–human``, ``human–human``, ``human–gold``,
        ``stability``), ``coder_a``, ``coder_b``, ``code`` (``"(overall)"`` = all codes as
        sets with MASI distance, ``group:<name>``, or a code), ``measure``, ``value``,
        ``ci_low``, ``ci_high``, ``n_units``, ``n_pairable``, ``interpretation``,
        ``offered`` (model rows: whether the model gives that code; else missing).
    model : str
        The model coder.
    units : list of str
        The units compared.
    left_out : list of str
        Units left out because the model saw them (training units, prompt examples).
    notes : list of str
        Anything else the reader should know.
    """

    table: pd.DataFrame
    model: str
    units: list[str]
    left_out: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def chart_data(self) -> pd.DataFrame:
        """Alpha per code and comparison, ready for a chart: ``code, comparison, kind, value, ci_low, ci_high, band``."""
        t = self.table[self.table["measure"] == "alpha"]
        out = t[["code", "comparison", "kind", "value", "ci_low", "ci_high", "n_pairable"]].copy()
        out["band"] = [band(v) for v in out["value"]]
        return out.reset_index(drop=True)

    def _alpha(self, kind: str, code: str = OVERALL) -> pd.DataFrame:
        t = self.table
        return t[(t["kind"] == kind) & (t["measure"] == "alpha") & (t["code"] == code)]

    @property
    def paragraph(self) -> str:
        """A paragraph for the report, in words and numbers."""
        n = len(self.units)
        parts = [f"On {n} unit{'s' if n != 1 else ''} that the model coder {self.model} had not seen"
                 + (f" ({len(self.left_out)} it was trained on or shown as examples were left out)" if self.left_out else "")
                 + ","]
        gold = self._alpha("model–gold")
        if len(gold):
            row = gold.iloc[0]
            parts.append(f"the model agreed with the adjudicated codes at α = {_fmt(row['value'])}{_ci(row)}"
                         " over all codes (MASI distance)")
        else:
            mh = self._alpha("model–human")
            if len(mh):
                said = "; ".join(f"{r['coder_b']} {_fmt(r['value'])}{_ci(r)}" for _, r in mh.iterrows())
                parts.append(f"the model agreed with the human coders at α = {said} over all codes (MASI distance)")
        hh = self._alpha("human–human")
        if len(hh) == 1:
            row = hh.iloc[0]
            parts.append(f"and the human coders with each other at α = {_fmt(row['value'])}{_ci(row)} on the same units")
        elif len(hh) > 1:
            vals = hh["value"].dropna()
            parts.append(f"and the human coders with each other at α = {_fmt(vals.min())} to {_fmt(vals.max())} "
                         f"({len(hh)} pairs) on the same units")
        text = " ".join(parts).rstrip(",") + "."
        ref = "model–gold" if len(gold) else "model–human"
        per = self.table[(self.table["kind"] == ref) & (self.table["measure"] == "alpha")
                         & ~self.table["code"].str.startswith(("(", "group:"))]
        if len(per):
            good = per.groupby("code")["value"].min()
            reliable = sorted(good[good >= 0.8].index)
            text += (f" Per code, the model reached α ≥ .800 on {len(reliable)} of {good.size} codes"
                     + (f" ({', '.join(reliable)})" if reliable else "") + ".")
            not_offered = sorted(set(per.loc[per["offered"].eq(False), "code"]))
            if not_offered:
                text += f" It does not give {', '.join(not_offered)} (it did not beat its baseline in training)."
        stab = self.table[(self.table["kind"] == "stability") & (self.table["measure"] == "alpha")
                          & (self.table["code"] == OVERALL)]
        if len(stab):
            said = "; ".join(f"{r['comparison']} α = {_fmt(r['value'])}{_ci(r)}" for _, r in stab.iterrows())
            text += f" Stability of the model's codes between runs: {said}."
        return text


def _comparison(codings: pd.DataFrame, a: str, b: str, kind: str, units: list[str], codes: list[str],
                groups: dict[str, list[str]] | None, measures: Sequence[str], n_boot: int, seed: int | None,
                label: str | None = None) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = reliability_table(codings, coders=[a, b], codes=codes, units=units, measures=measures, ci=n_boot > 0,
                              n_boot=max(n_boot, 1), seed=seed, exclusive_groups=groups)
    t.insert(0, "coder_b", b)
    t.insert(0, "coder_a", a)
    t.insert(0, "kind", kind)
    t.insert(0, "comparison", label or f"{a} vs {b}")
    t["offered"] = None
    return t[VALIDATION_COLUMNS]


def _groups(codebook: Codebook | None) -> dict[str, list[str]] | None:
    if codebook is None:
        return None
    return {g.name: [c.name for c in codebook.codes if c.group == g.name] for g in codebook.groups if g.exclusive} or None


def _codes(codebook: Codebook | None, codings: pd.DataFrame) -> list[str]:
    if codebook is not None:
        return [c.name for c in codebook.codes if getattr(c, "codable", True)]
    return sorted(str(c) for c in codings["code"].dropna().unique())


def validate(
    source: Any,
    model_coder: Any,
    *,
    gold: Any = True,
    humans: Iterable[str] | None = None,
    round: Any = ALL_ROUNDS,
    units: Iterable[str] | None = None,
    codebook: Codebook | None = None,
    seen: Iterable[str] = (),
    exclude_seen: bool = True,
    measures: Sequence[str] = ("alpha", "cohen_kappa"),
    n_boot: int = 1000,
    seed: int | None = 0,
    stability: pd.DataFrame | None = None,
) -> Validation:
    """Agreement of a model coder with the gold and with each human, beside the humans' own agreement.

    Parameters
    ----------
    source : Project or pandas.DataFrame
        A project, or long codings (``unit_id, coder, code``; a missing code = coded, no
        code applies) holding the model's and the humans' codings.
    model_coder : str, ClassifierModel or LLMCoder
        The model coder (its name, or the model).
    gold : bool or pandas.DataFrame
        A project's gold set (True: the adjudicated codes of ``round``, or the latest
        decision per unit), a gold frame (``unit_id, code``), or False/None for none.
        With a gold set, the units compared are those with a decision.
    humans : iterable of str, optional
        The human coders (default: every coder that is not a model coder).
    round : str, int or ALL_ROUNDS
        The humans' codings and the gold of this round (the model's codings are read from
        every round).
    units : iterable of str, optional
        Only these units.
    codebook : Codebook, optional
        With codings: the codebook (for the code list and the exclusive groups).
    seen : iterable of str
        With codings: units the model saw (a project's are read from its runs).
    exclude_seen : bool
        Leave out the units the model saw (default; turning it off flatters the model).
    measures : sequence of str
        Coefficients of :data:`workbench.agreement.MEASURES` (default alpha and Cohen's kappa).
    n_boot : int
        Bootstrap resamples per interval (0: no intervals).
    seed : int or None
        Seed of the bootstrap.
    stability : pandas.DataFrame, optional
        Rows from :func:`stability`, added to the table.

    Returns
    -------
    Validation
        ``table`` (tidy), ``chart_data`` and ``paragraph``.

    Examples
    --------
    >>> import pandas as pd, workbench as wb
    >>> rows = [("u1", "ann", "a"), ("u1", "ben", "a"), ("u1", "model:x", "a"),
    ...         ("u2", "ann", "b"), ("u2", "ben", "a"), ("u2", "model:x", "b"),
    ...         ("u3", "ann", "b"), ("u3", "ben", "b"), ("u3", "model:x", "b"),
    ...         ("u4", "ann", "a"), ("u4", "ben", "a"), ("u4", "model:x", "a")]
    >>> codings = pd.DataFrame(rows, columns=["unit_id", "coder", "code"])
    >>> v = wb.assist.validate(codings, "model:x", gold=None, n_boot=0)
    >>> v.table.query("code == '(overall)' and measure == 'alpha'")[["comparison", "value"]].round(3)
                    comparison  value
    0   model:x vs ann  1.000
    6   model:x vs ben  0.533
    12      ann vs ben  0.533
    """
    name = model_coder if isinstance(model_coder, str) else getattr(model_coder, "name", None)
    if not isinstance(name, str):
        raise TypeError("model_coder must be a model coder's name or a model (wb.assist.train / LLMCoder)")
    seen_set = {str(u) for u in seen}
    notes: list[str] = []
    offered: set[str] | None = None
    if isinstance(source, pd.DataFrame):
        codings = source
        missing = [c for c in ("unit_id", "coder", "code") if c not in codings.columns]
        if missing:
            raise ValueError(f"codings lacks column(s) {missing}; it needs unit_id, coder, code")
        gold_frame = gold if isinstance(gold, pd.DataFrame) else None
        models = {c for c in codings["coder"].astype(str).unique() if c.startswith(("model:", "llm:"))} | {name}
    else:
        project = source
        codebook = codebook or read_codebook(project, round)
        r = round_arg(round)
        human_rows = project.codings(round=r)[["unit_id", "coder", "code"]]
        model_rows = project.codings(coder=name, round=ALL_ROUNDS)[["unit_id", "coder", "code"]]
        records = run_records(project, name)
        if not records and model_rows.empty:
            raise ValueError(f"{name!r} has not coded anything in this project; record its codings with wb.assist.apply")
        no_code = {u for rec in records for u in rec.get("no_code", [])}
        seen_set |= {str(u) for rec in records for u in rec.get("seen_units", [])}
        offers = [set(rec["offered"]) for rec in records if rec.get("offered") is not None]
        offered = set.union(*offers) if offers else None
        models = model_coders(project) | {name}
        codings = pd.concat([human_rows[~human_rows["coder"].isin(models)], model_rows,
                             coded_frame({u: [] for u in no_code}, name)], ignore_index=True)
        gold_frame = gold if isinstance(gold, pd.DataFrame) else None
        if gold is True:
            if r is NO_ROUND:
                notes.append("no gold set outside rounds; compared with the human coders only")
            else:
                gold_frame = project.gold(r)
                if gold_frame.empty:
                    gold_frame = None
                    notes.append("the project has no adjudicated codes yet; compared with the human coders only")
    codings = codings[["unit_id", "coder", "code"]].assign(unit_id=lambda d: d["unit_id"].astype(str))
    human_list = sorted(set(codings["coder"].astype(str)) - models) if humans is None else [str(h) for h in humans]
    model_units = set(codings.loc[codings["coder"] == name, "unit_id"])
    if not model_units:
        raise ValueError(f"no codings of the model coder {name!r}; coders here: {sorted(set(codings['coder']))}")
    if gold_frame is not None:
        g = gold_frame[["unit_id", "code"]].assign(coder=GOLD, unit_id=lambda d: d["unit_id"].astype(str))
        codings = pd.concat([codings, g[["unit_id", "coder", "code"]]], ignore_index=True)
        pool = model_units & set(g["unit_id"])
    else:
        pool = model_units & set(codings.loc[codings["coder"].isin(human_list), "unit_id"])
    if units is not None:
        pool &= {str(u) for u in units}
    left_out = sorted(pool & seen_set) if exclude_seen else []
    if not exclude_seen and pool & seen_set:
        notes.append(f"{len(pool & seen_set)} unit(s) the model saw are included: its agreement is flattered")
    eval_units = sorted(pool - set(left_out))
    if not eval_units:
        raise ValueError(
            f"no unit to compare: the model coded {len(model_units)} unit(s), "
            + ("of which none has a gold decision" if gold_frame is not None else "none of them coded by a human")
            + (f" that it did not see ({len(left_out)} seen units left out)" if left_out else "")
        )
    codes = _codes(codebook, codings)
    groups = _groups(codebook)
    pairs: list[tuple[str, str, str]] = []
    if gold_frame is not None:
        pairs.append((name, GOLD, "model–gold"))
    pairs += [(name, h, "model–human") for h in human_list]
    pairs += [(a, b, "human–human") for a, b in combinations(human_list, 2)]
    if gold_frame is not None:
        pairs += [(h, GOLD, "human–gold") for h in human_list]
    parts = [_comparison(codings, a, b, kind, eval_units, codes, groups, measures, n_boot, seed) for a, b, kind in pairs]
    if stability is not None:
        parts.append(stability[VALIDATION_COLUMNS])
    table = pd.concat(parts, ignore_index=True)
    is_model = table["kind"].isin(["model–gold", "model–human"]) & ~table["code"].str.startswith(("(", "group:"))
    if offered is not None:
        table["offered"] = table["offered"].astype(object)
        table.loc[is_model, "offered"] = table.loc[is_model, "code"].isin(offered)
    return Validation(table, name, eval_units, left_out, notes)


def stability(
    coder: Any,
    units: pd.DataFrame,
    *,
    runs: int = 2,
    paraphrase: bool = True,
    unit_ids: Sequence[str] | None = None,
    key: Any = None,
    raw: bool = False,
    measures: Sequence[str] = ("alpha",),
    n_boot: int = 1000,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Agreement of a model coder with itself: the same prompt asked again, and a paraphrased prompt.

    Nothing is recorded in a project: the runs are compared in memory (``run 1``,
    ``run 2``, ..., ``paraphrase``), each later run with the first.

    Parameters
    ----------
    coder : LLMCoder or ClassifierModel
        An LLM coder with a codebook (``coder.bind(codebook)``), or a trained model (whose
        runs agree by construction: it is deterministic).
    units : pandas.DataFrame
        A units table.
    runs : int
        How many times the same prompt is asked (at least 2).
    paraphrase : bool
        Also ask with the instructions paraphrased (LLM coders).
    unit_ids : sequence of str, optional
        Code only these units (the others still give context).
    key : PseudonymKey, optional
        Pseudonymise the texts first (see :meth:`LLMCoder.code`).
    raw : bool
        Send raw texts (the supervisor's decision).
    measures : sequence of str
        Coefficients (default alpha).
    n_boot : int
        Bootstrap resamples (0: no intervals).
    seed : int or None
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        The columns of :attr:`Validation.table`, ``kind`` = ``stability``; pass it to
        :func:`validate` as ``stability=``.

    Examples
    --------
    >>> import os, tempfile, pandas as pd, workbench as wb
    >>> cb = wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]})
    >>> texts = ["thank you so much"] * 10 + ["the rota is late again"] * 10
    >>> units = wb.make_units([{"unit_id": f"u{i}", "thread_id": "t", "author": "A", "text": t}
    ...                        for i, t in enumerate(texts)])
    >>> gold = pd.DataFrame({"unit_id": units["unit_id"], "code": ["thanks"] * 10 + [None] * 10})
    >>> model = wb.assist.train(units, on="gold", codings=gold, codebook=cb)
    >>> table = wb.assist.stability(model, units, n_boot=0)
    >>> table.loc[table["code"] == "(overall)", ["comparison", "value"]].values.tolist()
    [['same prompt, run 1 vs run 2', 1.0]]
    """
    if not isinstance(runs, int) or runs < 2:
        raise ValueError(f"runs must be an integer of at least 2; got {runs!r}")
    llm = hasattr(coder, "paraphrased")
    options: dict[str, Any] = {"unit_ids": unit_ids, "key": key, "raw": raw} if llm else {}
    frames = []
    for i in range(1, runs + 1):
        frames.append(coder.code_frame(units, **options).assign(coder=f"run {i}"))
    if paraphrase and llm:
        frames.append(coder.paraphrased().code_frame(units, **options).assign(coder="paraphrase"))
    codings = pd.concat(frames, ignore_index=True)
    codebook = getattr(coder, "codebook", None)
    codes, groups = _codes(codebook, codings), _groups(codebook)
    every = sorted(set(codings["unit_id"]))
    labels = [f"run {i}" for i in range(2, runs + 1)] + (["paraphrase"] if paraphrase and llm else [])
    parts = []
    for other in labels:
        label = "same prompt, run 1 vs " + other if other.startswith("run") else "run 1 vs paraphrased prompt"
        parts.append(_comparison(codings, "run 1", other, "stability", every, codes, groups, measures, n_boot, seed, label))
    out = pd.concat(parts, ignore_index=True)
    for col in ("coder_a", "coder_b"):
        out[col] = out[col].map(lambda c: f"{coder.name} ({c})")
    return out
