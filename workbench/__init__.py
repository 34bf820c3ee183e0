"""A Jupyter workbench for qualitative coding of online conversation threads.

>>> import workbench as wb
>>> sorted(wb.__all__)[:3]
['ALL_ROUNDS', 'AccessError', 'Code']
"""

from __future__ import annotations

from . import agreement, interchange, privacy
from .codebook import Code, Codebook, CodebookDiff, CodeGroup, Example
from .corpus import make_units, validate_units
from .errors import (
    AccessError,
    CodebookError,
    IngestError,
    NotFoundError,
    SchemaVersionError,
    StoreError,
    UnitsError,
    UnknownCodeError,
    UnknownCoderError,
    UnknownRoundError,
    UnknownUnitError,
    WorkbenchError,
)
from .ingest import FORMATS, IngestWarning, load_threads, sniff_format
from .privacy import PrivacyError, PseudonymKey, pseudonymise, redact
from .project import Project, open_project
from .segment import segment
from .sentinels import ALL_ROUNDS, NO_ROUND

__version__ = "0.1.0"

_LAZY = ("assist", "charts", "report", "widgets")


def __getattr__(name: str):
    """Import the heavier submodules (scikit-learn, altair, ipywidgets, nbconvert) on first use."""
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")

__all__ = [
    "ALL_ROUNDS",
    "AccessError",
    "Code",
    "CodeGroup",
    "Codebook",
    "CodebookDiff",
    "CodebookError",
    "Example",
    "FORMATS",
    "IngestError",
    "IngestWarning",
    "NO_ROUND",
    "NotFoundError",
    "PrivacyError",
    "Project",
    "PseudonymKey",
    "SchemaVersionError",
    "StoreError",
    "UnitsError",
    "UnknownCodeError",
    "UnknownCoderError",
    "UnknownRoundError",
    "UnknownUnitError",
    "WorkbenchError",
    "__version__",
    "agreement",
    "assist",
    "charts",
    "interchange",
    "load_threads",
    "make_units",
    "open_project",
    "privacy",
    "pseudonymise",
    "redact",
    "report",
    "segment",
    "sniff_format",
    "widgets",
    "validate_units",
]
