"""The kernels behind :mod:`workbench.agreement` (private).

Everything here works on a *coded table* (:class:`workbench.agreement._data.Coded`): an
``(n_units, n_coders)`` integer array in which ``-1`` marks a missing value and
``0 .. K-1`` index an ordered tuple of categories. The kernels return ``(value, reason)``:
``reason`` is ``None`` when the coefficient is defined and a sentence saying why it is not
otherwise.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ._common import AgreementWarning
from ._data import Coded, _sort_key, require_coders
from .weights import weights_matrix

__all__: list[str] = []  # private module

# Above this many coders the coincidence matrix is built from per-unit counts and one
# matrix product per chunk; at or below it, one integer bincount per pair of coders.
_PAIRWISE_MAX_CODERS = 6
_CHUNK_CELLS = 1 << 22  # units x categories per chunk of the counts matrix (32 MB float64)


# --- coincidences and distances ------------------------------------------------------------
def pairable_counts(codes: np.ndarray) -> np.ndarray:
    return (codes >= 0).sum(axis=1)


def coincidences(codes: np.ndarray, k: int) -> np.ndarray:
    """Krippendorff's coincidence matrix o_ck (k x k, float), counted without a unit x k x k tensor.

    Pairs within a unit are counted as integers, per number of values in the unit, and only
    then divided by ``m_u - 1``: with few coders one integer ``bincount`` per pair of coders;
    with many, per-unit value counts (``bincount``) and one matrix product per chunk.
    """
    n, c = codes.shape
    o = np.zeros((k, k))
    if n == 0 or c < 2 or k == 0:
        return o
    valid = codes >= 0
    m = valid.sum(axis=1)
    if c <= _PAIRWISE_MAX_CODERS:
        kk = k * k
        # counts[m-2] = integer pair counts among units with m values
        total = np.zeros((c - 1) * kk, dtype=np.int64)
        group = (np.maximum(m, 2) - 2) * kk
        for i in range(c):
            ci, vi = codes[:, i], valid[:, i]
            for j in range(i + 1, c):
                both = vi & valid[:, j]
                if not both.any():
                    continue
                cj = codes[:, j]
                key = group[both] + ci[both] * k + cj[both]
                total += np.bincount(key, minlength=total.size)
        per_m = total.reshape(c - 1, k, k).astype(float)
        for g in range(c - 1):  # units with m = g + 2 values
            if per_m[g].any():
                o += per_m[g] / (g + 1)
        return o + o.T
    keep = m >= 2
    sub, w = codes[keep], 1.0 / (m[keep] - 1)
    step = max(1, _CHUNK_CELLS // max(k, 1))
    for start in range(0, len(sub), step):
        block, wb = sub[start : start + step], w[start : start + step]
        rows = np.broadcast_to(np.arange(len(block))[:, None], block.shape)
        ok = block >= 0
        counts = np.bincount(rows[ok] * k + block[ok], minlength=len(block) * k).reshape(len(block), k).astype(float)
        weighted = counts * wb[:, None]
        o += weighted.T @ counts
        o -= np.diag(weighted.sum(axis=0))
    return o


def nominal_delta(k: int) -> np.ndarray:
    return 1.0 - np.eye(k)


def ordinal_delta(n_c: np.ndarray) -> np.ndarray:
    k = len(n_c)
    cum = np.cumsum(n_c)
    i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    between = cum[hi] - cum[lo] + n_c[lo]
    return (between - (n_c[i] + n_c[j]) / 2.0) ** 2


def numeric_categories(categories: tuple, level: str) -> np.ndarray:
    try:
        vals = np.array([float(v) for v in categories], dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"level={level!r} needs numeric values; got categories {list(categories)[:5]} "
            "(use level='nominal', or 'ordinal' with categories= in order)"
        ) from None
    return vals


def interval_delta(values: np.ndarray) -> np.ndarray:
    return (values[:, None] - values[None, :]) ** 2


def ratio_delta(values: np.ndarray) -> np.ndarray:
    diff = values[:, None] - values[None, :]
    tot = values[:, None] + values[None, :]
    out = np.zeros_like(diff)
    np.divide(diff, tot, out=out, where=tot != 0)
    return out**2


def set_matrix(categories: tuple) -> np.ndarray:
    """Boolean (n_sets x n_codes) membership matrix for set-valued categories."""
    vocab = sorted({x for s in categories for x in s}, key=_sort_key)
    pos = {v: i for i, v in enumerate(vocab)}
    mat = np.zeros((len(categories), len(vocab)), dtype=bool)
    for r, s in enumerate(categories):
        for x in s:
            mat[r, pos[x]] = True
    return mat


def set_delta(members: np.ndarray, kind: str) -> np.ndarray:
    """Jaccard or MASI distances between every pair of sets (rows of a membership matrix)."""
    f = members.astype(float)
    inter = f @ f.T
    size = f.sum(axis=1)
    union = size[:, None] + size[None, :] - inter
    jac = np.ones_like(inter)
    np.divide(inter, union, out=jac, where=union > 0)
    if kind == "jaccard":
        return 1.0 - jac
    equal = (inter == size[:, None]) & (inter == size[None, :])
    subset = (inter == size[:, None]) | (inter == size[None, :])
    mono = np.where(equal, 1.0, np.where(subset, 2.0 / 3.0, np.where(inter > 0, 1.0 / 3.0, 0.0)))
    return 1.0 - jac * mono


def as_frozenset(x: Any) -> frozenset:
    if isinstance(x, set | frozenset):
        return frozenset(x)
    return frozenset([x])


def masi(a: Any, b: Any) -> float:
    a, b = as_frozenset(a), as_frozenset(b)
    if a == b:
        return 0.0
    inter, union = len(a & b), len(a | b)
    jac = inter / union
    if a <= b or b <= a:
        mono = 2.0 / 3.0
    elif inter:
        mono = 1.0 / 3.0
    else:
        mono = 0.0
    return 1.0 - jac * mono


def jaccard(a: Any, b: Any) -> float:
    a, b = as_frozenset(a), as_frozenset(b)
    union = len(a | b)
    return 0.0 if union == 0 else 1.0 - len(a & b) / union


def delta_matrix(coded: Coded, o: np.ndarray, level: str, distance: Any) -> np.ndarray:
    k = coded.k
    if distance is not None:
        if callable(distance):
            cats = coded.categories
            d = np.array([[float(distance(a, b)) for b in cats] for a in cats], dtype=float).reshape(k, k)
            if d.size and (not np.all(np.isfinite(d)) or (d < 0).any()):
                raise ValueError("a custom distance must return finite, non-negative numbers")
            return d
        if isinstance(distance, str):
            if distance in ("masi", "jaccard"):
                cats = coded.categories if coded.is_set else tuple(as_frozenset(c) for c in coded.categories)
                return set_delta(set_matrix(cats), distance)
            raise ValueError(
                f"distance must be 'masi', 'jaccard', a callable(a, b) -> float or a {k} x {k} matrix; got {distance!r}"
            )
        return distance_matrix(distance, coded.categories)
    if level == "nominal":
        return nominal_delta(k)
    if coded.is_set:
        raise TypeError(f"level={level!r} needs single values; for set-valued cells use distance='masi' or 'jaccard'")
    if level == "ordinal":
        return ordinal_delta(o.sum(axis=1))
    values = numeric_categories(coded.categories, level)
    return interval_delta(values) if level == "interval" else ratio_delta(values)


def distance_matrix(distance: Any, categories: tuple) -> np.ndarray:
    """A user's q x q matrix of distances between categories, checked."""
    k = len(categories)
    try:
        d = np.asarray(distance, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"distance must be 'masi', 'jaccard', a callable(a, b) -> float or a {k} x {k} matrix of numbers; "
            f"got {type(distance).__name__}"
        ) from None
    if d.shape != (k, k):
        raise ValueError(
            f"a distance matrix must be {k} x {k}, one row and column per category {list(categories)[:8]}; "
            f"got shape {d.shape}"
        )
    if not np.all(np.isfinite(d)) or (d < 0).any():
        raise ValueError("a distance matrix holds finite distances >= 0")
    if not np.allclose(np.diag(d), 0.0):
        raise ValueError("a distance matrix needs 0 on its diagonal (a category is at distance 0 from itself)")
    if not np.allclose(d, d.T):
        i, j = np.argwhere(~np.isclose(d, d.T))[0]
        raise ValueError(f"a distance matrix must be symmetric; d[{i}, {j}] = {d[i, j]:g} but d[{j}, {i}] = {d[j, i]:g}")
    return d


# --- reasons for undefined values -----------------------------------------------------------
def _fmt(v: Any) -> str:
    if isinstance(v, frozenset):
        return "{" + ", ".join(sorted(map(str, v))) + "}"
    return repr(v)


def basic_reason(coded: Coded) -> str | None:
    """Why no agreement coefficient can be computed at all (or None)."""
    codes = coded.codes
    if codes.size == 0:
        return "the data are empty (no units or no coders)"
    valid = codes >= 0
    if not valid.any():
        return "every value is missing"
    active = valid.any(axis=0).sum()
    if active < 2:
        return "only one coder has coded any unit; agreement needs two or more coders"
    m = valid.sum(axis=1)
    if not (m >= 2).any():
        single = int((m == 1).sum())
        return f"no unit was coded by two or more coders ({single} unit(s) coded by one coder only)"
    return None


def single_value_reason(coded: Coded, used: np.ndarray, what: str) -> str:
    cats = [coded.categories[i] for i in np.flatnonzero(used)]
    shown = ", ".join(_fmt(c) for c in cats[:3])
    if len(cats) == 1:
        return f"every value is {shown}, so {what} is undefined (0/0): there is no variation to agree on"
    return f"the values ({shown}) are all at distance zero, so {what} is undefined (0/0)"


# --- Krippendorff's alpha ------------------------------------------------------------------
@dataclass(frozen=True)
class AlphaParts:
    o: np.ndarray
    delta: np.ndarray
    n: float
    d_o: float
    d_e: float

    @property
    def value(self) -> float:
        return 1.0 - self.d_o / self.d_e


def alpha_parts(coded: Coded, level: str = "nominal", distance: Any = None) -> tuple[AlphaParts | None, str | None]:
    reason = basic_reason(coded)
    if reason:
        return None, reason
    o = coincidences(coded.codes, coded.k)
    delta = delta_matrix(coded, o, level, distance)
    n_c = o.sum(axis=1)
    n = float(n_c.sum())
    d_o = float((o * delta).sum()) / n
    d_e = float((np.outer(n_c, n_c) * delta).sum()) / (n * (n - 1.0))
    if not d_e > 0:
        return None, single_value_reason(coded, n_c > 0, "alpha")
    return AlphaParts(o, delta, n, d_o, d_e), None


def alpha(coded: Coded, level: str = "nominal", distance: Any = None) -> tuple[float, str | None]:
    parts, reason = alpha_parts(coded, level, distance)
    return (math.nan, reason) if parts is None else (parts.value, None)


# --- weights and the Gwet family -------------------------------------------------------------
def agreement_weights(weights: Any, categories: tuple, *, two_coders: bool = False) -> np.ndarray:
    """Agreement weights for these categories (see :func:`workbench.agreement.weights.weights_matrix`).

    A matrix that is not symmetric is refused for the two-coder coefficients (their value
    would depend on which coder comes first); the many-coder coefficients count every
    pair of coders both ways, so only ``(W + W.T) / 2`` matters: they take it with a warning.
    """
    w = weights_matrix(weights, categories, symmetric=two_coders)
    if not two_coders and not isinstance(weights, str) and weights is not None and not np.allclose(w, w.T):
        i, j = np.argwhere(~np.isclose(w, w.T))[0]
        warnings.warn(
            f"the weight matrix is not symmetric (w[{i}, {j}] = {w[i, j]:g} but w[{j}, {i}] = {w[j, i]:g}); "
            "a many-coder coefficient counts each pair of coders both ways, so it uses only (W + W.T) / 2",
            AgreementWarning,
            stacklevel=4,
        )
    return w


def unit_counts(codes: np.ndarray, k: int) -> np.ndarray:
    """(n_units x k) number of coders who gave each category to each unit."""
    n = codes.shape[0]
    rows = np.broadcast_to(np.arange(n)[:, None], codes.shape)
    ok = codes >= 0
    return np.bincount(rows[ok] * k + codes[ok], minlength=n * k).reshape(n, k).astype(float)


class GwetParts(NamedTuple):
    """Gwet's observed agreement ``pa`` and classification probabilities ``pi`` (or why undefined)."""

    pa: float
    pi: np.ndarray
    reason: str | None


def gwet_parts(coded: Coded, w: np.ndarray) -> GwetParts:
    """Gwet's (2014) observed agreement pa and classification probabilities pi_k for raw ratings."""
    reason = basic_reason(coded)
    if reason:
        return GwetParts(math.nan, np.zeros(coded.k), reason)
    r_ik = unit_counts(coded.codes, coded.k)
    r_i = r_ik.sum(axis=1)
    rated = r_i >= 1
    r_ik, r_i = r_ik[rated], r_i[rated]
    two = r_i >= 2
    weighted = r_ik @ w.T
    per_unit = (r_ik[two] * (weighted[two] - 1.0)).sum(axis=1) / (r_i[two] * (r_i[two] - 1.0))
    pa = float(per_unit.mean())
    pi = (r_ik / r_i[:, None]).mean(axis=0)
    return GwetParts(pa, pi, None)


def chance_corrected(pa: float, pe: float, name: str, coded: Coded, used: np.ndarray) -> tuple[float, str | None]:
    if not 1.0 - pe > 1e-12:
        return math.nan, single_value_reason(coded, used, name) + " (chance agreement is 1)"
    return (pa - pe) / (1.0 - pe), None


def fleiss(coded: Coded, weights: Any = None) -> tuple[float, str | None]:
    w = agreement_weights(weights, coded.categories)
    pa, pi, why = gwet_parts(coded, w)
    if why is not None:
        return math.nan, why
    return chance_corrected(pa, float(pi @ w @ pi), "Fleiss' kappa", coded, pi > 0)


def gwet(coded: Coded, weights: Any = None) -> tuple[float, str | None]:
    k = coded.k
    w = agreement_weights(weights, coded.categories)
    pa, pi, why = gwet_parts(coded, w)
    if why is not None:
        return math.nan, why
    if k < 2:
        return math.nan, single_value_reason(coded, pi > 0, "Gwet's AC") + " (only one category)"
    pe = float(w.sum() * (pi * (1.0 - pi)).sum() / (k * (k - 1)))
    return chance_corrected(pa, pe, "Gwet's AC", coded, pi > 0)


def brennan_prediger(coded: Coded, weights: Any = None) -> tuple[float, str | None]:
    k = coded.k
    w = agreement_weights(weights, coded.categories)
    pa, pi, why = gwet_parts(coded, w)
    if why is not None:
        return math.nan, why
    pe = float(w.sum() / k**2)
    return chance_corrected(pa, pe, "Brennan-Prediger's coefficient", coded, pi > 0)


def conger(coded: Coded, weights: Any = None) -> tuple[float, str | None]:
    require_coders(coded, "Conger's kappa")
    k = coded.k
    w = agreement_weights(weights, coded.categories)
    pa, pi, why = gwet_parts(coded, w)
    if why is not None:
        return math.nan, why
    codes = coded.codes
    rows = []
    for g in range(codes.shape[1]):
        col = codes[:, g]
        col = col[col >= 0]
        if col.size:
            rows.append(np.bincount(col, minlength=k) / col.size)
    p = np.array(rows)  # coders x k
    r = len(p)
    # mean over ordered pairs of distinct coders of their chance agreement (Conger 1980)
    tot = p.sum(axis=0)
    pe = float((tot @ w @ tot - np.einsum("gk,kl,gl->", p, w, p)) / (r * (r - 1)))
    return chance_corrected(pa, pe, "Conger's kappa", coded, pi > 0)


def percent(coded: Coded, weights: Any = None) -> tuple[float, str | None]:
    pa, pi, why = gwet_parts(coded, agreement_weights(weights, coded.categories))
    if why is not None:
        return math.nan, why
    return pa, None


# --- two coders -------------------------------------------------------------------------------
def two_coder_table(coded: Coded, name: str) -> tuple[np.ndarray | None, str | None]:
    c = coded.codes.shape[1]
    if c > 2:
        raise ValueError(
            f"{name} compares exactly two coders; the data have {c} ({list(coded.coders)}). "
            "Select two columns, use pairwise(), or a many-coder measure (fleiss_kappa, conger_kappa, "
            "krippendorff_alpha)"
        )
    reason = basic_reason(coded)
    if reason:
        return None, reason
    a, b = coded.codes[:, 0], coded.codes[:, 1]
    both = (a >= 0) & (b >= 0)
    k = coded.k
    table = np.bincount(a[both] * k + b[both], minlength=k * k).reshape(k, k).astype(float)
    return table, None


def cohen(coded: Coded, weights: Any = None) -> tuple[float, str | None]:
    require_coders(coded, "Cohen's kappa")
    table, reason = two_coder_table(coded, "cohen_kappa")
    if table is None:
        return math.nan, reason
    w = agreement_weights(weights, coded.categories, two_coders=True)
    p = table / table.sum()
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    return chance_corrected(float((w * p).sum()), float(rows @ w @ cols), "Cohen's kappa", coded, (rows + cols) > 0)


def scott(coded: Coded, weights: Any = None) -> tuple[float, str | None]:
    table, reason = two_coder_table(coded, "scott_pi")
    if table is None:
        return math.nan, reason
    w = agreement_weights(weights, coded.categories, two_coders=True)
    p = table / table.sum()
    pi = (p.sum(axis=1) + p.sum(axis=0)) / 2.0
    return chance_corrected(float((w * p).sum()), float(pi @ w @ pi), "Scott's pi", coded, pi > 0)


# --- bootstrap ----------------------------------------------------------------------------------
def order_stat_ci(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval from order statistics, as in Hayes' KALPHA macro."""
    s = np.sort(samples[np.isfinite(samples)])
    x = len(s)
    if x == 0:
        return math.nan, math.nan
    tail = (1.0 - confidence) / 2.0
    lo = min(max(int(math.floor(tail * x)), 1), x)
    hi = min(int(math.floor((1.0 - tail) * x)) + 1, x)
    return float(s[lo - 1]), float(s[hi - 1])


def alpha_bootstrap(parts: AlphaParts, n_coders: int, n_boot: int, rng: np.random.Generator, cap: bool) -> np.ndarray:
    """Krippendorff's (2006/2011) algorithm for bootstrapping alpha, as in Hayes' KALPHA.

    Pairs of values are drawn with replacement from the observed coincidences (cell c<=k
    with probability 2 o_ck / n off the diagonal, o_cc / n on it); each resample's alpha is
    ``1 - sum(delta) / (M * De)`` with the original expected disagreement ``De``.
    """
    o, delta, n = parts.o, parts.delta, parts.n
    k = len(o)
    iu, ju = np.triu_indices(k)
    p = np.where(iu == ju, o[iu, ju], 2.0 * o[iu, ju]) / n
    p = np.clip(p, 0.0, None)
    p = p / p.sum()
    d = delta[iu, ju]
    q = int((o > 0).sum())
    m_pairs = (n_coders - 1) * n / 2.0
    if cap:
        m_pairs = min(25.0 * q, m_pairs)
    m_pairs = max(int(math.floor(m_pairs)), 1)
    draws = rng.multinomial(m_pairs, p, size=n_boot)
    d_sum = draws @ d
    out = 1.0 - d_sum / (m_pairs * parts.d_e)
    out = np.maximum(out, -1.0)
    # A resample whose pairs all fall in one diagonal cell holds a single value: alpha is
    # 0/0 there. Following KALPHA, such resamples count as alpha = 0. They are found
    # from the draws themselves.
    single_value = (d_sum == 0) & (draws.max(axis=1) == m_pairs)
    out[single_value] = 0.0
    return out


def _resample_counts(n_units: int, n_boot: int, rng: np.random.Generator):
    """Yield (n_chunk x n_units) float arrays: how often each unit is drawn in each resample."""
    step = max(1, _CHUNK_CELLS // max(n_units, 1))
    for start in range(0, n_boot, step):
        b = min(step, n_boot - start)
        idx = rng.integers(0, n_units, (b, n_units), dtype=np.int64)
        idx += (np.arange(b, dtype=np.int64) * n_units)[:, None]
        yield np.bincount(idx.ravel(), minlength=b * n_units).reshape(b, n_units).astype(float)


def units_bootstrap(name: str, coded: Coded, weights: Any, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Resample units with replacement and recompute a kappa-type coefficient, vectorised.

    Every coefficient other than alpha is a ratio of sums over units, so a resample is a
    vector of counts (how often each unit was drawn) and the coefficient follows from a
    few matrix products with per-unit statistics computed once.
    """
    codes = coded.codes[(coded.codes >= 0).any(axis=1)]
    n_units, k = len(codes), coded.k
    out = np.empty(n_boot)
    with np.errstate(divide="ignore", invalid="ignore"):
        if name in ("cohen_kappa", "scott_pi"):
            w = agreement_weights(weights, coded.categories, two_coders=True)
            a, b = codes[:, 0], codes[:, 1]
            both = (a >= 0) & (b >= 0)
            cell = np.where(both, a * k + b, 0)
            onehot = np.zeros((n_units, k * k))
            onehot[np.flatnonzero(both), cell[both]] = 1.0
            pos = 0
            for cnt in _resample_counts(n_units, n_boot, rng):
                table = (cnt @ onehot).reshape(-1, k, k)
                total = table.sum(axis=(1, 2))
                p = table / total[:, None, None]
                po = (p * w).sum(axis=(1, 2))
                rows, cols = p.sum(axis=2), p.sum(axis=1)
                if name == "scott_pi":
                    rows = cols = (rows + cols) / 2.0
                pe = np.einsum("bk,kl,bl->b", rows, w, cols)
                val = (po - pe) / (1.0 - pe)
                val[~(1.0 - pe > 1e-12)] = np.nan
                out[pos : pos + len(cnt)] = val
                pos += len(cnt)
            return out
        w = np.eye(k) if name == "gwet_ac1" else agreement_weights(weights, coded.categories)
        r_ik = unit_counts(codes, k)
        r_i = r_ik.sum(axis=1)
        two = (r_i >= 2).astype(float)
        per_unit = np.zeros(n_units)
        t = r_i >= 2
        per_unit[t] = (r_ik[t] * (r_ik[t] @ w.T - 1.0)).sum(axis=1) / (r_i[t] * (r_i[t] - 1.0))
        shares = r_ik / r_i[:, None]
        onehots = []
        if name == "conger_kappa":
            for g in range(codes.shape[1]):
                col = codes[:, g]
                oh = np.zeros((n_units, k))
                ok = col >= 0
                oh[np.flatnonzero(ok), col[ok]] = 1.0
                onehots.append(oh)
        pos = 0
        for cnt in _resample_counts(n_units, n_boot, rng):
            pa = (cnt @ per_unit) / (cnt @ two)
            if name == "percent_agreement":
                val = pa
            else:
                pi = (cnt @ shares) / cnt.sum(axis=1)[:, None]
                if name == "fleiss_kappa":
                    pe = np.einsum("bk,kl,bl->b", pi, w, pi)
                elif name in ("gwet_ac1", "gwet_ac2"):
                    pe = w.sum() * (pi * (1.0 - pi)).sum(axis=1) / (k * (k - 1)) if k > 1 else np.full(len(cnt), np.nan)
                elif name == "brennan_prediger":
                    pe = np.full(len(cnt), w.sum() / k**2)
                elif name == "conger_kappa":
                    per_coder = [cnt @ oh for oh in onehots]  # each b x k
                    p = np.stack([pc / pc.sum(axis=1, keepdims=True) for pc in per_coder])  # g x b x k
                    active = np.isfinite(p).all(axis=2)  # g x b
                    p = np.where(active[:, :, None], p, 0.0)
                    r = active.sum(axis=0).astype(float)
                    tot = p.sum(axis=0)
                    pe = (np.einsum("bk,kl,bl->b", tot, w, tot) - np.einsum("gbk,kl,gbl->b", p, w, p)) / (r * (r - 1.0))
                else:  # pragma: no cover - guarded by the caller
                    raise ValueError(f"no units bootstrap for {name!r}")
                val = (pa - pe) / (1.0 - pe)
                val[~(1.0 - pe > 1e-12)] = np.nan
            out[pos : pos + len(cnt)] = val
            pos += len(cnt)
    return out
