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

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..agreement import OVERALL, THRESHOLDS, AgreementWarning
from ..codebook import slugify
from .methods import format_ci, format_coefficient, number_words, percent
from .methods import paragraph as methods_paragraph
from .reliability_page import CHART_SLOT, html_page, markdown, model_run_rows

__all__ = ["ReliabilityReport", "reliability", "format_coefficient", "format_ci", "number_words"]


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
            md = md.replace(CHART_SLOT, f"![Agreement across rounds]({svg_path.name})\n\n")
        md = md.replace(CHART_SLOT, "")
        html_path = stem.with_name(stem.name + ".html")
        md_path = stem.with_name(stem.name + ".md")
        html_path.write_text(self.html, encoding="utf-8")
        md_path.write_text(md, encoding="utf-8")
        self.paths = (html_path, md_path, *written)
        return self.paths


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
    paragraph = methods_paragraph(figures, codebook, info)
    chart, svg, spec = _chart(reports)
    adjudicated = _adjudicated(project, info) if (include_text and info) else None
    md = markdown(name, paragraph, table, trend, figures, codebook, include_text, adjudicated)
    page = html_page(name, paragraph, table, trend, figures, codebook, include_text, adjudicated, svg, spec)
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
    low, high = THRESHOLDS
    f["n_codes_reliable"] = int((defined["value"] >= high).sum())
    f["n_codes_tentative"] = int(((defined["value"] >= low) & (defined["value"] < high)).sum())
    f["n_codes_below"] = int((defined["value"] < low).sum())
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
    f["percent"] = percent(f["n_units"], f["n_codable"])
    f["model_runs"] = model_run_rows(project)
    return f


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


