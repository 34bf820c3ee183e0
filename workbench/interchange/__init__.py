"""Exchange with other tools: REFI-QDA codebooks (``.qdc``) and projects (``.qdpx``)."""

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

__all__ = [
    "CODEBOOK_NS",
    "PROJECT_NS",
    "RefiProject",
    "import_qdpx",
    "read_qdc",
    "read_qdpx",
    "write_qdc",
    "write_qdpx",
]
