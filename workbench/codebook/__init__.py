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

The package, one concept a module: :mod:`~workbench.codebook._values` (``Code``,
``CodeGroup``, ``Example``, GUIDs), :mod:`~workbench.codebook._yaml` (YAML with line
numbers), :mod:`~workbench.codebook._validate` (the rules), :mod:`~workbench.codebook.diff`
(what changed between versions), :mod:`~workbench.codebook.render` (Markdown and HTML
tables) and :mod:`~workbench.codebook._book` (the ``Codebook`` that ties them together).
Exchange with other QDA programs (REFI-QDA ``.qdc``) is in :mod:`workbench.interchange`.
"""

from __future__ import annotations

from ._book import Codebook
from ._values import (
    COLOR_PATTERN,
    GUID_NAMESPACE,
    RESERVED_SHORTCUTS,
    Code,
    CodeGroup,
    Example,
    code_guid,
    group_guid,
    slugify,
)
from .diff import CodebookDiff, diff_codebooks

__all__ = [
    "Code",
    "CodeGroup",
    "Example",
    "Codebook",
    "CodebookDiff",
    "RESERVED_SHORTCUTS",
    "GUID_NAMESPACE",
    "COLOR_PATTERN",
    "code_guid",
    "group_guid",
    "slugify",
    "diff_codebooks",
]
