"""Jupyter widgets of the workbench: the coding panel for coders, the reliability dashboard
and the disagreement review for supervisors (anywidget; their JavaScript ships in ``static/``).

>>> from workbench import widgets
>>> "CodingPanel" in widgets.__all__
True
"""

from __future__ import annotations

from .coding_panel import CodingPanel
from .dashboard import ReliabilityDashboard
from .disagreement_review import DisagreementReview

__all__ = ["CodingPanel", "DisagreementReview", "ReliabilityDashboard"]
