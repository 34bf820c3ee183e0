"""Tables of agreement: coincidences, two coders' confusion, every pair of coders."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

import workbench.agreement._data as _data
import workbench.agreement._kernels as _kernels

from ._common import AgreementWarning
from ._data import category_label
from ._measures import _kernel_call, _measure, _split_kwargs

__all__ = ["coincidence_matrix", "confusion_matrix", "pairwise"]


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
    coded = _data.encode(data, unit, coder, value, categories)
    o = _kernels.coincidences(coded.codes, coded.k)
    labels = pd.Index([category_label(c) for c in coded.categories])
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
    coded = _data.encode(data, unit, coder, value, categories)
    _data.require_coders(coded, "confusion_matrix")
    if coded.codes.shape[1] != 2:
        raise ValueError(f"confusion_matrix needs exactly two coders; the data have {coded.codes.shape[1]}")
    table, _ = _kernels.two_coder_table(coded, "confusion_matrix")
    k = coded.k
    if table is None:
        a, b = coded.codes[:, 0], coded.codes[:, 1]
        both = (a >= 0) & (b >= 0)
        table = np.bincount(a[both] * k + b[both], minlength=k * k).reshape(k, k)
    labels = [category_label(c) for c in coded.categories]
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
    coded = _data.encode(data, unit, coder, value, categories)
    _data.require_coders(coded, "pairwise")
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
