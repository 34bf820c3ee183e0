"""The exception of publishing: :class:`PublishError`."""

from __future__ import annotations

from ..errors import WorkbenchError

__all__ = ["PublishError"]


class PublishError(WorkbenchError, RuntimeError):
    """A notebook could not be published.

    A cell failed, an output needs the internet, or personal data would have reached the page.
    """
