r"""Escaping, in one place: thread text is untrusted and is escaped exactly once on its way out.

Each function takes text as the store holds it (plain, unescaped) and returns it safe for
one destination. Callers escape at the boundary where text becomes markup, never earlier,
so nothing is escaped twice.

* :func:`html` for HTML element content and attribute values (quotes escaped too);
* :func:`markdown` for a Markdown paragraph or table cell (HTML special characters and
  Markdown's own, on one line);
* :func:`xml_text` for XML 1.0 character data (characters XML cannot hold dropped; the
  serialiser escapes ``<``, ``&`` and quotes);
* :func:`json_for_script` for JSON embedded in an HTML ``<script>`` element: no sequence
  in the data can close the element or open a comment (``<``, ``>``, ``&``, U+2028 and
  U+2029 become ``\u`` escapes).

Examples
--------
>>> from workbench import escape
>>> escape.html('<img src=x onerror="alert(1)">')
'&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
>>> escape.markdown("a | b *c*\nd")
'a \\| b \\*c\\* d'
>>> escape.json_for_script({"t": "</script><!--"})
'{"t":"\\u003c/script\\u003e\\u003c!--"}'
"""

from __future__ import annotations

import html as _html
import json
import re
from typing import Any

__all__ = ["html", "markdown", "xml_text", "json_for_script"]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#<>])")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_RE = re.compile("[<>&\u2028\u2029]")


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def html(value: Any) -> str:
    """Text for HTML content or a quoted attribute value (``& < > " '`` escaped).

    ``None`` becomes the empty string.
    """
    return _html.escape(_str(value), quote=True)


def markdown(value: Any) -> str:
    r"""Text for a Markdown paragraph or table cell, on one line.

    HTML special characters are escaped (Markdown renderers pass HTML through), then
    Markdown's own (``\ ` * _ [ ] | # < >``) are backslash-escaped; line breaks and runs
    of white space become one space.
    """
    out = _html.escape(_str(value), quote=False)
    out = _MD_SPECIAL.sub(r"\\\1", out)
    return " ".join(out.split())


def xml_text(value: Any) -> str:
    """Text XML 1.0 can hold: control characters, lone surrogates and U+FFFE/U+FFFF dropped.

    The XML serialiser (``xml.etree``) escapes ``<``, ``&`` and quotes itself; this only
    removes what no escaping can represent.
    """
    return _XML_BAD.sub("", _str(value))


def json_for_script(value: Any) -> str:
    """JSON to place inside ``<script>…</script>``: nothing in it can end or comment out the element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return _SCRIPT_RE.sub(lambda m: _SCRIPT_UNSAFE[m.group(0)], text)
