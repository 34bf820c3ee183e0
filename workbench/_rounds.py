"""Reliability rounds, adjudication and the gold set: a mixin of Project."""

from __future__ import annotations

__all__ = ["Rounds"]


class Rounds:
    """Methods of :class:`workbench.Project` for rounds, assignments and adjudication."""
