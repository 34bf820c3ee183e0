"""Reliability rounds, adjudication and the gold set: a mixin of Project.

Reaching agreement is a process: draw a reliability sample, code it blind, compare,
discuss, refine the codebook, recode, until the coefficient holds. This module holds
the store side of that process.

Rounds
------
:meth:`Rounds.new_round` draws a sample of the project's codable units (all of them, a
number, or a fraction; simple random or stratified by thread or by source format),
assigns it to coders and pins a codebook version. Everything needed to draw the same
sample again is recorded: the seed in ``rounds.seed`` and the specification (JSON) in
``rounds.sample``, including a checksum of the population it was drawn from, so that
:meth:`Rounds.redraw_sample` can show that the sample is reproducible.

The sampling scheme, for a population of ``N`` codable units in import order (units
of the rounds named in ``exclude`` left out), a sample size ``n`` and a seed ``s``:

* ``sample=None``: every unit of the population; ``sample=k`` (an int): ``k`` units;
  ``sample=f`` (a float in (0, 1]): ``round(f * N)`` units (at least one);
* simple random (``stratify=None``): ``numpy.random.default_rng(s).choice(N, n,
  replace=False)``;
* stratified (``stratify="thread"`` or ``"source"``, the units' format): proportional
  allocation by the largest-remainder method (each stratum gets ``floor(n * N_h / N)``
  units, the remaining ones go to the strata with the largest fractional parts, ties to
  the stratum seen first), then a simple random draw within each stratum, strata in
  order of their first unit, all from the one generator. A stratum smaller than
  ``N / n`` may get no unit.

Overlap: with ``overlap=1`` (the default) every coder codes every unit of the sample.
With ``overlap < 1`` a subsample of ``round(overlap * n)`` units (at least one unless
``overlap == 0``), drawn like the sample itself (same stratification) from a generator
seeded with ``(s, 1)``, is coded by all coders; the other units are shuffled with that
generator and dealt to the coders in turn, so each is coded by exactly one coder. Every
unit of the sample is coded by at least one coder.

Adjudication and the gold set
-----------------------------
A supervisor records a decision per unit and round with :meth:`Rounds.adjudicate`
(append-only; the latest decision per unit and round is current). A decision may be
"no code applies" (an empty list of codes). :meth:`Rounds.decisions` lists one row per
decision, codes comma-joined, so decisions are countable; :meth:`Rounds.gold` lists the
same decisions long, one row per code, with a decision of "no code" kept as one row
whose ``code`` is missing (``None``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import secrets
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from .errors import StoreError, UnknownCodeError, UnknownUnitError, WorkbenchError
from .storage import tables as T

__all__ = ["Rounds", "STRATIFY", "ROUND_STATUSES"]

#: Valid values of ``stratify`` and the units column each one stratifies by.
STRATIFY = {"thread": "thread_id", "source": "source"}
#: The states of a round.
ROUND_STATUSES = ("open", "closed")

_CHUNK = 5_000
_SEED_LIMIT = 2**63


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, errors="coerce", format="mixed")


def _ts(value: Any) -> pd.Timestamp | None:
    """A stored time as a UTC timestamp (SQLite returns naive UTC datetimes)."""
    if value is None:
        return None
    t = pd.Timestamp(value)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _none_for_nan(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Missing values of text columns as None (pandas turns None into NaN when building frames)."""
    for c in columns:
        df[c] = pd.Series([None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in df[c]],
                          index=df.index, dtype=object)
    return df


def _joined(codes: Iterable[str]) -> str:
    return ", ".join(sorted(set(codes)))


def _sample_size(sample: Any, population: int) -> int:
    """How many units ``sample`` asks for out of ``population``."""
    if sample is None:
        return population
    if isinstance(sample, bool) or not isinstance(sample, int | float | np.integer | np.floating):
        raise TypeError(
            f"sample must be None (every codable unit), a number of units (int) or a fraction "
            f"in (0, 1] (float); got {sample!r}"
        )
    if isinstance(sample, int | np.integer):
        if sample < 1:
            raise ValueError(f"sample must be at least 1 unit; got {sample}")
        if sample > population:
            raise ValueError(
                f"sample={sample} units, but the population has only {population} codable unit(s); "
                f"ask for at most {population}, or a fraction such as 0.1"
            )
        return int(sample)
    f = float(sample)
    if not (0 < f <= 1):
        hint = f"; for {int(f)} units pass the int {int(f)}" if f > 1 and f == int(f) else ""
        raise ValueError(f"a fractional sample must be in (0, 1]; got {sample!r}{hint}")
    if population == 0:
        return 0
    return min(population, max(1, int(math.floor(f * population + 0.5))))


def _allocate(sizes: Sequence[int], n: int) -> list[int]:
    """Proportional allocation of ``n`` over strata of ``sizes`` (largest remainder)."""
    total = sum(sizes)
    if total == 0:
        return [0] * len(sizes)
    exact = [n * s / total for s in sizes]
    alloc = [int(math.floor(x)) for x in exact]
    left = n - sum(alloc)
    order = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - alloc[i]), i))
    for i in order[:left]:
        alloc[i] += 1
    return alloc


def _draw(ids: Sequence[str], strata: Sequence[str] | None, n: int, rng: np.random.Generator) -> list[str]:
    """``n`` of ``ids`` (kept in their order), simple random or stratified by ``strata``."""
    if n >= len(ids):
        return list(ids)
    if strata is None:
        picked = rng.choice(len(ids), size=n, replace=False)
        return [ids[i] for i in sorted(picked.tolist())]
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(strata):
        groups.setdefault(s, []).append(i)
    members = list(groups.values())
    alloc = _allocate([len(m) for m in members], n)
    chosen: list[int] = []
    for idx, k in zip(members, alloc):
        if k:
            chosen.extend(idx[j] for j in rng.choice(len(idx), size=k, replace=False).tolist())
    return [ids[i] for i in sorted(chosen)]


def _population_digest(ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()


def _as_names(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    out = list(value)
    for v in out:
        if not isinstance(v, str | int):
            raise TypeError(f"{what} must be names (strings); got {v!r}")
    return out


class Rounds:
    """Methods of :class:`workbench.Project` for rounds, assignments and adjudication.

    See the module docstring for the sampling and overlap scheme.

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "rounds.db"))
    >>> project.add_codebook(wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "validating", "label": "Validating", "definition": "Believes the account."},
    ...     {"name": "defensive", "label": "Defensive", "definition": "Not all of us."}]}))
    1
    >>> project.add_units(wb.make_units([{"unit_id": f"u{i}", "thread_id": "t", "text": "..."}
    ...                                  for i in range(10)]))
    10
    >>> _ = project.add_coder("alice"); _ = project.add_coder("bob")
    >>> project.new_round("pilot", sample=4, coders=["alice", "bob"], seed=7)
    'pilot'
    >>> units = project.round_units("pilot")
    >>> len(units), project.redraw_sample("pilot") == units
    (4, True)
    >>> for u in units:
    ...     _ = project.code(u, "validating", coder="alice", round="pilot")
    ...     _ = project.code(u, "validating" if u != units[0] else "defensive", coder="bob", round="pilot")
    >>> project.round_disagreements("pilot")[["unit_id", "codes_by_coder"]].to_dict("records") == [
    ...     {"unit_id": units[0], "codes_by_coder": "alice: validating; bob: defensive"}]
    True
    >>> project.adjudicate(units[0], ["defensive"], round="pilot", decided_by="sam", reason="'not all' framing")
    1
    >>> project.gold()[["code", "round", "decided_by"]].to_dict("records")
    [{'code': 'defensive', 'round': 'pilot', 'decided_by': 'sam'}]
    >>> project.close()
    """

    # --- sampling -------------------------------------------------------------------------
    def _population(
        self, conn: sa.Connection, stratify: str | None, exclude: Sequence[str]
    ) -> tuple[list[str], list[str] | None, list[str]]:
        """Codable unit ids in import order, their strata, and the excluded round names."""
        if stratify is not None and stratify not in STRATIFY:
            raise ValueError(f"stratify must be None, 'thread' or 'source'; got {stratify!r}")
        u = T.units.c
        cols = [u.unit_id] + ([u[STRATIFY[stratify]]] if stratify else [])
        q = sa.select(*cols).where(u.codable == sa.true()).order_by(u.seq)
        names: list[str] = []
        if exclude:
            rids = []
            for r in exclude:
                rnd = self._round(conn, r)
                rids.append(rnd["round_id"])
                names.append(rnd["name"])
            a = T.round_assignments.c
            q = q.where(~sa.exists().where(a.unit_id == u.unit_id, a.round_id.in_(rids)))
        rows = conn.execute(q).all()
        ids = [r[0] for r in rows]
        strata = [str(r[1]) for r in rows] if stratify else None
        return ids, strata, names

    @staticmethod
    def _check_seed(seed: Any) -> int:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise TypeError(f"seed must be a non-negative integer (or None to draw one); got {seed!r}")
        if not 0 <= int(seed) < _SEED_LIMIT:
            raise ValueError(f"seed must be between 0 and 2**63 - 1; got {seed}")
        return int(seed)

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
            source formats (see the module docstring).
        exclude : str or list of str, optional
            Rounds whose units are left out of the population (to draw a fresh sample).

        Returns
        -------
        list of str
            Unit ids in import order.

        Examples
        --------
        >>> import os, tempfile, workbench as wb
        >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "s.db"))
        >>> _ = project.add_units(wb.make_units(
        ...     [{"unit_id": f"{t}{i}", "thread_id": t, "text": "..."} for t in "ab" for i in range(5)]))
        >>> picked = project.sample_units(0.4, seed=3, stratify="thread")
        >>> sorted(u[0] for u in picked), picked == project.sample_units(0.4, seed=3, stratify="thread")
        (['a', 'a', 'b', 'b'], True)
        >>> project.close()
        """
        seed = self._check_seed(seed)
        exclude_names = _as_names(exclude, "exclude")
        with self.engine.connect() as conn:
            ids, strata, _ = self._population(conn, stratify, exclude_names)
        n = _sample_size(sample, len(ids))
        return _draw(ids, strata, n, np.random.default_rng(seed))

    # --- rounds ---------------------------------------------------------------------------
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
            fraction of the codable units. See the module docstring for the scheme.
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

        Examples
        --------
        >>> import os, tempfile, workbench as wb
        >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "r.db"))
        >>> project.add_codebook(wb.Codebook.from_dict({"name": "d", "codes": [
        ...     {"name": "a", "label": "A", "definition": "x"}]}))
        1
        >>> _ = project.add_units(wb.make_units([{"unit_id": f"u{i}", "thread_id": "t", "text": "."}
        ...                                      for i in range(20)]))
        >>> for c in ("ann", "ben"):
        ...     _ = project.add_coder(c)
        >>> project.new_round("r1", sample=0.5, coders=["ann", "ben"], overlap=0.4, seed=1)
        'r1'
        >>> len(project.round_units("r1")), len(project.round_units("r1", coder="ann"))
        (10, 7)
        >>> project.rounds()[["round", "status", "n_units", "coders", "overlap", "seed"]].to_dict("records")
        [{'round': 'r1', 'status': 'open', 'n_units': 10, 'coders': 'ann, ben', 'overlap': 0.4, 'seed': 1}]
        >>> project.close()
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a round needs a non-empty name, e.g. project.new_round('round 1', coders=[...])")
        name = name.strip()
        coder_names = _as_names(coders, "coders")
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
        if stratify is not None and stratify not in STRATIFY:
            raise ValueError(f"stratify must be None, 'thread' or 'source'; got {stratify!r}")
        seed = secrets.randbelow(2**31) if seed is None else self._check_seed(seed)
        exclude_names = _as_names(exclude, "exclude")
        try:
            with self._write() as conn, conn.begin():
                if conn.execute(sa.select(T.rounds.c.round_id).where(T.rounds.c.name == name)).first():
                    taken = list(conn.execute(sa.select(T.rounds.c.name)).scalars())
                    raise ValueError(f"a round called {name!r} exists already; rounds: {taken}. Choose another name")
                coder_ids = [self._coder_id(conn, c) for c in coder_names]
                version = self._pin_version(conn, codebook_version)
                ids, strata, excluded = self._population(conn, stratify, exclude_names)
                spec: dict[str, Any] = {
                    "sample": sample if not isinstance(sample, np.generic) else sample.item(),
                    "stratify": stratify,
                    "exclude": excluded,
                    "coders": coder_names,
                    "overlap": overlap,
                    "population": len(ids),
                    "population_sha256": _population_digest(ids),
                    "codable": len(ids) if not excluded else int(
                        conn.execute(
                            sa.select(sa.func.count()).select_from(T.units).where(T.units.c.codable == sa.true())
                        ).scalar()
                    ),
                }
                if units is not None:
                    picked = self._explicit_units(conn, units)
                    spec["method"] = "explicit"
                    spec["sample"] = None
                else:
                    n = _sample_size(sample, len(ids))
                    if n == 0:
                        raise ValueError(
                            "there are no codable units to sample"
                            + (f" outside rounds {excluded}" if excluded else "")
                            + "; add units with project.add_units(...)"
                        )
                    picked = _draw(ids, strata, n, np.random.default_rng(seed))
                    spec["method"] = "all" if sample is None else ("stratified" if stratify else "random")
                assigned, n_all = self._deal(conn, picked, coder_names, overlap, seed, stratify)
                spec["n"] = len(picked)
                spec["n_overlap"] = n_all
                round_id = conn.execute(
                    T.rounds.insert()
                    .values(
                        name=name,
                        status="open",
                        codebook_version=version,
                        sample=json.dumps(spec),
                        seed=seed,
                        created_at=_now(),
                    )
                    .returning(T.rounds.c.round_id)
                ).scalar_one()
                seqs = self._seqs(conn, picked)
                rows = [
                    {"round_id": round_id, "coder_id": coder_ids[j], "unit_id": u, "seq": seqs[u]}
                    for u in picked
                    for j in assigned[u]
                ]
                for i in range(0, len(rows), _CHUNK):
                    conn.execute(T.round_assignments.insert(), rows[i : i + _CHUNK])
                self._audit(
                    conn,
                    "new_round",
                    {"round": name, "round_id": round_id, "codebook_version": version, "seed": seed,
                     "n_units": len(picked), **{k: spec[k] for k in ("method", "sample", "stratify", "coders", "overlap", "exclude")}},
                    actor,
                )
        except sa.exc.IntegrityError as exc:
            raise ValueError(f"could not create round {name!r} (is the name taken?): {exc.orig}") from exc
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"the store refused to create round {name!r}: {exc.orig}. Nothing was recorded.") from exc
        return name

    def _pin_version(self, conn: sa.Connection, version: int | None) -> int:
        cv = T.codebook_versions.c
        newest = conn.execute(sa.select(sa.func.max(cv.version))).scalar()
        if newest is None:
            raise WorkbenchError(
                "this project has no codebook; add one before opening a round with project.add_codebook(...)"
            )
        if version is None:
            return int(newest)
        if isinstance(version, bool) or not isinstance(version, int | np.integer):
            raise TypeError(f"codebook_version must be a version number (int); got {version!r}")
        if conn.execute(sa.select(cv.version).where(cv.version == int(version))).first() is None:
            raise ValueError(f"codebook version {version} does not exist; versions are 1 to {newest}")
        return int(version)

    def _explicit_units(self, conn: sa.Connection, units: Sequence[str]) -> list[str]:
        if isinstance(units, str):
            raise TypeError("units must be a list of unit ids, not a single string")
        wanted = list(dict.fromkeys(units))
        if not wanted:
            raise ValueError("units= is empty; give at least one unit id")
        for u in wanted:
            if not isinstance(u, str):
                raise TypeError(f"unit ids are strings (e.g. '12' not 12); got {u!r}")
        u = T.units.c
        found: dict[str, tuple[int, bool]] = {}
        for i in range(0, len(wanted), 900):
            for uid, seq, codable in conn.execute(
                sa.select(u.unit_id, u.seq, u.codable).where(u.unit_id.in_(wanted[i : i + 900]))
            ):
                found[uid] = (int(seq), bool(codable))
        missing = [w for w in wanted if w not in found]
        if missing:
            raise UnknownUnitError(self._unknown_unit_message(missing[0]) + f" ({len(missing)} unknown: {missing[:5]})")
        uncodable = [w for w in wanted if not found[w][1]]
        if uncodable:
            raise ValueError(
                f"units {uncodable[:5]} are not codable (deleted, removed, spam, ...); leave them out of units="
            )
        return sorted(wanted, key=lambda w: found[w][0])

    def _deal(
        self,
        conn: sa.Connection,
        picked: list[str],
        coders: list[str],
        overlap: float,
        seed: int,
        stratify: str | None,
    ) -> tuple[dict[str, list[int]], int]:
        """Which coders (indexes) code each picked unit, and how many units all of them code."""
        k = len(coders)
        if k == 1 or overlap >= 1:
            return {u: list(range(k)) for u in picked}, len(picked)
        n = len(picked)
        n_all = 0 if overlap == 0 else min(n, max(1, int(math.floor(overlap * n + 0.5))))
        rng = np.random.default_rng([seed, 1])
        strata = None
        if stratify is not None:
            u, col = T.units.c, T.units.c[STRATIFY[stratify]]
            stratum: dict[str, str] = {}
            for i in range(0, n, 900):
                q = sa.select(u.unit_id, col).where(u.unit_id.in_(picked[i : i + 900]))
                stratum.update((uid, str(s)) for uid, s in conn.execute(q))
            strata = [stratum[x] for x in picked]
        shared = set(_draw(picked, strata, n_all, rng))
        rest = [u for u in picked if u not in shared]
        order = rng.permutation(len(rest)).tolist()
        out = {u: list(range(k)) for u in shared}
        for turn, i in enumerate(order):
            out[rest[i]] = [turn % k]
        return out, n_all

    @staticmethod
    def _seqs(conn: sa.Connection, ids: list[str]) -> dict[str, int]:
        u = T.units.c
        out: dict[str, int] = {}
        for i in range(0, len(ids), 900):
            out.update((a, int(b)) for a, b in conn.execute(sa.select(u.unit_id, u.seq).where(u.unit_id.in_(ids[i : i + 900]))))
        return out

    def redraw_sample(self, round: str | int) -> list[str]:
        """Draw a round's sample again from its recorded seed and specification.

        Returns the unit ids the recorded seed gives on the project as it is now; equal
        to :meth:`round_units` when the sample is reproducible. Raises ``ValueError``
        when the round's units were given explicitly, or when the population changed
        since (units added, or excluded rounds changed), which the recorded checksum
        shows.
        """
        info = self.round_info(round)
        spec = info["sample"]
        if not spec or spec.get("method") == "explicit":
            raise ValueError(f"round {info['round']!r} was not sampled (its units were given explicitly)")
        with self.engine.connect() as conn:
            ids, strata, _ = self._population(conn, spec.get("stratify"), spec.get("exclude") or [])
        if _population_digest(ids) != spec.get("population_sha256"):
            raise ValueError(
                f"the codable units changed since round {info['round']!r} was drawn "
                f"({spec.get('population')} then, {len(ids)} now); its sample cannot be redrawn from the seed"
            )
        return _draw(ids, strata, int(spec["n"]), np.random.default_rng(int(info["seed"])))

    def round_info(self, round: str | int) -> dict[str, Any]:
        """One round's record as a dict.

        Keys: ``round, round_id, status, codebook_version, n_units, n_population`` (the
        codable units sampled from), ``n_codable`` (all codable units then, including
        those of excluded rounds), ``coders`` (a list), ``overlap, n_overlap, stratify, seed, method, exclude,
        sample`` (the recorded specification, a dict), ``created_at, closed_at``.
        """
        with self.engine.connect() as conn:
            rnd = self._round(conn, round)
            if rnd is None:
                raise TypeError("round_info needs a round name or id, not None")
            a = T.round_assignments.c
            n_units = conn.execute(
                sa.select(sa.func.count(sa.distinct(a.unit_id))).where(a.round_id == rnd["round_id"])
            ).scalar()
            assigned = list(
                conn.execute(
                    sa.select(T.coders.c.name)
                    .select_from(T.round_assignments.join(T.coders, T.coders.c.coder_id == a.coder_id))
                    .where(a.round_id == rnd["round_id"])
                    .group_by(T.coders.c.name)
                    .order_by(sa.func.min(T.coders.c.coder_id))
                ).scalars()
            )
        return self._info_dict(rnd, int(n_units or 0), assigned)

    @staticmethod
    def _info_dict(rnd: dict[str, Any], n_units: int, assigned: list[str]) -> dict[str, Any]:
        spec = json.loads(rnd["sample"]) if rnd.get("sample") else {}
        coders = list(spec.get("coders") or assigned)
        created, closed = rnd.get("created_at"), rnd.get("closed_at")
        return {
            "round": rnd["name"],
            "round_id": int(rnd["round_id"]),
            "status": rnd["status"],
            "codebook_version": rnd["codebook_version"],
            "n_units": n_units,
            "n_population": spec.get("population"),
            "n_codable": spec.get("codable", spec.get("population")),
            "coders": coders,
            "overlap": spec.get("overlap", 1.0),
            "n_overlap": spec.get("n_overlap", n_units),
            "stratify": spec.get("stratify"),
            "seed": rnd.get("seed"),
            "method": spec.get("method"),
            "exclude": list(spec.get("exclude") or []),
            "sample": spec,
            "created_at": _ts(created),
            "closed_at": _ts(closed),
        }

    _ROUND_COLUMNS = [
        "round", "round_id", "status", "codebook_version", "n_units", "coders", "overlap", "stratify",
        "seed", "created_at", "closed_at", "n_population", "method",
    ]

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
        a = T.round_assignments.c
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(sa.select(T.rounds).order_by(T.rounds.c.round_id)).mappings()]
            counts = dict(
                conn.execute(sa.select(a.round_id, sa.func.count(sa.distinct(a.unit_id))).group_by(a.round_id)).all()
            )
            pairs = conn.execute(
                sa.select(a.round_id, T.coders.c.name)
                .select_from(T.round_assignments.join(T.coders, T.coders.c.coder_id == a.coder_id))
                .group_by(a.round_id, T.coders.c.name, T.coders.c.coder_id)
                .order_by(a.round_id, T.coders.c.coder_id)
            ).all()
        assigned: dict[int, list[str]] = {}
        for rid, cname in pairs:
            assigned.setdefault(rid, []).append(cname)
        records = []
        for r in rows:
            info = self._info_dict(r, int(counts.get(r["round_id"], 0)), assigned.get(r["round_id"], []))
            info["coders"] = ", ".join(info["coders"])
            records.append({k: info[k] for k in self._ROUND_COLUMNS})
        df = pd.DataFrame.from_records(records, columns=self._ROUND_COLUMNS)
        for col in ("created_at", "closed_at"):
            df[col] = _utc(df[col]) if len(df) else pd.Series([], dtype="datetime64[ns, UTC]")
        df["codebook_version"] = df["codebook_version"].astype("Int64")
        df["seed"] = df["seed"].astype("Int64")
        df["n_population"] = df["n_population"].astype("Int64")
        df["overlap"] = df["overlap"].astype(float)
        df["n_units"] = df["n_units"].astype("int64")
        return df

    def round_units(self, round: str | int, coder: str | None = None) -> list[str]:
        """The units of a round (or of one coder's assignment in it), in queue order."""
        a = T.round_assignments.c
        with self.engine.connect() as conn:
            rnd = self._round(conn, round)
            if rnd is None:
                raise TypeError("round_units needs a round name or id, not None")
            q = sa.select(a.unit_id).where(a.round_id == rnd["round_id"])
            if coder is not None:
                q = q.where(a.coder_id == self._coder_id(conn, coder))
            q = q.group_by(a.unit_id).order_by(sa.func.min(a.seq))
            return list(conn.execute(q).scalars())

    def close_round(self, round: str | int, *, actor: str | None = None) -> None:
        """Close a round: its codings are final and new ones are refused (audited).

        Closing a closed round changes nothing.
        """
        self._set_status(round, "closed", actor)

    def reopen_round(self, round: str | int, *, actor: str | None = None) -> None:
        """Reopen a closed round so that coders can code in it again (audited)."""
        self._set_status(round, "open", actor)

    def _set_status(self, round: str | int, status: str, actor: str | None) -> None:
        with self._write() as conn, conn.begin():
            rnd = self._round(conn, round)
            if rnd is None:
                raise TypeError(f"{'close' if status == 'closed' else 'reopen'}_round needs a round name or id, not None")
            if rnd["status"] == status:
                return
            conn.execute(
                T.rounds.update()
                .where(T.rounds.c.round_id == rnd["round_id"])
                .values(status=status, closed_at=_now() if status == "closed" else None)
            )
            self._audit(
                conn,
                "close_round" if status == "closed" else "reopen_round",
                {"round": rnd["name"], "round_id": rnd["round_id"], "from": rnd["status"]},
                actor,
            )

    # --- blind coding and disagreements ---------------------------------------------------
    def blind_codings(self, coder: str, round: str | int) -> pd.DataFrame:
        """One coder's current codings in one round: all the coding panel may show them.

        Same columns as :meth:`Project.codings`. Raises the project's named errors for
        an unknown coder or round.
        """
        with self.engine.connect() as conn:
            self._coder_id(conn, coder)
            rnd = self._round(conn, round)
            if rnd is None:
                raise TypeError("blind_codings needs a round name or id, not None")
        return self.codings(coder=coder, round=rnd["round_id"])

    def _round_sets(
        self, round: str | int, codes: Sequence[str] | None
    ) -> tuple[dict[str, Any], pd.DataFrame, dict[str, list[str]], list[str]]:
        """The round, its codings, the coders assigned to each unit, the round's coders in order."""
        info = self.round_info(round)
        codings = self.codings(round=info["round_id"])
        if codes is not None:
            wanted = [codes] if isinstance(codes, str) else list(codes)
            cb = self.codebook(info["codebook_version"]) if info["codebook_version"] else self.codebook()
            unknown = [c for c in wanted if c not in cb]
            if unknown:
                raise UnknownCodeError(
                    f"code(s) {unknown} are not in codebook version {info['codebook_version']}; valid codes: {cb.names}"
                )
        a = T.round_assignments.c
        with self.engine.connect() as conn:
            pairs = conn.execute(
                sa.select(a.unit_id, T.coders.c.name)
                .select_from(T.round_assignments.join(T.coders, T.coders.c.coder_id == a.coder_id))
                .where(a.round_id == info["round_id"])
                .order_by(a.seq, T.coders.c.coder_id)
            ).all()
        assigned: dict[str, list[str]] = {}
        for uid, cname in pairs:
            assigned.setdefault(uid, []).append(cname)
        coders = list(info["coders"])
        for c in pd.unique(codings["coder"]):
            if c not in coders and not assigned:
                coders.append(c)
        return info, codings, assigned, coders

    def round_disagreements(
        self,
        round: str | int,
        *,
        codes: Sequence[str] | None = None,
        long: bool = False,
        anonymise: bool = False,
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
            Wide (default), one row per disagreeing unit:

            * ``unit_id``;
            * ``n_coders``: coders who coded the unit; ``n_assigned``: assigned to it;
            * ``n_code_sets``: distinct sets of codes given;
            * ``contested``: mean pairwise MASI distance between the coders' sets (0 =
              identical, 1 = disjoint); rows are sorted by it (then by ``n_code_sets``,
              then queue order);
            * ``adjudicated``: whether a decision is recorded for the unit in this round;
            * ``codes_by_coder``: e.g. ``"alice: defensive; bob: validating"``
              (``(none)`` for an empty set);
            * ``codes:<coder>`` for each of the round's coders: the coder's codes
              comma-joined and sorted (``""``: coded, none of ``codes``; missing: not
              coded).

            With ``long=True``: ``unit_id, coder, codes, memo, contested`` (the
            coder's latest memo on the unit in the round, else the memo left with a
            coding), units in the same order.
        """
        from .agreement import masi_distance

        info, codings, assigned, coders = self._round_sets(round, codes)
        wanted = None if codes is None else set([codes] if isinstance(codes, str) else codes)
        labels = {c: f"coder {i + 1}" for i, c in enumerate(coders)} if anonymise else {c: c for c in coders}
        sets: dict[str, dict[str, set[str]]] = {}
        for uid, coder, code in zip(codings["unit_id"], codings["coder"], codings["code"]):
            if assigned and coder not in assigned.get(uid, ()):
                continue
            cs = sets.setdefault(uid, {}).setdefault(coder, set())
            if code is not None and (wanted is None or code in wanted):
                cs.add(code)
        order = {u: i for i, u in enumerate(assigned)} if assigned else {}
        decided = set(self.decisions(info["round_id"])["unit_id"]) if sets else set()
        rows = []
        for uid, by_coder in sets.items():
            if len(by_coder) < 2:
                continue
            distinct = {frozenset(s) for s in by_coder.values()}
            if len(distinct) < 2:
                continue
            ordered = [c for c in coders if c in by_coder] + [c for c in by_coder if c not in coders]
            dists = [masi_distance(frozenset(by_coder[x]), frozenset(by_coder[y])) for x, y in combinations(ordered, 2)]
            row: dict[str, Any] = {
                "unit_id": uid,
                "n_coders": len(by_coder),
                "n_assigned": len(assigned.get(uid, ())) if assigned else len(by_coder),
                "n_code_sets": len(distinct),
                "contested": float(np.round(np.mean(dists), 6)),
                "adjudicated": uid in decided,
                "codes_by_coder": "; ".join(
                    f"{labels.get(c, c)}: {_joined(by_coder[c]) or '(none)'}" for c in ordered
                ),
                "_order": order.get(uid, len(order)),
                "_sets": {c: by_coder[c] for c in ordered},
            }
            for c in coders:
                row[f"codes:{labels[c]}"] = _joined(by_coder[c]) if c in by_coder else None
            rows.append(row)
        rows.sort(key=lambda r: (-r["contested"], -r["n_code_sets"], r["_order"], r["unit_id"]))
        if long:
            return self._long_disagreements(info, rows, labels)
        cols = ["unit_id", "n_coders", "n_assigned", "n_code_sets", "contested", "adjudicated", "codes_by_coder"]
        cols += [f"codes:{labels[c]}" for c in coders]
        df = pd.DataFrame.from_records([{k: r.get(k) for k in cols} for r in rows], columns=cols)
        df = _none_for_nan(df, [c for c in cols if c.startswith("codes:")])
        return df.astype({"n_coders": "int64", "n_assigned": "int64", "n_code_sets": "int64",
                          "contested": "float64", "adjudicated": "bool"})

    def _long_disagreements(self, info: dict[str, Any], rows: list[dict[str, Any]], labels: dict[str, str]) -> pd.DataFrame:
        cols = ["unit_id", "coder", "codes", "memo", "contested"]
        if not rows:
            return pd.DataFrame(columns=cols)
        units = [r["unit_id"] for r in rows]
        memos = self.memos(round=info["round_id"], kind="memo", latest=True)
        memo_of = {(u, c): t for u, c, t in zip(memos["unit_id"], memos["coder"], memos["text"])}
        coded = self.codings(round=info["round_id"], unit_ids=units)
        coded = coded[coded["memo"].notna() & (coded["memo"] != "")]
        coding_memo = {(u, c): t for u, c, t in zip(coded["unit_id"], coded["coder"], coded["memo"])}
        out = []
        for r in rows:
            for c, s in r["_sets"].items():
                memo = memo_of.get((r["unit_id"], c)) or coding_memo.get((r["unit_id"], c))
                out.append((r["unit_id"], labels.get(c, c), _joined(s), memo, r["contested"]))
        return _none_for_nan(pd.DataFrame.from_records(out, columns=cols), ["memo"])

    # --- adjudication ---------------------------------------------------------------------
    def adjudicate(
        self,
        unit_id: str,
        codes: str | Iterable[str],
        *,
        round: str | int,
        decided_by: str,
        reason: str | None = None,
        proposal: str | None = None,
    ) -> int:
        """Record the final codes of a unit in a round (append-only; the latest decision is current).

        Parameters
        ----------
        unit_id : str
            The unit.
        codes : str or list of str
            The decided codes; an empty list records that no code applies. Validated
            against the round's codebook version (unknown codes, categories, two codes
            of one exclusive group are refused).
        round : str or int
            The round whose disagreement this resolves.
        decided_by : str
            The supervisor (need not be a coder).
        reason : str, optional
            Why: shown beside the decision and in :meth:`gold`.
        proposal : str, optional
            Discussion notes for a proposed codebook change (see :meth:`proposals`).

        Returns
        -------
        int
            The decision's id.
        """
        if isinstance(codes, str):
            code_list = [codes]
        else:
            code_list = list(codes)
            for c in code_list:
                if not isinstance(c, str):
                    raise TypeError(f"codes must be code names (strings); got {c!r}")
        code_list = sorted(set(code_list))
        if not isinstance(decided_by, str) or not decided_by.strip():
            raise ValueError("decided_by must name the person who decides, e.g. decided_by='supervisor'")
        for label, text in (("reason", reason), ("proposal", proposal)):
            if text is not None and not isinstance(text, str):
                raise TypeError(f"{label} must be text or None; got {type(text).__name__}")
        try:
            with self._write() as conn, conn.begin():
                rnd = self._round(conn, round)
                if rnd is None:
                    raise TypeError("adjudicate needs round= (the round's name or id)")
                if conn.execute(sa.select(T.units.c.unit_id).where(T.units.c.unit_id == unit_id)).first() is None:
                    raise UnknownUnitError(self._unknown_unit_message(unit_id))
                a = T.round_assignments.c
                has_assignments = conn.execute(
                    sa.select(sa.literal(1)).where(a.round_id == rnd["round_id"]).limit(1)
                ).first()
                if has_assignments and not conn.execute(
                    sa.select(sa.literal(1)).where(a.round_id == rnd["round_id"], a.unit_id == unit_id).limit(1)
                ).first():
                    raise ValueError(
                        f"unit {unit_id!r} is not in round {rnd['name']!r}; adjudicate the units of "
                        f"project.round_disagreements({rnd['name']!r})"
                    )
                version = rnd["codebook_version"] or conn.execute(
                    sa.select(sa.func.max(T.codebook_versions.c.version))
                ).scalar()
                if version is None:
                    raise WorkbenchError("this project has no codebook; add one with project.add_codebook(...)")
                self._check_decision(code_list, int(version))
                adj_id = conn.execute(
                    T.adjudications.insert()
                    .values(
                        round_id=rnd["round_id"],
                        unit_id=unit_id,
                        codes=json.dumps(code_list),
                        decided_by=decided_by.strip(),
                        reason=reason,
                        proposal=proposal if proposal and proposal.strip() else None,
                        codebook_version=int(version),
                        at=_now(),
                    )
                    .returning(T.adjudications.c.adjudication_id)
                ).scalar_one()
                self._audit(
                    conn,
                    "adjudicate",
                    {"adjudication_id": adj_id, "round": rnd["name"], "unit_id": unit_id, "codes": code_list,
                     "has_proposal": bool(proposal and proposal.strip())},
                    decided_by.strip(),
                )
                return int(adj_id)
        except sa.exc.DBAPIError as exc:
            raise StoreError(
                f"the store refused the decision on unit {unit_id!r}: {exc.orig}. Nothing was recorded; try again."
            ) from exc

    def _check_decision(self, codes: list[str], version: int) -> None:
        cb = self.codebook(version)
        unknown = [c for c in codes if c not in cb]
        if unknown:
            raise UnknownCodeError(
                f"code(s) {unknown} are not in codebook version {version} ({cb.name}), the round's version; "
                f"valid codes: {cb.names}"
            )
        categories = [c for c in codes if not getattr(cb[c], "codable", True)]
        if categories:
            raise ValueError(f"{categories} are categories (isCodable=false), not codes; decide on one of their codes")
        by_group: dict[str, list[str]] = {}
        for c in codes:
            g = cb[c].group
            if g:
                by_group.setdefault(g, []).append(c)
        for g, members in by_group.items():
            try:
                exclusive = cb.group(g).exclusive
            except KeyError:
                exclusive = False
            if exclusive and len(members) > 1:
                raise ValueError(f"codes {members} belong to the exclusive group {g!r}: decide on one of them")

    _DECISION_COLUMNS = [
        "adjudication_id", "unit_id", "round", "codes", "n_codes", "decided_by", "reason", "proposal",
        "codebook_version", "at",
    ]

    def decisions(self, round: str | int | None = None, *, latest: bool = True) -> pd.DataFrame:
        """Adjudication decisions, one row per decision, codes comma-joined.

        Parameters
        ----------
        round : str or int, optional
            One round's decisions; None: every round's.
        latest : bool
            Only the current decisions: the latest per unit and round when ``round`` is
            given; with ``round=None`` the latest per unit across rounds (the gold set).
            ``False``: every decision ever recorded, superseded ones included.

        Returns
        -------
        pandas.DataFrame
            ``adjudication_id, unit_id, round, codes`` (``""`` when no code applies),
            ``n_codes, decided_by, reason, proposal, codebook_version, at``; oldest first.
        """
        j, r = T.adjudications.c, T.rounds.c
        q = (
            sa.select(j.adjudication_id, j.unit_id, r.name.label("round"), j.codes, j.decided_by, j.reason,
                      j.proposal, j.codebook_version, j.at)
            .select_from(T.adjudications.outerjoin(T.rounds, r.round_id == j.round_id))
            .order_by(j.adjudication_id)
        )
        with self.engine.connect() as conn:
            if round is not None:
                rnd = self._round(conn, round)
                q = q.where(j.round_id == rnd["round_id"])
            df = pd.read_sql(q, conn)
        if latest and len(df):
            keys = ["unit_id"] if round is None else ["unit_id", "round"]
            df = df.groupby(keys, sort=False, dropna=False).tail(1).sort_values("adjudication_id")
        lists = [json.loads(c) for c in df["codes"]]
        df["codes"] = [", ".join(x) for x in lists]
        df["n_codes"] = [len(x) for x in lists]
        df["at"] = _utc(df["at"])
        df["codebook_version"] = df["codebook_version"].astype("Int64")
        df["adjudication_id"] = df["adjudication_id"].astype("int64")
        df["n_codes"] = df["n_codes"].astype("int64")
        return _none_for_nan(df[self._DECISION_COLUMNS].reset_index(drop=True), ["reason", "proposal"])

    def gold(self, round: str | int | None = None) -> pd.DataFrame:
        """The gold set: the current adjudicated codes, long.

        With a round, that round's current decisions; with ``round=None``, the latest
        decision per unit across rounds. One row per decided code; a decision that no
        code applies is one row whose ``code`` is None, so every decision has at least
        one row and ``gold(...)["adjudication_id"].nunique()`` counts the decisions.

        Returns
        -------
        pandas.DataFrame
            ``unit_id, code, round, decided_by, reason, at, codebook_version,
            adjudication_id``.
        """
        dec = self.decisions(round)
        cols = ["unit_id", "code", "round", "decided_by", "reason", "at", "codebook_version", "adjudication_id"]
        rows = []
        for rec in dec.to_dict("records"):
            codes = [c for c in rec["codes"].split(", ") if c] or [None]
            rows.extend({**rec, "code": c} for c in codes)
        df = pd.DataFrame.from_records(rows, columns=cols)
        if not len(df):
            df = dec.assign(code=pd.Series(dtype=object))[cols]
        df["codebook_version"] = df["codebook_version"].astype("Int64")
        df["at"] = _utc(df["at"])
        return _none_for_nan(df.reset_index(drop=True), ["code", "reason"])

    def proposals(self, round: str | int | None = None) -> pd.DataFrame:
        """Discussion notes attached to proposed codebook changes, oldest first.

        Every decision with a proposal (superseded ones included: the notes stand).
        Columns: ``adjudication_id, unit_id, round, decided_by, proposal, reason,
        codebook_version`` (the version the round coded with), ``newer_version`` (the
        newest codebook version if it is newer than that, else missing: a sign that the
        proposal may have been taken up) and ``at``.
        """
        df = self.decisions(round, latest=False)
        df = df[df["proposal"].notna() & (df["proposal"].astype(str).str.strip() != "")]
        newest = self.codebook_version()
        newer = [newest if newest is not None and pd.notna(v) and newest > v else None for v in df["codebook_version"]]
        df = df.assign(newer_version=pd.array(newer, dtype="Int64"))
        cols = ["adjudication_id", "unit_id", "round", "decided_by", "proposal", "reason", "codebook_version",
                "newer_version", "at"]
        return df[cols].reset_index(drop=True)
