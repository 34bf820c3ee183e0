"""XML helpers shared by the REFI-QDA readers and writers.

Parsing goes through :mod:`defusedxml` with DTDs forbidden (no entity expansion, no
external resources), streamed in chunks with the limits of
:mod:`workbench.interchange.limits` enforced as it goes (size, number of elements,
nesting), so that no XML document is held or built beyond them. Building uses
:mod:`xml.etree.ElementTree`, whose serialiser escapes ``<``, ``&`` and quotes. Text that
XML cannot hold is dropped by :func:`workbench.escape.xml_text` before it is put into an
element or attribute.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import defusedxml.ElementTree as SafeET

from ..errors import CodebookError, WorkbenchError
from .limits import LimitError, check_limit, resolve_limits

__all__ = ["ORIGIN", "normal_guid", "local", "children", "child", "parse_xml", "parse_chunks", "serialise"]

#: What the workbench writes into ``origin`` attributes.
ORIGIN = "workbench"

_CHUNK = 1 << 20


def normal_guid(value: str | None) -> str | None:
    """A GUID without braces, lower case (ATLAS.ti writes ``{…}`` and upper case); None if not a GUID.

    Examples
    --------
    >>> normal_guid("{0E1C2B7A-5D2E-4C55-9B1E-3F6A8C2D4E02}")
    '0e1c2b7a-5d2e-4c55-9b1e-3f6a8c2d4e02'
    >>> normal_guid("not a guid") is None
    True
    """
    if value is None or len(value) > 80:
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
    return [c for c in el if isinstance(c.tag, str) and local(c.tag) == name]


def child(el: ET.Element, name: str) -> ET.Element | None:
    """The first child element called ``name``, or None."""
    found = children(el, name)
    return found[0] if found else None


class _BoundedBuilder:
    """A tree builder that counts elements and nesting as the parser goes, and stops beyond the limits."""

    def __init__(self, limits: Mapping[str, int], where: str | None, what: str):
        self._builder = ET.TreeBuilder()
        self._limits = limits
        self._max_depth = limits["max_xml_depth"]
        self._max_elements = limits["max_xml_elements"]
        self._where = where
        self._what = what
        self.depth = 0
        self.elements = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self.depth += 1
        self.elements += 1
        if self.depth > self._max_depth or self.elements > self._max_elements:  # the message only when it is needed
            check_limit(self._limits, "max_xml_depth", self.depth,
                        f"the {self._what} nests elements more than {self._max_depth:,} deep", path=self._where)
            check_limit(self._limits, "max_xml_elements", self.elements,
                        f"the {self._what} has more than {self._max_elements:,} elements", path=self._where)
        return self._builder.start(tag, attrs)

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return self._builder.end(tag)

    def data(self, data: str) -> None:
        self._builder.data(data)

    def close(self) -> ET.Element:
        return self._builder.close()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def parse_chunks(
    chunks: Iterable[bytes], what: str, *, where: str | None = None, limits: Mapping[str, int] | None = None
) -> ET.Element:
    """Parse XML fed in chunks with defusedxml (DTDs forbidden), within the limits.

    Parameters
    ----------
    chunks : iterable of bytes
        The document, in pieces (a file or a zip member read as it streams).
    what : str
        What the document should be (``"codebook"``, ``"project"``), named in errors.
    where : str, optional
        The file (and member) it comes from, named in errors.
    limits : mapping, optional
        Limits in force (:func:`~workbench.interchange.limits.resolve_limits`).

    Returns
    -------
    Element
        The root element.

    Raises
    ------
    LimitError
        Beyond ``max_xml_bytes``, ``max_xml_elements`` or ``max_xml_depth``.
    CodebookError
        Not well-formed XML (with its line), or a DTD or entity declaration.

    Examples
    --------
    >>> parse_chunks([b"<a><b/>", b"</a>"], "test").tag
    'a'
    >>> parse_chunks([b"<a>" * 300], "test", where="deep.xml")
    Traceback (most recent call last):
    ...
    workbench.interchange.limits.LimitError: deep.xml: the test nests elements more than 200 deep; ...
    """
    lims = resolve_limits(None) if limits is None else limits
    builder = _BoundedBuilder(lims, where, what)
    parser = SafeET.DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    size = 0
    try:
        for chunk in chunks:
            size += len(chunk)
            check_limit(lims, "max_xml_bytes", size, f"the {what} is larger than {lims['max_xml_bytes']:,} bytes",
                        path=where)
            parser.feed(chunk)
        root = parser.close()
    except (LimitError, WorkbenchError):
        raise
    except ET.ParseError as exc:
        line = getattr(exc, "position", (None,))[0]
        raise CodebookError(f"not well-formed XML: {exc}", path=where, line=line) from None
    except Exception as exc:  # defusedxml's DTDForbidden, EntitiesForbidden, ...
        if type(exc).__module__.startswith("defusedxml"):
            raise CodebookError(
                f"refused: the {what} declares a DTD or entities ({type(exc).__name__}); REFI-QDA files need neither",
                path=where,
            ) from None
        if isinstance(exc, (ValueError, UnicodeError, LookupError)):  # e.g. an unknown encoding declared
            raise CodebookError(f"not readable XML: {exc}", path=where) from None
        raise
    if not isinstance(root, ET.Element):
        raise CodebookError(f"the {what} holds no XML element", path=where)
    return root


def parse_xml(
    source: str | Path | bytes, what: str, *, limits: Mapping[str, int] | None = None
) -> tuple[ET.Element, str | None]:
    """Parse XML from a path, bytes or text with defusedxml (DTDs forbidden), within the limits.

    Parameters
    ----------
    source : str, Path or bytes
        A file path, or the XML itself (text starting with ``<``, or bytes).
    what : str
        What the file should be (``"codebook"``, ``"project"``), named in errors.
    limits : mapping, optional
        Limits in force (see :mod:`workbench.interchange.limits`).

    Returns
    -------
    tuple
        The root element and the file's path (None when the XML was given directly).

    Raises
    ------
    WorkbenchError
        No such file, or not a file.
    LimitError
        Beyond a limit of :mod:`workbench.interchange.limits`.
    CodebookError
        Not well-formed XML (with its line), or a DTD or entity declaration.
    """
    lims = resolve_limits(None) if limits is None else limits
    if isinstance(source, bytes):
        return parse_chunks([source], what, limits=lims), None
    if isinstance(source, Path) or not source.lstrip().startswith("<"):
        path = Path(source)
        where = str(source)
        try:
            if not path.is_file():
                raise WorkbenchError(f"no {what} file at {where}" if not path.exists() else f"{where} is not a file")
            size = path.stat().st_size
            check_limit(lims, "max_xml_bytes", size, f"the {what} file is {size:,} bytes", path=where)
            return parse_chunks(_file_chunks(path), what, where=where, limits=lims), where
        except OSError as exc:
            raise WorkbenchError(f"cannot read the {what} file {where}: {exc.strerror or exc}") from None
    return parse_chunks([source.encode("utf-8")], what, limits=lims), None


def serialise(root: ET.Element) -> str:
    """XML text; elements are unqualified and the root carries ``xmlns`` (the default namespace)."""
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"
