"""Connecting, migrating and refusing databases from the future (workbench/storage/engine.py)."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from alembic import command

import workbench as wb
from workbench import storage
from workbench.storage import engine as storage_engine
from workbench.storage import tables as T


def test_new_database_is_stamped_at_head(project):
    assert storage.schema_revision(project.engine) == storage.head_revision()


def test_migrated_schema_matches_the_table_metadata(any_project):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with any_project.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), T.metadata)
    assert diff == []


def _old_database(url):
    """A database at the first revision, filled as an old workbench would have left it."""
    engine = storage_engine._make_engine(storage.database_url(url))
    with storage.write(engine) as conn:
        command.upgrade(storage_engine._alembic_config(conn), "0001")
        conn.commit()
    now = "2025-01-01 10:00:00"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO threads (thread_id, title, created_at) VALUES ('t', 'old thread', '{now}')"
        )
        for i in range(5):
            conn.exec_driver_sql(
                "INSERT INTO units (unit_id, seq, thread_id, parent_id, depth, position, author, text, kind, "
                f"status, source, codable) VALUES ('u{i}', {i + 1}, 't', {'NULL' if i == 0 else repr('u0')}, "
                f"{0 if i == 0 else 1}, {i}, 'a{i}', 'text {i}', 'comment', 'ok', 'old', true)"
            )
        conn.exec_driver_sql(
            "INSERT INTO codebook_versions (version, name, body, checksum, created_at) VALUES "
            f"(1, 'old', '{{\"name\": \"old\", \"codes\": [{{\"name\": \"x\", \"label\": \"X\", \"definition\": \"d\"}}, "
            f"{{\"name\": \"y\", \"label\": \"Y\", \"definition\": \"d\"}}]}}', 'c', '{now}')"
        )
        conn.exec_driver_sql(f"INSERT INTO coders (name, created_at) VALUES ('alice', '{now}')")
        events = [("u1", "x", "apply"), ("u1", "y", "apply"), ("u1", "y", "remove"), ("u2", "x", "apply")]
        for unit, code, action in events:
            conn.exec_driver_sql(
                "INSERT INTO coding_events (unit_id, code, action, coder_id, codebook_version, at) "
                f"VALUES ('{unit}', '{code}', '{action}', 1, 1, '{now}')"
            )
        conn.exec_driver_sql(
            f"INSERT INTO memos (unit_id, coder_id, kind, text, at) VALUES ('u1', 1, 'memo', 'kept', '{now}')"
        )
    engine.dispose()


def test_upgrade_keeps_every_row_and_backs_up_the_file(tmp_path):
    path = tmp_path / "old.db"
    _old_database(str(path))
    project = wb.open_project(path)
    try:
        assert storage.schema_revision(project.engine) == storage.head_revision()
        assert len(project.units()) == 5
        assert len(project.history()) == 4
        assert sorted(map(tuple, project.codings()[["unit_id", "code"]].to_numpy())) == [("u1", "x"), ("u2", "x")]
        assert list(project.memos()["text"]) == ["kept"]
        assert project.next_unit("alice") == "u0"
    finally:
        project.close()
    backups = list(tmp_path.glob("old.db.backup-0001-*"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert conn.execute("SELECT count(*) FROM coding_events").fetchone() == (4,)


def test_upgrade_on_postgresql_keeps_every_row(pg_url):
    _old_database(pg_url)
    project = wb.open_project(pg_url)
    try:
        assert len(project.history()) == 4
        assert sorted(map(tuple, project.codings()[["unit_id", "code"]].to_numpy())) == [("u1", "x"), ("u2", "x")]
    finally:
        project.close()


def test_database_from_a_newer_workbench_is_refused_untouched(tmp_path):
    path = tmp_path / "future.db"
    wb.open_project(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = path.read_bytes()
    with pytest.raises(wb.SchemaVersionError, match="made by a newer workbench"):
        wb.open_project(path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("future.db.backup-*"))


def test_missing_file_without_create(tmp_path):
    with pytest.raises(wb.StoreError, match="no project database"):
        wb.open_project(tmp_path / "absent.db", create=False)


def test_postgres_url_is_normalised():
    assert storage.database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert storage.database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_bulk_import_on_postgresql_leaves_fresh_statistics(pg_url):
    """After a bulk COPY the planner must know the table's size, or look-ups such as
    next_unit's fall off the indexes (measured: 36 ms instead of 7 ms at 1M units)."""
    project = wb.open_project(pg_url)
    try:
        rows = [{"unit_id": f"u{i}", "thread_id": f"t{i // 100}", "text": "x"} for i in range(10_000)]
        assert project.add_units(wb.make_units(rows)) == 10_000
        with project.engine.connect() as conn:
            tuples = conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE relname = 'units'").scalar()
        assert tuples == 10_000  # -1 means never analysed
    finally:
        project.close()


def test_sqlite_pragmas(project):
    with project.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_a_file_that_is_not_a_database_is_refused_by_name(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Thread notes, not a database.\n" * 200, encoding="utf-8")
    before = notes.read_bytes()
    with pytest.raises(wb.StoreError) as err:
        wb.open_project(notes)
    message = str(err.value)
    assert str(notes) in message and "not a database" in message
    assert not isinstance(err.value, sa.exc.SQLAlchemyError) and not isinstance(err.value, sqlite3.Error)
    assert notes.read_bytes() == before
    assert not list(tmp_path.glob("notes.txt.backup-*"))


def test_an_unreachable_server_is_named_without_its_password(postgres_server):
    url = f"postgresql://workbench:s3cret-pw@127.0.0.1:{postgres_server.port}/no_such_database"
    with pytest.raises(wb.StoreError) as err:
        wb.open_project(url)
    message = str(err.value)
    assert "s3cret-pw" not in message
    assert "workbench:***@127.0.0.1" in message and "no_such_database" in message


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("data/project.db", "data/project.db"),
        ("sqlite:///data/project.db", "data/project.db"),
        ("postgresql://ann:secret@db.example.org:5432/coding", "postgresql://ann:***@db.example.org:5432/coding"),
        ("postgresql://ann@db.example.org/coding", "postgresql://ann@db.example.org/coding"),
    ],
)
def test_display_url_masks_passwords(given, shown):
    assert storage.display_url(given) == shown
