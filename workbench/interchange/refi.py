"""REFI-QDA exchange, both halves by one name: codebooks (:mod:`.qdc`) and projects (:mod:`.qdpx`).

The REFI-QDA standard (www.qdasoftware.org) lets QDA programs (ATLAS.ti, MAXQDA, NVivo,
QDA Miner, Transana, ...) exchange codebooks and coded projects. The code lives in
:mod:`workbench.interchange.qdc` and :mod:`workbench.interchange.qdpx`; this module
gathers their public names (``from workbench.interchange import refi``).
"""

from __future__ import annotations

from .qdc import CODEBOOK_NS, read_qdc, write_qdc
from .qdpx import PROJECT_NS, RefiProject, import_qdpx, read_qdpx, write_qdpx

__all__ = [
    "CODEBOOK_NS",
    "PROJECT_NS",
    "RefiProject",
    "write_qdc",
    "read_qdc",
    "write_qdpx",
    "read_qdpx",
    "import_qdpx",
]
