"""Publish a notebook as one standalone HTML file that works offline, pseudonymised.

:func:`publish` (and ``workbench report NOTEBOOK``) runs a notebook from top to bottom
in a fresh kernel, keeps the state of its widgets, and writes a single HTML file whose
charts and widget views render without a network connection:

* **Charts.** Altair charts (notebook outputs of type ``application/vnd.vegalite.v*+json``
  or ``application/vnd.vega.v*+json``) are compiled to Vega in Python with
  ``vl-convert`` and drawn in the page by one inline copy of Vega and Vega-Embed (the
  bundle that ``vl_convert.javascript_bundle()`` builds), as SVG.
* **Widgets.** require.js, ``@jupyter-widgets/html-manager``'s ``embed-amd.js`` and
  anywidget's front end ship in ``workbench/report/static`` (see the README there) and are
  inlined into the page, so ipywidgets and anywidget views (such as
  :class:`~workbench.widgets.CodingPanel`) come back from the saved widget state.
* **Nothing from a CDN.** No ``<script src="http...">`` remains; MathJax and Mermaid,
  which nbconvert would load from a CDN, are left out (TeX and diagrams show as text).

Published output is pseudonymised by default
--------------------------------------------
Posts about mental-health care are special-category personal data, so the page must not
name the people who wrote them. What is protected:

1. **Which data.** While the notebook runs, every units table returned by
   :func:`workbench.ingest.load_threads` or :meth:`workbench.Project.units` is noted (for
   a project marked pseudonymised, only units added after it was marked), and when it has
   run, every DataFrame with an ``author`` column left in the notebook's namespace. Tables
   passed as ``units=`` and the units of ``project=`` are added. The kernel runs with the
   environment variable ``WB_PUBLISH=1`` (and ``WB_PSEUDONYM_KEY`` set to the key file,
   when there is one), so a notebook can tell that it is being published.
2. **What is personal.** Every author (with the name and handle read off a display name
   such as ``Lisa Rodrigues (@LisaSaysThis)``) and every ``@mention`` gets a pseudonym from
   the :class:`~workbench.privacy.PseudonymKey` (the same pseudonyms as
   :func:`~workbench.privacy.export_view` gives, with the same key), and every URL, e-mail
   address, phone number and Reddit handle in the texts a placeholder (``[URL]``, ...).
3. **Where.** These are replaced, as whole words and ignoring case, in everything the page
   shows: cell sources, outputs (also HTML- and JSON-escaped forms), chart specifications
   and widget state. Binary images are not read (a chart saved as PNG by the notebook
   shows whatever the notebook drew).
4. **The guard.** Before the file is written, the finished page (less the vendored
   JavaScript and embedded binary data) is searched once more for every raw name, handle,
   URL and e-mail address; if any remains, :class:`PublishError` names it and the cell it
   is in, and nothing is written.

``pseudonymise=False`` publishes real names; like ``export_view(raw=True)`` it needs the
key as proof that the caller may see them.

Examples
--------
>>> import nbformat, tempfile, os
>>> folder = tempfile.mkdtemp()
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Findings")])
>>> nbformat.write(nb, os.path.join(folder, "findings.ipynb"))
>>> out = publish(os.path.join(folder, "findings.ipynb"), execute=False, units=[])  # no data in it
>>> out.name
'findings.html'
>>> "<script src=\\"http" in out.read_text(encoding="utf-8")
False
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..charts import render
from ..errors import WorkbenchError
from ..privacy import (
    NON_NAMES,
    PLACEHOLDERS,
    PrivacyError,
    PseudonymKey,
    find_redactions,
    privacy_state,
)
from ..privacy import pseudonymise as _pseudonymise_units

if TYPE_CHECKING:  # pragma: no cover
    import nbformat

    from ..project import Project

__all__ = [
    "PublishError",
    "Leak",
    "STATIC",
    "VENDORED",
    "find_leaks",
    "publish",
    "main",
]

#: Where the vendored JavaScript lives (see ``README.md`` there for versions and licences).
STATIC = Path(__file__).resolve().parent / "static"

#: The vendored files inlined into published pages, by role.
VENDORED: Mapping[str, str] = {
    "requirejs": "require.js",
    "anywidget": "anywidget.js",
    "html-manager": "embed-amd.js",
}

#: Set in the kernel's environment while :func:`publish` runs a notebook.
PUBLISH_ENV = "WB_PUBLISH"
KEY_ENV = "WB_PSEUDONYM_KEY"

_UNIT_COLUMNS = ("unit_id", "author", "author_role", "text", "title")
_CONTACT_KINDS = ("email", "url", "phone", "handle")
_BINARY_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")
_VEGA_MIME = re.compile(r"^application/vnd\.vega(?P<lite>lite)?\.v(?P<major>\d+)[+.]json$")
_CDN_URL = re.compile(
    r"""(?:https?:)?//(?:[\w-]+\.)*(?:jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|esm\.sh|esm\.run|skypack\.dev|"""
    r"""cdn\.[\w.-]+|ajax\.googleapis\.com|code\.jquery\.com|d3js\.org|plot\.ly)[^\s"'<>`]*""",
    re.IGNORECASE,
)
_CDN_SCRIPT = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]+""", re.IGNORECASE)


# --- errors -------------------------------------------------------------------------------
class PublishError(WorkbenchError, RuntimeError):
    """A notebook could not be published: a cell failed, an output needs the internet, or
    personal data would have reached the page."""


@dataclass(frozen=True)
class Leak:
    """A raw name, handle, URL or e-mail address found in a page about to be published.

    ``where`` is ``"cell 3"`` (the third cell of the notebook), ``"widget state"`` or
    ``"page"``; ``excerpt`` shows it in context (it holds the raw value: do not publish it).
    """

    term: str
    kind: str
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.kind} {self.term!r} in {self.where}: …{self.excerpt}…"


# --- sensitive terms ----------------------------------------------------------------------
_APOSTROPHE = r"(?:['\u2019\u2018\u02bc\uff07]|&#x27;|&#39;|&apos;|&rsquo;|\\u2019)"
_SPACE = r"(?:\s|&nbsp;|&#160;|\\u00a0)+"


def _char_pattern(ch: str) -> str:
    if ch in "'\u2019\u2018\u02bc\uff07":
        return _APOSTROPHE
    if ch.isspace():
        return _SPACE
    if ch == "&":
        return r"(?:&amp;|&#38;|&)"
    if ch == '"':
        return r"(?:&quot;|&#34;|\\\"|\")"
    if ch == "<":
        return r"(?:&lt;|\\u003c|<)"
    if ch == ">":
        return r"(?:&gt;|\\u003e|>)"
    if ch == "/":
        return r"(?:\\?/)"
    if ord(ch) > 127:
        code = ord(ch)
        forms = [re.escape(ch), f"&#{code};", f"&#x{code:x};", f"&#x{code:X};"]
        if code <= 0xFFFF:
            forms += [f"\\\\u{code:04x}", f"\\\\u{code:04X}"]
        return "(?:" + "|".join(forms) + ")"
    return re.escape(ch)


def _term_pattern(term: str) -> str:
    """A pattern for ``term`` as a whole word, also in its HTML- and JSON-escaped forms."""
    body = "".join(_char_pattern(c) for c in term.strip())
    return r"(?<![\w])" + body + r"(?![\w])"


class _Terms:
    """Raw values that must not be published, each with what replaces it."""

    def __init__(self) -> None:
        self.replacement: dict[str, str] = {}  # surface form -> pseudonym or placeholder
        self.kind: dict[str, str] = {}  # surface form -> "name", "url", ...
        self.exact: set[str] = set()  # matched with their case (short names, stop words)
        self.urls: set[str] = set()

    def add(self, term: Any, replacement: str, kind: str, *, exact: bool = False) -> None:
        if not isinstance(term, str):
            return
        term = term.strip()
        if len(term) < 2 or term.casefold() in NON_NAMES or term == replacement:
            return
        if term in self.replacement:
            return
        self.replacement[term] = replacement
        self.kind[term] = kind
        if exact:
            self.exact.add(term)
        if kind == "url":
            self.urls.add(term.casefold())

    def __len__(self) -> int:
        return len(self.replacement)

    def __bool__(self) -> bool:
        return bool(self.replacement)

    @property
    def regexes(self) -> list[tuple[re.Pattern[str], dict[str, str]]]:
        return self._compiled()

    def _compiled(self) -> list[tuple[re.Pattern[str], dict[str, str]]]:
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] == len(self.replacement):
            return cached[1]
        out = []
        for exact in (False, True):
            terms = sorted((t for t in self.replacement if (t in self.exact) == exact), key=len, reverse=True)
            if not terms:
                continue
            groups = "|".join(f"(?P<t{i}>{_term_pattern(t)})" for i, t in enumerate(terms))
            # a look-ahead on the possible first characters lets the scan skip most positions
            first = set()
            for t in terms:
                c = t.strip()[0]
                first.update({c, c.lower(), c.upper()} if c.isascii() and c.isalnum() else {c, "&", "\\"})
            lead = "[" + "".join(re.escape(c) for c in sorted(first)) + "]"
            flags = 0 if exact else re.IGNORECASE
            regex = re.compile(f"(?={lead})(?:{groups})", flags)
            out.append((regex, {f"t{i}": t for i, t in enumerate(terms)}))
        self._cache = (len(self.replacement), out)
        return out

    def sub(self, text: str) -> str:
        """``text`` with every term replaced (whole words, escaped forms too)."""
        if not text or not self.replacement:
            return text
        for regex, names in self._compiled():
            text = regex.sub(lambda m: self.replacement[names[m.lastgroup]], text)
        if self.urls and ("/" in text or "." in text):
            text = self._truncated_urls(text)
        return text

    def _truncated_urls(self, text: str) -> str:
        """Shortened URLs (``https://twitter.com/som...`` in a DataFrame repr) -> ``[URL]``."""
        hits = []
        for start, end, _kind, _ph in find_redactions(text, ("url",)):
            found = text[start:end]
            stem = re.sub(r"(?:\.\.\.|\u2026)+$", "", found).casefold()
            if len(stem) >= 12 and any(u.startswith(stem) for u in self.urls):
                hits.append((start, end))
        for start, end in reversed(hits):
            text = text[:start] + PLACEHOLDERS["url"] + text[end:]
        return text

    def find(self, text: str) -> Iterator[tuple[str, int, int]]:
        for regex, names in self._compiled():
            for m in regex.finditer(text):
                yield names[m.lastgroup], m.start(), m.end()


def _stop_words() -> frozenset[str]:
    try:
        from spacy.lang.en.stop_words import STOP_WORDS
    except ImportError:  # pragma: no cover - spaCy is a dependency
        return frozenset()
    return frozenset(STOP_WORDS)


def _unit_frames(value: Any) -> list[pd.DataFrame]:
    if value is None:
        return []
    if isinstance(value, pd.DataFrame):
        return [value]
    if isinstance(value, (str, os.PathLike)):
        from ..ingest import load_threads

        return [load_threads(value)]
    if isinstance(value, Iterable):
        out: list[pd.DataFrame] = []
        for item in value:
            out.extend(_unit_frames(item))
        return out
    raise TypeError(f"units must be a units DataFrame, a thread file or a list of them, not {type(value).__name__}")


def _project_frames(project: Any) -> list[pd.DataFrame]:
    if project is None:
        return []
    opened = None
    if isinstance(project, (str, os.PathLike)):
        from ..project import open_project

        project = opened = open_project(project)
    try:
        units = project.units()
        state = privacy_state(project)
        if state.get("state") == "pseudonymised":
            through = state.get("through_seq")
            if through is None or "seq" not in units.columns:
                return []
            units = units[units["seq"] > through]
        return [units]
    finally:
        if opened is not None:
            opened.close()


def _collect_terms(frames: Sequence[pd.DataFrame], key: PseudonymKey) -> _Terms:
    """Give everybody in ``frames`` a pseudonym (in ``key``) and list what to replace."""
    terms = _Terms()
    tables = []
    for frame in frames:
        cols = [c for c in _UNIT_COLUMNS if c in frame.columns]
        if "author" not in cols and "text" not in cols:
            continue
        table = frame[cols].copy()
        for col in _UNIT_COLUMNS:
            if col not in table.columns:
                table[col] = None
        tables.append(table[list(_UNIT_COLUMNS)])
    if not tables:
        return terms
    units = pd.concat(tables, ignore_index=True)
    units["unit_id"] = [f"u{i}" for i in range(len(units))]
    pseudonyms = key.pseudonyms()
    # values that are already pseudonyms of this key are not people to hide
    units["author"] = [None if isinstance(a, str) and a in pseudonyms else a for a in units["author"]]
    for col in ("author", "text", "title"):
        units[col] = [v if isinstance(v, str) else None for v in units[col]]
    units["author_role"] = [r if isinstance(r, str) else None for r in units["author_role"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "too short to look for": handled here
        _pseudonymise_units(units.assign(text=units["text"].fillna("")), key, columns=("text", "title"))
    stop = _stop_words()
    # every person in the key (also those of earlier exports) is replaced
    mapping = key.mapping()
    for name, pseudonym, aliases in zip(mapping["name"], mapping["pseudonym"], mapping["aliases"]):
        forms = [name, *[a for a in str(aliases or "").split("; ") if a]]
        for form in forms:
            bare = form.strip().lstrip("@").strip()
            exact = len(bare) < 3 or bare.casefold() in stop
            terms.add(bare, pseudonym, "name", exact=exact)
    for column in ("text", "title"):
        for text in units[column].dropna():
            if not text:
                continue
            for start, end, kind, placeholder in find_redactions(text, _CONTACT_KINDS):
                found = text[start:end]
                if kind == "handle" and key.lookup(found.lstrip("@").split("@")[0]) is not None:
                    continue  # a known person: the pseudonym takes its place
                terms.add(found, placeholder, kind)
                if kind == "email" and found.lower().startswith("mailto:"):
                    terms.add(found[7:], placeholder, kind)
    return terms


# --- running the notebook ----------------------------------------------------------------
_RECORDER = "_workbench_publish_recorder"

_RENDERER = r'''
def __wb_publish_renderer():
    try:
        import altair
    except Exception:
        return
    major = str(getattr(altair, "SCHEMA_VERSION", "v5")).lstrip("v").split(".")[0]

    def workbench_publish(spec, **options):
        # the spec itself; the published page draws it offline
        return {"application/vnd.vegalite.v%s+json" % major: spec, "text/plain": "<altair chart>"}

    altair.renderers.register("workbench-publish", workbench_publish)
    altair.renderers.enable("workbench-publish")


__wb_publish_renderer()
del __wb_publish_renderer
'''

_PROLOGUE = r'''
def __wb_publish_setup():
    import functools, sys, types
    rec = types.ModuleType("%(recorder)s")
    rec.frames, rec.busy = [], False
    sys.modules[rec.__name__] = rec

    def keep(frame):
        try:
            cols = [c for c in %(columns)r if c in frame.columns]
            if "author" in cols or "text" in cols:
                rec.frames.append(frame[cols].copy())
        except Exception:
            pass

    rec.keep = keep
    try:
        import workbench
        import workbench.ingest as ingest
        from workbench.project import Project
    except Exception:
        return
    original = ingest.load_threads

    @functools.wraps(original)
    def load_threads(*args, **kwargs):
        units = original(*args, **kwargs)
        keep(units)
        return units

    ingest.load_threads = load_threads
    if getattr(workbench, "load_threads", None) is original:
        workbench.load_threads = load_threads
    units_method = Project.units

    @functools.wraps(units_method)
    def units(self, *args, **kwargs):
        frame = units_method(self, *args, **kwargs)
        if rec.busy:
            return frame
        rec.busy = True
        try:
            from workbench.privacy import privacy_state
            state = privacy_state(self)
            if state.get("state") == "pseudonymised":
                through = state.get("through_seq")
                if through is not None and "seq" in frame.columns:
                    keep(frame[frame["seq"] > through])
            else:
                keep(frame)
        except Exception:
            keep(frame)
        finally:
            rec.busy = False
        return frame

    Project.units = units


__wb_publish_setup()
del __wb_publish_setup
'''

_EPILOGUE = r'''
def __wb_publish_collect(path):
    import pickle, sys
    rec = sys.modules.get("%(recorder)s")
    frames = list(getattr(rec, "frames", []))
    namespace = dict(globals())
    try:
        import pandas as pd
        for name, value in namespace.items():
            if (
                not name.startswith("_")
                and isinstance(value, pd.DataFrame)
                and "author" in value.columns
                and not value.attrs.get("workbench_pseudonymised")  # made by wb.pseudonymise
            ):
                cols = [c for c in %(columns)r if c in value.columns]
                frames.append(value[cols].copy())
    except Exception:
        pass
    try:
        from workbench.project import Project
        for name, value in namespace.items():
            if isinstance(value, Project):
                try:
                    before = len(rec.frames)
                    value.units()
                    frames.extend(rec.frames[before:])
                except Exception:
                    pass
    except Exception:
        pass
    with open(path, "wb") as fh:
        pickle.dump(frames, fh)


__wb_publish_collect(%(path)r)
del __wb_publish_collect
'''


def _hidden(client: Any, nb: nbformat.NotebookNode, code: str) -> None:
    """Run code in the kernel without a trace: no cell, no execution count, no output."""
    import nbformat

    cell = nbformat.v4.new_code_cell(code)
    nb.cells.append(cell)  # nbclient writes the executed cell back at its index
    try:
        client.execute_cell(cell, len(nb.cells) - 1, store_history=False)
    finally:
        nb.cells.pop()


def _execute(
    nb: nbformat.NotebookNode,
    *,
    source: Path,
    cwd: Path,
    timeout: int,
    kernel_name: str,
    env: Mapping[str, str],
    collect: bool,
) -> list[pd.DataFrame]:
    """Run every cell (widget state kept); return the units tables the notebook used."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(cwd)}},
        store_widget_state=True,
    )
    scratch = Path(tempfile.mkdtemp(prefix="wb-publish-"))
    found = scratch / "units.pickle"
    fmt = {"recorder": _RECORDER, "columns": _UNIT_COLUMNS, "path": str(found)}
    index = -1
    try:
        with client.setup_kernel(env=dict(env), cwd=str(cwd)):
            client.kc.kernel_info()
            _hidden(client, nb, _RENDERER)
            if collect:
                _hidden(client, nb, _PROLOGUE % fmt)
            count = 0
            for index, cell in enumerate(list(nb.cells)):
                if cell.cell_type == "code" and cell.source.strip():
                    count += 1
                client.execute_cell(cell, index, execution_count=count)
            index = -1
            if collect:
                _hidden(client, nb, _EPILOGUE % fmt)
            client.set_widgets_metadata()
        if not collect or not found.exists():
            return []
        with open(found, "rb") as fh:
            frames = pickle.load(fh)  # written just now by our own kernel
        return [f for f in frames if isinstance(f, pd.DataFrame)]
    except (CellExecutionError, CellTimeoutError) as exc:
        where = f"cell {index + 1}" if index >= 0 else "the publishing step"
        detail = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # the traceback's terminal colours
        raise PublishError(f"{source}: {where} failed while publishing; fix it and publish again.\n{detail}") from None
    finally:
        found.unlink(missing_ok=True)
        scratch.rmdir()


# --- rewriting the notebook --------------------------------------------------------------
def _walk(value: Any, fix, *, skip: frozenset[str] = frozenset()) -> Any:
    """``value`` with ``fix`` applied to every string in it (dict keys too)."""
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, list):
        return [_walk(v, fix, skip=skip) for v in value]
    if isinstance(value, dict):
        out = type(value)() if type(value) is not dict else {}
        for k, v in value.items():
            out[fix(k) if isinstance(k, str) else k] = v if k in skip else _walk(v, fix, skip=skip)
        return out
    return value


def _pseudonymise_notebook(nb: nbformat.NotebookNode, terms: _Terms) -> None:
    import nbformat

    fix = terms.sub
    for cell in nb.cells:
        cell.source = fix(cell.source)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _walk(output["text"], fix)
            for field in ("ename", "evalue", "traceback"):
                if field in output:
                    output[field] = _walk(output[field], fix)
            if "data" in output:
                data = output["data"]
                for mime in list(data):
                    if mime not in _BINARY_MIMES:
                        data[mime] = _walk(data[mime], fix)
    meta = nb.metadata
    widgets = meta.get("widgets", {})
    for state in widgets.values():
        models = state.get("state", {}) if isinstance(state, dict) else {}
        for model in models.values():
            if isinstance(model, dict) and "state" in model:
                model["state"] = _walk(model["state"], fix)
    rest = {k: v for k, v in meta.items() if k != "widgets"}
    nb.metadata = nbformat.from_dict({**_walk(rest, fix), **({"widgets": widgets} if widgets else {})})


def _loads_from_internet(page: str) -> str | None:
    """The URL an HTML output loads JavaScript from (a script src or a CDN in a script), if any."""
    found = _CDN_SCRIPT.search(page)
    if found:
        return found.group(0).split("src", 1)[1].strip(" =\"'")
    for script in re.finditer(r"<script\b[^>]*>(.*?)</script>", page, re.DOTALL | re.IGNORECASE):
        url = _CDN_URL.search(script.group(1))
        if url:
            return url.group(0)
    return None


def _json_in_script(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _chart_html(spec: Mapping[str, Any]) -> str:
    return (
        '<div class="wb-vega-chart">'
        '<div class="wb-vega-target"></div>'
        f'<script type="application/vnd.wb.vega+json">{_json_in_script(spec)}</script>'
        "</div>"
    )


def _offline_charts(nb: nbformat.NotebookNode, source: Path) -> int:
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
            url = _loads_from_internet(page) if isinstance(page, str) else None
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


def _export(nb: nbformat.NotebookNode, *, title: str, charts: bool) -> str:
    import jinja2
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"wb_publish.html.j2": _TEMPLATE})],
        template_file="wb_publish.html.j2",
        embed_images=True,
    )
    widgets = bool(nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state"))
    resources = {
        "metadata": {"name": title},
        "wb_publish_scripts": _page_scripts(widgets=widgets, charts=charts),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


# --- the guard ---------------------------------------------------------------------------
_VENDOR_BLOCK = re.compile(r"<script[^>]*\bdata-wb-vendor=\"[^\"]+\"[^>]*>.*?</script>", re.DOTALL)
_DATA_URI = re.compile(r"data:[\w.+\-/]+;base64,[A-Za-z0-9+/=\s]+")
_CELL_START = re.compile(r"<div\b[^>]*\bclass=\"jp-Cell[\s\"]")
_STATE_START = re.compile(r"<script type=\"application/vnd\.jupyter\.widget-state\+json\">")


def _blank(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())


def _guard_view(page: str) -> str:
    """The page with vendored JavaScript and base64 data blanked (same length, same offsets)."""
    return _DATA_URI.sub(_blank, _VENDOR_BLOCK.sub(_blank, page))


def _where(page: str, offset: int) -> str:
    state = _STATE_START.search(page)
    if state and offset >= state.start():
        return "widget state"
    cells = [m.start() for m in _CELL_START.finditer(page)]
    before = [c for c in cells if c <= offset]
    return f"cell {len(before)}" if before else "page"


def _find_outside_vendored(page: str, view: str, terms: _Terms) -> Iterator[tuple[str, int, int]]:
    """Hits of ``terms`` in ``view``, skipping the (blanked) vendored blocks quickly."""
    pos = 0
    for block in _VENDOR_BLOCK.finditer(page):
        for term, s, e in terms.find(view[pos : block.start()]):
            yield term, pos + s, pos + e
        pos = block.end()
    for term, s, e in terms.find(view[pos:]):
        yield term, pos + s, pos + e


def find_leaks(page: str, terms: Iterable[str] | _Terms) -> list[Leak]:
    """Raw values still in a page: each whole-word, case-insensitive hit of ``terms``.

    Vendored JavaScript (``<script data-wb-vendor=...>``) and base64 data are not
    searched. Used by :func:`publish` as its last check; usable on any HTML file.

    Parameters
    ----------
    page : str
        The HTML.
    terms : iterable of str
        Names, handles, URLs, e-mail addresses that must not appear.

    Examples
    --------
    >>> find_leaks("<p>Thanks, P001!</p>", ["Sam"])
    []
    >>> [str(leak) for leak in find_leaks("<p>Thanks, sam&#x27;s GP</p>", ["Sam"])]
    ["name 'Sam' in page: …<p>Thanks, sam&#x27;s GP</p>…"]
    """
    if not isinstance(terms, _Terms):
        words = terms
        terms = _Terms()
        for word in words:
            kind = "url" if "://" in str(word) or str(word).startswith("www.") else "email" if "@" in str(word)[1:] else "name"
            terms.add(word, "", kind, exact=False)
    view = _guard_view(page)
    leaks = []
    seen: set[tuple[str, str]] = set()
    for term, start, end in _find_outside_vendored(page, view, terms):
        where = _where(page, start)
        if (term, where) in seen:
            continue
        seen.add((term, where))
        excerpt = re.sub(r"\s+", " ", view[max(0, start - 40) : end + 40]).strip()
        leaks.append(Leak(term, terms.kind.get(term, "name"), where, excerpt))
    return leaks


# --- the key -----------------------------------------------------------------------------
def _key_file(key: PseudonymKey | str | os.PathLike[str] | None, *, project: Any, create: bool) -> Path | None:
    """The key's file, created (empty, mode 0600) when a path names none yet and ``create``."""
    if key is None:
        return None
    if isinstance(key, PseudonymKey):
        return key.path
    if isinstance(key, (str, os.PathLike)):
        path = Path(key).expanduser().resolve()
        if not path.exists():
            if not create:
                raise PrivacyError(f"no pseudonym key at {path}: real names are published only with the study's key")
            PseudonymKey().save(path, project=project)
        return path
    raise TypeError(f"key must be a PseudonymKey or the path of a key file, not {type(key).__name__}")


def _reload_key(key: PseudonymKey | str | os.PathLike[str] | None, path: Path | None, stamp: float | None) -> PseudonymKey:
    """The key after the run: read again from its file if the notebook changed it."""
    if isinstance(key, PseudonymKey):
        if path is not None and path.exists() and path.stat().st_mtime != stamp:
            return PseudonymKey.load(path)  # the notebook saved people to it (e.g. via export_view)
        return key
    if path is not None:
        return PseudonymKey.load(path)
    return PseudonymKey()


# --- publish -----------------------------------------------------------------------------
def publish(
    notebook: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    execute: bool = True,
    timeout: int = 600,
    kernel_name: str = "python3",
    pseudonymise: bool = True,
    key: PseudonymKey | str | os.PathLike[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    project: Project | str | os.PathLike[str] | None = None,
    units: pd.DataFrame | str | os.PathLike[str] | Sequence[Any] | None = None,
) -> Path:
    """Run a notebook and write it as one standalone, offline, pseudonymised HTML file.

    Parameters
    ----------
    notebook : path
        The ``.ipynb`` file. It is not modified.
    output : path, optional
        The HTML file to write (default: beside the notebook, ``NAME.html``). It is written
        only when every check has passed.
    execute : bool
        Run the notebook first in a fresh kernel (default). ``False`` publishes the saved
        outputs and widget state as they are; then publish cannot see which data the
        notebook used, so with ``pseudonymise=True`` pass ``project=`` or ``units=``
        (``units=[]`` states that the notebook shows no personal data).
    timeout : int
        Seconds one cell may run.
    kernel_name : str
        The Jupyter kernel to run it in.
    pseudonymise : bool
        Replace every author, handle, URL and e-mail address from the data (default). With
        ``False`` the page shows real names: this needs ``key`` as proof (the study's key),
        as :func:`~workbench.privacy.export_view` does for raw exports.
    key : PseudonymKey or path, optional
        The study's pseudonym key, so that the report uses the same pseudonyms as the
        study's other exports. A path that does not exist yet gets a new key (saved with
        mode 0600; it may not sit in the project's folder). People new to a saved key are
        added to it. Without a key a new one is used for this report only (and a warning
        says that its pseudonyms will not match other exports).
    cwd : path, optional
        Folder the notebook runs in (default: the notebook's folder).
    project : Project or path, optional
        A project whose units are personal data to protect, in addition to those the
        notebook loads.
    units : DataFrame, thread file, or a list of them, optional
        More units tables (or files for :func:`workbench.ingest.load_threads`) to protect.

    Returns
    -------
    Path
        The HTML file written.

    Raises
    ------
    PublishError
        A cell failed, an output loads JavaScript from the internet, or a raw name, handle,
        URL or e-mail address would remain in the page (the message names it and its cell).
    PrivacyError
        ``pseudonymise=False`` without a key.

    Examples
    --------
    >>> import nbformat, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Thanks to @drtonyryan")])
    >>> nbformat.write(nb, os.path.join(folder, "thanks.ipynb"))
    >>> import workbench as wb
    >>> people = wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "drtonyryan", "text": "Hi"}])
    >>> key = wb.PseudonymKey()
    >>> page = publish(os.path.join(folder, "thanks.ipynb"), execute=False, units=people, key=key)
    >>> text = page.read_text(encoding="utf-8")
    >>> "drtonyryan" in text, "@P001" in text
    (False, True)
    """
    import nbformat

    source = Path(notebook).expanduser()
    if source.suffix != ".ipynb":
        raise ValueError(f"publish takes a Jupyter notebook (.ipynb), not {source.name!r}")
    if not source.exists():
        raise FileNotFoundError(f"no notebook at {source}")
    target = Path(output).expanduser() if output is not None else source.with_suffix(".html")
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"output must be an .html file, not {target.name!r}")
    if not isinstance(timeout, int) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if not pseudonymise and key is None:
        raise PrivacyError(
            "a report with real names (pseudonymise=False) is published only with the pseudonym key as proof: "
            "pass key=PseudonymKey.load(path) (or its path), or leave pseudonymise=True"
        )
    if pseudonymise and not execute and project is None and units is None:
        raise PublishError(
            "with execute=False publish cannot see which data the notebook used: pass project= or units= "
            "(the data whose authors must not appear), or let publish run the notebook (execute=True)"
        )
    run_in = Path(cwd).expanduser() if cwd is not None else source.resolve().parent

    try:
        nb = nbformat.read(source, as_version=4)
    except Exception as exc:
        raise PublishError(f"{source} is not a readable notebook: {exc}") from None

    env = dict(os.environ)
    env[PUBLISH_ENV] = "1"
    key_path = _key_file(key, project=project, create=pseudonymise)
    stamp = key_path.stat().st_mtime if key_path is not None and key_path.exists() else None
    if key_path is not None:
        env[KEY_ENV] = str(key_path)

    frames: list[pd.DataFrame] = []
    if execute:
        frames += _execute(
            nb, source=source, cwd=run_in, timeout=timeout, kernel_name=kernel_name, env=env, collect=pseudonymise
        )
    frames += _unit_frames(units)
    frames += _project_frames(project)

    if pseudonymise:
        # the key is read after the run: the notebook may have added people to it
        the_key = _reload_key(key, key_path, stamp)
        terms = _collect_terms(frames, the_key)
        if terms and key is None:
            warnings.warn(
                "published with a new pseudonym key that is not saved: its pseudonyms will not match the "
                "study's other exports; pass key= (the key file) to publish with the study's pseudonyms",
                UserWarning,
                stacklevel=2,
            )
        if the_key.dirty and the_key.path is not None:
            the_key.save()
        _pseudonymise_notebook(nb, terms)
    else:
        terms = _Terms()

    charts = _offline_charts(nb, source)
    title = str(nb.metadata.get("title") or source.stem)
    page = _export(nb, title=title, charts=charts > 0)

    cdn = _CDN_SCRIPT.search(_guard_view(page))
    if cdn:
        raise PublishError(f"{source}: the page would load JavaScript from the internet ({cdn.group(0)[:120]}…)")
    if pseudonymise and terms:
        leaks = find_leaks(page, terms)
        if leaks:
            shown = "\n  ".join(str(leak) for leak in leaks[:20])
            more = f"\n  … and {len(leaks) - 20} more" if len(leaks) > 20 else ""
            raise PublishError(
                f"{source}: personal data would be published, so nothing was written:\n  {shown}{more}\n"
                "Remove these values from the cells named (or show pseudonymised data, e.g. "
                "wb.privacy.export_view(project, key=key)) and publish again."
            )

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".publish-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# --- command line ------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """``workbench report NOTEBOOK``: publish a notebook as offline, pseudonymised HTML.

    Examples
    --------
    >>> import nbformat, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> nbformat.write(nbformat.v4.new_notebook(), os.path.join(folder, "empty.ipynb"))
    >>> main([os.path.join(folder, "empty.ipynb"), "--no-execute", "--no-data"])
    /...empty.html
    0
    """
    parser = argparse.ArgumentParser(
        prog="workbench report",
        description="Run a notebook and write it as one standalone HTML file whose charts and widgets work "
        "offline. Authors, handles, URLs and e-mail addresses from the data are pseudonymised.",
    )
    parser.add_argument("notebook", help="the .ipynb file")
    parser.add_argument("-o", "--output", help="the HTML file to write (default: NOTEBOOK.html beside it)")
    parser.add_argument("--key", help="the study's pseudonym key file (created if missing; keep it private)")
    parser.add_argument("--project", help="a project database whose authors must not appear")
    parser.add_argument("--units", action="append", help="a thread file whose authors must not appear (repeatable)")
    parser.add_argument("--no-execute", action="store_true", help="publish the saved outputs without running")
    parser.add_argument(
        "--no-data", action="store_true", help="with --no-execute: state that the notebook shows no personal data"
    )
    parser.add_argument("--timeout", type=int, default=600, help="seconds one cell may run (default 600)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    parser.add_argument("--cwd", help="folder to run the notebook in (default: the notebook's folder)")
    parser.add_argument("--real-names", action="store_true", help="do not pseudonymise (needs --key as proof)")
    args = parser.parse_args(argv)
    try:
        path = publish(
            args.notebook,
            args.output,
            execute=not args.no_execute,
            timeout=args.timeout,
            kernel_name=args.kernel,
            pseudonymise=not args.real_names,
            key=args.key,
            cwd=args.cwd,
            project=args.project,
            units=args.units if args.units or not args.no_data else [],
        )
    except (PublishError, PrivacyError, ValueError, FileNotFoundError) as exc:
        print(f"workbench report: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
