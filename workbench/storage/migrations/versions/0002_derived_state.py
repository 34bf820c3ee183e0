"""Derived coding state: ``current_codings`` (latest event wins) and ``queue_cursors``.

Both are caches of the append-only event log. The upgrade rebuilds them from the
events already stored, so an old project keeps every coding and gains fast look-ups.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "current_codings",
        sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), primary_key=True),
        sa.Column("round_key", sa.Integer, primary_key=True),
        sa.Column("unit_id", sa.String(255), sa.ForeignKey("units.unit_id"), primary_key=True),
        sa.Column("code", sa.String(255), primary_key=True),
        sa.Column("span_key", sa.String(32), primary_key=True),
        sa.Column(
            "event_id", sa.Integer, sa.ForeignKey("coding_events.event_id"), nullable=False
        ),
    )
    op.create_index("ix_current_codings_unit", "current_codings", ["unit_id"])
    op.create_table(
        "queue_cursors",
        sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), primary_key=True),
        sa.Column("round_key", sa.Integer, primary_key=True),
        sa.Column("frontier_seq", sa.BigInteger, nullable=False),
    )
    # Backfill: the latest event per (coder, round, unit, code, span) wins; keep applies.
    op.execute(
        """
        INSERT INTO current_codings (coder_id, round_key, unit_id, code, span_key, event_id)
        SELECT coder_id, round_key, unit_id, code, span_key, event_id FROM (
            SELECT e.coder_id, COALESCE(e.round_id, 0) AS round_key, e.unit_id, e.code,
                   CASE WHEN e.span_start IS NULL THEN ''
                        ELSE CAST(e.span_start AS VARCHAR(16)) || ':' || CAST(e.span_end AS VARCHAR(16))
                   END AS span_key,
                   e.event_id, e.action,
                   ROW_NUMBER() OVER (
                       PARTITION BY e.coder_id, COALESCE(e.round_id, 0), e.unit_id, e.code,
                                    e.span_start, e.span_end
                       ORDER BY e.event_id DESC
                   ) AS rn
            FROM coding_events e
        ) latest
        WHERE rn = 1 AND action = 'apply'
        """
    )


def downgrade() -> None:
    op.drop_table("queue_cursors")
    op.drop_table("current_codings")
