"""The values of a codebook: codes, groups, anchor examples, and their stable GUIDs.

Plain frozen dataclasses with no behaviour beyond their fields; the :class:`Codebook`
that holds them lives in :mod:`workbench.codebook._book`.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "Code",
    "CodeGroup",
    "Example",
    "RESERVED_SHORTCUTS",
    "GUID_NAMESPACE",
    "SLUG_PATTERN",
    "COLOR_PATTERN",
    "CodebookLike",
    "first_by_name",
    "code_guid",
    "group_guid",
    "slugify",
]

#: Keys the coding panel keeps for navigation (j/k, n/p: next/previous; u: undo).
RESERVED_SHORTCUTS: frozenset[str] = frozenset("jknpu")

#: Namespace of the deterministic GUIDs of codes and groups (uuid5).
GUID_NAMESPACE = uuid.UUID("6f1c3a52-3a1e-5b7e-9d2c-7a0e0c0de0b0")

#: A code name: lower-case letters and digits, words joined by ``-`` or ``_``.
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

#: A colour: ``#rgb`` or ``#rrggbb``.
COLOR_PATTERN = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def slugify(text: str) -> str:
    """A code name (slug) made from a label: lower case, words joined by ``-``.

    Examples
    --------
    >>> slugify("Systemic deflection (resources, politics)")
    'systemic-deflection-resources-politics'
    >>> slugify("Émotional  support!")
    'emotional-support'
    """
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



class CodebookLike(Protocol):
    """What diff and rendering read of a codebook (a :class:`Codebook` is one)."""

    @property
    def name(self) -> str: ...  # noqa: D102

    @property
    def title(self) -> str: ...  # noqa: D102

    @property
    def description(self) -> str: ...  # noqa: D102

    @property
    def codes(self) -> tuple[Code, ...]: ...  # noqa: D102

    @property
    def groups(self) -> tuple[CodeGroup, ...]: ...  # noqa: D102


def first_by_name(codes: tuple[Code, ...] | list[Code]) -> dict[str, Code]:
    """Each code name to its first code (a draft codebook may repeat a name)."""
    out: dict[str, Code] = {}
    for c in codes:
        out.setdefault(c.name, c)
    return out
