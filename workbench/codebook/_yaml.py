"""YAML with line numbers: the data of a codebook file and where each key stands in it.

A codebook file may come from anywhere: it is read within :data:`MAX_CODEBOOK_BYTES`
(raised with ``max_bytes=`` or the environment variable ``WB_MAX_CODEBOOK_BYTES``), YAML
nested too deep is refused, and anchors and aliases are walked once (a "billion laughs"
file costs no more than its size).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from ..errors import CodebookError

__all__ = ["KeyPath", "compose", "read_text", "MAX_CODEBOOK_BYTES", "CODEBOOK_BYTES_ENV"]

#: A key path into the parsed data, e.g. ``("codes", 3, "color")``.
KeyPath = tuple[Any, ...]

#: The largest codebook file read (a codebook of 500 codes with examples is about 1 MB).
MAX_CODEBOOK_BYTES = 16 << 20
CODEBOOK_BYTES_ENV = "WB_MAX_CODEBOOK_BYTES"


def read_text(path: Path, max_bytes: int | None = None) -> str:
    """A codebook file's text, read within the size limit (errors name the file)."""
    limit = max_bytes
    if limit is None:
        raw = os.environ.get(CODEBOOK_BYTES_ENV, "").strip()
        limit = int(raw) if raw.isdigit() and int(raw) > 0 else MAX_CODEBOOK_BYTES
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise CodebookError(f"no codebook file at {path}", path=path) from None
    except OSError as exc:
        raise CodebookError(f"cannot read the codebook file: {exc.strerror or exc}", path=path) from None
    if len(data) > limit:
        raise CodebookError(
            f"larger than {limit:,} bytes, too large for a codebook; if it is one, read it with "
            f"Codebook.from_yaml(path, max_bytes=N) or set the environment variable {CODEBOOK_BYTES_ENV}=N",
            path=path,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookError(f"not UTF-8 text (byte {exc.start}); save the codebook as UTF-8", path=path) from None


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
    except RecursionError:
        raise CodebookError("YAML nested too deeply to be a codebook", path=path) from None
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
    visited: set[int] = set()

    def walk(n: yaml.Node, at: KeyPath) -> None:
        lines.setdefault(at, n.start_mark.line + 1)
        if id(n) in visited:  # an alias: its node was walked where its anchor stands
            return
        visited.add(id(n))
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
        try:
            walk(node, ())
        except RecursionError:
            raise CodebookError("YAML nested too deeply to be a codebook", path=path) from None
    return data, lines, problems
