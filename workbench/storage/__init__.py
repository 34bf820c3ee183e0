"""The project store: SQLite or PostgreSQL through SQLAlchemy Core, in named parts.

:func:`connect` opens (creates, upgrades) a database; :mod:`~workbench.storage.tables`
defines the tables that the Alembic migrations create. The parts, one concept each,
share the small :mod:`~workbench.storage._kernel` (transactions that turn driver errors
into :class:`~workbench.errors.StoreError`, the audit log, coder and round look-ups,
the clock):

=====================  ==============================================================
``units``              threads and units (bulk import, idempotent by ``unit_id``)
``coders``             the project's coders
``codebooks``          immutable codebook versions
``codings``            the event log, its derived current state, history
``queue``              a coder's queue, next unit, progress (cursors over the state)
``memos``              memos and flags
``rounds``             rounds: samples, assignments, open / closed
``adjudication``       decisions, the gold set, proposals
``restructure``        rename, merge, split and retire codes; the recode queue
``settings``           project settings and the audit log
``models``             model coders' codings (origin ``model``) and runs (``wb.assist``)
=====================  ==============================================================

The store returns data and never computes statistics; :class:`workbench.Project` is
the facade that callers use.
"""

from __future__ import annotations

from .engine import connect, database_url, display_url, head_revision, schema_revision, write
from .tables import metadata

__all__ = ["connect", "database_url", "display_url", "schema_revision", "head_revision", "metadata", "write"]
