"""Reports: the reliability report of a round, and notebooks published as offline HTML.

``wb.report.publish`` is the function (it shadows the submodule of the same name; import
``workbench.report.publish`` through :mod:`importlib` if you need the module itself).
"""

from __future__ import annotations

from .publish import Leak, PublishError, find_leaks, publish
from .reliability import ReliabilityReport, reliability

__all__ = ["Leak", "PublishError", "ReliabilityReport", "find_leaks", "publish", "reliability"]
