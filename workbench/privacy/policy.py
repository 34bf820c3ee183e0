"""The export policy: what a project holds (raw or pseudonymised) and what an exporter may write.

* :func:`privacy_state` and :func:`mark_pseudonymised` record whether a project holds raw
  or pseudonymised data, and bind it to one :class:`~workbench.privacy.PseudonymKey`;
* :func:`export_view` gives exporters (CSV, XLSX, REFI-QDA, HTML reports) units and
  codings that are pseudonymised and redacted unless the caller asks for raw data *and*
  shows the project's key; coding spans are remapped onto the exported texts.

This is the one module of :mod:`workbench.privacy` that reads a project; the transforms
it applies (:mod:`workbench.privacy.text`) know nothing of the store.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import PrivacyError
from ..sentinels import ALL_ROUNDS, NO_ROUND
from ._contact import check_kinds, scan_contacts
from .edits import apply_hits, report_frame
from .key import NON_NAMES, PseudonymKey, is_missing, norm_name
from .text import NameScanner, pseudonymise, redact

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

__all__ = ["privacy_state", "mark_pseudonymised", "ExportView", "export_view"]

_SETTING = "privacy"


def privacy_state(project: Project) -> dict[str, Any]:
    """Whether the project holds raw or pseudonymised data, and with which key.

    Parameters
    ----------
    project : Project
        The project.

    Returns
    -------
    dict
        ``state`` (``"raw"`` or ``"pseudonymised"``), ``key_id`` (the key bound to the
        project, or None), ``redacted`` (kinds redacted before import), ``through_seq``
        (units stored when it was marked) and ``marked_at``. A project never marked holds
        raw data.

    Examples
    --------
    >>> import tempfile, os, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> privacy_state(project)["state"]
    'raw'
    >>> project.close()
    """
    stored = project.get_setting(_SETTING) or {}
    state: dict[str, Any] = {"state": "raw", "key_id": None, "redacted": [], "through_seq": None, "marked_at": None}
    if isinstance(stored, Mapping):
        state.update(stored)
    return state


def _bind_key(project: Project, key: PseudonymKey, state: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(key, PseudonymKey):
        raise TypeError(f"key must be a PseudonymKey (PseudonymKey.load(path)), not {type(key).__name__}")
    bound = state.get("key_id")
    if bound is not None and bound != key.key_id:
        raise PrivacyError(
            f"the key given (id {key.key_id}) is not the key of this project (id {bound}); "
            "load the key file that was used for this project"
        )
    if bound is None:
        state = {**state, "key_id": key.key_id}
        project.set_setting(_SETTING, state, actor="privacy")
    return state


def mark_pseudonymised(
    project: Project, key: PseudonymKey, *, redacted: Iterable[str] = (), actor: str | None = None
) -> dict[str, Any]:
    """Record that the units stored in the project were pseudonymised with ``key``.

    Call it after adding units that went through :func:`pseudonymise` (and, if so,
    :func:`redact`). Units added later are not covered: :func:`export_view` refuses
    them until the project is marked again.

    Parameters
    ----------
    project : Project
        The project holding the pseudonymised units.
    key : PseudonymKey
        The key they were pseudonymised with; the project is bound to it.
    redacted : iterable of str
        Kinds of contact data redacted before the units were added.
    actor : str, optional
        Who marked it (recorded in the audit log; default ``"privacy"``).

    Returns
    -------
    dict
        The new :func:`privacy_state`.

    Raises
    ------
    PrivacyError
        A stored author is a real name of the key (the units were not pseudonymised),
        or the project is bound to another key.

    Examples
    --------
    >>> import tempfile, os, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> units = wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "Sam", "text": "Hi"}])
    >>> safe = pseudonymise(units, key := PseudonymKey())
    >>> project.add_units(safe.units)
    1
    >>> mark_pseudonymised(project, key)["state"]
    'pseudonymised'
    >>> project.close()
    """
    state = _bind_key(project, key, privacy_state(project))
    red = check_kinds(tuple(redacted)) if redacted else ()
    stored = project.units()
    pseudonyms = key.pseudonyms()
    raw = [
        (u, a)
        for u, a in zip(stored["unit_id"], stored["author"])
        if isinstance(a, str) and a not in pseudonyms and key.lookup(a) is not None
    ]
    if raw:
        uid, a = raw[0]
        raise PrivacyError(
            f"unit {uid!r} has the author {a!r}, a real name in the key ({len(raw)} such units); "
            "pseudonymise the units before adding them, then mark the project"
        )
    state = {
        **state,
        "state": "pseudonymised",
        "redacted": list(red),
        "through_seq": int(stored["seq"].max()) if len(stored) else 0,
        "marked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    project.set_setting(_SETTING, state, actor=actor or "privacy")
    return state


@dataclass(frozen=True)
class ExportView:
    """Units and codings as an exporter may write them (see :func:`export_view`).

    Attributes
    ----------
    units : DataFrame
        Units (``author`` holds pseudonyms unless ``raw``; with ``raw`` there is an
        ``author_pseudonym`` column too).
    codings : DataFrame
        Current codings, spans remapped onto ``units["text"]``, memos pseudonymised.
    raw : bool
        True when the view holds real names.
    state : dict
        :func:`privacy_state` of the project.
    report : DataFrame
        The replacements made on the way out (sensitive; for review, never export it).
    """

    units: pd.DataFrame
    codings: pd.DataFrame
    raw: bool
    state: dict[str, Any]
    report: pd.DataFrame

    def about(self) -> dict[str, Any]:
        """Non-identifying facts about the view, for an export's metadata."""
        return {
            "data": "raw (re-identifiable)" if self.raw else "pseudonymised",
            "project_state": self.state.get("state"),
            "key_id": self.state.get("key_id"),
            "redacted": ", ".join(self.state.get("redacted") or []) or "none",
            "units": len(self.units),
            "codings": len(self.codings),
            "times": "UTC",
        }


def export_view(
    project: Project,
    *,
    raw: bool = False,
    key: PseudonymKey | None = None,
    redact_kinds: Iterable[str] = ("url", "email", "phone", "handle"),
    coder: str | Sequence[str] | None = None,
    round: Any = ALL_ROUNDS,
) -> ExportView:
    """Units and codings safe to export: pseudonymised unless raw is asked for with the key.

    * Raw project, ``raw=False``: pseudonymised (with ``key``, which is required) and
      redacted on the way out; coding spans are remapped; the key file is saved if it
      gained people.
    * Pseudonymised project, ``raw=False``: redacted (``redact_kinds``); no key needed.
    * ``raw=True``: the stored data as it is, with an ``author_pseudonym`` column (and,
      for a pseudonymised project, the real names back in ``author``); the key is
      required as proof and must be the project's key.

    Parameters
    ----------
    project : Project
        The project to export from.
    raw : bool
        Real names (needs ``key`` as proof).
    key : PseudonymKey, optional
        The project's pseudonym key (required for a raw project and for ``raw=True``).
    redact_kinds : iterable of str
        Contact data to redact on the way out (see :data:`~workbench.privacy.REDACTION_KINDS`).
    coder : str or list of str, optional
        Only these coders' codings (default: everybody's).
    round : str, int, None, ALL_ROUNDS or NO_ROUND
        Which codings (as ``project.codings``): by default of every round and outside
        rounds; ``None`` (or ``NO_ROUND``) only those made outside any round.

    Returns
    -------
    ExportView
        Units, codings, whether they are raw, the project's privacy state and the report
        of the replacements made (sensitive).

    Raises
    ------
    PrivacyError
        No key where one is needed, a key that is not the project's, or units added to
        a pseudonymised project after it was marked.

    Examples
    --------
    >>> import tempfile, os, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> project.add_units(wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "Sam",
    ...                                   "text": "Ring Sam on 07700 900123"}]))
    1
    >>> key = PseudonymKey()
    >>> _ = key.save(os.path.join(tempfile.mkdtemp(), "study.key.json"))  # apart from the project
    >>> view = export_view(project, key=key)
    >>> view.units.loc[0, ["author", "text"]].tolist()
    ['P001', 'Ring P001 on [PHONE]']
    >>> project.close()
    """
    state = privacy_state(project)
    kinds = check_kinds(tuple(redact_kinds))
    units = project.units()
    codings = _codings(project, coder, round)
    empty_report = report_frame([])
    if raw:
        if key is None:
            raise PrivacyError(
                "raw data (real names) is exported only with the pseudonym key as proof: "
                "pass key=PseudonymKey.load(path), or leave raw=False for pseudonymised data"
            )
        state = _bind_key(project, key, state)
        units = units.copy()
        if state["state"] == "pseudonymised":
            pseudo = units["author"]
            units["author"] = [
                key.reidentify(a) if isinstance(a, str) and a in key.pseudonyms() else a for a in pseudo
            ]
            units["author_pseudonym"] = pseudo
        else:
            units["author_pseudonym"] = [
                None if is_missing(a) or norm_name(a) in NON_NAMES else key.pseudonym_for(str(a)) for a in units["author"]
            ]
            if key.dirty and key.path is not None:
                key.save()
        return ExportView(units, codings, True, state, empty_report)

    reports = []
    if state["state"] == "pseudonymised":
        through = state.get("through_seq")
        later = units[units["seq"] > through] if through is not None else units.iloc[:0]
        if len(later):
            raise PrivacyError(
                f"{len(later)} unit(s) (e.g. {list(later['unit_id'][:3])}) were added after the project was "
                "marked pseudonymised; pseudonymise them before adding them, then call mark_pseudonymised again"
            )
        if key is not None:
            state = _bind_key(project, key, state)
    else:
        if key is None:
            raise PrivacyError(
                "this project holds raw data (real names); to export it pseudonymised pass "
                "key=PseudonymKey.load(path) (or a new PseudonymKey() that you then save), "
                "or record that the data is already pseudonymised with mark_pseudonymised(project, key)"
            )
        state = _bind_key(project, key, state)
        pseudo = pseudonymise(units, key, columns=("text", "title"))
        reports.append(pseudo.report)
        units = pseudo.units
        codings = pseudo.remap_codings(codings)
        if "memo" in codings.columns:
            scanner = NameScanner(key, "all")
            codings["memo"] = [
                apply_hits(m, scanner.scan(m))[0] if isinstance(m, str) and m else m for m in codings["memo"]
            ]
        if key.dirty:
            if key.path is not None:
                key.save()
            else:
                warnings.warn(
                    "the pseudonym key gained people during this export but has never been saved; "
                    "save it (key.save(path)) or later exports will use other pseudonyms",
                    UserWarning,
                    stacklevel=2,
                )
    keep = set()
    if key is not None:
        keep = {"@" + p for p in key.pseudonyms()}
    if kinds:
        red = redact(units, kinds, columns=("text", "title"), keep=keep)
        reports.append(red.report)
        units = red.units
        codings = red.remap_codings(codings)
        if "memo" in codings.columns:
            codings["memo"] = [
                apply_hits(m, scan_contacts(m, kinds, None, keep))[0] if isinstance(m, str) and m else m
                for m in codings["memo"]
            ]
    report = pd.concat(reports, ignore_index=True) if reports else empty_report
    return ExportView(units.reset_index(drop=True), codings.reset_index(drop=True), False, state, report)


def _codings(project: Project, coder: str | Sequence[str] | None, round: Any) -> pd.DataFrame:
    """The project's current codings for ``coder`` and ``round`` (``...`` is ALL_ROUNDS, None NO_ROUND)."""
    if round is ALL_ROUNDS or round is ...:
        return project.codings(coder=coder)
    if round is NO_ROUND:
        round = None
    return project.codings(coder=coder, round=round)
