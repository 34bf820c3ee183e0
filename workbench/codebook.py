"""Codebooks: codes of response types with definitions, rules, anchor examples and groups.

A codebook lives in a YAML file (``codebooks/*.yaml``) and, once added to a project,
as immutable numbered versions in the store.

The YAML layout (see ``codebooks/response-types.yaml``)::

    name: response-types          # a slug
    title: Responses to accounts of care
    content_warnings: [self-harm, suicide, restraint]
    groups:
      - {name: stance, label: Stance, exclusive: true}   # one code per unit
    codes:
      - name: validating          # a stable slug: what codings record
        label: Validating
        definition: ...
        include: ...              # when to apply
        exclude: ...              # when not to, and which code applies instead
        examples:                 # quoted anchor examples and the unit they came from
          - {text: "...", unit: "000:c8.r1"}
        near_misses: [...]        # counter-examples, same layout
        color: "#1b9e77"          # quote it: in YAML an unquoted # starts a comment
        shortcut: v               # one key; not a navigation key (j k n p u)
        parent: null              # another code's name (hierarchy)
        group: stance
        patterns: ["thank you"]   # phrases or spaCy token patterns that suggest the code

Loading a file validates it: duplicate names or shortcuts, unknown parents or groups,
cycles in the hierarchy, invalid colours, empty definitions and unknown keys (with the
nearest valid key suggested) are reported with the file, line and field.
"""

from __future__ import annotations

import difflib
import html
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from .errors import CodebookError

__all__ = [
    "Code",
    "CodeGroup",
    "Example",
    "Codebook",
    "CodebookDiff",
    "RESERVED_SHORTCUTS",
    "GUID_NAMESPACE",
    "code_guid",
    "group_guid",
    "slugify",
]

#: Keys the coding panel keeps for navigation (j/k, n/p: next/previous; u: undo).
RESERVED_SHORTCUTS: frozenset[str] = frozenset("jknpu")

#: Namespace of the deterministic GUIDs of codes and groups (uuid5).
GUID_NAMESPACE = uuid.UUID("6f1c3a52-3a1e-5b7e-9d2c-7a0e0c0de0b0")

_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

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


def slugify(text: str) -> str:
    """A code name (slug) made from a label: lower case, words joined by ``-``.

    Examples
    --------
    >>> slugify("Systemic deflection (resources, politics)")
    'systemic-deflection-resources-politics'
    >>> slugify("Émotional  support!")
    'emotional-support'
    """
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "code"


def code_guid(codebook_name: str, code_name: str) -> str:
    """The deterministic GUID of a code: uuid5 of the codebook name and the code name.

    A code keeps its GUID through renames (it is stored in :attr:`Code.guid`).

    Examples
    --------
    >>> code_guid("demo", "validating") == code_guid("demo", "validating")
    True
    >>> len(code_guid("demo", "validating"))
    36
    """
    return str(uuid.uuid5(GUID_NAMESPACE, f"code:{codebook_name}/{code_name}"))


def group_guid(codebook_name: str, group_name: str) -> str:
    """The deterministic GUID of a code group (a REFI-QDA set)."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"set:{codebook_name}/{group_name}"))


@dataclass(frozen=True)
class Example:
    """A quoted anchor example (or near miss) and the unit it came from."""

    text: str
    unit: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Code:
    """One code of a codebook.

    ``name`` is the stable slug that codings record; ``label`` is what people read.
    ``codable=False`` marks a category that only groups other codes (e.g. imported
    from another QDA program); it is not applied to units.
    """

    name: str
    label: str
    definition: str
    include: str = ""
    exclude: str = ""
    examples: tuple[Example, ...] = ()
    near_misses: tuple[Example, ...] = ()
    color: str | None = None
    shortcut: str | None = None
    parent: str | None = None
    group: str | None = None
    patterns: tuple[Any, ...] = ()
    guid: str | None = None
    codable: bool = True


@dataclass(frozen=True)
class CodeGroup:
    """A group of codes: ``exclusive`` groups allow one code per unit, others are multi-label."""

    name: str
    label: str = ""
    exclusive: bool = False
    description: str = ""


# --- YAML with line numbers ---------------------------------------------------------------
Path_ = tuple[Any, ...]


def _compose(text: str, path: str | None) -> tuple[Any, dict[Path_, int], list[CodebookError]]:
    """Parse YAML text; return the data, a map from key paths to line numbers, problems."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CodebookError(
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            path=path,
            line=None if mark is None else mark.line + 1,
        ) from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    problems: list[CodebookError] = []

    def walk(n: yaml.Node, at: Path_) -> None:
        lines.setdefault(at, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in n.value:
                if not isinstance(k, yaml.ScalarNode) or k.value == "<<":
                    continue
                key = k.value
                line = k.start_mark.line + 1
                if key in seen:
                    problems.append(
                        CodebookError(
                            f"the key {key!r} appears twice in the same mapping (first on line "
                            f"{seen[key]}); YAML keeps only the last one, so remove one of them",
                            path=path,
                            line=line,
                            field=key,
                        )
                    )
                seen[key] = line
                lines[at + (key,)] = line
                walk(v, at + (key,))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                lines[at + (i,)] = item.start_mark.line + 1
                walk(item, at + (i,))

    if node is not None:
        walk(node, ())
    return data, lines, problems


class _Problems:
    """Collects validation problems with their file, line and field."""

    def __init__(self, path: str | None, lines: Mapping[Path_, int] | None):
        self.path = path
        self.lines = lines or {}
        self.items: list[CodebookError] = []

    def line(self, *at: Any) -> int | None:
        at_t = tuple(at)
        while at_t:
            if at_t in self.lines:
                return self.lines[at_t]
            at_t = at_t[:-1]
        return self.lines.get(()) if self.lines else None

    def add(self, message: str, *at: Any, field: str | None = None, code: str | None = None) -> None:
        self.items.append(CodebookError(message, path=self.path, line=self.line(*at), field=field, code=code))

    def raise_if_any(self) -> None:
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


def _is_text(v: Any) -> bool:
    return v is None or isinstance(v, str)


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def _examples(raw: Any, where: Path_, probs: _Problems, code: str | None, key: str) -> tuple[Example, ...]:
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


def _patterns(raw: Any, where: Path_, probs: _Problems, code: str | None) -> tuple[Any, ...]:
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


def _parse(data: Any, path: str | None, lines: Mapping[Path_, int] | None, probs: _Problems) -> Codebook:
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
    return Codebook(
        name=name,
        codes=tuple(codes),
        groups=tuple(groups),
        title=_text(data.get("title")),
        description=_text(data.get("description")),
        content_warnings=tuple(warnings),
        path=path,
        _lines=dict(lines) if lines else None,
    )


def _check(cb: Codebook, probs: _Problems, raw_codes: Sequence[Any] | None = None) -> None:
    """The semantic rules: names, shortcuts, parents, cycles, groups, colours, definitions."""
    # Map each code to its index in the file (codes that failed to parse are skipped).
    index: list[int] = []
    if raw_codes is not None:
        names_in_file = [r.get("name") if isinstance(r, Mapping) else None for r in raw_codes]
        pos = 0
        for c in cb.codes:
            while pos < len(names_in_file) and names_in_file[pos] != c.name:
                pos += 1
            index.append(pos)
            pos += 1
    else:
        index = list(range(len(cb.codes)))
    at = {id(c): ("codes", index[i]) for i, c in enumerate(cb.codes)}

    def loc(c: Code, key: str | None = None) -> tuple[Any, ...]:
        return at[id(c)] + ((key,) if key else ())

    first_name: dict[str, Code] = {}
    first_key: dict[str, Code] = {}
    group_names = [g.name for g in cb.groups]
    seen_groups: set[str] = set()
    for i, g in enumerate(cb.groups):
        if g.name in seen_groups:
            probs.add(f"duplicate group name {g.name!r}", "groups", i, "name", field="name")
        seen_groups.add(g.name)
    for c in cb.codes:
        if not _SLUG.match(c.name):
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
        if c.color is not None and not _COLOR.match(c.color):
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
    names = [c.name for c in cb.codes]
    for c in cb.codes:
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
    parents = {c.name: c.parent for c in cb.codes if c.parent in first_name}
    reported: set[str] = set()
    for c in cb.codes:
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


@dataclass(frozen=True)
class Codebook:
    """A codebook: codes, their groups and the content-warning terms.

    Examples
    --------
    >>> cb = Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "validating", "label": "Validating", "definition": "Believes the account."},
    ...     {"name": "defensive", "label": "Defensive", "definition": "Not all of us."}]})
    >>> cb.names
    ['validating', 'defensive']
    >>> Codebook.from_dict(cb.to_dict()) == cb
    True
    >>> Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "a", "label": "A", "definition": "x", "colour": "#fff"}]})
    Traceback (most recent call last):
    ...
    workbench.errors.CodebookError: code 'a', field 'colour': unknown key 'colour'; did you mean 'color'? ...
    """

    name: str
    codes: tuple[Code, ...] = ()
    groups: tuple[CodeGroup, ...] = ()
    title: str = ""
    description: str = ""
    content_warnings: tuple[str, ...] = ()
    path: str | None = field(default=None, compare=False)
    _lines: dict[Path_, int] | None = field(default=None, compare=False, repr=False)

    @property
    def names(self) -> list[str]:
        """Code names in codebook order."""
        return [c.name for c in self.codes]

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self):
        return iter(self.codes)

    def __getitem__(self, name: str) -> Code:
        for c in self.codes:
            if c.name == name:
                return c
        raise KeyError(f"code {name!r} is not in codebook {self.name!r}; codes: {self.names}")

    def group(self, name: str) -> CodeGroup:
        """The group called ``name`` (``KeyError`` naming the groups if there is none)."""
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(f"group {name!r} is not in codebook {self.name!r}; groups: {[g.name for g in self.groups]}")

    def codes_in(self, group: str | None) -> list[Code]:
        """The codes of a group (``None``: the codes in no group), in codebook order."""
        return [c for c in self.codes if c.group == group]

    def children(self, name: str | None) -> list[Code]:
        """The codes whose parent is ``name`` (``None``: the top-level codes)."""
        return [c for c in self.codes if c.parent == name]

    def replace(self, **changes: Any) -> Codebook:
        """A copy with fields changed (codebooks are immutable)."""
        changes.setdefault("_lines", None)
        return replace(self, **changes)

    def replace_code(self, code: str, /, **changes: Any) -> Codebook:
        """A copy in which the code named ``code`` has fields changed (``name=`` renames it).

        Examples
        --------
        >>> cb = Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x"}]})
        >>> cb.replace_code("a", label="Apple")["a"].label
        'Apple'
        """
        self[code]
        return self.replace(codes=tuple(replace(c, **changes) if c.name == code else c for c in self.codes))

    def with_guids(self) -> Codebook:
        """A copy in which every code without a GUID gets its deterministic one.

        Examples
        --------
        >>> cb = Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x"}]})
        >>> cb.with_guids()["a"].guid == code_guid("d", "a")
        True
        """
        if all(c.guid for c in self.codes):
            return self
        return self.replace(
            codes=tuple(c if c.guid else replace(c, guid=code_guid(self.name, c.name)) for c in self.codes)
        )

    def guid_of(self, name: str) -> str:
        """The GUID of a code: its stored one, else the deterministic one."""
        c = self[name]
        return c.guid or code_guid(self.name, c.name)

    # --- validation ----------------------------------------------------------------------
    def problems(self) -> list[CodebookError]:
        """Every rule the codebook breaks, each a :class:`CodebookError` with file, line and field.

        Examples
        --------
        >>> cb = Codebook(name="d", codes=(Code("a", "A", ""), Code("b", "B", "y", parent="zz")))
        >>> [p.field for p in cb.problems()]
        ['definition', 'parent']
        """
        probs = _Problems(self.path, self._lines)
        _check(self, probs)
        return probs.items

    def validate(self) -> Codebook:
        """Raise :class:`CodebookError` for the first problem (listing the others); return self.

        Examples
        --------
        >>> Codebook(name="d", codes=(Code("a", "A", "x", shortcut="j"),)).validate()
        Traceback (most recent call last):
        ...
        workbench.errors.CodebookError: code 'a', field 'shortcut': shortcut 'j' is a navigation key ...
        """
        probs = _Problems(self.path, self._lines)
        _check(self, probs)
        probs.raise_if_any()
        return self

    # --- dict / YAML -------------------------------------------------------------------
    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        path: str | None = None,
        validate: bool = True,
        _lines: Mapping[Path_, int] | None = None,
    ) -> Codebook:
        """Build a codebook from a mapping in the YAML layout.

        Parameters
        ----------
        data : mapping
            ``name``, ``codes`` and optionally ``title``, ``description``,
            ``content_warnings``, ``groups``.
        path : str, optional
            The file it came from, named in error messages.
        validate : bool
            Check the rules (duplicate names and shortcuts, unknown parents and groups,
            cycles, colours, empty definitions). Unknown keys and wrong types are always
            errors.

        Raises
        ------
        CodebookError
            The first problem (file, line, code, field), with any others listed after it;
            ``err.problems`` holds all of them.
        """
        probs = _Problems(path, _lines)
        cb = _parse(data, path, _lines, probs)
        if validate:
            _check(cb, probs, data.get("codes") if isinstance(data.get("codes"), list) else None)
        probs.raise_if_any()
        return cb

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (the YAML layout), without empty optional fields."""

        def clean(d: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in d.items() if v not in (None, "", (), [])}

        codes = []
        for c in self.codes:
            d = asdict(c)
            d["examples"] = [clean(e) for e in d["examples"]]
            d["near_misses"] = [clean(e) for e in d["near_misses"]]
            d["patterns"] = list(d["patterns"])
            if d.get("codable", True) is True:
                d.pop("codable", None)
            codes.append(clean(d))
        out = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "content_warnings": list(self.content_warnings),
            "groups": [clean(asdict(g)) | {"exclusive": g.exclusive} for g in self.groups],
            "codes": codes,
        }
        return clean(out)

    @classmethod
    def from_yaml(cls, path: str | Path, *, validate: bool = True) -> Codebook:
        """Load and validate a codebook from a YAML file.

        Errors name the file, the line and the field, e.g.
        ``codebooks/x.yaml, line 12, code 'defensive', field 'shortcut': duplicate shortcut 'd' ...``.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CodebookError(f"no codebook file at {path}", path=path) from None
        return cls.from_yaml_text(text, path=str(path), validate=validate)

    @classmethod
    def from_yaml_text(cls, text: str, *, path: str | None = None, validate: bool = True) -> Codebook:
        """Load and validate a codebook from YAML text (``path`` is named in errors).

        Examples
        --------
        >>> Codebook.from_yaml_text('''
        ... name: demo
        ... codes:
        ...   - name: validating
        ...     label: Validating
        ...     definition: ""
        ... ''', path="demo.yaml")
        Traceback (most recent call last):
        ...
        workbench.errors.CodebookError: demo.yaml, line 6, code 'validating', field 'definition': empty definition: ...
        """
        data, lines, dup = _compose(text, path)
        if data is None:
            raise CodebookError("the file is empty; a codebook needs a name and codes", path=path, line=1)
        try:
            cb = cls.from_dict(data, path=path, validate=validate, _lines=lines)
        except CodebookError as exc:
            if dup:
                probs = _Problems(path, lines)
                probs.items = dup + list(getattr(exc, "problems", [exc]))
                probs.raise_if_any()
            raise
        if dup:
            probs = _Problems(path, lines)
            probs.items = dup
            probs.raise_if_any()
        return cb

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The codebook as YAML text; written to ``path`` when given."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    # --- REFI-QDA ------------------------------------------------------------------------
    def to_qdc(self, path: str | Path | None = None) -> str:
        """The codebook as REFI-QDA codebook XML (``.qdc``); see :mod:`workbench.interchange.refi`."""
        from .interchange.refi import write_qdc

        return write_qdc(self, path)

    @classmethod
    def from_qdc(cls, source: str | Path, *, name: str | None = None) -> Codebook:
        """Read a REFI-QDA ``.qdc`` codebook made by the workbench or another QDA program."""
        from .interchange.refi import read_qdc

        return read_qdc(source, name=name)

    # --- comparing -----------------------------------------------------------------------
    def diff(self, other: Codebook) -> CodebookDiff:
        """What changed from this codebook to ``other``: codes added, removed, renamed, fields changed.

        A code counts as renamed when it keeps its GUID under a new name, or (without
        GUIDs) when a removed and an added code share their definition.

        Examples
        --------
        >>> old = Codebook.from_dict({"name": "d", "codes": [
        ...     {"name": "a", "label": "A", "definition": "x"},
        ...     {"name": "b", "label": "B", "definition": "y"}]})
        >>> new = Codebook.from_dict({"name": "d", "codes": [
        ...     {"name": "apple", "label": "A", "definition": "x"},
        ...     {"name": "b", "label": "Bee", "definition": "y"},
        ...     {"name": "c", "label": "C", "definition": "z"}]})
        >>> d = old.diff(new)
        >>> d.added, d.removed, d.renamed
        (('c',), (), (('a', 'apple'),))
        >>> d.changed
        {'b': {'label': ('B', 'Bee')}}
        """
        return _diff(self, other)

    # --- rendering -----------------------------------------------------------------------
    def _rows(self) -> list[tuple[Code, CodeGroup | None]]:
        order: list[tuple[Code, CodeGroup | None]] = []
        for g in self.groups:
            order.extend((c, g) for c in self._tree(self.codes_in(g.name)))
        order.extend((c, None) for c in self._tree(self.codes_in(None)))
        declared = {g.name for g in self.groups}
        order.extend((c, None) for c in self.codes if c.group is not None and c.group not in declared)
        return order

    def _tree(self, codes: list[Code]) -> list[Code]:
        """Codes in hierarchy order: each parent followed by its children."""
        names = {c.name for c in codes}
        out: list[Code] = []

        def visit(c: Code, seen: set[str]) -> None:
            if c.name in seen:
                return
            seen.add(c.name)
            out.append(c)
            for child in codes:
                if child.parent == c.name:
                    visit(child, seen)

        seen: set[str] = set()
        for c in codes:
            if c.parent is None or c.parent not in names:
                visit(c, seen)
        for c in codes:  # codes in a cycle
            visit(c, seen)
        return out

    def _depth(self, code: Code) -> int:
        depth, cur, seen = 0, code.parent, {code.name}
        while cur is not None and cur in self and cur not in seen:
            seen.add(cur)
            depth += 1
            cur = self[cur].parent
        return depth

    def to_markdown(self, *, examples: bool = True, heading: bool = True) -> str:
        """The codebook as a Markdown table (e.g. for a paper's appendix); text is escaped.

        Examples
        --------
        >>> cb = Codebook.from_dict({"name": "d", "codes": [
        ...     {"name": "a", "label": "A | <b>", "definition": "x *y*",
        ...      "examples": [{"text": "Thanks", "unit": "t1:4"}]}]})
        >>> print(cb.to_markdown(heading=False))
        | Code | Definition | Apply when | Do not apply when | Anchor examples | Near misses |
        |---|---|---|---|---|---|
        | **A \\| &lt;b&gt;** (`a`) | x \\*y\\* |  |  | “Thanks” (t1:4) |  |
        """
        lines: list[str] = []
        if heading:
            lines += [f"# {_md(self.title or self.name)}", ""]
            if self.description:
                lines += [_md(self.description), ""]
            for g in self.groups:
                kind = "exclusive: one code per unit" if g.exclusive else "multi-label: any number per unit"
                desc = f": {_md(g.description)}" if g.description else ""
                lines.append(f"- **{_md(g.label or g.name)}** ({kind}){desc}")
            if self.groups:
                lines.append("")
        cols = ["Code", "Definition", "Apply when", "Do not apply when"]
        if examples:
            cols += ["Anchor examples", "Near misses"]
        if self.groups:
            cols.insert(1, "Group")
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "---|" * len(cols))
        for c, g in self._rows():
            indent = "↳ " * self._depth(c)
            cells = [f"{indent}**{_md(c.label or c.name)}** (`{c.name}`)" + ("" if c.codable else " (category)")]
            if self.groups:
                cells.append(_md(g.label or g.name) if g else "")
            cells += [_md(c.definition), _md(c.include), _md(c.exclude)]
            if examples:
                cells += ["<br>".join(_md(_quote(e)) for e in c.examples)]
                cells += ["<br>".join(_md(_quote(e)) for e in c.near_misses)]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_html(self, *, examples: bool = True) -> str:
        """The codebook as an HTML table (every text escaped).

        Examples
        --------
        >>> cb = Codebook.from_dict({"name": "d", "codes": [
        ...     {"name": "a", "label": "<script>x</script>", "definition": "A & B"}]})
        >>> "<script>" in cb.to_html(), "&lt;script&gt;" in cb.to_html()
        (False, True)
        """
        e = html.escape
        head = ["Code", "Definition", "Apply when", "Do not apply when"]
        if examples:
            head += ["Anchor examples", "Near misses"]
        if self.groups:
            head.insert(1, "Group")
        out = [f'<table class="wb-codebook" data-codebook="{e(self.name)}">']
        out.append(f"<caption>{e(self.title or self.name)}</caption>")
        out.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>")
        out.append("<tbody>")
        for c, g in self._rows():
            swatch = ""
            if c.color and _COLOR.match(c.color):
                swatch = f'<span class="wb-swatch" style="background:{e(c.color)}"></span> '
            depth = self._depth(c)
            style = f' style="padding-left:{depth * 1.2:.1f}em"' if depth else ""
            key = f" <kbd>{e(c.shortcut)}</kbd>" if c.shortcut else ""
            cells = [
                f"<th scope=\"row\"{style}>{swatch}{e(c.label or c.name)} <code>{e(c.name)}</code>{key}</th>"
            ]
            if self.groups:
                title = ""
                if g is not None:
                    title = ' title="exclusive"' if g.exclusive else ' title="multi-label"'
                cells.append(f"<td{title}>{e(g.label or g.name) if g else ''}</td>")
            cells += [f"<td>{e(t)}</td>" for t in (c.definition, c.include, c.exclude)]
            if examples:
                for exs in (c.examples, c.near_misses):
                    items = "".join(f"<li>{e(_quote(x))}</li>" for x in exs)
                    cells.append(f"<td><ul>{items}</ul></td>" if items else "<td></td>")
            out.append(f'<tr data-code="{e(c.name)}">' + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.to_html(examples=False)


def _quote(e: Example) -> str:
    unit = f" ({e.unit})" if e.unit else ""
    note = f": {e.note}" if e.note else ""
    return f"“{e.text}”{unit}{note}"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def _md(text: str | None) -> str:
    """Escape text for a Markdown table cell (HTML special characters too)."""
    if not text:
        return ""
    text = html.escape(str(text), quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return " ".join(text.split("\n")).strip() if "\n" in text else text.strip()


# --- diff ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CodebookDiff:
    """Differences between two codebooks (old -> new).

    Attributes
    ----------
    added, removed : tuple of str
        Code names only in the new / only in the old codebook.
    renamed : tuple of (old, new)
        Codes that kept their GUID (or definition) under a new name.
    changed : dict
        ``{new name: {field: (old value, new value)}}`` for codes in both.
    groups_added, groups_removed : tuple of str
    groups_changed : dict
        ``{group: {field: (old, new)}}``.
    """

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    groups_added: tuple[str, ...] = ()
    groups_removed: tuple[str, ...] = ()
    groups_changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.added
            or self.removed
            or self.renamed
            or self.changed
            or self.groups_added
            or self.groups_removed
            or self.groups_changed
        )

    def __str__(self) -> str:
        if not self:
            return "no differences"
        out = [f"added: {n}" for n in self.added]
        out += [f"removed: {n}" for n in self.removed]
        out += [f"renamed: {a} -> {b}" for a, b in self.renamed]
        for n, fs in self.changed.items():
            out += [f"changed: {n}.{k}: {old!r} -> {new!r}" for k, (old, new) in fs.items()]
        out += [f"group added: {n}" for n in self.groups_added]
        out += [f"group removed: {n}" for n in self.groups_removed]
        for n, fs in self.groups_changed.items():
            out += [f"group changed: {n}.{k}: {old!r} -> {new!r}" for k, (old, new) in fs.items()]
        return "\n".join(out)

    def to_frame(self):
        """One row per difference: ``code, change, field, old, new`` (a pandas DataFrame)."""
        import pandas as pd

        rows = [{"code": n, "change": "added", "field": None, "old": None, "new": None} for n in self.added]
        rows += [{"code": n, "change": "removed", "field": None, "old": None, "new": None} for n in self.removed]
        rows += [{"code": b, "change": "renamed", "field": "name", "old": a, "new": b} for a, b in self.renamed]
        for n, fs in self.changed.items():
            rows += [{"code": n, "change": "changed", "field": k, "old": o, "new": v} for k, (o, v) in fs.items()]
        for kind, names in (("group added", self.groups_added), ("group removed", self.groups_removed)):
            rows += [{"code": n, "change": kind, "field": None, "old": None, "new": None} for n in names]
        for n, fs in self.groups_changed.items():
            rows += [{"code": n, "change": "group changed", "field": k, "old": o, "new": v} for k, (o, v) in fs.items()]
        return pd.DataFrame(rows, columns=["code", "change", "field", "old", "new"])


def _diff(old: Codebook, new: Codebook) -> CodebookDiff:
    old_names, new_names = set(old.names), set(new.names)
    gone = [c for c in old.codes if c.name not in new_names]
    came = [c for c in new.codes if c.name not in old_names]
    renamed: list[tuple[str, str]] = []
    # 1. same GUID under a new name
    by_guid = {c.guid.strip("{}").lower(): c for c in came if c.guid}
    for c in list(gone):
        if c.guid and c.guid.strip("{}").lower() in by_guid:
            n = by_guid.pop(c.guid.strip("{}").lower())
            renamed.append((c.name, n.name))
            gone.remove(c)
            came.remove(n)
    # 2. without GUIDs: the same (non-empty) definition
    for c in list(gone):
        match = [n for n in came if c.definition.strip() and n.definition.strip() == c.definition.strip()]
        if len(match) == 1 and not (c.guid and match[0].guid):
            renamed.append((c.name, match[0].name))
            gone.remove(c)
            came.remove(match[0])
    to_new = {a: b for a, b in renamed}
    changed: dict[str, dict[str, tuple[Any, Any]]] = {}
    pairs = [(old[n], new[n]) for n in old.names if n in new_names] + [(old[a], new[b]) for a, b in renamed]
    for o, n in pairs:
        fs: dict[str, tuple[Any, Any]] = {}
        for f in fields(Code):
            if f.name == "name":
                continue
            a, b = getattr(o, f.name), getattr(n, f.name)
            if f.name == "parent" and a is not None:
                a = to_new.get(a, a)
            if f.name == "guid" and (a is None or b is None):
                continue
            if a != b:
                fs[f.name] = (a, b)
        if fs:
            changed[n.name] = fs
    og = {g.name: g for g in old.groups}
    ng = {g.name: g for g in new.groups}
    gchanged = {}
    for name in og.keys() & ng.keys():
        fs = {
            f.name: (getattr(og[name], f.name), getattr(ng[name], f.name))
            for f in fields(CodeGroup)
            if getattr(og[name], f.name) != getattr(ng[name], f.name)
        }
        if fs:
            gchanged[name] = fs
    return CodebookDiff(
        added=tuple(c.name for c in came),
        removed=tuple(c.name for c in gone),
        renamed=tuple(renamed),
        changed=changed,
        groups_added=tuple(n for n in ng if n not in og),
        groups_removed=tuple(n for n in og if n not in ng),
        groups_changed=gchanged,
    )
