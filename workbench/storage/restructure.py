"""Codebook restructuring (rename, merge, split, retire) and the recode queue.

Each operation stores a new codebook version and migrates current codings through new
coding events; history is never rewritten. One transaction per operation: either the
new version and every migration event are recorded, or nothing is.

Migration events carry ``origin`` (``rename:old->new``, ``merge:a->b``, ``split:x``,
``retire:x`` or ``retire:x->y``; ``<op>:v<version>`` when the names do not fit the
column) and the new codebook version, for every coder and round that had the code.
Codings of a split code, of a code retired without replacement, and codings that a
merge would put twice into an exclusive group are *marked for recoding*: they are
listed by :meth:`Restructure.recode_queue` until the coder codes the unit again.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..codebook import Code, Codebook
from ..errors import UnknownCodeError
from ..sentinels import ALL_ROUNDS
from . import tables as T
from ._kernel import Kernel, RoundSelection, now, round_selection, utc
from .codebooks import Codebooks
from .codings import Codings
from .queue import Queue

__all__ = ["Restructure", "RESTRUCTURE_ACTIONS"]

#: ``audit_log.action`` values written by the restructuring operations.
RESTRUCTURE_ACTIONS = ("rename_code", "merge_codes", "split_code", "retire_code")

_ORIGIN_WIDTH = 255  # coding_events.origin is String(255) since migration 0003


def _origin(kind: str, detail: str, version: int) -> str:
    text = f"{kind}:{detail}"
    return text if len(text) <= _ORIGIN_WIDTH else f"{kind}:v{version}"


def _new_code(spec: str | Code | Mapping[str, Any], base: Code, *, role: str) -> Code:
    """A code for a merge or split target, from a name, a Code or a mapping of fields."""
    if isinstance(spec, Code):
        return spec
    if isinstance(spec, str):
        return Code(
            name=spec,
            label=spec.replace("-", " ").replace("_", " ").capitalize(),
            definition=f"({role} {base.label or base.name}) {base.definition}".strip(),
            group=base.group,
            parent=base.parent,
            color=base.color,
        )
    if isinstance(spec, Mapping):
        fields = {f.name for f in dataclasses.fields(Code)}
        unknown = [k for k in spec if k not in fields]
        if unknown:
            raise ValueError(f"unknown code field(s) {unknown}; valid fields: {sorted(fields)}")
        if "name" not in spec:
            raise ValueError(f"a new code needs a name, got {dict(spec)!r}")
        values: dict[str, Any] = {
            "label": str(spec["name"]).replace("-", " ").capitalize(),
            "definition": f"({role} {base.label or base.name}) {base.definition}".strip(),
            "group": base.group,
            "parent": base.parent,
            "color": base.color,
        }
        values.update(spec)
        for key in ("examples", "near_misses", "patterns"):
            if key in values and not isinstance(values[key], tuple):
                values[key] = tuple(values[key])
        return Code(**values)
    raise TypeError(f"a new code is a name, a workbench.Code or a mapping of its fields, not {type(spec).__name__}")


class Restructure:
    """Evolve the codebook through new versions, migrating current codings by new events.

    Parameters
    ----------
    kernel : Kernel
    codebooks : Codebooks
    codings : Codings
        The event log and derived state the migrations write.
    queue : Queue
        Codings marked for recoding put their unit back in the coder's queue.

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "ops.db"))
    >>> cb = wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "validating", "label": "Validating", "definition": "Believes the account."},
    ...     {"name": "not-all", "label": "Not all of us", "definition": "Recentres the profession."}]})
    >>> project.add_codebook(cb)
    1
    >>> project.add_units(wb.make_units([{"unit_id": "u1", "thread_id": "t", "text": "Not all nurses!"}]))
    1
    >>> _ = project.add_coder("alice"); _ = project.code("u1", "not-all", coder="alice")
    >>> project.rename_code("not-all", "defensive", note="clearer name")
    2
    >>> project.codings()[["unit_id", "code", "codebook_version"]].to_dict("records")
    [{'unit_id': 'u1', 'code': 'defensive', 'codebook_version': 2}]
    >>> project.history()[["code", "action", "origin"]].tail(2).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'code': 'not-all', 'action': 'remove', 'origin': 'rename:not-all->defensive'},
     {'code': 'defensive', 'action': 'apply', 'origin': 'rename:not-all->defensive'}]
    >>> project.close()
    """

    def __init__(self, kernel: Kernel, codebooks: Codebooks, codings: Codings, queue: Queue):
        self.kernel = kernel
        self.codebooks = codebooks
        self.codings = codings
        self.queue = queue

    # --- public operations ----------------------------------------------------------------
    def rename_code(
        self,
        old: str,
        new: str,
        *,
        label: str | None = None,
        note: str | None = None,
        actor: str | None = None,
    ) -> int:
        """Rename a code: a new codebook version in which ``old`` is called ``new``.

        The code keeps its GUID (so REFI-QDA exports see the same code), its children
        point to the new name, and every current coding of ``old`` is moved to ``new``
        by a ``remove`` and an ``apply`` event (origin ``rename:old->new``).

        Parameters
        ----------
        old : str
            The code's name now.
        new : str
            Its new name (a slug not yet in the codebook).
        label : str, optional
            A new label too.
        note : str, optional
            The new version's note (default ``"rename old -> new"``).
        actor : str, optional
            Who restructured, for the version and the audit log.

        Returns
        -------
        int
            The new codebook version.
        """
        cb = self._current_codebook().with_guids()
        self._require(cb, [old])
        if new in cb:
            raise ValueError(f"code {new!r} already exists in codebook {cb.name!r}; use merge_codes to combine codes")
        changes: dict[str, Any] = {"name": new}
        if label is not None:
            changes["label"] = label
        codes = []
        for c in cb.codes:
            if c.name == old:
                c = dataclasses.replace(c, **changes)
            if c.parent == old:
                c = dataclasses.replace(c, parent=new)
            codes.append(c)
        new_cb = cb.replace(codes=tuple(codes))
        return self._restructure(
            "rename_code",
            new_cb,
            {old: new},
            kind="rename",
            detail={"old": old, "new": new},
            note=note or f"rename {old} -> {new}",
            actor=actor,
        )

    def merge_codes(
        self,
        sources: Sequence[str],
        into: str | Code | Mapping[str, Any],
        *,
        note: str | None = None,
        actor: str | None = None,
    ) -> int:
        """Merge codes into one: a new version without ``sources`` (except ``into``).

        ``into`` is one of the sources (it stays, the others fold into it) or a new code
        (a name, a :class:`~workbench.Code` or a mapping of its fields; by default it
        takes the group, parent and colour of the first source). Current codings of
        every source become codings of ``into`` (origin ``merge:a->into``); a unit
        that had several sources gets ``into`` once. If the merge would put two codes of
        an exclusive group on one unit, that coding is marked for recoding.

        Parameters
        ----------
        sources : list of str
            The codes merged.
        into : str, Code or mapping
            The code they become.
        note, actor : str, optional
            The new version's note; who restructured.

        Returns
        -------
        int
            The new codebook version.
        """
        if isinstance(sources, str):
            sources = [sources]
        sources = list(dict.fromkeys(sources))
        if len(sources) < 1:
            raise ValueError("merge_codes needs at least one source code, e.g. merge_codes(['a', 'b'], into='a')")
        cb = self._current_codebook().with_guids()
        self._require(cb, sources)
        into_name = into if isinstance(into, str) else (into.name if isinstance(into, Code) else into.get("name"))
        if not into_name:
            raise ValueError("merge_codes needs the name of the code to merge into (into=...)")
        if into_name in cb and into_name not in sources:
            sources_plus = sources + [into_name]
        else:
            sources_plus = sources
        if into_name in cb:
            target = cb[into_name]
            if not isinstance(into, str):
                target = _new_code(into, target, role="merged from")
                target = dataclasses.replace(target, guid=target.guid or cb[into_name].guid)
        else:
            target = _new_code(into, cb[sources[0]], role="merged from")
            if isinstance(into, str):
                target = dataclasses.replace(
                    target,
                    definition="; ".join(f"{cb[s].label}: {cb[s].definition}" for s in sources),
                )
        folded = [s for s in sources_plus if s != into_name]
        if not folded:
            raise ValueError(f"nothing to merge: give codes other than {into_name!r} as sources")
        codes: list[Code] = []
        placed = False
        for c in cb.codes:
            if c.name in folded:
                if not placed and into_name not in cb:
                    codes.append(target)
                    placed = True
                continue
            if c.name == into_name:
                c = target
            codes.append(c)

        def reparent(c: Code) -> Code:
            parent, seen = c.parent, set()
            while parent is not None and parent in folded and parent not in seen:  # never under a folded code
                seen.add(parent)
                parent = into_name if c.name != into_name else cb[parent].parent
            return c if parent == c.parent else dataclasses.replace(c, parent=parent)

        codes = [reparent(c) for c in codes]
        new_cb = cb.replace(codes=tuple(codes))
        return self._restructure(
            "merge_codes",
            new_cb,
            {s: into_name for s in folded},
            kind="merge",
            detail={"sources": folded, "into": into_name},
            note=note or f"merge {', '.join(folded)} -> {into_name}",
            actor=actor,
        )

    def split_code(
        self,
        code: str,
        into: Sequence[str | Code | Mapping[str, Any]],
        *,
        note: str | None = None,
        actor: str | None = None,
    ) -> int:
        """Split a code into two or more new codes; its codings are marked for recoding.

        ``into`` lists the new codes (names, :class:`~workbench.Code` objects or mappings
        of their fields); by default each takes the group, parent and colour of
        ``code``, and the first takes its shortcut. Every current coding of ``code`` is
        removed (origin ``split:code``) and listed by :meth:`recode_queue` until the
        coder codes the unit again, so no coding is lost from view.

        Parameters
        ----------
        code : str
            The code split.
        into : list of str, Code or mapping
            Two or more new codes.
        note, actor : str, optional
            The new version's note; who restructured.

        Returns
        -------
        int
            The new codebook version.
        """
        if isinstance(into, (str, Code, Mapping)) or len(into) < 2:
            raise ValueError("split_code needs two or more new codes, e.g. into=['defensive-self', 'defensive-profession']")
        cb = self._current_codebook().with_guids()
        self._require(cb, [code])
        old = cb[code]
        new_codes = [_new_code(spec, old, role="split from") for spec in into]
        names = [c.name for c in new_codes]
        if code in names:
            raise ValueError(
                f"split_code({code!r}) must create new names; to keep {code!r}, rename it first "
                "or split into new codes"
            )
        clash = [n for n in names if n in cb]
        if clash:
            raise ValueError(f"code(s) {clash} already exist in codebook {cb.name!r}; choose new names")
        if old.shortcut and all(c.shortcut is None for c in new_codes):
            new_codes[0] = dataclasses.replace(new_codes[0], shortcut=old.shortcut)
        codes: list[Code] = []
        for c in cb.codes:
            if c.name == code:
                codes.extend(new_codes)
                continue
            if c.parent == code:
                c = dataclasses.replace(c, parent=old.parent)
            codes.append(c)
        new_cb = cb.replace(codes=tuple(codes))
        return self._restructure(
            "split_code",
            new_cb,
            {code: None},
            kind="split",
            detail={"code": code, "into": names},
            note=note or f"split {code} -> {', '.join(names)}",
            actor=actor,
            candidates={code: names},
        )

    def retire_code(
        self,
        code: str,
        *,
        replacement: str | None = None,
        note: str | None = None,
        actor: str | None = None,
    ) -> int:
        """Retire a code: a new version without it.

        With ``replacement`` (an existing code) its current codings move there, like a
        merge (origin ``retire:code->replacement``); without, they are removed (origin
        ``retire:code``) and marked for recoding. Its children move up to its parent.

        Parameters
        ----------
        code : str
            The code retired.
        replacement : str, optional
            An existing code that takes its codings.
        note, actor : str, optional
            The new version's note; who restructured.

        Returns
        -------
        int
            The new codebook version.
        """
        cb = self._current_codebook().with_guids()
        self._require(cb, [code])
        if replacement is not None:
            self._require(cb, [replacement])
            if replacement == code:
                raise ValueError("a code cannot be retired in favour of itself")
        old = cb[code]
        codes = [
            dataclasses.replace(c, parent=old.parent) if c.parent == code else c for c in cb.codes if c.name != code
        ]
        if not codes:
            raise ValueError(f"{code!r} is the last code of the codebook; a codebook needs at least one code")
        new_cb = cb.replace(codes=tuple(codes))
        return self._restructure(
            "retire_code",
            new_cb,
            {code: replacement},
            kind="retire",
            detail={"code": code, "replacement": replacement},
            note=note or (f"retire {code}" + (f" -> {replacement}" if replacement else "")),
            actor=actor,
            candidates={code: [replacement] if replacement else [c.name for c in codes if c.codable]},
        )

    def recode_queue(
        self,
        *,
        coder: str | Sequence[str] | None = None,
        round: RoundSelection = ALL_ROUNDS,
        include_done: bool = False,
    ) -> pd.DataFrame:
        """Codings marked for recoding by a split, a retirement or an exclusive-group merge.

        An entry is done once the coder has coded the unit again (any new coding of that
        unit by that coder in that round after the restructuring).

        Parameters
        ----------
        coder : str or list of str, optional
            Only these coders' entries.
        round : str, int, None, NO_ROUND or ALL_ROUNDS
            ALL_ROUNDS (default): every entry; NO_ROUND or None: codings outside rounds.
        include_done : bool
            Also the entries already recoded.

        Returns
        -------
        DataFrame
            ``unit_id, coder, round, code, candidates, reason, codebook_version,
            event_id, at, done``: one row per marked coding, oldest first; ``code`` is the
            code the unit had, ``candidates`` the codes that may replace it (a list).
        """
        cols = ["unit_id", "coder", "round", "code", "candidates", "reason", "codebook_version", "event_id", "at", "done"]
        round = round_selection(round)
        with self.kernel.reading("read the recode queue") as conn:
            rows = conn.execute(
                sa.select(T.audit_log.c.detail)
                .where(T.audit_log.c.action.in_(RESTRUCTURE_ACTIONS))
                .order_by(T.audit_log.c.audit_id)
            ).scalars()
            marks: dict[int, dict[str, Any]] = {}
            for raw in rows:
                detail = json.loads(raw or "{}")
                for m in detail.get("recode", []):
                    marks[int(m["event_id"])] = {
                        "candidates": list(m.get("candidates") or []),
                        "reason": m.get("reason", detail.get("op")),
                    }
            if not marks:
                return pd.DataFrame(columns=cols)
            e, c, r = T.coding_events.c, T.coders.c, T.rounds.c
            later = sa.alias(T.coding_events, "later")
            redone = (
                sa.select(sa.literal(1))
                .where(
                    later.c.unit_id == e.unit_id,
                    later.c.coder_id == e.coder_id,
                    sa.or_(
                        later.c.round_id == e.round_id,
                        sa.and_(later.c.round_id.is_(None), e.round_id.is_(None)),
                    ),
                    later.c.event_id > e.event_id,
                    later.c.action == "apply",
                    later.c.origin.is_(None),
                )
                .exists()
            )
            q = (
                sa.select(
                    e.event_id,
                    e.unit_id,
                    c.name.label("coder"),
                    r.name.label("round"),
                    e.code,
                    e.codebook_version,
                    e.at,
                    redone.label("done"),
                )
                .select_from(T.coding_events.join(T.coders, c.coder_id == e.coder_id).outerjoin(T.rounds, r.round_id == e.round_id))
                .order_by(e.event_id)
            )
            ids = sorted(marks)
            frames = []
            for i in range(0, len(ids), 900):
                frames.append(pd.read_sql(self.codings.filter(q.where(e.event_id.in_(ids[i : i + 900])), e, coder, round), conn))
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
        if df.empty:
            return pd.DataFrame(columns=cols)
        df["done"] = df["done"].astype(bool)
        df["candidates"] = [marks[int(i)]["candidates"] for i in df["event_id"]]
        df["reason"] = [marks[int(i)]["reason"] for i in df["event_id"]]
        df["at"] = utc(df["at"])
        df["codebook_version"] = df["codebook_version"].astype("Int64")
        if not include_done:
            df = df[~df["done"]]
        return df[cols].reset_index(drop=True)

    def code_lineage(self) -> pd.DataFrame:
        """Every restructuring of the codebook, oldest first.

        Returns
        -------
        pandas.DataFrame
            ``version, action, note, detail`` (a dict), ``migrated`` (codings moved),
            ``at, actor``.
        """
        df = self.kernel.frame(
            sa.select(T.audit_log.c.at, T.audit_log.c.actor, T.audit_log.c.action, T.audit_log.c.detail)
            .where(T.audit_log.c.action.in_(RESTRUCTURE_ACTIONS))
            .order_by(T.audit_log.c.audit_id),
            "read the codebook's lineage",
        )
        details = [json.loads(d or "{}") for d in df["detail"]]
        out = pd.DataFrame(
            {
                "version": pd.array([d.get("version") for d in details], dtype="Int64"),
                "action": df["action"],
                "note": [d.get("note") for d in details],
                "detail": [{k: v for k, v in d.items() if k not in ("recode", "version", "note", "op")} for d in details],
                "migrated": [int(d.get("migrated", 0)) for d in details],
                "at": utc(df["at"]),
                "actor": df["actor"],
            }
        )
        return out

    # --- internals ---------------------------------------------------------------------------
    def _current_codebook(self) -> Codebook:
        return self.codebooks.codebook()

    @staticmethod
    def _require(cb: Codebook, names: Iterable[str]) -> None:
        for n in names:
            if not isinstance(n, str):
                raise TypeError(f"code names are strings, got {n!r}")
            if n not in cb:
                raise UnknownCodeError(f"code {n!r} is not in the current codebook ({cb.name}); codes: {cb.names}")

    def _restructure(
        self,
        action: str,
        new_cb: Codebook,
        mapping: dict[str, str | None],
        *,
        kind: str,
        detail: dict[str, Any],
        note: str,
        actor: str | None,
        candidates: dict[str, list[str]] | None = None,
    ) -> int:
        """Store ``new_cb`` as a new version and migrate current codings; one transaction."""
        cc, e = T.current_codings.c, T.coding_events.c
        doing = f"{action.replace('_', ' ')} ({detail})"
        with self.kernel.transaction(doing, after="Nothing was changed.") as conn:
            version = self.codebooks.store(conn, new_cb, note=note, author=actor)
            rows = conn.execute(
                sa.select(cc.coder_id, cc.round_key, cc.unit_id, cc.code, cc.span_key, e.round_id, e.memo,
                          e.span_start, e.span_end, T.units.c.seq)
                .select_from(
                    T.current_codings.join(T.coding_events, e.event_id == cc.event_id).join(
                        T.units, T.units.c.unit_id == cc.unit_id
                    )
                )
                .where(cc.code.in_(list(mapping)))
                .order_by(cc.event_id)
            ).mappings().all()
            at = now()
            recode: list[dict[str, Any]] = []
            migrated = 0

            def event(row: Any, code: str, act: str, origin: str, memo: str | None) -> int:
                event_id = self.codings.write_event(
                    conn,
                    unit_id=row["unit_id"],
                    code=code,
                    action=act,
                    coder_id=row["coder_id"],
                    round_id=row["round_id"],
                    codebook_version=version,
                    at=at,
                    memo=memo,
                    span_start=row["span_start"],
                    span_end=row["span_end"],
                    origin=origin,
                )
                self.codings.apply_state(
                    conn, row["coder_id"], row["round_key"], row["unit_id"], code, row["span_key"], act, event_id
                )
                return event_id

            for row in rows:
                source = row["code"]
                target = mapping[source]
                origin = _origin(kind, f"{source}->{target}" if target else source, version)
                removed_id = event(row, source, "remove", origin, None)
                migrated += 1
                if target is None:
                    wanted = list((candidates or {}).get(source, []))
                    recode.append({"event_id": removed_id, "candidates": wanted, "reason": kind})
                    self.queue.advance(
                        conn, row["coder_id"], row["round_key"], row["round_id"], row["unit_id"], row["seq"], "remove"
                    )
                    continue
                present = self.codings.present(
                    conn, row["coder_id"], row["round_key"], row["unit_id"], [target], row["span_key"]
                )
                if present:
                    continue  # the unit already has the target code: one coding, not two
                conflict = self._exclusive_conflict(conn, new_cb, row, target)
                applied_id = event(row, target, "apply", origin, row["memo"])
                if conflict:
                    reason = f"exclusive group {new_cb[target].group}"
                    recode.append({"event_id": applied_id, "candidates": [target, *conflict], "reason": reason})
            summary = {"op": kind, "version": version, "note": note, "migrated": migrated, "recode": recode}
            self.kernel.audit(conn, action, {**detail, **summary}, actor)
        self.codebooks.remember(version, new_cb)
        return version

    def _exclusive_conflict(self, conn: sa.Connection, cb: Codebook, row: Any, target: str) -> list[str]:
        """Other codes of ``target``'s exclusive group already on the unit (same coder, round, span)."""
        group = cb[target].group
        if not group:
            return []
        try:
            exclusive = cb.group(group).exclusive
        except KeyError:
            return []
        if not exclusive:
            return []
        siblings = [c.name for c in cb.codes if c.group == group and c.name != target]
        if not siblings:
            return []
        return self.codings.present(conn, row["coder_id"], row["round_key"], row["unit_id"], siblings, row["span_key"])
