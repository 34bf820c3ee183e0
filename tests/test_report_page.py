"""The published page (workbench/report/page.py): the vendored JavaScript, charts compiled to
Vega and drawn offline, outputs that would load JavaScript from the internet refused.
"""

from __future__ import annotations

import hashlib
import json

import nbformat
import pytest

from workbench.report import page
from workbench.report.errors import PublishError


def test_vendored_files_are_the_ones_the_readme_names():
    readme = (page.STATIC / "README.md").read_text(encoding="utf-8")
    for role, name in page.VENDORED.items():
        path = page.STATIC / name
        assert path.exists(), f"{name} ({role}) is missing from {page.STATIC}"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"`{name}`" in readme and digest in readme, f"README.md does not list {name} with sha256 {digest}"
        code = path.read_text(encoding="utf-8").lower()
        # inlined as <script> text: these would end the element early or change how it parses
        assert "</script" not in code and "<!--" not in code
    for licence in ("LICENSE-requirejs.txt", "LICENSE-html-manager.txt", "LICENSE-anywidget.txt"):
        assert "Permission" in (page.STATIC / licence).read_text() or "Redistribution" in (page.STATIC / licence).read_text()
    assert "@jupyter-widgets/html-manager" in readme and "1.0.15" in readme



def test_anywidget_bundle_is_defined_as_a_named_amd_module():
    wrapped = page._ANYWIDGET_WRAP % page._vendored("anywidget")
    assert wrapped.rstrip().endswith('window.define("anywidget", deps, factory); });')
    assert 'define(["@jupyter-widgets/base"]' in wrapped  # the bundle's own define, now shadowed




def _cell(output: dict) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("chart")
    cell.outputs = [nbformat.from_dict(output)]
    return cell


def test_vega_lite_outputs_become_inline_vega_and_the_page_bundles_vega_once(tmp_path):
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.20.1.json",
        "data": {"values": [{"a": "</script><script>alert(1)</script>", "n": 1}]},
        "mark": "bar",
        "encoding": {"x": {"field": "n", "type": "quantitative"}, "y": {"field": "a", "type": "nominal"}},
    }
    out = {"output_type": "display_data", "metadata": {}, "data": {"application/vnd.vegalite.v5+json": spec, "text/plain": "x"}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("intro"), _cell(out)])
    assert page.offline_charts(nb, tmp_path / "n.ipynb") == 1
    html = nb.cells[1].outputs[0]["data"]["text/html"]
    assert list(nb.cells[1].outputs[0]["data"]) == ["text/html"]
    script = html.split('<script type="application/vnd.wb.vega+json">')[1].split("</script>")[0]
    assert "</script" not in script.lower()  # the data cannot end the element
    vega = json.loads(script)
    assert "/schema/vega/v" in vega["$schema"]
    body = page.export_page(nb, title="t", charts=True)
    assert body.count('data-wb-vendor="vega"') == 1 and 'data-wb-vendor="requirejs"' not in body


def test_a_chart_the_compiler_refuses_names_its_cell(tmp_path):
    bad = {"$schema": "https://vega.github.io/schema/vega-lite/v5.20.1.json", "mark": "no-such-mark"}
    out = {"output_type": "display_data", "metadata": {}, "data": {"application/vnd.vegalite.v5+json": bad}}
    nb = nbformat.v4.new_notebook(cells=[_cell(out)])
    with pytest.raises(PublishError, match="cell 1: a Vega-Lite chart could not be compiled"):
        page.offline_charts(nb, tmp_path / "n.ipynb")


def test_loads_from_internet_finds_script_sources_and_cdn_loaders():
    assert page.loads_from_internet('<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>') == "https://cdn.jsdelivr.net/npm/vega@5"
    assert page.loads_from_internet("<script>require.config({paths: {v: '//unpkg.com/vega'}})</script>").startswith("//unpkg.com/vega")
    assert page.loads_from_internet("<p>see https://cdn.jsdelivr.net/ in the text</p>") is None
    assert page.loads_from_internet("<script>var x = 1;</script>") is None
