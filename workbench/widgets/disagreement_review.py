"""Adjudication: a supervisor reviews the units of a round on which coders disagree.

The review is an anywidget. Its state lives in the traits of :class:`DisagreementReview`;
the JavaScript in ``static/disagreement_review.js`` only renders those traits, sends the
supervisor's actions as messages (``{"type": "toggle", "code": "defensive"}``,
``{"type": "record", "reason": "...", "proposal": "..."}``, ``{"type": "next"}``, ...)
and sets the ``reason`` and ``proposal`` traits while the supervisor types. Python handles
every action through the :class:`workbench.Project` and only then updates the traits, so
the "saved" indicator appears after :meth:`Project.adjudicate` has returned (committed).
When the store refuses, the review shows the error and keeps the supervisor's choice and
text for another try.

The queue is :meth:`Project.round_disagreements`: the units where the round's coders
disagree, most contested first. For each unit the review shows its thread context, each
coder's codes and memo side by side (as "Coder A", "Coder B", ... with
``anonymous=True``: coder names never reach the page then), and the codebook entries of
every code a coder applied (definition, when to use it, when not to). The decisions form
the gold set (:meth:`Project.gold`); a note on the proposal field goes with the decision
as a proposed codebook change (:meth:`Project.proposals`).

Thread text, memos and decisions are untrusted: the JavaScript puts them into the page
with ``textContent`` only.
"""

from __future__ import annotations

import datetime as dt
import getpass
import pathlib
import random
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import traitlets as t

from ..codebook import Codebook
from ..errors import WorkbenchError
from ..project import Project
from ._base import ActionWidget, Handler, missing, when
from ._codes import code_rows, rivals
from ._from_browser import BrowserSets

__all__ = ["DisagreementReview"]

_STATIC = pathlib.Path(__file__).parent / "static"
_SPLIT = re.compile(r"\s*[;,|]\s*")


def _text(value: Any) -> str:
    return "" if missing(value) else str(value)


def _code_list(value: Any) -> list[str]:
    """Code names from a cell: a list/tuple/set/array, a ``"a; b"`` or ``"a, b"`` string, or missing."""
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            value = value[1:-1].replace("'", "").replace('"', "")
        return [c for c in _SPLIT.split(value) if c]
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if isinstance(value, Iterable):
        return [str(c) for c in value if not missing(c) and str(c)]
    if missing(value):
        return []
    return [str(value)]


def _letters(n: int) -> list[str]:
    """Coder A, B, ..., Z, AA, AB, ..."""
    out = []
    for i in range(n):
        s, k = "", i
        while True:
            s = string.ascii_uppercase[k % 26] + s
            k = k // 26 - 1
            if k < 0:
                break
        out.append(f"Coder {s}")
    return out


def _post(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "unit_id": str(row["unit_id"]),
        "thread_id": _text(row.get("thread_id")),
        "author": _text(row.get("author")),
        "author_role": _text(row.get("author_role")),
        "posted_at": when(row.get("posted_at")),
        "kind": _text(row.get("kind")),
        "status": _text(row.get("status")),
        "title": _text(row.get("title")),
        "text": _text(row.get("text")),
    }


class DisagreementReview(BrowserSets, ActionWidget):
    """Adjudicate the units of a round on which coders disagree, most contested first.

    Parameters
    ----------
    project : Project
        The project store; decisions go through :meth:`Project.adjudicate`.
    round : str or int
        The reliability round whose disagreements are reviewed.
    supervisor : str, optional
        Recorded as ``decided_by``. By default the project setting ``supervisor``, or
        the name of the operating-system user.
    anonymous : bool
        Show the coders as "Coder A", "Coder B", ... (in an order drawn at random, the
        same for every unit of the review) so that who coded what does not sway the
        decision. Coder names are then never sent to the page.
    codes : list of str, optional
        Only the units whose coders disagree about these codes (e.g. one exclusive
        group). Each coder's codes are still shown in full, since a decision sets all
        the unit's gold codes.
    preselect : {"agreed", "none"}
        What is selected when an undecided unit is shown: the codes every coder applied
        (``"agreed"``, the default: only the contested codes remain to decide) or nothing.
    seed : int, optional
        Seed of the order of anonymous labels.

    Attributes
    ----------
    unit, context : dict, list of dict
        The unit on screen and the posts it replies to, root first.
    coders : list of dict
        One entry per coder who coded the unit: ``label`` (name, or "Coder A"), ``codes``
        (list of ``{"name", "label", "color"}``), ``memo``, ``flagged``.
    involved : list of dict
        The codebook entries of every code any coder applied to the unit (``name, label,
        definition, include, exclude, example``; ``in_codebook`` False for a code the
        round's codebook version lacks).
    selected, reason, proposal
        The supervisor's decision in progress (the view sets ``reason`` and ``proposal``).
    decision : dict
        The stored decision on the unit (``codes, decided_by, reason, proposal, at``), or
        empty.
    status, saved_seq, saved_unit, saved_at, error
        ``"saved"`` after :meth:`Project.adjudicate` returned (``saved_seq`` grows each
        time; ``saved_unit`` is the unit decided); ``"editing"`` once the choice changes
        again; ``"error"`` with the store's message.
    position, total, decided
        "``position`` of ``total``" in the queue, and how many units have a decision.

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> project.add_units(wb.make_units([
    ...     {"unit_id": "a", "thread_id": "t", "text": "A post"},
    ...     {"unit_id": "b", "thread_id": "t", "parent_id": "a", "text": "Not all of us!"}]))
    2
    >>> project.add_codebook(wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "defensive", "label": "Defensive", "definition": "Defends the profession."},
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]}))
    1
    >>> for coder in ("alice", "bob"):
    ...     _ = project.add_coder(coder)
    >>> _ = project.new_round("pilot", coders=["alice", "bob"], units=["a", "b"])
    >>> _ = project.code("a", ["thanks"], coder="alice", round="pilot")
    >>> _ = project.code("a", ["thanks"], coder="bob", round="pilot")
    >>> _ = project.code("b", ["defensive"], coder="alice", round="pilot")
    >>> _ = project.code("b", ["thanks"], coder="bob", round="pilot")
    >>> review = DisagreementReview(project, round="pilot", supervisor="sam", anonymous=True)
    >>> review.unit["unit_id"], review.total, sorted(c["label"] for c in review.coders)
    ('b', 1, ['Coder A', 'Coder B'])
    >>> review.toggle("defensive")
    >>> review.record(reason="Defends colleagues, does not thank.")
    >>> review.status, review.decided
    ('saved', 1)
    >>> project.gold(round="pilot")[["unit_id", "code", "decided_by"]].values.tolist()
    [['b', 'defensive', 'sam']]
    >>> project.close()
    """

    _esm = _STATIC / "disagreement_review.js"
    _css = _STATIC / "disagreement_review.css"
    _noun = "review"
    _verb = "adjudicate"
    _writes = ("record",)

    _from_browser = frozenset({"reason", "proposal"})  # what disagreement_review.js sets; the rest is the kernel's
    supervisor = t.Unicode("").tag(sync=True)
    round_name = t.Unicode("").tag(sync=True)
    anonymous = t.Bool(False).tag(sync=True)
    codebook_label = t.Unicode("").tag(sync=True)

    coders: t.List[dict[str, Any]] = t.List().tag(sync=True)
    involved: t.List[dict[str, Any]] = t.List().tag(sync=True)
    contested = t.Unicode("").tag(sync=True)
    decision = t.Dict().tag(sync=True)

    selected: t.List[str] = t.List().tag(sync=True)
    reason = t.Unicode("").tag(sync=True)
    proposal = t.Unicode("").tag(sync=True)

    saved_unit = t.Unicode("").tag(sync=True)

    decided = t.Int(0).tag(sync=True)

    def __init__(
        self,
        project: Project,
        *,
        round: str | int,
        supervisor: str | None = None,
        anonymous: bool = False,
        codes: Sequence[str] | None = None,
        preselect: str = "agreed",
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(project, Project):
            raise TypeError(
                f"DisagreementReview takes a workbench Project (wb.open_project(path)), not {type(project).__name__}"
            )
        if round is None or (isinstance(round, str) and not round.strip()):
            raise ValueError("DisagreementReview needs a round, e.g. DisagreementReview(project, round='pilot')")
        if preselect not in ("agreed", "none"):
            raise ValueError(f"preselect must be 'agreed' or 'none', not {preselect!r}")
        if supervisor is None:
            supervisor = project.get_setting("supervisor", None) or getpass.getuser()
        if not isinstance(supervisor, str) or not supervisor.strip():
            raise ValueError("supervisor must be a name, e.g. DisagreementReview(project, round='pilot', supervisor='sam')")
        if isinstance(codes, str):
            codes = [codes]
        info = self._round_info(project, round)
        self.project = project
        self.round = round
        self.only_codes = None if codes is None else [str(c) for c in codes]
        self.preselect = preselect
        self.codebook: Codebook = project.codebook(info.get("codebook_version"))
        unknown = [c for c in (self.only_codes or []) if c not in self.codebook]
        if unknown:
            raise ValueError(f"codes {unknown} are not in the round's codebook; codes: {self.codebook.names}")
        self._rng = random.Random(seed)
        super().__init__(**kwargs)
        self._queue: list[str] = []
        self._where: dict[str, int] = {}
        self._by_unit: dict[str, list[dict[str, Any]]] = {}
        self._summary: dict[str, str] = {}
        self._decisions: dict[str, dict[str, Any]] = {}
        self._labels: dict[str, str] = {}
        with self.hold_sync():
            self.supervisor = supervisor.strip()
            self.round_name = str(info.get("round", round))
            self.anonymous = bool(anonymous)
            self.codebook_label = self.codebook.title or self.codebook.name
            self.codes = [
                {k: row[k] for k in ("name", "label", "color", "text_color", "group", "group_label", "exclusive", "level")}
                for row in code_rows(self.codebook)
                if getattr(self.codebook[row["name"]], "codable", True)
            ]
            self.refresh()

    # --- loading ---------------------------------------------------------------------------
    @staticmethod
    def _round_info(project: Project, round: str | int) -> dict[str, Any]:
        info = dict(project.round_info(round))
        version = info.get("codebook_version")
        info["codebook_version"] = None if version is None or missing(version) else int(version)
        return info

    def refresh(self) -> None:
        """Read the disagreements, the coders' codes and memos and the decisions again."""
        kw: dict[str, Any] = {} if self.only_codes is None else {"codes": self.only_codes}
        wide = self.project.round_disagreements(self.round, **kw)
        # every code of each coder, also with a filter: a decision sets the unit's whole gold set
        long = self.project.round_disagreements(self.round, long=True)
        queue = [str(u) for u in wide["unit_id"]] if len(wide) else []
        summary = {}
        for row in wide.to_dict("records") if len(wide) else []:
            parts = []
            n = row.get("n_coders")
            if not missing(n):
                parts.append(f"{int(n)} coders")
            sets = row.get("n_code_sets")
            if not missing(sets):
                parts.append(f"{int(sets)} different sets of codes")
            contested = row.get("contested")
            if isinstance(contested, int | float) and not missing(contested):
                parts.append(f"disagreement {float(contested):.2f} (mean MASI distance: 0 same codes, 1 no code in common)")
            summary[str(row["unit_id"])] = " · ".join(parts)
        by_unit: dict[str, list[dict[str, Any]]] = {}
        for row in long.to_dict("records") if len(long) else []:
            by_unit.setdefault(str(row["unit_id"]), []).append(
                {"coder": str(row["coder"]), "codes": _code_list(row.get("codes")), "memo": _text(row.get("memo"))}
            )
        try:
            flags = self.project.memos(round=self.round, kind="flag", latest=True)
            flagged = {(str(r.unit_id), str(r.coder)) for r in flags.itertuples() if r.flagged} if len(flags) else set()
        except (KeyError, AttributeError):
            flagged = set()
        for uid, entries in by_unit.items():
            for e in entries:
                e["flagged"] = (uid, e["coder"]) in flagged
        names = sorted({e["coder"] for entries in by_unit.values() for e in entries})
        for name in names:
            if name not in self._labels:
                self._labels[name] = ""
        if self.anonymous:
            unlabelled = [n for n in self._labels if not self._labels[n]]
            self._rng.shuffle(unlabelled)
            used = {v for v in self._labels.values() if v}
            free = [x for x in _letters(len(self._labels)) if x not in used]
            for name, label in zip(unlabelled, free):
                self._labels[name] = label
        self._queue = queue
        self._where = {u: i for i, u in enumerate(queue)}
        self._summary = summary
        self._by_unit = by_unit
        self._load_decisions()
        current = self._queue[self._pos] if 0 <= self._pos < len(self._queue) else None
        with self.hold_sync():
            if current in self._where:
                self._show(self._where[current])
            else:
                first = next((i for i, u in enumerate(self._queue) if u not in self._decisions), 0)
                self._show(first if self._queue else -1)
            self.message = "" if self._queue else "The coders of this round do not disagree on any unit."

    def _load_decisions(self) -> None:
        df = self.project.decisions(round=self.round)
        out: dict[str, dict[str, Any]] = {}
        for row in df.to_dict("records") if len(df) else []:
            out[str(row["unit_id"])] = self._decision_row(row)  # later rows win
        self._decisions = out
        self.decided = sum(1 for u in self._queue if u in out)

    def _decision_row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "codes": self._ordered(_code_list(row.get("codes"))),
            "decided_by": _text(row.get("decided_by")),
            "reason": _text(row.get("reason")),
            "proposal": _text(row.get("proposal")),
            "at": when(row.get("at")),
        }

    # --- showing a unit --------------------------------------------------------------------
    @property
    def _items(self) -> list[str]:
        return self._queue

    def _label(self, coder: str) -> str:
        if not self.anonymous:
            return coder
        return self._labels.get(coder) or "Coder ?"

    def _chip(self, name: str) -> dict[str, str]:
        if name in self.codebook:
            c = self.codebook[name]
            return {"name": name, "label": c.label or name, "color": next((r["color"] for r in self.codes if r["name"] == name), "")}
        return {"name": name, "label": name, "color": ""}

    def _entry(self, name: str, n: int, of: int) -> dict[str, Any]:
        base = {"name": name, "label": name, "definition": "", "include": "", "exclude": "", "example": "", "in_codebook": False}
        if name in self.codebook:
            c = self.codebook[name]
            base.update(
                label=c.label or name,
                definition=c.definition or "",
                include=c.include or "",
                exclude=c.exclude or "",
                example=c.examples[0].text if c.examples else "",
                in_codebook=True,
            )
        base.update(applied_by=n, of=of)
        return base

    def _coder_entries(self, unit_id: str) -> list[dict[str, Any]]:
        entries = self._by_unit.get(unit_id, [])
        if self.anonymous:
            entries = sorted(entries, key=lambda e: (len(self._labels.get(e["coder"], "")), self._labels.get(e["coder"], "")))
        return entries

    def _show(self, index: int) -> None:
        with self.hold_sync():
            if not (0 <= index < len(self._queue)):
                self._pos = -1
                self.unit, self.context, self.coders, self.involved = {}, [], [], []
                self.contested = ""
                self.decision = {}
                self.selected = []
                self.reason = self.proposal = ""
                self.position, self.total = 0, len(self._queue)
                self.status = "idle"
                return
            unit_id = self._queue[index]
            chain = self._chain(unit_id)
            entries = self._coder_entries(unit_id)
            self._pos = index
            self.unit = _post(chain[-1])
            self.context = [_post(r) for r in chain[:-1]]
            self.coders = [
                {
                    "label": self._label(e["coder"]),
                    "codes": [self._chip(c) for c in self._ordered(e["codes"])],
                    "memo": e["memo"],
                    "flagged": bool(e.get("flagged")),
                }
                for e in entries
            ]
            counts: dict[str, int] = {}
            for e in entries:
                for c in set(e["codes"]):
                    counts[c] = counts.get(c, 0) + 1
            self.involved = [self._entry(c, counts[c], len(entries)) for c in self._ordered(counts)]
            self.contested = self._summary.get(unit_id, "")
            decision = self._decisions.get(unit_id)
            self.decision = dict(decision) if decision else {}
            if decision:
                self.selected = [c for c in decision["codes"] if c in self.codebook]
                self.reason, self.proposal = decision["reason"], decision["proposal"]
            else:
                agreed = [c for c, n in counts.items() if n == len(entries) and c in self.codebook]
                self.selected = self._ordered(agreed) if self.preselect == "agreed" else []
                self.reason = self.proposal = ""
            self.position, self.total = index + 1, len(self._queue)
            self.status = "idle"
            self.error = ""

    # --- the supervisor's actions ----------------------------------------------------------
    @property
    def queue(self) -> list[str]:
        """The unit ids under review, most contested first."""
        return list(self._queue)

    def toggle(self, code: str) -> None:
        """Select ``code`` for the decision, or unselect it.

        A code of an exclusive group replaces the other selected code of that group.
        """
        self._run({"type": "toggle", "code": code})

    def _do_toggle(self, action: Mapping[str, Any]) -> None:
        code = str(action.get("code", ""))
        valid = [c["name"] for c in self.codes]
        if code not in valid:
            raise ValueError(f"code {code!r} is not a code of the round's codebook; codes: {valid}")
        self._unit_id()
        chosen = list(self.selected)
        if code in chosen:
            chosen.remove(code)
        else:
            replaced = rivals(self.codebook, code)
            chosen = [c for c in chosen if c not in replaced]
            chosen.append(code)
        self.selected = self._ordered(chosen)
        self._edited()

    def _edited(self) -> None:
        if self.status in ("saved", "idle"):
            self.status = "editing"

    def record(self, codes: Sequence[str] | None = None, *, reason: str | None = None, proposal: str | None = None) -> None:
        """Record the decision on the unit on screen with :meth:`Project.adjudicate`.

        Parameters
        ----------
        codes : list of str, optional
            The gold codes (default: the ``selected`` trait); an empty list decides that
            no code applies.
        reason, proposal : str, optional
            Why, and a proposed codebook change (default: the ``reason`` and ``proposal``
            traits, as the view sets them).
        """
        action: dict[str, Any] = {"type": "record"}
        if codes is not None:
            action["codes"] = [codes] if isinstance(codes, str) else list(codes)
        if reason is not None:
            action["reason"] = reason
        if proposal is not None:
            action["proposal"] = proposal
        self._run(action)

    def _do_record(self, action: Mapping[str, Any]) -> None:
        unit_id = self._unit_id()
        codes = self._ordered(_code_list(action["codes"])) if "codes" in action else list(self.selected)
        valid = {c["name"] for c in self.codes}
        unknown = [c for c in codes if c not in valid]
        if unknown:
            raise ValueError(f"codes {unknown} are not codes of the round's codebook; codes: {sorted(valid)}")
        reason = str(action.get("reason", self.reason))
        proposal = str(action.get("proposal", self.proposal))
        self.selected, self.reason, self.proposal = codes, reason, proposal
        self.project.adjudicate(
            unit_id,
            codes,
            round=self.round,
            decided_by=self.supervisor,
            reason=reason.strip() or None,
            proposal=proposal.strip() or None,
        )
        # committed: now say so
        now = dt.datetime.now(dt.UTC)
        self._decisions[unit_id] = {
            "codes": list(codes),
            "decided_by": self.supervisor,
            "reason": reason.strip(),
            "proposal": proposal.strip(),
            "at": when(now),
        }
        self.decision = dict(self._decisions[unit_id])
        self.decided = sum(1 for u in self._queue if u in self._decisions)
        self.saved_unit = unit_id
        self._saved()
        if self.decided == len(self._queue):
            self.message = f"All {len(self._queue)} disagreements of this round are decided."

    def next_undecided(self) -> None:
        """Show the next unit without a decision (wrapping around to the start)."""
        self._run({"type": "next_undecided"})

    def _target(self, kind: str) -> tuple[int | None, str]:
        n = len(self._queue)
        if kind == "next":
            return (self._pos + 1 if self._pos + 1 < n else None), "This is the last disagreement of the queue."
        if kind == "prev":
            return (self._pos - 1 if self._pos > 0 else None), "This is the first disagreement of the queue."
        order = [(self._pos + k) % n for k in range(1, n + 1)] if n else []
        return next((i for i in order if self._queue[i] not in self._decisions), None), f"All {n} disagreements are decided."

    def _goto(self, unit_id: str) -> None:
        if unit_id not in self._where:
            raise WorkbenchError(f"unit {unit_id!r} is not among this round's disagreements")
        self._show(self._where[unit_id])

    def _handlers(self) -> dict[str, Handler]:
        return super()._handlers() | {
            "toggle": self._do_toggle,
            "record": self._do_record,
            "next_undecided": self._do_step,
        }

    @t.observe("reason", "proposal")
    def _text_changed(self, change: Mapping[str, Any]) -> None:
        if change["old"] != change["new"] and self.status == "saved":
            decision = self._decisions.get(self.saved_unit, {})
            if decision.get(change["name"], "") != str(change["new"]).strip():
                self.status = "editing"
