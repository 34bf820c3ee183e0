"""Reading a codebook mapping and checking its rules, every problem with file, line, code and field.

:func:`parse` turns the YAML layout into codes and groups (unknown keys and wrong types
are problems); :func:`check` applies the semantic rules (unique names and shortcuts,
known parents and groups, no cycles, colours, definitions). Both collect problems in a
:class:`Problems`, whose locations are written by :func:`workbench.errors.located`.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import CodebookError, IdentifierError
from ..identifiers import MAX_NAME_LENGTH, clean_name
from ._values import COLOR_PATTERN, RESERVED_SHORTCUTS, SLUG_PATTERN, Code, CodeGroup, Example, slugify
from ._yaml import KeyPath

__all__ = ["Problems", "parse", "check"]

_TOP_KEYS = ("name", "title", "description", "content_warnings", "groups", "codes")
_CODE_KEYS = (
    "name",
    "label",
    "definition",
    "include",
    "exclude",
    "examples",
    "near_misses",
    "color",
    "shortcut",
    "parent",
    "group",
    "patterns",
    "guid",
    "codable",
)
_GROUP_KEYS = ("name", "label", "exclusive", "description")
_EXAMPLE_KEYS = ("text", "unit", "note")
_TEXT_FIELDS = ("label", "definition", "include", "exclude", "color", "shortcut", "parent", "group", "guid")


class Problems:
    """Collects validation problems with their file, line and field."""

    def __init__(self, path: str | None, lines: Mapping[KeyPath, int] | None):
        self.path = path
        self.lines = lines or {}
        self.items: list[CodebookError] = []

    def line(self, *at: Any) -> int | None:
        """The line of a key path, or of the nearest enclosing one that has a line."""
        at_t = tuple(at)
        while at_t:
            if at_t in self.lines:
                return self.lines[at_t]
            at_t = at_t[:-1]
        return self.lines.get(()) if self.lines else None

    def add(self, message: str, *at: Any, field: str | None = None, code: str | None = None) -> None:
        """Record a problem at key path ``at`` (its line is looked up)."""
        if code is not None and len(code) > MAX_NAME_LENGTH:  # a hostile name is not repeated whole
            code = code[:40] + "…"
        self.items.append(CodebookError(message, path=self.path, line=self.line(*at), field=field, code=code))

    def raise_if_any(self) -> None:
        """Raise the first problem, listing the others after it (``err.problems`` holds all)."""
        if not self.items:
            return
        first = self.items[0]
        if len(self.items) > 1:
            more = "\n".join(f"  - {p}" for p in self.items[1:])
            msg = f"{first.args[0]}\n{len(self.items) - 1} more problem(s):\n{more}"
            err = CodebookError(msg, path=None, line=None, field=None)
            err.path, err.line, err.field, err.code = first.path, first.line, first.field, first.code
        else:
            err = first
        err.problems = list(self.items)  # type: ignore[attr-defined]
        raise err


def _suggest(key: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {key!r}{hint} Valid keys: {', '.join(valid)}"


def _name_problem(value: str, what: str) -> str | None:
    """What is wrong with a codebook or group name by the naming rules of :mod:`workbench.identifiers`, or None."""
    try:
        clean_name(value, what=what)
    except IdentifierError as exc:
        return str(exc)
    return None


def _is_text(v: Any) -> bool:
    return v is None or isinstance(v, str)


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def _examples(raw: Any, where: KeyPath, probs: Problems, code: str | None, key: str) -> tuple[Example, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        probs.add(f"{key} must be a list of quoted examples", *where, field=key, code=code)
        return ()
    out = []
    for j, e in enumerate(raw):
        at = where + (j,)
        if isinstance(e, str):
            out.append(Example(text=e))
            continue
        if not isinstance(e, Mapping):
            probs.add(f"{key} #{j + 1} must be a quote or a mapping with text and unit", *at, field=key, code=code)
            continue
        bad = [k for k in e if k not in _EXAMPLE_KEYS]
        for k in bad:
            probs.add(_suggest(k, _EXAMPLE_KEYS), *at, k, field=f"{key}[{j}].{k}", code=code)
        if not isinstance(e.get("text"), str) or not e.get("text", "").strip():
            probs.add(f"{key} #{j + 1} needs a non-empty text (the quote)", *at, field=f"{key}[{j}].text", code=code)
            continue
        unit = e.get("unit")
        note = e.get("note")
        out.append(
            Example(
                text=e["text"],
                unit=None if unit is None else str(unit),
                note=None if note is None else str(note),
            )
        )
    return tuple(out)


def _patterns(raw: Any, where: KeyPath, probs: Problems, code: str | None) -> tuple[Any, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        probs.add("patterns must be a list of phrases or spaCy token patterns", *where, field="patterns", code=code)
        return ()
    for j, p in enumerate(raw):
        ok = isinstance(p, str) and p.strip() != ""
        ok = ok or (isinstance(p, list) and p != [] and all(isinstance(t, Mapping) for t in p))
        if not ok:
            probs.add(
                f"pattern #{j + 1} must be a phrase (a string) or a spaCy token pattern (a list of "
                f"mappings such as [{{LOWER: not}}, {{LOWER: all}}]), not {p!r}",
                *where,
                j,
                field="patterns",
                code=code,
            )
    return tuple(raw)


def parse(data: Any, path: str | None, lines: Mapping[KeyPath, int] | None, probs: Problems) -> dict[str, Any]:
    """The fields of a :class:`~workbench.codebook.Codebook` read from a mapping in the YAML layout.

    Parameters
    ----------
    data : Any
        The parsed YAML (a mapping, or it is an error).
    path : str, optional
        The file it came from, named in errors.
    lines : mapping, optional
        Key paths to line numbers (see :func:`workbench.codebook._yaml.compose`).
    probs : Problems
        Collects unknown keys and wrong types (a value that is not a mapping raises at once).

    Returns
    -------
    dict
        Keyword arguments of ``Codebook``.
    """
    if not isinstance(data, Mapping):
        raise CodebookError(
            "a codebook must be a mapping with 'name' and 'codes' (and optionally title, "
            "description, content_warnings, groups)",
            path=path,
            line=probs.line(),
        )
    for k in data:
        if k not in _TOP_KEYS:
            probs.add(_suggest(k, _TOP_KEYS), k, field=str(k))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        probs.add("the codebook needs a name (a slug such as 'response-types')", "name", field="name")
        name = _text(name)
    elif (problem := _name_problem(name, "codebook")) is not None:
        probs.add(problem, "name", field="name")
    for key in ("title", "description"):
        if not _is_text(data.get(key)):
            probs.add(f"{key} must be text", key, field=key)
    warnings = data.get("content_warnings") or []
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        probs.add("content_warnings must be a list of terms", "content_warnings", field="content_warnings")
        warnings = []

    groups = []
    raw_groups = data.get("groups") or []
    if not isinstance(raw_groups, list):
        probs.add("groups must be a list of mappings with name, label, exclusive", "groups", field="groups")
        raw_groups = []
    for i, g in enumerate(raw_groups):
        if not isinstance(g, Mapping):
            probs.add(f"group #{i + 1} must be a mapping with name, label, exclusive", "groups", i, field="groups")
            continue
        for k in g:
            if k not in _GROUP_KEYS:
                probs.add(_suggest(k, _GROUP_KEYS), "groups", i, k, field=str(k))
        gname = g.get("name")
        if not isinstance(gname, str) or not gname.strip():
            probs.add(f"group #{i + 1} needs a name", "groups", i, field="name")
            continue
        excl = g.get("exclusive", False)
        if not isinstance(excl, bool):
            probs.add(
                f"exclusive must be true (one code per unit) or false (multi-label), not {excl!r}",
                "groups",
                i,
                "exclusive",
                field="exclusive",
            )
            excl = bool(excl)
        groups.append(
            CodeGroup(name=gname, label=_text(g.get("label")), exclusive=excl, description=_text(g.get("description")))
        )

    codes = []
    raw_codes = data.get("codes") or []
    if not isinstance(raw_codes, list):
        probs.add("codes must be a list of mappings", "codes", field="codes")
        raw_codes = []
    for i, raw in enumerate(raw_codes):
        at = ("codes", i)
        if not isinstance(raw, Mapping):
            probs.add(f"code #{i + 1} must be a mapping with name, label and definition", *at, field="codes")
            continue
        cname = raw.get("name")
        label_code = cname if isinstance(cname, str) else None
        for k in raw:
            if k not in _CODE_KEYS:
                probs.add(_suggest(k, _CODE_KEYS), *at, k, field=str(k), code=label_code)
        if not isinstance(cname, str) or not cname.strip():
            probs.add(f"code #{i + 1} needs a name (a slug such as 'validating')", *at, field="name")
            continue
        values: dict[str, Any] = {}
        for key in _TEXT_FIELDS:
            v = raw.get(key)
            if key == "shortcut" and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 9:
                v = str(v)
            if not _is_text(v):
                probs.add(f"{key} must be text, not {type(v).__name__} {v!r}", *at, key, field=key, code=cname)
                v = str(v)
            values[key] = v
        if values["label"] is None:
            values["label"] = ""
        codable = raw.get("codable", True)
        if not isinstance(codable, bool):
            probs.add(f"codable must be true or false, not {codable!r}", *at, "codable", field="codable", code=cname)
            codable = bool(codable)
        codes.append(
            Code(
                name=cname,
                label=values["label"],
                definition=_text(values["definition"]),
                include=_text(values["include"]),
                exclude=_text(values["exclude"]),
                examples=_examples(raw.get("examples"), at + ("examples",), probs, cname, "examples"),
                near_misses=_examples(raw.get("near_misses"), at + ("near_misses",), probs, cname, "near_misses"),
                color=values["color"],
                shortcut=values["shortcut"],
                parent=values["parent"],
                group=values["group"],
                patterns=_patterns(raw.get("patterns"), at + ("patterns",), probs, cname),
                guid=values["guid"],
                codable=codable,
            )
        )
    return {
        "name": name,
        "codes": tuple(codes),
        "groups": tuple(groups),
        "title": _text(data.get("title")),
        "description": _text(data.get("description")),
        "content_warnings": tuple(warnings),
        "path": path,
        "_lines": dict(lines) if lines else None,
    }


def check(
    codes: Sequence[Code],
    groups: Sequence[CodeGroup],
    probs: Problems,
    raw_codes: Sequence[Any] | None = None,
    *,
    name: str | None = None,
) -> None:
    """The semantic rules: names, shortcuts, parents, cycles, groups, colours, definitions.

    Parameters
    ----------
    codes, groups : sequence
        The codes and groups of a codebook.
    probs : Problems
        Where each broken rule is added, with its line when ``probs`` knows the lines.
    raw_codes : sequence, optional
        The ``codes`` list as read from the file, to tell which entry a code came from.
    name : str, optional
        The codebook's name, checked by the naming rules of :mod:`workbench.identifiers`.

    Returns
    -------
    None
        The problems are in ``probs``.
    """
    # Map each code to its index in the file (codes that failed to parse are skipped).
    index: list[int] = []
    if raw_codes is not None:
        names_in_file = [r.get("name") if isinstance(r, Mapping) else None for r in raw_codes]
        pos = 0
        for c in codes:
            while pos < len(names_in_file) and names_in_file[pos] != c.name:
                pos += 1
            index.append(pos)
            pos += 1
    else:
        index = list(range(len(codes)))
    at = {id(c): ("codes", index[i]) for i, c in enumerate(codes)}

    def loc(c: Code, key: str | None = None) -> tuple[Any, ...]:
        return at[id(c)] + ((key,) if key else ())

    first_name: dict[str, Code] = {}
    first_key: dict[str, Code] = {}
    group_names = [g.name for g in groups]
    seen_groups: set[str] = set()
    if name is not None and (problem := _name_problem(name, "codebook")) is not None:
        probs.add(problem, "name", field="name")
    for i, g in enumerate(groups):
        if (problem := _name_problem(g.name, "group")) is not None:
            probs.add(problem, "groups", i, "name", field="name")
        elif g.name in seen_groups:
            probs.add(f"duplicate group name {g.name!r}", "groups", i, "name", field="name")
        seen_groups.add(g.name)
    for c in codes:
        if len(c.name) > MAX_NAME_LENGTH:
            probs.add(
                f"name is {len(c.name)} characters long; code names are at most {MAX_NAME_LENGTH} "
                "(put the readable name in label)",
                *loc(c, "name"),
                field="name",
                code=c.name,
            )
        elif not SLUG_PATTERN.match(c.name):
            probs.add(
                f"name {c.name!r} is not a slug: use lower-case letters, digits and '-' "
                f"(e.g. {slugify(c.name)!r}); put the readable name in label",
                *loc(c, "name"),
                field="name",
                code=c.name,
            )
        if c.name in first_name:
            line = probs.line(*loc(first_name[c.name]))
            probs.add(
                f"duplicate code name {c.name!r} (first defined on line {line}); code names must be unique",
                *loc(c, "name"),
                field="name",
                code=c.name,
            )
        else:
            first_name[c.name] = c
        if not c.label.strip():
            probs.add("empty label: give the readable name of the code", *loc(c, "label"), field="label", code=c.name)
        if not c.definition.strip():
            probs.add(
                "empty definition: say what the code means, so that two coders apply it alike",
                *loc(c, "definition"),
                field="definition",
                code=c.name,
            )
        if c.color is None and raw_codes is not None:
            raw = raw_codes[at[id(c)][1]] if at[id(c)][1] < len(raw_codes) else None
            if isinstance(raw, Mapping) and "color" in raw:
                probs.add(
                    "empty colour; in YAML an unquoted # starts a comment, so quote it: color: \"#1b9e77\"",
                    *loc(c, "color"),
                    field="color",
                    code=c.name,
                )
        if c.color is not None and not COLOR_PATTERN.match(c.color):
            probs.add(
                f"invalid colour {c.color!r}: use a hex colour '#rrggbb' or '#rgb' (e.g. '#1b9e77'), quoted in YAML",
                *loc(c, "color"),
                field="color",
                code=c.name,
            )
        if c.shortcut is not None:
            key = c.shortcut
            if len(key) != 1 or not key.isalnum():
                probs.add(
                    f"shortcut {key!r} must be a single letter or digit", *loc(c, "shortcut"), field="shortcut", code=c.name
                )
            elif key.lower() in RESERVED_SHORTCUTS:
                probs.add(
                    f"shortcut {key!r} is a navigation key of the coding panel "
                    f"({', '.join(sorted(RESERVED_SHORTCUTS))}: next, previous, undo); choose another",
                    *loc(c, "shortcut"),
                    field="shortcut",
                    code=c.name,
                )
            elif key.lower() in first_key:
                other = first_key[key.lower()]
                probs.add(
                    f"duplicate shortcut {key!r}: code {other.name!r} (line {probs.line(*loc(other, 'shortcut'))}) "
                    "already uses it",
                    *loc(c, "shortcut"),
                    field="shortcut",
                    code=c.name,
                )
            else:
                first_key[key.lower()] = c
        if c.group is not None and c.group not in group_names:
            close = difflib.get_close_matches(c.group, group_names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            probs.add(
                f"unknown group {c.group!r}{hint} Groups declared under 'groups': {group_names}",
                *loc(c, "group"),
                field="group",
                code=c.name,
            )
        if c.guid is not None:
            try:
                uuid.UUID(c.guid.strip("{}"))
            except ValueError:
                probs.add(f"guid {c.guid!r} is not a GUID", *loc(c, "guid"), field="guid", code=c.name)
    names = [c.name for c in codes]
    for c in codes:
        if c.parent is not None and c.parent not in first_name:
            close = difflib.get_close_matches(c.parent, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            probs.add(
                f"unknown parent {c.parent!r}{hint} The parent must be the name of another code",
                *loc(c, "parent"),
                field="parent",
                code=c.name,
            )
    # cycles in the hierarchy
    parents = {c.name: c.parent for c in codes if c.parent in first_name}
    reported: set[str] = set()
    for c in codes:
        chain = [c.name]
        cur = parents.get(c.name)
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = parents.get(cur)
        if cur is not None and cur == c.name and c.name not in reported:
            reported.update(chain)
            probs.add(
                "cycle in the hierarchy: " + " -> ".join(chain + [c.name]) + "; a code cannot be its own ancestor",
                *loc(c, "parent"),
                field="parent",
                code=c.name,
            )
