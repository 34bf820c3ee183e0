"""Publishing notebooks as standalone, offline, pseudonymised HTML (workbench/report/publish.py).

Fast tests work on saved notebooks (``execute=False``); the others run a notebook in a
kernel; the browser test opens the page in Chromium with the network blocked.
"""

from __future__ import annotations

import importlib
import json
import re
import time
from pathlib import Path

import nbformat
import pytest

import workbench as wb
from workbench.ingest import load_threads
from workbench.report.publish import PublishError, find_leaks, publish
from workbench.report.terms import guard_view

# the module itself (``workbench.report.publish`` may also name the function once exported)
pub = importlib.import_module("workbench.report.publish")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
CODEBOOK = ROOT / "codebooks" / "response-types.yaml"
SCRIPT_SRC_HTTP = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)


def _authors(*files: Path) -> list[str]:
    """Every author of the example threads, as the ingester reads them."""
    names = set()
    for f in files:
        names.update(a for a in load_threads(f)["author"] if isinstance(a, str) and a.strip())
    return sorted(names)


def _notebook(path: Path, cells: list[str], outputs: dict[int, list] | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = []
    for i, src in enumerate(cells):
        if src.startswith("#md "):
            nb.cells.append(nbformat.v4.new_markdown_cell(src[4:]))
        else:
            cell = nbformat.v4.new_code_cell(src)
            cell.outputs = [nbformat.from_dict(o) for o in (outputs or {}).get(i, [])]
            nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def _outside_vendored(page: str) -> str:
    return guard_view(page)


# --- publishing saved notebooks (no kernel) -------------------------------------------------
def _vegalite_output(authors: list[str]) -> dict:
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.20.1.json",
        "data": {"values": [{"author": a, "n": i + 1} for i, a in enumerate(authors)]},
        "mark": {"type": "bar"},
        "encoding": {"x": {"field": "n", "type": "quantitative"}, "y": {"field": "author", "type": "nominal"}},
    }
    return {"output_type": "display_data", "metadata": {}, "data": {"application/vnd.vegalite.v5+json": spec, "text/plain": "<Chart>"}}


def test_publish_saved_notebook_pseudonymises_and_inlines_the_chart(tmp_path):
    wp = EXAMPLES / "wordpress_not_all_like_that.txt"
    authors = _authors(wp)
    source = _notebook(
        tmp_path / "saved.ipynb",
        ["#md Thanks to drtonyryan and @Sectioned_ (https://sectioneduk.wordpress.com/2013/08/16/but-were-not-all-like-that/)", "chart"],
        {1: [_vegalite_output(authors[:6])]},
    )
    before = source.read_bytes()
    key_file = tmp_path / "keys" / "study.key.json"
    out = publish(source, tmp_path / "out" / "report.html", execute=False, units=wp, key=key_file)
    assert out == tmp_path / "out" / "report.html" and source.read_bytes() == before
    page = out.read_text(encoding="utf-8")
    for name in authors:
        assert name not in page, f"author {name!r} is in the published page"
    assert "sectioneduk.wordpress.com" not in page and "[URL]" in page
    key = wb.PseudonymKey.load(key_file)  # created, and it holds everybody now
    assert key.lookup("drtonyryan") in page and key.lookup("Sectioned_") in page
    # the chart: compiled to Vega, drawn by one inline bundle; nothing from a CDN
    specs = re.findall(r'<script type="application/vnd.wb.vega\+json">(.*?)</script>', page, re.DOTALL)
    assert len(specs) == 1
    vega = json.loads(specs[0])
    assert "vega/v" in vega["$schema"] and "vega-lite" not in vega["$schema"]
    assert page.count('data-wb-vendor="vega"') == 1
    assert 'data-wb-vendor="html-manager"' not in page  # no widgets, no widget manager
    assert not SCRIPT_SRC_HTTP.search(page)
    assert "cdnjs.cloudflare.com" not in page  # neither MathJax nor Mermaid


def test_publish_without_execution_needs_to_know_the_data(tmp_path):
    source = _notebook(tmp_path / "a.ipynb", ["1 + 1"])
    with pytest.raises(PublishError, match="project= or units="):
        publish(source, execute=False)
    assert not (tmp_path / "a.html").exists()


def test_real_names_need_the_key(tmp_path):
    source = _notebook(tmp_path / "a.ipynb", ["1 + 1"])
    with pytest.raises(wb.PrivacyError, match="key"):
        publish(source, execute=False, pseudonymise=False)
    with pytest.raises(wb.PrivacyError, match="no pseudonym key at"):
        publish(source, execute=False, pseudonymise=False, key=tmp_path / "nowhere.json")
    key = wb.PseudonymKey()
    people = wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "kath", "text": "hi"}])
    named = _notebook(tmp_path / "b.ipynb", ["#md kath said hi"])
    page = publish(named, execute=False, pseudonymise=False, key=key, units=people).read_text()
    assert "kath said hi" in page


def test_bad_arguments_say_what_is_valid(tmp_path):
    with pytest.raises(ValueError, match=r"\.ipynb"):
        publish(tmp_path / "notes.md")
    with pytest.raises(FileNotFoundError):
        publish(tmp_path / "missing.ipynb")
    source = _notebook(tmp_path / "a.ipynb", ["1"])
    with pytest.raises(ValueError, match="html"):
        publish(source, tmp_path / "a.pdf", execute=False, units=[])
    with pytest.raises(TypeError, match="key"):
        publish(source, execute=False, units=[], key=42)


def test_an_output_that_loads_from_a_cdn_is_refused(tmp_path):
    html = '<div id="vis"></div><script src="https://cdn.jsdelivr.net/npm/vega@5"></script>'
    out = {"output_type": "display_data", "metadata": {}, "data": {"text/html": html, "text/plain": "x"}}
    source = _notebook(tmp_path / "cdn.ipynb", ["#md intro", "chart"], {1: [out]})
    with pytest.raises(PublishError, match=r"cell 2.*cdn\.jsdelivr\.net.*offline"):
        publish(source, execute=False, units=[])
    loader = "<script>const paths = {'vega': 'https://cdn.jsdelivr.net/npm/vega@6?noext'};</script>"
    out["data"]["text/html"] = "<div>vega</div>" + loader
    _notebook(tmp_path / "cdn.ipynb", ["chart"], {0: [out]})
    with pytest.raises(PublishError, match="alt.renderers.enable"):
        publish(source, execute=False, units=[])


def test_the_guard_refuses_to_write_a_page_with_raw_names(tmp_path, monkeypatch):
    people = wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "nurturemybaby", "text": "hello"}])
    source = _notebook(tmp_path / "leak.ipynb", ["#md intro", "#md quoting nurturemybaby here"])
    monkeypatch.setattr(pub, "pseudonymise_notebook", lambda nb, terms: None)  # a replacement that misses
    with pytest.raises(PublishError) as info:
        publish(source, execute=False, units=people, key=wb.PseudonymKey())
    assert "nurturemybaby" in str(info.value) and "cell 2" in str(info.value)
    assert not (tmp_path / "leak.html").exists()


def test_the_workbench_command_is_the_command_line(tmp_path, capsys):
    from workbench import cli

    source = _notebook(tmp_path / "cli.ipynb", ["#md kath wrote"])
    key_file = tmp_path / "k" / "key.json"
    wp = EXAMPLES / "wordpress_not_all_like_that.txt"
    assert cli.main(["report", str(source), "--no-execute", "--units", str(wp), "--key", str(key_file)]) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"wrote {tmp_path / 'cli.html'}" and "kath" not in (tmp_path / "cli.html").read_text()
    assert cli.main(["report", str(source), "--no-execute"]) == 2
    assert "--units" in capsys.readouterr().err
    assert cli.main(["report", str(source), "--no-execute", "--no-data", "-o", str(tmp_path / "empty.html")]) == 0
    assert (tmp_path / "empty.html").exists()
    assert not hasattr(pub, "main")  # one command line: ``workbench report``


def test_bad_input_on_the_command_line_is_a_usage_error_not_a_bug(tmp_path, capsys):
    from workbench import cli

    source = _notebook(tmp_path / "a.ipynb", ["#md intro"])
    assert cli.main(["report", str(source), "--no-execute", "--no-data", "-o", str(tmp_path / "a.pdf")]) == 2
    err = capsys.readouterr().err
    assert "output must be an .html file" in err and "Traceback" not in err and "a bug" not in err
    assert cli.main(["report", str(source), "--no-execute", "--no-data", "--timeout", "0"]) == 2
    assert "timeout must be a positive number" in capsys.readouterr().err
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "a.html").exists()


# --- publishing by running the notebook ------------------------------------------------------
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.txt"))


def _example_cells(folder: Path) -> list[str]:
    wp = EXAMPLES / "wordpress_not_all_like_that.txt"
    others = [str(p) for p in EXAMPLE_FILES if p != wp]
    return [
        "#md # Responses to a post about mental-health care",
        "import os\nimport altair as alt\nimport ipywidgets as W\nimport workbench as wb\nfrom workbench.ingest import load_threads",
        f"units = load_threads({str(wp)!r})\nunits[['author', 'text']].head(10)",
        "counts = units.groupby('author').size().reset_index(name='posts')\n"
        "alt.Chart(counts).mark_bar().encode(x='posts:Q', y=alt.Y('author:N', sort='-x'))",
        "W.IntSlider(value=7, description='Depth', layout=W.Layout(width='400px'))",
        # data that is never bound to a name: still known to publish (recorded while loading)
        f"for f in {others!r}:\n    print(sorted(set(load_threads(f)['author'])))",
        "print('publishing:', os.environ.get('WB_PUBLISH'))",
        f"project = wb.open_project('project.db')\nproject.add_units(units)\n"
        f"project.add_codebook(wb.Codebook.from_yaml({str(CODEBOOK)!r}))\nproject.add_coder('alice')\n"
        "from workbench.widgets import CodingPanel\nCodingPanel(project, coder='alice')",
        # the study's key is open to the notebook: export_view gives the same pseudonyms
        "key = wb.PseudonymKey.load(os.environ['WB_PSEUDONYM_KEY'])\n"
        "view = wb.privacy.export_view(project, key=key)\n"
        "print('export_view:', view.units.loc[view.units['author'].str.len() > 0, 'author'].iloc[0])",
    ]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The example notebook, published once: (notebook, page path, key file)."""
    folder = tmp_path_factory.mktemp("publish")
    source = _notebook(folder / "responses.ipynb", _example_cells(folder))
    key_file = tmp_path_factory.mktemp("keys") / "study.key.json"
    out = publish(source, key=key_file, timeout=300)
    return source, out, key_file


@pytest.mark.slow
def test_published_page_names_nobody_from_the_example_threads(published):
    source, out, key_file = published
    page = out.read_text(encoding="utf-8")
    authors = _authors(*EXAMPLE_FILES)
    assert len(authors) > 20
    leaked = [a for a in authors if a in page]
    assert leaked == [], f"raw author names in the published page: {leaked}"
    # also case-insensitively, as whole words, outside the vendored JavaScript
    assert find_leaks(page, authors) == []
    # URLs and e-mail addresses from the texts
    contact = set()
    for f in EXAMPLE_FILES:
        for text in load_threads(f)["text"]:
            contact.update(text[s:e] for s, e, kind, _ in wb.privacy.find_redactions(text, ("url", "email")))
    assert contact and [c for c in contact if c in page] == []
    # the people are there, pseudonymised with the study's key
    key = wb.PseudonymKey.load(key_file)
    assert key.lookup("Sectioned") in page and key.lookup("drtonyryan") in page
    assert len(key) >= len(authors) - 2  # everybody got a pseudonym (a few names are non-names)
    # the pseudonyms the notebook's own export_view gave are the page's pseudonyms
    shown = re.search(r"export_view: (\S+)", page).group(1)
    assert re.fullmatch(r"P\d{3}", shown) and shown in key.pseudonyms()
    units = load_threads(EXAMPLES / "wordpress_not_all_like_that.txt")
    first = units.loc[units["author"].str.len() > 0, "author"].iloc[0]
    assert key.lookup(first) == shown


@pytest.mark.slow
def test_published_page_is_standalone_and_ran_like_a_notebook(published):
    source, out, _ = published
    page = out.read_text(encoding="utf-8")
    assert not SCRIPT_SRC_HTTP.search(page)
    for vendor in ("requirejs", "anywidget", "html-manager", "vega"):
        assert page.count(f'data-wb-vendor="{vendor}"') == 1, vendor
    assert "publishing: 1" in page  # WB_PUBLISH was set in the kernel
    counts = [int(n) for n in re.findall(r"jp-InputPrompt[^>]*>In(?:\s|&nbsp;)\[(\d+)\]", page)]
    assert counts == list(range(1, len(counts) + 1)) and len(counts) == 8  # no trace of publish's own code
    assert "__wb_publish" not in _outside_vendored(page)
    state = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', page, re.DOTALL)
    models = json.loads(state.group(1))["state"]
    assert {m["model_name"] for m in models.values()} >= {"IntSliderModel", "AnyModel"}
    assert len(re.findall(r'<script type="application/vnd.wb.vega\+json">', page)) == 1
    nb = nbformat.read(source, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # the source is untouched


@pytest.mark.slow
def test_a_failing_cell_names_itself(tmp_path):
    source = _notebook(tmp_path / "bad.ipynb", ["#md intro", "x = 1", "raise RuntimeError('broken on purpose')"])
    with pytest.raises(PublishError, match=r"(?s)cell 3 failed.*broken on purpose") as info:
        publish(source, key=wb.PseudonymKey(), timeout=120)
    assert "\x1b[" not in str(info.value)
    assert not (tmp_path / "bad.html").exists()


# --- in a browser, offline ------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_published_page_renders_offline_in_chromium(published):
    from _browser import artifacts_on_failure, chromium, screenshot

    _, out, _ = published
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        outside: list[str] = []
        failed: list[str] = []
        errors: list[str] = []

        def only_local(route):
            if route.request.url.startswith(("file:", "data:", "blob:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        with artifacts_on_failure(page, "report-publish-offline"):
            page.goto(out.as_uri())
            # the chart: a Vega SVG with one bar per author
            page.wait_for_selector("div.wb-vega-chart[data-rendered='true'] svg .mark-rect path", timeout=30_000)
            bars = page.locator("div.wb-vega-chart svg .mark-rect path").count()
            # the widgets: an ipywidgets slider and the CodingPanel (anywidget), from the saved state
            page.wait_for_selector(".widget-subarea .widget-hslider", timeout=30_000)
            page.wait_for_selector(".widget-subarea .wb-panel", timeout=30_000)
            slider = page.locator(".widget-subarea .widget-hslider .widget-readout").first.inner_text()
            labels = page.locator("div.wb-vega-chart svg").first.text_content()
            panel = page.locator(".widget-subarea .wb-panel").first.inner_text()
            time.sleep(1)
            screenshot(page, "report-publish-offline")
        assert bars >= 20
        assert slider.strip() == "7"
        assert "alice" in panel
        assert re.search(r"P\d{3}", labels) and "Sectioned" not in labels
        assert outside == [], f"the page tried to reach the network: {outside[:5]}"
        assert [u for u in failed if u.startswith("http")] == []
        assert errors == [], errors


# --- the repository's publishing notebooks, published for real ------------------------------
def _example_people() -> set[str]:
    """Every author of the example threads (and the name and handle inside display names
    such as 'Lisa Rodrigues (@LisaSaysThis)'), and every @handle in their texts."""
    people: set[str] = set()
    for path in EXAMPLES.glob("*.txt"):
        units = load_threads(path)
        people |= {a for a in units["author"] if isinstance(a, str) and a}
        for text in units["text"]:
            people |= set(re.findall(r"@(\w{2,})", text))
    for name in list(people):
        m = re.match(r"^(.*?)\s*\(@(\w+)\)$", name)
        if m:
            people |= {m.group(1), m.group(2)}
    return people


@pytest.mark.slow
@pytest.mark.parametrize("name", ["00_quickstart", "02_reliability", "03_patterns"])
def test_publishing_notebooks_publish_with_no_author_of_the_examples(name, tmp_path):
    people = _example_people()
    assert {"drtonyryan", "Sectioned", "crys_tom", "LisaSaysThis"} <= people  # the grep is not vacuous
    out = publish(ROOT / "notebooks" / f"{name}.ipynb", tmp_path / f"{name}.html", key=tmp_path / "keys" / "k.json")
    html = out.read_text(encoding="utf-8")
    leaked = sorted(p for p in people if re.search(r"(?<!\w)" + re.escape(p) + r"(?!\w)", html, re.IGNORECASE))
    assert not leaked, f"{name}: raw names in the published page: {leaked}"
    assert not re.search(r"<script[^>]+src=[\"']https?://", html)
    assert "vega" in html.lower()
