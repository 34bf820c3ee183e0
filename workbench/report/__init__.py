"""Reports: the reliability report of a round, and notebooks published as offline HTML."""

from __future__ import annotations

from .reliability import ReliabilityReport, reliability

__all__ = ["ReliabilityReport", "reliability"]
