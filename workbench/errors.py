"""Named exceptions of the workbench.

Every error says what was wrong, where (file, line, record, field, unit id) and what
would be valid, so that a researcher can act on it without reading the source.
"""

from __future__ import annotations

__all__ = [
    "WorkbenchError",
    "UnitsError",
    "IngestError",
    "CodebookError",
    "StoreError",
    "SchemaVersionError",
    "NotFoundError",
    "UnknownUnitError",
    "UnknownCodeError",
    "UnknownCoderError",
    "UnknownRoundError",
    "PrivacyError",
]


class WorkbenchError(Exception):
    """Base class of every error raised on purpose by the workbench."""


class UnitsError(WorkbenchError, ValueError):
    """A units table is malformed: missing columns, duplicate ids, dangling parents, cycles.

    Attributes
    ----------
    problems : list of str
        One readable line per problem, each naming the offending unit ids.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class IngestError(WorkbenchError, ValueError):
    """A thread file could not be read; names the file, the line or record and the field."""

    def __init__(self, message: str, *, path=None, line=None, record=None, field=None):
        self.path, self.line, self.record, self.field = path, line, record, field
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if record is not None:
            where.append(f"record {record}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class CodebookError(WorkbenchError, ValueError):
    """A codebook is invalid; names the file, line and field."""

    def __init__(self, message: str, *, path=None, line=None, field=None, code=None):
        self.path, self.line, self.field, self.code = path, line, field, code
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if code is not None:
            where.append(f"code {code!r}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class StoreError(WorkbenchError, RuntimeError):
    """The project store refused an operation (database error, locked file, ...)."""


class SchemaVersionError(StoreError):
    """The database was made by a newer (or unknown) version of the workbench."""


class NotFoundError(WorkbenchError, KeyError):
    """Something named does not exist in the project."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class UnknownUnitError(NotFoundError):
    """A unit id that the project does not hold."""


class UnknownCodeError(NotFoundError):
    """A code name that the codebook version in force does not define."""


class UnknownCoderError(NotFoundError):
    """A coder who has not been added to the project."""


class UnknownRoundError(NotFoundError):
    """A round that does not exist."""


class PrivacyError(WorkbenchError, ValueError):
    """A privacy rule would be broken: a missing or wrong key, raw data asked for without
    proof, a key file in the wrong place, a malformed key file."""
