"""The codebook as the widgets show it: code rows in display order, safe colours, exclusive groups.

Shared by :class:`~workbench.widgets.CodingPanel` and
:class:`~workbench.widgets.DisagreementReview`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..codebook import Code, Codebook

__all__ = ["check_shortcuts", "code_rows", "rivals", "text_color"]

_COLOR = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$")


def text_color(color: str | None) -> str:
    """Black or white, whichever reads better on ``color`` (a #hex colour); ``""`` otherwise.

    Examples
    --------
    >>> text_color("#ffee00"), text_color("#1f3a93"), text_color("teal")
    ('#000000', '#ffffff', '')
    """
    if not color or not color.startswith("#"):
        return ""
    h = color[1:]
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#000000" if lum > 0.179 else "#ffffff"


def code_rows(codebook: Codebook) -> list[dict[str, Any]]:
    """The codes in display order (by group, then parent before children) as plain dicts.

    Each row has ``name, label, definition, include, exclude, example, color,
    text_color, shortcut, parent, level, group, group_label, exclusive``. A colour that
    is not a #hex colour or a colour name is left out (``""``), so nothing but a colour
    reaches the page's styles.

    Examples
    --------
    >>> cb = Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks.", "color": "#ffee00"},
    ...     {"name": "warm", "label": "Warm", "definition": "Warm.", "parent": "thanks"}]})
    >>> [(r["name"], r["level"], r["color"], r["text_color"]) for r in code_rows(cb)]
    [('thanks', 0, '#ffee00', '#000000'), ('warm', 1, '', '')]
    """
    groups = {g.name: g for g in codebook.groups}
    by_parent: dict[str | None, list[Code]] = {}
    names = set(codebook.names)
    for c in codebook.codes:
        parent = c.parent if c.parent in names else None
        by_parent.setdefault(parent, []).append(c)

    ordered: list[tuple[Code, int]] = []

    def walk(parent: str | None, level: int, seen: set[str]) -> None:
        for c in by_parent.get(parent, []):
            if c.name in seen:
                continue
            seen.add(c.name)
            ordered.append((c, level))
            walk(c.name, level + 1, seen)

    walk(None, 0, set())
    # codes whose parent chain loops are still shown, at the top level
    shown = {c.name for c, _ in ordered}
    ordered.extend((c, 0) for c in codebook.codes if c.name not in shown)

    group_order = list(dict.fromkeys([g.name for g in codebook.groups] + [c.group or "" for c in codebook.codes]))
    rows = []
    for gname in group_order:
        for c, level in ordered:
            if (c.group or "") != gname:
                continue
            g = groups.get(c.group or "")
            color = c.color if c.color and _COLOR.match(c.color) else ""
            example = c.examples[0].text if c.examples else ""
            rows.append(
                {
                    "name": c.name,
                    "label": c.label or c.name,
                    "definition": c.definition or "",
                    "include": c.include or "",
                    "exclude": c.exclude or "",
                    "example": example,
                    "color": color,
                    "text_color": text_color(color),
                    "shortcut": c.shortcut or "",
                    "parent": c.parent or "",
                    "level": level,
                    "group": c.group or "",
                    "group_label": (g.label or g.name) if g else (c.group or ""),
                    "exclusive": bool(g.exclusive) if g else False,
                }
            )
    return rows


def rivals(codebook: Codebook, code: str) -> set[str]:
    """The codes that ``code`` replaces: those of its group when the group is exclusive.

    Empty for a code of a multi-label group (or of no group); the set includes ``code``.

    Examples
    --------
    >>> cb = Codebook.from_dict({"name": "demo",
    ...     "groups": [{"name": "stance", "exclusive": True}],
    ...     "codes": [{"name": "for", "label": "For", "definition": "Agrees.", "group": "stance"},
    ...               {"name": "against", "label": "Against", "definition": "Disagrees.", "group": "stance"},
    ...               {"name": "thanks", "label": "Thanks", "definition": "Thanks."}]})
    >>> sorted(rivals(cb, "for")), rivals(cb, "thanks")
    (['against', 'for'], set())
    """
    group = codebook[code].group
    if not group or not any(g.name == group and g.exclusive for g in codebook.groups):
        return set()
    return {c.name for c in codebook.codes if c.group == group}


def check_shortcuts(codebook: Codebook, reserved: Mapping[str, str]) -> None:
    """Refuse shortcuts a coder could not use: longer than a key, taken by navigation, or shared.

    Parameters
    ----------
    codebook : Codebook
        Its codes' ``shortcut``.
    reserved : mapping of str to str
        The keys a widget uses itself, with what they do (e.g. ``{"j": "next"}``).

    Raises
    ------
    ValueError
        Naming the code, its shortcut and what would be valid.

    Examples
    --------
    >>> cb = Codebook(name="x", codes=(Code("judging", "Judging", "d", shortcut="j"),))
    >>> check_shortcuts(cb, {"j": "next"})
    Traceback (most recent call last):
    ValueError: code 'judging' has shortcut 'j', which the coding panel uses for 'next'; the navigation keys are ['j'] and the arrow keys. Give the code another shortcut in the codebook.
    """
    seen: dict[str, str] = {}
    lowered = {k.lower(): v for k, v in reserved.items()}
    for c in codebook.codes:
        if not c.shortcut:
            continue
        key = str(c.shortcut)
        if len(key) != 1 or key.isspace():
            raise ValueError(f"code {c.name!r} has shortcut {key!r}: a shortcut is one character, e.g. 'v'")
        low = key.lower()
        if low in lowered:
            raise ValueError(
                f"code {c.name!r} has shortcut {key!r}, which the coding panel uses for "
                f"{lowered[low]!r}; the navigation keys are {sorted(k for k in reserved if len(k) == 1)} "
                "and the arrow keys. Give the code another shortcut in the codebook."
            )
        if low in seen:
            raise ValueError(f"codes {seen[low]!r} and {c.name!r} share the shortcut {key!r}; give each code its own")
        seen[low] = c.name
