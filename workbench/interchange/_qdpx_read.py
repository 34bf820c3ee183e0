"""Reading a REFI-QDA project (``.qdpx``) without trusting it: bounded, every bad element reported.

The zip is read within the limits of :mod:`~workbench.interchange.limits`
(:class:`~workbench.interchange._zip.BoundedZip`), ``project.qde`` is parsed as it
streams (:func:`~workbench.interchange._xml.parse_chunks`). A hostile file (a zip bomb,
XML nested too deep) stops the read with a :class:`~workbench.interchange.limits.LimitError`;
a broken element (a selection without a valid ``startPosition``, a coding of an unknown
code, a source whose text is missing or not UTF-8) is skipped and reported, naming the file
and the element, and the good ones are kept.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import json
import re
import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..codebook import Codebook
from ..corpus import STATUSES
from ..errors import IdentifierError, WorkbenchError, located
from ..identifiers import clean_name
from ._xml import child, children, local, normal_guid, parse_chunks
from ._zip import BoundedZip
from .limits import LimitError, resolve_limits
from .qdc import codebook_from_element

__all__ = ["RefiProject", "read_project"]


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
        Every element skipped or changed, each naming the file and the element.
    """

    name: str
    codebook: Codebook
    units: pd.DataFrame
    codings: pd.DataFrame
    users: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


_HEADER = re.compile(r"^\[unit (?P<id>\S+)(?: · [^\n]*)?\]\n", re.M)
_ROUND = re.compile(r"^round: (.{1,200})$", re.M)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class _Notes:
    """The report of a read: one located line per element skipped or changed."""

    def __init__(self, path: Path):
        self.path = path
        self.items: list[str] = []

    def add(self, message: str, element: str | None = None) -> None:
        self.items.append(located(message, path=self.path, element=element))


def _decode(data: bytes) -> str | None:
    """A source's text (UTF-8, or UTF-8/16/32 with a byte-order mark); None when it is none of these."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _good_span(s: Any, text: str, max_chars: int) -> bool:
    if not isinstance(s, dict) or not isinstance(s.get("unit_id"), str) or not 0 < len(s["unit_id"]) <= max_chars:
        return False
    start, end = s.get("start"), s.get("end")
    if not (type(start) is int and type(end) is int and 0 <= start <= end <= len(text)):
        return False
    parent = s.get("parent_id")
    if parent is not None and not (isinstance(parent, str) and len(parent) <= max_chars):
        return False
    if not all(isinstance(s.get(k, ""), str) for k in ("author", "kind")):
        return False
    return s.get("status", "ok") in STATUSES


def _spans_ok(spans: Any, text: str, max_chars: int) -> bool:
    """Whether unit spans read from a description fit the text (a file may lie)."""
    return isinstance(spans, list) and bool(spans) and all(_good_span(s, text, max_chars) for s in spans)


def _units_of(source: ET.Element, text: str, sname: str, max_chars: int, notes: _Notes) -> tuple[str, list[dict[str, Any]]]:
    desc_el = child(source, "Description")
    desc = (desc_el.text or "") if desc_el is not None else ""
    if "Workbench thread" in desc and "{" in desc:
        meta: Any = None
        try:
            meta = json.loads(desc[desc.index("{") :])
        except (ValueError, RecursionError):
            pass
        thread = meta.get("thread_id") if isinstance(meta, dict) else None
        if isinstance(thread, str) and 0 < len(thread) <= max_chars and _spans_ok(meta.get("units"), text, max_chars):
            return thread, list(meta["units"])
        notes.add(f"source {sname!r}: its workbench description does not fit its text; units are read from the "
                  "[unit …] headers instead", element="Description")
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


def _positions(sel: ET.Element) -> tuple[int, int] | str:
    """A selection's (start, end), or what is wrong with them."""
    found = []
    for attr in ("startPosition", "endPosition"):
        value = sel.get(attr)
        try:
            number = int(value) if value is not None and len(value) <= 20 else None
        except ValueError:
            number = None
        if number is None or number < 0:
            shown = value if value is None or len(value) <= 40 else value[:40] + "…"
            return f"has no valid {attr} ({shown!r}; a character offset, 0 or more)"
        found.append(number)
    start, end = found
    if end < start:
        return f"ends before it starts ({start}-{end})"
    return start, end


#: the longest id the store keeps (``workbench.storage.tables.ID``)
_MAX_ID = 255


def _fit_id(value: str | None) -> str | None:
    """An id the store can keep: a longer one is cut and made unique by a hash of the whole."""
    if value is None or len(value) <= _MAX_ID:
        return value
    return value[: _MAX_ID - 13] + "-" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _short(value: str, n: int = 60) -> str:
    return value if len(value) <= n else value[:n] + "…"


def _users(root: ET.Element, lims: Mapping[str, int], notes: _Notes) -> dict[str | None, str]:
    users: dict[str | None, str] = {}
    users_el = child(root, "Users")
    for u in children(users_el, "User") if users_el is not None else []:
        guid = normal_guid(u.get("guid"))
        name = u.get("name") or u.get("id") or guid or ""
        try:
            name = clean_name(name[: lims["max_name_chars"] + 1], what="coder")
        except IdentifierError as exc:
            fallback = f"user-{guid or 'unknown'}"
            notes.add(f"user {guid}: {exc}; called {fallback!r} here", element="User")
            name = fallback
        users[guid] = name
    return users


def _codebook(root: ET.Element, path: Path) -> Codebook:
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
    origin = root.get("origin")
    if book.get("origin") is None and origin is not None:
        book.set("origin", origin)
    return codebook_from_element(book, name=None, where=f"{path}:project.qde")


def _source_text(src: ET.Element, z: BoundedZip, sname: str, notes: _Notes) -> str | None:
    content = child(src, "PlainTextContent")
    if content is not None and content.text is not None:
        return content.text
    ref = src.get("plainTextPath")
    if not ref:
        notes.add(f"source {sname!r} has no plain text; skipped", element="TextSource")
        return None
    inner = ref.split("internal://", 1)[1] if ref.startswith("internal://") else None
    member = z.find(f"sources/{inner}") if inner else None
    if member is None:
        notes.add(f"source {sname!r}: its text {_short(ref)!r} is not inside the file; skipped", element="TextSource")
        return None
    why = z.problem(member)
    if why is not None:
        notes.add(f"source {sname!r}: its text, member {member.filename!r}, {why}; skipped", element="TextSource")
        return None
    try:
        data = z.read(member)
    except LimitError:
        raise
    except WorkbenchError as exc:  # a damaged member: this source only
        notes.add(f"source {sname!r}: {exc}; skipped", element="TextSource")
        return None
    text = _decode(data)
    if text is None:
        notes.add(f"source {sname!r}: its text, member {member.filename!r}, is not UTF-8; skipped", element="TextSource")
    return text


def _select(
    src: ET.Element, spans: list[dict[str, Any]], sname: str, by_guid: Mapping[str | None, str],
    users: Mapping[str | None, str], notes: _Notes,
) -> list[dict[str, Any]]:
    """The codings of one source's selections, each assigned to the unit where it starts."""
    rows: list[dict[str, Any]] = []
    ordered = sorted(spans, key=lambda s: s["start"])
    starts = [s["start"] for s in ordered]
    for sel in children(src, "PlainTextSelection"):
        label = f"source {sname!r}, selection {_short(sel.get('guid') or '(no guid)', 40)}"
        positions = _positions(sel)
        if isinstance(positions, str):
            notes.add(f"{label} {positions}; skipped", element="PlainTextSelection")
            continue
        start, end = positions
        i = bisect.bisect_right(starts, start) - 1
        unit = ordered[i] if i >= 0 and start < max(ordered[i]["end"], ordered[i]["start"] + 1) else None
        if unit is None:
            notes.add(f"{label}: {start}-{end} is outside every unit; skipped", element="PlainTextSelection")
            continue
        if end > unit["end"]:
            notes.add(f"{label}: {start}-{end} runs past unit {_short(unit['unit_id'])!r} (which ends at "
                      f"{unit['end']}) across a unit boundary; clipped to the unit", element="PlainTextSelection")
            end = unit["end"]
        whole = start == unit["start"] and end == unit["end"]
        desc_el = child(sel, "Description")
        m = _ROUND.search((desc_el.text or "") if desc_el is not None else "")
        for coding in children(sel, "Coding"):
            code_ref = child(coding, "CodeRef")
            target = normal_guid(code_ref.get("targetGUID")) if code_ref is not None else None
            code = by_guid.get(target) if target is not None else None
            if code is None:
                notes.add(f"{label}: a coding refers to an unknown code; skipped", element="Coding")
                continue
            who = normal_guid(coding.get("creatingUser")) or normal_guid(sel.get("creatingUser"))
            rows.append(
                {
                    "unit_id": _fit_id(unit["unit_id"]),
                    "coder": users.get(who, who or "imported"),
                    "code": code,
                    "round": m.group(1).strip() if m else None,
                    "span_start": None if whole else start - unit["start"],
                    "span_end": None if whole else end - unit["start"],
                    "at": coding.get("creationDateTime") or sel.get("creationDateTime"),
                }
            )
    return rows


def read_project(path: Path, limits: Mapping[str, int] | None = None) -> RefiProject:
    """Read a ``.qdpx`` (see :func:`workbench.interchange.read_qdpx`)."""
    lims = resolve_limits(limits)
    notes = _Notes(path)
    with BoundedZip(path, lims) as z:
        qde = z.find("project.qde")
        if qde is None:
            raise WorkbenchError(located(f"no project.qde inside; members: {[_short(n) for n in z.names[:10]]}", path=path))
        root = parse_chunks(z.chunks(qde), "project", where=f"{path}:project.qde", limits=lims)
        if local(root.tag) != "Project":
            raise WorkbenchError(located(f"the root element is <{_short(local(root.tag))}>, not <Project>", path=path,
                                         element="Project"))
        users = _users(root, lims, notes)
        cb = _codebook(root, path)
        by_guid: dict[str | None, str] = {c.guid: c.name for c in cb.codes if c.guid}
        unit_rows: list[dict[str, Any]] = []
        coding_rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        sources_el = child(root, "Sources")
        for n, src in enumerate(children(sources_el, "TextSource") if sources_el is not None else []):
            guid = normal_guid(src.get("guid"))
            sname = src.get("name") or guid or f"source-{n + 1}"
            if len(sname) > lims["max_name_chars"]:
                notes.add(f"source {_short(sname)!r}: its name is longer than {lims['max_name_chars']:,} characters; "
                          "skipped", element="TextSource")
                continue
            text = _source_text(src, z, sname, notes)
            if text is None:
                continue
            thread_id, spans = _units_of(src, text, sname, lims["max_name_chars"], notes)
            kept = []
            for s in spans:
                uid = s["unit_id"]
                if len(uid) > lims["max_name_chars"] or uid in seen:
                    why = "is too long" if len(uid) > lims["max_name_chars"] else "is already used by another unit"
                    notes.add(f"source {sname!r}: unit id {_short(uid)!r} {why}; the unit is skipped",
                              element="TextSource")
                    continue
                seen.add(uid)
                kept.append(s)
                if len(uid) > _MAX_ID or len(thread_id) > _MAX_ID:
                    notes.add(f"source {_short(sname)!r}: unit id {_short(uid)!r} is longer than {_MAX_ID} characters; "
                              "shortened (with a hash of the whole) to fit the store", element="TextSource")
                unit_rows.append(
                    {
                        "unit_id": _fit_id(uid),
                        "thread_id": _fit_id(thread_id),
                        "parent_id": _fit_id(s.get("parent_id")),
                        "author": s.get("author", ""),
                        "kind": s.get("kind", "comment"),
                        "status": s.get("status", "ok"),
                        "text": text[s["start"] : s["end"]],
                    }
                )
            coding_rows += _select(src, kept, sname, by_guid, users, notes)
    units = pd.DataFrame(unit_rows, columns=["unit_id", "thread_id", "parent_id", "author", "kind", "status", "text"])
    codings = pd.DataFrame(coding_rows, columns=["unit_id", "coder", "code", "round", "span_start", "span_end", "at"])
    for col in ("span_start", "span_end"):
        codings[col] = codings[col].astype("Int64")
    codings["at"] = pd.to_datetime(codings["at"], utc=True, errors="coerce", format="mixed")
    name = root.get("name") or path.stem
    return RefiProject(
        name=name if len(name) <= lims["max_name_chars"] else path.stem,
        codebook=cb,
        units=units,
        codings=codings,
        users=[u for u in users.values() if u],
        warnings=notes.items,
    )
