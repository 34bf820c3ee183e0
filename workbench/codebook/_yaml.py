"""YAML with line numbers: the data of a codebook file and where each key stands in it."""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import CodebookError

__all__ = ["KeyPath", "compose"]

#: A key path into the parsed data, e.g. ``("codes", 3, "color")``.
KeyPath = tuple[Any, ...]


def compose(text: str, path: str | None) -> tuple[Any, dict[KeyPath, int], list[CodebookError]]:
    r"""Parse YAML text; return the data, a map from key paths to line numbers, problems.

    Parameters
    ----------
    text : str
        The YAML text.
    path : str, optional
        The file it came from, named in errors.

    Returns
    -------
    tuple
        ``(data, lines, problems)``: the parsed data, ``{key path: line}`` (1-based) and
        a :class:`~workbench.errors.CodebookError` per key repeated in one mapping.

    Examples
    --------
    >>> data, lines, problems = compose("name: demo\ncodes:\n  - name: a\n", "demo.yaml")
    >>> lines[("codes", 0, "name")], problems
    (3, [])
    """
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
    lines: dict[KeyPath, int] = {}
    problems: list[CodebookError] = []

    def walk(n: yaml.Node, at: KeyPath) -> None:
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
