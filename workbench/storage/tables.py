"""The store's tables (SQLAlchemy Core).

Alembic migrations in ``migrations/versions`` create exactly these tables; a test
checks that a migrated database matches this metadata.

Coding is an append-only event log (``coding_events``). ``current_codings`` and
``queue_cursors`` are caches derived from it inside the same transaction as each
event, so that the current state and a coder's next unit are index look-ups.
On PostgreSQL (revision 0004) row-level security guards the coding tables and a
trigger derives the state (see :mod:`workbench.storage.access`).

Rows merged from another project (:mod:`~workbench.storage.merge`) carry ``origin_uid``,
where they came from (revision 0005); ``project_info`` holds ``project_uid``, the id of
the project.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["metadata", "NO_ROUND_KEY"]

#: ``round_key`` of the derived tables for coding outside any round (the event log and
#: memos use NULL there; callers say ``workbench.NO_ROUND``, never this key).
NO_ROUND_KEY = 0

metadata = sa.MetaData()

ID = sa.String(255)
TS = sa.DateTime(timezone=True)

project_info = sa.Table(
    "project_info",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("source_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("format", sa.String(64), nullable=False),
    sa.Column("checksum", sa.String(64), nullable=True, unique=True),
    sa.Column("imported_at", TS, nullable=False),
    sa.Column("n_units", sa.Integer, nullable=False, server_default="0"),
)

threads = sa.Table(
    "threads",
    metadata,
    sa.Column("thread_id", ID, primary_key=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.source_id"), nullable=True),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("created_at", TS, nullable=False),
)

units = sa.Table(
    "units",
    metadata,
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
    sa.Index("ix_units_thread_position", "thread_id", "position"),
    sa.Index("ix_units_parent", "parent_id"),
)

codebook_versions = sa.Table(
    "codebook_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.Text, nullable=True),
)

coders = sa.Table(
    "coders",
    metadata,
    sa.Column("coder_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("role", sa.String(64), nullable=True),
    sa.Column("created_at", TS, nullable=False),
    # revision 0004: the coder's PostgreSQL login (see workbench.storage.access)
    sa.Column("db_role", sa.String(63), nullable=True),
    sa.Index("ix_coders_db_role", "db_role", unique=True),
)

rounds = sa.Table(
    "rounds",
    metadata,
    sa.Column("round_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column(
        "codebook_version", sa.Integer, sa.ForeignKey("codebook_versions.version"), nullable=True
    ),
    sa.Column("sample", sa.Text, nullable=True),
    sa.Column("seed", sa.BigInteger, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("closed_at", TS, nullable=True),
)

round_assignments = sa.Table(
    "round_assignments",
    metadata,
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.round_id"), primary_key=True),
    sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), primary_key=True),
    sa.Column("unit_id", ID, sa.ForeignKey("units.unit_id"), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Index("ix_round_assignments_queue", "round_id", "coder_id", "seq"),
    sa.Index("ix_round_assignments_coder_unit", "coder_id", "unit_id"),  # revision 0004: the blind rule
)

coding_events = sa.Table(
    "coding_events",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("unit_id", ID, sa.ForeignKey("units.unit_id"), nullable=False),
    sa.Column("code", sa.String(255), nullable=False),
    sa.Column("action", sa.String(8), nullable=False),
    sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), nullable=False),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.round_id"), nullable=True),
    sa.Column(
        "codebook_version", sa.Integer, sa.ForeignKey("codebook_versions.version"), nullable=True
    ),
    sa.Column("at", TS, nullable=False),
    sa.Column("memo", sa.Text, nullable=True),
    sa.Column("span_start", sa.Integer, nullable=True),
    sa.Column("span_end", sa.Integer, nullable=True),
    sa.Column("origin", sa.String(255), nullable=True),
    sa.Column("origin_uid", sa.String(128), nullable=True),
    sa.CheckConstraint("action IN ('apply', 'remove')", name="ck_coding_events_action"),
    sa.Index("ix_coding_events_unit", "unit_id"),
    sa.Index("ix_coding_events_coder_round", "coder_id", "round_id"),
    sa.Index("ux_coding_events_origin_uid", "origin_uid", unique=True),
)

memos = sa.Table(
    "memos",
    metadata,
    sa.Column("memo_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("unit_id", ID, sa.ForeignKey("units.unit_id"), nullable=True),
    sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), nullable=False),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.round_id"), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("origin_uid", sa.String(128), nullable=True),
    sa.Index("ix_memos_unit", "unit_id"),
    sa.Index("ux_memos_origin_uid", "origin_uid", unique=True),
)

adjudications = sa.Table(
    "adjudications",
    metadata,
    sa.Column("adjudication_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.round_id"), nullable=True),
    sa.Column("unit_id", ID, sa.ForeignKey("units.unit_id"), nullable=False),
    sa.Column("codes", sa.Text, nullable=False),
    sa.Column("decided_by", sa.String(255), nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("proposal", sa.Text, nullable=True),
    sa.Column("codebook_version", sa.Integer, nullable=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("origin_uid", sa.String(128), nullable=True),
    sa.Index("ux_adjudications_origin_uid", "origin_uid", unique=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(255), nullable=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("role", sa.String(16), nullable=True),  # revision 0004: coder, supervisor or owner
)

# --- derived from coding_events (revision 0002) -------------------------------------------
current_codings = sa.Table(
    "current_codings",
    metadata,
    sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), primary_key=True),
    sa.Column("round_key", sa.Integer, primary_key=True),
    sa.Column("unit_id", ID, sa.ForeignKey("units.unit_id"), primary_key=True),
    sa.Column("code", sa.String(255), primary_key=True),
    sa.Column("span_key", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("coding_events.event_id"), nullable=False),
    sa.Index("ix_current_codings_unit", "unit_id"),
)

queue_cursors = sa.Table(
    "queue_cursors",
    metadata,
    sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), primary_key=True),
    sa.Column("round_key", sa.Integer, primary_key=True),
    sa.Column("frontier_seq", sa.BigInteger, nullable=False),
)
