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
import uuid
import warnings
import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..codebook import GUID_NAMESPACE, Code, Codebook
from ..corpus import make_units
from ..errors import UnknownRoundError, WorkbenchError
from ..escape import xml_text
from ..privacy import ExportView, export_view
from ..sentinels import ALL_ROUNDS
from ._files import atomic_write
from ._qdpx_read import RefiProject, read_project
from ._xml import ORIGIN, serialise
from .qdc import code_elements, code_guids, set_elements

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
        pseudonymised authors and redacted texts, and every unit, thread and parent id,
        source name and anchor example's unit is a pseudonymous id keyed by the key (a
        raw project needs its ``key`` for that); ``raw=True`` exports real names and ids,
        needs the project's key as proof, and the file is made readable by its owner only.
        Either way the file is written atomically: nothing is left when the export fails.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path).expanduser()
    cb = project.codebook(codebook_version)
    view = export_view(project, raw=raw, key=key, coder=coder, round=round)
    codings = view.codings
    cb = _with_missing_codes(project, cb, set(codings["code"]))
    if not view.raw:
        cb = _examples_pseudonymised(cb, view)
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
        threads = view.threads  # ids, titles and file names as the view may show them
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

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("project.qde", xml.encode("utf-8"))
            for name_, text in files.items():
                z.writestr(name_, text.encode("utf-8"))

    return atomic_write(path, write, private=view.raw)


def _examples_pseudonymised(cb: Codebook, view: ExportView) -> Codebook:
    """The codebook with the unit ids of its anchor examples mapped as the view maps ids."""

    def mapped(examples):
        return tuple(replace(e, unit=view.pseudonymous_id(e.unit)) if e.unit else e for e in examples)

    return cb.replace(codes=tuple(
        replace(c, examples=mapped(c.examples), near_misses=mapped(c.near_misses)) for c in cb.codes
    ))


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


def read_qdpx(path: str | Path, *, limits: Mapping[str, int] | None = None) -> RefiProject:
    """Read a REFI-QDA project (``.qdpx``): its codebook, text sources as units, and codings.

    Sources written by :func:`write_qdpx` come back as their original units; other
    tools' text sources become one unit each (or one per ``[unit …]`` header), and a
    selection is assigned to the unit where it starts (clipped to it, and reported when it
    runs across a unit boundary).

    The file is not trusted: the zip and its XML are read within the limits of
    :mod:`workbench.interchange.limits` (a zip bomb or XML nested too deep stops the read
    with a :class:`~workbench.interchange.limits.LimitError` that names the file, the
    member, the limit and how to raise it), and every broken element (a selection without
    a valid ``startPosition``, a coding of an unknown code, a source whose text is missing
    or not UTF-8) is skipped and reported in ``warnings`` (and as a warning), naming the
    file and the element; the good ones are kept.

    Parameters
    ----------
    path : str or Path
        The ``.qdpx`` file.
    limits : mapping, optional
        Limits raised for this call, e.g. ``{"max_member_bytes": 2**30}`` (see
        :mod:`workbench.interchange.limits`).

    Returns
    -------
    RefiProject
        Its name, codebook, units, codings, users and the report of what was skipped.

    Raises
    ------
    WorkbenchError
        Not a zip, no ``project.qde``, or a zip too damaged to read (naming the file and
        the member); :class:`~workbench.interchange.limits.LimitError` beyond a limit;
        :class:`~workbench.errors.CodebookError` for XML that is not well-formed or
        declares a DTD.
    """
    path = Path(path)
    content = read_project(path, limits)
    for n in content.warnings:
        warnings.warn(n, stacklevel=2)
    return content


def import_qdpx(
    project: Project, path: str | Path, *, note: str | None = None, limits: Mapping[str, int] | None = None
) -> dict[str, int]:
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
    limits : mapping, optional
        Limits raised for this call (see :func:`read_qdpx`).

    Returns
    -------
    dict
        ``{"codebook_version": v, "units": n, "coders": n, "codings": n}``.
    """
    content = read_qdpx(path, limits=limits)
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
