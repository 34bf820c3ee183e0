"""Ratings given as counts: a two-coder contingency table, or units x categories counts.

Published studies often print their ratings as a table of counts rather than one row
per unit. :func:`from_contingency` reads two coders' cross-tabulation and
:func:`from_counts` the number of coders who put each unit in each category (Fleiss'
layout, irrCAC's ``*.dist`` functions); every coefficient, :func:`bootstrap` and
:func:`standard_errors` take the result as ``data``, so published tables can be checked
directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._data import Tabulated

__all__ = ["Tabulated", "from_contingency", "from_counts"]


def _integer_counts(values: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"a {what} holds counts (numbers of units); got non-numeric cells") from None
    if arr.ndim != 2:
        raise ValueError(f"a {what} is 2-D; got an array with {arr.ndim} dimension(s)")
    bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"a {what} holds counts of units, whole numbers >= 0; cell [{i}, {j}] is {float(arr[i, j]):g}"
        )
    return arr.astype(np.int64)


def _distinct(categories: Sequence, what: str) -> list:
    cats = list(categories)
    if len(set(cats)) != len(cats):
        raise ValueError(f"the {what}'s categories must be distinct; got {cats}")
    return cats


def from_contingency(
    table: Any, *, categories: Sequence | None = None, coders: Sequence[str] | None = None
) -> Tabulated:
    """Two coders' ratings as a contingency table: ``table[k, l]`` units rated ``k`` by one, ``l`` by the other.

    Parameters
    ----------
    table : DataFrame, 2-D array or list of lists
        A square table of counts (whole numbers >= 0): rows are the first coder's
        categories, columns the second's, in the same order. A DataFrame's index and
        columns name the categories (the columns are put in the index's order).
    categories : sequence, optional
        The categories in order. For a DataFrame whose labels are among them, rows and
        columns are put in this order and unused categories added as zeros; otherwise it
        names the rows and columns by position. Default: the DataFrame's index, or
        ``1 .. q`` for an array (irrCAC's default scores for the weights).
    coders : pair of str, optional
        Names of the row and column coders (default: the DataFrame's axis names, or
        ``"rows"`` and ``"columns"``).

    Returns
    -------
    Tabulated
        Accepted as ``data`` by every coefficient, :func:`bootstrap`,
        :func:`standard_errors`, :func:`confusion_matrix` and :func:`coincidence_matrix`.

    Raises
    ------
    ValueError
        When the table is not square, holds something other than counts, or its row and
        column labels differ.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), ch. 2. Advanced Analytics.

    Examples
    --------
    irrCAC's ``cont3x3abstractors`` (two abstractors, 100 pregnancies):

    >>> import pandas as pd
    >>> from workbench.agreement import cohen_kappa, from_contingency
    >>> types = ["Ectopic", "AIU", "NIU"]
    >>> table = pd.DataFrame([[13, 0, 0], [0, 20, 7], [0, 4, 56]], index=types, columns=types)
    >>> round(cohen_kappa(from_contingency(table)), 4)
    0.7964
    """
    names: list[Any] = [None, None]
    if isinstance(table, pd.DataFrame):
        rows, cols = list(table.index), list(table.columns)
        names = [table.index.name, table.columns.name]
        if len(set(rows)) != len(rows) or len(set(cols)) != len(cols):
            raise ValueError(f"a contingency table's row and column labels must be distinct; got {rows} and {cols}")
        if set(rows) != set(cols):
            only = sorted(map(str, set(rows) ^ set(cols)))
            raise ValueError(
                f"a contingency table has the same categories in its rows and columns; {only} appear on one side "
                "only (add them to the other side as zeros)"
            )
        counts = _integer_counts(table.loc[rows, rows].to_numpy(), "contingency table")
        labels = rows
        if categories is not None:
            cats = _distinct(categories, "contingency table")
            if set(labels) <= set(cats):
                full = table.reindex(index=cats, columns=cats, fill_value=0)
                counts = _integer_counts(full.to_numpy(), "contingency table")
                labels = cats
            elif len(cats) == len(labels):
                labels = cats
            else:
                raise ValueError(f"categories {cats} neither hold the table's labels {rows} nor match their number")
    else:
        counts = _integer_counts(table, "contingency table")
        labels = list(range(1, counts.shape[0] + 1)) if categories is None else _distinct(categories, "contingency table")
    if counts.shape[0] != counts.shape[1]:
        raise ValueError(f"a contingency table is square (the same categories for both coders); got shape {counts.shape}")
    if len(labels) != counts.shape[0]:
        raise ValueError(f"{len(labels)} categories for a {counts.shape[0]} x {counts.shape[0]} table; give one per row")
    if coders is None:
        pair = (names[0] if names[0] is not None else "rows", names[1] if names[1] is not None else "columns")
    else:
        pair = tuple(coders)  # type: ignore[assignment]
        if len(pair) != 2 or pair[0] == pair[1]:
            raise ValueError(f"coders names the row and column coders: two different names; got {list(coders)}")
    return Tabulated("contingency", counts, tuple(labels), pd.RangeIndex(0), (pair[0], pair[1]))


def from_counts(counts: Any, *, categories: Sequence | None = None) -> Tabulated:
    """Many coders' ratings as counts: ``counts[i, k]`` coders who put unit ``i`` in category ``k``.

    The layout of Fleiss (1971) and of irrCAC's ``*.dist`` functions. Coders may differ
    from unit to unit (a row's total is the number of coders of that unit). Counts do
    not say which coder gave which value, so Cohen's and Conger's kappa, which need it,
    refuse them; every other coefficient takes them.

    Parameters
    ----------
    counts : DataFrame, 2-D array or list of lists
        One row per unit, one column per category, whole numbers >= 0. A DataFrame's
        index names the units and its columns the categories.
    categories : sequence, optional
        The categories in order, e.g. to add ones nobody used (they count for
        Brennan-Prediger's and Gwet's chance agreement and for the weights). A DataFrame's
        columns must be among them; an array's columns are the first ``len(columns)``.
        Default: the DataFrame's columns, or ``1 .. q`` for an array.

    Returns
    -------
    Tabulated
        Accepted as ``data`` by the coefficients (but Cohen's and Conger's kappa),
        :func:`bootstrap`, :func:`standard_errors` and :func:`coincidence_matrix`.

    Raises
    ------
    ValueError
        When a cell is not a count, or the categories do not cover the columns.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    Psychological Bulletin, 76(5), 378-382.

    Examples
    --------
    irrCAC's ``distrib.6raters`` (6 psychiatrists, 15 patients; irrCAC prints Fleiss'
    kappa 0.4139265):

    >>> from workbench.agreement import fleiss_kappa, from_counts
    >>> counts = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    ...           [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    ...           [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]]
    >>> round(fleiss_kappa(from_counts(counts)), 7)
    0.4139265
    """
    if isinstance(counts, pd.DataFrame):
        columns = list(counts.columns)
        if categories is None:
            cats = _distinct(columns, "counts table")
            frame = counts
        else:
            cats = _distinct(categories, "counts table")
            unknown = [c for c in columns if c not in cats]
            if unknown:
                raise ValueError(
                    f"column(s) {unknown[:5]} are not among categories={cats}; the columns of a counts table "
                    "are categories (select them, e.g. counts[['a', 'b', 'c']])"
                )
            frame = counts.reindex(columns=cats, fill_value=0)
        arr = _integer_counts(frame.to_numpy(), "counts table")
        units = pd.Index(counts.index)
    else:
        arr = _integer_counts(counts, "counts table")
        units = pd.RangeIndex(arr.shape[0])
        if categories is None:
            cats = list(range(1, arr.shape[1] + 1))
        else:
            cats = _distinct(categories, "counts table")
            if len(cats) < arr.shape[1]:
                raise ValueError(f"{len(cats)} categories for {arr.shape[1]} columns; give at least one per column")
            arr = np.hstack([arr, np.zeros((arr.shape[0], len(cats) - arr.shape[1]), dtype=np.int64)])
    return Tabulated("counts", arr, tuple(cats), units, ())
