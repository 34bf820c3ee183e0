"""Alembic environment: always run programmatically with a connection in ``config.attributes``."""

from alembic import context

from workbench.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the workbench always passes its connection
    raise RuntimeError("run workbench migrations through workbench.storage.connect()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
