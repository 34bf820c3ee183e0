"""Charts drawn offline by vl-convert: the one place a chart becomes PNG, SVG, PDF, HTML or Vega.

Every part of the workbench that draws a chart outside a live notebook comes here: the
chart functions' :func:`save`, the reliability dashboard (inline SVG), the reliability
report (an SVG figure) and publishing (Vega-Lite compiled to Vega, drawn in the page by
one inline bundle of Vega and Vega-Embed). vl-convert needs no browser and no network.

Each function takes an Altair chart or its Vega-Lite specification (the dict of
``chart.to_dict()``); the Vega-Lite version is read from the specification's
``$schema`` (:func:`vl_version`).

Examples
--------
>>> import altair as alt, pandas as pd
>>> chart = alt.Chart(pd.DataFrame({"n": [1, 2]})).mark_bar().encode(x="n:Q")
>>> to_svg(chart)[:4]
'<svg'
>>> "/schema/vega/v" in to_vega(chart)["$schema"]  # Vega, no longer Vega-Lite
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import altair as alt

from .. import escape

__all__ = ["FORMATS", "save", "to_svg", "to_vega", "vega_bundle", "vl_version"]

#: The file suffixes :func:`save` writes.
FORMATS = (".png", ".svg", ".pdf", ".html", ".json")

Spec = alt.TopLevelMixin | Mapping[str, Any]


def _spec(chart: Spec) -> dict[str, Any]:
    if isinstance(chart, alt.TopLevelMixin):
        return chart.to_dict()
    if isinstance(chart, Mapping):
        return dict(chart)
    raise TypeError(f"chart must be an Altair chart (e.g. from workbench.charts), not {type(chart).__name__}")


def vl_version(spec: Mapping[str, Any], *, major: int | None = None) -> str | None:
    """The Vega-Lite version vl-convert should compile ``spec`` with.

    The version named by the specification's ``$schema`` when vl-convert has it, else the
    newest of the same major version that is not newer; None (vl-convert's default) when
    vl-convert has no version of that major. A specification without ``$schema`` is taken
    as the newest of ``major`` (Altair's own version when ``major`` is None).

    Parameters
    ----------
    spec : mapping
        A Vega-Lite specification.
    major : int, optional
        The major version to assume when ``spec`` names none (e.g. read off a notebook
        output's MIME type, ``application/vnd.vegalite.v5+json``).

    Returns
    -------
    str or None
        ``"major.minor"``, e.g. ``"6.4"``.

    Examples
    --------
    >>> vl_version({"$schema": "https://vega.github.io/schema/vega-lite/v5.20.1.json"})
    '5.20'
    >>> vl_version({"$schema": "https://vega.github.io/schema/vega-lite/v1.0.0.json"}) is None
    True
    """
    import vl_convert

    supported = list(vl_convert.get_vegalite_versions())
    m = re.search(r"/v(\d+)\.(\d+)", str(spec.get("$schema", "")))
    if m is not None:
        want = (int(m.group(1)), int(m.group(2)))
    elif major is not None:
        want = (int(major), 99)
    else:
        own = re.match(r"v?(\d+)\.(\d+)", alt.SCHEMA_VERSION)
        want = (int(own.group(1)), int(own.group(2))) if own else (0, 0)
    same = [v for v in supported if int(v.split(".")[0]) == want[0]]
    if not same:
        return None
    fitting = [v for v in same if int(v.split(".")[1]) <= want[1]] or same
    return max(fitting, key=lambda v: int(v.split(".")[1]))


def to_svg(chart: Spec) -> str:
    """The chart as an SVG document (a string that starts with ``<svg``).

    Parameters
    ----------
    chart : Altair chart or Vega-Lite spec (dict)
        What to draw.

    Returns
    -------
    str
        The SVG.
    """
    import vl_convert

    spec = _spec(chart)
    return vl_convert.vegalite_to_svg(spec, vl_version=vl_version(spec))


def to_vega(chart: Spec, *, major: int | None = None) -> dict[str, Any]:
    """The chart compiled from Vega-Lite to Vega (for a page that draws it with Vega-Embed).

    Parameters
    ----------
    chart : Altair chart or Vega-Lite spec (dict)
        What to compile.
    major : int, optional
        The Vega-Lite major version of a spec without ``$schema`` (see :func:`vl_version`).

    Returns
    -------
    dict
        The Vega specification.

    Raises
    ------
    ValueError
        The Vega-Lite compiler refused the specification (its message says why).
    """
    import vl_convert

    spec = _spec(chart)
    return vl_convert.vegalite_to_vega(spec, vl_version=vl_version(spec, major=major))


def vega_bundle(snippet: str) -> str:
    """A JavaScript module bundling Vega, Vega-Lite and Vega-Embed with ``snippet`` (offline).

    Parameters
    ----------
    snippet : str
        JavaScript that uses ``vegaEmbed`` (imported for it).

    Returns
    -------
    str
        The bundle, to inline as ``<script type="module">``.
    """
    import vl_convert

    return vl_convert.javascript_bundle(snippet)


def save(chart: alt.TopLevelMixin, path: str | Path, *, scale: float = 2.0) -> Path:
    """Write a chart to PNG, SVG, PDF, HTML or JSON (by the file's suffix), offline.

    Rendering goes through vl-convert (no browser, no network); the HTML file bundles
    the Vega JavaScript, so it opens without internet access.

    Parameters
    ----------
    chart : Altair chart
        Any chart of :mod:`workbench.charts` (or any Altair top-level chart).
    path : str or Path
        Ends in ``.png``, ``.svg``, ``.pdf``, ``.html`` or ``.json``.
    scale : float
        Pixel scale of PNG output (2 = sharp on high-density screens).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from workbench.charts import code_frequencies
    >>> codings = pd.DataFrame({"unit_id": ["a"], "coder": ["al"], "code": ["defensive"]})
    >>> out = save(code_frequencies(codings), pathlib.Path(tempfile.mkdtemp()) / "codes.svg")
    >>> out.read_text()[:4]
    '<svg'
    """
    if not isinstance(chart, alt.TopLevelMixin):
        raise TypeError(f"chart must be an Altair chart (e.g. from workbench.charts), not {type(chart).__name__}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"the file suffix={suffix!r} is not valid; choose one of {list(FORMATS)}")
    import vl_convert as vlc

    spec = chart.to_dict()
    version = vl_version(spec)
    if suffix == ".json":
        path.write_text(json.dumps(spec, indent=2, ensure_ascii=False), encoding="utf-8")
    elif suffix == ".png":
        path.write_bytes(vlc.vegalite_to_png(spec, vl_version=version, scale=scale))
    elif suffix == ".svg":
        path.write_text(vlc.vegalite_to_svg(spec, vl_version=version), encoding="utf-8")
    elif suffix == ".pdf":
        path.write_bytes(vlc.vegalite_to_pdf(spec, vl_version=version))
    else:
        path.write_text(_html(vlc.vegalite_to_html(spec, vl_version=version, bundle=True), spec), encoding="utf-8")
    return path


_SPEC_LINE = "const spec = "


def _html(page: str, spec: Mapping[str, Any]) -> str:
    """vl-convert's standalone page with its specification written by :func:`escape.json_for_script`.

    vl-convert puts the specification into an inline ``<script>`` as plain JSON, where a
    ``</script>`` or ``<!--<script>`` in a label would end the element or hide its end.
    The specification is one line of compact JSON (no raw line break) after ``</head>``.
    """
    start = page.find(_SPEC_LINE, max(page.find("</head>"), 0))
    end = page.find("\n", start)
    literal = page[start + len(_SPEC_LINE) : end].rstrip().removesuffix(";") if start >= 0 and end > 0 else ""
    try:
        same = json.loads(literal) == json.loads(json.dumps(spec))
    except ValueError:
        same = False
    if not same:  # pragma: no cover - a vl-convert whose page has another shape
        raise RuntimeError("vl-convert's HTML page has changed shape: cannot place the chart's specification safely")
    return page[: start + len(_SPEC_LINE)] + escape.json_for_script(spec) + ";" + page[end:]
