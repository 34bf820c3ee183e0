"""Codebooks: codes of response types with definitions, rules, anchor examples and groups.

A codebook lives in a YAML file (``codebooks/*.yaml``) and, once added to a project,
as immutable numbered versions in the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from .errors import CodebookError

__all__ = ["Code", "CodeGroup", "Example", "Codebook"]


@dataclass(frozen=True)
class Example:
    """A quoted anchor example (or near miss) and the unit it came from."""

    text: str
    unit: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Code:
    """One code of a codebook."""

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


@dataclass(frozen=True)
class CodeGroup:
    """A group of codes: ``exclusive`` groups allow one code per unit, others are multi-label."""

    name: str
    label: str = ""
    exclusive: bool = False
    description: str = ""


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
    """

    name: str
    codes: tuple[Code, ...] = ()
    groups: tuple[CodeGroup, ...] = ()
    title: str = ""
    description: str = ""
    content_warnings: tuple[str, ...] = ()
    path: str | None = field(default=None, compare=False)

    @property
    def names(self) -> list[str]:
        """Code names in codebook order."""
        return [c.name for c in self.codes]

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, name: str) -> Code:
        for c in self.codes:
            if c.name == name:
                return c
        raise KeyError(f"code {name!r} is not in codebook {self.name!r}; codes: {self.names}")

    def group(self, name: str) -> CodeGroup:
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(f"group {name!r} is not in codebook {self.name!r}")

    def replace(self, **changes: Any) -> Codebook:
        """A copy with fields changed (codebooks are immutable)."""
        return replace(self, **changes)

    # --- dict / YAML -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str | None = None) -> Codebook:
        if not isinstance(data, Mapping):
            raise CodebookError("a codebook must be a mapping with 'name' and 'codes'", path=path)
        codes = []
        for i, raw in enumerate(data.get("codes") or []):
            if not isinstance(raw, Mapping):
                raise CodebookError(f"code #{i + 1} must be a mapping", path=path, field="codes")
            raw = dict(raw)
            for key in ("examples", "near_misses"):
                raw[key] = tuple(
                    Example(**e) if isinstance(e, Mapping) else Example(text=str(e))
                    for e in raw.get(key) or ()
                )
            raw["patterns"] = tuple(raw.get("patterns") or ())
            try:
                codes.append(Code(**raw))
            except TypeError as exc:
                raise CodebookError(str(exc), path=path, code=raw.get("name")) from None
        groups = tuple(CodeGroup(**g) for g in data.get("groups") or ())
        return cls(
            name=str(data.get("name") or ""),
            codes=tuple(codes),
            groups=groups,
            title=str(data.get("title") or ""),
            description=str(data.get("description") or ""),
            content_warnings=tuple(data.get("content_warnings") or ()),
            path=path,
        )

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
    def from_yaml(cls, path: str | Path) -> Codebook:
        """Load a codebook from a YAML file."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise CodebookError(
                f"not valid YAML: {getattr(exc, 'problem', exc)}",
                path=path,
                line=None if mark is None else mark.line + 1,
            ) from None
        return cls.from_dict(data, path=str(path))

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The codebook as YAML text; written to ``path`` when given."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text
