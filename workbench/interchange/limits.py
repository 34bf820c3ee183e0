"""Bounds on what the REFI-QDA readers accept, in one place: sizes a researcher never meets.

A ``.qdpx`` or ``.qdc`` may come from anywhere: made to hurt (a zip bomb, XML nested a
million deep) or merely broken. The readers check each limit below from the zip directory
before reading, and again while streaming (a member is never inflated whole into memory
beyond its limit), and stop with a :class:`LimitError` that names the file, the member,
the limit and how to raise it.

Each limit is raised, for one call, with the ``limits`` keyword of
:func:`~workbench.interchange.read_qdpx`, :func:`~workbench.interchange.import_qdpx` and
:func:`~workbench.interchange.read_qdc` (``limits={"max_member_bytes": 2**30}``), or for
the session with its environment variable (``WB_REFI_MAX_MEMBER_BYTES=1073741824``); the
keyword wins over the variable, the variable over the default.

========================  ==============  ==============================================
limit                     default         what it bounds
========================  ==============  ==============================================
``max_zip_members``       100,000         members of a ``.qdpx`` zip
``max_member_bytes``      256 MiB         the uncompressed size of one member
``max_total_bytes``       1 GiB           the uncompressed size of all members read
``max_ratio``             500             uncompressed / compressed size of a member larger than 1 MiB
``max_xml_bytes``         256 MiB         one XML document (``project.qde``, a ``.qdc``)
``max_xml_elements``      2,000,000       elements in one XML document
``max_xml_depth``         200             nesting of XML elements
``max_name_chars``        10,000          a name or id read from an attribute (source, unit, user)
========================  ==============  ==============================================

Examples
--------
>>> limit("max_zip_members")
100000
>>> limit("max_zip_members", {"max_zip_members": 10})
10
>>> limit("max_zip_member", {})
Traceback (most recent call last):
...
ValueError: unknown limit 'max_zip_member'; the limits are: max_zip_members, max_member_bytes, max_total_bytes, max_ratio, max_xml_bytes, max_xml_elements, max_xml_depth, max_name_chars
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import WorkbenchError, located

__all__ = ["Limit", "LIMITS", "LimitError", "limit", "resolve_limits", "check_limit"]

_MIB = 1 << 20

#: the size from which a member's compression ratio is checked (small members may compress well)
RATIO_FLOOR = _MIB


@dataclass(frozen=True)
class Limit:
    """One bound: its keyword, default, what it bounds and its unit."""

    name: str
    default: int
    what: str
    unit: str = "bytes"

    @property
    def env(self) -> str:
        """The environment variable that raises it for the session."""
        return "WB_REFI_" + self.name.upper()


#: Every limit of the REFI-QDA readers, by keyword.
LIMITS: dict[str, Limit] = {
    lim.name: lim
    for lim in (
        Limit("max_zip_members", 100_000, "members in a .qdpx zip", "members"),
        Limit("max_member_bytes", 256 * _MIB, "the uncompressed size of one member of a .qdpx"),
        Limit("max_total_bytes", 1024 * _MIB, "the uncompressed size of all members read from a .qdpx"),
        Limit("max_ratio", 500, "the compression ratio of a member larger than 1 MiB", "to 1"),
        Limit("max_xml_bytes", 256 * _MIB, "the size of one XML document"),
        Limit("max_xml_elements", 2_000_000, "the number of elements in one XML document", "elements"),
        Limit("max_xml_depth", 200, "the nesting depth of XML elements", "levels"),
        Limit("max_name_chars", 10_000, "the length of a name or id read from an attribute", "characters"),
    )
}


class LimitError(WorkbenchError, ValueError):
    """A file goes beyond a limit of the readers; the message names the file, the limit and how to raise it.

    Attributes
    ----------
    limit : str
        The keyword of the limit (``"max_member_bytes"``).
    value : int
        Its value in force.
    path : str or None
        The file.
    """

    def __init__(self, message: str, *, limit: str, value: int, path: object = None):
        self.limit, self.value, self.path = limit, value, path
        lim = LIMITS[limit]
        how = (
            f"the limit {limit} is {value:,} {lim.unit} ({lim.what}); if the file is trusted, raise it with "
            f"limits={{{limit!r}: N}} or the environment variable {lim.env}=N"
        )
        super().__init__(located(f"{message}; {how}", path=path))


def _from_env(lim: Limit) -> int | None:
    raw = os.environ.get(lim.env)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise WorkbenchError(f"the environment variable {lim.env}={raw!r} must be a positive whole number ({lim.unit})")
    return value


def limit(name: str, overrides: Mapping[str, int] | None = None) -> int:
    """The value in force of one limit: the keyword's, else the environment variable's, else the default.

    Parameters
    ----------
    name : str
        A key of :data:`LIMITS`.
    overrides : mapping, optional
        Values given for this call (``limits=`` of the readers).

    Returns
    -------
    int
        The limit.
    """
    lim = LIMITS.get(name)
    if lim is None:
        raise ValueError(f"unknown limit {name!r}; the limits are: {', '.join(LIMITS)}")
    if overrides and name in overrides:
        value = overrides[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"limits[{name!r}] must be a positive whole number ({lim.unit}), not {value!r}")
        return value
    env = _from_env(lim)
    return lim.default if env is None else env


def resolve_limits(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Every limit in force for one call (unknown keywords are refused, naming the known ones).

    Examples
    --------
    >>> resolve_limits({"max_xml_depth": 50})["max_xml_depth"]
    50
    """
    if overrides is not None and not isinstance(overrides, Mapping):
        raise TypeError(f"limits must be a mapping such as {{'max_member_bytes': 2**30}}, not {type(overrides).__name__}")
    for name in overrides or {}:
        if name not in LIMITS:
            raise ValueError(f"unknown limit {name!r}; the limits are: {', '.join(LIMITS)}")
    return {name: limit(name, overrides) for name in LIMITS}


def check_limit(limits: Mapping[str, int], name: str, value: int, message: str, *, path: object = None) -> None:
    """Raise :class:`LimitError` when ``value`` is beyond the limit ``name`` (``message`` says what is)."""
    if value > limits[name]:
        raise LimitError(message, limit=name, value=limits[name], path=path)
