"""The reliability report: a methods paragraph, the per-code table, the trend across rounds.

:func:`reliability` writes what a paper's methods section and appendix need about
inter-rater agreement, as Markdown and as one self-contained HTML file (no CDN, no
JavaScript: the trend chart is rendered to SVG by vl-convert and inlined):

* a methods paragraph in the words a journal expects, e.g. "Two coders independently
  coded 120 of 1,204 codable units (10%; a random sample stratified by thread, seed
  11) using version 3 of the codebook ... Krippendorff's α = .82 (95% CI .76–.88) ...";
* the per-code table: :meth:`Project.agreement` of the round, unchanged, so every figure
  in the report equals the project's;
* agreement across the rounds up to this one (chart and table);
* the adjudication counts (disagreements, decisions, proposals for codebook changes);
* the codebook version the round coded with, as an appendix.

Thread text and author names never appear unless ``include_text=True``: the report
names no unit or thread (their ids can hold user handles), leaves the codebook's anchor
examples and near misses (quotes from threads) out, and leaves out adjudication reasons
and proposals (which may quote threads). Coder names are not printed either. The
appendix prints the codebook's definitions and apply / do-not-apply rules as their
authors wrote them: a rule that quotes a post is the authors' choice. With
``include_text=True`` the report adds the text of the disputed units, their ids and the
anchor examples as stored (the author column is still never printed, but texts and ids
can name people: pseudonymise the project before publishing). Everything that reaches
the HTML is escaped.
"""

from __future__ import annotations

import html
import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..agreement import OVERALL, AgreementWarning
from ..codebook import slugify

__all__ = ["ReliabilityReport", "reliability", "format_coefficient", "format_ci", "number_words"]

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_ORDINALS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_LOW, _HIGH = 0.667, 0.800


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


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "n/a"
    p = 100 * part / whole
    if p >= 1 or p == 0:
        return f"{p:.0f}%"
    return f"{p:.1f}%"


def _md(text: Any) -> str:
    """Escape text for Markdown (HTML special characters too), on one line."""
    if text is None:
        return ""
    out = html.escape(str(text), quote=False)
    out = re.sub(r"([\\`*_\[\]|#<>])", r"\\\1", out)
    return " ".join(out.split())


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _code_label(code: str, codebook: Any) -> str:
    if code == OVERALL:
        return "All codes (sets, MASI)"
    if code.startswith("group:"):
        name = code[len("group:"):]
        try:
            label = codebook.group(name).label or name
        except (KeyError, AttributeError):
            label = name
        return f"{label} (exclusive group)"
    if codebook is not None and code in codebook:
        label = codebook[code].label
        return f"{label} ({code})" if label and label != code else code
    return code


def _interp(text: str) -> str:
    """The reading without its long benchmark note, for a table cell."""
    return str(text).split(" (")[0].split(";")[0] if text else ""


# --- the report -----------------------------------------------------------------------------
@dataclass
class ReliabilityReport:
    """What :func:`reliability` made.

    Attributes
    ----------
    round : str or None
        The round reported on (None: every coding of the project).
    paragraph : str
        The methods paragraph (plain text).
    table : pandas.DataFrame
        The per-code report: exactly :meth:`Project.agreement` of the round.
    trend : pandas.DataFrame
        Agreement in each round up to this one: ``round, codebook_version, n_units,
        code, value, ci_low, ci_high, n_pairable, interpretation`` (overall and
        exclusive-group rows).
    figures : dict
        The numbers the paragraph states (``alpha, ci_low, ci_high, n_coders, n_units,
        n_codable, n_pairable, percent, codebook_version, n_disagreements,
        n_adjudicated, ...``), for checking against their sources.
    markdown, html : str
        The report as Markdown and as a self-contained HTML page.
    chart : altair.LayerChart or None
        The trend chart.
    svg : str or None
        The chart rendered to SVG (None when vl-convert is not installed).
    paths : tuple of Path
        The files written (empty when no ``path`` was given).
    """

    round: str | None
    paragraph: str
    table: pd.DataFrame
    trend: pd.DataFrame
    figures: dict[str, Any]
    markdown: str
    html: str
    chart: Any = None
    svg: str | None = None
    paths: tuple[Path, ...] = field(default_factory=tuple)

    def _repr_html_(self) -> str:
        body = self.html.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
        return f'<div class="wb-reliability-report">{body}</div>'

    def _repr_markdown_(self) -> str:
        return self.markdown

    def save(self, path: str | Path) -> tuple[Path, ...]:
        """Write ``NAME.html`` and ``NAME.md`` (and ``NAME-trend.svg``); see :func:`reliability`."""
        stem = _stem(path, self.round)
        stem.parent.mkdir(parents=True, exist_ok=True)
        written = []
        md = self.markdown
        if self.svg:
            svg_path = stem.with_name(stem.name + "-trend.svg")
            svg_path.write_text(self.svg, encoding="utf-8")
            written.append(svg_path)
            md = md.replace(_CHART_SLOT, f"![Agreement across rounds]({svg_path.name})\n\n")
        md = md.replace(_CHART_SLOT, "")
        html_path = stem.with_name(stem.name + ".html")
        md_path = stem.with_name(stem.name + ".md")
        html_path.write_text(self.html, encoding="utf-8")
        md_path.write_text(md, encoding="utf-8")
        self.paths = (html_path, md_path, *written)
        return self.paths


_CHART_SLOT = "<!-- trend chart -->\n"


def _stem(path: str | Path, round: str | None) -> Path:
    p = Path(path)
    as_folder = p.is_dir() or str(path).endswith(("/", "\\"))
    if as_folder:
        return p / f"reliability-{slugify(round) if round else 'project'}"
    if p.suffix.lower() in (".html", ".md", ".htm"):
        p = p.with_suffix("")
    return p


def reliability(
    project: Any,
    round: str | int | None = None,
    *,
    path: str | Path | None = None,
    include_text: bool = False,
    n_boot: int = 1000,
    seed: int | None = 0,
) -> ReliabilityReport:
    """Write the reliability report of a round: methods paragraph, per-code table, trend, codebook.

    Parameters
    ----------
    project : workbench.Project
        The project.
    round : str or int, optional
        The round (name or id). None: the newest round, or every coding of the project
        when it has no rounds.
    path : str or Path, optional
        A folder (existing, or ending in ``/``: the files are called
        ``reliability-<round>``) or a file stem; writes ``NAME.html``, ``NAME.md`` and,
        when the chart could be rendered, ``NAME-trend.svg`` (linked from the Markdown).
    include_text : bool
        Add thread text: the codebook's anchor examples and a list of the disputed units
        with their ids and text, each coder's codes and the decision, its reason and
        proposal. The author column is never printed, but texts and unit ids can name
        people: pseudonymise the project first (:func:`workbench.pseudonymise`).
    n_boot : int
        Bootstrap resamples of the 95% intervals (as :meth:`Project.agreement`).
    seed : int or None
        Seed of the bootstrap (as :meth:`Project.agreement`).

    Returns
    -------
    ReliabilityReport

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> from workbench.report.reliability import reliability
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "rep.db"))
    >>> project.add_codebook(wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "validating", "label": "Validating", "definition": "Believes the account."},
    ...     {"name": "defensive", "label": "Defensive", "definition": "Not all of us."}]}))
    1
    >>> _ = project.add_units(wb.make_units([{"unit_id": f"u{i}", "thread_id": "t", "text": "."}
    ...                                      for i in range(40)]))
    >>> _ = project.add_coder("ann"); _ = project.add_coder("ben")
    >>> _ = project.new_round("round 1", sample=20, coders=["ann", "ben"], seed=1)
    >>> for i, u in enumerate(project.round_units("round 1")):
    ...     _ = project.code(u, "validating" if i % 2 else "defensive", coder="ann", round="round 1")
    ...     _ = project.code(u, "validating" if i % 2 or i == 4 else "defensive", coder="ben", round="round 1")
    >>> report = reliability(project, "round 1", n_boot=200)
    >>> print(report.paragraph.split(". ")[0])
    Two coders independently coded 20 of 40 codable units (50%; a simple random sample, seed 1) using version 1 of the codebook “demo”
    >>> bool(report.figures["alpha"] == project.agreement("round 1", n_boot=200)["value"].iloc[0])
    True
    >>> project.close()
    """
    if not isinstance(include_text, bool):
        raise TypeError(f"include_text must be True or False; got {include_text!r}")
    rounds = project.rounds()
    if round is None and len(rounds):
        round = str(rounds["round"].iloc[-1])
    info = project.round_info(round) if round is not None else None
    name = info["round"] if info else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AgreementWarning)
        table = project.agreement(name, n_boot=n_boot, seed=seed)
        trend, reports = _trend(project, rounds, info, table, n_boot=n_boot, seed=seed)
    version = info["codebook_version"] if info and info["codebook_version"] else project.codebook_version()
    codebook = project.codebook(version) if version is not None else None
    figures = _figures(project, info, table, rounds, trend)
    figures["n_boot"] = int(n_boot)
    paragraph = _paragraph(figures, codebook, info)
    chart, svg, spec = _chart(reports)
    adjudicated = _adjudicated(project, info) if (include_text and info) else None
    md = _markdown(name, paragraph, table, trend, figures, codebook, include_text, adjudicated)
    page = _html(name, paragraph, table, trend, figures, codebook, include_text, adjudicated, svg, spec)
    report = ReliabilityReport(
        round=name, paragraph=paragraph, table=table, trend=trend, figures=figures, markdown=md, html=page,
        chart=chart, svg=svg,
    )
    if path is not None:
        report.save(path)
    return report


# --- the numbers --------------------------------------------------------------------------
def _row(table: pd.DataFrame, code: str) -> dict[str, Any] | None:
    rows = table[(table["code"] == code) & (table["measure"] == "alpha")]
    return None if rows.empty else rows.iloc[0].to_dict()


def _trend(
    project: Any, rounds: pd.DataFrame, info: dict | None, table: pd.DataFrame, *, n_boot: int, seed: int | None
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    cols = ["round", "codebook_version", "n_units", "code", "value", "ci_low", "ci_high", "n_pairable", "interpretation"]
    if info is None:
        return pd.DataFrame(columns=cols), {}
    upto = rounds[rounds["round_id"] <= info["round_id"]]
    frames, reports = [], {}
    for rec in upto.to_dict("records"):
        t = table if rec["round"] == info["round"] else project.agreement(rec["round"], n_boot=n_boot, seed=seed)
        keep = t[(t["measure"] == "alpha") & ((t["code"] == OVERALL) | t["code"].str.startswith("group:"))]
        reports[str(rec["round"])] = keep
        frames.append(
            keep.assign(round=rec["round"], codebook_version=rec["codebook_version"], n_units=keep["n_units"])[cols]
        )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    return out, reports


def _figures(project: Any, info: dict | None, table: pd.DataFrame, rounds: pd.DataFrame, trend: pd.DataFrame) -> dict[str, Any]:
    overall = _row(table, OVERALL) or {}
    f: dict[str, Any] = {
        "alpha": overall.get("value", math.nan),
        "ci_low": overall.get("ci_low", math.nan),
        "ci_high": overall.get("ci_high", math.nan),
        "n_pairable": int(overall.get("n_pairable", 0) or 0),
        "n_coded": int(overall.get("n_units", 0) or 0),
        "interpretation": overall.get("interpretation", ""),
    }
    groups = table[(table["measure"] == "alpha") & table["code"].str.startswith("group:")]
    f["groups"] = {
        r["code"][len("group:"):]: {"alpha": r["value"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]}
        for r in groups.to_dict("records")
    }
    codes = table[(table["measure"] == "alpha") & (table["code"] != OVERALL) & ~table["code"].str.startswith("group:")]
    defined = codes[codes["value"].notna()]
    f["codes"] = {r["code"]: r["value"] for r in codes.to_dict("records")}
    f["n_codes_reliable"] = int((defined["value"] >= _HIGH).sum())
    f["n_codes_tentative"] = int(((defined["value"] >= _LOW) & (defined["value"] < _HIGH)).sum())
    f["n_codes_below"] = int((defined["value"] < _LOW).sum())
    f["codes_undefined"] = list(codes.loc[codes["value"].isna(), "code"])
    if info is not None:
        f.update(
            n_coders=len(info["coders"]),
            n_units=int(info["n_units"]),
            n_codable=int(info["n_codable"] if info["n_codable"] is not None else project.n_units(codable=True)),
            n_population=info["n_population"],
            n_overlap=int(info["n_overlap"] if info["n_overlap"] is not None else info["n_units"]),
            method=info["method"],
            stratify=info["stratify"],
            seed=info["seed"],
            exclude=info["exclude"],
            codebook_version=info["codebook_version"],
            round_number=int((rounds["round_id"] <= info["round_id"]).sum()),
            n_rounds=len(rounds),
        )
        dis = project.round_disagreements(info["round_id"])
        f["n_disagreements"] = len(dis)
        f["n_adjudicated"] = int(dis["adjudicated"].sum()) if len(dis) else 0
        dec = project.decisions(info["round_id"])
        f["n_decisions"] = len(dec)
        f["n_deciders"] = int(dec["decided_by"].nunique()) if len(dec) else 0
        f["n_proposals"] = len(project.proposals(info["round_id"]))
        earlier = trend[(trend["code"] == OVERALL) & (trend["round"] != info["round"])]
        f["first_round"] = None if earlier.empty else {
            "round": str(earlier["round"].iloc[0]), "alpha": earlier["value"].iloc[0],
            "codebook_version": earlier["codebook_version"].iloc[0],
        }
    else:
        f.update(
            n_coders=int(overall.get("n_coders", 0) or 0),
            n_units=f["n_coded"],
            n_codable=project.n_units(codable=True),
            n_population=None, n_overlap=f["n_coded"], method=None, stratify=None, seed=None, exclude=[],
            codebook_version=project.codebook_version(), round_number=0, n_rounds=0,
            n_disagreements=None, n_adjudicated=None, n_decisions=0, n_deciders=0, n_proposals=0, first_round=None,
        )
    f["percent"] = _percent(f["n_units"], f["n_codable"])
    return f


def _paragraph(f: dict[str, Any], codebook: Any, info: dict | None) -> str:
    s: list[str] = []
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
            f"Of these, {number_words(f['n_overlap'])} ({_percent(f['n_overlap'], n)}) were coded by all "
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
            f"{number_words(m)} codes reached .800, {_none(f['n_codes_tentative'])} lay between .667 "
            f"and .800 and {_none(f['n_codes_below'])} fell below .667."
        )
    if f["codes_undefined"]:
        s.append(f"α was undefined for {', '.join(f['codes_undefined'])} (no variation or too few pairable units).")
    if a is not None and math.isfinite(a):
        verdict = (
            "acceptable" if a >= _HIGH else "sufficient for tentative conclusions only" if a >= _LOW else "below the acceptable minimum"
        )
        s.append(
            "By Krippendorff's (2004) criteria, under which α ≥ .800 supports reliable conclusions and "
            f"α from .667 to .800 tentative conclusions only, overall agreement was {verdict}."
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


def _adjudicated(project: Any, info: dict) -> pd.DataFrame:
    """Disagreements with text, each coder's codes (coders anonymised) and the decision."""
    dis = project.round_disagreements(info["round_id"], anonymise=True)
    dec = project.decisions(info["round_id"])
    units = project.units(unit_ids=list(dis["unit_id"])) if len(dis) else pd.DataFrame(columns=["unit_id", "text"])
    text = dict(zip(units["unit_id"], units["text"]))
    dec_by = {r["unit_id"]: r for r in dec.to_dict("records")}
    rows = []
    for r in dis.to_dict("records"):
        d = dec_by.get(r["unit_id"], {})
        d = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}
        rows.append(
            {
                "unit_id": r["unit_id"],
                "text": text.get(r["unit_id"], ""),
                "codes_by_coder": r["codes_by_coder"],
                "decision": d.get("codes", None),
                "reason": d.get("reason", None),
                "proposal": d.get("proposal", None),
            }
        )
    cols = ["unit_id", "text", "codes_by_coder", "decision", "reason", "proposal"]
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in cols}, columns=cols)


# --- chart --------------------------------------------------------------------------------
def _chart(reports: dict[str, pd.DataFrame]) -> tuple[Any, str | None, dict | None]:
    if not reports:
        return None, None, None
    from .. import charts
    from ..charts import render

    frames = {r: t[t["value"].notna()] for r, t in reports.items()}
    def label(code: str) -> str:
        return "overall" if code == OVERALL else f"{code[len('group:'):]} (group)" if code.startswith("group:") else code

    frames = {r: t.assign(code=t["code"].map(label)) for r, t in frames.items() if len(t)}
    if not frames:
        return None, None, None
    chart = charts.agreement_trend(frames, measure="alpha")
    spec = chart.to_dict()
    try:
        svg = render.to_svg(spec)
    except ImportError:  # pragma: no cover - vl-convert is a dependency of the charts
        return chart, None, spec
    start = svg.find("<svg")
    return chart, svg[start:] if start >= 0 else None, spec


# --- Markdown -----------------------------------------------------------------------------
def _table_rows(table: pd.DataFrame, codebook: Any) -> list[list[str]]:
    rows = []
    for r in table[table["measure"] == "alpha"].to_dict("records"):
        rows.append(
            [
                _code_label(r["code"], codebook),
                format_coefficient(r["value"]),
                format_ci(r["ci_low"], r["ci_high"]).replace("95% CI ", ""),
                f"{int(r['n_units']):,}",
                f"{int(r['n_pairable']):,}",
                _interp(r["interpretation"]),
            ]
        )
    return rows


_TABLE_HEAD = ["Code", "α", "95% CI", "Units", "Pairable", "Reading"]
_TREND_HEAD = ["Round", "Codebook version", "Units", "Overall α", "95% CI"]


def _trend_rows(trend: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    if trend.empty:
        return _TREND_HEAD, []
    groups = [c for c in dict.fromkeys(trend["code"]) if c != OVERALL]
    head = _TREND_HEAD + [f"{g[len('group:'):]} α" for g in groups]
    rows = []
    for rnd, part in trend.groupby("round", sort=False):
        o = part[part["code"] == OVERALL].iloc[0]
        cells = [
            str(rnd),
            "" if pd.isna(o["codebook_version"]) else str(int(o["codebook_version"])),
            f"{int(o['n_units']):,}",
            format_coefficient(o["value"]),
            format_ci(o["ci_low"], o["ci_high"]).replace("95% CI ", ""),
        ]
        for g in groups:
            gr = part[part["code"] == g]
            cells.append(format_coefficient(gr["value"].iloc[0]) if len(gr) else "")
        rows.append(cells)
    return head, rows


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(_md(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return out


def _title(name: str | None) -> str:
    return f"Inter-rater reliability: {name}" if name else "Inter-rater reliability"


def _markdown(name, paragraph, table, trend, f, codebook, include_text, adjudicated) -> str:
    lines = [f"# {_md(_title(name))}", "", "## Methods", "", _md(paragraph), "", "## Agreement by code", ""]
    lines += _md_table(_TABLE_HEAD, _table_rows(table, codebook))
    lines += [
        "",
        "α: Krippendorff's alpha; the overall row compares the sets of codes (MASI distance), the other rows "
        "each code's presence (nominal). 95% CI: bootstrap interval. Units: units coded by at least one coder; "
        "pairable: by two or more.",
        "",
    ]
    head, rows = _trend_rows(trend)
    if rows:
        lines += ["## Agreement across rounds", "", _CHART_SLOT.rstrip("\n"), ""]
        lines += _md_table(head, rows) + [""]
    if f.get("n_disagreements") is not None:
        lines += [
            "## Adjudication",
            "",
            f"- Units on which the coders disagreed: {f['n_disagreements']:,}",
            f"- Adjudicated: {f['n_adjudicated']:,}",
            f"- Proposals for codebook changes: {f['n_proposals']:,}",
            "",
        ]
    if include_text and adjudicated is not None and len(adjudicated):
        lines += ["## Disagreements and decisions", ""]
        for r in adjudicated.to_dict("records"):
            lines += [
                f"- **{_md(r['unit_id'])}**: {_md(r['text'])}",
                f"  - codes: {_md(r['codes_by_coder'])}",
                f"  - decision: {_md(r['decision'] if r['decision'] is not None else 'not adjudicated')}"
                + (f" ({_md(r['reason'])})" if r["reason"] else ""),
            ]
            if r["proposal"]:
                lines.append(f"  - proposal: {_md(r['proposal'])}")
        lines.append("")
    if codebook is not None:
        lines += [f"## Appendix: the codebook (version {f['codebook_version']})", ""]
        body = codebook.to_markdown(examples=include_text)
        lines += [("##" + ln if ln.startswith("# ") else ln) for ln in body.splitlines()]
        lines.append("")
    # the chart slot (an HTML comment) stays until save() links the SVG file there
    return "\n".join(lines)


# --- HTML ---------------------------------------------------------------------------------
_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #ddd; padding: .3rem .55rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.methods { font-size: 1.02rem; } .note { color: #555; font-size: .88rem; }
.wb-swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; }
.chart svg { max-width: 100%; height: auto; }
"""


def _html_table(head: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    out = ["<table>", "<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in head) + "</tr></thead>", "<tbody>"]
    for r in rows:
        cells = [
            (f'<th scope="row">{_e(c)}</th>' if i == 0 else f'<td class="num">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>")
            for i, c in enumerate(r)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _json_for_html(spec: dict) -> str:
    text = json.dumps(spec, ensure_ascii=False, default=str)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _html(name, paragraph, table, trend, f, codebook, include_text, adjudicated, svg, spec) -> str:
    title = _title(name)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{_e(title)}</h1>",
        '<section id="methods"><h2>Methods</h2>',
        f'<p class="methods">{_e(paragraph)}</p></section>',
        '<section id="by-code"><h2>Agreement by code</h2>',
        _html_table(_TABLE_HEAD, _table_rows(table, codebook), {1, 3, 4}),
        '<p class="note">α: Krippendorff\'s alpha; the overall row compares the sets of codes (MASI distance), '
        "the other rows each code's presence (nominal). 95% CI: bootstrap interval. Units: units coded by at "
        "least one coder; pairable: by two or more.</p></section>",
    ]
    head, rows = _trend_rows(trend)
    if rows:
        parts.append('<section id="rounds"><h2>Agreement across rounds</h2>')
        if svg:
            parts.append(f'<figure class="chart">{svg}<figcaption class="note">Overall and exclusive-group α '
                         "per round with 95% intervals; dashed lines at .667 and .800.</figcaption></figure>")
        elif spec is not None:
            parts.append('<p class="note">(The chart was not rendered: install vl-convert-python.)</p>')
        if spec is not None:
            parts.append(f'<script type="application/json" id="wb-trend-spec">{_json_for_html(spec)}</script>')
        parts.append(_html_table(head, rows, set(range(1, len(head)))))
        parts.append("</section>")
    if f.get("n_disagreements") is not None:
        parts += [
            '<section id="adjudication"><h2>Adjudication</h2><ul>',
            f"<li>Units on which the coders disagreed: {f['n_disagreements']:,}</li>",
            f"<li>Adjudicated: {f['n_adjudicated']:,}</li>",
            f"<li>Proposals for codebook changes: {f['n_proposals']:,}</li>",
            "</ul></section>",
        ]
    if include_text and adjudicated is not None and len(adjudicated):
        parts.append('<section id="decisions"><h2>Disagreements and decisions</h2><dl>')
        for r in adjudicated.to_dict("records"):
            decision = r["decision"] if r["decision"] is not None else "not adjudicated"
            parts.append(
                f"<dt><code>{_e(r['unit_id'])}</code></dt><dd><blockquote>{_e(r['text'])}</blockquote>"
                f"<p>Codes: {_e(r['codes_by_coder'])}</p><p>Decision: {_e(decision)}"
                + (f" ({_e(r['reason'])})" if r["reason"] else "")
                + "</p>"
                + (f"<p>Proposal: {_e(r['proposal'])}</p>" if r["proposal"] else "")
                + "</dd>"
            )
        parts.append("</dl></section>")
    if codebook is not None:
        parts.append(f'<section id="codebook"><h2>Appendix: the codebook (version {_e(f["codebook_version"])})</h2>')
        if codebook.description:
            parts.append(f"<p>{_e(codebook.description)}</p>")
        if codebook.groups:
            parts.append("<ul>")
            for g in codebook.groups:
                kind = "exclusive: one code per unit" if g.exclusive else "multi-label: any number per unit"
                desc = f": {_e(g.description)}" if g.description else ""
                parts.append(f"<li><strong>{_e(g.label or g.name)}</strong> ({kind}){desc}</li>")
            parts.append("</ul>")
        parts.append(codebook.to_html(examples=include_text))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
