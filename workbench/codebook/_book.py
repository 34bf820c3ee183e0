"""The :class:`Codebook`: codes, groups and content warnings; YAML in and out, validation, diff, tables."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ..errors import CodebookError
from ._validate import Problems, check, parse
from ._values import Code, CodeGroup, code_guid
from ._yaml import KeyPath, compose, read_text
from .diff import CodebookDiff, diff_codebooks
from .render import to_html, to_markdown

__all__ = ["Codebook"]


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
    _lines: dict[KeyPath, int] | None = field(default=None, compare=False, repr=False)

    @property
    def names(self) -> list[str]:
        """Code names in codebook order."""
        return [c.name for c in self.codes]

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self) -> Iterator[Code]:
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
        probs = Problems(self.path, self._lines)
        check(self.codes, self.groups, probs, name=self.name)
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
        probs = Problems(self.path, self._lines)
        check(self.codes, self.groups, probs, name=self.name)
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
        _lines: Mapping[KeyPath, int] | None = None,
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
        probs = Problems(path, _lines)
        cb = cls(**parse(data, path, _lines, probs))
        if validate:
            check(cb.codes, cb.groups, probs, data.get("codes") if isinstance(data.get("codes"), list) else None)
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
    def from_yaml(cls, path: str | Path, *, validate: bool = True, max_bytes: int | None = None) -> Codebook:
        """Load and validate a codebook from a YAML file.

        Errors name the file, the line and the field, e.g.
        ``codebooks/x.yaml, line 12, code 'defensive', field 'shortcut': duplicate shortcut 'd' ...``.
        A file larger than ``max_bytes`` (default 16 MiB, or ``$WB_MAX_CODEBOOK_BYTES``), not
        UTF-8, or nested too deeply is refused with a :class:`CodebookError` naming it.
        """
        path = Path(path)
        return cls.from_yaml_text(read_text(path, max_bytes), path=str(path), validate=validate)

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
        data, lines, dup = compose(text, path)
        if data is None:
            raise CodebookError("the file is empty; a codebook needs a name and codes", path=path, line=1)
        try:
            cb = cls.from_dict(data, path=path, validate=validate, _lines=lines)
        except CodebookError as exc:
            if dup:
                probs = Problems(path, lines)
                probs.items = dup + list(getattr(exc, "problems", [exc]))
                probs.raise_if_any()
            raise
        if dup:
            probs = Problems(path, lines)
            probs.items = dup
            probs.raise_if_any()
        return cb

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The codebook as YAML text; written to ``path`` when given."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

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
        return diff_codebooks(self, other)

    # --- rendering -----------------------------------------------------------------------
    def to_markdown(self, *, examples: bool = True, heading: bool = True) -> str:
        r"""The codebook as a Markdown table (e.g. for a paper's appendix); text is escaped.

        Parameters
        ----------
        examples : bool
            Add columns with the anchor examples and near misses.
        heading : bool
            Start with the title, the description and a list of the groups.

        Returns
        -------
        str
            Markdown (see :func:`workbench.codebook.render.to_markdown`).

        Examples
        --------
        >>> cb = Codebook.from_dict({"name": "d", "codes": [
        ...     {"name": "a", "label": "A | <b>", "definition": "x *y*",
        ...      "examples": [{"text": "Thanks", "unit": "t1:4"}]}]})
        >>> print(cb.to_markdown(heading=False))
        | Code | Definition | Apply when | Do not apply when | Anchor examples | Near misses |
        |---|---|---|---|---|---|
        | **A \| &lt;b&gt;** (`a`) | x \*y\* |  |  | “Thanks” (t1:4) |  |
        """
        return to_markdown(self, examples=examples, heading=heading)

    def to_html(self, *, examples: bool = True) -> str:
        """The codebook as an HTML table (every text escaped).

        Parameters
        ----------
        examples : bool
            Add columns with the anchor examples and near misses.

        Returns
        -------
        str
            A ``<table class="wb-codebook">`` (see :func:`workbench.codebook.render.to_html`).

        Examples
        --------
        >>> cb = Codebook.from_dict({"name": "d", "codes": [
        ...     {"name": "a", "label": "<script>x</script>", "definition": "A & B"}]})
        >>> "<script>" in cb.to_html(), "&lt;script&gt;" in cb.to_html()
        (False, True)
        """
        return to_html(self, examples=examples)

    def _repr_html_(self) -> str:
        return self.to_html(examples=False)
