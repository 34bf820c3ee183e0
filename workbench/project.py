"""``Project``: the one facade over the store.

Widgets, notebooks and the command line talk to a project only through this class. It
holds the engine and the parts of the store (:mod:`workbench.storage`) and delegates;
the parts' docstrings say more about each operation. Every call that records something
(a coding, a memo, a codebook version) runs in one committed transaction and has
reached the disk before it returns. A database error surfaces as
:class:`~workbench.errors.StoreError`, never as the driver's exception.

Rounds: a read takes ``round=ALL_ROUNDS`` (every coding) by default; ``round=NO_ROUND``
or ``round=None`` means outside any round, everywhere (see :mod:`workbench.sentinels`).
``project.round("pilot")`` is a handle on one round.

Teams: ``open_project(url, coder="alice")`` opens the project for one coder, who then
writes only as herself and, in open (blind) rounds, reads only her own codings; the
supervisors' operations are refused. :mod:`workbench.storage.access` has the rules (and
how PostgreSQL enforces them for any SQL); a supervisor opens the project without
``coder=``, or with their own name.

Examples
--------
>>> import os, tempfile, workbench as wb
>>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "demo.db"))
>>> project.add_codebook(wb.Codebook.from_dict({"name": "demo", "codes": [
...     {"name": "validating", "label": "Validating", "definition": "Believes the account."},
...     {"name": "defensive", "label": "Defensive", "definition": "Not all of us."}]}))
1
>>> project.add_units(wb.make_units([{"unit_id": f"u{i}", "thread_id": "t", "text": "..."} for i in range(6)]))
6
>>> _ = project.add_coder("alice"); _ = project.add_coder("bob")
>>> pilot = project.round(project.new_round("pilot", sample=4, coders=["alice", "bob"], seed=7))
>>> units = pilot.units()
>>> for u in units:
...     _ = project.code(u, "validating", coder="alice", round="pilot")
...     _ = project.code(u, "validating" if u != units[0] else "defensive", coder="bob", round="pilot")
>>> _ = project.code("u5", "defensive", coder="alice")  # outside any round
>>> len(project.codings()), len(project.codings(round=wb.NO_ROUND)), len(pilot.codings())
(9, 1, 8)
>>> pilot.disagreements()[["unit_id", "codes_by_coder"]].to_dict("records") == [
...     {"unit_id": units[0], "codes_by_coder": "alice: validating; bob: defensive"}]
True
>>> pilot.adjudicate(units[0], ["defensive"], decided_by="sam", reason="'not all' framing")
1
>>> project.gold()[["code", "round", "decided_by"]].to_dict("records")
[{'code': 'defensive', 'round': 'pilot', 'decided_by': 'sam'}]
>>> project.close()
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import pandas as pd
import sqlalchemy as sa

from .agreement import disagreements, reliability_table
from .sentinels import ALL_ROUNDS, NO_ROUND
from .storage import connect, database_url, display_url
from .storage._kernel import Kernel, RoundSelection, round_selection
from .storage.access import Access, Rule, login_url
from .storage.access import as_coder_rule as _as_coder
from .storage.access import blind_rule as _blind
from .storage.access import settled_rule as _settled
from .storage.access import supervisor_rule as _supervisor
from .storage.adjudication import Adjudication
from .storage.codebooks import Codebooks
from .storage.coders import Coders
from .storage.codings import UNIT_GROUPS, Codings
from .storage.kit import Kit
from .storage.memos import Memos
from .storage.merge import Merge
from .storage.models import ModelRuns
from .storage.queue import Queue
from .storage.restructure import Restructure
from .storage.rounds import Rounds
from .storage.settings import Settings
from .storage.units import Units

__all__ = ["Project", "Round", "open_project"]

Codes = str | Iterable[str]
Names = str | Sequence[str] | None
P = ParamSpec("P")
R = TypeVar("R")


def _via(part: str, method: Callable[Concatenate[Any, P], R], rule: Rule | None = None) -> Callable[Concatenate[Project, P], R]:
    """A facade method: ``method`` of the part held in ``Project.<part>``.

    It keeps the part method's name, signature and docstring (which documents the
    public call), so ``help(project.add_units)`` shows what the part does. ``rule``
    (:mod:`workbench.storage.access`) is checked first in a project opened for a coder.
    """
    name = method.__name__
    signature = inspect.signature(method)

    @functools.wraps(method)
    def delegate(self: Project, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if rule is not None and self._kernel.viewer is not None:
            bound = signature.bind(None, *args, **kwargs)
            bound.apply_defaults()
            rule(self._access, name, bound.arguments)
        return getattr(getattr(self, part), name)(*args, **kwargs)

    delegate.__qualname__ = f"Project.{name}"
    return delegate


def open_project(
    url_or_path: str | Path, *, create: bool = True, backup: bool = True, coder: str | None = None,
    password: str | None = None,
) -> Project:
    """Open a project store, creating or upgrading its database as needed.

    Parameters
    ----------
    url_or_path : str or Path
        A SQLite file (``data/project.db``) or a URL (``postgresql://user@host/db``).
    create : bool
        Create a SQLite file that does not exist yet.
    backup : bool
        Copy a SQLite file aside before migrating it to a newer schema.
    coder : str, optional
        Open the project for this coder: it writes only as them and reads what the blind
        rule lets them see (:mod:`workbench.storage.access`). A PostgreSQL login that
        belongs to a coder opens the project for that coder only, with or without ``coder=``.
    password : str, optional
        PostgreSQL: log in as ``coder``'s login role with this password (the URL's user is
        replaced by it; see ``workbench team add-coder``). Without it the URL's login is used
        (its password from the URL, ``PGPASSWORD`` or ``~/.pgpass``).

    Returns
    -------
    Project

    Raises
    ------
    StoreError
        The database cannot be opened (e.g. the file is not a SQLite database); the
        message names the file or URL (its password masked).
    SchemaVersionError
        The database was made by a newer workbench.
    AccessError
        The PostgreSQL login belongs to another coder than ``coder``.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "demo.db")
    >>> project = open_project(path)
    >>> project.add_coder("alice")
    'alice'
    >>> project.close()
    >>> alice = open_project(path, coder="alice")
    >>> alice.coder, alice.role
    ('alice', 'coder')
    >>> alice.add_coder("bob")
    Traceback (most recent call last):
    ...
    workbench.errors.AccessError: add_coder is a supervisor's operation; this project is open for the coder 'alice'. A supervisor opens the project without coder= (or with their own name) to do it
    >>> alice.close()
    """
    url = target = str(url_or_path)
    if password is not None:
        if coder is None or not database_url(url).startswith("postgresql"):
            raise ValueError("password= logs a coder in to PostgreSQL: give coder= and a postgresql:// URL too")
        url, target = login_url(database_url(url), coder), login_url(database_url(url), coder, password)
    return Project(connect(target, create=create, backup=backup), url=url, coder=coder)


class Project:
    """A coding project: threads and units, codebook versions, coders, rounds and codings.

    Open one with :func:`open_project`. See the module docstring for durability, errors
    and round selections. Each method below is one part's (the comment above a group
    names the part); the few that combine parts are written out.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        From :func:`workbench.storage.connect`.
    url : str
        What the project was opened with (shown with its password masked).
    coder : str, optional
        The coder the project is opened for (see :func:`open_project`).
    """

    def __init__(self, engine: sa.Engine, *, url: str = "", coder: str | None = None):
        self.engine = engine
        self.url = url
        kernel = self._kernel = Kernel(engine, display_url(url) if url else "")
        self._access = access = Access(kernel)
        self._settings = Settings(kernel)
        self._units = Units(kernel)
        self._coders = Coders(kernel, access)
        self._codebooks = Codebooks(kernel)
        self._queue = Queue(kernel, access)
        self._codings = Codings(kernel, self._codebooks, self._queue, access)
        self._memos = Memos(kernel)
        self._rounds = Rounds(kernel, self._codebooks, self._codings)
        self._adjudication = Adjudication(kernel, self._codebooks)
        self._restructure = Restructure(kernel, self._codebooks, self._codings, self._queue)
        self._merge = Merge(kernel, self._codebooks)
        self._kit = Kit(kernel)
        self._models = ModelRuns(kernel, self._codings, access)
        try:
            access.bind(coder)
        except BaseException:
            engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"<Project {self._kernel.name}>"

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._kernel.dialect

    @property
    def coder(self) -> str | None:
        """The coder the project is open for (None: opened without one, as its owner)."""
        viewer = self._kernel.viewer
        return None if viewer is None else viewer.name

    @property
    def role(self) -> str:
        """``coder`` or ``supervisor`` (the open coder's role), or ``owner``."""
        viewer = self._kernel.viewer
        return "owner" if viewer is None else viewer.role

    def close(self) -> None:
        """Release the database connections.

        Returns
        -------
        None
        """
        self._kernel.close()
        self.engine.dispose()

    # settings and the audit log: storage.settings
    get_setting = _via("_settings", Settings.get_setting)
    set_setting = _via("_settings", Settings.set_setting, _supervisor)
    audit_log = _via("_settings", Settings.audit_log, _supervisor)

    # threads and units: storage.units
    add_units = _via("_units", Units.add_units, _supervisor)
    units = _via("_units", Units.units)
    unit = _via("_units", Units.unit)
    context = _via("_units", Units.context)
    threads = _via("_units", Units.threads)
    sources = _via("_units", Units.sources)
    n_units = _via("_units", Units.n_units)

    # coders: storage.coders
    add_coder = _via("_coders", Coders.add_coder, _supervisor)
    set_role = _via("_coders", Coders.set_role, _supervisor)
    coders = _via("_coders", Coders.coders)

    # database logins of a team on PostgreSQL: storage.access
    create_login = _via("_access", Access.create_login, _supervisor)
    disable_login = _via("_access", Access.disable_login, _supervisor)
    logins = _via("_access", Access.logins)

    # codebook versions: storage.codebooks
    add_codebook = _via("_codebooks", Codebooks.add_codebook, _supervisor)
    codebook = _via("_codebooks", Codebooks.codebook)
    codebook_versions = _via("_codebooks", Codebooks.codebook_versions)
    codebook_version = _via("_codebooks", Codebooks.codebook_version)
    codebook_diff = _via("_codebooks", Codebooks.codebook_diff)

    # restructuring the codebook: storage.restructure
    rename_code = _via("_restructure", Restructure.rename_code, _supervisor)
    merge_codes = _via("_restructure", Restructure.merge_codes, _supervisor)
    split_code = _via("_restructure", Restructure.split_code, _supervisor)
    retire_code = _via("_restructure", Restructure.retire_code, _supervisor)
    recode_queue = _via("_restructure", Restructure.recode_queue)
    code_lineage = _via("_restructure", Restructure.code_lineage)

    # coding, the current state and history: storage.codings
    code = _via("_codings", Codings.code)
    uncode = _via("_codings", Codings.uncode)
    codings = _via("_codings", Codings.codings)
    history = _via("_codings", Codings.history)
    unit_codes = _via("_codings", Codings.unit_codes)
    rebuild_state = _via("_codings", Codings.rebuild_state, _supervisor)

    # model coders' codings and runs (wb.assist): storage.models
    code_model = _via("_models", ModelRuns.code_model, _supervisor)
    save_model_run = _via("_models", ModelRuns.save_model_run, _supervisor)
    model_runs = _via("_models", ModelRuns.model_runs, _supervisor)

    # a coder's queue: storage.queue
    next_unit = _via("_queue", Queue.next_unit)
    queue = _via("_queue", Queue.queue)
    progress = _via("_queue", Queue.progress)

    # memos and flags: storage.memos
    memo = _via("_memos", Memos.memo, _as_coder)
    flag = _via("_memos", Memos.flag, _as_coder)
    memos = _via("_memos", Memos.memos, _blind)
    flagged = _via("_memos", Memos.flagged, _blind)

    # rounds: storage.rounds
    sample_units = _via("_rounds", Rounds.sample_units)
    new_round = _via("_rounds", Rounds.new_round, _supervisor)
    redraw_sample = _via("_rounds", Rounds.redraw_sample)
    round_info = _via("_rounds", Rounds.round_info)
    rounds = _via("_rounds", Rounds.rounds)
    round_units = _via("_rounds", Rounds.round_units)
    close_round = _via("_rounds", Rounds.close_round, _supervisor)
    reopen_round = _via("_rounds", Rounds.reopen_round, _supervisor)
    blind_codings = _via("_rounds", Rounds.blind_codings)

    # adjudication and the gold set: storage.adjudication
    adjudicate = _via("_adjudication", Adjudication.adjudicate, _supervisor)
    decisions = _via("_adjudication", Adjudication.decisions, _settled)
    gold = _via("_adjudication", Adjudication.gold, _settled)
    proposals = _via("_adjudication", Adjudication.proposals, _settled)

    # merging projects and coders' kits: storage.merge, storage.kit
    merge = _via("_merge", Merge.merge, _supervisor)
    kit = _via("_kit", Kit.kit, _supervisor)

    # --- what combines parts --------------------------------------------------------------------
    def round(self, round: str | int) -> Round:
        """A handle on one round: its info, units, codings, disagreements, agreement.

        Parameters
        ----------
        round : str or int
            The round's name or id (:class:`UnknownRoundError` if there is none).

        Returns
        -------
        Round
        """
        return Round(self, self.round_info(round))

    def agreement(
        self, round: RoundSelection = ALL_ROUNDS, codes: Sequence[str] | None = None,
        coders: Sequence[str] | None = None, measures: Sequence[str] = ("alpha",), ci: bool = True, *,
        n_boot: int = 1000, seed: int | None = 0, exclusive_groups: Any = "codebook", by: str | None = None,
        weights: str | None = None, ci_method: str = "bootstrap",
    ) -> pd.DataFrame:
        """Inter-coder agreement per code and overall, as a tidy DataFrame; per thread with ``by=``.

        Parameters
        ----------
        round : round name or id, ALL_ROUNDS (default), NO_ROUND or None
            Which current codings: every one, one round's (with its pinned codebook), or
            those outside any round (NO_ROUND or None).
        codes, coders : list of str, optional
            Only these codes, only these coders.
        measures : list of str
            Coefficients (see :data:`workbench.agreement.MEASURES`).
        ci : bool
            95% confidence intervals (by ``ci_method``).
        n_boot, seed : int
        exclusive_groups : "codebook", dict or None
            "codebook": a row ``group:NAME`` per exclusive group of the codebook version
            in force.
        by : {"thread", "source"}, optional
            One report per thread (first column ``thread_id``) or per source (``source``, the
            platform), each on its own units (see :func:`workbench.agreement.reliability_table`).
        weights : str, optional
            A scheme of :data:`workbench.agreement.WEIGHTS` for the measures that take one.
        ci_method : {"bootstrap", "gwet"}
            Bootstrap intervals, or Gwet's variance formulas for the kappa family.

        Returns
        -------
        pandas.DataFrame
            ``code, measure, value, ci_low, ci_high, n_units, n_coders, n_pairable,
            interpretation``, after ``thread_id`` or ``source`` with ``by``.

        Examples
        --------
        >>> import os, tempfile, workbench as wb
        >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "demo.db"))
        >>> _ = project.add_codebook(wb.Codebook.from_dict({"name": "demo", "codes": [
        ...     {"name": n, "label": n, "definition": "..."} for n in ("praise", "blame")]}))
        >>> _ = project.add_units(wb.make_units([{"unit_id": f"u{i}", "thread_id": f"t{i % 2}", "text": "."} for i in range(6)]))
        >>> _ = [project.add_coder(c) for c in ("ann", "ben")]
        >>> for i, pair in enumerate(["pp", "pp", "bb", "bp", "pp", "bb"]):
        ...     for coder, c in zip(("ann", "ben"), pair):
        ...         _ = project.code(f"u{i}", "praise" if c == "p" else "blame", coder=coder)
        >>> project.agreement(by="thread", ci=False).query("code == '(overall)'")[["thread_id", "value", "n_units"]]
          thread_id     value  n_units
        0        t0  1.000000        3
        3        t1  0.444444        3
        >>> project.close()
        """
        sel = round_selection(round)
        self._access.require_settled(sel, "agreement")
        codings = self.codings(round=sel) if by is None else self._codings.codings_by(by, round=sel)
        if isinstance(exclusive_groups, str) and exclusive_groups == "codebook":
            pinned = None if sel is ALL_ROUNDS or sel is NO_ROUND else self.round_info(sel)["codebook_version"]
            exclusive_groups = self._codebooks.exclusive_groups(pinned)
        return reliability_table(codings, codes=codes, coders=coders, measures=measures, ci=ci, n_boot=n_boot,
                                 seed=seed, exclusive_groups=exclusive_groups, ci_method=ci_method, weights=weights,
                                 by=None if by is None else UNIT_GROUPS[by])

    def round_disagreements(
        self, round: str | int, *, codes: Sequence[str] | None = None, long: bool = False, anonymise: bool = False
    ) -> pd.DataFrame:
        """The units of a round on which the coders assigned to them disagree, most contested first.

        A unit is compared when two or more of its assigned coders have coded it (in a
        round without assignments: any coders); a unit coded by one coder only is
        incomplete, not a disagreement. Coders disagree when the sets of codes they
        applied differ (restricted to ``codes`` when given: a coder who applied none of
        them has the empty set).

        Parameters
        ----------
        round : str or int
            The round's name or id.
        codes : list of str, optional
            Compare only these codes (e.g. the codes of one exclusive group).
        long : bool
            One row per unit and coder instead of one per unit.
        anonymise : bool
            Name the coders ``coder 1``, ``coder 2``, ... in the round's order (for
            anonymous adjudication); the same coder keeps the same label throughout.

        Returns
        -------
        pandas.DataFrame
            Wide (default), one row per disagreeing unit: ``unit_id``; ``n_coders`` (who
            coded it) and ``n_assigned``; ``n_code_sets`` (distinct sets given);
            ``contested`` (mean pairwise MASI distance between the coders' sets: 0
            identical, 1 disjoint; rows are sorted by it, then ``n_code_sets``, then queue
            order); ``adjudicated`` (a decision is recorded in this round);
            ``codes_by_coder`` (``"alice: defensive; bob: validating"``, ``(none)`` for an
            empty set); ``codes:<coder>`` per coder of the round (comma-joined and sorted;
            ``""``: coded, none of ``codes``; missing: not coded). With ``long=True``:
            ``unit_id, coder, codes, memo, contested`` (the coder's latest memo on the
            unit in the round, else the memo left with a coding).
        """
        self._access.require_settled(round, "disagreements")
        info, codings, assigned, coders = self._rounds.review_data(round, codes)
        labels = {c: f"coder {i + 1}" for i, c in enumerate(coders)} if anonymise else {c: c for c in coders}
        table = _code_sets(codings, assigned, coders, codes).rename(columns=labels)
        wide = disagreements(table, wide=True).rename(
            columns={"unit": "unit_id", "n_values": "n_code_sets", "value_by_coder": "codes_by_coder",
                     **{f"value:{label}": f"codes:{label}" for label in labels.values()}}
        )
        decided = set(self.decisions(info["round_id"])["unit_id"]) if len(wide) else set()
        n_assigned = [len(assigned[u]) if assigned else n for u, n in zip(wide["unit_id"], wide["n_coders"])]
        wide.insert(2, "n_assigned", pd.Series(n_assigned, index=wide.index, dtype="int64"))
        wide.insert(5, "adjudicated", wide["unit_id"].isin(decided).astype(bool))
        if not long:
            return wide
        out = disagreements(table).rename(columns={"unit": "unit_id", "value": "codes"})
        out = out[out["unit_id"].isin(set(wide["unit_id"]))][["unit_id", "coder", "codes", "contested"]]
        memos = self.memos(round=info["round_id"], kind="memo", latest=True)
        noted = {(u, labels.get(c, c)): t for u, c, t in zip(memos["unit_id"], memos["coder"], memos["text"])}
        with_memo = codings[codings["memo"].notna() & (codings["memo"] != "")]
        noted_too = {(u, labels.get(c, c)): t for u, c, t in zip(with_memo["unit_id"], with_memo["coder"], with_memo["memo"])}
        out.insert(3, "memo", [noted.get(k) or noted_too.get(k) for k in zip(out["unit_id"], out["coder"])])
        out["memo"] = out["memo"].astype(object).where(out["memo"].notna(), None)
        return out.reset_index(drop=True)


def _code_sets(
    codings: pd.DataFrame, assigned: dict[str, list[str]], coders: list[str], codes: Sequence[str] | None
) -> pd.DataFrame:
    """Units x coders: each coder's set of codes on each unit (None: not coded by an assigned coder).

    Units in queue order (then by id), coders in the round's order; restricted to ``codes``
    when given (a coder who applied none of them has the empty set).
    """
    wanted = None if codes is None else set([codes] if isinstance(codes, str) else codes)
    sets: dict[str, dict[str, set[str]]] = {}
    for uid, coder, code in zip(codings["unit_id"], codings["coder"], codings["code"]):
        if assigned and coder not in assigned.get(uid, ()):
            continue
        cell = sets.setdefault(uid, {}).setdefault(coder, set())
        if code is not None and (wanted is None or code in wanted):
            cell.add(code)
    order = {u: i for i, u in enumerate(assigned)}
    units = sorted(sets, key=lambda u: (order.get(u, len(order)), u))
    cells = [[frozenset(sets[u][c]) if c in sets[u] else None for c in coders] for u in units]
    return pd.DataFrame(cells, index=pd.Index(units, dtype=object), columns=coders, dtype=object)


class Round:
    """A handle on one round of a project (from :meth:`Project.round`).

    Parameters
    ----------
    project : Project
    info : dict
        :meth:`Project.round_info` of the round.
    """

    def __init__(self, project: Project, info: dict[str, Any]):
        self.project = project
        self.name: str = info["round"]
        self.round_id: int = info["round_id"]

    def __repr__(self) -> str:
        return f"<Round {self.name!r} of {self.project!r}>"

    @property
    def info(self) -> dict[str, Any]:
        """The round's record now (see :meth:`Project.round_info`)."""
        return self.project.round_info(self.round_id)

    def units(self, coder: str | None = None) -> list[str]:
        """The round's units, or one coder's assignment, in queue order.

        Parameters
        ----------
        coder : str, optional

        Returns
        -------
        list of str
        """
        return self.project.round_units(self.round_id, coder)

    def codings(self, coder: Names = None) -> pd.DataFrame:
        """The round's current codings (of one coder: what their blind view shows).

        Parameters
        ----------
        coder : str or list of str, optional

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`Project.codings`.
        """
        return self.project.codings(coder=coder, round=self.round_id)

    def disagreements(self, *, codes: Sequence[str] | None = None, long: bool = False,
                      anonymise: bool = False) -> pd.DataFrame:
        """The units on which the round's coders disagree (see :meth:`Project.round_disagreements`).

        Parameters
        ----------
        codes : list of str, optional
        long, anonymise : bool

        Returns
        -------
        pandas.DataFrame
        """
        return self.project.round_disagreements(self.round_id, codes=codes, long=long, anonymise=anonymise)

    def agreement(self, codes: Sequence[str] | None = None, **options: Any) -> pd.DataFrame:
        """Agreement in this round, with its pinned codebook (see :meth:`Project.agreement`).

        Parameters
        ----------
        codes : list of str, optional
        **options
            ``coders, measures, ci, n_boot, seed, exclusive_groups``.

        Returns
        -------
        pandas.DataFrame
        """
        return self.project.agreement(self.round_id, codes, **options)

    def adjudicate(self, unit_id: str, codes: Codes, *, decided_by: str, reason: str | None = None,
                   proposal: str | None = None) -> int:
        """Record the final codes of a unit in this round (see :meth:`Project.adjudicate`).

        Parameters
        ----------
        unit_id : str
        codes : str or list of str
        decided_by : str
        reason, proposal : str, optional

        Returns
        -------
        int
            The decision's id.
        """
        return self.project.adjudicate(unit_id, codes, round=self.round_id, decided_by=decided_by, reason=reason,
                                       proposal=proposal)

    def decisions(self, *, latest: bool = True) -> pd.DataFrame:
        """The round's decisions (see :meth:`Project.decisions`).

        Parameters
        ----------
        latest : bool

        Returns
        -------
        pandas.DataFrame
        """
        return self.project.decisions(self.round_id, latest=latest)

    def close(self, *, actor: str | None = None) -> None:
        """Close the round (see :meth:`Project.close_round`).

        Parameters
        ----------
        actor : str, optional
            Who did it, for the audit log.

        Returns
        -------
        None
        """
        self.project.close_round(self.round_id, actor=actor)

    def reopen(self, *, actor: str | None = None) -> None:
        """Reopen the round (see :meth:`Project.reopen_round`).

        Parameters
        ----------
        actor : str, optional
            Who did it, for the audit log.

        Returns
        -------
        None
        """
        self.project.reopen_round(self.round_id, actor=actor)
