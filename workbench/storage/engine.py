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
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..errors import SchemaVersionError, StoreError

__all__ = ["connect", "database_url", "display_url", "schema_revision", "head_revision", "write"]

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


def display_url(url_or_path: str | Path) -> str:
    """How a database is named in messages: the file path, or the URL without its password.

    Parameters
    ----------
    url_or_path : str or Path
        What the project was opened with.

    Returns
    -------
    str

    Examples
    --------
    >>> display_url("postgresql://ann:secret@db.example.org/coding")
    'postgresql://ann:***@db.example.org/coding'
    >>> display_url("data/project.db"), display_url("sqlite:///data/project.db")
    ('data/project.db', 'data/project.db')
    """
    text = str(url_or_path)
    if "://" not in text:
        return text
    if text.startswith("sqlite:///"):
        return text[len("sqlite:///") :]
    try:
        return sa.engine.make_url(text).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return text.split("://", 1)[0] + "://..."


def _alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of the workbench knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its migrations
        raise StoreError(f"no schema migrations found in {_MIGRATIONS}; reinstall the workbench")
    return head


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
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
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
    shown = display_url(url_or_path)
    sqlite_path: Path | None = None
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        sqlite_path = Path(url[len("sqlite:///") :])
        if not sqlite_path.exists():
            if not create:
                raise StoreError(f"no project database at {sqlite_path}; pass create=True to make one")
            if sqlite_path.parent and not sqlite_path.parent.exists():
                sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = _make_engine(url)
    except (sa.exc.SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot open the project database {shown}: {_first_line(exc)}") from exc
    try:
        _migrate(engine, shown, sqlite_path if backup else None)
    except StoreError:
        engine.dispose()
        raise
    except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
        engine.dispose()
        text = _first_line(getattr(exc, "orig", None) or exc)
        hint = ""
        if "not a database" in text:
            hint = "; it is not a SQLite database (open_project makes one: give a new file name)"
        raise StoreError(f"cannot open the project database {shown}: {text}{hint}") from exc
    return engine


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _migrate(engine: sa.Engine, shown: str, backup_path: Path | None) -> None:
    """Check the schema revision, back up and upgrade to the newest when needed."""
    current = schema_revision(engine)
    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:  # alembic raises CommandError or ResolutionError
            raise SchemaVersionError(
                f"the project database {shown} has schema revision {current!r}, which this "
                f"version of the workbench does not know (its newest is {head!r}): it was made by a "
                "newer workbench. Upgrade the workbench (pip install -U workbench) to open it; "
                "nothing was changed."
            ) from None
    if current == head:
        return
    if current is not None and backup_path is not None:
        _backup_sqlite(backup_path, current)
    with write(engine) as conn:
        sqlite = engine.dialect.name == "sqlite"
        raw: Any = conn.connection.driver_connection
        if sqlite:  # table rebuilds need foreign keys off (outside any transaction)
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            command.upgrade(_alembic_config(conn), "head")
            conn.commit()
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                conn.commit()
                if broken:
                    raise StoreError(
                        f"migrating {shown} left {len(broken)} broken references (first: {broken[0]}); "
                        "restore the backup copy beside the file and report this"
                    )
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")
