"""XML helpers shared by the REFI-QDA readers and writers.

Parsing goes through :mod:`defusedxml` with DTDs forbidden (no entity expansion, no
external resources); building uses :mod:`xml.etree.ElementTree`, whose serialiser escapes
``<``, ``&`` and quotes. Text that XML cannot hold is dropped by
:func:`workbench.escape.xml_text` before it is put into an element or attribute.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml
from pathlib import Path

import defusedxml.ElementTree as SafeET

from ..errors import CodebookError, WorkbenchError

__all__ = ["ORIGIN", "normal_guid", "local", "children", "child", "parse_xml", "serialise"]

#: What the workbench writes into ``origin`` attributes.
ORIGIN = "workbench"


def normal_guid(value: str | None) -> str | None:
    """A GUID without braces, lower case (ATLAS.ti writes ``{…}`` and upper case); None if not a GUID.

    Examples
    --------
    >>> normal_guid("{0E1C2B7A-5D2E-4C55-9B1E-3F6A8C2D4E02}")
    '0e1c2b7a-5d2e-4c55-9b1e-3f6a8c2d4e02'
    >>> normal_guid("not a guid") is None
    True
    """
    if value is None:
        return None
    text = value.strip().strip("{}").lower()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def children(el: ET.Element, name: str) -> list[ET.Element]:
    """The child elements called ``name`` (in any namespace)."""
    return [c for c in el if local(c.tag) == name]


def child(el: ET.Element, name: str) -> ET.Element | None:
    """The first child element called ``name``, or None."""
    found = children(el, name)
    return found[0] if found else None


def parse_xml(source: str | Path | bytes, what: str) -> tuple[ET.Element, str | None]:
    """Parse XML from a path, bytes or text with defusedxml (DTDs forbidden).

    Parameters
    ----------
    source : str, Path or bytes
        A file path, or the XML itself (text starting with ``<``, or bytes).
    what : str
        What the file should be (``"codebook"``, ``"project"``), named in errors.

    Returns
    -------
    tuple
        The root element and the file's path (None when the XML was given directly).

    Raises
    ------
    WorkbenchError
        No such file.
    CodebookError
        Not well-formed XML (with its line), or a DTD or entity declaration.
    """
    where: str | None = None
    try:
        if isinstance(source, bytes):
            return SafeET.fromstring(source, forbid_dtd=True), None
        if isinstance(source, Path) or not source.lstrip().startswith("<"):
            where = str(source)
            data = Path(source).read_bytes()
            return SafeET.fromstring(data, forbid_dtd=True), where
        return SafeET.fromstring(source.encode("utf-8"), forbid_dtd=True), None
    except FileNotFoundError:
        raise WorkbenchError(f"no {what} file at {where}") from None
    except ET.ParseError as exc:
        line = getattr(exc, "position", (None,))[0]
        raise CodebookError(f"not well-formed XML: {exc}", path=where, line=line) from None
    except Exception as exc:  # defusedxml's DTDForbidden, EntitiesForbidden, ...
        if type(exc).__module__.startswith("defusedxml"):
            raise CodebookError(
                f"refused: the {what} declares a DTD or entities ({type(exc).__name__}); REFI-QDA files need neither",
                path=where,
            ) from None
        raise


def serialise(root: ET.Element) -> str:
    """XML text; elements are unqualified and the root carries ``xmlns`` (the default namespace)."""
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"
