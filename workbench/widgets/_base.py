"""What the workbench's anywidgets share: the action loop, saved and error state, navigation.

A widget's view (its JavaScript) only gets, sets and listens: it sends the user's actions as
messages (``{"type": "next"}``, ``{"type": "toggle", "code": "defensive"}``, ...) and Python
handles each one here, in :meth:`ActionWidget._run`:

1. the handler named by the action's ``type`` calls the :class:`~workbench.Project` (which
   has committed when it returns) and only then updates the traits, all in one
   ``hold_sync`` so the view sees one consistent change;
2. a store that refuses raises a workbench error (:class:`~workbench.errors.WorkbenchError`,
   :class:`~workbench.errors.StoreError` among them) or an :class:`OSError`; the widget shows
   it (``error``, ``error_seq``; for an action that records something "Not saved: ..." and
   ``status == "error"``) and keeps the user's input. Widgets never catch driver errors:
   the store turns those into :class:`~workbench.errors.StoreError`;
3. ``done_seq`` grows after every action, so the view knows Python has answered.

Navigation (:meth:`~ActionWidget.next`, :meth:`~ActionWidget.previous`,
:meth:`~ActionWidget.jump`) moves along the widget's list of units; the units and their
thread context are read once and kept (units never change once stored).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import anywidget
import traitlets as t

from ..errors import UnknownUnitError, WorkbenchError
from ..project import Project

__all__ = ["ActionWidget", "STORE_ERRORS", "missing", "when"]

#: What a widget catches from the store: workbench errors and operating-system errors.
STORE_ERRORS: tuple[type[BaseException], ...] = (WorkbenchError, OSError)

#: Units kept in memory per widget (most recently read).
_ROW_CACHE = 4096

Handler = Callable[[Mapping[str, Any]], None]


def missing(value: Any) -> bool:
    """True for None, NaN and NaT.

    Examples
    --------
    >>> import pandas as pd
    >>> missing(None), missing(float("nan")), missing(pd.NaT), missing("x")
    (True, True, True, False)
    """
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN / NaT
    except (TypeError, ValueError):  # pd.NA and arrays refuse bool()
        return False


def when(value: Any) -> str:
    """A time as the widgets show it: ``2024-08-16 09:00 UTC`` (``""`` when missing).

    Examples
    --------
    >>> import pandas as pd
    >>> when(pd.Timestamp("2024-08-16 10:00", tz="Europe/London")), when(None)
    ('2024-08-16 09:00 UTC', '')
    """
    if missing(value):
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


class ActionWidget(anywidget.AnyWidget):
    """The base of the workbench's anywidgets: actions, saved / error state, navigation.

    A subclass sets ``_esm`` and ``_css``, names itself in ``_noun`` ("panel"), lists the
    actions that record something in ``_writes``, and implements :meth:`refresh`,
    :meth:`_show` (put the unit at an index of :attr:`_items` on screen, or nothing for
    -1), :meth:`_target` (where ``next``, ``prev`` and its own moves go) and, for its
    own actions, :meth:`_handlers`.

    Attributes
    ----------
    codes : list of dict
        The codebook's codes as the view shows them.
    unit, context : dict, list of dict
        The unit on screen and the posts it replies to, root first.
    status : str
        ``"idle"``, ``"saved"`` (after the store committed), ``"error"`` (it refused), or a
        widget's own (``"editing"``).
    saved_seq, saved_at
        A counter that grows with each committed action, and its local time.
    error, error_seq
        The last error's message and a counter that grows with each error.
    done_seq : int
        Grows after every action, answered or failed.
    message : str
        A note for the user ("This is the last unit of the list.").
    position, total : int
        "``position`` of ``total``" in the list (0 when nothing is on screen).
    """

    codes: t.List[dict[str, Any]] = t.List().tag(sync=True)
    unit: t.Dict[str, Any] = t.Dict().tag(sync=True)
    context: t.List[dict[str, Any]] = t.List().tag(sync=True)

    status = t.Unicode("idle").tag(sync=True)
    saved_seq = t.Int(0).tag(sync=True)
    saved_at = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    error_seq = t.Int(0).tag(sync=True)
    done_seq = t.Int(0).tag(sync=True)
    message = t.Unicode("").tag(sync=True)
    position = t.Int(0).tag(sync=True)
    total = t.Int(0).tag(sync=True)

    #: How the widget calls itself in messages to the user.
    _noun: ClassVar[str] = "widget"
    #: What the user does to the unit on screen, in messages ("code", "adjudicate").
    _verb: ClassVar[str] = "work on"
    #: Actions that record something: when one fails, the message says "Not saved".
    _writes: ClassVar[tuple[str, ...]] = ()
    #: Actions handled before dispatch (listed in the unknown-action message).
    _meta_actions: ClassVar[tuple[str, ...]] = ()

    project: Project

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pos = -1
        self._rows: dict[str, dict[str, Any]] = {}
        self.on_msg(self._on_msg)

    # --- what a widget provides ------------------------------------------------------------
    def refresh(self) -> None:
        """Read the widget's data from the store again."""
        raise NotImplementedError

    @property
    def _items(self) -> list[str]:
        """The unit ids being navigated, in order."""
        raise NotImplementedError

    def _show(self, index: int) -> None:
        raise NotImplementedError

    def _target(self, kind: str) -> tuple[int | None, str]:
        """Where the move ``kind`` goes.

        Returns an index of :attr:`_items` (None: nowhere) and what to tell the user when
        it goes nowhere.
        """
        j = self._pos + (1 if kind == "next" else -1)
        if 0 <= j < len(self._items):
            return j, ""
        return None, "This is the last unit of the list." if kind == "next" else "This is the first unit of the list."

    def _goto(self, unit_id: str) -> None:
        """Show ``unit_id`` (a workbench error when it is not in the list)."""
        items = self._items
        if unit_id not in items:
            raise WorkbenchError(f"unit {unit_id!r} is not in this {self._noun}'s list")
        self._show(items.index(unit_id))

    def _leave(self) -> None:
        """Called before another unit is shown (e.g. to save what the user typed)."""

    def _handlers(self) -> dict[str, Handler]:
        return {
            "next": self._do_step,
            "prev": self._do_step,
            "jump": self._do_jump,
            "refresh": lambda a: self.refresh(),
        }

    def _after(self, action: Mapping[str, Any]) -> None:
        """Called after every action, answered or failed (inside the same ``hold_sync``)."""

    # --- the action loop -------------------------------------------------------------------
    def _run(self, action: Mapping[str, Any]) -> None:
        kind = action.get("type")
        handlers = self._handlers()
        if kind not in handlers:
            raise ValueError(f"unknown {self._noun} action {kind!r}; actions: {sorted(handlers) + list(self._meta_actions)}")
        with self.hold_sync():
            try:
                handlers[str(kind)](action)
            except STORE_ERRORS as exc:
                self._failed(action, exc)
            finally:
                self.done_seq += 1
            self._after(action)

    def _on_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, Mapping) or "type" not in content:
            return
        try:
            self._run(content)
        except (ValueError, TypeError, KeyError) as exc:
            with self.hold_sync():
                self.error = f"The {self._noun} could not do that: {exc}"
                self.status = "error"
                self.error_seq += 1
                self.done_seq += 1

    def _refused(self, action: Mapping[str, Any], exc: BaseException) -> bool:
        """Whether ``exc`` means the store did not record ``action`` (then: "Not saved")."""
        return action.get("type") in self._writes

    def _keep(self, action: Mapping[str, Any]) -> None:
        """Keep a refused action for another try (the user's input stays on screen)."""

    def _failed(self, action: Mapping[str, Any], exc: BaseException) -> None:
        msg = str(exc) or type(exc).__name__
        if self._refused(action, exc):  # the store did not record it: say so, keep the input
            self.error = f"Not saved: {msg}"
            self.status = "error"
            self._keep(action)
        else:  # a request the widget cannot follow (e.g. a unit id not in the list)
            self.error = msg
        self.error_seq += 1

    def _saved(self) -> None:
        """The store has committed: say so."""
        self.saved_seq += 1
        self.saved_at = dt.datetime.now().strftime("%H:%M:%S")
        self.status = "saved"
        self.error = ""

    # --- navigation ------------------------------------------------------------------------
    def next(self) -> None:
        """Show the next unit of the list."""
        self._run({"type": "next"})

    def previous(self) -> None:
        """Show the previous unit of the list."""
        self._run({"type": "prev"})

    def jump(self, unit_id: str) -> None:
        """Show the unit ``unit_id``.

        Parameters
        ----------
        unit_id : str
            A unit of the widget's list.
        """
        self._run({"type": "jump", "unit_id": unit_id})

    def _do_step(self, action: Mapping[str, Any]) -> None:
        self._move(*self._target(str(action["type"])))

    def _do_jump(self, action: Mapping[str, Any]) -> None:
        unit_id = str(action.get("unit_id", "")).strip()
        self._leave()
        self.message = ""
        self._goto(unit_id)

    def _move(self, index: int | None, at_end: str) -> None:
        self._leave()
        if index is None:
            self.message = at_end
            return
        self.message = ""
        self._show(index)

    def _unit_id(self) -> str:
        """The unit on screen (a workbench error when there is none)."""
        if self._pos < 0:
            raise WorkbenchError(f"there is no unit on screen to {self._verb}")
        return self._items[self._pos]

    # --- units -----------------------------------------------------------------------------
    def _row(self, unit_id: str) -> dict[str, Any]:
        """A stored unit (units never change once stored, so recent ones are kept)."""
        row = self._rows.get(unit_id)
        if row is None:
            row = self.project.unit(unit_id)
            self._rows[unit_id] = row
            if len(self._rows) > _ROW_CACHE:
                self._rows.pop(next(iter(self._rows)))
        return row

    def _chain(self, unit_id: str) -> list[dict[str, Any]]:
        """As :meth:`Project.context`: the posts a unit replies to, root first, then the unit."""
        chain = [self._row(unit_id)]
        seen = {unit_id}
        while chain[0].get("parent_id") and chain[0]["parent_id"] not in seen:
            try:
                parent = self._row(chain[0]["parent_id"])
            except UnknownUnitError:
                break
            seen.add(parent["unit_id"])
            chain.insert(0, parent)
        return chain

    def _ordered(self, names: Iterable[str]) -> list[str]:
        """Code names in the widget's order (codes it does not show last, alphabetically)."""
        names = list(dict.fromkeys(names))
        order = [c["name"] for c in self.codes]
        return [c for c in order if c in names] + sorted(c for c in names if c not in order)
