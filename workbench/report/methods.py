"""The methods paragraph of the reliability report, in the words and numbers a journal expects.

Counts up to ten in words (:func:`number_words`), coefficients in APA style
(:func:`format_coefficient`, :func:`format_ci`), and :func:`paragraph`, which writes the
figures of :func:`~workbench.report.reliability` as prose, judged by Krippendorff's
criteria (:data:`workbench.agreement.THRESHOLDS`).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..agreement import THRESHOLDS

__all__ = ["format_ci", "format_coefficient", "number_words", "paragraph", "percent"]

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_ORDINALS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")

# --- formatting -----------------------------------------------------------------------------
def number_words(n: int, *, capital: bool = False) -> str:
    """A count as a journal writes it: words up to ten, digits with thousands separators above.

    Examples
    --------
    >>> number_words(2, capital=True), number_words(12), number_words(1204)
    ('Two', '12', '1,204')
    """
    text = _WORDS[n] if 0 <= n <= 10 else f"{n:,}"
    return text[:1].upper() + text[1:] if capital else text


def _count(n: int, noun: str, plural: str | None = None) -> str:
    """``one unit``, ``two units``, ``12 units``; ``no units`` for zero."""
    word = "no" if n == 0 else number_words(n)
    return f"{word} {noun if n == 1 else (plural or noun + 's')}"


def _none(n: int) -> str:
    return "none" if n == 0 else number_words(n)


def _ordinal(n: int) -> str:
    return _ORDINALS[n] if 0 <= n <= 10 else f"{n}th"


def format_coefficient(value: float, digits: int = 2) -> str:
    """A coefficient bounded by 1 in APA style: no leading zero, a true minus sign.

    Examples
    --------
    >>> format_coefficient(0.8234), format_coefficient(-0.052), format_coefficient(1.0)
    ('.82', '−.05', '1.00')
    >>> format_coefficient(float("nan"))
    'undefined'
    """
    if value is None or not math.isfinite(float(value)):
        return "undefined"
    text = f"{float(value):.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    negative = text.startswith("-")
    text = text.lstrip("-")
    if text.startswith("0."):
        text = text[1:]
    return ("−" if negative else "") + text


def format_ci(low: float, high: float, digits: int = 2) -> str:
    """A 95% interval as ``95% CI .76–.88`` (``to`` instead of a dash when a bound is negative).

    Examples
    --------
    >>> format_ci(0.761, 0.879), format_ci(-0.01, 0.72)
    ('95% CI .76–.88', '95% CI −.01 to .72')
    """
    if low is None or high is None or not (math.isfinite(float(low)) and math.isfinite(float(high))):
        return "95% CI not available"
    lo, hi = format_coefficient(low, digits), format_coefficient(high, digits)
    sep = " to " if (lo.startswith("−") or hi.startswith("−")) else "–"
    return f"95% CI {lo}{sep}{hi}"


def percent(part: int, whole: int) -> str:
    """A share as a whole percentage (one decimal below 1%); ``n/a`` of nothing.

    Examples
    --------
    >>> percent(120, 1204), percent(3, 1204), percent(0, 0)
    ('10%', '0.2%', 'n/a')
    """
    if not whole:
        return "n/a"
    p = 100 * part / whole
    if p >= 1 or p == 0:
        return f"{p:.0f}%"
    return f"{p:.1f}%"


def paragraph(f: dict[str, Any], codebook: Any, info: dict | None) -> str:
    """The methods paragraph: the figures of :func:`~workbench.report.reliability` in prose.

    Parameters
    ----------
    f : dict
        The figures (``ReliabilityReport.figures``).
    codebook : Codebook or None
        The codebook version the round coded with (its title is named).
    info : dict or None
        The round (:meth:`Project.round_info`), or None for every coding of the project.

    Returns
    -------
    str
        Plain text.
    """
    s: list[str] = []
    low_cut, high_cut = (format_coefficient(x, 3) for x in THRESHOLDS)
    k, n, total = f["n_coders"], f["n_units"], f["n_codable"]
    coders = f"{number_words(k, capital=True)} coder{'s' if k != 1 else ''}"
    verb = "independently coded" if k > 1 else "coded"
    if f["method"] in ("random", "stratified"):
        how = f"a random sample stratified by {f['stratify']}" if f["method"] == "stratified" else "a simple random sample"
        if f["exclude"]:
            how = (
                ("drawn at random, stratified by " + str(f["stratify"]) + "," if f["method"] == "stratified" else "drawn at random")
                + f" from the {number_words(int(f['n_population']))} units not coded in earlier rounds;"
            )
        else:
            how += ","
        units = f"{number_words(n)} of {number_words(total)} codable units ({f['percent']}; {how} seed {f['seed']})"
    elif f["method"] == "all":
        units = (
            f"all {number_words(n)} codable units" if not f["exclude"]
            else f"the {number_words(n)} codable units not coded in earlier rounds ({f['percent']} of {number_words(total)})"
        )
    elif f["method"] == "explicit":
        units = f"{number_words(n)} selected units ({f['percent']} of {number_words(total)} codable units)"
    else:
        units = f"{number_words(n)} of {number_words(total)} codable units ({f['percent']})"
    cb = ""
    if f["codebook_version"] is not None:
        title = (codebook.title or codebook.name) if codebook is not None else None
        cb = f" using version {f['codebook_version']} of the codebook" + (f" “{title}”" if title else "")
    s.append(f"{coders} {verb} {units}{cb}.")
    if k > 1 and f["n_overlap"] < n:
        s.append(
            f"Of these, {number_words(f['n_overlap'])} ({percent(f['n_overlap'], n)}) were coded by all "
            f"{number_words(k)} coders and the other {number_words(n - f['n_overlap'])} by one coder each."
        )
    a = f["alpha"]
    if a is not None and math.isfinite(a):
        s.append(
            "Agreement on the set of codes applied to each unit, measured with Krippendorff's α and the MASI "
            f"distance for multi-label coding (Passonneau, 2006), was α = {format_coefficient(a)} "
            f"({format_ci(f['ci_low'], f['ci_high'])}; {number_words(f['n_pairable'])} units coded by two or more "
            f"coders; {f.get('n_boot', 1000):,} bootstrap resamples)."
        )
    else:
        s.append(
            "Krippendorff's α could not be computed for these codings (too few units coded by two or more "
            "coders, or no variation in the codes)."
        )
    for g, v in f["groups"].items():
        label = g
        if codebook is not None:
            try:
                label = codebook.group(g).label or g
            except KeyError:
                pass
        if math.isfinite(v["alpha"]):
            s.append(
                f"For the exclusive {label.lower()} group (one code per unit), nominal α = "
                f"{format_coefficient(v['alpha'])} ({format_ci(v['ci_low'], v['ci_high'])})."
            )
    codes = {c: v for c, v in f["codes"].items() if v is not None and math.isfinite(v)}
    if len(codes) >= 2:
        lo = min(codes, key=lambda c: (codes[c], c))
        hi = max(codes, key=lambda c: (codes[c], c))
        m = len(codes)
        s.append(
            f"Per-code α (nominal, code present or absent) ranged from {format_coefficient(codes[lo])} ({lo}) "
            f"to {format_coefficient(codes[hi])} ({hi}); {_none(f['n_codes_reliable'])} of "
            f"{number_words(m)} codes reached {high_cut}, {_none(f['n_codes_tentative'])} lay between {low_cut} "
            f"and {high_cut} and {_none(f['n_codes_below'])} fell below {low_cut}."
        )
    if f["codes_undefined"]:
        s.append(f"α was undefined for {', '.join(f['codes_undefined'])} (no variation or too few pairable units).")
    if a is not None and math.isfinite(a):
        verdict = (
            "acceptable" if a >= THRESHOLDS[1] else "sufficient for tentative conclusions only" if a >= THRESHOLDS[0] else "below the acceptable minimum"
        )
        s.append(
            f"By Krippendorff's (2004) criteria, under which α ≥ {high_cut} supports reliable conclusions and "
            f"α from {low_cut} to {high_cut} tentative conclusions only, overall agreement was {verdict}."
        )
    first = f.get("first_round")
    if info is not None and first is not None:
        change = ""
        if first["codebook_version"] != f["codebook_version"] and pd.notna(first["codebook_version"]):
            change = f" the codebook was revised between rounds (version {first['codebook_version']} to {f['codebook_version']}), and"
        start = format_coefficient(first["alpha"])
        s.append(
            f"This was the {_ordinal(f['round_number'])} of {number_words(f['n_rounds'])} coding rounds;{change} "
            f"overall α moved from {start} in the first round to {format_coefficient(a)}."
        )
    if info is not None and k > 1:
        d, j = f["n_disagreements"], f["n_adjudicated"]
        if d == 0:
            s.append("The coders did not disagree on any unit coded by more than one of them.")
        else:
            who = "A supervisor" if f["n_deciders"] <= 1 else f"{number_words(f['n_deciders'], capital=True)} supervisors"
            if j == d:
                s.append(
                    f"{who} adjudicated {'the' if d == 1 else 'all ' + number_words(d)} "
                    f"{'unit' if d == 1 else 'units'} on which the coders disagreed; "
                    "the adjudicated codes form the gold standard."
                )
            elif j:
                s.append(f"{who} adjudicated {number_words(j)} of the {_count(d, 'unit')} on which the coders disagreed.")
            else:
                s.append(f"The coders disagreed on {_count(d, 'unit')}; none has been adjudicated yet.")
    return " ".join(s)


