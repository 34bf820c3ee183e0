"""Merging projects: a stable origin id on merged rows, and an id for every project.

Coding events, memos and adjudications get ``origin_uid``; ``project_info`` gets
``project_uid``.

``origin_uid`` holds where a row merged from another project came from (the origin
project's id, the row's id there and a digest of its content, or the id of a coding in
a ``.qdpx`` file); it is NULL for the rows made here. A unique index on it makes a merge
idempotent. ``project_info.project_uid`` names the project (a random UUID, made once).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import json
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TABLES = ("coding_events", "memos", "adjudications")


def upgrade() -> None:
    """Add ``origin_uid`` (unique) and the project's id."""
    for table in _TABLES:
        op.add_column(table, sa.Column("origin_uid", sa.String(128), nullable=True))
        op.create_index(f"ux_{table}_origin_uid", table, ["origin_uid"], unique=True)
    bind = op.get_bind()
    have = bind.execute(sa.text("SELECT value FROM project_info WHERE key = 'project_uid'")).first()
    if have is None:
        bind.execute(
            sa.text("INSERT INTO project_info (key, value) VALUES ('project_uid', :value)"),
            {"value": json.dumps(str(uuid.uuid4()))},
        )


def downgrade() -> None:
    """Drop them again."""
    op.execute("DELETE FROM project_info WHERE key = 'project_uid'")
    for table in _TABLES:
        op.drop_index(f"ux_{table}_origin_uid", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("origin_uid")
