"""Inter-rater agreement: coefficients, confidence intervals and the per-code report.

Every coefficient takes the same data forms:

* a **units x coders table**: a DataFrame (index = units, columns = coders), a 2-D numpy
  array or a list of lists (one row per unit). ``None``/``NaN`` marks a missing value;
  cells may be sets (or frozensets) of codes for multi-label coding, with an empty set
  meaning "coded, no code applies";
* a **long DataFrame** with one row per unit and coder, its columns named by keyword:
  ``data=df, unit="unit_id", coder="coder", value="code"``.

Each returns a float. When a coefficient is undefined for the data (empty input, every
value missing, a single coder, no unit coded twice, or a single value everywhere so that
chance agreement is perfect) it returns ``NaN`` and emits an :class:`AgreementWarning`
that says why.

:func:`reliability_table` turns the long ``codings`` frame of a project into the tidy
report behind ``Project.agreement``: one row per code (present/absent), one per exclusive
group and one overall (multi-label, MASI distance), each with a bootstrap interval.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import _agreement_core as _core
from ._agreement_core import Coded

__all__ = [
    "AgreementWarning",
    "BootstrapResult",
    "MEASURES",
    "THRESHOLDS",
    "band",
    "bootstrap",
    "brennan_prediger",
    "coincidence_matrix",
    "cohen_kappa",
    "confusion_matrix",
    "conger_kappa",
    "disagreements",
    "fleiss_kappa",
    "gwet_ac1",
    "gwet_ac2",
    "interpret",
    "jaccard_distance",
    "krippendorff_alpha",
    "masi_distance",
    "pairwise",
    "per_code_agreement",
    "percent_agreement",
    "reliability_table",
    "scott_pi",
]

LEVELS = ("nominal", "ordinal", "interval", "ratio")
OVERALL = "(overall)"
NO_CODE = "(none)"
REPORT_COLUMNS = [
    "code",
    "measure",
    "value",
    "ci_low",
    "ci_high",
    "n_units",
    "n_coders",
    "n_pairable",
    "interpretation",
]


class AgreementWarning(UserWarning):
    """A coefficient is undefined for these data; the message says why."""


def _finish(value: float, reason: str | None, stacklevel: int = 3) -> float:
    if reason is not None:
        warnings.warn(reason, AgreementWarning, stacklevel=stacklevel)
        return math.nan
    return float(value)


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)}; got {level!r}")


# --- the coefficients ----------------------------------------------------------------------------
def krippendorff_alpha(
    data: Any,
    level: str = "nominal",
    *,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
    distance: str | Callable[[Any, Any], float] | None = None,
    categories: Sequence | None = None,
) -> float:
    """Krippendorff's alpha reliability coefficient.

    ``alpha = 1 - D_o / D_e``: observed over expected disagreement, computed from the
    coincidence matrix of pairable values (Krippendorff, 2011). Any number of coders,
    missing values and levels of measurement. Units coded by one coder only carry no
    pairable value and are left out (as Krippendorff prescribes); they do not lower alpha.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table (``NaN``/``None`` = missing; cells may be sets), or a long
        DataFrame with the columns named by ``unit``, ``coder`` and ``value``.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement; the difference function of Krippendorff (2011). Ordinal
        needs the categories in order (sortable values, or ``categories=``); interval and
        ratio need numbers.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.
    distance : {"masi", "jaccard"} or callable, optional
        A distance between two values instead of ``level``: ``"masi"`` (Passonneau, 2006)
        or ``"jaccard"`` for set-valued (multi-label) cells, or any ``f(a, b) -> float``
        with ``f(a, a) == 0``. Plain values are read as one-element sets by the set
        distances.
    categories : sequence, optional
        All categories in order. Needed for ``level="ordinal"`` when values do not sort
        (e.g. strings); values outside it raise ``ValueError``.

    Returns
    -------
    float
        Alpha; ``NaN`` with an :class:`AgreementWarning` when undefined (no pairable
        values, or no variation: every pairable value the same, so ``D_e = 0``).

    Notes
    -----
    The coincidence matrix is counted exactly (integer pair counts per number of values
    in a unit, divided by ``m_u - 1`` at the end) without the units x categories x
    categories tensor that other implementations build, so large data fit in memory.

    The ordinal difference uses the marginal totals of the pairable values, as in
    Krippendorff (2011, p. 6); unused categories do not change it. For multi-label data
    ``distance="masi"`` uses Passonneau's weights 1, 2/3, 1/3 and 0 (NLTK rounds them to
    0.67 and 0.33; we follow the paper).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School
    for Communication, University of Pennsylvania. https://repository.upenn.edu/asc_papers/43

    Passonneau, R. (2006). Measuring agreement on set-valued items (MASI) for semantic
    and pragmatic annotation. Proceedings of LREC 2006.

    Examples
    --------
    Krippendorff's (2011) example: 4 observers, 12 units, NaN = missing.

    >>> import numpy as np
    >>> from workbench.agreement import krippendorff_alpha
    >>> nan = np.nan
    >>> data = [[1, 1, nan, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3],
    ...         [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1],
    ...         [2, 2, 2, 2], [nan, 5, 5, 5], [nan, nan, 1, 1], [nan, 3, nan, nan]]
    >>> round(krippendorff_alpha(data, level="nominal"), 3)
    0.743
    >>> round(krippendorff_alpha(data, level="interval"), 3)
    0.849

    Multi-label cells with Passonneau's MASI distance:

    >>> sets = [[{"a"}, {"a"}], [{"a", "b"}, {"a"}], [{"b"}, {"b"}], [{"c"}, {"b", "c"}]]
    >>> round(krippendorff_alpha(sets, distance="masi"), 3)
    0.56
    """
    _check_level(level)
    if distance is not None and level != "nominal":
        raise ValueError("give either level= or distance=, not both")
    coded = _core.encode(data, unit, coder, value, categories)
    v, reason = _core.alpha(coded, level, distance)
    return _finish(v, reason)


def percent_agreement(
    data: Any, *, unit: str | None = None, coder: str | None = None, value: str | None = None
) -> float:
    """Observed agreement, not corrected for chance.

    For each unit coded by two or more coders, the share of pairs of coders who gave the
    same value; then the mean over those units (Gwet, 2014, eq. 2.7 for many raters). With
    two coders this is the share of units both coded on which they agree. Sets count as
    equal only when they hold the same codes.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table or a long DataFrame (see the module notes).
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    float
        Between 0 and 1; ``NaN`` with a warning when no unit was coded twice.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.). Advanced Analytics.

    Examples
    --------
    >>> from workbench.agreement import percent_agreement
    >>> percent_agreement([["a", "a"], ["a", "b"], ["b", "b"], ["c", "c"]])
    0.75
    """
    coded = _core.encode(data, unit, coder, value)
    v, reason = _core.percent(coded)
    return _finish(v, reason)


def cohen_kappa(
    data: Any,
    *,
    weights: str | np.ndarray | None = None,
    categories: Sequence | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> float:
    """Cohen's kappa for two coders, optionally weighted.

    ``kappa = (p_o - p_e) / (1 - p_e)`` over the units both coders coded, with chance
    agreement from each coder's own marginal distribution (Cohen, 1960). Weighted kappa
    (Cohen, 1968) gives partial credit by distance in the category order.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table with exactly two coders, or a long DataFrame.
    weights : {None, "linear", "quadratic"} or array, optional
        Agreement weights by position in ``categories``: linear ``1 - |i-j|/(k-1)``,
        quadratic ``1 - (i-j)^2/(k-1)^2``, or a k x k matrix with 1 on the diagonal.
    categories : sequence, optional
        All categories in order. Give it whenever weights are used: the weights are by
        position, so a category that nobody used still counts as a step between its
        neighbours. Default: the sorted observed values.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    float
        Kappa; ``NaN`` with a warning when undefined (no unit coded by both, or both
        coders used a single and the same category so that ``p_e = 1``).

    Raises
    ------
    ValueError
        When the data hold more than two coders.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement, 20(1), 37-46.

    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70(4), 213-220.

    Examples
    --------
    >>> from workbench.agreement import cohen_kappa
    >>> data = [[1, 1], [1, 2], [2, 2], [3, 3], [3, 1], [2, 2]]
    >>> round(cohen_kappa(data), 3)
    0.5
    >>> round(cohen_kappa(data, weights="linear", categories=[1, 2, 3]), 3)
    0.4
    """
    coded = _core.encode(data, unit, coder, value, categories)
    v, reason = _core.cohen(coded, weights)
    return _finish(v, reason)


def scott_pi(
    data: Any,
    *,
    weights: str | np.ndarray | None = None,
    categories: Sequence | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> float:
    """Scott's pi for two coders: chance agreement from the pooled distribution of values.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table with exactly two coders, or a long DataFrame.
    weights : {None, "linear", "quadratic"} or array, optional
        Agreement weights by position in ``categories`` (see :func:`cohen_kappa`).
    categories : sequence, optional
        All categories in order.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    float
        Pi over the units both coders coded; ``NaN`` with a warning when undefined.

    References
    ----------
    Scott, W. A. (1955). Reliability of content analysis: the case of nominal scale
    coding. Public Opinion Quarterly, 19(3), 321-325.

    Examples
    --------
    >>> from workbench.agreement import scott_pi
    >>> round(scott_pi([[1, 1], [1, 2], [2, 2], [3, 3], [3, 1], [2, 2]]), 3)
    0.489
    """
    coded = _core.encode(data, unit, coder, value, categories)
    v, reason = _core.scott(coded, weights)
    return _finish(v, reason)


def fleiss_kappa(
    data: Any,
    *,
    weights: str | np.ndarray | None = None,
    categories: Sequence | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> float:
    """Fleiss' kappa for any number of coders, with varying numbers of coders per unit.

    Observed agreement is the mean, over units coded by two or more coders, of the share
    of agreeing pairs; chance agreement uses the category shares averaged over units
    (Fleiss, 1971). With missing values this is Gwet's (2014, ch. 2) generalisation, the
    one in irrCAC: a missing value is never a category, it only lowers the unit's count.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table or a long DataFrame.
    weights : {None, "linear", "quadratic"} or array, optional
        Agreement weights by position in ``categories`` (see :func:`cohen_kappa`).
    categories : sequence, optional
        All categories in order.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    float
        Kappa; ``NaN`` with a warning when undefined.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    Psychological Bulletin, 76(5), 378-382.

    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.). Advanced Analytics.

    Examples
    --------
    >>> from workbench.agreement import fleiss_kappa
    >>> data = [["a", "a", "a"], ["a", "b", "a"], ["b", "b", "b"], ["c", "c", None]]
    >>> round(fleiss_kappa(data), 3)
    0.745
    """
    coded = _core.encode(data, unit, coder, value, categories)
    v, reason = _core.fleiss(coded, weights)
    return _finish(v, reason)


def conger_kappa(
    data: Any,
    *,
    weights: str | np.ndarray | None = None,
    categories: Sequence | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> float:
    """Conger's kappa: Cohen's kappa generalised to many coders.

    Chance agreement is the mean, over pairs of coders, of the agreement expected from
    the two coders' own marginal distributions (Conger, 1980); observed agreement as in
    :func:`fleiss_kappa`. With two coders and no missing values it equals Cohen's kappa.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table or a long DataFrame.
    weights : {None, "linear", "quadratic"} or array, optional
        Agreement weights by position in ``categories``.
    categories : sequence, optional
        All categories in order.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    float
        Kappa; ``NaN`` with a warning when undefined.

    References
    ----------
    Conger, A. J. (1980). Integration and generalization of kappas for multiple raters.
    Psychological Bulletin, 88(2), 322-328.

    Examples
    --------
    >>> from workbench.agreement import conger_kappa
    >>> data = [["a", "a", "a"], ["a", "b", "a"], ["b", "b", "b"], ["c", "c", "b"]]
    >>> round(conger_kappa(data), 3)
    0.484
    """
    coded = _core.encode(data, unit, coder, value, categories)
    v, reason = _core.conger(coded, weights)
    return _finish(v, reason)


def brennan_prediger(
    data: Any,
    *,
    weights: str | np.ndarray | None = None,
    categories: Sequence | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> float:
    """Brennan and Prediger's coefficient: chance agreement ``1/q`` for ``q`` categories.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table or a long DataFrame.
    weights : {None, "linear", "quadratic"} or array, optional
        Agreement weights by position in ``categories``.
    categories : sequence, optional
        All categories of the codebook. ``q`` is its length; by default, the number of
        categories observed, which overstates agreement by chance when some are unused.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    float
        The coefficient; ``NaN`` with a warning when undefined.

    References
    ----------
    Brennan, R. L., & Prediger, D. J. (1981). Coefficient kappa: some uses, misuses, and
    alternatives. Educational and Psychological Measurement, 41(3), 687-699.

    Examples
    --------
    >>> from workbench.agreement import brennan_prediger
    >>> data = [["a", "a"], ["a", "b"], ["b", "b"], ["a", "a"]]
    >>> round(brennan_prediger(data), 3)
    0.5
    >>> round(brennan_prediger(data, categories=["a", "b", "c", "d"]), 3)
    0.667
    """
    coded = _core.encode(data, unit, coder, value, categories)
    v, reason = _core.brennan_prediger(coded, weights)
    return _finish(v, reason)


def gwet_ac1(
    data: Any,
    *,
    categories: Sequence | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> float:
    """Gwet's AC1: agreement corrected for chance that stays stable when one category dominates.

    Chance agreement ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)``, with ``pi_k`` the share of
    category ``k`` averaged over units (Gwet, 2008; 2014, ch. 2); any number of coders and
    missing values.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table or a long DataFrame.
    categories : sequence, optional
        All categories of the codebook; ``q`` is its length (default: those observed).
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    float
        AC1; ``NaN`` with a warning when undefined.

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence
    of high agreement. British Journal of Mathematical and Statistical Psychology, 61, 29-48.

    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.). Advanced Analytics.

    Examples
    --------
    >>> from workbench.agreement import gwet_ac1
    >>> round(gwet_ac1([["a", "a"], ["a", "b"], ["b", "b"], ["a", "a"]]), 3)
    0.529
    """
    coded = _core.encode(data, unit, coder, value, categories)
    v, reason = _core.gwet(coded, None)
    return _finish(v, reason)


def gwet_ac2(
    data: Any,
    *,
    weights: str | np.ndarray = "quadratic",
    categories: Sequence | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> float:
    """Gwet's AC2: the weighted AC1 for ordered categories.

    ``p_e = T_w / (q (q - 1)) * sum_k pi_k (1 - pi_k)`` with ``T_w`` the sum of all
    weights (Gwet, 2014, ch. 3). With ``weights=None`` it equals AC1.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table or a long DataFrame.
    weights : {"quadratic", "linear", None} or array
        Agreement weights by position in ``categories`` (see :func:`cohen_kappa`).
    categories : sequence, optional
        All categories in order (default: the sorted observed values).
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    float
        AC2; ``NaN`` with a warning when undefined.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.). Advanced Analytics.

    Examples
    --------
    >>> from workbench.agreement import gwet_ac2
    >>> data = [[1, 1], [1, 2], [2, 2], [3, 3], [3, 2]]
    >>> round(gwet_ac2(data, weights="quadratic"), 3)
    0.706
    """
    coded = _core.encode(data, unit, coder, value, categories)
    v, reason = _core.gwet(coded, weights)
    return _finish(v, reason)


# --- distances ---------------------------------------------------------------------------------------
def masi_distance(a: Any, b: Any) -> float:
    """Passonneau's MASI distance between two sets of codes.

    ``1 - J * M`` with ``J`` the Jaccard similarity and ``M`` = 1 when the sets are equal,
    2/3 when one contains the other, 1/3 when they overlap otherwise, 0 when disjoint.

    Parameters
    ----------
    a, b : set, frozenset or a single value
        A single value is read as a one-element set.

    Returns
    -------
    float
        Between 0 (same set) and 1 (disjoint sets).

    References
    ----------
    Passonneau, R. (2006). Measuring agreement on set-valued items (MASI) for semantic
    and pragmatic annotation. Proceedings of LREC 2006.

    Examples
    --------
    >>> from workbench.agreement import masi_distance
    >>> round(masi_distance({"a", "b"}, {"a"}), 4)
    0.6667
    >>> round(masi_distance({"a", "b"}, {"a", "c"}), 4)
    0.8889
    """
    return _core.masi(a, b)


def jaccard_distance(a: Any, b: Any) -> float:
    """Jaccard distance ``1 - |a & b| / |a | b|`` between two sets of codes (0 for two empty sets).

    Parameters
    ----------
    a, b : set, frozenset or a single value
        A single value is read as a one-element set.

    Returns
    -------
    float
        Between 0 and 1.

    Examples
    --------
    >>> from workbench.agreement import jaccard_distance
    >>> round(jaccard_distance({"a", "b"}, {"a", "c"}), 4)
    0.6667
    """
    return _core.jaccard(a, b)


# --- measures by name ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Measure:
    name: str
    function: Callable
    kernel: Callable[..., tuple[float, str | None]]
    family: str  # "alpha", "kappa" or "percent"
    options: tuple[str, ...]


MEASURES: dict[str, str] = {
    "alpha": "Krippendorff's alpha (krippendorff_alpha)",
    "percent_agreement": "percent agreement, not chance-corrected",
    "cohen_kappa": "Cohen's kappa (two coders)",
    "scott_pi": "Scott's pi (two coders)",
    "fleiss_kappa": "Fleiss' kappa",
    "conger_kappa": "Conger's kappa",
    "brennan_prediger": "Brennan & Prediger's coefficient",
    "gwet_ac1": "Gwet's AC1",
    "gwet_ac2": "Gwet's AC2 (weighted)",
}
"""Names accepted by :func:`bootstrap`, :func:`pairwise` and :func:`reliability_table`."""

_REGISTRY = {
    "alpha": _Measure("alpha", krippendorff_alpha, _core.alpha, "alpha", ("level", "distance")),
    "percent_agreement": _Measure("percent_agreement", percent_agreement, _core.percent, "percent", ()),
    "cohen_kappa": _Measure("cohen_kappa", cohen_kappa, _core.cohen, "kappa", ("weights",)),
    "scott_pi": _Measure("scott_pi", scott_pi, _core.scott, "kappa", ("weights",)),
    "fleiss_kappa": _Measure("fleiss_kappa", fleiss_kappa, _core.fleiss, "kappa", ("weights",)),
    "conger_kappa": _Measure("conger_kappa", conger_kappa, _core.conger, "kappa", ("weights",)),
    "brennan_prediger": _Measure("brennan_prediger", brennan_prediger, _core.brennan_prediger, "kappa", ("weights",)),
    "gwet_ac1": _Measure("gwet_ac1", gwet_ac1, lambda c: _core.gwet(c, None), "kappa", ()),
    "gwet_ac2": _Measure("gwet_ac2", gwet_ac2, _core.gwet, "kappa", ("weights",)),
}
_ALIASES = {"krippendorff_alpha": "alpha", "kappa": "cohen_kappa", "ac1": "gwet_ac1", "ac2": "gwet_ac2"}


def _measure(measure: str | Callable) -> _Measure:
    if callable(measure):
        for m in _REGISTRY.values():
            if m.function is measure:
                return m
        raise ValueError(
            f"measure must be one of this module's coefficients or their names {sorted(MEASURES)}; got {measure!r}"
        )
    if not isinstance(measure, str):
        raise TypeError(f"measure must be a name or a function; got {type(measure).__name__}")
    name = _ALIASES.get(measure, measure)
    if name not in _REGISTRY:
        raise ValueError(f"unknown measure {measure!r}; valid: {sorted(MEASURES)}")
    return _REGISTRY[name]


def _kernel_call(m: _Measure, coded: Coded, kwargs: Mapping[str, Any]) -> tuple[float, str | None]:
    if m.name == "alpha":
        level = kwargs.get("level", "nominal")
        _check_level(level)
        return _core.alpha(coded, level, kwargs.get("distance"))
    if m.name == "gwet_ac2":
        return _core.gwet(coded, kwargs.get("weights", "quadratic"))
    if "weights" in m.options:
        return m.kernel(coded, kwargs.get("weights"))
    return m.kernel(coded)


def _split_kwargs(m: _Measure, kwargs: dict[str, Any]) -> tuple[Sequence | None, dict[str, Any]]:
    kwargs = dict(kwargs)
    categories = kwargs.pop("categories", None)
    unknown = set(kwargs) - set(m.options)
    if unknown:
        valid = ["categories", *m.options]
        raise TypeError(f"{m.name} does not take {sorted(unknown)}; it takes {valid}")
    return categories, kwargs


# --- bootstrap -------------------------------------------------------------------------------------------
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
    coded = _core.encode(data, unit, coder, value, categories)
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
        parts, reason = _core.alpha_parts(coded, level, opts.get("distance"))
        if parts is None:
            return BootstrapResult(m.name, math.nan, math.nan, math.nan, confidence, n, seed_out, "krippendorff", np.full(n, np.nan)), reason
        n_coders = int((coded.codes >= 0).any(axis=0).sum())
        samples = _core.alpha_bootstrap(parts, n_coders, n, rng, cap)
        lo, hi = _core.order_stat_ci(samples, confidence)
        return BootstrapResult(m.name, parts.value, lo, hi, confidence, n, seed_out, "krippendorff", samples), None
    value, reason = _kernel_call(m, coded, opts)
    if reason is not None:
        return BootstrapResult(m.name, math.nan, math.nan, math.nan, confidence, n, seed_out, "units", np.full(n, np.nan)), reason
    weights = opts.get("weights", "quadratic" if m.name == "gwet_ac2" else None)
    samples = _core.units_bootstrap(m.name, coded, weights, n, rng)
    lo, hi = _core.order_stat_ci(samples, confidence)
    return BootstrapResult(m.name, float(value), lo, hi, confidence, n, seed_out, "units", samples), None


# --- tables ------------------------------------------------------------------------------------------------
def _label(v: Any) -> Any:
    if isinstance(v, frozenset):
        return "; ".join(sorted(map(str, v)))
    return v


def coincidence_matrix(
    data: Any,
    *,
    categories: Sequence | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    """Krippendorff's coincidence matrix: how often each pair of values meets within a unit.

    Each unit with ``m_u >= 2`` values contributes its ``m_u (m_u - 1)`` ordered pairs of
    values from different coders, each weighted ``1 / (m_u - 1)``; the matrix is
    symmetric and its total is the number of pairable values.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table or a long DataFrame.
    categories : sequence, optional
        All categories in order (rows and columns); by default the sorted observed values.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    pandas.DataFrame
        Square, float; index and columns are the categories (sets shown as
        ``"a; b"`` strings).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.

    Examples
    --------
    >>> from workbench.agreement import coincidence_matrix
    >>> coincidence_matrix([["a", "a"], ["a", "b"], ["b", "b"]])
         a    b
    a  2.0  1.0
    b  1.0  2.0
    """
    coded = _core.encode(data, unit, coder, value, categories)
    o = _core.coincidences(coded.codes, coded.k)
    labels = pd.Index([_label(c) for c in coded.categories])
    return pd.DataFrame(o, index=labels, columns=labels)


def confusion_matrix(
    data: Any,
    *,
    categories: Sequence | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    """Two coders' cross-tabulation over the units both coded.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table with exactly two coders, or a long DataFrame.
    categories : sequence, optional
        All categories in order; by default the sorted observed values.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    pandas.DataFrame
        Integer counts: rows are the first coder's values, columns the second's; the
        index and columns are named after the coders.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.agreement import confusion_matrix
    >>> df = pd.DataFrame({"alice": ["a", "a", "b", None], "bob": ["a", "b", "b", "b"]})
    >>> confusion_matrix(df)
    bob    a  b
    alice
    a      1  1
    b      0  1
    """
    coded = _core.encode(data, unit, coder, value, categories)
    if coded.codes.shape[1] != 2:
        raise ValueError(f"confusion_matrix needs exactly two coders; the data have {coded.codes.shape[1]}")
    table, _ = _core.two_coder_table(coded, "confusion_matrix")
    k = coded.k
    if table is None:
        a, b = coded.codes[:, 0], coded.codes[:, 1]
        both = (a >= 0) & (b >= 0)
        table = np.bincount(a[both] * k + b[both], minlength=k * k).reshape(k, k)
    labels = [_label(c) for c in coded.categories]
    return pd.DataFrame(
        np.asarray(table, dtype=np.int64),
        index=pd.Index(labels, name=coded.coders[0]),
        columns=pd.Index(labels, name=coded.coders[1]),
    )


def pairwise(
    measure: str | Callable,
    data: Any,
    *,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """A coefficient for every pair of coders, as a coder x coder table.

    Each pair is computed on the units both coders coded. Undefined pairs are ``NaN`` (one
    :class:`AgreementWarning` lists them); the diagonal is ``NaN``.

    Parameters
    ----------
    measure : str or function
        A coefficient of this module, or its name (see :data:`MEASURES`).
    data : DataFrame, array or list of lists
        A units x coders table or a long DataFrame.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.
    **kwargs
        Options of the coefficient (``level``, ``distance``, ``weights``, ``categories``).

    Returns
    -------
    pandas.DataFrame
        Symmetric, float; index and columns are the coders.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.agreement import pairwise
    >>> df = pd.DataFrame({"ann": [1, 2, 3, 1], "ben": [1, 2, 3, 2], "cat": [1, 2, 3, 1]})
    >>> pairwise("percent_agreement", df)
          ann   ben   cat
    ann   NaN  0.75  1.00
    ben  0.75   NaN  0.75
    cat  1.00  0.75   NaN
    """
    m = _measure(measure)
    categories, opts = _split_kwargs(m, kwargs)
    coded = _core.encode(data, unit, coder, value, categories)
    c = coded.codes.shape[1]
    out = np.full((c, c), np.nan)
    undefined = []
    for i in range(c):
        for j in range(i + 1, c):
            v, reason = _kernel_call(m, coded.take_coders([i, j]), opts)
            if reason is None:
                out[i, j] = out[j, i] = v
            else:
                undefined.append(f"{coded.coders[i]}-{coded.coders[j]}: {reason}")
    if undefined:
        warnings.warn("undefined for " + "; ".join(undefined), AgreementWarning, stacklevel=2)
    return pd.DataFrame(out, index=coded.coders, columns=coded.coders)


def disagreements(
    data: Any,
    *,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    """The units on which coders differ, with who said what.

    Only units coded by two or more coders and given more than one distinct value appear;
    units coded by one coder cannot disagree and are left out.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table or a long DataFrame.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    pandas.DataFrame
        One row per disagreeing unit and coder who coded it, in unit order:

        * ``unit``: the unit label (the table's index, or the ``unit`` column);
        * ``coder``: the coder;
        * ``value``: what that coder gave (a set as a ``"a; b"`` string, ``""`` for an
          empty set);
        * ``n_coders``: how many coders coded the unit;
        * ``n_values``: how many distinct values they gave;
        * ``majority``: whether this coder's value is the unit's most frequent one
          (``False`` for everyone on a tie).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.agreement import disagreements
    >>> df = pd.DataFrame({"ann": ["a", "b", "c"], "ben": ["a", "c", "c"], "cat": ["a", "b", None]},
    ...                   index=["u1", "u2", "u3"])
    >>> disagreements(df)
      unit coder value  n_coders  n_values  majority
    0   u2   ann     b         3         2      True
    1   u2   ben     c         3         2     False
    2   u2   cat     b         3         2      True
    """
    coded = _core.encode(data, unit, coder, value)
    codes = coded.codes
    columns = ["unit", "coder", "value", "n_coders", "n_values", "majority"]
    if codes.size == 0:
        return pd.DataFrame(columns=columns)
    valid = codes >= 0
    m = valid.sum(axis=1)
    masked = np.where(valid, codes, np.iinfo(np.int64).max)
    srt = np.sort(masked, axis=1)
    distinct = ((np.diff(srt, axis=1) != 0) & (srt[:, 1:] != np.iinfo(np.int64).max)).sum(axis=1) + (m > 0)
    rows = np.flatnonzero((m >= 2) & (distinct >= 2))
    records = []
    for r in rows:
        vals = codes[r]
        present = vals[vals >= 0]
        counts = np.bincount(present, minlength=coded.k)
        top = counts.max()
        unique_top = (counts == top).sum() == 1
        for j in np.flatnonzero(vals >= 0):
            records.append(
                (
                    coded.units[r],
                    coded.coders[j],
                    _label(coded.categories[vals[j]]),
                    int(m[r]),
                    int(distinct[r]),
                    bool(unique_top and counts[vals[j]] == top),
                )
            )
    return pd.DataFrame.from_records(records, columns=columns)


# --- interpretation --------------------------------------------------------------------------------------
#: Krippendorff's (2004, p. 241) cut-offs for alpha: below .667 no conclusions, from .667
#: tentative conclusions only, from .800 reliable. Charts, reports and widgets draw and
#: word them from here.
THRESHOLDS: tuple[float, float] = (0.667, 0.800)


def _fmt_threshold(x: float) -> str:
    return f"{x:.3f}".replace("0.", ".", 1)


def band(value: float | None, thresholds: Sequence[float] = THRESHOLDS) -> str:
    """The band a coefficient falls in, as charts and tables label it.

    Returns ``"≥ .800"``, ``".667–.800"``, ``"< .667"`` (for the default thresholds) or
    ``"undefined"`` for a missing or NaN value.

    Examples
    --------
    >>> from workbench.agreement import band
    >>> band(0.82), band(0.7), band(0.5), band(float("nan"))
    ('≥ .800', '.667–.800', '< .667', 'undefined')
    """
    lo, hi = (float(t) for t in thresholds)
    if value is None or not np.isfinite(value):
        return "undefined"
    if value >= hi:
        return f"≥ {_fmt_threshold(hi)}"
    if value >= lo:
        return f"{_fmt_threshold(lo)}–{_fmt_threshold(hi)}"
    return f"< {_fmt_threshold(lo)}"


_LANDIS_KOCH = ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"), (1.00, "almost perfect"))


def interpret(value: float, measure: str = "alpha") -> str:
    """A benchmark reading of a coefficient, naming whose benchmark it is.

    Alpha: Krippendorff's (2004) .800 (reliable) and .667 (tentative conclusions only).
    Kappa-type coefficients: Landis & Koch's (1977) bands: poor (< 0), slight
    (0-.20), fair (.21-.40), moderate (.41-.60), substantial (.61-.80), almost perfect
    (.81-1). Percent agreement has no chance correction and no benchmark.

    Parameters
    ----------
    value : float
        The coefficient.
    measure : str
        Its name (see :data:`MEASURES`).

    Returns
    -------
    str
        The reading, e.g. ``"acceptable (Krippendorff: alpha >= .800)"``.

    References
    ----------
    Krippendorff, K. (2004). Content Analysis: An Introduction to Its Methodology (2nd
    ed.), p. 241. Sage.

    Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for
    categorical data. Biometrics, 33(1), 159-174.

    Examples
    --------
    >>> from workbench.agreement import interpret
    >>> interpret(0.82, "alpha")
    'acceptable (Krippendorff: alpha >= .800)'
    >>> interpret(0.55, "cohen_kappa")
    'moderate (Landis & Koch 1977)'
    """
    m = _measure(measure)
    if value is None or not np.isfinite(value):
        return "undefined"
    if m.family == "alpha":
        lo, hi = (_fmt_threshold(t) for t in THRESHOLDS)
        if value >= THRESHOLDS[1]:
            return f"acceptable (Krippendorff: alpha >= {hi})"
        if value >= THRESHOLDS[0]:
            return f"tentative conclusions only (Krippendorff: {lo} <= alpha < {hi})"
        return f"unacceptable (Krippendorff: alpha < {lo})"
    if m.family == "percent":
        return "not chance-corrected; no benchmark"
    if value < 0:
        return "poor (Landis & Koch 1977)"
    for upper, label in _LANDIS_KOCH:
        if value <= upper + 1e-12:
            return f"{label} (Landis & Koch 1977)"
    return "almost perfect (Landis & Koch 1977)"


# --- the per-code report --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Codings:
    units: pd.Index
    coders: pd.Index
    coded: np.ndarray  # (units, coders) bool: coder coded the unit
    codes: list
    present: dict  # code -> (units, coders) bool


def _prepare_codings(
    codings: pd.DataFrame, codes: Iterable | None, coders: Iterable | None, units: Iterable | None
) -> _Codings:
    if not isinstance(codings, pd.DataFrame):
        raise TypeError(f"codings must be a DataFrame with unit_id, coder, code columns; got {type(codings).__name__}")
    need = ["unit_id", "coder", "code"]
    absent = [c for c in need if c not in codings.columns]
    if absent:
        raise ValueError(f"codings lacks column(s) {absent}; it needs {need} (as project.codings() returns)")
    df = codings[need]
    df = df[df["unit_id"].notna() & df["coder"].notna()]
    if coders is not None:
        coders = [coders] if isinstance(coders, str) else list(coders)
        df = df[df["coder"].isin(coders)]
    if units is not None:
        units = [units] if isinstance(units, str) else list(units)
        df = df[df["unit_id"].isin(units)]
    u_idx, u_labels = pd.factorize(df["unit_id"], sort=True)
    c_idx, c_labels = pd.factorize(df["coder"], sort=True)
    coded = np.zeros((len(u_labels), len(c_labels)), dtype=bool)
    coded[u_idx, c_idx] = True
    code_col = df["code"]
    if codes is None:
        code_list = sorted(pd.unique(code_col.dropna()).tolist(), key=str)
    else:
        code_list = [codes] if isinstance(codes, str) else list(codes)
        if len(set(code_list)) != len(code_list):
            raise ValueError(f"codes must be distinct; got {code_list}")
    present = {}
    values = code_col.to_numpy()
    for code in code_list:
        hit = values == code
        mat = np.zeros_like(coded)
        mat[u_idx[hit], c_idx[hit]] = True
        present[code] = mat
    return _Codings(pd.Index(u_labels), pd.Index(c_labels), coded, code_list, present)


def _binary(cd: _Codings, code: Any) -> Coded:
    codes = np.where(cd.coded, cd.present[code].astype(np.int64), _core.MISSING)
    return Coded(codes, (0, 1), cd.units, cd.coders)


def _sets(cd: _Codings) -> Coded:
    n_units, n_coders = cd.coded.shape
    cells = np.full(n_units * n_coders, None, dtype=object)
    flat_coded = cd.coded.reshape(-1)
    idx = np.flatnonzero(flat_coded)
    members = [[] for _ in range(len(idx))]
    pos = {v: i for i, v in enumerate(idx)}
    for code in cd.codes:
        for f in np.flatnonzero(cd.present[code].reshape(-1) & flat_coded):
            members[pos[f]].append(code)
    for i, f in enumerate(idx):
        cells[f] = frozenset(members[i])
    return _core.encode_array(cells.reshape(n_units, n_coders), cd.units, cd.coders)


def _group(cd: _Codings, name: str, group_codes: Sequence, raw: pd.DataFrame) -> tuple[Coded, int]:
    extra = [c for c in group_codes if c not in cd.present]
    present = dict(cd.present)
    if extra:
        more = _prepare_codings(raw, extra, list(cd.coders), list(cd.units))
        for c in extra:
            mat = np.zeros_like(cd.coded)
            if len(more.units):
                ui = cd.units.get_indexer(more.units)
                ci = cd.coders.get_indexer(more.coders)
                mat[np.ix_(ui, ci)] = more.present[c]
            present[c] = mat
    stack = np.stack([present[c] for c in group_codes]) if group_codes else np.zeros((0, *cd.coded.shape), bool)
    count = stack.sum(axis=0)
    which = stack.argmax(axis=0) if len(group_codes) else np.zeros(cd.coded.shape, dtype=np.int64)
    codes = np.where(count == 1, which, len(group_codes))  # len(group_codes) = "(none)"
    conflict = cd.coded & (count > 1)
    codes = np.where(cd.coded & ~conflict, codes, _core.MISSING).astype(np.int64)
    return Coded(codes, (*group_codes, NO_CODE), cd.units, cd.coders), int(conflict.sum())


def _row_seed(seed: int | None, *parts: str) -> Any:
    if seed is None:
        return None
    return [int(seed), *(zlib.crc32(p.encode("utf-8")) for p in parts)]


def _counts(coded: Coded) -> tuple[int, int, int]:
    valid = coded.codes >= 0
    m = valid.sum(axis=1)
    n_coders = int(valid[m > 0].any(axis=0).sum()) if valid.size else 0
    return int((m > 0).sum()), n_coders, int((m >= 2).sum())


def _report_rows(
    label: str,
    coded: Coded,
    measures: Sequence[_Measure],
    *,
    ci: bool,
    n_boot: int,
    seed: int | None,
    alpha_options: Mapping[str, Any],
    note: str | None = None,
    unsupported: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    n_units, n_coders, n_pairable = _counts(coded)
    rows = []
    for m in measures:
        row = {"code": label, "measure": m.name, "n_units": n_units, "n_coders": n_coders, "n_pairable": n_pairable}
        reason = (unsupported or {}).get(m.name)
        value = lo = hi = math.nan
        if reason is None:
            opts = dict(alpha_options) if m.name == "alpha" else {}
            if m.name in ("cohen_kappa", "scott_pi") and coded.codes.shape[1] != 2:
                reason = f"{m.name} compares exactly two coders; {coded.codes.shape[1]} coded here"
            elif ci:
                res, reason = _bootstrap_coded(m, coded, opts, n_boot, _row_seed(seed, label, m.name), 0.95)
                value, lo, hi = res.value, res.ci_low, res.ci_high
            else:
                value, reason = _kernel_call(m, coded, opts)
        if reason is not None:
            value = lo = hi = math.nan
            text = f"undefined: {reason}"
        else:
            text = interpret(value, m.name)
            if note:
                text = f"{text}; {note}"
        row.update(value=value, ci_low=lo, ci_high=hi, interpretation=text)
        rows.append(row)
    return rows


def reliability_table(
    codings: pd.DataFrame,
    *,
    codes: Iterable | None = None,
    coders: Iterable[str] | None = None,
    measures: Sequence[str | Callable] = ("alpha",),
    ci: bool = True,
    n_boot: int = 1000,
    seed: int | None = 0,
    units: Iterable[str] | None = None,
    exclusive_groups: Mapping[str, Sequence] | None = None,
) -> pd.DataFrame:
    """The per-code reliability report: one row per code, exclusive group and overall, per measure.

    A coder has *coded* a unit when they applied at least one code to it (a row with a
    missing ``code`` also counts: coded, no code applies). Then:

    * **per code** (``code`` = the code's name): each unit a coder coded is 1 when they
      applied the code and 0 when they did not; units they did not code are missing.
      Alpha is nominal alpha on these binary values.
    * **exclusive groups** (``code`` = ``"group:<name>"``): the single code of the group a
      coder applied, ``"(none)"`` when they applied none of them; a coder who applied two
      codes of one exclusive group on a unit is missing there (counted in the
      interpretation). Every measure is computed on these nominal values.
    * **overall** (``code`` = ``"(overall)"``): alpha on the *set* of codes each coder
      applied to each unit, with Passonneau's MASI distance, so that partly matching
      sets earn partial credit. Other measures are not defined for sets: their overall
      row is ``NaN`` and says so; read their per-code rows.

    Parameters
    ----------
    codings : pandas.DataFrame
        Long codings with columns ``unit_id``, ``coder``, ``code`` (others are ignored),
        one row per code applied, as :meth:`Project.codings` returns.
    codes : iterable, optional
        The codes to report (default: every code applied, sorted). A listed code nobody
        applied gets a row whose value is undefined. The overall sets are restricted to
        these codes.
    coders : iterable of str, optional
        Only these coders (default: all).
    measures : sequence of str or functions
        Names from :data:`MEASURES` (default: alpha only).
    ci : bool
        Add 95% bootstrap intervals (:func:`bootstrap`; Hayes & Krippendorff for alpha).
    n_boot : int
        Resamples per interval.
    seed : int or None
        Seed; each row draws from a generator seeded by ``(seed, code, measure)``, so a
        row's interval does not depend on which other rows are asked for.
    units : iterable of str, optional
        Only these units (e.g. the units of one round).
    exclusive_groups : mapping of str to list of codes, optional
        Groups of mutually exclusive codes (e.g. from the codebook) to report as one
        nominal variable each.

    Returns
    -------
    pandas.DataFrame
        One row per (code, measure), the overall rows first, then the groups, then the
        codes:

        * ``code``: ``"(overall)"``, ``"group:<name>"`` or the code;
        * ``measure``: the measure's name (a key of :data:`MEASURES`);
        * ``value``: the coefficient (``NaN`` when undefined);
        * ``ci_low``, ``ci_high``: the 95% bootstrap interval (``NaN`` without ``ci``);
        * ``n_units``: units coded by at least one coder;
        * ``n_coders``: coders who coded at least one of those units;
        * ``n_pairable``: units coded by two or more coders, the only ones that carry
          information about agreement (``n_units - n_pairable`` were coded once);
        * ``interpretation``: Krippendorff's .667/.800 for alpha, Landis & Koch's bands
          for kappa-type coefficients, or ``"undefined: <why>"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.agreement import reliability_table
    >>> codings = pd.DataFrame({
    ...     "unit_id": ["u1", "u1", "u2", "u2", "u3", "u3", "u3", "u4"],
    ...     "coder": ["ann", "ben", "ann", "ben", "ann", "ben", "ben", "ann"],
    ...     "code": ["thanks", "thanks", "blame", "blame", "thanks", "thanks", "blame", "blame"]})
    >>> table = reliability_table(codings, ci=False)
    >>> table[["code", "measure", "value", "n_units", "n_pairable"]].round(3)
            code measure  value  n_units  n_pairable
    0  (overall)   alpha  0.643        4           3
    1      blame   alpha  0.444        4           3
    2     thanks   alpha  1.000        4           3
    """
    ms = [_measure(m) for m in measures]
    if not ms:
        raise ValueError(f"measures must name at least one of {sorted(MEASURES)}")
    if not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}")
    cd = _prepare_codings(codings, codes, coders, units)
    common = {"ci": ci, "n_boot": int(n_boot), "seed": seed}
    rows: list[dict[str, Any]] = []
    unsupported = {
        m.name: f"{m.name} is not defined for multi-label data (sets of codes); see the per-code rows"
        for m in ms
        if m.name != "alpha"
    }
    rows += _report_rows(
        OVERALL,
        _sets(cd),
        ms,
        alpha_options={"distance": "masi"},
        note="multi-label sets, MASI distance",
        unsupported=unsupported,
        **common,
    )
    for name, group_codes in (exclusive_groups or {}).items():
        if isinstance(group_codes, str):
            raise TypeError(f"exclusive_groups[{name!r}] must be a list of codes, not a string")
        coded, conflicts = _group(cd, name, list(group_codes), codings)
        note = f"{conflicts} coding(s) with two codes of this exclusive group left out" if conflicts else None
        rows += _report_rows(f"group:{name}", coded, ms, alpha_options={"level": "nominal"}, note=note, **common)
    for code in cd.codes:
        rows += _report_rows(str(code), _binary(cd, code), ms, alpha_options={"level": "nominal"}, **common)
    out = pd.DataFrame.from_records(rows, columns=REPORT_COLUMNS)
    return out.astype({"n_units": "int64", "n_coders": "int64", "n_pairable": "int64", "value": "float64",
                       "ci_low": "float64", "ci_high": "float64"})


def per_code_agreement(
    data: Any,
    *,
    measures: Sequence[str | Callable] = ("alpha",),
    codes: Iterable | None = None,
    ci: bool = False,
    n_boot: int = 1000,
    seed: int | None = 0,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    """Per-code agreement for a multi-label units x coders table (cells are sets of codes).

    Each code becomes present/absent on every unit a coder coded (a missing cell stays
    missing); the result is :func:`reliability_table` on those codings, including the
    ``"(overall)"`` MASI row.

    Parameters
    ----------
    data : DataFrame, array or list of lists
        A units x coders table of sets (an empty set = coded, no code), or a long
        DataFrame whose ``value`` column holds sets.
    measures : sequence of str or functions
        Names from :data:`MEASURES`.
    codes : iterable, optional
        The codes to report (default: every code that occurs).
    ci : bool
        Add 95% bootstrap intervals.
    n_boot : int
        Resamples per interval.
    seed : int or None
        Seed of the bootstrap.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`reliability_table`: ``code``, ``measure``, ``value``,
        ``ci_low``, ``ci_high``, ``n_units``, ``n_coders``, ``n_pairable``,
        ``interpretation``.

    Examples
    --------
    >>> from workbench.agreement import per_code_agreement
    >>> data = [[{"a"}, {"a"}], [{"a", "b"}, {"a"}], [{"b"}, {"b"}], [set(), {"b"}]]
    >>> per_code_agreement(data)[["code", "value"]].round(3)
            code  value
    0  (overall)  0.417
    1          a  1.000
    2          b  0.125
    """
    arr, unit_labels, coder_labels = _core.to_table(data, unit, coder, value)
    records = []
    for i in range(arr.shape[0]):
        for j in range(arr.shape[1]):
            cell = arr[i, j]
            if isinstance(cell, set | frozenset):
                if cell:
                    records += [(unit_labels[i], coder_labels[j], c) for c in cell]
                else:
                    records.append((unit_labels[i], coder_labels[j], None))
            elif not _core._is_missing(cell):
                raise TypeError(f"per_code_agreement needs set-valued cells (multi-label codes); got {cell!r}")
    codings = pd.DataFrame.from_records(records, columns=["unit_id", "coder", "code"])
    return reliability_table(codings, codes=codes, measures=measures, ci=ci, n_boot=n_boot, seed=seed)
