"""Reports: the reliability report of a round, and notebooks published as offline HTML.

Modules: :mod:`~workbench.report.reliability` (the report; its paragraph in
:mod:`~workbench.report.methods`, its Markdown and HTML in
:mod:`~workbench.report.reliability_page`), :mod:`~workbench.report.publish` (publishing a
notebook; the hooks it runs in the kernel in :mod:`~workbench.report.kernel`, the raw values
it replaces and the guard in :mod:`~workbench.report.terms`, the page in
:mod:`~workbench.report.page`). The command line is ``workbench report``
(:mod:`workbench.cli`).

``wb.report.publish`` is the function (it shadows the submodule of the same name; import
``workbench.report.publish`` through :mod:`importlib` if you need the module itself).
"""

from __future__ import annotations

from .publish import Leak, PublishError, find_leaks, publish
from .reliability import ReliabilityReport, reliability

__all__ = ["Leak", "PublishError", "ReliabilityReport", "find_leaks", "publish", "reliability"]
