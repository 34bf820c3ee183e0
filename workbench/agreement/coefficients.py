"""The agreement coefficients: each takes a units x coders table or a long DataFrame and returns a float."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import workbench.agreement._data as _data
import workbench.agreement._kernels as _kernels

from ._common import _check_level, _finish

__all__ = [
    "brennan_prediger",
    "cohen_kappa",
    "conger_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "gwet_ac2",
    "jaccard_distance",
    "krippendorff_alpha",
    "masi_distance",
    "percent_agreement",
    "scott_pi",
]


def krippendorff_alpha(
    data: Any,
    level: str = "nominal",
    *,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
    distance: str | Callable[[Any, Any], float] | np.ndarray | None = None,
    categories: Sequence | None = None,
) -> float:
    """Krippendorff's alpha reliability coefficient.

    ``alpha = 1 - D_o / D_e``: observed over expected disagreement, computed from the
    coincidence matrix of pairable values (Krippendorff, 2011). Any number of coders,
    missing values and levels of measurement. Units coded by one coder only carry no
    pairable value and are left out (as Krippendorff prescribes); they do not lower alpha.

    Parameters
    ----------
    data : DataFrame, array, list of lists or Tabulated
        A units x coders table (``NaN``/``None`` = missing; cells may be sets), a long
        DataFrame with the columns named by ``unit``, ``coder`` and ``value``, or a table
        of counts (:func:`from_contingency`, :func:`from_counts`).
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement; the difference function of Krippendorff (2011). Ordinal
        needs the categories in order (sortable values, or ``categories=``); interval and
        ratio need numbers.
    unit, coder, value : str, optional
        Column names when ``data`` is a long DataFrame.
    distance : {"masi", "jaccard"}, callable or array, optional
        A distance between two values instead of ``level``: ``"masi"`` (Passonneau, 2006)
        or ``"jaccard"`` for set-valued (multi-label) cells, any ``f(a, b) -> float``
        with ``f(a, a) == 0``, or a q x q matrix of distances between the categories (in
        the order of ``categories``): symmetric, non-negative, 0 on the diagonal. Plain
        values are read as one-element sets by the set distances.
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

    A matrix of distances, here the squared differences of interval alpha:

    >>> d = [[(a - b) ** 2 for b in range(1, 6)] for a in range(1, 6)]
    >>> round(krippendorff_alpha(data, distance=d), 3)
    0.849
    """
    _check_level(level)
    if distance is not None and level != "nominal":
        raise ValueError("give either level= or distance=, not both")
    coded = _data.encode(data, unit, coder, value, categories)
    v, reason = _kernels.alpha(coded, level, distance)
    return _finish(v, reason)


def percent_agreement(
    data: Any,
    *,
    weights: str | np.ndarray | None = None,
    categories: Sequence | None = None,
    unit: str | None = None,
    coder: str | None = None,
    value: str | None = None,
) -> float:
    """Observed agreement, not corrected for chance; weighted, partial agreement too.

    For each unit coded by two or more coders, the share of pairs of coders who gave the
    same value; then the mean over those units (Gwet, 2014, eq. 2.7 for many raters). With
    two coders this is the share of units both coded on which they agree. Sets count as
    equal only when they hold the same codes. With weights, each pair earns its weight
    instead of 0 or 1 (Gwet, 2014, ch. 3).

    Parameters
    ----------
    data : DataFrame, array, list of lists or Tabulated
        A units x coders table, a long DataFrame (see the module notes), or a table of
        counts (:func:`from_contingency`, :func:`from_counts`).
    weights : None, str or array, optional
        Agreement weights: a scheme's name or a q x q matrix (see :func:`cohen_kappa`).
    categories : sequence, optional
        All categories in order (for the weights).
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
    >>> percent_agreement([[1, 1], [1, 2], [2, 2], [3, 3]], weights="linear")
    0.875
    """
    coded = _data.encode(data, unit, coder, value, categories)
    v, reason = _kernels.percent(coded, weights)
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
    data : DataFrame, array, list of lists or Tabulated
        A units x coders table with exactly two coders, a long DataFrame, or a
        contingency table (:func:`from_contingency`).
    weights : None, str or array, optional
        Agreement weights (partial credit for near misses): a scheme of
        :data:`~workbench.agreement.weights.WEIGHTS` (``"linear"``, ``"quadratic"``,
        ``"ordinal"``, ``"radical"``, ``"ratio"``, ``"circular"``, ``"bipolar"``; Gwet 2014,
        Table 3.5.1), on the categories' values when they are numbers and their positions
        otherwise, or a symmetric q x q matrix with 1 on the diagonal and values in [0, 1]
        (see :func:`~workbench.agreement.weights.weights_matrix`).
    categories : sequence, optional
        All categories in order. Give it whenever weights are used: a category that
        nobody used still counts as a step between its neighbours. Default: the sorted
        observed values.
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
    coded = _data.encode(data, unit, coder, value, categories)
    v, reason = _kernels.cohen(coded, weights)
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
    data : DataFrame, array, list of lists or Tabulated
        A units x coders table with exactly two coders, a long DataFrame, or a
        contingency table (:func:`from_contingency`).
    weights : None, str or array, optional
        Agreement weights: a scheme's name or a q x q matrix (see :func:`cohen_kappa`).
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
    coded = _data.encode(data, unit, coder, value, categories)
    v, reason = _kernels.scott(coded, weights)
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
    data : DataFrame, array, list of lists or Tabulated
        A units x coders table, a long DataFrame, or a table of counts
        (:func:`from_contingency`, :func:`from_counts`).
    weights : None, str or array, optional
        Agreement weights: a scheme's name or a q x q matrix (see :func:`cohen_kappa`).
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
    coded = _data.encode(data, unit, coder, value, categories)
    v, reason = _kernels.fleiss(coded, weights)
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
    data : DataFrame, array, list of lists or Tabulated
        A units x coders table, a long DataFrame, or a table of counts
        (:func:`from_contingency`, :func:`from_counts`).
    weights : None, str or array, optional
        Agreement weights: a scheme's name or a q x q matrix (see :func:`cohen_kappa`).
        A matrix that is not symmetric is read as ``(W + W.T) / 2`` (with a warning): the
        coefficient counts every pair of coders both ways.
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
    coded = _data.encode(data, unit, coder, value, categories)
    v, reason = _kernels.conger(coded, weights)
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
    data : DataFrame, array, list of lists or Tabulated
        A units x coders table, a long DataFrame, or a table of counts
        (:func:`from_contingency`, :func:`from_counts`).
    weights : None, str or array, optional
        Agreement weights: a scheme's name or a q x q matrix (see :func:`cohen_kappa`).
        A matrix that is not symmetric is read as ``(W + W.T) / 2`` (with a warning): the
        coefficient counts every pair of coders both ways.
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
    coded = _data.encode(data, unit, coder, value, categories)
    v, reason = _kernels.brennan_prediger(coded, weights)
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
    data : DataFrame, array, list of lists or Tabulated
        A units x coders table, a long DataFrame, or a table of counts
        (:func:`from_contingency`, :func:`from_counts`).
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
    coded = _data.encode(data, unit, coder, value, categories)
    v, reason = _kernels.gwet(coded, None)
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
    data : DataFrame, array, list of lists or Tabulated
        A units x coders table, a long DataFrame, or a table of counts
        (:func:`from_contingency`, :func:`from_counts`).
    weights : str, None or array
        Agreement weights: a scheme's name or a q x q matrix (see :func:`cohen_kappa`).
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
    coded = _data.encode(data, unit, coder, value, categories)
    v, reason = _kernels.gwet(coded, weights)
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
    return _kernels.masi(a, b)


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
    return _kernels.jaccard(a, b)
