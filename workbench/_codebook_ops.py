"""Codebook restructuring on a project (rename, merge, split, retire): a mixin of Project.

Each operation stores a new codebook version and migrates current codings through new
coding events; history is never rewritten.
"""

from __future__ import annotations

__all__ = ["CodebookOps"]


class CodebookOps:
    """Methods of :class:`workbench.Project` that evolve its codebook."""
