"""REFI-QDA codebooks (``.qdc``): the codebook exchanged with ATLAS.ti, MAXQDA, NVivo, QDA Miner, ...

XML, root ``CodeBook`` in namespace ``urn:QDA-XML:codebook:1.0``. Codes keep stable
GUIDs across codebook versions (a code's GUID survives renames), the hierarchy is nested
``Code`` elements, groups are ``Sets``, and each code's definition, rules and anchor
examples are packed readably into its ``Description``. A ``.qdpx`` project holds the same
codebook (:mod:`workbench.interchange.qdpx` uses the element builders and reader here).

XML is parsed with :mod:`defusedxml` (no DTDs, no entity expansion); text goes through
:func:`workbench.escape.xml_text`.
"""

from __future__ import annotations

import json
import re
import warnings
import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..codebook import COLOR_PATTERN, Code, Codebook, CodeGroup, Example, code_guid, group_guid, slugify
from ..errors import CodebookError, located
from ..escape import xml_text
from ..identifiers import MAX_NAME_LENGTH
from ._files import atomic_write
from ._xml import ORIGIN, child, children, local, normal_guid, parse_xml, serialise
from .limits import resolve_limits

__all__ = [
    "CODEBOOK_NS",
    "write_qdc",
    "read_qdc",
    "code_elements",
    "set_elements",
    "code_guids",
    "codebook_from_element",
]

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_MARKERS = ("Include:", "Exclude:", "Examples:", "Near misses:", "Code name:", "Shortcut:", "Patterns:")
_GROUP_MARK = re.compile(r"^Workbench group: (?P<name>\S+), (?P<kind>exclusive|multi-label)\b.*$", re.M)


# --- descriptions ---------------------------------------------------------------------------
def _describe(code: Code) -> str:
    """Definition, rules and examples as readable text for a REFI-QDA ``Description``."""
    parts = [code.definition.strip()]
    if code.include.strip():
        parts.append(f"Include: {code.include.strip()}")
    if code.exclude.strip():
        parts.append(f"Exclude: {code.exclude.strip()}")
    for title, examples in (("Examples", code.examples), ("Near misses", code.near_misses)):
        if examples:
            lines = [f"{title}:"]
            for e in examples:
                line = "- " + json.dumps(e.text, ensure_ascii=False)
                if e.unit:
                    line += f" [unit {e.unit}]"
                if e.note:
                    line += " — " + " ".join(e.note.split())
                lines.append(line)
            parts.append("\n".join(lines))
    meta = [f"Code name: {code.name}"]
    if code.shortcut:
        meta.append(f"Shortcut: {code.shortcut}")
    if code.patterns:
        meta.append("Patterns: " + json.dumps(list(code.patterns), ensure_ascii=False))
    parts.append("\n".join(meta))
    return xml_text("\n\n".join(p for p in parts if p))


_EXAMPLE_TAIL = re.compile(r"^\s*(?:\[unit (?P<unit>[^\]]*)\])?\s*(?:— (?P<note>.*))?$")


def _parse_examples(body: str) -> tuple[Example, ...]:
    out = []
    decoder = json.JSONDecoder()
    for line in body.splitlines():
        line = line.strip()
        if not line.startswith("- "):
            continue
        rest = line[2:].strip()
        try:
            text, end = decoder.raw_decode(rest)
            tail = rest[end:]
        except json.JSONDecodeError:
            text, tail = rest.strip('"“”'), ""
        m = _EXAMPLE_TAIL.match(tail)
        unit = m.group("unit") if m else None
        note = m.group("note") if m else None
        out.append(Example(text=str(text), unit=unit or None, note=note or None))
    return tuple(out)


def _parse_description(text: str) -> dict[str, Any]:
    """The fields packed by :func:`_describe`; a foreign description is all definition."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.splitlines():
        marker = next((m for m in _MARKERS if line.startswith(m)), None)
        if marker is not None:
            current = marker
            sections[current] = [line[len(marker) :].strip()]
        else:
            sections.setdefault(current, []).append(line)

    def joined(key: str) -> str:
        return "\n".join(sections.get(key, [])).strip()

    out: dict[str, Any] = {
        "definition": joined(""),
        "include": joined("Include:"),
        "exclude": joined("Exclude:"),
        "examples": _parse_examples(joined("Examples:")),
        "near_misses": _parse_examples(joined("Near misses:")),
    }
    if joined("Code name:"):
        out["name"] = joined("Code name:").split()[0]
    if joined("Shortcut:"):
        out["shortcut"] = joined("Shortcut:")
    if joined("Patterns:"):
        try:
            out["patterns"] = tuple(json.loads(joined("Patterns:")))
        except json.JSONDecodeError:
            pass
    return out


def _describe_group(group: CodeGroup) -> str:
    kind = "exclusive (one code per unit)" if group.exclusive else "multi-label (any number per unit)"
    parts = [group.description.strip(), f"Workbench group: {group.name}, {kind}"]
    return xml_text("\n\n".join(p for p in parts if p))


# --- writing codebooks ----------------------------------------------------------------------
def code_elements(parent: ET.Element, cb: Codebook, guids: Mapping[str, str]) -> None:
    """Add the codes of ``cb`` under ``parent`` as nested ``Code`` elements (the hierarchy).

    Parameters
    ----------
    parent : Element
        The ``Codes`` element.
    cb : Codebook
        The codebook.
    guids : mapping
        Code name to GUID.

    Returns
    -------
    None
    """
    names = set(cb.names)

    def add(into: ET.Element, code: Code, seen: set[str]) -> None:
        seen.add(code.name)
        attrs = {
            "guid": guids[code.name],
            "name": xml_text(code.label or code.name),
            "isCodable": "true" if code.codable else "false",
        }
        if code.color and COLOR_PATTERN.match(code.color):
            attrs["color"] = code.color
        el = ET.SubElement(into, "Code", attrs)
        ET.SubElement(el, "Description").text = _describe(code)
        for sub in cb.codes:
            if sub.parent == code.name and sub.name not in seen:
                add(el, sub, seen)

    seen: set[str] = set()
    for code in cb.codes:
        if (code.parent is None or code.parent not in names) and code.name not in seen:
            add(parent, code, seen)
    for code in cb.codes:  # anything left (a cycle) at the top level
        if code.name not in seen:
            add(parent, code, seen)


def set_elements(root: ET.Element, cb: Codebook, guids: Mapping[str, str], *, member: str) -> None:
    """Add the groups of ``cb`` that have codes as a ``Sets`` element under ``root``.

    Parameters
    ----------
    root : Element
        The ``CodeBook`` (or ``Project``) element.
    cb : Codebook
        The codebook.
    guids : mapping
        Code name to GUID.
    member : str
        The attribute of ``MemberCode`` naming the code: ``guid`` in a codebook,
        ``targetGUID`` in a project.

    Returns
    -------
    None
    """
    groups = [g for g in cb.groups if any(c.group == g.name for c in cb.codes)]
    if not groups:
        return
    sets = ET.SubElement(root, "Sets")
    for g in groups:
        s = ET.SubElement(sets, "Set", {"guid": group_guid(cb.name, g.name), "name": xml_text(g.label or g.name)})
        ET.SubElement(s, "Description").text = _describe_group(g)
        for c in cb.codes:
            if c.group == g.name:
                ET.SubElement(s, "MemberCode", {member: guids[c.name]})


def code_guids(cb: Codebook) -> dict[str, str]:
    """Each code's GUID: its stored one, else the deterministic one."""
    return {c.name: c.guid or code_guid(cb.name, c.name) for c in cb.codes}


def _codebook_root(cb: Codebook) -> ET.Element:
    guids = code_guids(cb)
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": f"{ORIGIN} (codebook {cb.name})"})
    code_elements(ET.SubElement(root, "Codes"), cb, guids)
    set_elements(root, cb, guids, member="guid")
    return root


def write_qdc(codebook: Codebook, path: str | Path | None = None) -> str:
    """The codebook as REFI-QDA codebook XML; written to ``path`` (a ``.qdc`` file) when given.

    Parameters
    ----------
    codebook : Codebook
        The codebook (at least one code).
    path : str or Path, optional
        The ``.qdc`` file to write.

    Returns
    -------
    str
        The XML text (also when it was written to ``path``).

    Examples
    --------
    >>> cb = Codebook.from_dict({"name": "demo", "groups": [{"name": "stance", "exclusive": True}],
    ...     "codes": [{"name": "validating", "label": "Validating", "definition": "Believes it.",
    ...                "group": "stance", "color": "#1b9e77"}]})
    >>> xml = write_qdc(cb)
    >>> xml.splitlines()[1]
    '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="workbench (codebook demo)">'
    >>> read_qdc(xml) == cb.with_guids()
    True
    """
    if not isinstance(codebook, Codebook):
        raise TypeError(f"write_qdc takes a workbench.Codebook, not {type(codebook).__name__}")
    if not codebook.codes:
        raise CodebookError("a REFI-QDA codebook needs at least one code", path=codebook.path)
    text = serialise(_codebook_root(codebook))
    if path is not None:
        atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"), private=False)
    return text


# --- reading codebooks ----------------------------------------------------------------------
def _slug(label: str) -> str:
    """A code or group name made from another tool's label, within the length of a name."""
    return slugify(label)[: MAX_NAME_LENGTH - 4].strip("-") or "code"


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        taken.add(name)
        return name
    i = 2
    while f"{name}-{i}" in taken:
        i += 1
    taken.add(f"{name}-{i}")
    return f"{name}-{i}"


def codebook_from_element(root: ET.Element, *, name: str | None, where: str | None) -> Codebook:
    """The codebook held by a ``CodeBook`` element (codebook or project namespace).

    Parameters
    ----------
    root : Element
        A ``CodeBook`` element with ``Codes`` (nested) and, optionally, ``Sets``.
    name : str, optional
        The codebook's name (default: the one the workbench wrote in ``origin``, else the
        file name).
    where : str, optional
        The file it came from, named in warnings and errors.

    Returns
    -------
    Codebook
        A valid codebook (the first problem is raised as a :class:`CodebookError`).
    """
    codes_el = child(root, "Codes")
    if codes_el is None:
        raise CodebookError("no <Codes> element: not a REFI-QDA codebook", path=where)
    taken: set[str] = set()
    by_guid: dict[str, str] = {}
    codes: list[Code] = []
    missing_def: list[str] = []

    def visit(el: ET.Element, parent: str | None) -> None:
        label = (el.get("name") or "").strip()
        guid = normal_guid(el.get("guid"))
        desc_el = child(el, "Description")
        desc = _parse_description(desc_el.text or "") if desc_el is not None else {"definition": ""}
        slug = desc.pop("name", None) or _slug(label)
        slug = _unique(slug, taken)
        color = el.get("color")
        if color is not None and not COLOR_PATTERN.match(color):
            warnings.warn(
                located(f"colour {color!r} is not #rrggbb; dropped", path=where or "codebook", code=label, field="color"),
                stacklevel=4,
            )
            color = None
        codable = (el.get("isCodable") or "true").strip().lower() in ("true", "1")
        definition = desc.pop("definition", "")
        if not definition:
            missing_def.append(label or slug)
            definition = f"(no definition in the imported codebook{f' {where}' if where else ''}; write one before coding)"
        code = Code(
            name=slug,
            label=label or slug,
            definition=definition,
            parent=parent,
            color=color,
            guid=guid,
            codable=codable,
            **desc,
        )
        codes.append(code)
        if guid:
            by_guid[guid] = slug
        for sub in children(el, "Code"):
            visit(sub, slug)

    for el in children(codes_el, "Code"):
        visit(el, None)
    if missing_def:
        warnings.warn(
            located(
                f"{len(missing_def)} code(s) have no definition ({', '.join(missing_def[:5])}"
                f"{', …' if len(missing_def) > 5 else ''}); a placeholder says so",
                path=where or "codebook",
            ),
            stacklevel=3,
        )

    groups: list[CodeGroup] = []
    code_group: dict[str, str] = {}
    sets_el = child(root, "Sets")
    gtaken: set[str] = set()
    for s in children(sets_el, "Set") if sets_el is not None else []:
        label = (s.get("name") or "").strip()
        desc_el = child(s, "Description")
        desc = (desc_el.text or "").strip() if desc_el is not None else ""
        m = _GROUP_MARK.search(desc)
        gname = _unique(m.group("name") if m else _slug(label), gtaken)
        exclusive = bool(m and m.group("kind") == "exclusive")
        desc = _GROUP_MARK.sub("", desc).strip()
        groups.append(CodeGroup(name=gname, label=label if label != gname else "", exclusive=exclusive, description=desc))
        for member in children(s, "MemberCode"):
            target = by_guid.get(normal_guid(member.get("guid") or member.get("targetGUID")) or "")
            if target is None:
                continue
            if target in code_group:
                warnings.warn(
                    located(
                        f"belongs to the sets {code_group[target]!r} and {gname!r}; "
                        f"a workbench code has one group, so it stays in {code_group[target]!r}",
                        path=where or "codebook",
                        code=target,
                    ),
                    stacklevel=3,
                )
                continue
            code_group[target] = gname
    codes = [Code(**{**c.__dict__, "group": code_group.get(c.name)}) for c in codes]
    origin = root.get("origin") or ""
    m = re.search(r"\(codebook (?P<name>[^)\s]+)\)", origin)
    cb_name = name or (m.group("name") if m else None) or (_slug(Path(where).stem) if where else "imported")
    cb = Codebook(name=cb_name, codes=tuple(codes), groups=tuple(groups), path=where)
    problems = cb.problems()
    if problems:
        raise problems[0]
    return cb


def read_qdc(
    source: str | Path | bytes, *, name: str | None = None, limits: Mapping[str, int] | None = None
) -> Codebook:
    """Read a REFI-QDA codebook (``.qdc``) written by the workbench or another QDA program.

    Categories (``isCodable="false"``) become codes with ``codable=False``; ``Sets``
    become groups (multi-label unless the workbench wrote them as exclusive); GUIDs in
    braces or upper case are normalised; a code without a description gets a placeholder
    definition (with a warning) so that the codebook validates.

    Parameters
    ----------
    source : str, Path or bytes
        A file path, or the XML itself.
    name : str, optional
        The codebook's name (default: the one the workbench wrote, else the file name).
    limits : mapping, optional
        Limits raised for this call, e.g. ``{"max_xml_bytes": 2**30}`` (see
        :mod:`workbench.interchange.limits`: the XML is read within its size, number of
        elements and nesting).

    Returns
    -------
    Codebook
        The codebook, validated; codes carry the file's GUIDs.

    Raises
    ------
    CodebookError
        Not well-formed XML, a DTD or entities, another root element, or a codebook that
        breaks a rule (file, line and field named).
    LimitError
        Beyond a limit of :mod:`workbench.interchange.limits` (the file and the limit named).
    """
    root, where = parse_xml(source, "codebook", limits=resolve_limits(limits))
    if local(root.tag) != "CodeBook":
        raise CodebookError(f"the root element is <{local(root.tag)}>, not <CodeBook>: not a REFI-QDA codebook", path=where)
    return codebook_from_element(root, name=name, where=where)

