"""The project's coders and their roles (``coder`` or ``supervisor``).

A coder's name follows the one naming rule of :mod:`workbench.identifiers`: NFC,
trimmed, bounded, no control, format or bidirectional characters, and not a look-alike
of a coder already in the project (``ALICE`` and ``аlice`` with a Cyrillic а are
alice). What each role may do is :mod:`~workbench.storage.access`'s. A coder's kind is
``human`` or ``model`` (a model coder's runs and codings: :mod:`~workbench.storage.models`).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..identifiers import new_name
from . import tables as T
from ._kernel import Kernel, now
from .access import Access, check_role, role_of

__all__ = ["Coders"]


class Coders:
    """Add and list coders; set their roles.

    Parameters
    ----------
    kernel : Kernel
        The open project's kernel.
    access : Access, optional
        To move a coder's database login between the groups of the roles.

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "c.db"))
    >>> project.add_coder("alice"), project.add_coder("sam", role="supervisor")
    ('alice', 'sam')
    >>> project.add_coder("Alice")
    Traceback (most recent call last):
    ...
    workbench.errors.IdentifierError: coder name 'Alice' is too like the existing coder 'alice' (names are compared ignoring case and look-alike characters); choose another name or use 'alice'
    >>> project.set_role("alice", "supervisor")
    >>> project.add_coder("model:logreg-tfidf@1a2b", kind="model")
    'model:logreg-tfidf@1a2b'
    >>> project.coders()[["name", "role", "kind"]].to_dict("records")[::2]
    [{'name': 'alice', 'role': 'supervisor', 'kind': 'human'}, {'name': 'model:logreg-tfidf@1a2b', 'role': 'coder', 'kind': 'model'}]
    >>> project.close()
    """

    def __init__(self, kernel: Kernel, access: Access | None = None):
        self.kernel = kernel
        self.access = access or Access(kernel)

    def add_coder(self, name: str, *, role: str | None = None, kind: str = "human") -> str:
        """Add a coder (idempotent).

        Parameters
        ----------
        name : str
            Checked by :func:`workbench.identifiers.new_name`: a name that only looks like
            an existing coder's (other case, look-alike letters) is refused.
        role : {"coder", "supervisor"}, optional
            The new coder's role (default ``coder``). For a coder already in the project it
            must be their role, or None: change it with :meth:`set_role`.
        kind : {"human", "model"}
            A model coder (``wb.assist``) is a ``coder``, never a supervisor; an existing
            coder's kind cannot change.

        Returns
        -------
        str
            The name as stored.

        Raises
        ------
        IdentifierError
            A name that breaks the naming rule or looks like another coder's.
        ValueError
            An unknown role, or another role than an existing coder's.
        """
        wanted = None if role is None else check_role(role)
        if kind not in ("human", "model"):
            raise ValueError(f"a coder's kind is 'human' or 'model', not {kind!r}")
        if kind == "model" and wanted == "supervisor":
            raise ValueError("a model coder is a coder, never a supervisor")
        c = T.coders.c
        shown = name.strip() if isinstance(name, str) else name
        with self.kernel.transaction(f"add the coder {shown!r}") as conn:
            rows = conn.execute(sa.select(c.name, c.role, c.kind)).all()
            existing = {r.name: r.role for r in rows}
            name = new_name(name, existing, what="coder")
            if name in existing:
                have = role_of(existing[name])
                was = next(r.kind for r in rows if r.name == name)
                if was != kind:
                    raise ValueError(f"{name!r} is a coder of kind {was!r}, not {kind!r}; choose another name")
                if wanted is not None and wanted != have:
                    raise ValueError(
                        f"{name!r} is already a {have}; change the role with project.set_role({name!r}, {wanted!r})"
                    )
                return name
            conn.execute(T.coders.insert().values(name=name, role=wanted or "coder", kind=kind, created_at=now()))
            detail = {"name": name, "role": wanted or "coder"} | ({"kind": kind} if kind == "model" else {})
            self.kernel.audit(conn, "add_coder", detail)
        return name

    def set_role(self, name: str, role: str) -> None:
        """Make a coder a ``coder`` or a ``supervisor`` (audited).

        On PostgreSQL a coder's database login moves to the group of the new role in the
        same transaction (which needs the right to grant roles: the project's owner).

        Parameters
        ----------
        name : str
            A coder of the project.
        role : {"coder", "supervisor"}

        Returns
        -------
        None
        """
        role = check_role(role)
        c = T.coders.c
        with self.kernel.transaction(f"set the role of coder {name!r}") as conn:
            cid = self.kernel.coder_id(conn, name)
            row = conn.execute(sa.select(c.role, c.db_role, c.kind).where(c.coder_id == cid)).one()
            if row.role == role:
                return
            if row.kind == "model":
                raise ValueError(f"{name!r} is a model coder: a coder, never a supervisor")
            conn.execute(T.coders.update().where(c.coder_id == cid).values(role=role))
            if row.db_role is not None and self.kernel.dialect == "postgresql":
                self.access.membership(conn, row.db_role, role)
            self.kernel.audit(conn, "set_role", {"name": name, "from": row.role, "to": role})

    def coders(self) -> pd.DataFrame:
        """The project's coders, in the order they were added.

        Returns
        -------
        pandas.DataFrame
            ``name, role, created_at, login, kind`` (the PostgreSQL login role, or None;
            ``human`` or ``model``).
        """
        c = T.coders.c
        return self.kernel.frame(
            sa.select(c.name, c.role, c.created_at, c.db_role.label("login"), c.kind).order_by(c.coder_id),
            "list the coders", times=("created_at",),
        )
