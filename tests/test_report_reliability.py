"""The reliability report (workbench/report/reliability.py) on the scripted scenario of issue 9."""

from __future__ import annotations

import html
import re

import pytest
from pandas.testing import assert_frame_equal

import workbench as wb
from test_rounds import build_scenario  # the three-round scenario (tests/test_rounds.py)
from workbench.report.reliability import ReliabilityReport, format_ci, format_coefficient, reliability

N_BOOT = 200


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    project = wb.open_project(tmp_path_factory.mktemp("report") / "project.db")
    info = build_scenario(project)
    yield project, info
    project.close()


@pytest.fixture(scope="module")
def report(scenario) -> ReliabilityReport:
    project, _ = scenario
    return reliability(project, "round 3", n_boot=N_BOOT, seed=0)


def _text_of(html_page: str) -> str:
    """The visible text of the page, unescaped (for reading numbers)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", html_page))


# --- the figures equal Project.agreement's --------------------------------------------------
def test_table_is_project_agreement(scenario, report):
    project, _ = scenario
    assert_frame_equal(report.table, project.agreement("round 3", n_boot=N_BOOT, seed=0))


def test_paragraph_figures_come_from_agreement_and_the_round(scenario, report):
    project, _ = scenario
    table = project.agreement("round 3", n_boot=N_BOOT, seed=0)
    overall = table.iloc[0]
    assert overall["code"] == "(overall)"
    f = report.figures
    assert (f["alpha"], f["ci_low"], f["ci_high"]) == (overall["value"], overall["ci_low"], overall["ci_high"])
    assert f["n_pairable"] == overall["n_pairable"]
    alpha_text = f"α = {format_coefficient(overall['value'])} ({format_ci(overall['ci_low'], overall['ci_high'])};"
    assert alpha_text in report.paragraph
    info = project.round_info("round 3")
    assert (f["n_units"], f["n_codable"], f["codebook_version"], f["seed"]) == (14, 56, 2, 13)
    assert report.paragraph.startswith(
        "Two coders independently coded 14 of 56 codable units (25%; drawn at random, stratified by thread, "
        f"from the {info['n_population']} units not coded in earlier rounds; seed 13) using version 2 of the codebook"
    )
    stance = table[table["code"] == "group:stance"].iloc[0]
    assert f"nominal α = {format_coefficient(stance['value'])} ({format_ci(stance['ci_low'], stance['ci_high'])})" in report.paragraph
    codes = table[~table["code"].str.startswith(("(", "group:"))]
    lo, hi = codes["value"].min(), codes["value"].max()
    assert f"ranged from {format_coefficient(lo)}" in report.paragraph
    assert f"to {format_coefficient(hi)}" in report.paragraph
    # the same numbers reach both documents
    for doc in (_text_of(report.html), report.markdown):
        assert format_ci(overall["ci_low"], overall["ci_high"]).replace("95% CI ", "") in doc
    for row in table.to_dict("records"):
        assert f"| {format_coefficient(row['value'])} |" in report.markdown


def test_adjudication_and_history_in_the_paragraph(scenario, report):
    project, sc = scenario
    n = len(sc["disagreements"]["round 3"])
    assert report.figures["n_disagreements"] == n == report.figures["n_adjudicated"]
    assert "A supervisor adjudicated" in report.paragraph and "gold standard" in report.paragraph
    first = project.agreement("round 1", n_boot=N_BOOT, seed=0)["value"].iloc[0]
    assert f"overall α moved from {format_coefficient(first)} in the first round" in report.paragraph
    assert "This was the third of three coding rounds" in report.paragraph
    assert "version 1 to 2" in report.paragraph


def test_trend_equals_each_rounds_agreement(scenario, report):
    project, sc = scenario
    overall = report.trend[report.trend["code"] == "(overall)"]
    assert list(overall["round"]) == sc["rounds"]
    for r, value in zip(overall["round"], overall["value"]):
        assert value == project.agreement(r, n_boot=N_BOOT, seed=0)["value"].iloc[0]
    spec = report.chart.to_dict()
    rows = spec["datasets"][spec["layer"][-1]["data"]["name"]]
    got = {(row["round"], row["code"]): row["value"] for row in rows}
    for r, value in zip(overall["round"], overall["value"]):
        assert got[(r, "overall")] == pytest.approx(value, abs=1e-4)
    # an earlier round's report only looks back
    early = reliability(project, "round 1", n_boot=N_BOOT)
    assert list(early.trend["round"].unique()) == ["round 1"]


def test_html_is_self_contained(report):
    page = report.html
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<svg" in page and report.svg and report.svg.startswith("<svg")
    assert not re.search(r"<script(?![^>]*application/json)", page)  # no executable script
    assert "src=" not in page and "cdn" not in page.lower()
    assert "Appendix: the codebook (version 2)" in page and 'data-code="signposting"' in page


# --- privacy and escaping -------------------------------------------------------------------
def test_no_thread_text_or_author_names_by_default(scenario, report):
    project, _ = scenario
    units = project.units()
    # The appendix prints the codebook as its authors wrote it, without anchor examples and
    # near misses; a rule that quotes a post ("do not apply to 'Thank you for your comment -
    # though ...'") is the authors' text, so probes found in those fields are not leaks.
    cb = project.codebook(2)
    authored = " ".join(" ".join(f"{c.definition} {c.include} {c.exclude}".split()) for c in cb.codes)
    docs = {"html": report.html, "markdown": report.markdown, "svg": report.svg}
    for name, doc in docs.items():
        for text in units["text"]:
            probe = " ".join(text.split())[:40]
            if len(probe) >= 30 and probe not in authored:
                assert probe not in doc and html.escape(probe) not in doc, (name, probe)
        for author in set(units["author"]):
            if len(author) >= 4:
                assert author not in doc, (name, author)
        for uid in units["unit_id"]:
            assert uid not in doc, (name, uid)
        for tid in set(units["thread_id"]):
            assert tid not in doc, (name, tid)
        assert "alice" not in doc and "bob" not in doc  # nor coder names


def test_include_text_adds_units_and_anchor_examples(scenario):
    project, sc = scenario
    rep = reliability(project, "round 1", n_boot=50, include_text=True)
    unit = sc["disagreements"]["round 1"][0]
    text = " ".join(project.unit(unit)["text"].split())[:30]
    assert html.escape(text, quote=True) in rep.html
    assert unit.replace("_", "\\_") in rep.markdown  # Markdown-escaped
    assert "follows the codebook definition" in rep.markdown  # the reasons
    cb = project.codebook(1)
    example = next(e for c in cb.codes for e in c.examples)
    assert html.escape(example.text[:20], quote=True) in rep.html
    # the author column is never printed; names appear only as far as the text, the unit ids
    # and the codebook's anchor examples hold them (as stored: pseudonymise before publishing)
    units = project.units()
    shown = " ".join(units["text"]) + " ".join(units["unit_id"]) + cb.to_markdown()
    authors = [a for a in set(units["author"]) if len(a) >= 4 and a not in shown]
    assert len(authors) > 10
    assert not any(a in rep.markdown or a in rep.html for a in authors)
    assert "nan" not in rep.markdown.split()
    assert "alice" not in rep.markdown and "coder 1:" in rep.markdown  # coders stay anonymous


def test_everything_reaching_html_is_escaped(any_project, demo_units):
    p = any_project
    p.add_units(demo_units)
    evil = "<script>alert(1)</script>"
    cb = wb.Codebook.from_dict({
        "name": "evil", "title": f"Title {evil}", "description": f"Desc {evil}",
        "codes": [
            {"name": "a", "label": f"A {evil}", "definition": f"Def {evil}"},
            {"name": "b", "label": "B", "definition": "x"},
        ],
    })
    p.add_codebook(cb, note=evil)
    p.add_coder("<b>ann</b>")
    p.add_coder("ben")
    name = f"round {evil}"
    p.new_round(name, coders=["<b>ann</b>", "ben"], seed=1)
    for i, u in enumerate(p.round_units(name)):
        p.code(u, "a" if i % 2 else "b", coder="<b>ann</b>", round=name)
        p.code(u, "a" if i % 3 else "b", coder="ben", round=name)
    for u in p.round_disagreements(name)["unit_id"]:
        p.adjudicate(u, ["a"], round=name, decided_by=evil, reason=evil, proposal=evil)
    for include_text in (False, True):
        rep = reliability(p, name, n_boot=50, include_text=include_text)
        assert "<script>" not in rep.html and "<b>" not in rep.html
        assert "&lt;script&gt;" in rep.html
        assert "<script>" not in rep.markdown and "<b>ann" not in rep.markdown
        assert "<script>" not in (rep.svg or "")


# --- files ----------------------------------------------------------------------------------
def test_writes_html_markdown_and_svg(scenario, tmp_path):
    project, _ = scenario
    rep = reliability(project, "round 2", path=f"{tmp_path / 'out'}/", n_boot=50)
    names = sorted(p.name for p in rep.paths)
    assert names == ["reliability-round-2-trend.svg", "reliability-round-2.html", "reliability-round-2.md"]
    md = (tmp_path / "out" / "reliability-round-2.md").read_text(encoding="utf-8")
    assert "![Agreement across rounds](reliability-round-2-trend.svg)" in md
    assert (tmp_path / "out" / "reliability-round-2.html").read_text(encoding="utf-8") == rep.html
    stem = reliability(project, "round 2", path=tmp_path / "paper" / "appendix.html", n_boot=50)
    assert sorted(p.name for p in stem.paths) == ["appendix-trend.svg", "appendix.html", "appendix.md"]
    assert reliability(project, "round 2", n_boot=50).paths == ()


def test_round_none_reports_the_newest_round(scenario):
    project, _ = scenario
    assert reliability(project, n_boot=50).round == "round 3"


def test_project_without_rounds(project, demo_units, demo_codebook):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    for c in ("ann", "ben"):
        project.add_coder(c)
    for u in ("t1:1", "t1:2", "t1:4", "t2:1"):
        project.code(u, "defensive", coder="ann")
        project.code(u, "defensive" if u != "t1:4" else "validating", coder="ben")
    rep = reliability(project, n_boot=50)
    assert rep.round is None and rep.trend.empty
    assert rep.paragraph.startswith("Two coders independently coded four of seven codable units (57%)")
    assert "Adjudication" not in rep.markdown


def test_overlap_is_described(project, demo_units, demo_codebook):
    project.add_units(demo_units)
    project.add_codebook(demo_codebook)
    for c in ("ann", "ben", "cat"):
        project.add_coder(c)
    project.new_round("r", sample=6, coders=["ann", "ben", "cat"], overlap=0.5, seed=3)
    rep = reliability(project, "r", n_boot=20)
    assert "Three coders independently coded six of seven codable units (86%; a simple random sample, seed 3)" in rep.paragraph
    assert "Of these, three (50%) were coded by all three coders and the other three by one coder each." in rep.paragraph
    assert "could not be computed" in rep.paragraph  # nothing coded yet


def test_bad_arguments(scenario):
    project, _ = scenario
    with pytest.raises(wb.UnknownRoundError, match="'nope' does not exist"):
        reliability(project, "nope")
    with pytest.raises(TypeError, match="include_text"):
        reliability(project, "round 1", include_text="yes")
