"""Jupyter widgets of the workbench: the coding panel, the reliability dashboard, the disagreement review.

The coding panel is for coders, the dashboard and the review for supervisors. The panel and
the review are anywidgets sharing :mod:`workbench.widgets._base` (their JavaScript ships in
``static/``); the dashboard composes ipywidgets and :mod:`workbench.charts`. The dashboard
and the review are imported when first used, so the coder app
(:mod:`workbench.widgets.coder_app`) loads neither the charts nor Altair.

>>> from workbench import widgets
>>> "CodingPanel" in widgets.__all__
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .coding_panel import CodingPanel

if TYPE_CHECKING:
    from .dashboard import ReliabilityDashboard
    from .disagreement_review import DisagreementReview

__all__ = ["CodingPanel", "DisagreementReview", "ReliabilityDashboard"]

#: The supervisors' widgets, imported on first use (the dashboard brings the charts and Altair).
_LAZY = {"ReliabilityDashboard": ".dashboard", "DisagreementReview": ".disagreement_review"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
