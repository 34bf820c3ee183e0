"""Agreement weights: Gwet's family of weighting schemes and checks on a weight matrix of one's own.

A weight ``w[k, l]`` is the credit two coders earn when one says category ``k`` and the
other category ``l``: 1 on the diagonal (full agreement), 0 for categories as far apart as
the scale allows, and partial credit in between. Every kappa-type coefficient of this
package (Cohen's and Conger's kappa, Scott's pi, Fleiss' kappa, Brennan-Prediger, Gwet's
AC2) and percent agreement take ``weights=``: a scheme's name, or a matrix.

The schemes are those of Gwet (2014, ch. 3, Table 3.5.1) as his irrCAC package computes
them (``identity.weights`` ... ``bipolar.weights``). They measure distance on the
categories' *scores*: the categories themselves when they are all numbers (``[1, 2, 5]``
puts 5 three steps from 2), and their positions ``1 .. q`` in the given order otherwise
(``["low", "mid", "high"]``). Ratio weights compare values to a true zero and so need
numeric categories. Ordinal weights count the categories between two, whatever the scores.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "WEIGHTS",
    "bipolar_weights",
    "circular_weights",
    "identity_weights",
    "linear_weights",
    "ordinal_weights",
    "quadratic_weights",
    "radical_weights",
    "ratio_weights",
    "weights_matrix",
]

#: The named weighting schemes accepted by every ``weights=`` argument.
WEIGHTS = ("identity", "linear", "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar")

_TOLERANCE = 1e-9


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_) and math.isfinite(float(x))


def _scores(categories: Sequence, scheme: str) -> np.ndarray:
    """The categories' values when all are numbers, else their positions 1 .. q (as irrCAC)."""
    cats = list(categories)
    if cats and all(_is_number(c) for c in cats):
        return np.array([float(c) for c in cats])
    if scheme == "ratio":
        shown = ", ".join(repr(c) for c in cats[:5])
        raise TypeError(
            f"ratio weights compare values to a true zero and need numeric categories; got {shown}. "
            "Give the categories as numbers (e.g. categories=[1, 2, 3, 4]), or use a scheme that works "
            "on positions: 'linear', 'quadratic', 'ordinal', 'radical', 'circular' or 'bipolar'"
        )
    return np.arange(1.0, len(cats) + 1.0)


def _distinct(categories: Sequence) -> list:
    cats = list(categories)
    if isinstance(categories, str | bytes):
        raise TypeError(f"categories must be a sequence of categories, not a string ({categories!r})")
    try:
        distinct = len(set(cats)) == len(cats)
    except TypeError:
        distinct = True  # unhashable categories (e.g. sets): leave them be
    if not distinct:
        raise ValueError(f"categories must be distinct; got {cats}")
    return cats


def identity_weights(categories: Sequence) -> np.ndarray:
    """Identity weights: 1 for the same category, 0 otherwise (the unweighted coefficients).

    Parameters
    ----------
    categories : sequence
        All categories, in order.

    Returns
    -------
    numpy.ndarray
        A ``q x q`` identity matrix.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), ch. 3. Advanced Analytics.

    Examples
    --------
    >>> from workbench.agreement.weights import identity_weights
    >>> identity_weights(["a", "b"])
    array([[1., 0.],
           [0., 1.]])
    """
    return np.eye(len(_distinct(categories)))


def _by_distance(categories: Sequence, scheme: str, credit: Callable[[np.ndarray, float], np.ndarray]) -> np.ndarray:
    cats = _distinct(categories)
    if len(cats) < 2:
        return np.eye(len(cats))
    x = _scores(cats, scheme)
    span = float(x.max() - x.min())
    w = credit(np.abs(x[:, None] - x[None, :]), span)
    np.fill_diagonal(w, 1.0)
    return w


def linear_weights(categories: Sequence) -> np.ndarray:
    """Linear weights ``1 - |x_k - x_l| / (x_max - x_min)``.

    Parameters
    ----------
    categories : sequence
        All categories, in order; numbers are used as scores, other values by position.

    Returns
    -------
    numpy.ndarray
        A symmetric ``q x q`` matrix with 1 on the diagonal.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), Table 3.5.1.

    Examples
    --------
    >>> from workbench.agreement.weights import linear_weights
    >>> linear_weights([1, 2, 3])
    array([[1. , 0.5, 0. ],
           [0.5, 1. , 0.5],
           [0. , 0.5, 1. ]])
    """
    return _by_distance(categories, "linear", lambda d, span: 1.0 - d / span)


def quadratic_weights(categories: Sequence) -> np.ndarray:
    """Quadratic weights ``1 - (x_k - x_l)^2 / (x_max - x_min)^2``.

    Parameters
    ----------
    categories : sequence
        All categories, in order; numbers are used as scores, other values by position.

    Returns
    -------
    numpy.ndarray
        A symmetric ``q x q`` matrix with 1 on the diagonal.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), Table 3.5.1.

    Examples
    --------
    >>> from workbench.agreement.weights import quadratic_weights
    >>> quadratic_weights(["low", "mid", "high"])
    array([[1.  , 0.75, 0.  ],
           [0.75, 1.  , 0.75],
           [0.  , 0.75, 1.  ]])
    """
    return _by_distance(categories, "quadratic", lambda d, span: 1.0 - (d / span) ** 2)


def radical_weights(categories: Sequence) -> np.ndarray:
    """Radical (square-root) weights ``1 - sqrt(|x_k - x_l|) / sqrt(x_max - x_min)``.

    Parameters
    ----------
    categories : sequence
        All categories, in order; numbers are used as scores, other values by position.

    Returns
    -------
    numpy.ndarray
        A symmetric ``q x q`` matrix with 1 on the diagonal.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), Table 3.5.1.

    Examples
    --------
    >>> from workbench.agreement.weights import radical_weights
    >>> radical_weights([1, 2, 3]).round(4)
    array([[1.    , 0.2929, 0.    ],
           [0.2929, 1.    , 0.2929],
           [0.    , 0.2929, 1.    ]])
    """
    return _by_distance(categories, "radical", lambda d, span: 1.0 - np.sqrt(d) / math.sqrt(span))


def ratio_weights(categories: Sequence) -> np.ndarray:
    """Ratio weights ``1 - ((x_k - x_l) / (x_k + x_l))^2 / ((x_max - x_min) / (x_max + x_min))^2``.

    Distances relative to a true zero: 1 and 2 are as far apart as 10 and 20. The
    categories must be non-negative numbers.

    Parameters
    ----------
    categories : sequence of numbers
        All categories (scores on a ratio scale).

    Returns
    -------
    numpy.ndarray
        A symmetric ``q x q`` matrix with 1 on the diagonal.

    Raises
    ------
    TypeError
        When a category is not a number.
    ValueError
        When a category is negative.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), Table 3.5.1.

    Examples
    --------
    >>> from workbench.agreement.weights import ratio_weights
    >>> ratio_weights([1, 2, 3]).round(4)
    array([[1.    , 0.5556, 0.    ],
           [0.5556, 1.    , 0.84  ],
           [0.    , 0.84  , 1.    ]])
    """
    cats = _distinct(categories)
    if len(cats) < 2:
        return np.eye(len(cats))
    x = _scores(cats, "ratio")
    if (x < 0).any():
        raise ValueError(
            f"ratio weights need non-negative categories (a scale with a true zero); got {[c for c in cats if c < 0][:5]}"
        )
    lo, hi = float(x.min()), float(x.max())
    total = x[:, None] + x[None, :]
    rel = np.zeros((len(x), len(x)))
    np.divide(x[:, None] - x[None, :], total, out=rel, where=total > 0)
    w = 1.0 - rel**2 / ((hi - lo) / (hi + lo)) ** 2
    np.fill_diagonal(w, 1.0)
    return w


def circular_weights(categories: Sequence) -> np.ndarray:
    """Circular weights for categories on a circle (e.g. days of the week, directions).

    ``d_kl = sin^2(pi (x_k - x_l) / U)`` with ``U = x_max - x_min + 1``; the weights are
    ``1 - d_kl / max(d)``, so the first and last categories are neighbours.

    Parameters
    ----------
    categories : sequence
        All categories, in their order round the circle; numbers are used as scores,
        other values by position.

    Returns
    -------
    numpy.ndarray
        A symmetric ``q x q`` matrix with 1 on the diagonal.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), Table 3.5.1.

    Warrens, M. J., & Pratiwi, B. C. (2016). Kappa coefficients for circular classifications.
    Journal of Classification, 33(3), 507-522.

    Examples
    --------
    >>> from workbench.agreement.weights import circular_weights
    >>> circular_weights(["N", "E", "S", "W"])
    array([[1. , 0.5, 0. , 0.5],
           [0.5, 1. , 0.5, 0. ],
           [0. , 0.5, 1. , 0.5],
           [0.5, 0. , 0.5, 1. ]])
    """
    cats = _distinct(categories)
    if len(cats) < 2:
        return np.eye(len(cats))
    x = _scores(cats, "circular")
    turn = float(x.max() - x.min() + 1.0)
    d = np.sin(math.pi * (x[:, None] - x[None, :]) / turn) ** 2
    w = 1.0 - d / d.max()
    w[np.abs(w) < 1e-12] = 0.0  # sin(pi) is not exactly zero in floating point
    np.fill_diagonal(w, 1.0)
    return w


def bipolar_weights(categories: Sequence) -> np.ndarray:
    """Bipolar weights: disagreement near either end of the scale counts more than in the middle.

    ``d_kl = (x_k - x_l)^2 / ((x_k + x_l - 2 x_min)(2 x_max - x_k - x_l))`` for ``k != l``;
    the weights are ``1 - d_kl / max(d)``.

    Parameters
    ----------
    categories : sequence
        All categories, in order; numbers are used as scores, other values by position.

    Returns
    -------
    numpy.ndarray
        A symmetric ``q x q`` matrix with 1 on the diagonal.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), Table 3.5.1.

    Examples
    --------
    >>> from workbench.agreement.weights import bipolar_weights
    >>> bipolar_weights([1, 2, 3]).round(4)
    array([[1.    , 0.6667, 0.    ],
           [0.6667, 1.    , 0.6667],
           [0.    , 0.6667, 1.    ]])
    """
    cats = _distinct(categories)
    if len(cats) < 2:
        return np.eye(len(cats))
    x = _scores(cats, "bipolar")
    lo, hi = float(x.min()), float(x.max())
    s = x[:, None] + x[None, :]
    den = (s - 2.0 * lo) * (2.0 * hi - s)
    d = np.zeros_like(den)
    off = ~np.eye(len(x), dtype=bool)
    np.divide((x[:, None] - x[None, :]) ** 2, den, out=d, where=off & (den > 0))
    w = 1.0 - d / d.max()
    np.fill_diagonal(w, 1.0)
    return w


def ordinal_weights(categories: Sequence) -> np.ndarray:
    """Ordinal weights from the number of categories spanned, whatever their scores.

    With ``m_kl = |k - l| + 1`` categories from ``k`` to ``l`` (positions), ``d_kl =
    m_kl (m_kl - 1) / 2`` and the weights are ``1 - d_kl / max(d)``.

    Parameters
    ----------
    categories : sequence
        All categories, in order.

    Returns
    -------
    numpy.ndarray
        A symmetric ``q x q`` matrix with 1 on the diagonal.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), Table 3.5.1.

    Examples
    --------
    >>> from workbench.agreement.weights import ordinal_weights
    >>> ordinal_weights(["never", "sometimes", "often", "always"]).round(4)
    array([[1.    , 0.8333, 0.5   , 0.    ],
           [0.8333, 1.    , 0.8333, 0.5   ],
           [0.5   , 0.8333, 1.    , 0.8333],
           [0.    , 0.5   , 0.8333, 1.    ]])
    """
    cats = _distinct(categories)
    if len(cats) < 2:
        return np.eye(len(cats))
    pos = np.arange(len(cats), dtype=float)
    m = np.abs(pos[:, None] - pos[None, :]) + 1.0
    d = m * (m - 1.0) / 2.0
    return 1.0 - d / d.max()


_SCHEMES: dict[str, Callable[[Sequence], np.ndarray]] = {
    "identity": identity_weights,
    "linear": linear_weights,
    "quadratic": quadratic_weights,
    "ordinal": ordinal_weights,
    "radical": radical_weights,
    "ratio": ratio_weights,
    "circular": circular_weights,
    "bipolar": bipolar_weights,
}
_VALID = "None, 'linear', 'quadratic', 'ordinal', 'radical', 'ratio', 'circular', 'bipolar', 'identity'"


def weights_matrix(weights: Any, categories: Sequence, *, symmetric: bool = True) -> np.ndarray:
    """The agreement weights every coefficient uses: a named scheme, or a checked matrix.

    Parameters
    ----------
    weights : None, str or array-like
        ``None`` (or ``"identity"``/``"unweighted"``): the unweighted coefficient. A name in
        :data:`WEIGHTS`. Or a ``q x q`` matrix (array, nested lists or a DataFrame): row
        and column ``k`` belong to ``categories[k]``; a DataFrame whose index and columns
        hold the categories is put in their order first.
    categories : sequence
        All categories, in order.
    symmetric : bool
        Refuse a matrix that is not symmetric (the default). The many-coder coefficients
        (Fleiss, Conger, Brennan-Prediger, Gwet) only ever use the symmetric part
        ``(W + W.T) / 2`` of a matrix and pass ``False``.

    Returns
    -------
    numpy.ndarray
        A ``q x q`` float matrix with 1 on the diagonal and values in [0, 1].

    Raises
    ------
    ValueError
        For an unknown scheme's name, or a matrix of the wrong shape, with values outside
        [0, 1] (or not finite), a diagonal other than 1, or not symmetric.
    TypeError
        For ``"ratio"`` with categories that are not numbers.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), ch. 3. Advanced Analytics.

    Examples
    --------
    >>> from workbench.agreement.weights import weights_matrix
    >>> weights_matrix("linear", ["low", "mid", "high"])
    array([[1. , 0.5, 0. ],
           [0.5, 1. , 0.5],
           [0. , 0.5, 1. ]])
    >>> weights_matrix([[1, 0.5], [0.5, 1]], ["yes", "no"])
    array([[1. , 0.5],
           [0.5, 1. ]])
    >>> weights_matrix([[1, 0.5], [0.2, 1]], ["yes", "no"])
    Traceback (most recent call last):
    ...
    ValueError: the weight matrix must be symmetric (the credit for 'yes' vs 'no' must equal the credit for 'no' vs 'yes'); w[0, 1] = 0.5 but w[1, 0] = 0.2
    """
    cats = list(categories)
    q = len(cats)
    if weights is None:
        return np.eye(q)
    if isinstance(weights, str):
        name = "identity" if weights == "unweighted" else weights
        if name not in _SCHEMES:
            raise ValueError(f"weights must be {_VALID} or a {q} x {q} matrix; got {weights!r}")
        return _SCHEMES[name](cats)
    if isinstance(weights, pd.DataFrame):
        weights = _ordered_frame(weights, cats)
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"weights must be {_VALID} or a {q} x {q} matrix of numbers; got {type(weights).__name__}"
        ) from None
    _check_matrix(w, cats, symmetric)
    return w


def _ordered_frame(frame: pd.DataFrame, cats: list) -> Any:
    try:
        labels = set(frame.index) | set(frame.columns)
        wanted = set(cats)
    except TypeError:
        return frame.to_numpy()
    if labels == wanted and set(frame.index) == wanted and set(frame.columns) == wanted:
        return frame.loc[cats, cats].to_numpy()
    return frame.to_numpy()


def _label(cats: list, i: int) -> str:
    return repr(cats[i]) if i < len(cats) else f"category {i}"


def _check_matrix(w: np.ndarray, cats: list, symmetric: bool) -> None:
    q = len(cats)
    if w.shape != (q, q):
        raise ValueError(
            f"a weight matrix must be {q} x {q}, one row and one column per category {cats[:8]}"
            f"{'...' if q > 8 else ''}; got shape {w.shape}"
        )
    if not np.all(np.isfinite(w)):
        i, j = np.argwhere(~np.isfinite(w))[0]
        raise ValueError(f"weights must be numbers between 0 and 1; w[{i}, {j}] is {w[i, j]}")
    bad = (w < -_TOLERANCE) | (w > 1 + _TOLERANCE)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"weights are agreement credits between 0 (no credit) and 1 (full agreement); "
            f"w[{i}, {j}] ({_label(cats, i)} vs {_label(cats, j)}) is {w[i, j]:g}"
        )
    diag = np.abs(np.diag(w) - 1.0) > _TOLERANCE
    if diag.any():
        i = int(np.flatnonzero(diag)[0])
        raise ValueError(
            f"the weight matrix needs 1 on its diagonal (a category always agrees fully with itself); "
            f"w[{i}, {i}] ({_label(cats, i)}) is {w[i, i]:g}"
        )
    if symmetric:
        asym = np.abs(w - w.T) > _TOLERANCE
        if asym.any():
            i, j = np.argwhere(asym)[0]
            raise ValueError(
                f"the weight matrix must be symmetric (the credit for {_label(cats, i)} vs {_label(cats, j)} must "
                f"equal the credit for {_label(cats, j)} vs {_label(cats, i)}); w[{i}, {j}] = {w[i, j]:g} "
                f"but w[{j}, {i}] = {w[j, i]:g}"
            )
