"""The reliability report as Markdown and as one self-contained HTML page (no CDN, no JavaScript).

Everything that reaches the HTML is escaped (:func:`workbench.escape.html`), everything in
the Markdown by :func:`workbench.escape.markdown`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import escape
from ..agreement import OVERALL, THRESHOLDS
from ..errors import AccessError
from .methods import format_ci, format_coefficient

__all__ = ["CHART_SLOT", "MODEL_RUN_HEAD", "html_page", "markdown", "model_run_rows"]

#: Where the Markdown links the trend chart (an HTML comment until the SVG is written).
CHART_SLOT = "<!-- trend chart -->\n"


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
    out = ["| " + " | ".join(escape.markdown(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(escape.markdown(c) for c in r) + " |" for r in rows]
    return out


#: The columns of the report's table of model runs.
MODEL_RUN_HEAD = ["Model coder", "Model", "Version / file hash", "Prompt hash", "Seed", "Temperature", "Round",
                  "Units", "Coded", "No code", "Failed", "Started (UTC)", "Finished (UTC)", "Status"]
_MODEL_NOTE = (
    "A model coder is a coder of kind model (wb.assist): its codings are in the same log as the humans' and "
    "count as a coder's in any agreement computed over a round it coded in. Each run keeps the full prompt or "
    "training settings; the prompt hash names an LLM coder's frozen prompt, the version its model file's hash "
    "or the model the server reported."
)


def model_run_rows(project: Any) -> list[list[str]]:
    """The project's model runs as rows of :data:`MODEL_RUN_HEAD`, oldest first.

    Parameters
    ----------
    project : workbench.Project

    Returns
    -------
    list of list of str
        Empty when there are no runs, or when the project is open for a coder (the runs
        are the supervisors').

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "r.db"))
    >>> model = project.add_coder("llm:llama3@5e1f", kind="model")
    >>> _ = project.save_model_run({"run_id": "r1", "coder": model, "kind": "llm", "model": "llama3",
    ...     "version": "llama3:8b", "prompt_hash": "5e1f", "seed": 1, "temperature": 0.0, "units": ["u1"],
    ...     "coded": ["u1"], "status": "finished", "started_at": "2026-11-30T10:00:00+00:00",
    ...     "finished_at": "2026-11-30T10:01:00+00:00"})
    >>> model_run_rows(project)
    [['llm:llama3@5e1f', 'llama3', 'llama3:8b', '5e1f', '1', '0', '', '1', '1', '0', '0', '2026-11-30 10:00', '2026-11-30 10:01', 'finished']]
    >>> project.close()
    """
    try:
        runs = project.model_runs()
    except AccessError:
        return []

    def text(value: Any) -> str:
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)

    def when(value: Any) -> str:
        return "" if pd.isna(value) else value.strftime("%Y-%m-%d %H:%M")

    def number(value: Any) -> str:
        return "" if pd.isna(value) else f"{value:g}"

    return [
        [text(r["coder"]), text(r["model"]), text(r["version"]), text(r["prompt_hash"]), text(r["seed"]),
         number(r["temperature"]), text(r["round"]), str(r["n_units"]), str(r["n_coded"]), str(r["n_no_code"]),
         str(r["n_failed"]), when(r["started_at"]), when(r["finished_at"]), text(r["status"])]
        for r in runs.to_dict("records")
    ]


def _title(name: str | None) -> str:
    return f"Inter-rater reliability: {name}" if name else "Inter-rater reliability"


def markdown(name, paragraph, table, trend, f, codebook, include_text, adjudicated) -> str:
    """The report as Markdown (the trend chart's place marked by :data:`CHART_SLOT`)."""
    lines = [f"# {escape.markdown(_title(name))}", "", "## Methods", "", escape.markdown(paragraph), "", "## Agreement by code", ""]
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
        lines += ["## Agreement across rounds", "", CHART_SLOT.rstrip("\n"), ""]
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
    if f.get("model_runs"):
        lines += ["## Model coders", ""] + _md_table(MODEL_RUN_HEAD, f["model_runs"]) + ["", _MODEL_NOTE, ""]
    if include_text and adjudicated is not None and len(adjudicated):
        lines += ["## Disagreements and decisions", ""]
        for r in adjudicated.to_dict("records"):
            lines += [
                f"- **{escape.markdown(r['unit_id'])}**: {escape.markdown(r['text'])}",
                f"  - codes: {escape.markdown(r['codes_by_coder'])}",
                f"  - decision: {escape.markdown(r['decision'] if r['decision'] is not None else 'not adjudicated')}"
                + (f" ({escape.markdown(r['reason'])})" if r["reason"] else ""),
            ]
            if r["proposal"]:
                lines.append(f"  - proposal: {escape.markdown(r['proposal'])}")
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
    out = ["<table>", "<thead><tr>" + "".join(f'<th scope="col">{escape.html(h)}</th>' for h in head) + "</tr></thead>", "<tbody>"]
    for r in rows:
        cells = [
            (f'<th scope="row">{escape.html(c)}</th>' if i == 0 else f'<td class="num">{escape.html(c)}</td>' if i in numeric else f"<td>{escape.html(c)}</td>")
            for i, c in enumerate(r)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def html_page(name, paragraph, table, trend, f, codebook, include_text, adjudicated, svg, spec) -> str:
    """The report as one self-contained HTML page (every text escaped; the chart as inline SVG)."""
    lo, hi = (format_coefficient(x, 3) for x in THRESHOLDS)
    title = _title(name)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape.html(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{escape.html(title)}</h1>",
        '<section id="methods"><h2>Methods</h2>',
        f'<p class="methods">{escape.html(paragraph)}</p></section>',
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
                         f"per round with 95% intervals; dashed lines at {lo} and {hi}.</figcaption></figure>")
        elif spec is not None:
            parts.append('<p class="note">(The chart was not rendered: install vl-convert-python.)</p>')
        if spec is not None:
            parts.append(f'<script type="application/json" id="wb-trend-spec">{escape.json_for_script(spec)}</script>')
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
    if f.get("model_runs"):
        parts += ['<section id="model-runs"><h2>Model coders</h2>',
                  _html_table(MODEL_RUN_HEAD, f["model_runs"], {4, 5, 7, 8, 9, 10}),
                  f'<p class="note">{escape.html(_MODEL_NOTE)}</p></section>']
    if include_text and adjudicated is not None and len(adjudicated):
        parts.append('<section id="decisions"><h2>Disagreements and decisions</h2><dl>')
        for r in adjudicated.to_dict("records"):
            decision = r["decision"] if r["decision"] is not None else "not adjudicated"
            parts.append(
                f"<dt><code>{escape.html(r['unit_id'])}</code></dt><dd><blockquote>{escape.html(r['text'])}</blockquote>"
                f"<p>Codes: {escape.html(r['codes_by_coder'])}</p><p>Decision: {escape.html(decision)}"
                + (f" ({escape.html(r['reason'])})" if r["reason"] else "")
                + "</p>"
                + (f"<p>Proposal: {escape.html(r['proposal'])}</p>" if r["proposal"] else "")
                + "</dd>"
            )
        parts.append("</dl></section>")
    if codebook is not None:
        parts.append(f'<section id="codebook"><h2>Appendix: the codebook (version {escape.html(f["codebook_version"])})</h2>')
        if codebook.description:
            parts.append(f"<p>{escape.html(codebook.description)}</p>")
        if codebook.groups:
            parts.append("<ul>")
            for g in codebook.groups:
                kind = "exclusive: one code per unit" if g.exclusive else "multi-label: any number per unit"
                desc = f": {escape.html(g.description)}" if g.description else ""
                parts.append(f"<li><strong>{escape.html(g.label or g.name)}</strong> ({kind}){desc}</li>")
            parts.append("</ul>")
        parts.append(codebook.to_html(examples=include_text))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
