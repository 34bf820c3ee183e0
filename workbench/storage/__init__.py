"""One ``connect(url)`` for SQLite files and PostgreSQL servers, with Alembic migrations.

SQLite: one file, WAL journal, ``synchronous=FULL`` (a committed coding survives a
killed process and a power cut), foreign keys on, a 30 s busy timeout, and write
transactions that take the write lock up front (``BEGIN IMMEDIATE``) so that two
coders' processes queue rather than deadlock. A new database is created by running
every migration; an existing one is upgraded after a backup copy of the file is made;
a database stamped by a newer workbench is refused with :class:`SchemaVersionError`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..errors import SchemaVersionError, StoreError
from .tables import metadata

__all__ = ["connect", "database_url", "schema_revision", "head_revision", "metadata", "write"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(url_or_path: str | Path) -> str:
    """Normalise a path or URL: paths become ``sqlite:///``, ``postgresql://`` uses psycopg 3.

    Examples
    --------
    >>> database_url("data/project.db")
    'sqlite:///data/project.db'
    >>> database_url("postgresql://me@localhost/coding")
    'postgresql+psycopg://me@localhost/coding'
    """
    text = str(url_or_path)
    if "://" not in text:
        return f"sqlite:///{text}"
    if text.startswith("postgresql://") or text.startswith("postgres://"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def _alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of the workbench knows."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def schema_revision(engine: sa.Engine) -> str | None:
    """The revision stamped in a database (None for an empty one)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "isolation_level": None})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover - exercised by every test
            mode = "IMMEDIATE" if conn.get_execution_options().get("workbench_write") else ""
            conn.exec_driver_sql(f"BEGIN {mode}".strip())

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def write(engine: sa.Engine) -> sa.Connection:
    """A connection whose transactions take SQLite's write lock at BEGIN."""
    return engine.connect().execution_options(workbench_write=True)


def _backup_sqlite(path: Path, revision: str | None) -> Path:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{revision or 'none'}-{stamp}")
    src = sqlite3.connect(str(path))
    try:
        dst = sqlite3.connect(str(target))
        with dst:
            src.backup(dst)
        dst.close()
    finally:
        src.close()
    return target


def connect(url_or_path: str | Path, *, create: bool = True, backup: bool = True) -> sa.Engine:
    """Open (and create or upgrade) a project database.

    Parameters
    ----------
    url_or_path : str or Path
        A SQLite file path or a SQLAlchemy URL (``postgresql://user@host/db``).
    create : bool
        Create the SQLite file when it does not exist.
    backup : bool
        Copy a SQLite file to ``NAME.backup-REV-TIME`` before migrating it.

    Raises
    ------
    SchemaVersionError
        The database was stamped by a newer version of the workbench.
    StoreError
        The file does not exist and ``create`` is False, or the database cannot be reached.
    """
    url = database_url(url_or_path)
    sqlite_path: Path | None = None
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        sqlite_path = Path(url[len("sqlite:///") :])
        if not sqlite_path.exists():
            if not create:
                raise StoreError(f"no project database at {sqlite_path}; pass create=True to make one")
            if sqlite_path.parent and not sqlite_path.parent.exists():
                sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    engine = _make_engine(url)
    try:
        current = schema_revision(engine)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the project database {url_or_path}: {exc.orig}") from None
    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:  # alembic raises CommandError or ResolutionError
            engine.dispose()
            raise SchemaVersionError(
                f"the project database {url_or_path} has schema revision {current!r}, which this "
                f"version of the workbench does not know (its newest is {head!r}): it was made by a "
                "newer workbench. Upgrade the workbench (pip install -U workbench) to open it; "
                "nothing was changed."
            ) from None
    if current != head:
        if current is not None and sqlite_path is not None and backup:
            _backup_sqlite(sqlite_path, current)
        with write(engine) as conn:
            sqlite = engine.dialect.name == "sqlite"
            if sqlite:  # table rebuilds need foreign keys off (outside any transaction)
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            try:
                command.upgrade(_alembic_config(conn), "head")
                conn.commit()
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    conn.commit()
                    if broken:
                        raise StoreError(
                            f"migrating {url_or_path} left {len(broken)} broken references (first: {broken[0]}); "
                            "restore the backup copy beside the file and report this"
                        )
            finally:
                if sqlite:
                    conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    return engine
