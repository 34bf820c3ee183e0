"""The published page: charts compiled to Vega and drawn offline, the vendored JavaScript, the HTML.

:func:`offline_charts` turns every Altair (Vega or Vega-Lite) output into an inline Vega
specification that one inline bundle of Vega and Vega-Embed draws as SVG
(:func:`workbench.charts.render.to_vega`, :func:`~workbench.charts.render.vega_bundle`), and
refuses an output that would load JavaScript from the internet. :func:`export_page` writes
the notebook as one HTML file with require.js, ``@jupyter-widgets/html-manager`` and
anywidget's front end inlined from :data:`STATIC` (see the README there), so widget views
come back from the saved widget state without a network. Every JSON the page carries in a
``<script>`` element (the widget state, widget views, Vega specifications) is written by
:func:`workbench.escape.json_for_script`, so no text in the data can end the element or
comment it out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import escape
from ..charts import render
from .errors import PublishError

if TYPE_CHECKING:  # pragma: no cover
    import nbformat

__all__ = ["CDN_SCRIPT", "STATIC", "VENDORED", "export_page", "loads_from_internet", "offline_charts"]

#: Where the vendored JavaScript lives (see ``README.md`` there for versions and licences).
STATIC = Path(__file__).resolve().parent / "static"

#: The vendored files inlined into published pages, by role.
VENDORED: Mapping[str, str] = {
    "requirejs": "require.js",
    "anywidget": "anywidget.js",
    "html-manager": "embed-amd.js",
}

_VEGA_MIME = re.compile(r"^application/vnd\.vega(?P<lite>lite)?\.v(?P<major>\d+)[+.]json$")
_CDN_URL = re.compile(
    r"""(?:https?:)?//(?:[\w-]+\.)*(?:jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|esm\.sh|esm\.run|skypack\.dev|"""
    r"""cdn\.[\w.-]+|ajax\.googleapis\.com|code\.jquery\.com|d3js\.org|plot\.ly)[^\s"'<>`]*""",
    re.IGNORECASE,
)
CDN_SCRIPT = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]+""", re.IGNORECASE)



def loads_from_internet(page: str) -> str | None:
    """The URL an HTML output loads JavaScript from (a script src or a CDN in a script), if any."""
    found = CDN_SCRIPT.search(page)
    if found:
        return found.group(0).split("src", 1)[1].strip(" =\"'")
    for script in re.finditer(r"<script\b[^>]*>(.*?)</script>", page, re.DOTALL | re.IGNORECASE):
        url = _CDN_URL.search(script.group(1))
        if url:
            return url.group(0)
    return None


def _chart_html(spec: Mapping[str, Any]) -> str:
    return (
        '<div class="wb-vega-chart">'
        '<div class="wb-vega-target"></div>'
        f'<script type="application/vnd.wb.vega+json">{escape.json_for_script(spec)}</script>'
        "</div>"
    )


def offline_charts(nb: nbformat.NotebookNode, source: Path) -> int:
    """Turn Vega/Vega-Lite outputs into inline charts; refuse outputs that load from a CDN."""
    n = 0
    for index, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            vega = next(((mime, m) for mime in data if (m := _VEGA_MIME.match(mime))), None)
            if vega is not None:
                mime, m = vega
                spec = data[mime]
                if isinstance(spec, str):
                    spec = json.loads(spec)
                if m.group("lite"):
                    try:
                        spec = render.to_vega(spec, major=int(m.group("major")))
                    except Exception as exc:  # vl-convert raises ValueError with the compiler's message
                        raise PublishError(f"{source}: cell {index}: a Vega-Lite chart could not be compiled: {exc}") from None
                output["data"] = {"text/html": _chart_html(spec)}
                output.setdefault("metadata", {})
                n += 1
                continue
            page = data.get("text/html")
            page = "".join(page) if isinstance(page, list) else page
            url = loads_from_internet(page) if isinstance(page, str) else None
            if url:
                hint = (
                    "altair charts are published offline with the renderer that publish sets: remove "
                    "alt.renderers.enable(...) from the notebook"
                    if "vega" in page
                    else "show a static image instead (e.g. PNG or SVG)"
                )
                raise PublishError(
                    f"{source}: cell {index}: an output loads JavaScript from {url}, which a published report "
                    f"cannot do offline; {hint}."
                )
    return n


# --- the page ----------------------------------------------------------------------------
_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<meta name="generator" content="workbench publish">
<style type="text/css">
.wb-vega-chart { margin: 4px 0; }
.wb-vega-chart .vega-embed { max-width: 100%; }
</style>
{%- endblock extra_css -%}
{%- block footer_js -%}
{{ resources.wb_publish_scripts }}
{%- endblock footer_js -%}
"""

_VEGA_SNIPPET = r"""
const wbDrawCharts = async () => {
  for (const chart of document.querySelectorAll("div.wb-vega-chart")) {
    if (chart.dataset.rendered) continue;
    const data = chart.querySelector('script[type="application/vnd.wb.vega+json"]');
    const target = chart.querySelector(".wb-vega-target");
    try {
      await vegaEmbed(target, JSON.parse(data.textContent), {
        mode: "vega", renderer: "svg",
        actions: {export: true, source: false, compiled: false, editor: false},
      });
      chart.dataset.rendered = "true";
    } catch (error) {
      target.textContent = "This chart could not be drawn: " + error;
      chart.dataset.rendered = "error";
    }
  }
};
window.wbDrawCharts = wbDrawCharts;
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", wbDrawCharts);
} else {
  wbDrawCharts();
}
"""

# anywidget's bundle ends in an anonymous AMD define(); name it so that require.js finds
# "anywidget" in the page instead of asking a CDN for it.
_ANYWIDGET_WRAP = '(function (define) {\n%s\n})(function (deps, factory) { window.define("anywidget", deps, factory); });'


@lru_cache(maxsize=4)
def _vendored(name: str) -> str:
    path = STATIC / VENDORED[name]
    if not path.exists():
        raise PublishError(
            f"the vendored file {path} is missing; reinstall workbench (it ships in workbench/report/static)"
        )
    text = path.read_text(encoding="utf-8")
    return re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)


@lru_cache(maxsize=1)
def _vega_bundle() -> str:
    return render.vega_bundle(_VEGA_SNIPPET)


def _script(code: str, vendor: str, *, module: bool = False) -> str:
    """An inline <script>; code that could end the element early goes in as a data: URL."""
    kind = ' type="module"' if module else ""
    low = code.lower()
    if "</script" in low or "<!--" in low:
        import base64

        encoded = base64.b64encode(code.encode("utf-8")).decode("ascii")
        if module:
            return f'<script type="module" data-wb-vendor="{vendor}">import "data:text/javascript;base64,{encoded}";</script>'
        return f'<script data-wb-vendor="{vendor}" src="data:text/javascript;base64,{encoded}"></script>'
    return f'<script{kind} data-wb-vendor="{vendor}">\n{code}\n</script>'


def _page_scripts(*, widgets: bool, charts: bool) -> str:
    parts = []
    if widgets:
        parts.append(_script(_vendored("requirejs"), "requirejs"))
        parts.append(_script(_ANYWIDGET_WRAP % _vendored("anywidget"), "anywidget"))
        parts.append(_script(_vendored("html-manager"), "html-manager"))
    if charts:
        parts.append(_script(_vega_bundle(), "vega", module=True))
    return "\n".join(parts)


def export_page(nb: nbformat.NotebookNode, *, title: str, charts: bool) -> str:
    """The notebook as one HTML page, with the vendored JavaScript it needs inlined.

    Parameters
    ----------
    nb : NotebookNode
        The notebook (outputs and widget state already pseudonymised, charts offline).
    title : str
        The page's title.
    charts : bool
        Whether the page has charts (then the Vega bundle is inlined once).

    Returns
    -------
    str
        The HTML.
    """
    import jinja2
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"wb_publish.html.j2": _TEMPLATE})],
        template_file="wb_publish.html.j2",
        embed_images=True,
        # every JSON nbconvert puts in a <script> (the widget state, widget views) as
        # escape.json_for_script writes it: nothing in the data can end the element or,
        # with "<!--<script>", make the tokenizer skip its end tag
        filters={"json_dumps": escape.json_for_script},
    )
    widgets = bool(nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state"))
    resources = {
        "metadata": {"name": title},
        "wb_publish_scripts": _page_scripts(widgets=widgets, charts=charts),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


