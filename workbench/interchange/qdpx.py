"""REFI-QDA projects (``.qdpx``): units, codebook, coders and codings exchanged with other QDA programs.

A ``.qdpx`` is a zip with ``project.qde`` (root ``Project``, namespace
``urn:QDA-XML:project:1.0``) and a lowercase ``sources/`` folder. Each thread is one
``TextSource`` (its units one after the other, each under a ``[unit …]`` header);
codings are ``PlainTextSelection`` elements with **character offsets** (Python string
indices, i.e. Unicode code points) into that plain text. The codebook inside is written
and read as in :mod:`workbench.interchange.qdc`.

Exports go through :func:`workbench.privacy.export_view`: pseudonymised unless raw data
is asked for with the key. XML is parsed with :mod:`defusedxml` (no DTDs, no entity
expansion); text goes through :func:`workbench.escape.xml_text`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
import warnings
import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..codebook import GUID_NAMESPACE, Code, Codebook
from ..corpus import make_units
from ..errors import UnknownRoundError, WorkbenchError, located
from ..escape import xml_text
from ..privacy import export_view
from ..sentinels import ALL_ROUNDS
from ._xml import ORIGIN, child, children, local, normal_guid, parse_xml, serialise
from .qdc import code_elements, code_guids, codebook_from_element, set_elements

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

__all__ = ["PROJECT_NS", "RefiProject", "write_qdpx", "read_qdpx", "import_qdpx"]

PROJECT_NS = "urn:QDA-XML:project:1.0"


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
    coder: str | Sequence[str] | None = None,
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
    round : str, int, None, ALL_ROUNDS or NO_ROUND
        Which codings to export (as :meth:`Project.codings`): by default of every round
        and outside rounds; ``None`` (or ``NO_ROUND``) only those made outside any round.
    coder : str or list of str, optional
        Only these coders' codings (default: everybody's).
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
    cb = project.codebook(codebook_version)
    view = export_view(project, raw=raw, key=key, coder=coder, round=round)
    codings = view.codings
    cb = _with_missing_codes(project, cb, set(codings["code"]))
    guids = code_guids(cb)
    units = view.units
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    root = ET.Element(
        "Project",
        {
            "xmlns": PROJECT_NS,
            "name": xml_text(name or path.stem),
            "origin": f"{ORIGIN} (codebook {cb.name})",
            "creationDateTime": now,
        },
    )
    coders = sorted(set(codings["coder"]) | set(project.coders()["name"]))
    user_guid = {c: _uid("user", c) for c in coders}
    if coders:
        users = ET.SubElement(root, "Users")
        for c in coders:
            ET.SubElement(users, "User", {"guid": user_guid[c], "name": xml_text(c)})
    book = ET.SubElement(root, "CodeBook")
    codes_el = ET.SubElement(book, "Codes")
    code_elements(codes_el, cb, guids)

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
                    "name": xml_text(titles.get(thread_id) or str(thread_id)),
                    "plainTextPath": f"internal://{sguid}.txt",
                    "creationDateTime": now,
                },
            )
            meta = {"thread_id": str(thread_id), "units": spans}
            ET.SubElement(src, "Description").text = xml_text(
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
                    "name": xml_text(str(unit_id)),
                    "startPosition": str(start),
                    "endPosition": str(end),
                    "creatingUser": user_guid[c_name],
                }
                first = _iso(rows["at"].min())
                if first:
                    sel_attrs["creationDateTime"] = first
                sel = ET.SubElement(src, "PlainTextSelection", sel_attrs)
                if rnd is not None:
                    ET.SubElement(sel, "Description").text = xml_text(f"round: {rnd}")
                for _, r in rows.iterrows():
                    attrs = {"guid": _uid("coding", c_name, rnd, unit_id, s0, s1, r["code"]), "creatingUser": user_guid[c_name]}
                    when = _iso(r["at"])
                    if when:
                        attrs["creationDateTime"] = when
                    coding = ET.SubElement(sel, "Coding", attrs)
                    ET.SubElement(coding, "CodeRef", {"targetGUID": guids[r["code"]]})
        if skipped:
            warnings.warn(f"{skipped} coding(s) of empty (deleted) units have no text to select and were left out", stacklevel=2)

    set_elements(root, cb, guids, member="targetGUID")

    xml = serialise(root)
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


def _spans_ok(spans: Any, text: str) -> bool:
    """Whether unit spans read from a description fit the text (a file may lie)."""
    if not isinstance(spans, list) or not spans:
        return False
    for s in spans:
        if not isinstance(s, dict) or not isinstance(s.get("unit_id"), str):
            return False
        start, end = s.get("start"), s.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)):
            return False
    return True


def _units_of(source: ET.Element, text: str, sname: str) -> tuple[str, list[dict[str, Any]]]:
    desc_el = child(source, "Description")
    desc = (desc_el.text or "") if desc_el is not None else ""
    if "Workbench thread" in desc and "{" in desc:
        try:
            meta = json.loads(desc[desc.index("{") :])
            if isinstance(meta, dict) and "thread_id" in meta and _spans_ok(meta.get("units"), text):
                return str(meta["thread_id"]), list(meta["units"])
        except ValueError:
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
        raise WorkbenchError(located(f"not a .qdpx file (a zip with project.qde): {exc}", path=path)) from None
    notes: list[str] = []
    with z:
        names = z.namelist()
        qde = next((n for n in names if n.lower() == "project.qde"), None)
        if qde is None:
            raise WorkbenchError(located(f"no project.qde inside; files: {names[:10]}", path=path))
        root, _ = parse_xml(z.read(qde), "project")
        if local(root.tag) != "Project":
            raise WorkbenchError(located(f"the root element is <{local(root.tag)}>, not <Project>", path=path, element="Project"))
        users = {}
        users_el = child(root, "Users")
        for u in children(users_el, "User") if users_el is not None else []:
            users[normal_guid(u.get("guid"))] = u.get("name") or u.get("id") or normal_guid(u.get("guid"))
        book = child(root, "CodeBook")
        if book is None:
            raise WorkbenchError(located("the project has no CodeBook", path=path, element="Project"))
        # project-level sets name groups of codes (MemberCode targetGUID)
        sets_el = child(root, "Sets")
        if sets_el is not None:
            copy = ET.Element("CodeBook", dict(root.attrib))
            copy.extend(list(book))
            copy.append(sets_el)
            book = copy
        cb = codebook_from_element(_with_origin(book, root), name=None, where=f"{path}:project.qde")
        by_guid = {c.guid: c.name for c in cb.codes if c.guid}

        unit_rows: list[dict[str, Any]] = []
        coding_rows: list[dict[str, Any]] = []
        sources_el = child(root, "Sources")
        for src in children(sources_el, "TextSource") if sources_el is not None else []:
            sname = src.get("name") or normal_guid(src.get("guid")) or "source"
            content = child(src, "PlainTextContent")
            text: str | None = None
            if content is not None and content.text is not None:
                text = content.text
            elif ref := src.get("plainTextPath"):
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
            for sel in children(src, "PlainTextSelection"):
                positions = _positions(sel)
                if isinstance(positions, str):
                    notes.append(f"source {sname!r}: selection {sel.get('guid') or '(no guid)'} {positions}; skipped")
                    continue
                start, end = positions
                unit = next((s for s in spans if s["start"] <= start < max(s["end"], s["start"] + 1)), None)
                if unit is None:
                    notes.append(f"source {sname!r}: selection {start}-{end} is outside every unit; skipped")
                    continue
                if end > unit["end"]:
                    notes.append(f"source {sname!r}: selection {start}-{end} runs past unit {unit['unit_id']}; clipped")
                    end = unit["end"]
                whole = start == unit["start"] and end == unit["end"]
                desc_el = child(sel, "Description")
                m = re.search(r"^round: (.+)$", (desc_el.text or "") if desc_el is not None else "", re.M)
                for coding in children(sel, "Coding"):
                    code_ref = child(coding, "CodeRef")
                    target = normal_guid(code_ref.get("targetGUID")) if code_ref is not None else None
                    code = by_guid.get(target) if target is not None else None
                    if code is None:
                        notes.append(f"source {sname!r}: a coding refers to an unknown code; skipped")
                        continue
                    who = normal_guid(coding.get("creatingUser")) or normal_guid(sel.get("creatingUser"))
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
        warnings.warn(located(n, path=path), stacklevel=2)
    return RefiProject(
        name=root.get("name") or path.stem,
        codebook=cb,
        units=units,
        codings=codings,
        users=[u for u in users.values() if u],
        warnings=notes,
    )


def _positions(sel: ET.Element) -> tuple[int, int] | str:
    """A selection's (start, end), or what is wrong with them."""
    found = []
    for attr in ("startPosition", "endPosition"):
        value = sel.get(attr)
        try:
            number = int(value) if value is not None else None
        except ValueError:
            number = None
        if number is None or number < 0:
            return f"has no valid {attr} ({value!r}; a character offset, 0 or more)"
        found.append(number)
    start, end = found
    if end < start:
        return f"ends before it starts ({start}-{end})"
    return start, end


def _with_origin(book: ET.Element, root: ET.Element) -> ET.Element:
    origin = root.get("origin")
    if book.get("origin") is None and origin is not None:
        book.set("origin", origin)
    return book


def import_qdpx(project: Project, path: str | Path, *, note: str | None = None) -> dict[str, int]:
    """Import a ``.qdpx`` into a project: codebook, units not yet stored, coders, and codings.

    The codebook becomes a new version when it differs from the one in force. Codings
    are recorded as new events (the file's history is not replayed); codes must exist in
    the codebook version in force, and rounds that the project does not have are dropped
    from the coding (with a warning).

    Parameters
    ----------
    project : Project
        The project to import into.
    path : str or Path
        The ``.qdpx`` file.
    note : str, optional
        The note of the new codebook version (default: where it was imported from).

    Returns
    -------
    dict
        ``{"codebook_version": v, "units": n, "coders": n, "codings": n}``.
    """
    content = read_qdpx(path)
    current = None
    try:
        current = project.codebook()
    except WorkbenchError:
        pass
    version = project.codebook_version()
    if version is None or current is None or current.with_guids().diff(content.codebook):
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
            dropped_rounds.add(str(rnd))
            project.code(r["unit_id"], [r["code"]], coder=r["coder"], span=span)
        n += 1
    if dropped_rounds:
        warnings.warn(f"rounds {sorted(dropped_rounds)} are not in this project; their codings were imported outside rounds", stacklevel=2)
    return {"codebook_version": int(version), "units": int(added_units), "coders": len(coders), "codings": n}
