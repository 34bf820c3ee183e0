"""Bootstrap confidence intervals for every coefficient."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import workbench.agreement._data as _data
import workbench.agreement._kernels as _kernels

from ._common import AgreementWarning, _check_level
from ._data import Coded
from ._measures import _kernel_call, _Measure, _measure, _split_kwargs

__all__ = ["BootstrapResult", "bootstrap"]


@dataclass(frozen=True)
class BootstrapResult:
    """A coefficient with its bootstrap confidence interval.

    Attributes
    ----------
    measure : str
        The coefficient's name (a key of :data:`MEASURES`).
    value : float
        The coefficient on the data as given (``NaN`` when undefined).
    ci_low, ci_high : float
        The percentile interval at ``confidence``, from the sorted resampled values.
    confidence : float
        The interval's coverage, e.g. 0.95.
    n : int
        The number of resamples drawn.
    seed : int or None
        The seed that reproduces the resamples.
    method : str
        ``"krippendorff"`` (Hayes & Krippendorff's procedure for alpha) or ``"units"``
        (units resampled with replacement).
    samples : numpy.ndarray
        The resampled values (``NaN`` where a resample was undefined).
    """

    measure: str
    value: float
    ci_low: float
    ci_high: float
    confidence: float
    n: int
    seed: int | None
    method: str
    samples: np.ndarray = field(repr=False)

    def prob_below(self, threshold: float) -> float:
        """Share of resamples below ``threshold``: Krippendorff's q, the probability of failing to reach it.

        Examples
        --------
        >>> import numpy as np
        >>> r = BootstrapResult("alpha", .8, .7, .9, .95, 4, 0, "krippendorff", np.array([.6, .7, .8, .9]))
        >>> r.prob_below(0.667)
        0.25
        """
        s = self.samples[np.isfinite(self.samples)]
        return float((s < threshold).mean()) if s.size else math.nan

    def to_dict(self) -> dict[str, Any]:
        """The result as a plain dict (``samples`` as a list)."""
        return {
            "measure": self.measure,
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": self.confidence,
            "n": self.n,
            "seed": self.seed,
            "method": self.method,
            "samples": self.samples.tolist(),
        }


def bootstrap(
    measure: str | Callable,
    data: Any,
    *,
    n: int = 1000,
    seed: int | None = 0,
    confidence: float = 0.95,
    cap: bool = False,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
    **kwargs: Any,
) -> BootstrapResult:
    """Bootstrap confidence interval for an agreement coefficient.

    For Krippendorff's alpha this is Hayes & Krippendorff's procedure (Krippendorff's
    algorithm, as in Hayes' KALPHA macro): ``M`` pairs of values are drawn with
    replacement from the observed coincidence matrix, each resample's alpha is
    ``1 - sum(delta) / (M * D_e)`` with the original expected disagreement, values are
    bounded below by -1, and the expected number of resamples without variation (which
    would read 1) are set to 0. ``M = (m - 1) n / 2`` pairs for ``m`` coders and ``n``
    pairable values: as many pairs as the data hold.

    Krippendorff's algorithm also caps ``M`` at ``25 q`` (``q`` non-empty cells of the
    coincidence matrix) as "a practical limit" on the computing of 2006. The cap does not
    estimate sampling error: on large data it widens the interval many times over (on a
    binary code ``25 q <= 100`` pairs whatever the number of units). We draw the pairs as
    counts from one multinomial, so the limit is not needed and is off by default;
    ``cap=True`` follows KALPHA (same procedure, not the same random numbers).

    For every other coefficient, units are resampled with replacement and the coefficient
    recomputed (with the original categories, so ``q`` does not change).

    The interval is the percentile interval read from the sorted resampled values as in
    KALPHA (the ``floor(n * (1 - confidence) / 2)``-th and the next-after
    ``floor(n * (1 + confidence) / 2)``-th).

    Parameters
    ----------
    measure : str or function
        A coefficient of this module, or its name (see :data:`MEASURES`).
    data : DataFrame, array or list of lists
        Any form the coefficient accepts.
    n : int
        Number of resamples.
    seed : int or None
        Seed of the random generator; the same seed gives the same interval. ``None``
        draws fresh entropy.
    confidence : float
        Coverage of the interval, strictly between 0 and 1.
    cap : bool
        Alpha only: cap the pairs drawn per resample at ``25 q`` as Krippendorff's
        algorithm and Hayes' KALPHA macro do (see above).
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.
    **kwargs
        Options of the coefficient: ``level``, ``distance``, ``weights``, ``categories``.

    Returns
    -------
    BootstrapResult
        ``value``, ``ci_low``, ``ci_high``, ``confidence``, ``n``, ``seed``, ``method`` and
        the resampled values in ``samples``. When the coefficient is undefined, ``value``
        and the interval are ``NaN`` (with an :class:`AgreementWarning`).

    References
    ----------
    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability
    measure for coding data. Communication Methods and Measures, 1(1), 77-89.

    Krippendorff, K. (2006, revised 2011). Algorithm for bootstrapping a distribution of
    alpha. Manuscript, Annenberg School for Communication.

    Examples
    --------
    >>> from workbench.agreement import bootstrap
    >>> data = [[1, 1], [2, 2], [3, 3], [1, 2], [2, 2], [3, 3], [1, 1], [3, 2]] * 5
    >>> r = bootstrap("alpha", data, n=1000, seed=1)
    >>> round(r.value, 3), r.ci_low < r.value < r.ci_high, r.samples.shape
    (0.628, True, (1000,))
    """
    m = _measure(measure)
    if not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n (the number of resamples) must be a positive integer; got {n!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, e.g. 0.95; got {confidence!r}")
    categories, opts = _split_kwargs(m, kwargs)
    coded = _data.encode(data, unit, coder, value, categories)
    result, reason = _bootstrap_coded(m, coded, opts, int(n), seed, confidence, cap)
    if reason is not None:
        warnings.warn(reason, AgreementWarning, stacklevel=2)
    return result


def _bootstrap_coded(
    m: _Measure,
    coded: Coded,
    opts: Mapping[str, Any],
    n: int,
    seed: Any,
    confidence: float,
    cap: bool = False,
) -> tuple[BootstrapResult, str | None]:
    rng = np.random.default_rng(seed)
    seed_out = seed if isinstance(seed, int | None) else None
    if m.name == "alpha":
        level = opts.get("level", "nominal")
        _check_level(level)
        parts, reason = _kernels.alpha_parts(coded, level, opts.get("distance"))
        if parts is None:
            return BootstrapResult(m.name, math.nan, math.nan, math.nan, confidence, n, seed_out, "krippendorff", np.full(n, np.nan)), reason
        n_coders = int((coded.codes >= 0).any(axis=0).sum())
        samples = _kernels.alpha_bootstrap(parts, n_coders, n, rng, cap)
        lo, hi = _kernels.order_stat_ci(samples, confidence)
        return BootstrapResult(m.name, parts.value, lo, hi, confidence, n, seed_out, "krippendorff", samples), None
    value, reason = _kernel_call(m, coded, opts)
    if reason is not None:
        return BootstrapResult(m.name, math.nan, math.nan, math.nan, confidence, n, seed_out, "units", np.full(n, np.nan)), reason
    weights = opts.get("weights", "quadratic" if m.name == "gwet_ac2" else None)
    samples = _kernels.units_bootstrap(m.name, coded, weights, n, rng)
    lo, hi = _kernels.order_stat_ci(samples, confidence)
    return BootstrapResult(m.name, float(value), lo, hi, confidence, n, seed_out, "units", samples), None
