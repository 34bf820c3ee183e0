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


# --- JSON inside <script>: nothing in the data can end or comment out the element ---------
#: What breaks a <script> element: its end tag, the comment-and-script pair that makes the
#: HTML tokenizer skip the real end tag, and the line separator older JavaScript refuses.
HOSTILE = "<!--<script> x </script> y \u2028 z & </SCRIPT >"


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory):
    """A notebook whose widgets hold a post and a code definition with HOSTILE, published."""
    from workbench.report.publish import publish

    folder = tmp_path_factory.mktemp("hostile-page")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(
        "import workbench as wb\nfrom workbench.corpus import make_units\nfrom workbench.widgets import CodingPanel\n"
        f"HOSTILE = {HOSTILE!r}\n"
        "project = wb.open_project('project.db')\n"
        "project.add_units(make_units([{'unit_id': 'u1', 'thread_id': 't1', 'text': 'A post ' + HOSTILE}]))\n"
        "project.add_codebook(wb.Codebook.from_dict({'name': 'cb', 'codes': [\n"
        "    {'name': 'thanks', 'label': 'Thanks', 'definition': 'Thanks ' + HOSTILE}]}))\n"
        "project.add_coder('alice')\n"
        "CodingPanel(project, coder='alice')"
    )]
    source = folder / "hostile.ipynb"
    nbformat.write(nb, source)
    return publish(source, key=tmp_path_factory.mktemp("keys") / "study.key.json", timeout=300)


@pytest.mark.slow
def test_json_in_script_elements_cannot_end_or_comment_out_the_element(hostile_page):
    import lxml.html

    text = hostile_page.read_text(encoding="utf-8")
    doc = lxml.html.fromstring(text)  # libxml2 >= 2.14 tokenizes scripts as HTML5 does
    scripts = [s for s in doc.iter("script") if "json" in (s.get("type") or "")]
    types = {s.get("type") for s in scripts}
    assert "application/vnd.jupyter.widget-state+json" in types
    assert "application/vnd.jupyter.widget-view+json" in types
    found = []
    for script in scripts:
        body = script.text or ""
        assert "<" not in body and "\u2028" not in body, f"raw markup in a {script.get('type')} script"
        found += _strings(json.loads(body))  # each element holds exactly its JSON
    # the strings come back exactly: the post's text and the code's definition
    assert any(s.endswith("A post " + HOSTILE) for s in found)
    assert any(s == "Thanks " + HOSTILE or s.endswith("Thanks " + HOSTILE) for s in found)
    # nothing after the widget state was swallowed: the page's scripts and body end where they should
    assert doc.xpath("//script[@data-wb-vendor='html-manager']")


@pytest.mark.browser
@pytest.mark.slow
def test_a_page_whose_data_holds_script_tags_shows_its_widgets(hostile_page):
    from _browser import artifacts_on_failure, chromium

    with chromium() as browser:
        page_ = browser.new_page(viewport={"width": 1100, "height": 900})
        errors: list[str] = []
        page_.on("pageerror", lambda e: errors.append(str(e)))
        with artifacts_on_failure(page_, "report-page-hostile-json"):
            page_.goto(hostile_page.as_uri())
            page_.wait_for_selector(".widget-subarea .wb-panel", timeout=30_000)
            shown = page_.locator(".widget-subarea .wb-panel").first.inner_text()
            scripts = page_.locator(".widget-subarea .wb-panel script").count()
        assert "<!--<script> x </script> y" in shown  # the post, as text
        assert scripts == 0  # the post's markup made no element
        assert errors == [], errors
