"""The first schema: sources, threads, units, codebook versions, coders, rounds,
round assignments, the append-only coding event log, memos, adjudications, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(255)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "project_info",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "sources",
        sa.Column("source_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("format", sa.String(64), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=True, unique=True),
        sa.Column("imported_at", TS, nullable=False),
        sa.Column("n_units", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "threads",
        sa.Column("thread_id", ID, primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.source_id"), nullable=True),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "units",
        sa.Column("unit_id", ID, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("thread_id", ID, sa.ForeignKey("threads.thread_id"), nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("author_role", sa.String(64), nullable=True),
        sa.Column("posted_at", TS, nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("codable", sa.Boolean, nullable=False),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("content_warning", sa.Text, nullable=True),
        sa.Column("extra", sa.Text, nullable=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.source_id"), nullable=True),
    )
    op.create_index("ix_units_thread_position", "units", ["thread_id", "position"])
    op.create_index("ix_units_parent", "units", ["parent_id"])
    op.create_table(
        "codebook_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=True),
    )
    op.create_table(
        "coders",
        sa.Column("coder_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("role", sa.String(64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "rounds",
        sa.Column("round_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column(
            "codebook_version",
            sa.Integer,
            sa.ForeignKey("codebook_versions.version"),
            nullable=True,
        ),
        sa.Column("sample", sa.Text, nullable=True),
        sa.Column("seed", sa.BigInteger, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
    )
    op.create_table(
        "round_assignments",
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.round_id"), primary_key=True),
        sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), primary_key=True),
        sa.Column("unit_id", ID, sa.ForeignKey("units.unit_id"), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_round_assignments_queue", "round_assignments", ["round_id", "coder_id", "seq"]
    )
    op.create_table(
        "coding_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit_id", ID, sa.ForeignKey("units.unit_id"), nullable=False),
        sa.Column("code", sa.String(255), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), nullable=False),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.round_id"), nullable=True),
        sa.Column(
            "codebook_version",
            sa.Integer,
            sa.ForeignKey("codebook_versions.version"),
            nullable=True,
        ),
        sa.Column("at", TS, nullable=False),
        sa.Column("memo", sa.Text, nullable=True),
        sa.Column("span_start", sa.Integer, nullable=True),
        sa.Column("span_end", sa.Integer, nullable=True),
        sa.Column("origin", sa.String(32), nullable=True),
        sa.CheckConstraint("action IN ('apply', 'remove')", name="ck_coding_events_action"),
    )
    op.create_index("ix_coding_events_unit", "coding_events", ["unit_id"])
    op.create_index("ix_coding_events_coder_round", "coding_events", ["coder_id", "round_id"])
    op.create_table(
        "memos",
        sa.Column("memo_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit_id", ID, sa.ForeignKey("units.unit_id"), nullable=True),
        sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), nullable=False),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.round_id"), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_memos_unit", "memos", ["unit_id"])
    op.create_table(
        "adjudications",
        sa.Column("adjudication_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.round_id"), nullable=True),
        sa.Column("unit_id", ID, sa.ForeignKey("units.unit_id"), nullable=False),
        sa.Column("codes", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("proposal", sa.Text, nullable=True),
        sa.Column("codebook_version", sa.Integer, nullable=True),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
    )


def downgrade() -> None:
    for table in (
        "audit_log",
        "adjudications",
        "memos",
        "coding_events",
        "round_assignments",
        "rounds",
        "coders",
        "codebook_versions",
        "units",
        "threads",
        "sources",
        "project_info",
    ):
        op.drop_table(table)
