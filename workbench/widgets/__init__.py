"""Jupyter widgets of the workbench (anywidget; their JavaScript ships in ``static/``).

>>> from workbench import widgets
>>> "CodingPanel" in widgets.__all__
True
"""

from __future__ import annotations

from .coding_panel import CodingPanel

__all__ = ["CodingPanel"]
