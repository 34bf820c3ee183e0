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

from ..errors import AccessError

__all__ = ["BrowserSets", "panel_coder"]


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


def panel_coder(project: Any, coder: str | None) -> str:
    """The coder a panel codes as: given when it is made, or the one the project is open for.

    Parameters
    ----------
    project : Project
        The project; when it was opened for a coder (``open_project(url, coder=...)``), only
        that coder may be given.
    coder : str or None
        The coder's name; ``None`` for the project's coder.

    Returns
    -------
    str
        The coder's name, checked: a coder of the project, and the project's own if it has one.

    Raises
    ------
    AccessError
        Another coder than the one the project is open for.
    ValueError
        No name, or a name that is not a coder of the project.
    """
    if coder is None:
        coder = project.coder
    if not isinstance(coder, str) or not coder.strip():
        raise ValueError("CodingPanel needs the coder's name, e.g. CodingPanel(project, coder='alice')")
    coder = coder.strip()
    if project.coder is not None and coder != project.coder:
        raise AccessError(
            f"this project is open for the coder {project.coder!r}: a panel codes as them only, not as "
            f"{coder!r}. Open the project for {coder!r} (open_project(url, coder={coder!r}))"
        )
    if coder not in set(project.coders()["name"]):
        raise ValueError(f"coder {coder!r} is not in this project; add them first with project.add_coder({coder!r})")
    return coder
