"""Rounds: a reliability sample, assigned to coders, with a pinned codebook version.

Reaching agreement is a process: draw a reliability sample, code it blind, compare,
discuss, refine the codebook, recode, until the coefficient holds. This part stores
the rounds of that process. Which units a sample holds and who codes each is decided
by the pure functions of :mod:`workbench.sampling` (see its docstring for the scheme);
this part reads the population (codable units in import order, units of the rounds
named in ``exclude`` left out) and records everything needed to draw the same sample
again: the seed in ``rounds.seed`` and the specification (JSON) in ``rounds.sample``,
including a checksum of the population, so that :meth:`Rounds.redraw` can show that
the sample is reproducible.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from .. import sampling
from ..errors import UnknownCodeError, UnknownUnitError, WorkbenchError
from ..identifiers import new_name
from . import tables as T
from ._kernel import Kernel, RoundRef, now, utc, utc_timestamp
from .codebooks import Codebooks
from .codings import Codings

__all__ = ["Rounds", "ROUND_STATUSES"]

#: The states of a round.
ROUND_STATUSES = ("open", "closed")

_CHUNK = 5_000
_IN = 900
_COLUMNS = [
    "round", "round_id", "status", "codebook_version", "n_units", "coders", "overlap", "stratify",
    "seed", "created_at", "closed_at", "n_population", "method",
]


def _names(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    out = list(value)
    for v in out:
        if not isinstance(v, str | int):
            raise TypeError(f"{what} must be names (strings); got {v!r}")
    return out


def _info(rnd: dict[str, Any], n_units: int, assigned: list[str]) -> dict[str, Any]:
    spec = json.loads(rnd["sample"]) if rnd.get("sample") else {}
    return {
        "round": rnd["name"],
        "round_id": int(rnd["round_id"]),
        "status": rnd["status"],
        "codebook_version": rnd["codebook_version"],
        "n_units": n_units,
        "n_population": spec.get("population"),
        "n_codable": spec.get("codable", spec.get("population")),
        "coders": list(spec.get("coders") or assigned),
        "overlap": spec.get("overlap", 1.0),
        "n_overlap": spec.get("n_overlap", n_units),
        "stratify": spec.get("stratify"),
        "seed": rnd.get("seed"),
        "method": spec.get("method"),
        "exclude": list(spec.get("exclude") or []),
        "sample": spec,
        "created_at": utc_timestamp(rnd.get("created_at")),
        "closed_at": utc_timestamp(rnd.get("closed_at")),
    }


class Rounds:
    """Open, list, close and reopen rounds; draw and redraw their samples.

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "r.db"))
    >>> project.add_codebook(wb.Codebook.from_dict({"name": "d", "codes": [
    ...     {"name": "a", "label": "A", "definition": "x"}]}))
    1
    >>> _ = project.add_units(wb.make_units(
    ...     [{"unit_id": f"{t}{i}", "thread_id": t, "text": "."} for t in "ab" for i in range(10)]))
    >>> for c in ("ann", "ben"):
    ...     _ = project.add_coder(c)
    >>> picked = project.sample_units(0.2, seed=3, stratify="thread")
    >>> sorted(u[0] for u in picked), picked == project.sample_units(0.2, seed=3, stratify="thread")
    (['a', 'a', 'b', 'b'], True)
    >>> project.new_round("r1", sample=0.5, coders=["ann", "ben"], overlap=0.4, seed=1)
    'r1'
    >>> len(project.round_units("r1")), len(project.round_units("r1", coder="ann"))
    (10, 7)
    >>> project.redraw_sample("r1") == project.round_units("r1")
    True
    >>> project.rounds()[["round", "status", "n_units", "coders", "overlap", "seed"]].to_dict("records")
    [{'round': 'r1', 'status': 'open', 'n_units': 10, 'coders': 'ann, ben', 'overlap': 0.4, 'seed': 1}]
    >>> project.close()

    Parameters
    ----------
    kernel : Kernel
    codebooks : Codebooks
        To check codes against a round's pinned version.
    codings : Codings
        To read a round's codings.
    """

    def __init__(self, kernel: Kernel, codebooks: Codebooks, codings: Codings):
        self.kernel = kernel
        self.codebooks = codebooks
        self.codings = codings

    # --- sampling -------------------------------------------------------------------------
    def _population(
        self, conn: sa.Connection, stratify: str | None, exclude: Sequence[str]
    ) -> tuple[list[str], list[str] | None, list[str]]:
        """Codable unit ids in import order, their strata, and the excluded rounds' names."""
        if stratify is not None and stratify not in sampling.STRATIFY:
            raise ValueError(f"stratify must be None, 'thread' or 'source'; got {stratify!r}")
        u = T.units.c
        cols = [u.unit_id] + ([u[sampling.STRATIFY[stratify]]] if stratify else [])
        q = sa.select(*cols).where(u.codable == sa.true()).order_by(u.seq)
        names: list[str] = []
        if exclude:
            rids = []
            for r in exclude:
                rnd = self.kernel.one_round(conn, r, "exclude")
                rids.append(rnd["round_id"])
                names.append(rnd["name"])
            a = T.round_assignments.c
            q = q.where(~sa.exists().where(a.unit_id == u.unit_id, a.round_id.in_(rids)))
        rows = conn.execute(q).all()
        ids = [r[0] for r in rows]
        strata = [str(r[1]) for r in rows] if stratify else None
        return ids, strata, names

    def sample_units(
        self,
        sample: int | float | None = None,
        *,
        seed: int,
        stratify: str | None = None,
        exclude: str | Sequence[str] | None = None,
    ) -> list[str]:
        """Draw a reliability sample of codable units without creating a round.

        The same arguments on the same population give the same units:
        :meth:`new_round` draws its sample with this function.

        Parameters
        ----------
        sample : None, int or float
            None: every codable unit; an int: that many units; a float in (0, 1]: that
            fraction of the codable units (rounded, at least one).
        seed : int
            Seed of the random generator (``numpy.random.default_rng(seed)``).
        stratify : None, "thread" or "source"
            Simple random sample, or proportional allocation over threads or over
            source formats (see :mod:`workbench.sampling`).
        exclude : str or list of str, optional
            Rounds whose units are left out of the population (to draw a fresh sample).

        Returns
        -------
        list of str
            Unit ids in import order.
        """
        seed = sampling.check_seed(seed)
        with self.kernel.reading("read the codable units") as conn:
            ids, strata, _ = self._population(conn, stratify, _names(exclude, "exclude"))
        n = sampling.sample_size(sample, len(ids))
        return sampling.draw(ids, n, sampling.seed_rng(seed), strata)

    # --- opening a round ------------------------------------------------------------------
    def new_round(
        self,
        name: str,
        *,
        sample: int | float | None = None,
        coders: Sequence[str],
        overlap: float = 1.0,
        seed: int | None = None,
        stratify: str | None = None,
        codebook_version: int | None = None,
        units: Sequence[str] | None = None,
        exclude: str | Sequence[str] | None = None,
        actor: str | None = None,
    ) -> str:
        """Open a coding round: draw a sample, assign it to coders, pin a codebook version.

        Parameters
        ----------
        name : str
            The round's name (unique in the project), e.g. ``"round 1"``.
        sample : None, int or float
            None: every codable unit; an int: that many units; a float in (0, 1]: that
            fraction of the codable units. See :mod:`workbench.sampling` for the scheme.
        coders : list of str
            The coders who code the round (added to the project beforehand).
        overlap : float
            The fraction of the sample coded by every coder, in [0, 1]; the rest is
            dealt out so that each of those units is coded by one coder.
        seed : int, optional
            Seed of the draw; None draws a random seed. Either way it is recorded.
        stratify : None, "thread" or "source"
            Stratify the sample (proportional allocation) by thread or source format.
        codebook_version : int, optional
            The codebook version coded with in this round (default: the newest).
        units : list of str, optional
            Explicit unit ids instead of a sample (``sample`` and ``stratify`` must then
            be left out); the seed still deals the units when ``overlap < 1``.
        exclude : str or list of str, optional
            Rounds whose units are left out of the population, to draw a fresh sample.
        actor : str, optional
            Who opened the round, for the audit log.

        Returns
        -------
        str
            The round's name.

        Raises
        ------
        ValueError, TypeError
            Invalid arguments, a name already taken, a sample larger than the population.
        UnknownCoderError, UnknownUnitError, UnknownRoundError
            A coder, unit or excluded round that the project does not hold.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a round needs a non-empty name, e.g. project.new_round('round 1', coders=[...])")
        name = name.strip()
        coder_names = _names(coders, "coders")
        if not coder_names:
            raise ValueError("give the round at least one coder, e.g. coders=['alice', 'bob']")
        if len(set(coder_names)) != len(coder_names):
            raise ValueError(f"coders are listed twice: {coder_names}")
        if isinstance(overlap, bool) or not isinstance(overlap, int | float | np.integer | np.floating):
            raise TypeError(f"overlap must be a number in [0, 1]; got {overlap!r}")
        overlap = float(overlap)
        if not 0 <= overlap <= 1:
            raise ValueError(f"overlap must be in [0, 1] (1 = every coder codes every unit); got {overlap}")
        if units is not None and (sample is not None or stratify is not None):
            raise ValueError("give either units= (explicit unit ids) or sample=/stratify=, not both")
        if stratify is not None and stratify not in sampling.STRATIFY:
            raise ValueError(f"stratify must be None, 'thread' or 'source'; got {stratify!r}")
        seed = secrets.randbelow(2**31) if seed is None else sampling.check_seed(seed)
        exclude_names = _names(exclude, "exclude")
        with self.kernel.transaction(f"create round {name!r}", after="Nothing was recorded.") as conn:
            taken = list(conn.execute(sa.select(T.rounds.c.name).order_by(T.rounds.c.round_id)).scalars())
            name = new_name(name, taken, what="round", allow_digits=False)  # workbench.identifiers' rule
            if name in taken:
                raise ValueError(f"a round called {name!r} exists already; rounds: {taken}. Choose another name")
            coder_ids = [self.kernel.coder_id(conn, c) for c in coder_names]
            version = self._pin_version(conn, codebook_version)
            ids, strata, excluded = self._population(conn, stratify, exclude_names)
            spec: dict[str, Any] = {
                "sample": sample.item() if isinstance(sample, np.generic) else sample,
                "stratify": stratify,
                "exclude": excluded,
                "coders": coder_names,
                "overlap": overlap,
                "population": len(ids),
                "population_sha256": sampling.population_digest(ids),
                "codable": len(ids) if not excluded else int(
                    conn.execute(sa.select(sa.func.count()).select_from(T.units).where(T.units.c.codable == sa.true()))
                    .scalar() or 0
                ),
            }
            if units is not None:
                picked = self._explicit_units(conn, units)
                spec["method"], spec["sample"] = "explicit", None
            else:
                n = sampling.sample_size(sample, len(ids))
                if n == 0:
                    raise ValueError(
                        "there are no codable units to sample"
                        + (f" outside rounds {excluded}" if excluded else "")
                        + "; add units with project.add_units(...)"
                    )
                picked = sampling.draw(ids, n, sampling.seed_rng(seed), strata)
                spec["method"] = "all" if sample is None else ("stratified" if stratify else "random")
            picked_strata = self._strata(conn, picked, stratify) if stratify and overlap < 1 else None
            assigned, n_all = sampling.deal(picked, len(coder_names), overlap, seed, picked_strata)
            spec["n"], spec["n_overlap"] = len(picked), n_all
            try:
                round_id = conn.execute(
                    T.rounds.insert()
                    .values(name=name, status="open", codebook_version=version, sample=json.dumps(spec), seed=seed,
                            created_at=now())
                    .returning(T.rounds.c.round_id)
                ).scalar_one()
            except sa.exc.IntegrityError as exc:
                raise ValueError(f"could not create round {name!r} (is the name taken?): {exc.orig}") from exc
            seqs = self._seqs(conn, picked)
            rows = [
                {"round_id": round_id, "coder_id": coder_ids[j], "unit_id": u, "seq": seqs[u]}
                for u in picked
                for j in assigned[u]
            ]
            for i in range(0, len(rows), _CHUNK):
                conn.execute(T.round_assignments.insert(), rows[i : i + _CHUNK])
            keys = ("method", "sample", "stratify", "coders", "overlap", "exclude")
            detail = {"round": name, "round_id": round_id, "codebook_version": version, "seed": seed,
                      "n_units": len(picked), **{k: spec[k] for k in keys}}
            self.kernel.audit(conn, "new_round", detail, actor)
        return name

    def _pin_version(self, conn: sa.Connection, version: int | None) -> int:
        newest = self.kernel.newest_version(conn)
        if newest is None:
            raise WorkbenchError("this project has no codebook; add one before opening a round with project.add_codebook(...)")
        if version is None:
            return newest
        if isinstance(version, bool) or not isinstance(version, int | np.integer):
            raise TypeError(f"codebook_version must be a version number (int); got {version!r}")
        cv = T.codebook_versions.c
        if conn.execute(sa.select(cv.version).where(cv.version == int(version))).first() is None:
            raise ValueError(f"codebook version {version} does not exist; versions are 1 to {newest}")
        return int(version)

    def _explicit_units(self, conn: sa.Connection, units: Sequence[str]) -> list[str]:
        if isinstance(units, str):
            raise TypeError("units must be a list of unit ids, not a single string")
        wanted = list(dict.fromkeys(units))
        if not wanted:
            raise ValueError("units= is empty; give at least one unit id")
        for w in wanted:
            if not isinstance(w, str):
                raise TypeError(f"unit ids are strings (e.g. '12' not 12); got {w!r}")
        u = T.units.c
        found: dict[str, tuple[int, bool]] = {}
        for i in range(0, len(wanted), _IN):
            q = sa.select(u.unit_id, u.seq, u.codable).where(u.unit_id.in_(wanted[i : i + _IN]))
            found.update((uid, (int(seq), bool(codable))) for uid, seq, codable in conn.execute(q))
        missing = [w for w in wanted if w not in found]
        if missing:
            raise UnknownUnitError(
                self.kernel.unknown_unit_message(missing[0]) + f" ({len(missing)} unknown: {missing[:5]})"
            )
        uncodable = [w for w in wanted if not found[w][1]]
        if uncodable:
            raise ValueError(f"units {uncodable[:5]} are not codable (deleted, removed, spam, ...); leave them out of units=")
        return sorted(wanted, key=lambda w: found[w][0])

    @staticmethod
    def _strata(conn: sa.Connection, picked: list[str], stratify: str) -> list[str]:
        u, col = T.units.c, T.units.c[sampling.STRATIFY[stratify]]
        stratum: dict[str, str] = {}
        for i in range(0, len(picked), _IN):
            q = sa.select(u.unit_id, col).where(u.unit_id.in_(picked[i : i + _IN]))
            stratum.update((uid, str(s)) for uid, s in conn.execute(q))
        return [stratum[x] for x in picked]

    @staticmethod
    def _seqs(conn: sa.Connection, ids: list[str]) -> dict[str, int]:
        u = T.units.c
        out: dict[str, int] = {}
        for i in range(0, len(ids), _IN):
            out.update((a, int(b)) for a, b in conn.execute(sa.select(u.unit_id, u.seq).where(u.unit_id.in_(ids[i : i + _IN]))))
        return out

    def redraw_sample(self, round: RoundRef) -> list[str]:
        """Draw a round's sample again from its recorded seed and specification.

        Parameters
        ----------
        round : str or int
            The round's name or id.

        Returns
        -------
        list of str
            The unit ids the recorded seed gives on the project as it is now; equal to
            :meth:`round_units` when the sample is reproducible.

        Raises
        ------
        ValueError
            The units were given explicitly, or the population changed since.
        """
        info = self.round_info(round)
        spec = info["sample"]
        if not spec or spec.get("method") == "explicit":
            raise ValueError(f"round {info['round']!r} was not sampled (its units were given explicitly)")
        with self.kernel.reading("read the codable units") as conn:
            ids, strata, _ = self._population(conn, spec.get("stratify"), spec.get("exclude") or [])
        if sampling.population_digest(ids) != spec.get("population_sha256"):
            raise ValueError(
                f"the codable units changed since round {info['round']!r} was drawn "
                f"({spec.get('population')} then, {len(ids)} now); its sample cannot be redrawn from the seed"
            )
        return sampling.draw(ids, int(spec["n"]), sampling.seed_rng(int(info["seed"])), strata)

    # --- reading ------------------------------------------------------------------------------
    def round_info(self, round: RoundRef) -> dict[str, Any]:
        """One round's record as a dict.

        Parameters
        ----------
        round : str or int
            The round's name or id.

        Returns
        -------
        dict
            ``round, round_id, status, codebook_version, n_units, n_population`` (the
            codable units sampled from), ``n_codable`` (all codable units then, including
            those of excluded rounds), ``coders`` (a list), ``overlap, n_overlap, stratify,
            seed, method, exclude, sample`` (the recorded specification, a dict),
            ``created_at, closed_at``.
        """
        a, c = T.round_assignments.c, T.coders.c
        with self.kernel.reading(f"read round {round!r}") as conn:
            rnd = self.kernel.one_round(conn, round, "round_info")
            n_units = conn.execute(
                sa.select(sa.func.count(sa.distinct(a.unit_id))).where(a.round_id == rnd["round_id"])
            ).scalar()
            assigned = list(
                conn.execute(
                    sa.select(c.name)
                    .select_from(T.round_assignments.join(T.coders, c.coder_id == a.coder_id))
                    .where(a.round_id == rnd["round_id"])
                    .group_by(c.name)
                    .order_by(sa.func.min(c.coder_id))
                ).scalars()
            )
        return _info(rnd, int(n_units or 0), assigned)

    def rounds(self) -> pd.DataFrame:
        """The project's rounds, oldest first.

        Returns
        -------
        pandas.DataFrame
            ``round`` (name), ``round_id``, ``status`` (open / closed),
            ``codebook_version``, ``n_units`` (units in the sample), ``coders`` (names,
            comma-joined), ``overlap``, ``stratify`` (None, thread, source), ``seed``,
            ``created_at``, ``closed_at``, ``n_population`` (codable units sampled from)
            and ``method`` (all, random, stratified, explicit).
        """
        a, c = T.round_assignments.c, T.coders.c
        with self.kernel.reading("list the rounds") as conn:
            rows = [dict(r) for r in conn.execute(sa.select(T.rounds).order_by(T.rounds.c.round_id)).mappings()]
            counts: dict[int, int] = dict(
                conn.execute(sa.select(a.round_id, sa.func.count(sa.distinct(a.unit_id))).group_by(a.round_id)).all()
            )
            pairs = conn.execute(
                sa.select(a.round_id, c.name)
                .select_from(T.round_assignments.join(T.coders, c.coder_id == a.coder_id))
                .group_by(a.round_id, c.name, c.coder_id)
                .order_by(a.round_id, c.coder_id)
            ).all()
        assigned: dict[int, list[str]] = {}
        for rid, cname in pairs:
            assigned.setdefault(rid, []).append(cname)
        records = []
        for r in rows:
            info = _info(r, int(counts.get(r["round_id"], 0)), assigned.get(r["round_id"], []))
            info["coders"] = ", ".join(info["coders"])
            records.append({k: info[k] for k in _COLUMNS})
        df = pd.DataFrame.from_records(records, columns=_COLUMNS)
        for col in ("created_at", "closed_at"):
            df[col] = utc(df[col]) if len(df) else pd.Series([], dtype="datetime64[ns, UTC]")
        for col in ("codebook_version", "seed", "n_population"):
            df[col] = df[col].astype("Int64")
        return df.astype({"overlap": float, "n_units": "int64"})

    def round_units(self, round: RoundRef, coder: str | None = None) -> list[str]:
        """The units of a round (or of one coder's assignment in it), in queue order.

        Parameters
        ----------
        round : str or int
            The round's name or id.
        coder : str, optional
            Only this coder's assignment.

        Returns
        -------
        list of str
        """
        a = T.round_assignments.c
        with self.kernel.reading(f"read the units of round {round!r}") as conn:
            rnd = self.kernel.one_round(conn, round, "round_units")
            q = sa.select(a.unit_id).where(a.round_id == rnd["round_id"])
            if coder is not None:
                q = q.where(a.coder_id == self.kernel.coder_id(conn, coder))
            return list(conn.execute(q.group_by(a.unit_id).order_by(sa.func.min(a.seq))).scalars())

    def assignments(self, round_id: int) -> dict[str, list[str]]:
        """The coders assigned to each unit of a round, units in queue order.

        Parameters
        ----------
        round_id : int

        Returns
        -------
        dict of str to list of str
            Empty for a round without assignments.
        """
        a, c = T.round_assignments.c, T.coders.c
        with self.kernel.reading("read a round's assignments") as conn:
            pairs = conn.execute(
                sa.select(a.unit_id, c.name)
                .select_from(T.round_assignments.join(T.coders, c.coder_id == a.coder_id))
                .where(a.round_id == round_id)
                .order_by(a.seq, c.coder_id)
            ).all()
        assigned: dict[str, list[str]] = {}
        for uid, cname in pairs:
            assigned.setdefault(uid, []).append(cname)
        return assigned

    def close_round(self, round: RoundRef, *, actor: str | None = None) -> None:
        """Close a round: its codings are final and new ones are refused (audited).

        Closing a closed round changes nothing.

        Parameters
        ----------
        round : str or int
            The round's name or id.
        actor : str, optional
            Who closed it, for the audit log.

        Returns
        -------
        None
        """
        self._set_status(round, "closed", actor)

    def reopen_round(self, round: RoundRef, *, actor: str | None = None) -> None:
        """Reopen a closed round so that coders can code in it again (audited).

        Parameters
        ----------
        round : str or int
            The round's name or id.
        actor : str, optional
            Who reopened it, for the audit log.

        Returns
        -------
        None
        """
        self._set_status(round, "open", actor)

    def _set_status(self, round: RoundRef, status: str, actor: str | None) -> None:
        verb = "close" if status == "closed" else "reopen"
        with self.kernel.transaction(f"{verb} round {round!r}") as conn:
            rnd = self.kernel.one_round(conn, round, f"{verb}_round")
            if rnd["status"] == status:
                return
            conn.execute(
                T.rounds.update()
                .where(T.rounds.c.round_id == rnd["round_id"])
                .values(status=status, closed_at=now() if status == "closed" else None)
            )
            detail = {"round": rnd["name"], "round_id": rnd["round_id"], "from": rnd["status"]}
            self.kernel.audit(conn, f"{verb}_round", detail, actor)

    def blind_codings(self, coder: str, round: RoundRef) -> pd.DataFrame:
        """One coder's current codings in one round: all the coding panel may show them.

        Parameters
        ----------
        coder : str
        round : str or int
            The round's name or id.

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`~workbench.storage.codings.Codings.codings`.

        Raises
        ------
        UnknownCoderError, UnknownRoundError
        """
        with self.kernel.reading(f"read the codings of coder {coder!r}") as conn:
            self.kernel.coder_id(conn, coder)
            rnd = self.kernel.one_round(conn, round, "blind_codings")
        return self.codings.codings(coder=coder, round=rnd["round_id"])

    def review_data(
        self, round: RoundRef, codes: str | Sequence[str] | None = None
    ) -> tuple[dict[str, Any], pd.DataFrame, dict[str, list[str]], list[str]]:
        """What a disagreement review reads: the round, its codings, assignments and coders.

        Parameters
        ----------
        round : str or int
        codes : str or list of str, optional
            Checked against the round's codebook version.

        Returns
        -------
        tuple
            ``(info, codings, assigned, coders)``: :meth:`round_info`, the round's current
            codings, :meth:`assignments`, the round's coders in order (in a round without
            assignments, followed by any other coder who coded in it).
        """
        info = self.round_info(round)
        codings = self.codings.codings(round=info["round_id"])
        if codes is not None:
            wanted = [codes] if isinstance(codes, str) else list(codes)
            cb = self.codebooks.codebook(info["codebook_version"] or None)
            unknown = [c for c in wanted if c not in cb]
            if unknown:
                raise UnknownCodeError(
                    f"code(s) {unknown} are not in codebook version {info['codebook_version']}; valid codes: {cb.names}"
                )
        assigned = self.assignments(info["round_id"])
        coders = list(info["coders"])
        if not assigned:
            coders += [c for c in pd.unique(codings["coder"]) if c not in coders]
        return info, codings, assigned, coders
