"""Model coders: a coder's kind, and a table of model runs.

* ``coders.kind`` is ``human`` (every coder so far) or ``model``: a model coder codes through
  the same event log, under its own name, with events of origin ``model``
  (:mod:`workbench.storage.models`). A coder that an earlier ``wb.assist`` recorded with the
  role ``model`` becomes a ``coder`` of kind ``model``.
* ``model_runs``: one row per run of a model coder, saved when it starts and again when it
  finishes or stops (by ``run_id``): the model, its version or file hash, the prompt's hash,
  the full prompt or training settings (JSON), seed, temperature, round, codebook version,
  the units asked for and those where no code applied (JSON), the status, the full record
  (JSON) and the times.
* PostgreSQL: the project's supervisors' group (if there is one yet) may read, insert and
  update the runs (:meth:`workbench.storage.access.Access.grant` grants the same to groups
  made later); coders have no rights on them: the supervisor applies model runs.

Revision ID: 0006
Revises: 0004 (the coordinator chains 0005 in between)
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the coders' kind and the model runs."""
    with op.batch_alter_table("coders") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="human"))
        batch.create_check_constraint("ck_coders_kind", "kind IN ('human', 'model')")
    op.execute("UPDATE coders SET kind = 'model', role = 'coder' WHERE role = 'model'")
    op.create_table(
        "model_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.coder_id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("model", sa.Text, nullable=True),
        sa.Column("version", sa.Text, nullable=True),
        sa.Column("prompt_hash", sa.String(64), nullable=True),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=True),
        sa.Column("temperature", sa.Float, nullable=True),
        sa.Column("round", sa.String(255), nullable=True),
        sa.Column("codebook_version", sa.Integer, nullable=True),
        sa.Column("units", sa.Text, nullable=False),
        sa.Column("no_code", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_model_runs_coder", "model_runs", ["coder_id"])
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from workbench.storage.access import group_names

    database = bind.exec_driver_sql("SELECT current_database()").scalar()
    supervisors = group_names(str(database))[1]
    if bind.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (supervisors,)).first() is not None:
        quoted = bind.dialect.identifier_preparer.quote_identifier(supervisors)
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON model_runs TO {quoted}")


def downgrade() -> None:
    """Drop them again (a model coder keeps the role ``model``, as before)."""
    op.drop_index("ix_model_runs_coder", table_name="model_runs")
    op.drop_table("model_runs")
    op.execute("UPDATE coders SET role = 'model' WHERE kind = 'model'")
    with op.batch_alter_table("coders") as batch:
        batch.drop_constraint("ck_coders_kind", type_="check")
        batch.drop_column("kind")
