"""Exchange with other tools: REFI-QDA codebooks (``.qdc``) and projects (``.qdpx``), CSV and XLSX.

* :mod:`~workbench.interchange.qdc`: the codebook as REFI-QDA codebook XML, both ways;
* :mod:`~workbench.interchange.qdpx`: the project (units, codebook, coders, codings) as a
  REFI-QDA project, both ways;
* :mod:`~workbench.interchange.tabular`: units and codings as CSV or XLSX;
* :mod:`~workbench.interchange.limits`: the bounds within which ``.qdpx`` and ``.qdc``
  files are read (zip members, compression ratio, XML size, elements and nesting), each
  raised with ``limits=`` or an environment variable.

Every export of units goes through :func:`workbench.privacy.export_view`, so it is
pseudonymised (authors, texts and ids) unless raw data is asked for with the pseudonym
key; every file is written atomically, raw ones readable by their owner only.
"""

from __future__ import annotations

from .limits import LIMITS, LimitError
from .qdc import CODEBOOK_NS, read_qdc, write_qdc
from .qdpx import PROJECT_NS, RefiProject, import_qdpx, read_qdpx, write_qdpx
from .tabular import FORMATS, codings_table, export_codings, export_units, units_table

__all__ = [
    "FORMATS",
    "LIMITS",
    "LimitError",
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
