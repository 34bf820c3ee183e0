"""The coding panel: one coder codes the units of their queue, one unit at a time.

The panel is an anywidget. Its state lives in the traits of :class:`CodingPanel`; the
JavaScript in ``static/coding_panel.js`` only renders those traits, sends the coder's
actions as messages (``{"type": "toggle", "code": "defensive"}``, ``{"type": "next"}``,
...) and sets the ``memo`` and ``filters`` traits. Python handles every action by calling
the :class:`workbench.Project` and only then updates the traits, so the "saved" indicator
appears after the store has committed. When the store refuses, the panel shows the error
and keeps the coder's input (the selection as ``pending``, the memo text) for a retry.

Thread text is untrusted. The JavaScript puts it into the page with ``textContent`` only,
so markup in a post (``<script>``, ``<img onerror=...>``, ``javascript:`` links) shows as
text and runs nothing.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import traitlets as t

from ..errors import AccessError, StoreError, UnknownUnitError, WorkbenchError
from ..project import Project
from ._base import STORE_ERRORS, ActionWidget, Handler, when
from ._codes import check_shortcuts, code_rows, rivals
from ._from_browser import BrowserSets
from ._warnings import DEFAULT_CONTENT_WARNINGS, ContentWarnings

__all__ = ["CodingPanel", "NAVIGATION_KEYS", "DEFAULT_CONTENT_WARNINGS"]

_STATIC = pathlib.Path(__file__).parent / "static"

#: Keys the panel uses for navigation; a code's shortcut may not be one of them.
NAVIGATION_KEYS: dict[str, str] = {
    "j": "next",
    "ArrowRight": "next",
    "k": "prev",
    "p": "prev",
    "ArrowLeft": "prev",
    "n": "next_uncoded",
    "u": "undo",
}

_EXCERPT_CHARS = 280
_EAGER_THREADS = 100_000  # queues up to this size list their threads when the panel opens
_REFUSALS = (StoreError, OSError)
_monotonic = time.monotonic


class CodingPanel(BrowserSets, ActionWidget):
    """Code the units of a coder's queue, one unit at a time, with its thread context.

    Parameters
    ----------
    project : Project
        The project store; every action goes through :meth:`Project.code`,
        :meth:`Project.uncode`, :meth:`Project.memo` or :meth:`Project.flag`.
    coder : str, optional
        The coder (added with :meth:`Project.add_coder`); by default the one the project is
        open for. Fixed for the panel's life: another coder than the project's raises
        :class:`~workbench.errors.AccessError`; the page may set only ``memo`` and ``filters``.
    round : str or int, optional
        A reliability round: the queue is the coder's assignment, and the coder sees
        only their own codes (blind coding). Outside a round the queue is every codable
        unit in import order.
    codebook_version : int, optional
        The codebook version whose codes are shown: by default the round's version, or
        outside a round the newest.
    content_warnings : iterable of str, optional
        Extra content-warning terms, added to the codebook's ``content_warnings`` and the
        project's ``content_warnings`` setting. When none of the three lists any term,
        :data:`DEFAULT_CONTENT_WARNINGS` is used. A unit whose text (or whose context)
        contains a term at the start of a word is shown behind a warning that the coder
        opens deliberately.
    break_minutes : float, optional
        Remind the coder to take a break after this many minutes of coding (off by
        default; the project setting ``break_minutes`` is used when not given).
    suggestions : ClassifierModel, optional
        A model coder (``wb.assist.train``) whose suggestions :meth:`suggested` gives on
        request; refused inside a blind (open) round, where it would anchor the coder.

    Attributes
    ----------
    unit : dict
        The unit on screen: ``unit_id, thread_id, author, author_role, posted_at, text,
        kind, status, title, hidden`` (``hidden`` while its content warning is closed).
    context : list of dict
        The posts it replies to, root first (``excerpt`` holds the root post's opening).
    applied : list of str
        The coder's saved codes on the unit (their own only).
    status, saved_seq, error, pending
        ``"saved"`` and a counter that grows with each committed action; ``"error"``, the
        store's message and the refused action, kept for :meth:`retry`.
    position, total, coded, queue_total, code_counts
        "``position`` of ``total``" in the current list; coded / total units of the queue;
        how many units carry each code.

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> project.add_units(wb.make_units([
    ...     {"unit_id": "a", "thread_id": "t", "text": "A post"},
    ...     {"unit_id": "b", "thread_id": "t", "parent_id": "a", "text": "A <b>reply</b>"}]))
    2
    >>> project.add_codebook(wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer.", "shortcut": "t"}]}))
    1
    >>> project.add_coder("alice")
    'alice'
    >>> panel = CodingPanel(project, coder="alice")
    >>> panel.unit["unit_id"], panel.position, panel.total
    ('a', 1, 2)
    >>> panel.toggle("thanks")
    >>> panel.applied, panel.status, panel.coded
    (['thanks'], 'saved', 1)
    >>> panel.next()
    >>> panel.unit["text"], [c["unit_id"] for c in panel.context]
    ('A <b>reply</b>', ['a'])
    >>> panel.undo()
    >>> panel.unit["unit_id"], panel.applied, panel.coded
    ('a', [], 0)
    >>> project.close()
    """

    _esm = _STATIC / "coding_panel.js"
    _css = _STATIC / "coding_panel.css"
    _noun = "panel"
    _verb = "code"
    _writes = ("toggle", "memo", "flag", "undo")
    _meta_actions = ("retry",)
    _from_browser = frozenset({"memo", "filters"})  # what coding_panel.js sets; the rest is the kernel's

    coder = t.Unicode("").tag(sync=True)
    round_name = t.Unicode("").tag(sync=True)
    codebook_label = t.Unicode("").tag(sync=True)
    nav_keys = t.Dict().tag(sync=True)

    warning: t.List[str] = t.List().tag(sync=True)
    warning_open = t.Bool(False).tag(sync=True)
    applied: t.List[str] = t.List().tag(sync=True)
    memo = t.Unicode("").tag(sync=True)
    memo_saved = t.Unicode("").tag(sync=True)
    flagged = t.Bool(False).tag(sync=True)

    pending = t.Dict().tag(sync=True)
    undo_label = t.Unicode("").tag(sync=True)

    coded = t.Int(0).tag(sync=True)
    queue_total = t.Int(0).tag(sync=True)
    code_counts = t.Dict().tag(sync=True)

    filters = t.Dict({"thread": "", "uncoded": False, "flagged": False}).tag(sync=True)
    threads: t.List[dict[str, str]] = t.List().tag(sync=True)

    break_minutes = t.Float(0.0).tag(sync=True)
    break_due = t.Bool(False).tag(sync=True)

    def __init__(
        self,
        project: Project,
        *,
        coder: str | None = None,
        round: str | int | None = None,
        codebook_version: int | None = None,
        content_warnings: Iterable[str] | None = None,
        break_minutes: float | None = None,
        suggestions: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(project, Project):
            raise TypeError(
                f"CodingPanel takes a workbench Project (wb.open_project(path)), not {type(project).__name__}"
            )
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
            raise ValueError(
                f"coder {coder!r} is not in this project; add them first with project.add_coder({coder!r})"
            )
        self.project = project
        self._coder = coder  # whom every action codes as; the trait `coder` only shows it
        self.round = round
        if suggestions is not None:  # scikit-learn is imported only when suggestions are asked for
            from ..assist.suggest import panel_suggestions
        self._suggest = None if suggestions is None else panel_suggestions(project, round, suggestions)
        if codebook_version is None and round is not None:
            codebook_version = project.round_info(round).get("codebook_version")  # the round's pinned version
        self.codebook = project.codebook(codebook_version)
        check_shortcuts(self.codebook, NAVIGATION_KEYS)
        terms = list(self.codebook.content_warnings) + list(project.get_setting("content_warnings", []) or [])
        self._warnings = ContentWarnings(terms + list(content_warnings or []))
        self.content_warning_terms: list[str] = self._warnings.terms
        if break_minutes is None:
            break_minutes = float(project.get_setting("break_minutes", 0) or 0)
        if isinstance(break_minutes, bool) or not isinstance(break_minutes, (int, float)):
            raise TypeError(f"break_minutes is a number of minutes (0 for no reminder), not {break_minutes!r}")
        if break_minutes < 0:
            raise ValueError(f"break_minutes must be 0 (off) or a number of minutes, not {break_minutes!r}")

        super().__init__(**kwargs)
        self._undo: list[dict[str, Any]] = []
        self._since_break = _monotonic()
        self._queue: list[str] = []
        self._where: dict[str, int] = {}
        self._view: list[str] | None = None
        self._view_where: dict[str, int] = {}
        self._memos: dict[str, str] = {}
        self._flags: set[str] = set()
        with self.hold_sync():
            self.coder = coder  # shown on the page
            self.round_name = "" if round is None else str(round)
            self.codebook_label = self.codebook.title or self.codebook.name
            self.codes = code_rows(self.codebook)
            self.nav_keys = dict(NAVIGATION_KEYS)
            self.break_minutes = float(break_minutes)
            self.refresh()
        self.observe(self._on_filters, names="filters")

    @t.validate("coder")
    def _fixed_coder(self, proposal: Mapping[str, Any]) -> str:
        if proposal["value"] != self._coder:
            raise AccessError(f"the panel codes as {self._coder!r}; its coder is fixed when it is made")
        return str(proposal["value"])

    # --- loading --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the queue, progress, memos and flags from the store.

        The panel resumes at the coder's first uncoded unit (or stays on the current unit
        if there is one).
        """
        p, coder, rnd = self.project, self._coder, self.round
        current = self.unit.get("unit_id") if self.unit else None
        self._queue = p.queue(coder, round=rnd)
        self._where = {u: i for i, u in enumerate(self._queue)}
        counts = p.codings(coder=coder, round=rnd)
        memos = p.memos(coder=coder, round=rnd, latest=True)
        self._memos, self._flags = {}, set()
        if not memos.empty:
            for row in memos.itertuples(index=False):
                if row.kind == "memo":
                    self._memos[row.unit_id] = row.text
                elif row.flagged:
                    self._flags.add(row.unit_id)
        # as Project.progress, from what is loaded already (it would scan the queue again)
        coded = sum(1 for u in set(counts["unit_id"]) if u in self._where)
        with self.hold_sync():
            self.coded, self.queue_total = coded, len(self._queue)
            self.code_counts = {c["name"]: 0 for c in self.codes} | {
                str(k): int(v) for k, v in counts.drop_duplicates(["unit_id", "code"])["code"].value_counts().items()
            }
            if len(self._queue) <= _EAGER_THREADS or self.threads:
                self._load_threads()
            self._rebuild_view()
            if current in (self._view_where if self._view is not None else self._where):
                self._show(self._index_of(current))
            else:
                self._resume()

    def _load_threads(self) -> None:
        """The threads for the filter (in a large project, when the coder first opens it)."""
        self.threads = [
            {"thread_id": str(r.thread_id), "title": "" if r.title is None else str(r.title)}
            for r in self.project.threads().itertuples(index=False)
        ]

    def _resume(self) -> None:
        first = self.project.next_unit(self._coder, round=self.round)
        if first is not None and first in self._where:
            self._show(self._where[first])
            self.message = ""
        elif self._queue:
            self._show(len(self._queue) - 1)
            self.message = f"All {len(self._queue)} units in your queue are coded."
        else:
            self._show(-1)
            self.message = "There are no units in your queue."

    # --- the list being navigated (the queue, or a filtered part of it) -------------------
    def _rebuild_view(self) -> None:
        f = self.filters or {}
        thread, only_flagged = str(f.get("thread") or ""), bool(f.get("flagged"))
        if not thread and not only_flagged:
            self._view, self._view_where = None, {}
            return
        ids = self._queue
        if thread:
            members = set(self.project.units(thread_id=thread)["unit_id"])
            ids = [u for u in ids if u in members]
        if only_flagged:
            ids = [u for u in ids if u in self._flags]
        self._view = ids
        self._view_where = {u: i for i, u in enumerate(ids)}

    @property
    def _items(self) -> list[str]:
        return self._queue if self._view is None else self._view

    def _index_of(self, unit_id: str) -> int:
        return (self._where if self._view is None else self._view_where)[unit_id]

    def _coded_among(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        df = self.project.codings(coder=self._coder, round=self.round, unit_ids=list(ids))
        return set(df["unit_id"])

    def _step(self, direction: int, *, uncoded: bool) -> int | None:
        """Index of the next (+1) or previous (-1) unit in the list; None at the end.

        Coded units are skipped when ``uncoded``.
        """
        items, i = self._items, self._pos
        if not uncoded:
            j = i + direction
            return j if 0 <= j < len(items) else None
        if direction > 0 and self._view is None:
            after = items[i] if i >= 0 else None
            found = self.project.next_unit(self._coder, round=self.round, after=after)
            if after is not None and found is None:
                return None
            return self._where.get(found) if found is not None else None
        j = i + direction
        batch = 64
        while 0 <= j < len(items):
            if direction > 0:
                chunk = list(range(j, min(len(items), j + batch)))
            else:
                chunk = list(range(j, max(-1, j - batch), -1))
            coded = self._coded_among([items[k] for k in chunk])
            for k in chunk:
                if items[k] not in coded:
                    return k
            j = chunk[-1] + direction
            batch *= 2
        return None

    # --- showing a unit -------------------------------------------------------------------
    def suggested(self) -> list[str]:
        """On request: the codes the model suggests for the unit on screen (offered codes only).

        Returns
        -------
        list of str
            Empty without ``suggestions=`` or without a unit.
        """
        return [] if self._suggest is None or not self.unit else self._suggest(self.unit["unit_id"])

    def _current_codes(self, unit_id: str) -> list[str]:
        """The coder's own codes on the unit now (never another coder's: blind coding)."""
        return self._ordered(self.project.unit_codes(unit_id, coder=self._coder, round=self.round))

    def _post(self, row: Mapping[str, Any], *, reveal: bool, excerpt: bool = False) -> dict[str, Any]:
        text = str(row.get("text") or "")
        warn = self._warnings.find(row)
        hidden = bool(warn) and not reveal
        out = {
            "unit_id": str(row["unit_id"]),
            "thread_id": str(row.get("thread_id") or ""),
            "parent_id": "" if row.get("parent_id") is None else str(row["parent_id"]),
            "author": str(row.get("author") or ""),
            "author_role": "" if row.get("author_role") is None else str(row["author_role"]),
            "posted_at": when(row.get("posted_at")),
            "kind": str(row.get("kind") or ""),
            "status": str(row.get("status") or ""),
            "title": "" if row.get("title") is None else str(row["title"]),
            "depth": int(row.get("depth") or 0),
            "warning": warn,
            "hidden": hidden,
            "text": "" if hidden else text,
        }
        if excerpt:
            out["excerpt"] = "" if hidden else (text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS].rstrip() + "…")
        return out

    def _show(self, index: int, *, keep_warning: bool = False) -> None:
        items = self._items
        with self.hold_sync():
            if not (0 <= index < len(items)):
                self._pos = -1
                self.unit, self.context, self.applied, self.warning = {}, [], [], []
                self.memo = self.memo_saved = ""
                self.flagged = False
                self.position, self.total = 0, len(items)
                return
            unit_id = items[index]
            chain = self._chain(unit_id)
            reveal = keep_warning and self.warning_open and self.unit.get("unit_id") == unit_id
            warn = list(dict.fromkeys(w for row in chain for w in self._warnings.find(row)))
            self._pos = index
            self.warning_open = reveal or not warn
            self.warning = warn
            self.unit = self._post(chain[-1], reveal=self.warning_open)
            self.context = [
                self._post(row, reveal=self.warning_open, excerpt=(k == 0)) for k, row in enumerate(chain[:-1])
            ]
            self.applied = self._current_codes(unit_id)
            self.memo = self.memo_saved = self._memos.get(unit_id, "")
            self.flagged = unit_id in self._flags
            self.position, self.total = index + 1, len(items)
            # a new unit on screen: an earlier refusal (already reported) is no longer pending
            self.pending = {}
            self.error = ""
            if self.status == "error":
                self.status = "idle"

    def _reshow(self) -> None:
        self._show(self._pos, keep_warning=True)

    # --- recording ------------------------------------------------------------------------
    def _saved(self) -> None:
        super()._saved()
        self.pending = {}

    def _refused(self, action: Mapping[str, Any], exc: BaseException) -> bool:
        return isinstance(exc, _REFUSALS) or super()._refused(action, exc)

    def _keep(self, action: Mapping[str, Any]) -> None:
        self.pending = dict(action)  # for retry()

    def _set_codes(self, unit_id: str, before: list[str], after: list[str]) -> list[str]:
        """Make the coder's codes on ``unit_id`` go from ``before`` to ``after``.

        Returns the codes as the store now holds them.
        """
        remove = [c for c in before if c not in after]
        add = [c for c in after if c not in before]
        if remove:
            self.project.uncode(unit_id, remove, coder=self._coder, round=self.round)
        for c in add:  # one at a time: codes of an exclusive group cannot go in one call
            self.project.code(unit_id, [c], coder=self._coder, round=self.round)
        return self._current_codes(unit_id)

    def _account(self, unit_id: str, before: Iterable[str], after: Iterable[str]) -> None:
        before, after = set(before), set(after)
        counts = dict(self.code_counts)
        for c in after - before:
            counts[c] = counts.get(c, 0) + 1
        for c in before - after:
            counts[c] = max(0, counts.get(c, 0) - 1)
        self.code_counts = counts
        if unit_id in self._where:
            if before and not after:
                self.coded = max(0, self.coded - 1)
            elif after and not before:
                self.coded = self.coded + 1
        if self.coded >= self.queue_total and self.queue_total:
            self.message = f"All {self.queue_total} units in your queue are coded."
        elif self.message.startswith("All "):
            self.message = ""

    def toggle(self, code: str) -> None:
        """Apply ``code`` to the unit on screen, or remove it if the coder applied it.

        A code of an exclusive group replaces the coder's other code of that group.
        """
        if code not in self.codebook:
            raise ValueError(f"code {code!r} is not in the codebook; codes: {self.codebook.names}")
        self._run({"type": "toggle", "code": code})

    def _do_toggle(self, action: Mapping[str, Any]) -> None:
        code = str(action["code"])
        if code not in self.codebook:
            raise WorkbenchError(f"code {code!r} is not in the codebook; codes: {self.codebook.names}")
        unit_id = self._unit_id()
        before = list(self.applied)
        if code in before:
            self.project.uncode(unit_id, [code], coder=self._coder, round=self.round)
            after = [c for c in before if c != code]
        else:
            self.project.code(unit_id, [code], coder=self._coder, round=self.round)
            # what Project.code committed: the code, replacing its exclusive group's other code
            after = self._ordered(set(before) - rivals(self.codebook, code) | {code})
        verb = "removed" if code in before else "applied"
        self._push({"kind": "codes", "unit_id": unit_id, "before": before, "after": after}, f"{verb} {code!r} on {unit_id}")
        self.applied = after
        self._account(unit_id, before, after)
        self._saved()

    def save_memo(self, text: str | None = None) -> None:
        """Record the memo on the unit on screen (the ``memo`` trait when no text is given)."""
        self._run({"type": "memo", "text": self.memo if text is None else text})

    def _do_memo(self, action: Mapping[str, Any]) -> None:
        text = str(action.get("text", self.memo))
        unit_id = self._unit_id()
        before = self._memos.get(unit_id, "")
        self.memo = text
        if text == before:
            self.memo_saved = text
            return
        self.project.memo(unit_id, text, coder=self._coder, round=self.round)
        self._memos[unit_id] = text
        self.memo_saved = text
        self._push({"kind": "memo", "unit_id": unit_id, "before": before, "after": text}, f"memo on {unit_id}")
        self._saved()

    def flag(self, on: bool = True) -> None:
        """Flag the unit on screen for discussion (``on=False`` clears the flag)."""
        self._run({"type": "flag", "on": bool(on)})

    def _do_flag(self, action: Mapping[str, Any]) -> None:
        on = bool(action.get("on", True))
        unit_id = self._unit_id()
        before = unit_id in self._flags
        if on == before:
            self.flagged = on
            return
        self.project.flag(unit_id, coder=self._coder, round=self.round, on=on)
        (self._flags.add if on else self._flags.discard)(unit_id)
        self.flagged = on
        self._push({"kind": "flag", "unit_id": unit_id, "before": before, "after": on}, f"{'flag' if on else 'unflag'} {unit_id}")
        self._saved()

    def _push(self, entry: dict[str, Any], label: str) -> None:
        entry["label"] = label
        self._undo.append(entry)
        del self._undo[:-200]
        self.undo_label = f"Undo: {label}"

    def undo(self) -> None:
        """Undo the coder's last action (codes, memo or flag), showing its unit."""
        self._run({"type": "undo"})

    def _do_undo(self, action: Mapping[str, Any]) -> None:
        if not self._undo:
            self.message = "Nothing to undo."
            return
        entry = self._undo[-1]
        unit_id = entry["unit_id"]
        if self._pos < 0 or self._items[self._pos] != unit_id:
            self._goto(unit_id)
        if entry["kind"] == "codes":
            current = self._current_codes(unit_id)
            after = self._set_codes(unit_id, current, entry["before"])
            self.applied = after
            self._account(unit_id, current, after)
        elif entry["kind"] == "memo":
            self.project.memo(unit_id, entry["before"], coder=self._coder, round=self.round)
            self._memos[unit_id] = entry["before"]
            self.memo = self.memo_saved = entry["before"]
        else:
            self.project.flag(unit_id, coder=self._coder, round=self.round, on=entry["before"])
            (self._flags.add if entry["before"] else self._flags.discard)(unit_id)
            self.flagged = entry["before"]
        self._undo.pop()
        self.undo_label = f"Undo: {self._undo[-1]['label']}" if self._undo else ""
        self.message = f"Undone: {entry['label']}"
        self._saved()

    # --- navigation -----------------------------------------------------------------------
    def _leave(self) -> None:
        """Before moving on, save a memo the coder typed but did not save."""
        if self._pos >= 0 and self.memo != self.memo_saved:
            self._do_memo({"type": "memo", "text": self.memo})

    def next_uncoded(self) -> None:
        """Show the next unit the coder has not coded."""
        self._run({"type": "next_uncoded"})

    def jump(self, unit_id: str) -> None:
        """Show the unit ``unit_id`` (clearing filters that hide it).

        Parameters
        ----------
        unit_id : str
            A unit of the coder's queue.
        """
        self._run({"type": "jump", "unit_id": unit_id})

    def _goto(self, unit_id: str) -> None:
        if unit_id not in self._where:
            try:
                self.project.unit(unit_id)
            except UnknownUnitError:
                raise WorkbenchError(f"there is no unit {unit_id!r} in this project") from None
            raise WorkbenchError(f"unit {unit_id!r} is not in {self._coder}'s queue")
        if self._view is not None and unit_id not in self._view_where:
            self.filters = {"thread": "", "uncoded": False, "flagged": False}
        self._show(self._index_of(unit_id))

    def _target(self, kind: str) -> tuple[int | None, str]:
        uncoded = bool((self.filters or {}).get("uncoded"))
        if kind == "next":
            return self._step(+1, uncoded=uncoded), "This is the last unit of the list."
        if kind == "prev":
            return self._step(-1, uncoded=uncoded), "This is the first unit of the list."
        return self._step(+1, uncoded=True), "No uncoded unit after this one."

    def _on_filters(self, change: Mapping[str, Any]) -> None:
        try:
            self._leave()
            current = self._items[self._pos] if self._pos >= 0 else None
            with self.hold_sync():
                self._rebuild_view()
                where = self._where if self._view is None else self._view_where
                if current in where and not (self.filters.get("uncoded") and current in self._coded_among([current])):
                    self._show(where[current])
                    self.message = ""
                else:
                    self._pos = -1
                    nxt = self._step(+1, uncoded=bool(self.filters.get("uncoded")))
                    self._show(-1 if nxt is None else nxt)
                    self.message = "" if nxt is not None else "No unit matches these filters."
        except STORE_ERRORS as exc:
            self._failed({"type": "filter"}, exc)

    # --- wellbeing ------------------------------------------------------------------------
    def open_warning(self) -> None:
        """Show the text of a unit that is behind a content warning."""
        self._run({"type": "open_warning"})

    def _check_break(self) -> None:
        if self.break_minutes > 0 and _monotonic() - self._since_break >= self.break_minutes * 60:
            self.break_due = True

    def _take_break(self) -> None:
        self._since_break = _monotonic()
        self.break_due = False

    # --- dispatch -------------------------------------------------------------------------
    def retry(self) -> None:
        """Try the action the store refused again."""
        self._run({"type": "retry"})

    def _run(self, action: Mapping[str, Any]) -> None:
        if action.get("type") == "retry":
            if not self.pending:
                return
            action = dict(self.pending)
        super()._run(action)

    def _handlers(self) -> dict[str, Handler]:
        return super()._handlers() | {
            "toggle": self._do_toggle,
            "memo": self._do_memo,
            "flag": self._do_flag,
            "undo": self._do_undo,
            "next_uncoded": self._do_step,
            "open_warning": lambda a: self._open(),
            "break_taken": lambda a: self._take_break(),
            "tick": lambda a: None,
            "load_threads": lambda a: self._load_threads() if not self.threads else None,
        }

    def _after(self, action: Mapping[str, Any]) -> None:
        self._check_break()

    def _open(self) -> None:
        if self._pos < 0:
            return
        self.warning_open = True
        self._reshow()
