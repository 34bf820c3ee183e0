"""What a widget's page may set: a short list of traits; the kernel owns every other one.

A widget's traits are synced both ways: the page can send a state update
(``{"method": "update", "state": {...}}``) for any trait, and ipywidgets would set it in
the kernel. The page is not trusted (a coder's browser, or anyone who can run JavaScript
in it), so a widget built on :class:`BrowserSets` accepts an update only for the traits
named in its ``_from_browser`` (what its JavaScript sets: e.g. the memo being typed).
An update of any other trait (the coder, the round, the pending action, the unit on
screen, ...) is dropped, logged as a warning, and the page is sent the kernel's value
back, so the page shows what the kernel holds. Identity therefore never comes from the
browser: the coder of a :class:`~workbench.widgets.CodingPanel` is the one given when it
was made.

Examples
--------
>>> import traitlets as t
>>> class Note(BrowserSets):
...     _from_browser = frozenset({"text"})
...     text = t.Unicode("").tag(sync=True)
...     owner = t.Unicode("alice").tag(sync=True)
>>> note = Note()
>>> note.set_state({"text": "hello", "owner": "bob"})  # as the page would send it
>>> note.text, note.owner
('hello', 'alice')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import anywidget

__all__ = ["BrowserSets"]


class BrowserSets(anywidget.AnyWidget):
    """An anywidget whose page may set only the traits listed in ``_from_browser``.

    A refused update is logged (the widget's ``log``: in a kernel, the kernel's log).
    """

    #: The traits the widget's JavaScript sets (``model.set``); the kernel owns the rest.
    _from_browser: ClassVar[frozenset[str]] = frozenset()

    def set_state(self, sync_data: Mapping[str, Any]) -> None:
        """Apply a state update from the page: the allowed traits only.

        Parameters
        ----------
        sync_data : dict
            The traits the page sent, by name.
        """
        if not isinstance(sync_data, Mapping):
            self.log.warning("%s: refused a state update from the page that is not a mapping: %r",
                             type(self).__name__, type(sync_data).__name__)
            return
        allowed = {k: v for k, v in sync_data.items() if k in self._from_browser}
        refused = sorted(str(k) for k in sync_data if k not in self._from_browser)
        if refused:
            self.log.warning(
                "%s: refused a change from the page to %s (the kernel owns %s; the page may set only %s)",
                type(self).__name__,
                ", ".join(f"{k}={sync_data[k]!r:.80}" for k in refused),
                "it" if len(refused) == 1 else "them",
                ", ".join(sorted(self._from_browser)) or "nothing",
            )
        if allowed:
            super().set_state(allowed)
        known = [k for k in refused if k in self.keys]
        if known:  # the page's model now holds the refused values: send it the kernel's
            self.send_state(key=known)
