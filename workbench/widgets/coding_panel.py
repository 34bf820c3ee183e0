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

import datetime as dt
import pathlib
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import anywidget
import sqlalchemy as sa
import traitlets as t

from ..codebook import Code, Codebook
from ..errors import StoreError, UnknownUnitError, WorkbenchError
from ..project import Project

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

#: Content-warning terms used when neither the codebook nor the project lists any.
DEFAULT_CONTENT_WARNINGS: tuple[str, ...] = (
    "self-harm",
    "self harm",
    "suicide",
    "suicidal",
    "kill myself",
    "overdose",
    "abuse",
    "rape",
    "sexual assault",
)

_EXCERPT_CHARS = 280
_EAGER_THREADS = 100_000  # queues up to this size list their threads when the panel opens
_COLOR = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$")
_STORE_ERRORS = (WorkbenchError, sa.exc.SQLAlchemyError, OSError)
_REFUSALS = (StoreError, sa.exc.SQLAlchemyError, OSError)
_WRITES = ("toggle", "memo", "flag", "undo")
_monotonic = time.monotonic


def _text_color(color: str | None) -> str:
    """Black or white, whichever reads better on ``color`` (a #hex colour)."""
    if not color or not color.startswith("#"):
        return ""
    h = color[1:]
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#000000" if lum > 0.179 else "#ffffff"


def _when(value: Any) -> str:
    if value is None:
        return ""
    try:
        if value != value:  # NaT / NaN
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _code_rows(codebook: Codebook) -> list[dict[str, Any]]:
    """The codes in display order (by group, then parent before children) as plain dicts."""
    groups = {g.name: g for g in codebook.groups}
    by_parent: dict[str | None, list[Code]] = {}
    names = set(codebook.names)
    for c in codebook.codes:
        parent = c.parent if c.parent in names else None
        by_parent.setdefault(parent, []).append(c)

    ordered: list[tuple[Code, int]] = []

    def walk(parent: str | None, level: int, seen: set[str]) -> None:
        for c in by_parent.get(parent, []):
            if c.name in seen:
                continue
            seen.add(c.name)
            ordered.append((c, level))
            walk(c.name, level + 1, seen)

    walk(None, 0, set())
    # codes whose parent chain loops are still shown, at the top level
    shown = {c.name for c, _ in ordered}
    ordered.extend((c, 0) for c in codebook.codes if c.name not in shown)

    group_order = list(dict.fromkeys([g.name for g in codebook.groups] + [c.group or "" for c in codebook.codes]))
    rows = []
    for gname in group_order:
        for c, level in ordered:
            if (c.group or "") != gname:
                continue
            g = groups.get(c.group or "")
            color = c.color if c.color and _COLOR.match(c.color) else ""
            example = c.examples[0].text if c.examples else ""
            rows.append(
                {
                    "name": c.name,
                    "label": c.label or c.name,
                    "definition": c.definition or "",
                    "include": c.include or "",
                    "exclude": c.exclude or "",
                    "example": example,
                    "color": color,
                    "text_color": _text_color(color),
                    "shortcut": c.shortcut or "",
                    "parent": c.parent or "",
                    "level": level,
                    "group": c.group or "",
                    "group_label": (g.label or g.name) if g else (c.group or ""),
                    "exclusive": bool(g.exclusive) if g else False,
                }
            )
    return rows


def _check_shortcuts(codebook: Codebook) -> None:
    seen: dict[str, str] = {}
    reserved = {k.lower(): v for k, v in NAVIGATION_KEYS.items()}
    for c in codebook.codes:
        if not c.shortcut:
            continue
        key = str(c.shortcut)
        if len(key) != 1 or key.isspace():
            raise ValueError(
                f"code {c.name!r} has shortcut {key!r}: a shortcut is one character, e.g. 'v'"
            )
        low = key.lower()
        if low in reserved:
            raise ValueError(
                f"code {c.name!r} has shortcut {key!r}, which the coding panel uses for "
                f"{reserved[low]!r}; the navigation keys are {sorted(k for k in NAVIGATION_KEYS if len(k) == 1)} "
                "and the arrow keys. Give the code another shortcut in the codebook."
            )
        if low in seen:
            raise ValueError(
                f"codes {seen[low]!r} and {c.name!r} share the shortcut {key!r}; give each code its own"
            )
        seen[low] = c.name


class CodingPanel(anywidget.AnyWidget):
    """Code the units of a coder's queue, one unit at a time, with its thread context.

    Parameters
    ----------
    project : Project
        The project store; every action goes through :meth:`Project.code`,
        :meth:`Project.uncode`, :meth:`Project.memo` or :meth:`Project.flag`.
    coder : str
        The coder's name (added with :meth:`Project.add_coder` beforehand).
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

    coder = t.Unicode("").tag(sync=True)
    round_name = t.Unicode("").tag(sync=True)
    codebook_label = t.Unicode("").tag(sync=True)
    codes = t.List().tag(sync=True)
    nav_keys = t.Dict().tag(sync=True)

    unit = t.Dict().tag(sync=True)
    context = t.List().tag(sync=True)
    warning = t.List().tag(sync=True)
    warning_open = t.Bool(False).tag(sync=True)
    applied = t.List().tag(sync=True)
    memo = t.Unicode("").tag(sync=True)
    memo_saved = t.Unicode("").tag(sync=True)
    flagged = t.Bool(False).tag(sync=True)

    status = t.Unicode("idle").tag(sync=True)
    saved_seq = t.Int(0).tag(sync=True)
    saved_at = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    error_seq = t.Int(0).tag(sync=True)
    pending = t.Dict().tag(sync=True)
    done_seq = t.Int(0).tag(sync=True)
    message = t.Unicode("").tag(sync=True)
    undo_label = t.Unicode("").tag(sync=True)

    position = t.Int(0).tag(sync=True)
    total = t.Int(0).tag(sync=True)
    coded = t.Int(0).tag(sync=True)
    queue_total = t.Int(0).tag(sync=True)
    code_counts = t.Dict().tag(sync=True)

    filters = t.Dict({"thread": "", "uncoded": False, "flagged": False}).tag(sync=True)
    threads = t.List().tag(sync=True)

    break_minutes = t.Float(0.0).tag(sync=True)
    break_due = t.Bool(False).tag(sync=True)

    def __init__(
        self,
        project: Project,
        *,
        coder: str,
        round: str | int | None = None,
        codebook_version: int | None = None,
        content_warnings: Iterable[str] | None = None,
        break_minutes: float | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(project, Project):
            raise TypeError(
                f"CodingPanel takes a workbench Project (wb.open_project(path)), not {type(project).__name__}"
            )
        if not isinstance(coder, str) or not coder.strip():
            raise ValueError("CodingPanel needs the coder's name, e.g. CodingPanel(project, coder='alice')")
        coder = coder.strip()
        if coder not in set(project.coders()["name"]):
            raise ValueError(
                f"coder {coder!r} is not in this project; add them first with project.add_coder({coder!r})"
            )
        self.project = project
        self.round = round
        if codebook_version is None and round is not None and hasattr(project, "round_info"):
            codebook_version = project.round_info(round).get("codebook_version")  # the round's pinned version
        self.codebook = project.codebook(codebook_version)
        _check_shortcuts(self.codebook)
        terms = list(self.codebook.content_warnings) + list(project.get_setting("content_warnings", []) or [])
        terms += list(content_warnings or [])
        if not terms:
            terms = list(DEFAULT_CONTENT_WARNINGS)
        self.content_warning_terms: list[str] = list(dict.fromkeys(str(x) for x in terms if str(x).strip()))
        self._warn_re = re.compile(
            r"(?<!\w)(" + "|".join(re.escape(x) for x in sorted(self.content_warning_terms, key=len, reverse=True)) + ")",
            re.IGNORECASE,
        )
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
        self._pos = -1
        self._memos: dict[str, str] = {}
        self._flags: set[str] = set()
        self._rows: dict[str, dict[str, Any]] = {}
        with self.hold_sync():
            self.coder = coder
            self.round_name = "" if round is None else str(round)
            self.codebook_label = self.codebook.title or self.codebook.name
            self.codes = _code_rows(self.codebook)
            self.nav_keys = dict(NAVIGATION_KEYS)
            self.break_minutes = float(break_minutes)
            self.refresh()
        self.on_msg(self._on_msg)
        self.observe(self._on_filters, names="filters")

    # --- loading --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the queue, progress, memos and flags from the store, and resume at the
        coder's first uncoded unit (or stay on the current unit if there is one)."""
        p, coder, rnd = self.project, self.coder, self.round
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
        first = self.project.next_unit(self.coder, round=self.round)
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
        thread, only_flagged = f.get("thread") or "", bool(f.get("flagged"))
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
    def _list(self) -> list[str]:
        return self._queue if self._view is None else self._view

    def _index_of(self, unit_id: str) -> int:
        return (self._where if self._view is None else self._view_where)[unit_id]

    def _coded_among(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        df = self.project.codings(coder=self.coder, round=self.round, unit_ids=list(ids))
        return set(df["unit_id"])

    def _step(self, direction: int, *, uncoded: bool) -> int | None:
        """Index of the next (+1) or previous (-1) unit in the list, skipping coded ones
        when ``uncoded``; None at the end."""
        items, i = self._list, self._pos
        if not uncoded:
            j = i + direction
            return j if 0 <= j < len(items) else None
        if direction > 0 and self._view is None:
            after = items[i] if i >= 0 else None
            found = self.project.next_unit(self.coder, round=self.round, after=after)
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
    def _current_codes(self, unit_id: str) -> list[str]:
        """The coder's own codes on the unit now (never another coder's: blind coding)."""
        look_up = getattr(self.project, "unit_codes", None)  # an index look-up, where the store has it
        if look_up is not None:
            have = set(look_up(unit_id, coder=self.coder, round=self.round))
        else:
            have = set(self.project.codings(coder=self.coder, round=self.round, unit_ids=[unit_id])["code"])
        return self._ordered(have)

    def _ordered(self, names: set[str]) -> list[str]:
        """Code names in the panel's order (codes of older codebook versions last)."""
        return [c["name"] for c in self.codes if c["name"] in names] + sorted(names - {c["name"] for c in self.codes})

    def _row(self, unit_id: str) -> dict[str, Any]:
        """A stored unit (units never change once stored, so recent ones are kept)."""
        row = self._rows.get(unit_id)
        if row is None:
            row = self.project.unit(unit_id)
            self._rows[unit_id] = row
            if len(self._rows) > 4096:
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

    def _warnings_in(self, item: Mapping[str, Any]) -> list[str]:
        found = []
        if item.get("content_warning"):
            found.append(str(item["content_warning"]))
        for m in self._warn_re.finditer(str(item.get("text") or "")):
            term = next((x for x in self.content_warning_terms if x.lower() == m.group(1).lower()), m.group(1))
            found.append(term)
        return list(dict.fromkeys(found))

    def _post(self, row: Mapping[str, Any], *, reveal: bool, excerpt: bool = False) -> dict[str, Any]:
        text = str(row.get("text") or "")
        warn = self._warnings_in(row)
        hidden = bool(warn) and not reveal
        out = {
            "unit_id": str(row["unit_id"]),
            "thread_id": str(row.get("thread_id") or ""),
            "parent_id": "" if row.get("parent_id") is None else str(row["parent_id"]),
            "author": str(row.get("author") or ""),
            "author_role": "" if row.get("author_role") is None else str(row["author_role"]),
            "posted_at": _when(row.get("posted_at")),
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
        items = self._list
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
            warn = list(dict.fromkeys(w for row in chain for w in self._warnings_in(row)))
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
        self.saved_seq += 1
        self.saved_at = dt.datetime.now().strftime("%H:%M:%S")
        self.status = "saved"
        self.error = ""
        self.pending = {}

    def _failed(self, action: Mapping[str, Any], exc: BaseException) -> None:
        msg = str(exc) or type(exc).__name__
        refused = isinstance(exc, _REFUSALS) or action.get("type") in _WRITES
        if refused:  # the store did not record it: say so, and keep the action for a retry
            self.error = f"Not saved: {msg}"
            self.status = "error"
            self.pending = dict(action)
        else:  # a request the panel cannot follow (e.g. a unit id not in the queue)
            self.error = msg
        self.error_seq += 1

    def _set_codes(self, unit_id: str, before: list[str], after: list[str]) -> list[str]:
        """Make the coder's codes on ``unit_id`` go from ``before`` to ``after``; returns
        the codes as the store now holds them."""
        remove = [c for c in before if c not in after]
        add = [c for c in after if c not in before]
        kw = {"coder": self.coder, "round": self.round}
        if remove:
            self.project.uncode(unit_id, remove, **kw)
        for c in add:  # one at a time: codes of an exclusive group cannot go in one call
            self.project.code(unit_id, [c], **kw)
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

    def _unit_id(self) -> str:
        if self._pos < 0:
            raise WorkbenchError("there is no unit on screen to code")
        return self._list[self._pos]

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
            self.project.uncode(unit_id, [code], coder=self.coder, round=self.round)
            after = [c for c in before if c != code]
        else:
            self.project.code(unit_id, [code], coder=self.coder, round=self.round)
            # what Project.code committed: the code, replacing its exclusive group's other code
            group = self.codebook[code].group
            exclusive = bool(group) and any(g.name == group and g.exclusive for g in self.codebook.groups)
            rivals = {c.name for c in self.codebook.codes if exclusive and c.group == group}
            after = [c for c in self._ordered(set(before) - rivals | {code})]
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
        self.project.memo(unit_id, text, coder=self.coder, round=self.round)
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
        self.project.flag(unit_id, coder=self.coder, round=self.round, on=on)
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
        if self._pos < 0 or self._list[self._pos] != unit_id:
            self._goto(unit_id)
        if entry["kind"] == "codes":
            current = self._current_codes(unit_id)
            after = self._set_codes(unit_id, current, entry["before"])
            self.applied = after
            self._account(unit_id, current, after)
        elif entry["kind"] == "memo":
            self.project.memo(unit_id, entry["before"], coder=self.coder, round=self.round)
            self._memos[unit_id] = entry["before"]
            self.memo = self.memo_saved = entry["before"]
        else:
            self.project.flag(unit_id, coder=self.coder, round=self.round, on=entry["before"])
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

    def _move(self, index: int | None, at_end: str) -> None:
        self._leave()
        if index is None:
            self.message = at_end
            return
        self.message = ""
        self._show(index)

    def next(self) -> None:
        """Show the next unit of the list."""
        self._run({"type": "next"})

    def previous(self) -> None:
        """Show the previous unit of the list."""
        self._run({"type": "prev"})

    def next_uncoded(self) -> None:
        """Show the next unit the coder has not coded."""
        self._run({"type": "next_uncoded"})

    def jump(self, unit_id: str) -> None:
        """Show the unit ``unit_id`` (clearing filters that hide it)."""
        self._run({"type": "jump", "unit_id": unit_id})

    def _goto(self, unit_id: str) -> None:
        if unit_id not in self._where:
            try:
                self.project.unit(unit_id)
            except UnknownUnitError:
                raise WorkbenchError(f"there is no unit {unit_id!r} in this project") from None
            raise WorkbenchError(f"unit {unit_id!r} is not in {self.coder}'s queue")
        if self._view is not None and unit_id not in self._view_where:
            self.filters = {"thread": "", "uncoded": False, "flagged": False}
        self._show(self._index_of(unit_id))

    def _do_nav(self, action: Mapping[str, Any]) -> None:
        kind = action["type"]
        uncoded = bool((self.filters or {}).get("uncoded"))
        if kind == "next":
            self._move(self._step(+1, uncoded=uncoded), "This is the last unit of the list.")
        elif kind == "prev":
            self._move(self._step(-1, uncoded=uncoded), "This is the first unit of the list.")
        elif kind == "next_uncoded":
            self._move(self._step(+1, uncoded=True), "No uncoded unit after this one.")
        elif kind == "jump":
            unit_id = str(action.get("unit_id", "")).strip()
            self._leave()
            self.message = ""
            self._goto(unit_id)

    def _on_filters(self, change: Mapping[str, Any]) -> None:
        try:
            self._leave()
            current = self._list[self._pos] if self._pos >= 0 else None
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
        except _STORE_ERRORS as exc:
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
        kind = action.get("type")
        if kind == "retry":
            if not self.pending:
                return
            action = dict(self.pending)
            kind = action.get("type")
        handlers = {
            "toggle": self._do_toggle,
            "memo": self._do_memo,
            "flag": self._do_flag,
            "undo": self._do_undo,
            "next": self._do_nav,
            "prev": self._do_nav,
            "next_uncoded": self._do_nav,
            "jump": self._do_nav,
            "open_warning": lambda a: self._open(),
            "break_taken": lambda a: self._take_break(),
            "tick": lambda a: None,
            "refresh": lambda a: self.refresh(),
            "load_threads": lambda a: self._load_threads() if not self.threads else None,
        }
        if kind not in handlers:
            raise ValueError(f"unknown panel action {kind!r}; actions: {sorted(handlers) + ['retry']}")
        with self.hold_sync():
            try:
                handlers[kind](action)
            except _STORE_ERRORS as exc:
                self._failed(action, exc)
            finally:
                self.done_seq += 1
            self._check_break()

    def _open(self) -> None:
        if self._pos < 0:
            return
        self.warning_open = True
        self._reshow()

    def _on_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, Mapping) or "type" not in content:
            return
        try:
            self._run(content)
        except (ValueError, TypeError, KeyError) as exc:
            with self.hold_sync():
                self.error = f"The panel could not do that: {exc}"
                self.status = "error"
                self.error_seq += 1
                self.done_seq += 1
