"""Widen ``coding_events.origin`` to 255 characters, so that codebook restructuring can
record ``rename:old-name->new-name`` in full.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coding_events") as batch:
        batch.alter_column("origin", type_=sa.String(255), existing_type=sa.String(32), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("coding_events") as batch:
        batch.alter_column("origin", type_=sa.String(32), existing_type=sa.String(255), existing_nullable=True)
