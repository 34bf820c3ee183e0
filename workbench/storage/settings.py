"""Project settings (JSON values in ``project_info``) and the audit log."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from . import tables as T
from ._kernel import Kernel

__all__ = ["Settings"]


class Settings:
    """Settings such as ``privacy`` or ``content_warnings``, and the audit log.

    Parameters
    ----------
    kernel : Kernel
        The open project's kernel.
    """

    def __init__(self, kernel: Kernel):
        self.kernel = kernel

    def get_setting(self, key: str, default: Any = None) -> Any:
        """A project setting (a JSON value) such as ``privacy`` or ``content_warnings``.

        Parameters
        ----------
        key : str
        default : any

        Returns
        -------
        any
            The JSON value stored, or ``default`` when it was never set.
        """
        with self.kernel.reading(f"read the setting {key!r}") as conn:
            value = conn.execute(sa.select(T.project_info.c.value).where(T.project_info.c.key == key)).scalar()
        return default if value is None else json.loads(value)

    def set_setting(self, key: str, value: Any, *, actor: str | None = None) -> None:
        """Record a setting (JSON-serialisable), with an audit entry.

        Parameters
        ----------
        key : str
        value : any
            JSON-serialisable.
        actor : str, optional
            Who changed it, for the audit log.

        Returns
        -------
        None
        """
        body = json.dumps(value)
        with self.kernel.transaction(f"record the setting {key!r}") as conn:
            updated = conn.execute(
                T.project_info.update().where(T.project_info.c.key == key).values(value=body)
            ).rowcount
            if not updated:
                conn.execute(T.project_info.insert().values(key=key, value=body))
            self.kernel.audit(conn, "set_setting", {"key": key, "value": value}, actor)

    def audit_log(self) -> pd.DataFrame:
        """The audit log: one row per change to the project (imports, codebooks, rounds, ...).

        Returns
        -------
        pandas.DataFrame
            ``audit_id, at, actor, action, detail`` (detail as JSON text), oldest first.
        """
        return self.kernel.frame(
            sa.select(T.audit_log).order_by(T.audit_log.c.audit_id), "read the audit log", times=("at",)
        )
