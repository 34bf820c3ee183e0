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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import PrivacyError
from ..sentinels import ALL_ROUNDS, NO_ROUND
from ._contact import check_kinds, scan_contacts
from .edits import apply_hits, report_frame
from .ids import IdMap
from .key import NON_NAMES, PseudonymKey, is_missing, norm_name
from .place import check_key_place
from .text import NameScanner, pseudonymise, redact

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

__all__ = ["privacy_state", "mark_pseudonymised", "ExportView", "export_view"]

_THREAD_COLUMNS = ["thread_id", "title", "n_units", "file_name", "format"]

_SETTING = "privacy"
#: what :func:`privacy_state` keeps to itself (the id secret of a pseudonymised project)
_PRIVATE = ("id_secret",)


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
    return _public(_state(project))


def _state(project: Project) -> dict[str, Any]:
    stored = project.get_setting(_SETTING) or {}
    state: dict[str, Any] = {"state": "raw", "key_id": None, "redacted": [], "through_seq": None, "marked_at": None}
    if isinstance(stored, Mapping):
        state.update(stored)
    return state


def _public(state: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in _PRIVATE}


def _bind_key(project: Project, key: PseudonymKey, state: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(key, PseudonymKey):
        raise TypeError(f"key must be a PseudonymKey (PseudonymKey.load(path)), not {type(key).__name__}")
    if key.path is not None:  # the one rule: a key saved beside the project (allow_near_project=True) is said
        check_key_place(key.path, project, allow_near_project=True)
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
    state = _bind_key(project, key, _state(project))
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
        # exports map ids without the key: the secret is derived from it (one way), and
        # whoever holds the project holds its ids anyway
        "id_secret": key.id_secret.hex(),
        "redacted": list(red),
        "through_seq": int(stored["seq"].max()) if len(stored) else 0,
        "marked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    project.set_setting(_SETTING, state, actor=actor or "privacy")
    return _public(state)


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
    threads : DataFrame
        One row per thread: ``thread_id, title, n_units, file_name, format`` (from
        ``project.threads()``); unless ``raw``, ids and file names are pseudonymous ids and
        titles are pseudonymised and redacted.
    ids : IdMap or None
        How ids were mapped (None for a raw view).
    """

    units: pd.DataFrame
    codings: pd.DataFrame
    raw: bool
    state: dict[str, Any]
    report: pd.DataFrame
    threads: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_THREAD_COLUMNS))
    ids: IdMap | None = field(default=None, repr=False, compare=False)

    def pseudonymous_id(self, value: Any) -> Any:
        """An id as this view writes it: mapped through the key unless the view is raw."""
        return value if self.ids is None else self.ids(value)

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
    state = _state(project)
    kinds = check_kinds(tuple(redact_kinds))
    units = project.units()
    codings = _codings(project, coder, round)
    threads = _threads(project)
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
        return ExportView(units, codings, True, _public(state), empty_report, threads)

    reports = []
    scanner: NameScanner | None = None
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
        pseudo = pseudonymise(units, key)
        reports.append(pseudo.report)
        units = pseudo.units
        codings = pseudo.remap_codings(codings)
        scanner = NameScanner(key, "all")
        if "memo" in codings.columns:
            codings["memo"] = [_scrub(m, scanner) for m in codings["memo"]]
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
        red = redact(units, kinds, keep=keep)
        reports.append(red.report)
        units = red.units
        codings = red.remap_codings(codings)
        if "memo" in codings.columns:
            codings["memo"] = [
                apply_hits(m, scan_contacts(m, kinds, None, keep))[0] if isinstance(m, str) and m else m
                for m in codings["memo"]
            ]
    ids = _id_map(project, key, state)
    units = ids.frame(units)
    codings = ids.frame(codings, ("unit_id",))
    threads = _safe_threads(threads, ids, scanner, kinds, keep)
    report = pd.concat(reports, ignore_index=True) if reports else empty_report
    return ExportView(
        units.reset_index(drop=True), codings.reset_index(drop=True), False, _public(state), report, threads, ids
    )


def _scrub(text: Any, scanner: NameScanner) -> Any:
    return apply_hits(text, scanner.scan(text))[0] if isinstance(text, str) and text else text


def _id_map(project: Project, key: PseudonymKey | None, state: dict[str, Any]) -> IdMap:
    """How this project's ids are mapped: under the key's id secret (kept in a pseudonymised project's state)."""
    if key is not None:
        if state.get("state") == "pseudonymised" and not state.get("id_secret"):
            project.set_setting(_SETTING, {**state, "id_secret": key.id_secret.hex()}, actor="privacy")
        return IdMap(key.id_secret)
    secret = state.get("id_secret")
    if not isinstance(secret, str):
        raise PrivacyError(
            "this project was marked pseudonymised before ids were mapped on export; pass "
            "key=PseudonymKey.load(path) once (or mark it again with mark_pseudonymised(project, key))"
        )
    return IdMap(bytes.fromhex(secret))


def _threads(project: Project) -> pd.DataFrame:
    threads = project.threads()
    for col in _THREAD_COLUMNS:
        if col not in threads.columns:
            threads[col] = None
    return threads[_THREAD_COLUMNS].reset_index(drop=True)


def _safe_threads(
    threads: pd.DataFrame, ids: IdMap, scanner: NameScanner | None, kinds: tuple[str, ...], keep: set[str]
) -> pd.DataFrame:
    """Threads with ids and file names mapped and titles pseudonymised and redacted."""
    out = ids.frame(threads, ("thread_id", "file_name"))
    titles = []
    for title in out["title"]:
        if scanner is not None:
            title = _scrub(title, scanner)
        if kinds and isinstance(title, str) and title:
            title = apply_hits(title, scan_contacts(title, kinds, None, keep))[0]
        titles.append(title)
    out["title"] = pd.Series(titles, index=out.index, dtype=object)
    return out


def _codings(project: Project, coder: str | Sequence[str] | None, round: Any) -> pd.DataFrame:
    """The project's current codings for ``coder`` and ``round`` (``...`` is ALL_ROUNDS, None NO_ROUND)."""
    if round is ALL_ROUNDS or round is ...:
        return project.codings(coder=coder)
    if round is NO_ROUND:
        round = None
    return project.codings(coder=coder, round=round)
