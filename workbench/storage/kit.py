"""A coder's kit: a small project to code one round offline and merge back.

:meth:`Kit.kit` writes a new project holding only what one coder needs for one round:
the units of their assignment (codable) with the posts they reply to, up to the thread's
first post (for context, not codable), the round's pinned codebook version (same
number), the round (open) with only their assignment, their own codings, memos and
flags in the round so far (so they go on where they stopped), and the project's
settings (content warnings, break reminders, privacy state). No other coder's work, no
decisions, no other units. The kit records where it came from (the ``kit`` setting:
coder, round, the project's id), so that the coder app opens it in the round, and
:meth:`workbench.storage.merge.Merge.merge` knows its coder and its copies of this
project's events when it comes back.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import WorkbenchError
from . import tables as T
from ._kernel import Kernel, now
from .codebooks import Codebooks
from .engine import connect, database_url, display_url
from .merge import Merge
from .merge_source import KIT_SETTING, PROJECT_UID, project_uid, read_project, same_database

__all__ = ["Kit"]

_IN = 900


class Kit:
    """Make coders' kits (see the module docstring).

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> folder = tempfile.mkdtemp()
    >>> project = wb.open_project(os.path.join(folder, "main.db"))
    >>> project.add_codebook(wb.Codebook.from_dict({"name": "d", "codes": [
    ...     {"name": "a", "label": "A", "definition": "x"}]}))
    1
    >>> _ = project.add_units(wb.make_units([{"unit_id": "p", "thread_id": "t", "text": "post"}]
    ...     + [{"unit_id": f"r{i}", "thread_id": "t", "parent_id": "p", "text": f"reply {i}"} for i in range(4)]))
    >>> _ = project.add_coder("ann"); _ = project.add_coder("ben")
    >>> _ = project.new_round("pilot", units=["r0", "r1", "r2", "r3"], coders=["ann", "ben"], overlap=0.5, seed=1)
    >>> made = project.kit(os.path.join(folder, "ann.db"), coder="ann", round="pilot")
    >>> made["n_units"], made["n_context"]
    (3, 1)
    >>> kit = wb.open_project(made["path"])
    >>> kit.coders()["name"].tolist(), kit.round_units("pilot") == project.round_units("pilot", coder="ann")
    (['ann'], True)
    >>> _ = kit.code(kit.next_unit("ann", round="pilot"), "a", coder="ann", round="pilot")
    >>> kit.close()
    >>> project.merge(made["path"]).set_index("kind").loc["events", ["n_merged", "n_already"]].tolist()
    [1, 0]
    >>> project.close()

    Parameters
    ----------
    kernel : Kernel
    """

    def __init__(self, kernel: Kernel):
        self.kernel = kernel

    def kit(self, path: str | Path, *, coder: str, round: str | int, actor: str | None = None) -> dict[str, Any]:
        """Write a coder's kit: a new project to code one round offline, then merge back.

        Parameters
        ----------
        path : str or Path
            A new SQLite file (or the URL of an empty database) for the kit.
        coder : str
            The coder it is for.
        round : str or int
            The round (open) whose assignment they code.
        actor : str, optional
            Who made it, for the audit log of both projects.

        Returns
        -------
        dict
            ``path, coder, round, n_units`` (assigned, codable), ``n_context`` (posts
            replied to, not codable), ``codebook_version``, ``n_events`` (the coder's
            events in the round so far, copied).

        Raises
        ------
        ValueError
            The file exists, the round is closed, or the coder has no units in it.
        UnknownCoderError, UnknownRoundError
        """
        target = str(path)
        if "://" not in target and Path(target).exists():
            raise ValueError(f"{target} exists; a kit is written to a new file (choose another name or remove it)")
        if same_database(sa.engine.make_url(database_url(target)), self.kernel.engine.url):
            raise ValueError(f"{display_url(target)} is this project; write the kit to a new file")
        with self.kernel.reading(f"read round {round!r} of coder {coder!r}") as conn:
            rnd = self.kernel.one_round(conn, round, "kit")
            coder_id = self.kernel.coder_id(conn, coder)
            if rnd["status"] != "open":
                raise ValueError(f"round {rnd['name']!r} is {rnd['status']}; reopen it before making a kit for it")
            a = T.round_assignments.c
            assigned = list(conn.execute(sa.select(a.unit_id).where(a.round_id == rnd["round_id"],
                                                                    a.coder_id == coder_id).order_by(a.seq)).scalars())
            if not assigned:
                raise ValueError(f"coder {coder!r} has no units in round {rnd['name']!r}; see "
                                 f"project.round_units({rnd['name']!r}, coder={coder!r})")
            units, threads = self._units(conn, assigned)
            settings = {k: v for k, v in conn.execute(sa.select(T.project_info.c.key, T.project_info.c.value))
                        if k not in (PROJECT_UID, KIT_SETTING)}
            version = rnd["codebook_version"] or self.kernel.newest_version(conn)
            if version is None:
                raise WorkbenchError("this project has no codebook; add one before making kits")
            book = conn.execute(sa.select(T.codebook_versions)
                                .where(T.codebook_versions.c.version == version)).mappings().one()
        with self.kernel.transaction("read the project's id") as conn:
            origin = project_uid(conn)
        source = read_project(self.kernel.engine, self.kernel.name, coder=coder, round=rnd["name"],
                              unit_ids=[u["unit_id"] for u in units], versions=[int(version)], adjudications=False)
        spec = {"method": "kit", "coders": [coder], "n": len(assigned), "overlap": 1.0, "sample": None}
        source.rounds = [{**r, "status": "open", "sample": json.dumps(spec), "closed_at": None} for r in source.rounds]
        source.kit = None
        info = {"coder": coder, "round": rnd["name"], "made_from": origin,
                "made_at": now().isoformat(timespec="seconds"), "codebook_version": int(version)}
        created = "://" not in target
        engine = connect(target, create=True)
        try:
            kit = Kernel(engine, display_url(target))
            books = Codebooks(kit)
            merge = Merge(kit, books)
            with kit.transaction(f"write the kit {kit.name}", after="No kit was written.") as conn:
                if conn.execute(sa.select(sa.func.count()).select_from(T.units)).scalar():
                    raise ValueError(f"{kit.name} holds units already; a kit is written to a new, empty database")
                for key, value in settings.items():
                    conn.execute(T.project_info.insert().values(key=key, value=value))
                conn.execute(T.project_info.insert().values(key=KIT_SETTING, value=json.dumps(info)))
                conn.execute(T.threads.insert(), [{**t, "source_id": None} for t in threads])
                keep = set(assigned)
                rows = [{**u, "source_id": None, "codable": u["unit_id"] in keep} for u in units]
                for i in range(0, len(rows), 5000):
                    conn.execute(T.units.insert(), rows[i : i + 5000])
                conn.execute(T.codebook_versions.insert().values(
                    **{**dict(book), "note": f"pinned by round {rnd['name']!r} (kit for {coder})"}))
                report, _ = merge.merge_in(conn, source, actor=actor)
                kit.audit(conn, "kit", {**info, "n_units": len(assigned)}, actor)
            n_events = int(report.set_index("kind").loc["events", "n_merged"])
        except BaseException:
            engine.dispose()
            if created:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    with contextlib.suppress(OSError):
                        Path(target + suffix).unlink()
            raise
        engine.dispose()
        result = {"path": target, "coder": coder, "round": rnd["name"], "n_units": len(assigned),
                  "n_context": len(units) - len(assigned), "codebook_version": int(version), "n_events": n_events}
        with self.kernel.transaction("record the kit in the audit log") as conn:
            self.kernel.audit(conn, "kit", {k: v for k, v in result.items() if k != "path"}, actor)
        return result

    @staticmethod
    def _units(conn: sa.Connection, assigned: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The assigned units and the chains they reply to (rows in import order), and their threads."""
        u = T.units.c
        parents: dict[str, str | None] = {}
        frontier = list(assigned)
        while frontier:
            batch = [x for x in frontier if x not in parents]
            frontier = []
            for i in range(0, len(batch), _IN):
                for uid, parent in conn.execute(sa.select(u.unit_id, u.parent_id).where(u.unit_id.in_(batch[i : i + _IN]))):
                    parents[uid] = parent
                    if parent and parent not in parents:
                        frontier.append(parent)
        ids = list(parents)
        rows: list[dict[str, Any]] = []
        for i in range(0, len(ids), _IN):
            rows.extend(dict(r) for r in conn.execute(sa.select(T.units).where(u.unit_id.in_(ids[i : i + _IN]))).mappings())
        rows.sort(key=lambda r: r["seq"])
        thread_ids = sorted({r["thread_id"] for r in rows})
        t = T.threads.c
        threads = [dict(r) for r in conn.execute(sa.select(T.threads).where(t.thread_id.in_(thread_ids))).mappings()]
        return rows, threads
