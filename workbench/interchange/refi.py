"""REFI-QDA exchange: codebooks (``.qdc``) and projects (``.qdpx``).

The REFI-QDA standard (www.qdasoftware.org) lets QDA programs (ATLAS.ti, MAXQDA, NVivo,
QDA Miner, Transana, ...) exchange codebooks and coded projects.

* ``.qdc``: XML, root ``CodeBook`` in namespace ``urn:QDA-XML:codebook:1.0``. Codes keep
  stable GUIDs across codebook versions (a code's GUID survives renames), the hierarchy
  is nested ``Code`` elements, groups are ``Sets``, and each code's definition, rules and
  anchor examples are packed readably into its ``Description``.
* ``.qdpx``: a zip with ``project.qde`` (root ``Project``, namespace
  ``urn:QDA-XML:project:1.0``) and a lowercase ``sources/`` folder. Each thread is one
  ``TextSource`` (its units one after the other, each under a ``[unit …]`` header);
  codings are ``PlainTextSelection`` elements with **character offsets** (Python string
  indices, i.e. Unicode code points) into that plain text.

XML is parsed with :mod:`defusedxml` (no DTDs, no entity expansion).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
import warnings
import zipfile
import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import defusedxml.ElementTree as SafeET
import pandas as pd

from ..codebook import GUID_NAMESPACE, Code, Codebook, CodeGroup, Example, code_guid, group_guid, slugify
from ..errors import CodebookError, WorkbenchError
from ..sentinels import ALL_ROUNDS

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

__all__ = [
    "CODEBOOK_NS",
    "PROJECT_NS",
    "RefiProject",
    "write_qdc",
    "read_qdc",
    "write_qdpx",
    "read_qdpx",
    "import_qdpx",
]

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
_ORIGIN = "workbench"
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MARKERS = ("Include:", "Exclude:", "Examples:", "Near misses:", "Code name:", "Shortcut:", "Patterns:")
_GROUP_MARK = re.compile(r"^Workbench group: (?P<name>\S+), (?P<kind>exclusive|multi-label)\b.*$", re.M)


def _xml_text(text: str) -> str:
    """Text that XML 1.0 can hold (control characters dropped)."""
    return _XML_BAD.sub("", text)


def _guid(value: str | None) -> str | None:
    """A GUID without braces, lower case (ATLAS.ti writes ``{…}`` and upper case)."""
    if value is None:
        return None
    text = value.strip().strip("{}").lower()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    found = _children(el, name)
    return found[0] if found else None


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
    return _xml_text("\n\n".join(p for p in parts if p))


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
    return _xml_text("\n\n".join(p for p in parts if p))


# --- writing codebooks ----------------------------------------------------------------------
def _code_elements(parent: ET.Element, cb: Codebook, ns: str, guids: Mapping[str, str]) -> None:
    names = set(cb.names)

    def add(into: ET.Element, code: Code, seen: set[str]) -> None:
        seen.add(code.name)
        attrs = {"guid": guids[code.name], "name": _xml_text(code.label or code.name), "isCodable": "true" if code.codable else "false"}
        if code.color and _COLOR.match(code.color):
            attrs["color"] = code.color
        el = ET.SubElement(into, "Code", attrs)
        ET.SubElement(el, "Description").text = _describe(code)
        for child in cb.codes:
            if child.parent == code.name and child.name not in seen:
                add(el, child, seen)

    seen: set[str] = set()
    for code in cb.codes:
        if (code.parent is None or code.parent not in names) and code.name not in seen:
            add(parent, code, seen)
    for code in cb.codes:  # anything left (a cycle) at the top level
        if code.name not in seen:
            add(parent, code, seen)


def _codebook_root(cb: Codebook) -> ET.Element:
    ns = CODEBOOK_NS
    guids = {c.name: c.guid or code_guid(cb.name, c.name) for c in cb.codes}
    root = ET.Element("CodeBook", {"xmlns": ns, "origin": f"{_ORIGIN} (codebook {cb.name})"})
    codes = ET.SubElement(root, "Codes")
    _code_elements(codes, cb, ns, guids)
    groups = [g for g in cb.groups if any(c.group == g.name for c in cb.codes)]
    if groups:
        sets = ET.SubElement(root, "Sets")
        for g in groups:
            s = ET.SubElement(sets, "Set", {"guid": group_guid(cb.name, g.name), "name": _xml_text(g.label or g.name)})
            ET.SubElement(s, "Description").text = _describe_group(g)
            for c in cb.codes:
                if c.group == g.name:
                    ET.SubElement(s, "MemberCode", {"guid": guids[c.name]})
    return root


def _serialise(root: ET.Element) -> str:
    """XML text; elements are unqualified and the root carries ``xmlns`` (the default namespace)."""
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def write_qdc(codebook: Codebook, path: str | Path | None = None) -> str:
    """The codebook as REFI-QDA codebook XML; written to ``path`` (a ``.qdc`` file) when given.

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
    text = _serialise(_codebook_root(codebook))
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


# --- reading codebooks ----------------------------------------------------------------------
def _parse_xml(source: str | Path | bytes, what: str) -> tuple[ET.Element, str | None]:
    """Parse XML from a path, bytes or text with defusedxml (DTDs forbidden)."""
    where: str | None = None
    try:
        if isinstance(source, bytes):
            return SafeET.fromstring(source, forbid_dtd=True), None
        if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("<")):
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


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        taken.add(name)
        return name
    i = 2
    while f"{name}-{i}" in taken:
        i += 1
    taken.add(f"{name}-{i}")
    return f"{name}-{i}"


def _codebook_from(root: ET.Element, *, name: str, where: str | None) -> Codebook:
    """Codes (nested) and sets of a ``CodeBook`` element (codebook or project namespace)."""
    codes_el = _child(root, "Codes")
    if codes_el is None:
        raise CodebookError("no <Codes> element: not a REFI-QDA codebook", path=where)
    taken: set[str] = set()
    by_guid: dict[str, str] = {}
    codes: list[Code] = []
    missing_def: list[str] = []

    def visit(el: ET.Element, parent: str | None) -> None:
        label = (el.get("name") or "").strip()
        guid = _guid(el.get("guid"))
        desc_el = _child(el, "Description")
        desc = _parse_description(desc_el.text or "") if desc_el is not None else {"definition": ""}
        slug = desc.pop("name", None) or slugify(label)
        slug = _unique(slug, taken)
        color = el.get("color")
        if color is not None and not _COLOR.match(color):
            warnings.warn(f"{where or 'codebook'}: code {label!r}: colour {color!r} is not #rrggbb; dropped", stacklevel=4)
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
        for child in _children(el, "Code"):
            visit(child, slug)

    for el in _children(codes_el, "Code"):
        visit(el, None)
    if missing_def:
        warnings.warn(
            f"{where or 'codebook'}: {len(missing_def)} code(s) have no definition ({', '.join(missing_def[:5])}"
            f"{', …' if len(missing_def) > 5 else ''}); a placeholder says so",
            stacklevel=3,
        )

    groups: list[CodeGroup] = []
    code_group: dict[str, str] = {}
    sets_el = _child(root, "Sets")
    gtaken: set[str] = set()
    for s in _children(sets_el, "Set") if sets_el is not None else []:
        label = (s.get("name") or "").strip()
        desc_el = _child(s, "Description")
        desc = (desc_el.text or "").strip() if desc_el is not None else ""
        m = _GROUP_MARK.search(desc)
        gname = _unique(m.group("name") if m else slugify(label), gtaken)
        exclusive = bool(m and m.group("kind") == "exclusive")
        desc = _GROUP_MARK.sub("", desc).strip()
        groups.append(CodeGroup(name=gname, label=label if label != gname else "", exclusive=exclusive, description=desc))
        for member in _children(s, "MemberCode"):
            target = by_guid.get(_guid(member.get("guid") or member.get("targetGUID")) or "")
            if target is None:
                continue
            if target in code_group:
                warnings.warn(
                    f"{where or 'codebook'}: code {target!r} is in the sets {code_group[target]!r} and {gname!r}; "
                    f"a workbench code has one group, so it stays in {code_group[target]!r}",
                    stacklevel=3,
                )
                continue
            code_group[target] = gname
    codes = [Code(**{**c.__dict__, "group": code_group.get(c.name)}) for c in codes]
    origin = root.get("origin") or ""
    m = re.search(r"\(codebook (?P<name>[^)\s]+)\)", origin)
    cb_name = name or (m.group("name") if m else None) or (slugify(Path(where).stem) if where else "imported")
    cb = Codebook(name=cb_name, codes=tuple(codes), groups=tuple(groups), path=where)
    problems = cb.problems()
    if problems:
        raise problems[0]
    return cb


def read_qdc(source: str | Path | bytes, *, name: str | None = None) -> Codebook:
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
    """
    root, where = _parse_xml(source, "codebook")
    if _local(root.tag) != "CodeBook":
        raise CodebookError(f"the root element is <{_local(root.tag)}>, not <CodeBook>: not a REFI-QDA codebook", path=where)
    return _codebook_from(root, name=name, where=where)


# --- projects -------------------------------------------------------------------------------
def _uid(kind: str, *parts: Any) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, kind + ":" + "\x1f".join(str(p) for p in parts)))


def _iso(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _thread_text(units: pd.DataFrame, include_authors: bool) -> tuple[str, list[dict[str, Any]]]:
    """A thread as one plain text; returns it and each unit's offsets."""
    pieces: list[str] = []
    pos = 0
    spans: list[dict[str, Any]] = []
    def value(u: pd.Series, key: str) -> str | None:
        v = u.get(key)
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) or v == "" else str(v)

    for _, u in units.iterrows():
        author, parent, status = value(u, "author"), value(u, "parent_id"), value(u, "status") or "ok"
        head = f"[unit {u['unit_id']}"
        if include_authors and author:
            head += f" · {' '.join(author.split())}"
        if parent:
            head += f" · reply to {parent}"
        if status != "ok":
            head += f" · {status}"
        head += "]\n"
        text = value(u, "text") or ""
        start = pos + len(head)
        pieces.append(head + text + "\n\n")
        spans.append(
            {
                "unit_id": str(u["unit_id"]),
                "start": start,
                "end": start + len(text),
                "parent_id": parent,
                "author": (author or "") if include_authors else "",
                "kind": value(u, "kind") or "comment",
                "status": status,
            }
        )
        pos += len(head) + len(text) + 2
    return "".join(pieces), spans


def write_qdpx(
    project: Project,
    path: str | Path,
    *,
    round: Any = ALL_ROUNDS,
    coder: str | Iterable[str] | None = None,
    codebook_version: int | None = None,
    include_authors: bool = True,
    name: str | None = None,
    raw: bool = False,
    key: Any = None,
) -> Path:
    """Export a project as a REFI-QDA project (``.qdpx``).

    Each thread is one text source (its units one after the other, each under a
    ``[unit ID · author]`` header); every current coding is a ``PlainTextSelection``
    with character offsets into that text, made by the coder's ``User``. Groups are
    project-level ``Sets``.

    Parameters
    ----------
    project : Project
    path : str or Path
        The ``.qdpx`` file to write.
    round, coder
        Which codings to export (as :meth:`Project.codings`); default all.
    codebook_version : int, optional
        The codebook to export (default: the newest).
    include_authors : bool
        Put author names in the unit headers (turn off for shared data).
    name : str, optional
        The project name (default: the file's stem).
    raw, key
        Privacy (see :func:`workbench.privacy.export_view`): by default the export holds
        pseudonymised authors and redacted texts (a raw project needs its ``key`` for
        that); ``raw=True`` exports real names and needs the project's key as proof.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    from ..privacy import export_view

    cb = project.codebook(codebook_version)
    view = export_view(project, raw=raw, key=key, coder=coder, round=round)
    codings = view.codings
    cb = _with_missing_codes(project, cb, set(codings["code"]))
    guids = {c.name: c.guid or code_guid(cb.name, c.name) for c in cb.codes}
    units = view.units
    now = _iso(dt.datetime.now(dt.timezone.utc))

    ns = PROJECT_NS
    root = ET.Element(
        "Project",
        {
            "xmlns": ns,
            "name": _xml_text(name or path.stem),
            "origin": f"{_ORIGIN} (codebook {cb.name})",
            "creationDateTime": now,
        },
    )
    coders = sorted(set(codings["coder"]) | set(project.coders()["name"]))
    user_guid = {c: _uid("user", c) for c in coders}
    if coders:
        users = ET.SubElement(root, "Users")
        for c in coders:
            ET.SubElement(users, "User", {"guid": user_guid[c], "name": _xml_text(c)})
    book = ET.SubElement(root, "CodeBook")
    codes_el = ET.SubElement(book, "Codes")
    _code_elements(codes_el, cb, ns, guids)

    files: dict[str, str] = {}
    if not units.empty:
        sources = ET.SubElement(root, "Sources")
        titles = {}
        threads = project.threads()
        if not threads.empty:
            titles = {t: ti for t, ti in zip(threads["thread_id"], threads["title"]) if isinstance(ti, str) and ti}
        by_unit = {}
        skipped = 0
        for thread_id, part in units.groupby("thread_id", sort=False):
            text, spans = _thread_text(part, include_authors)
            sguid = _uid("source", thread_id)
            files[f"sources/{sguid}.txt"] = text
            for s in spans:
                by_unit[s["unit_id"]] = (sguid, s)
            src = ET.SubElement(
                sources,
                "TextSource",
                {
                    "guid": sguid,
                    "name": _xml_text(titles.get(thread_id) or str(thread_id)),
                    "plainTextPath": f"internal://{sguid}.txt",
                    "creationDateTime": now,
                },
            )
            meta = {"thread_id": str(thread_id), "units": spans}
            ET.SubElement(src, "Description").text = _xml_text(
                "Workbench thread (unit offsets are character positions in the plain text):\n"
                + json.dumps(meta, ensure_ascii=False)
            )
            mine = codings[codings["unit_id"].isin(part["unit_id"])]
            keys = ["coder", "round", "unit_id", "span_start", "span_end"]
            for key, rows in mine.groupby(keys, dropna=False, sort=False):
                c_name, rnd, unit_id, s0, s1 = key
                _, s = by_unit[unit_id]
                if pd.isna(s0):
                    start, end = s["start"], s["end"]
                else:
                    start, end = s["start"] + int(s0), s["start"] + int(s1)
                if end <= start:
                    skipped += len(rows)
                    continue
                rnd = None if pd.isna(rnd) else str(rnd)
                sel_attrs = {
                    "guid": _uid("selection", c_name, rnd, unit_id, s0, s1),
                    "name": _xml_text(str(unit_id)),
                    "startPosition": str(start),
                    "endPosition": str(end),
                    "creatingUser": user_guid[c_name],
                }
                first = _iso(rows["at"].min())
                if first:
                    sel_attrs["creationDateTime"] = first
                sel = ET.SubElement(src, "PlainTextSelection", sel_attrs)
                if rnd is not None:
                    ET.SubElement(sel, "Description").text = _xml_text(f"round: {rnd}")
                for _, r in rows.iterrows():
                    attrs = {"guid": _uid("coding", c_name, rnd, unit_id, s0, s1, r["code"]), "creatingUser": user_guid[c_name]}
                    when = _iso(r["at"])
                    if when:
                        attrs["creationDateTime"] = when
                    coding = ET.SubElement(sel, "Coding", attrs)
                    ET.SubElement(coding, "CodeRef", {"targetGUID": guids[r["code"]]})
        if skipped:
            warnings.warn(f"{skipped} coding(s) of empty (deleted) units have no text to select and were left out", stacklevel=2)

    groups = [g for g in cb.groups if any(c.group == g.name for c in cb.codes)]
    if groups:
        sets = ET.SubElement(root, "Sets")
        for g in groups:
            s = ET.SubElement(sets, "Set", {"guid": group_guid(cb.name, g.name), "name": _xml_text(g.label or g.name)})
            ET.SubElement(s, "Description").text = _describe_group(g)
            for c in cb.codes:
                if c.group == g.name:
                    ET.SubElement(s, "MemberCode", {"targetGUID": guids[c.name]})

    xml = _serialise(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", xml.encode("utf-8"))
        for name_, text in files.items():
            z.writestr(name_, text.encode("utf-8"))
    return path


def _with_missing_codes(project: Project, cb: Codebook, used: set[str]) -> Codebook:
    """Add codes that codings use but the exported version lacks (from older versions)."""
    missing = [c for c in sorted(used) if c not in cb]
    if not missing:
        return cb
    extra = []
    versions = sorted(project.codebook_versions()["version"], reverse=True)
    for name in missing:
        found = None
        for v in versions:
            old = project.codebook(int(v))
            if name in old:
                found = old[name]
                break
        if found is None:
            found = Code(name=name, label=name, definition="(not in any stored codebook version)")
        parent = found.parent if found.parent in cb else None
        group = found.group if found.group in {g.name for g in cb.groups} else None
        extra.append(Code(**{**found.__dict__, "parent": parent, "group": group, "shortcut": None}))
    warnings.warn(
        f"codings use code(s) {missing} that codebook version {project.codebook_version()} does not define; "
        "they are exported from older versions",
        stacklevel=3,
    )
    return cb.replace(codes=cb.codes + tuple(extra))


@dataclass
class RefiProject:
    """What a ``.qdpx`` file holds, in workbench terms.

    Attributes
    ----------
    name : str
    codebook : Codebook
    units : DataFrame
        ``unit_id, thread_id, parent_id, author, kind, status, text`` (pass it to
        :func:`workbench.make_units` to store it).
    codings : DataFrame
        ``unit_id, coder, code, round, span_start, span_end, at`` (span relative to the
        unit's text; NA for the whole unit).
    users : list of str
    warnings : list of str
    """

    name: str
    codebook: Codebook
    units: pd.DataFrame
    codings: pd.DataFrame
    users: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


_HEADER = re.compile(r"^\[unit (?P<id>\S+)(?: · [^\n]*)?\]\n", re.M)


def _units_of(source: ET.Element, text: str, sname: str) -> tuple[str, list[dict[str, Any]]]:
    desc_el = _child(source, "Description")
    desc = (desc_el.text or "") if desc_el is not None else ""
    if "Workbench thread" in desc and "{" in desc:
        try:
            meta = json.loads(desc[desc.index("{") :])
            return str(meta["thread_id"]), list(meta["units"])
        except (ValueError, KeyError):
            pass
    matches = list(_HEADER.finditer(text))
    if matches:
        spans = []
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            body_end = end
            while body_end > m.end() and text[body_end - 1] == "\n":
                body_end -= 1
            spans.append({"unit_id": m.group("id"), "start": m.end(), "end": body_end})
        return sname, spans
    return sname, [{"unit_id": sname, "start": 0, "end": len(text)}]


def read_qdpx(path: str | Path) -> RefiProject:
    """Read a REFI-QDA project (``.qdpx``): its codebook, text sources as units, and codings.

    Sources written by :func:`write_qdpx` come back as their original units; other
    tools' text sources become one unit each (or one per ``[unit …]`` header), and a
    selection is assigned to the unit where it starts (clipped to it).
    """
    path = Path(path)
    try:
        z = zipfile.ZipFile(path)
    except (FileNotFoundError, zipfile.BadZipFile) as exc:
        raise WorkbenchError(f"{path}: not a .qdpx file (a zip with project.qde): {exc}") from None
    notes: list[str] = []
    with z:
        names = z.namelist()
        qde = next((n for n in names if n.lower() == "project.qde"), None)
        if qde is None:
            raise WorkbenchError(f"{path}: no project.qde inside; files: {names[:10]}")
        root, _ = _parse_xml(z.read(qde), "project")
        if _local(root.tag) != "Project":
            raise WorkbenchError(f"{path}: the root element is <{_local(root.tag)}>, not <Project>")
        users = {}
        users_el = _child(root, "Users")
        for u in _children(users_el, "User") if users_el is not None else []:
            users[_guid(u.get("guid"))] = u.get("name") or u.get("id") or _guid(u.get("guid"))
        book = _child(root, "CodeBook")
        if book is None:
            raise WorkbenchError(f"{path}: the project has no CodeBook")
        # project-level sets name groups of codes (MemberCode targetGUID)
        sets_el = _child(root, "Sets")
        if sets_el is not None:
            copy = ET.Element("CodeBook", dict(root.attrib))
            copy.extend(list(book))
            copy.append(sets_el)
            book = copy
        cb = _codebook_from(_with_origin(book, root), name=None, where=f"{path}:project.qde")
        by_guid = {c.guid: c.name for c in cb.codes if c.guid}

        unit_rows: list[dict[str, Any]] = []
        coding_rows: list[dict[str, Any]] = []
        sources_el = _child(root, "Sources")
        for src in _children(sources_el, "TextSource") if sources_el is not None else []:
            sname = src.get("name") or _guid(src.get("guid")) or "source"
            content = _child(src, "PlainTextContent")
            text: str | None = None
            if content is not None and content.text is not None:
                text = content.text
            elif src.get("plainTextPath"):
                ref = src.get("plainTextPath")
                inner = ref.split("internal://", 1)[1] if ref.startswith("internal://") else None
                member = next((n for n in names if inner and n.lower() == f"sources/{inner}".lower()), None)
                if member is None:
                    notes.append(f"source {sname!r}: its text {ref!r} is not inside the file; skipped")
                    continue
                text = z.read(member).decode("utf-8-sig")
            if text is None:
                notes.append(f"source {sname!r} has no plain text; skipped")
                continue
            thread_id, spans = _units_of(src, text, sname)
            for s in spans:
                unit_rows.append(
                    {
                        "unit_id": s["unit_id"],
                        "thread_id": thread_id,
                        "parent_id": s.get("parent_id"),
                        "author": s.get("author", ""),
                        "kind": s.get("kind", "comment"),
                        "status": s.get("status", "ok"),
                        "text": text[s["start"] : s["end"]],
                    }
                )
            for sel in _children(src, "PlainTextSelection"):
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                unit = next((s for s in spans if s["start"] <= start < max(s["end"], s["start"] + 1)), None)
                if unit is None:
                    notes.append(f"source {sname!r}: selection {start}-{end} is outside every unit; skipped")
                    continue
                if end > unit["end"]:
                    notes.append(f"source {sname!r}: selection {start}-{end} runs past unit {unit['unit_id']}; clipped")
                    end = unit["end"]
                whole = start == unit["start"] and end == unit["end"]
                desc_el = _child(sel, "Description")
                m = re.search(r"^round: (.+)$", (desc_el.text or "") if desc_el is not None else "", re.M)
                for coding in _children(sel, "Coding"):
                    ref = _child(coding, "CodeRef")
                    code = by_guid.get(_guid(ref.get("targetGUID")) if ref is not None else None)
                    if code is None:
                        notes.append(f"source {sname!r}: a coding refers to an unknown code; skipped")
                        continue
                    who = _guid(coding.get("creatingUser")) or _guid(sel.get("creatingUser"))
                    coding_rows.append(
                        {
                            "unit_id": unit["unit_id"],
                            "coder": users.get(who, who or "imported"),
                            "code": code,
                            "round": m.group(1).strip() if m else None,
                            "span_start": None if whole else start - unit["start"],
                            "span_end": None if whole else end - unit["start"],
                            "at": coding.get("creationDateTime") or sel.get("creationDateTime"),
                        }
                    )
    units = pd.DataFrame(unit_rows, columns=["unit_id", "thread_id", "parent_id", "author", "kind", "status", "text"])
    codings = pd.DataFrame(coding_rows, columns=["unit_id", "coder", "code", "round", "span_start", "span_end", "at"])
    for col in ("span_start", "span_end"):
        codings[col] = codings[col].astype("Int64")
    codings["at"] = pd.to_datetime(codings["at"], utc=True, errors="coerce", format="mixed")
    for n in notes:
        warnings.warn(f"{path}: {n}", stacklevel=2)
    return RefiProject(
        name=root.get("name") or path.stem,
        codebook=cb,
        units=units,
        codings=codings,
        users=[u for u in users.values() if u],
        warnings=notes,
    )


def _with_origin(book: ET.Element, root: ET.Element) -> ET.Element:
    if book.get("origin") is None and root.get("origin") is not None:
        book.set("origin", root.get("origin"))
    return book


def import_qdpx(project: Project, path: str | Path, *, note: str | None = None) -> dict[str, int]:
    """Import a ``.qdpx`` into a project: its codebook (as a new version when it differs),
    units not yet stored, coders, and codings.

    Codings are recorded as new events (the file's history is not replayed); codes
    must exist in the codebook version in force, and rounds that the project does not
    have are dropped from the coding (with a warning).

    Returns
    -------
    dict
        ``{"codebook_version": v, "units": n, "coders": n, "codings": n}``.
    """
    from ..corpus import make_units
    from ..errors import UnknownRoundError

    content = read_qdpx(path)
    current = None
    try:
        current = project.codebook()
    except WorkbenchError:
        pass
    version = project.codebook_version()
    if current is None or current.with_guids().diff(content.codebook):
        version = project.add_codebook(content.codebook, note=note or f"imported from {Path(path).name}")
    added_units = 0
    if not content.units.empty:
        units = content.units.copy()
        units["source"] = "refi-qda"
        added_units = project.add_units(make_units(units.to_dict("records"), source="refi-qda"))
    coders = set(content.codings["coder"])
    for c in coders:
        project.add_coder(c)
    n = 0
    dropped_rounds: set[str] = set()
    for _, r in content.codings.iterrows():
        span = None if pd.isna(r["span_start"]) else (int(r["span_start"]), int(r["span_end"]))
        rnd = None if pd.isna(r["round"]) else str(r["round"])
        try:
            project.code(r["unit_id"], [r["code"]], coder=r["coder"], round=rnd, span=span)
        except UnknownRoundError:
            dropped_rounds.add(rnd)
            project.code(r["unit_id"], [r["code"]], coder=r["coder"], span=span)
        n += 1
    if dropped_rounds:
        warnings.warn(f"rounds {sorted(dropped_rounds)} are not in this project; their codings were imported outside rounds", stacklevel=2)
    return {"codebook_version": int(version), "units": int(added_units), "coders": len(coders), "codings": n}
