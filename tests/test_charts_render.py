"""Charts drawn offline by vl-convert (workbench/charts/render.py): PNG that is not blank,
SVG, HTML and JSON files, Vega for published pages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest

import workbench as wb
from _charts_data import (
    CODEBOOK,
    all_charts,
    artifacts,
    example_codings,
    example_matrix,
    example_units,
    png_pixels,
)
from workbench import charts


@pytest.fixture
def units() -> pd.DataFrame:
    return example_units()


@pytest.fixture
def codings() -> pd.DataFrame:
    return example_codings()


def test_every_chart_renders_a_png_that_is_not_blank(codings, units, tmp_path):
    folder = artifacts(tmp_path)
    for name, chart in all_charts(codings, units).items():
        path = charts.save(chart, folder / f"{name}.png", scale=1.0)
        width, height, pixels = png_pixels(path.read_bytes())
        assert width > 100 and height > 80, name
        rgb = pixels[..., :3].reshape(-1, 3)
        colours = np.unique(rgb, axis=0)
        assert len(colours) > 10, f"{name}: only {len(colours)} colours"
        background = np.bincount(np.ravel_multi_index(rgb.T, (256, 256, 256))).argmax()
        ink = (np.ravel_multi_index(rgb.T, (256, 256, 256)) != background).mean()
        assert ink > 0.01, f"{name}: {ink:.1%} of the pixels differ from the background"


def test_png_decoder_sees_a_blank_image_as_blank(tmp_path):
    blank = alt.Chart(pd.DataFrame({"x": []})).mark_point().encode(x="x:Q").properties(width=120, height=120)
    blank = blank.configure_axis(disable=True).configure_view(strokeWidth=0)
    path = charts.save(blank, tmp_path / "blank.png", scale=1.0)
    _, _, pixels = png_pixels(path.read_bytes())
    assert len(np.unique(pixels[..., :3].reshape(-1, 3), axis=0)) == 1


def test_save_svg_html_json_offline(codings, units, tmp_path):
    chart = charts.thread_tree(codings, units, "wp", codebook=CODEBOOK)
    svg = charts.save(chart, tmp_path / "tree.svg").read_text()
    assert svg.startswith("<svg") and "Ward Nurse Blog" in svg
    assert "<script" not in svg
    html_text = charts.save(chart, tmp_path / "tree.html").read_text()
    assert "<script>alert" not in html_text and "\\u003cscript\\u003ealert" in html_text  # escape.json_for_script
    assert "cdn.jsdelivr" not in html_text  # bundled, opens offline
    spec = json.loads(charts.save(chart, tmp_path / "tree.json").read_text())
    assert spec["layer"][1]["mark"]["type"] == "circle"
    with pytest.raises(ValueError, match=r"suffix='.gif'.*'.png', '.svg'"):
        charts.save(chart, tmp_path / "tree.gif")
    with pytest.raises(TypeError, match="Altair chart"):
        charts.save({"mark": "bar"}, tmp_path / "x.png")


def test_every_chart_of_the_example_threads_renders_a_png_that_is_not_blank(tmp_path):
    """The charts of the real example data (seeds 000-002 as stored by a project, two
    coders, agreement from Project.agreement), rendered to PNG as CI's artifacts."""
    import random


    root = Path(__file__).resolve().parent.parent
    project = wb.open_project(tmp_path / "examples.db")
    try:
        for path in sorted((root / "data" / "examples").glob("*.txt")):
            project.add_units(wb.load_threads(path))
        codebook = wb.Codebook.from_yaml(root / "codebooks" / "response-types.yaml")
        project.add_codebook(codebook)
        stance = [c.name for c in codebook.codes if c.group == "stance"]
        moves = [c.name for c in codebook.codes if c.group == "moves"]
        rng = random.Random(3)
        for coder in ("alice", "bob"):
            project.add_coder(coder)
            for i, unit in enumerate(project.queue(coder)):
                codes = [stance[i % len(stance)] if rng.random() > 0.2 else rng.choice(stance)]
                if rng.random() < 0.4:
                    codes.append(moves[(i // 2) % len(moves)])
                project.code(unit, codes, coder=coder)
        codings, units = project.codings(), project.units()
        report = project.agreement(n_boot=200)
        table = codings.groupby(["unit_id", "coder"])["code"].agg(lambda s: sorted(s)[0]).unstack()
        matrix = wb.agreement.coincidence_matrix(table)
    finally:
        project.close()
    assert len(units) == 56 and codings["coder"].nunique() == 2
    thread = units["thread_id"].value_counts().idxmax()  # the WordPress comment section
    figures = {
        "code_frequencies": charts.code_frequencies(codings, codebook=codebook),
        "code_frequencies_by_thread": charts.code_frequencies(codings, units, by="thread", codebook=codebook),
        "cooccurrence": charts.cooccurrence(codings, codebook=codebook),
        "reply_transitions": charts.reply_transitions(codings, units, codebook=codebook),
        "reply_flow": charts.reply_flow(codings, units, codebook=codebook),
        "codes_by_depth": charts.codes_by_depth(codings, units, codebook=codebook),
        "codes_over_time": charts.codes_over_time(codings, units, codebook=codebook),
        "thread_tree": charts.thread_tree(codings, units, thread, codebook=codebook),
        "coder_code_rates": charts.coder_code_rates(codings, codebook=codebook),
        "agreement_by_code": charts.agreement_by_code(report),
        "agreement_trend": charts.agreement_trend({"pilot": report, "round 2": report}),
        "coincidence_heatmap": charts.coincidence_heatmap(matrix),
    }
    folder = artifacts(tmp_path) / "examples"
    folder.mkdir(parents=True, exist_ok=True)
    for name, chart in figures.items():
        path = charts.save(chart, folder / f"{name}.png", scale=1.0)
        width, height, pixels = png_pixels(path.read_bytes())
        rgb = np.ravel_multi_index(pixels[..., :3].reshape(-1, 3).T, (256, 256, 256))
        assert width > 100 and height > 80, name
        assert len(np.unique(rgb)) > 10, f"{name}: nearly one colour"
        assert (rgb != np.bincount(rgb).argmax()).mean() > 0.01, f"{name}: blank"


def test_the_vega_lite_version_follows_the_spec():
    import vl_convert

    from workbench.charts import render

    fives = sorted((v for v in vl_convert.get_vegalite_versions() if v.startswith("5.")), key=lambda v: int(v[2:]))
    own = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]
    assert own in vl_convert.get_vegalite_versions()  # else the charts compile with an older minor
    assert render.vl_version(charts.code_frequencies(example_codings()).to_dict()) == own
    assert render.vl_version({"$schema": "https://vega.github.io/schema/vega-lite/v5.20.1.json"}) == "5.20"
    # a minor version vl-convert lacks: the newest one of the same major that is not newer
    assert render.vl_version({"$schema": "https://vega.github.io/schema/vega-lite/v5.19.0.json"}) == max(
        (v for v in fives if int(v[2:]) <= 19), key=lambda v: int(v[2:])
    )
    assert render.vl_version({"mark": "bar"}, major=5) == fives[-1]  # no $schema: the newest of the major
    assert render.vl_version({"$schema": "https://vega.github.io/schema/vega-lite/v2.0.0.json"}) is None


def test_svg_and_vega_for_the_dashboard_report_and_published_pages():
    from workbench.charts import render

    chart = charts.coincidence_heatmap(example_matrix(), title="<script>")
    svg = render.to_svg(chart)
    assert svg.startswith("<svg") and "<script" not in svg and "validating" in svg
    same = re.compile(r"gradient_\d+")  # ids that count up with each drawing
    assert same.sub("", render.to_svg(chart.to_dict())) == same.sub("", svg)  # a chart or its spec
    vega = render.to_vega(chart)
    assert "/schema/vega/v" in vega["$schema"] and vega["marks"]
    with pytest.raises(ValueError):
        render.to_vega({"mark": "no-such-mark", "$schema": "https://vega.github.io/schema/vega-lite/v5.20.1.json"})
    with pytest.raises(TypeError, match="Altair chart"):
        render.to_svg("<svg>")
    bundle = render.vega_bundle("window.wbTest = typeof vegaEmbed;")
    assert "wbTest" in bundle and len(bundle) > 100_000


@pytest.mark.browser
def test_hostile_names_show_literally_in_labels_and_tooltips_in_chromium(tmp_path):
    from _browser import artifacts_on_failure, chromium

    name = "<img src=x onerror=alert(1)>"
    codings = pd.DataFrame({"unit_id": ["a", "b", "c"], "coder": ["al"] * 3, "code": [name, name, "x & y"]})
    path = charts.save(charts.code_frequencies(codings), tmp_path / "codes.html")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 900, "height": 600})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        with artifacts_on_failure(page, "charts-hostile-names"):
            page.goto(path.as_uri())
            page.wait_for_selector("#vega-chart svg .mark-rect path", timeout=30_000)
            labels = page.locator("#vega-chart svg.marks").text_content()
            page.locator("#vega-chart svg .mark-rect path").first.hover()
            page.wait_for_selector("#vg-tooltip-element.visible", timeout=10_000)
            tooltip = page.locator("#vg-tooltip-element").inner_text()
            images = page.locator("img").count()
    assert name in labels and "x & y" in labels  # once escaped: shown as typed
    assert "&lt;" not in labels and "&amp;" not in labels
    assert name in tooltip and "&lt;" not in tooltip and "&amp;" not in tooltip
    assert images == 0 and dialogs == []
