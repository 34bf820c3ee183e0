"""A codebook as a table for people: Markdown (a paper's appendix) and HTML (notebooks, reports).

Rows follow the groups, and within a group the hierarchy (each parent followed by its
children, indented). Every text is escaped through :mod:`workbench.escape`, once.
"""

from __future__ import annotations

from ..escape import html as escape_html
from ..escape import markdown as escape_markdown
from ._values import COLOR_PATTERN, Code, CodebookLike, CodeGroup, Example, first_by_name

__all__ = ["to_markdown", "to_html", "rows"]


def rows(codebook: CodebookLike) -> list[tuple[Code, CodeGroup | None, int]]:
    """The codes in reading order with their group and depth in the hierarchy.

    Parameters
    ----------
    codebook : Codebook
        The codebook to lay out.

    Returns
    -------
    list of (Code, CodeGroup or None, int)
        Groups in codebook order (then the codes in no group, then codes naming an
        undeclared group); within each, every parent followed by its children; the depth
        is 0 for a top-level code.

    Examples
    --------
    >>> from workbench.codebook import Codebook
    >>> cb = Codebook.from_dict({"name": "d", "codes": [
    ...     {"name": "b", "label": "B", "definition": "y", "parent": "a"},
    ...     {"name": "a", "label": "A", "definition": "x"}]})
    >>> [(c.name, depth) for c, _, depth in rows(cb)]
    [('a', 0), ('b', 1)]
    """
    by_name = first_by_name(codebook.codes)
    order: list[tuple[Code, CodeGroup | None]] = []
    for g in codebook.groups:
        order.extend((c, g) for c in _tree([c for c in codebook.codes if c.group == g.name]))
    order.extend((c, None) for c in _tree([c for c in codebook.codes if c.group is None]))
    declared = {g.name for g in codebook.groups}
    order.extend((c, None) for c in codebook.codes if c.group is not None and c.group not in declared)
    return [(c, g, _depth(c, by_name)) for c, g in order]


def _tree(codes: list[Code]) -> list[Code]:
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


def _depth(code: Code, by_name: dict[str, Code]) -> int:
    depth, cur, seen = 0, code.parent, {code.name}
    while cur is not None and cur in by_name and cur not in seen:
        seen.add(cur)
        depth += 1
        cur = by_name[cur].parent
    return depth


def _quote(e: Example) -> str:
    unit = f" ({e.unit})" if e.unit else ""
    note = f": {e.note}" if e.note else ""
    return f"“{e.text}”{unit}{note}"


def to_markdown(codebook: CodebookLike, *, examples: bool = True, heading: bool = True) -> str:
    r"""The codebook as a Markdown table (e.g. for a paper's appendix); text is escaped.

    Parameters
    ----------
    codebook : Codebook
        The codebook to render.
    examples : bool
        Add columns with the anchor examples and near misses.
    heading : bool
        Start with the title, the description and a list of the groups.

    Returns
    -------
    str
        Markdown: one table row per code, every text through :func:`workbench.escape.markdown`.

    Examples
    --------
    >>> from workbench.codebook import Codebook
    >>> cb = Codebook.from_dict({"name": "d", "codes": [
    ...     {"name": "a", "label": "A | <b>", "definition": "x *y*",
    ...      "examples": [{"text": "Thanks", "unit": "t1:4"}]}]})
    >>> print(to_markdown(cb, heading=False))
    | Code | Definition | Apply when | Do not apply when | Anchor examples | Near misses |
    |---|---|---|---|---|---|
    | **A \| &lt;b&gt;** (`a`) | x \*y\* |  |  | “Thanks” (t1:4) |  |
    """
    md = escape_markdown
    lines: list[str] = []
    if heading:
        lines += [f"# {md(codebook.title or codebook.name)}", ""]
        if codebook.description:
            lines += [md(codebook.description), ""]
        for g in codebook.groups:
            kind = "exclusive: one code per unit" if g.exclusive else "multi-label: any number per unit"
            desc = f": {md(g.description)}" if g.description else ""
            lines.append(f"- **{md(g.label or g.name)}** ({kind}){desc}")
        if codebook.groups:
            lines.append("")
    cols = ["Code", "Definition", "Apply when", "Do not apply when"]
    if examples:
        cols += ["Anchor examples", "Near misses"]
    if codebook.groups:
        cols.insert(1, "Group")
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "---|" * len(cols))
    for c, group, depth in rows(codebook):
        indent = "↳ " * depth
        cells = [f"{indent}**{md(c.label or c.name)}** (`{c.name}`)" + ("" if c.codable else " (category)")]
        if codebook.groups:
            cells.append(md(group.label or group.name) if group else "")
        cells += [md(c.definition), md(c.include), md(c.exclude)]
        if examples:
            cells += ["<br>".join(md(_quote(e)) for e in c.examples)]
            cells += ["<br>".join(md(_quote(e)) for e in c.near_misses)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_html(codebook: CodebookLike, *, examples: bool = True) -> str:
    """The codebook as an HTML table (every text escaped).

    Parameters
    ----------
    codebook : Codebook
        The codebook to render.
    examples : bool
        Add columns with the anchor examples and near misses.

    Returns
    -------
    str
        A ``<table class="wb-codebook">`` with one row per code (``data-code`` holds its
        name), every text through :func:`workbench.escape.html`.

    Examples
    --------
    >>> from workbench.codebook import Codebook
    >>> cb = Codebook.from_dict({"name": "d", "codes": [
    ...     {"name": "a", "label": "<script>x</script>", "definition": "A & B"}]})
    >>> "<script>" in to_html(cb), "&lt;script&gt;" in to_html(cb)
    (False, True)
    """
    e = escape_html
    head = ["Code", "Definition", "Apply when", "Do not apply when"]
    if examples:
        head += ["Anchor examples", "Near misses"]
    if codebook.groups:
        head.insert(1, "Group")
    out = [f'<table class="wb-codebook" data-codebook="{e(codebook.name)}">']
    out.append(f"<caption>{e(codebook.title or codebook.name)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>")
    out.append("<tbody>")
    for c, g, depth in rows(codebook):
        swatch = ""
        if c.color and COLOR_PATTERN.match(c.color):
            swatch = f'<span class="wb-swatch" style="background:{e(c.color)}"></span> '
        style = f' style="padding-left:{depth * 1.2:.1f}em"' if depth else ""
        key = f" <kbd>{e(c.shortcut)}</kbd>" if c.shortcut else ""
        cells = [f'<th scope="row"{style}>{swatch}{e(c.label or c.name)} <code>{e(c.name)}</code>{key}</th>']
        if codebook.groups:
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
