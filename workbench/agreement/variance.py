"""Standard errors, confidence intervals and p-values of the kappa family by Gwet's variance formulas.

Beside the bootstrap (:func:`workbench.agreement.bootstrap`), the analytic precision
measures that Gwet (2008; 2014, ch. 5) derives and his irrCAC package reports
(``coeff.se``, ``conf.int``, ``p.value``): for two coders' contingency tables the
special two-rater formulas (irrCAC's ``*.table`` functions), for raw ratings and for
units x categories counts the linearised unit-level formulas (``*.raw`` and ``*.dist``),
each with the finite-population correction ``1 - n/N`` when the population is finite.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

import workbench.agreement._data as _data
import workbench.agreement._kernels as _kernels

from ._common import AgreementWarning
from ._data import Coded
from ._measures import MEASURES, _measure

__all__ = ["SE_COLUMNS", "SE_MEASURES", "standard_errors"]

#: The coefficients with Gwet's variance formulas (names as in :data:`MEASURES`).
SE_MEASURES = (
    "percent_agreement",
    "cohen_kappa",
    "scott_pi",
    "conger_kappa",
    "fleiss_kappa",
    "brennan_prediger",
    "gwet_ac1",
    "gwet_ac2",
)
#: The columns of :func:`standard_errors`, in order.
SE_COLUMNS = ["coefficient", "value", "se", "ci_low", "ci_high", "p_value", "pa", "pe", "n_units"]


# --- Student's t ------------------------------------------------------------------------------
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 20000):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)), -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """Student's t distribution function, from the regularised incomplete beta function.

    Parameters
    ----------
    t : float
        The point.
    df : float
        Degrees of freedom (> 0).

    Returns
    -------
    float
        ``P(T <= t)`` for ``T ~ t(df)``.

    References
    ----------
    Abramowitz, M., & Stegun, I. A. (1964). Handbook of Mathematical Functions, 26.7.1 and 26.5.

    Examples
    --------
    >>> round(t_cdf(2.200985, 11), 6)
    0.975
    """
    if math.isnan(t):
        return math.nan
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def _t_pdf(t: float, df: float) -> float:
    log = math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0) - 0.5 * math.log(df * math.pi)
    return math.exp(log - (df + 1.0) / 2.0 * math.log1p(t * t / df))


def t_quantile(p: float, df: float) -> float:
    """The quantile of Student's t distribution: safeguarded Newton steps on :func:`t_cdf`.

    Parameters
    ----------
    p : float
        The probability, strictly between 0 and 1.
    df : float
        Degrees of freedom (> 0).

    Returns
    -------
    float
        ``t`` with ``P(T <= t) = p`` for ``T ~ t(df)``.

    References
    ----------
    Abramowitz, M., & Stegun, I. A. (1964). Handbook of Mathematical Functions, 26.7.5.

    Examples
    --------
    >>> round(t_quantile(0.975, 11), 6), round(t_quantile(0.975, 99), 6)
    (2.200985, 1.984217)
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1; got {p}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    z = NormalDist().inv_cdf(p)  # Cornish-Fisher start (Abramowitz & Stegun 26.7.5)
    t = z + (z**3 + z) / (4.0 * df) + (5.0 * z**5 + 16.0 * z**3 + 3.0 * z) / (96.0 * df**2)
    lo, hi = 0.0, max(2.0 * t, 1.0)
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2.0
    t = min(max(t, lo), hi)
    for _ in range(100):
        f = t_cdf(t, df) - p
        if f < 0:
            lo = t
        else:
            hi = t
        step = f / _t_pdf(t, df)
        new = t - step
        if not lo < new < hi:
            new = (lo + hi) / 2.0
        if abs(new - t) < 1e-13 * max(1.0, abs(t)):
            return new
        t = new
    return t


# --- the formulas -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Estimate:
    value: float
    pa: float
    pe: float
    variance: float  # without the finite-population factor
    n: int


def _table(name: str, table: np.ndarray, w: np.ndarray) -> _Estimate:
    """Two coders' contingency table: irrCAC's kappa2/scott2/gwet.ac1/bp2/pa2.table (Gwet 2014, ch. 5)."""
    n = float(table.sum())
    q = len(table)
    p = table / n
    pa = float((w * p).sum())
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    sum_w2 = float((p * w**2).sum())
    if name == "percent_agreement":
        return _Estimate(pa, pa, 0.0, (sum_w2 - pa**2) / n, int(n))
    tw = float(w.sum())
    if name in ("cohen_kappa", "conger_kappa"):
        pe = float(rows @ w @ cols)
        kappa = (pa - pe) / (1.0 - pe)
        a, b = w @ cols, w.T @ rows
        s = float((p * (w - (1.0 - kappa) * (a[:, None] + b[None, :])) ** 2).sum())
    elif name in ("scott_pi", "fleiss_kappa"):
        pi = (rows + cols) / 2.0
        pe = float(pi @ w @ pi)
        kappa = (pa - pe) / (1.0 - pe)
        a = (w @ cols + w.T @ rows) / 2.0
        s = float((p * (w - (1.0 - kappa) * (a[:, None] + a[None, :])) ** 2).sum())
    elif name in ("gwet_ac1", "gwet_ac2"):
        pi = (rows + cols) / 2.0
        pe = tw * float((pi * (1.0 - pi)).sum()) / (q * (q - 1))
        kappa = (pa - pe) / (1.0 - pe)
        g = 2.0 * (1.0 - kappa) * tw * (1.0 - (pi[:, None] + pi[None, :]) / 2.0) / (q * (q - 1))
        s = float((p * (w - g) ** 2).sum())
    else:  # brennan_prediger
        pe = tw / q**2
        kappa = (pa - pe) / (1.0 - pe)
        return _Estimate(kappa, pa, pe, (sum_w2 - pa**2) / (n * (1.0 - pe) ** 2), int(n))
    var = (s - (pa - 2.0 * (1.0 - kappa) * pe) ** 2) / (n * (1.0 - pe) ** 2)
    return _Estimate(kappa, pa, pe, var, int(n))


def _per_unit(name: str, r: np.ndarray, w: np.ndarray) -> _Estimate:
    """Units x categories counts: irrCAC's *.raw and *.dist linearised variances (Gwet 2008; 2014, ch. 5)."""
    r = r[r.sum(axis=1) > 0]
    n, q = r.shape
    ri = r.sum(axis=1)
    two = ri >= 2
    n2 = int(two.sum())
    sum_q = (r * (r @ w.T - 1.0)).sum(axis=1)
    pa_i = np.zeros(n)
    pa_i[two] = sum_q[two] / (ri[two] * (ri[two] - 1.0))
    pa = float(pa_i.sum() / n2)
    share = r / ri[:, None]
    pi = share.mean(axis=0)
    tw = float(w.sum())
    if name == "percent_agreement":
        dev = (n / n2) * pa_i - pa
        return _Estimate(pa, pa, 0.0, float((dev**2).sum()) / (n * (n - 1.0)), n)
    if name in ("gwet_ac1", "gwet_ac2"):
        pe = tw * float((pi * (1.0 - pi)).sum()) / (q * (q - 1))
        pe_i = tw / (q * (q - 1)) * (share @ (1.0 - pi))
    elif name == "fleiss_kappa":
        pe = float(pi @ w @ pi)
        pe_i = share @ ((w @ pi + w.T @ pi) / 2.0)
    else:  # brennan_prediger
        pe = tw / q**2
        pe_i = np.full(n, pe)
    kappa = (pa - pe) / (1.0 - pe)
    k_i = (n / n2) * (pa_i - pe * two) / (1.0 - pe) - 2.0 * (1.0 - kappa) * (pe_i - pe) / (1.0 - pe)
    return _Estimate(kappa, pa, pe, float(((k_i - kappa) ** 2).sum()) / (n * (n - 1.0)), n)


def _conger(coded: Coded, w: np.ndarray) -> _Estimate:
    """Conger's kappa for raw ratings, with Gwet's (2014, ch. 5) variance as irrCAC's conger.kappa.raw."""
    codes = coded.codes[(coded.codes >= 0).any(axis=1)]
    codes = codes[:, (codes >= 0).any(axis=0)]
    n, r = codes.shape
    q = coded.k
    rated = codes >= 0
    r_ik = _kernels.unit_counts(codes, q)
    ri = r_ik.sum(axis=1)
    two = ri >= 2
    n2 = int(two.sum())
    pa_i = np.zeros(n)
    sum_q = (r_ik * (r_ik @ w.T - 1.0)).sum(axis=1)
    pa_i[two] = sum_q[two] / (ri[two] * (ri[two] - 1.0))
    pa = float(pa_i.sum() / n2)
    classified = np.stack([np.bincount(codes[rated[:, g], g], minlength=q) for g in range(r)]).astype(float)
    n_g = classified.sum(axis=1)
    p_g = classified / n_g[:, None]  # coders x categories
    p_mean = p_g.mean(axis=0)
    s2 = (p_g.T @ p_g - r * np.outer(p_mean, p_mean)) / (r - 1.0)
    pe = float((w * (np.outer(p_mean, p_mean) - s2 / r)).sum())
    kappa = (pa - pe) / (1.0 - pe)
    c = (n / n_g)[:, None] * (r * p_mean[None, :] - p_g)  # coders x categories
    d = c @ w  # d[g, l] = sum_k w[k, l] c[g, k]
    e = ((p_g @ w.T) * c).sum(axis=1)  # e[g] = sum_k (P W')[g, k] c[g, k]
    eps = rated.astype(float)
    gathered = np.where(rated, d[np.arange(r)[None, :], np.where(rated, codes, 0)], 0.0)
    lam = gathered - (eps - (n_g / n)[None, :]) * e[None, :]
    pe_i = lam.sum(axis=1) / (r * (r - 1.0))
    k_i = (n / n2) * (pa_i - pe * two) / (1.0 - pe) - 2.0 * (1.0 - kappa) * (pe_i - pe) / (1.0 - pe)
    return _Estimate(kappa, pa, pe, float(((k_i - kappa) ** 2).sum()) / (n * (n - 1.0)), n)


def _two_coder_table(coded: Coded) -> np.ndarray:
    a, b = coded.codes[:, 0], coded.codes[:, 1]
    both = (a >= 0) & (b >= 0)
    k = coded.k
    return np.bincount(a[both] * k + b[both], minlength=k * k).reshape(k, k).astype(float)


def _estimate(name: str, coded: Coded, weights: Any) -> tuple[_Estimate | None, str | None]:
    """Value, pa, pe and variance of one coefficient, or why it is undefined."""
    m = _measure(name)
    if name == "gwet_ac1":
        weights = None
    elif name == "gwet_ac2" and weights is None:
        weights = "quadratic"
    if name in ("cohen_kappa", "scott_pi") and coded.codes.shape[1] != 2:
        raise ValueError(
            f"{name} compares exactly two coders; the data have {coded.codes.shape[1]}. Select two, or use "
            "conger_kappa or fleiss_kappa"
        )
    value, reason = _kernels.gwet(coded, weights) if name.startswith("gwet") else m.kernel(coded, weights)
    if reason is not None:
        return None, reason
    two = name in ("cohen_kappa", "scott_pi") or coded.form == "contingency"
    w = _kernels.agreement_weights(weights, coded.categories, two_coders=two)
    if two:
        est = _table(name, _two_coder_table(coded), w)
    elif name == "conger_kappa":
        est = _conger(coded, w)
    else:
        est = _per_unit(name, _kernels.unit_counts(coded.codes, coded.k), w)
    return est, None


def _row(name: str, est: _Estimate | None, confidence: float, population: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"coefficient": name}
    if est is None:
        row.update(value=math.nan, se=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=math.nan,
                   pa=math.nan, pe=math.nan, n_units=0)
        return row
    n = est.n
    se = ci_low = ci_high = p_value = math.nan
    if n >= 2:
        f = 0.0 if population is None else n / population
        se = math.sqrt(max((1.0 - f) * est.variance, 1e-100))
        t = t_quantile(1.0 - (1.0 - confidence) / 2.0, n - 1)
        ci_low, ci_high = est.value - t * se, min(1.0, est.value + t * se)
        p_value = 1.0 - t_cdf(est.value / se, n - 1)
    row.update(value=est.value, se=se, ci_low=ci_low, ci_high=ci_high, p_value=p_value, pa=est.pa, pe=est.pe,
               n_units=n)
    return row


def _default_measures(coded: Coded, weighted: bool) -> list[str]:
    gwet = "gwet_ac2" if weighted else "gwet_ac1"
    if coded.form == "contingency":
        return ["percent_agreement", "cohen_kappa", "scott_pi", "brennan_prediger", gwet]
    if coded.form == "counts":
        return ["percent_agreement", "fleiss_kappa", "brennan_prediger", gwet]
    if coded.codes.shape[1] == 2:
        return ["percent_agreement", "cohen_kappa", "scott_pi", "conger_kappa", "fleiss_kappa", "brennan_prediger", gwet]
    return ["percent_agreement", "conger_kappa", "fleiss_kappa", "brennan_prediger", gwet]


def _check(confidence: float, population: float | None) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, e.g. 0.95; got {confidence!r}")
    if population is not None and not (isinstance(population, int | float) and population > 0):
        raise ValueError(f"population (irrCAC's N) must be a positive number of units, or None; got {population!r}")


def standard_errors(
    data: Any,
    measures: Sequence[str] | None = None,
    *,
    weights: Any = None,
    categories: Sequence | None = None,
    confidence: float = 0.95,
    population: float | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    """Kappa-family coefficients with Gwet's standard errors, confidence intervals and p-values.

    The analytic precision measures of Gwet (2008; 2014, ch. 5), as his irrCAC package
    reports them, one tidy row per coefficient. Which formulas apply depends on the form
    of the data, as in irrCAC:

    * a **contingency table** (:func:`from_contingency`): the two-rater formulas of
      ``kappa2.table``, ``scott2.table``, ``gwet.ac1.table``, ``bp2.table`` and
      ``pa2.table`` (Fleiss' kappa is Scott's pi and Conger's kappa Cohen's there);
    * **raw ratings** (a units x coders table): the linearised formulas of ``pa.coeff.raw``,
      ``gwet.ac1.raw``, ``fleiss.kappa.raw``, ``conger.kappa.raw`` and ``bp.coeff.raw``
      over every unit rated at least once; Cohen's kappa and Scott's pi use the two-rater
      formulas on the table of units both coders coded (their value is computed there);
    * **counts** (:func:`from_counts`): the formulas of the ``*.dist`` functions.

    The interval is ``value ± t(n - 1) × se`` at ``confidence`` (its upper end capped at 1);
    the p-value is one-sided, ``P(T > value / se)`` for ``T ~ t(n - 1)``, testing the
    hypothesis that the coefficient is 0 (irrCAC since 2021; irrCAC 1.0 printed the
    two-sided value, twice this). ``se`` carries the finite-population factor ``1 - n/N``
    when ``population=N`` is given.

    Parameters
    ----------
    data : DataFrame, array, list of lists or Tabulated
        Raw ratings (units x coders, or long with ``unit=``, ``coder=``, ``value=``), or a
        table of counts from :func:`from_contingency` or :func:`from_counts`.
    measures : sequence of str, optional
        Names from :data:`SE_MEASURES`. Default: every one that applies to the data
        (``gwet_ac1``, or ``gwet_ac2`` when ``weights`` are given).
    weights : None, str or array
        Agreement weights for every coefficient (see :func:`weights_matrix`); ``gwet_ac1``
        is unweighted and ``gwet_ac2`` defaults to quadratic weights.
    categories : sequence, optional
        All categories in order (raw ratings).
    confidence : float
        Coverage of the interval.
    population : float, optional
        The number of units in the population the units were drawn from (irrCAC's ``N``);
        default infinite.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    pandas.DataFrame
        One row per coefficient, columns :data:`SE_COLUMNS`: ``coefficient``, ``value``,
        ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``pa`` (observed agreement), ``pe``
        (chance agreement) and ``n_units`` (the units behind the formula). An undefined
        coefficient's row is ``NaN`` (with an :class:`AgreementWarning` saying why).

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence
    of high agreement. British Journal of Mathematical and Statistical Psychology, 61, 29-48.

    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), ch. 5. Advanced Analytics.

    Gwet, K. L. (2019). irrCAC: Computing chance-corrected agreement coefficients (R package).
    https://CRAN.R-project.org/package=irrCAC

    Examples
    --------
    irrCAC's ``cont3x3abstractors`` (irrCAC prints Cohen's kappa 0.7964094, se 0.05891072,
    interval (0.68, 0.913)):

    >>> from workbench.agreement import from_contingency, standard_errors
    >>> table = from_contingency([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    >>> out = standard_errors(table, ["cohen_kappa", "gwet_ac1"])
    >>> out[["coefficient", "value", "se", "ci_low", "ci_high"]].round(4)
       coefficient   value      se  ci_low  ci_high
    0  cohen_kappa  0.7964  0.0589  0.6795   0.9133
    1     gwet_ac1  0.8493  0.0432  0.7636   0.9351
    """
    _check(confidence, population)
    coded = _data.encode(data, unit, coder, value, categories)
    weighted = weights is not None and not (isinstance(weights, str) and weights in ("identity", "unweighted"))
    names = _default_measures(coded, weighted) if measures is None else [_measure(m).name for m in measures]
    unknown = [m for m in names if m not in SE_MEASURES]
    if unknown:
        raise ValueError(f"no variance formula for {unknown}; standard_errors computes {list(SE_MEASURES)} "
                         f"(use bootstrap() for {sorted(set(MEASURES) - set(SE_MEASURES))})")
    if "gwet_ac1" in names and weighted:
        raise ValueError("gwet_ac1 is unweighted; ask for gwet_ac2 to use weights")
    if population is not None:
        n_max = max((_units(coded, m) for m in names), default=0)
        if population < n_max:
            raise ValueError(f"population ({population}) is smaller than the {n_max} units in the data")
    rows = []
    for name in names:
        est, reason = _estimate(name, coded, weights)
        if reason is not None:
            warnings.warn(f"{name}: {reason}", AgreementWarning, stacklevel=2)
        rows.append(_row(name, est, confidence, population))
    out = pd.DataFrame.from_records(rows, columns=SE_COLUMNS)
    return out.astype({"n_units": "int64"})


def _units(coded: Coded, name: str) -> int:
    if name in ("cohen_kappa", "scott_pi") or coded.form == "contingency":
        return int(((coded.codes >= 0).sum(axis=1) >= 2).sum())
    return int((coded.codes >= 0).any(axis=1).sum())


def _gwet_interval(
    name: str, coded: Coded, weights: Any, confidence: float = 0.95, population: float | None = None
) -> tuple[float, float, float, str | None]:
    """``(value, ci_low, ci_high, reason)`` by Gwet's formulas, for the per-code report (private)."""
    est, reason = _estimate(name, coded, weights)
    row = _row(name, est, confidence, population)
    return row["value"], row["ci_low"], row["ci_high"], reason
