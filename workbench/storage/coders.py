"""The project's coders.

Kept small on purpose: roles and permissions will live here too.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from . import tables as T
from ._kernel import Kernel, now

__all__ = ["Coders"]


class Coders:
    """Add and list coders.

    Parameters
    ----------
    kernel : Kernel
        The open project's kernel.
    """

    def __init__(self, kernel: Kernel):
        self.kernel = kernel

    def add_coder(self, name: str, *, role: str | None = None) -> str:
        """Add a coder (idempotent).

        Parameters
        ----------
        name : str
            Non-empty; surrounding spaces are dropped.
        role : str, optional

        Returns
        -------
        str
            The name as stored.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a coder needs a non-empty name, e.g. project.add_coder('alice')")
        name = name.strip()
        with self.kernel.transaction(f"add the coder {name!r}") as conn:
            exists = conn.execute(sa.select(T.coders.c.coder_id).where(T.coders.c.name == name)).scalar()
            if exists is None:
                conn.execute(T.coders.insert().values(name=name, role=role, created_at=now()))
                self.kernel.audit(conn, "add_coder", {"name": name, "role": role})
        return name

    def coders(self) -> pd.DataFrame:
        """The project's coders, in the order they were added.

        Returns
        -------
        pandas.DataFrame
            ``name, role, created_at``.
        """
        c = T.coders.c
        return self.kernel.frame(
            sa.select(c.name, c.role, c.created_at).order_by(c.coder_id), "list the coders", times=("created_at",)
        )
