"""Shared fixtures: fresh SQLite projects, a real PostgreSQL server, the example data.

The PostgreSQL server is started by the test run itself: ``initdb`` into a temporary
folder as an unprivileged user (``postgres`` when the run is root), ``pg_ctl`` on a free
loopback port, and stopped at the end. Without PostgreSQL binaries the PostgreSQL tests
are skipped with a message, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

import workbench as wb

# helper scripts and fixture generators are not test modules (nor doctest modules)
collect_ignore = ["_coding_worker.py", "_browser.py", "fixtures"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(reason: str):
    """Skip locally, fail under CI: a real part that is missing is not a pass."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture
def examples() -> Path:
    """The example threads shipped in ``data/examples``."""
    return EXAMPLES


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def project(tmp_path):
    """A fresh SQLite project in a temporary folder."""
    p = wb.open_project(tmp_path / "project.db")
    yield p
    p.close()


# --- PostgreSQL ---------------------------------------------------------------------------
def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        self.initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        self.dir = Path(tempfile.mkdtemp(prefix="wb-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.user = None
        self._preexec = None
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                entry = pwd.getpwnam("nobody")
            self.user = entry.pw_name
            uid, gid = entry.pw_uid, entry.pw_gid
            os.chown(self.dir, uid, gid)
            os.chmod(self.dir, 0o700)

            def demote():
                os.setgid(gid)
                os.setuid(uid)

            self._preexec = demote
        self._counter = itertools.count(1)

    def _run(self, *args):
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        return subprocess.run(
            list(args), check=True, capture_output=True, text=True, preexec_fn=self._preexec, env=env, cwd=self.dir
        )

    def start(self):
        self._run(self.initdb, "-D", str(self.data), "-U", "workbench", "-A", "trust", "-E", "UTF8", "--no-sync")
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=on -c max_connections=50"
        self._run(self.pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log.txt"), "-w", "start")

    def stop(self):
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def base_url(self) -> str:
        return f"postgresql://workbench@127.0.0.1:{self.port}"

    def new_database(self) -> str:
        import sqlalchemy as sa

        name = f"wb_test_{next(self._counter)}"
        engine = sa.create_engine(
            f"postgresql+psycopg://workbench@127.0.0.1:{self.port}/postgres", isolation_level="AUTOCOMMIT"
        )
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return f"{self.base_url}/{name}"


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    if server.initdb is None or server.pg_ctl is None:
        _missing("PostgreSQL binaries (initdb, pg_ctl) are not installed: apt-get install postgresql")
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = server.dir / "log.txt"
        detail = log.read_text() if log.exists() else ""
        server.stop()
        _missing(f"could not start PostgreSQL: {exc.stderr or exc}\n{detail}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server) -> str:
    """The URL of a fresh, empty PostgreSQL database on the test server."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A fresh database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "project.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def any_project(store_url):
    """A fresh project on SQLite and on PostgreSQL (parametrised)."""
    p = wb.open_project(store_url)
    yield p
    p.close()


@pytest.fixture
def demo_codebook() -> wb.Codebook:
    """A small codebook: an exclusive 'stance' group and a multi-label code."""
    return wb.Codebook.from_dict(
        {
            "name": "demo",
            "groups": [{"name": "stance", "label": "Stance", "exclusive": True}],
            "codes": [
                {"name": "validating", "label": "Validating", "definition": "Believes the account.", "group": "stance", "shortcut": "v", "color": "#1b9e77"},
                {"name": "defensive", "label": "Defensive", "definition": "Not all of us.", "group": "stance", "shortcut": "d", "color": "#d95f02"},
                {"name": "systemic-deflection", "label": "Systemic deflection", "definition": "Moves it onto the system.", "group": "stance", "shortcut": "s", "color": "#7570b3"},
                {"name": "gratitude", "label": "Gratitude", "definition": "Thanks the writer.", "shortcut": "g", "color": "#e7298a"},
            ],
        }
    )


@pytest.fixture
def demo_units():
    """Two small threads, nested two levels deep, with an orphan and a deleted reply."""
    rows = [
        {"unit_id": "t1:0", "thread_id": "t1", "text": "I was restrained and nobody explained why.", "author": "Sam", "kind": "post"},
        {"unit_id": "t1:1", "thread_id": "t1", "parent_id": "t1:0", "text": "We're not all like that!", "author": "Nurse Ann"},
        {"unit_id": "t1:2", "thread_id": "t1", "parent_id": "t1:1", "text": "That isn't the point.", "author": "Sam"},
        {"unit_id": "t1:3", "thread_id": "t1", "parent_id": "t1:0", "text": "", "author": "", "status": "deleted"},
        {"unit_id": "t1:4", "thread_id": "t1", "parent_id": "t1:3", "text": "Thank you for writing this.", "author": "Jo"},
        {"unit_id": "t2:0", "thread_id": "t2", "text": "The crisis team never called back.", "author": "Lee", "kind": "post"},
        {"unit_id": "t2:1", "thread_id": "t2", "parent_id": "t2:0", "text": "Services are so underfunded.", "author": "Dr K"},
        {"unit_id": "t2:2", "thread_id": "t2", "parent_id": "t2:missing", "text": "Reply to a lost comment", "author": "Max"},
    ]
    return wb.make_units(rows, source="test")


@pytest.fixture
def shared_refi() -> Path:
    """The official REFI-QDA schemas beside the repo (never copied into it)."""
    path = SHARED / "refi"
    if not (path / "Codebook.xsd").exists():
        _missing(f"the REFI-QDA schemas are not at {path} (see shared/refi/README.md)")
    return path
