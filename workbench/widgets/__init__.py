"""Jupyter widgets of the workbench: the coding panel, the reliability dashboard, the disagreement review.

The coding panel is for coders, the dashboard and the review for supervisors. The panel and
the review are anywidgets sharing :mod:`workbench.widgets._base` (their JavaScript ships in
``static/``); the dashboard composes ipywidgets and :mod:`workbench.charts`.

>>> from workbench import widgets
>>> "CodingPanel" in widgets.__all__
True
"""

from __future__ import annotations

from .coding_panel import CodingPanel
from .dashboard import ReliabilityDashboard
from .disagreement_review import DisagreementReview

__all__ = ["CodingPanel", "DisagreementReview", "ReliabilityDashboard"]
