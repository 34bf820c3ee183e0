"""Exchange with other tools: REFI-QDA codebooks (``.qdc``) and projects (``.qdpx``), CSV and XLSX."""

from __future__ import annotations

from .refi import (
    CODEBOOK_NS,
    PROJECT_NS,
    RefiProject,
    import_qdpx,
    read_qdc,
    read_qdpx,
    write_qdc,
    write_qdpx,
)

from .tabular import FORMATS, codings_table, export_codings, export_units, units_table

__all__ = [
    "FORMATS",
    "codings_table",
    "export_codings",
    "export_units",
    "units_table",
    "CODEBOOK_NS",
    "PROJECT_NS",
    "RefiProject",
    "import_qdpx",
    "read_qdc",
    "read_qdpx",
    "write_qdc",
    "write_qdpx",
]
