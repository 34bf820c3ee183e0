"""What changed between two codebook versions: codes added, removed, renamed, fields changed."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from ._values import Code, CodebookLike, CodeGroup, first_by_name

__all__ = ["CodebookDiff", "diff_codebooks"]


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

    def to_frame(self) -> pd.DataFrame:
        """One row per difference: ``code, change, field, old, new`` (a pandas DataFrame)."""
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


def diff_codebooks(old: CodebookLike, new: CodebookLike) -> CodebookDiff:
    """What changed from ``old`` to ``new`` (see :meth:`workbench.Codebook.diff`).

    Parameters
    ----------
    old, new : Codebook
        Two codebooks (or two versions of one).

    Returns
    -------
    CodebookDiff
        Codes added, removed, renamed (same GUID, or without GUIDs the same definition)
        and changed, and groups added, removed and changed.

    Examples
    --------
    >>> from workbench.codebook import Codebook
    >>> old = Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x"}]})
    >>> print(diff_codebooks(old, old.replace_code("a", label="Apple")))
    changed: a.label: 'A' -> 'Apple'
    """
    old_by, new_by = first_by_name(old.codes), first_by_name(new.codes)
    old_names, new_names = set(old_by), set(new_by)
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
    pairs = [(old_by[c.name], new_by[c.name]) for c in old.codes if c.name in new_names]
    pairs += [(old_by[a], new_by[b]) for a, b in renamed]
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
