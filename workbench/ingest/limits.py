"""How much one thread file may make the workbench do: the ingest limits, in one place.

Files from the open web arrive truncated, mis-encoded or made to hurt. Reading one is
bounded by the limits below. Each default is far above anything a research data set
needs, so a researcher never meets them; a file that passes one is refused (or, for
one line or record, skipped and reported) with a :class:`LimitError` that names the
limit and how to raise it.

=================  =====================================================  ===============  ============================
limit              what it bounds                                         default          environment variable
=================  =====================================================  ===============  ============================
``max_bytes``      the bytes of one file, after decompression (``.zst``)  16 GiB           ``WB_INGEST_MAX_BYTES``
``max_ratio``      decompressed size / compressed size (``.zst``, the     1000             ``WB_INGEST_MAX_RATIO``
                   members of an ``.xlsx``), once past 64 MiB
``max_document``   a file read whole (a saved page, a JSON or XML         1 GiB            ``WB_INGEST_MAX_DOCUMENT``
                   export, copied text)
``max_line``       one line (NDJSON, CSV, text); longer lines are         64 MiB           ``WB_INGEST_MAX_LINE``
                   skipped and reported
``max_depth``      how deeply JSON may nest (``{`` and ``[``); a deeper   512              ``WB_INGEST_MAX_DEPTH``
                   NDJSON line is skipped and reported
``max_member``     one member of a zip file (an ``.xlsx``), uncompressed  1 GiB            ``WB_INGEST_MAX_MEMBER``
``max_records``    records (lines, rows, items) in one file               20,000,000       ``WB_INGEST_MAX_RECORDS``
=================  =====================================================  ===============  ============================

Raise a limit for one call with ``load_threads(path, limits={"max_ratio": 10_000})``,
or for a session or the command line with the environment variable
(``WB_INGEST_MAX_RATIO=10000 workbench import dump.zst``); sizes may be written with a
unit (``512MiB``, ``2GB``, ``8G``). The keyword wins over the variable.

Parsing is linear in the input besides: regular expressions never backtrack over
unbounded text, trees are walked without recursion, and a reply tree's depth is found
by pointer jumping, so no shape of input makes a read quadratic.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import IngestError

__all__ = ["Limits", "LimitError", "DEFAULT_LIMITS", "ENV", "RATIO_FLOOR", "resolve_limits", "size_text"]

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

#: Below this many decompressed bytes the compression ratio is not checked (small files compress well).
RATIO_FLOOR = 64 * MiB


@dataclass(frozen=True)
class Limits:
    """The limits of one read (see the module docstring for what each bounds).

    Examples
    --------
    >>> Limits().max_depth
    512
    >>> Limits(max_ratio=10_000).max_ratio
    10000
    """

    max_bytes: int = 16 * GiB
    max_ratio: int = 1000
    max_document: int = 1 * GiB
    max_line: int = 64 * MiB
    max_depth: int = 512
    max_member: int = 1 * GiB
    max_records: int = 20_000_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"limit {f.name} must be a positive whole number, not {value!r}")


#: The defaults, before environment variables.
DEFAULT_LIMITS = Limits()

#: The environment variable of each limit.
ENV: Mapping[str, str] = {f.name: f"WB_INGEST_{f.name.upper()}" for f in fields(Limits)}

_SIZES = {"": 1, "b": 1, "k": KiB, "kb": 1000, "kib": KiB, "m": MiB, "mb": 1000**2, "mib": MiB,
          "g": GiB, "gb": 1000**3, "gib": GiB, "t": 1 << 40, "tb": 1000**4, "tib": 1 << 40}
_NUMBER = re.compile(r"^\s*([0-9][0-9_,]{0,30})\s*([A-Za-z]{0,3})\s*$")


def _parse(name: str, text: str) -> int:
    m = _NUMBER.match(text[:64])
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _SIZES:
        raise ValueError(f"the environment variable {ENV[name]}={text!r} is not a number of {_what(name)} "
                         "(e.g. 2000000, 512MiB or 8GB)")
    return int(m.group(1).replace("_", "").replace(",", "")) * _SIZES[unit]


def _what(name: str) -> str:
    return {"max_ratio": "times", "max_depth": "levels", "max_records": "records"}.get(name, "bytes")


def resolve_limits(limits: Limits | Mapping[str, Any] | None = None,
                   environ: Mapping[str, str] | None = None) -> Limits:
    """The limits of a read: the defaults, then the environment variables, then ``limits``.

    Parameters
    ----------
    limits : Limits or mapping, optional
        Limits to use, or a mapping of some of them (``{"max_ratio": 10_000}``).
    environ : mapping, optional
        The environment to read (default: ``os.environ``).

    Returns
    -------
    Limits

    Examples
    --------
    >>> resolve_limits({"max_line": 1024}, environ={"WB_INGEST_MAX_DEPTH": "64"})
    Limits(max_bytes=17179869184, max_ratio=1000, max_document=1073741824, max_line=1024, max_depth=64, max_member=1073741824, max_records=20000000)
    >>> resolve_limits(environ={"WB_INGEST_MAX_BYTES": "2GiB"}).max_bytes
    2147483648
    """
    env = os.environ if environ is None else environ
    given = {n: _parse(n, env[v]) for n, v in ENV.items() if env.get(v, "").strip()}
    base = replace(DEFAULT_LIMITS, **given)
    if limits is None:
        return base
    if isinstance(limits, Limits):
        return limits
    if not isinstance(limits, Mapping):
        raise TypeError(f"limits must be a Limits or a mapping such as {{'max_ratio': 10000}}, "
                        f"not {type(limits).__name__}")
    unknown = sorted(set(limits) - set(ENV))
    if unknown:
        raise ValueError(f"unknown limit(s) {unknown}; the limits are {list(ENV)}")
    return replace(base, **dict(limits))


def size_text(n: int) -> str:
    """A byte count as people read it.

    Examples
    --------
    >>> size_text(64 * 1024**2), size_text(1536), size_text(12)
    ('64 MiB', '1.5 KiB', '12 bytes')
    """
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


class LimitError(IngestError):
    """A file (or a line, a record, a zip member) passed one of the ingest limits.

    ``limit`` is the limit's name (``max_ratio``, ...) and ``value`` its value; the
    message says how to raise it.
    """

    def __init__(self, message: str, *, limit: str, value: int, path: Any = None, line: int | None = None,
                 record: Any = None, field: str | None = None):
        self.limit, self.value = limit, value
        super().__init__(f"{message} {how_to_raise(limit, value)}", path=path, line=line, record=record,
                         field=field)


def how_to_raise(limit: str, value: int) -> str:
    """The sentence that names a limit and how to raise it.

    Examples
    --------
    >>> how_to_raise("max_ratio", 1000)
    "(limit max_ratio=1000). If the file is genuine, raise the limit: load_threads(..., limits={'max_ratio': 10000}) or the environment variable WB_INGEST_MAX_RATIO=10000."
    """
    shown = size_text(value) if _what(limit) == "bytes" else f"{value}"
    bigger = value * 10
    return (f"(limit {limit}={shown}). If the file is genuine, raise the "
            f"limit: load_threads(..., limits={{{limit!r}: {bigger}}}) or the environment variable "
            f"{ENV[limit]}={bigger}.")
