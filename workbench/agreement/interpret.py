"""Reading a coefficient: Krippendorff's cut-offs for alpha, Landis & Koch's bands for kappas."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._measures import _measure

__all__ = ["THRESHOLDS", "band", "interpret"]


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
