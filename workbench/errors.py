"""Named exceptions of the workbench.

Every error says what was wrong, where (file, line, record, field, unit id) and what
would be valid, so that a researcher can act on it without reading the source.
"""

from __future__ import annotations

__all__ = [
    "where",
    "located",
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
    "IdentifierError",
    "AccessError",
]


def where(*, path=None, line=None, record=None, unit=None, code=None, field=None, element=None) -> str:
    """The one way a location is written in a message: ``file, line N, record N, field 'x'``.

    Parts that are ``None`` are left out; the order is always file, line, record, unit,
    code, element, field.

    Examples
    --------
    >>> where(path="comments.csv", line=12, field="text")
    "comments.csv, line 12, field 'text'"
    >>> where(path="cb.yaml", line=3, code="defensive", field="color")
    "cb.yaml, line 3, code 'defensive', field 'color'"
    >>> where()
    ''
    """
    parts = []
    if path is not None:
        parts.append(str(path))
    if line is not None:
        parts.append(f"line {line}")
    if record is not None:
        parts.append(f"record {record}")
    if unit is not None:
        parts.append(f"unit {unit!r}")
    if code is not None:
        parts.append(f"code {code!r}")
    if element is not None:
        parts.append(f"element <{element}>")
    if field is not None:
        parts.append(f"field {field!r}")
    return ", ".join(parts)


def located(message: str, **location) -> str:
    """``message`` prefixed with its location (see :func:`where`), when there is one.

    Examples
    --------
    >>> located("not a date", path="x.csv", line=2, field="posted_at")
    "x.csv, line 2, field 'posted_at': not a date"
    """
    prefix = where(**location)
    return f"{prefix}: {message}" if prefix else message


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
        super().__init__(located(message, path=path, line=line, record=record, field=field))


class CodebookError(WorkbenchError, ValueError):
    """A codebook is invalid; names the file, line and field."""

    def __init__(self, message: str, *, path=None, line=None, field=None, code=None):
        self.path, self.line, self.field, self.code = path, line, field, code
        super().__init__(located(message, path=path, line=line, code=code, field=field))


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
    """A privacy rule would be broken.

    A missing or wrong key, raw data asked for without proof, a key file in the wrong
    place, a malformed key file.
    """


class IdentifierError(WorkbenchError, ValueError):
    """A name (of a coder, round, code or codebook) breaks the naming rules or looks like one taken."""


class AccessError(WorkbenchError, PermissionError):
    """Refused by the project's access rules (see :mod:`workbench.storage.access`).

    The project is open for one coder, and the call would act as another coder, read
    what a blind round hides from them, or do a supervisor's operation.
    """
