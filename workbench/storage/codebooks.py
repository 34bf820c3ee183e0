"""Codebook versions: immutable, numbered 1, 2, ..., stored as JSON."""

from __future__ import annotations

import hashlib
import json
import logging

import pandas as pd
import sqlalchemy as sa

from ..codebook import Codebook, CodebookDiff
from ..errors import CodebookError, WorkbenchError
from . import tables as T
from ._kernel import Kernel, now

__all__ = ["Codebooks"]

log = logging.getLogger(__name__)

_NO_CODEBOOK = (
    "this project has no codebook yet; add one with "
    "project.add_codebook(wb.Codebook.from_yaml('codebooks/response-types.yaml'))"
)


class Codebooks:
    """Store and read codebook versions (read versions are cached: they never change).

    Parameters
    ----------
    kernel : Kernel
        The open project's kernel.
    """

    def __init__(self, kernel: Kernel):
        self.kernel = kernel
        self._cache: dict[int, Codebook] = {}

    def add_codebook(self, codebook: Codebook, *, note: str | None = None, author: str | None = None) -> int:
        """Store an immutable new codebook version, unless it is the newest version already.

        A codebook identical to the newest stored version (the same codes, groups, definitions
        and examples; the note does not count) stores nothing: its version number is returned
        and a log line (logger ``workbench.storage.codebooks``, level INFO) says so. Running a
        notebook's first cell twice therefore leaves one version.

        Parameters
        ----------
        codebook : Codebook
            Validated before it is stored.
        note : str, optional
            What changed, e.g. ``"first draft"``.
        author : str, optional

        Returns
        -------
        int
            The new version's number (1, 2, ...), or the newest version's number when
            ``codebook`` is identical to it.
        """
        if not isinstance(codebook, Codebook):
            raise TypeError("add_codebook takes a workbench.Codebook (e.g. Codebook.from_yaml(path))")
        codebook.validate()
        checksum = _checksum(codebook)
        with self.kernel.transaction(f"store codebook {codebook.name!r}") as conn:
            newest = self.kernel.newest_version(conn)
            if newest is not None and self._checksum_of(conn, newest) == checksum:
                log.info("codebook %r is identical to version %d: nothing stored", codebook.name, newest)
                return newest
            version = self.store(conn, codebook, note=note, author=author)
            self.kernel.audit(conn, "add_codebook", {"version": version, "name": codebook.name, "note": note}, author)
        return version

    @staticmethod
    def _checksum_of(conn: sa.Connection, version: int) -> str | None:
        """The stored checksum of a version, computed again from its body (older rows may lack it)."""
        row = conn.execute(
            sa.select(T.codebook_versions.c.body).where(T.codebook_versions.c.version == version)
        ).first()
        return None if row is None else hashlib.sha256(str(row[0]).encode()).hexdigest()

    def store(self, conn: sa.Connection, codebook: Codebook, *, note: str | None, author: str | None) -> int:
        """Validate ``codebook`` and insert it as the next version, inside the caller's transaction.

        Parameters
        ----------
        conn : sqlalchemy.Connection
        codebook : Codebook
        note, author : str or None

        Returns
        -------
        int
            The new version's number.
        """
        codebook.validate()
        body = _body(codebook)
        version = (self.kernel.newest_version(conn) or 0) + 1
        conn.execute(
            T.codebook_versions.insert().values(
                version=version,
                name=codebook.name,
                body=body,
                note=note,
                checksum=hashlib.sha256(body.encode()).hexdigest(),
                created_at=now(),
                created_by=author,
            )
        )
        return version

    def remember(self, version: int, codebook: Codebook) -> None:
        """Cache a version just stored (after its transaction committed).

        Parameters
        ----------
        version : int
        codebook : Codebook
        """
        self._cache[version] = codebook

    def codebook(self, version: int | None = None) -> Codebook:
        """The current codebook, or the given version.

        Parameters
        ----------
        version : int, optional

        Returns
        -------
        Codebook

        Raises
        ------
        WorkbenchError
            No codebook yet, or no such version.
        """
        if version is not None and version in self._cache:
            return self._cache[version]
        with self.kernel.reading("read a codebook version") as conn:
            if version is None:
                version = self.kernel.newest_version(conn)
                if version is None:
                    raise WorkbenchError(_NO_CODEBOOK)
                if version in self._cache:
                    return self._cache[version]
            body = conn.execute(
                sa.select(T.codebook_versions.c.body).where(T.codebook_versions.c.version == version)
            ).scalar()
        if body is None:
            raise WorkbenchError(f"codebook version {version} does not exist; see project.codebook_versions()")
        cb = Codebook.from_dict(json.loads(body))
        self._cache[version] = cb
        return cb

    def codebook_version(self) -> int | None:
        """The number of the newest codebook version.

        Returns
        -------
        int or None
            None before the first.
        """
        with self.kernel.reading("read the codebook version") as conn:
            return self.kernel.newest_version(conn)

    def codebook_versions(self) -> pd.DataFrame:
        """One row per stored codebook version, oldest first.

        Returns
        -------
        pandas.DataFrame
            ``version, name, note, created_at, created_by, checksum``.
        """
        c = T.codebook_versions.c
        q = sa.select(c.version, c.name, c.note, c.created_at, c.created_by, c.checksum).order_by(c.version)
        return self.kernel.frame(q, "list the codebook versions", times=("created_at",))

    def codebook_diff(self, old: int | None = None, new: int | None = None) -> CodebookDiff:
        """What changed between two stored codebook versions (default: the last two).

        Parameters
        ----------
        old, new : int, optional
            Version numbers; ``new`` defaults to the newest, ``old`` to the one before it.

        Returns
        -------
        CodebookDiff
        """
        latest = self.codebook_version()
        if latest is None:
            raise CodebookError("this project has no codebook yet; add one with project.add_codebook(...)")
        new = latest if new is None else new
        old = (new - 1 if new > 1 else new) if old is None else old
        return self.codebook(old).diff(self.codebook(new))

    def exclusive_groups(self, version: int | None) -> dict[str, list[str]] | None:
        """The exclusive groups of a version and their codes (None when there are none).

        Parameters
        ----------
        version : int or None
            None: the newest version (None also when the project has no codebook).

        Returns
        -------
        dict of str to list of str, or None
        """
        version = self.codebook_version() if version is None else version
        if version is None:
            return None
        cb = self.codebook(version)
        groups = {g.name: [c.name for c in cb.codes if c.group == g.name] for g in cb.groups if g.exclusive}
        return groups or None


def _body(codebook: Codebook) -> str:
    """The JSON stored for a codebook version (keys sorted: equal codebooks give equal bodies)."""
    return json.dumps(codebook.to_dict(), sort_keys=True, ensure_ascii=False)


def _checksum(codebook: Codebook) -> str:
    return hashlib.sha256(_body(codebook).encode()).hexdigest()
