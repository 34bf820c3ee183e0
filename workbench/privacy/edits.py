"""Offset bookkeeping: what replacing stretches of a text does to character positions.

Every change a privacy transform makes is a :class:`TextEdit` (``text[start:end]``
became ``replacement``), so that spans of codings made on the original text can be moved
onto the new one (:func:`remap_span`, :meth:`PrivacyResult.remap_codings`). Offsets are
Python string indices (code points).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .key import PseudonymKey

__all__ = [
    "TextEdit",
    "remap_span",
    "PrivacyResult",
    "Hit",
    "REPORT_COLUMNS",
    "resolve_overlaps",
    "apply_hits",
    "report_rows",
    "report_frame",
]

#: Columns of the report of every privacy transform (one row per replacement).
REPORT_COLUMNS = [
    "unit_id",
    "column",
    "kind",
    "original",
    "replacement",
    "start",
    "end",
    "new_start",
    "new_end",
]


@dataclass(frozen=True)
class TextEdit:
    """One replacement in a text: ``text[start:end]`` became ``replacement``."""

    start: int
    end: int
    replacement: str

    @property
    def delta(self) -> int:
        """How much longer the text became (negative: shorter)."""
        return len(self.replacement) - (self.end - self.start)


def _map(edits: Sequence[TextEdit], pos: int, *, side: str) -> int:
    shift = 0
    for e in edits:
        if side == "start":
            if pos < e.start:
                break
            if pos < e.end:  # inside the replaced text: snap to the start of its replacement
                return e.start + shift
        else:
            if pos <= e.start:
                break
            if pos < e.end:  # inside: snap to the end of the replacement
                return e.start + shift + len(e.replacement)
        shift += e.delta
    return pos + shift


def remap_span(edits: Sequence[TextEdit], start: int, end: int) -> tuple[int, int]:
    """Map a character span of the original text onto the edited text.

    A span boundary that falls inside a replaced stretch widens to cover its whole
    replacement, so a coding of part of a name covers the whole pseudonym.

    Examples
    --------
    >>> edits = [TextEdit(4, 7, "P001"), TextEdit(12, 33, "[URL]")]
    >>> original = "Ask Sam via https://example.org/x now"
    >>> edited = "Ask P001 via [URL] now"
    >>> s, e = remap_span(edits, 34, 37)
    >>> original[34:37], edited[s:e]
    ('now', 'now')
    >>> s, e = remap_span(edits, 4, 6)
    >>> edited[s:e]
    'P001'
    """
    if start > end:
        raise ValueError(f"span start {start} is after its end {end}")
    return _map(edits, int(start), side="start"), _map(edits, int(end), side="end")


@dataclass(frozen=True)
class PrivacyResult:
    """What the privacy transforms return (pseudonymise, redact, apply_names).

    Unpacks as ``units, report = result``.

    Attributes
    ----------
    units : DataFrame
        A new units table (the input is left untouched).
    report : DataFrame
        One row per replacement: ``unit_id, column, kind, original, replacement, start,
        end, new_start, new_end`` (offsets into the column's old and new text; empty for
        the author column). Holds original names: review it, never publish it.
    edits : dict
        ``unit_id -> tuple of TextEdit`` on the ``text`` column (units without edits are absent).
    key : PseudonymKey or None
        The key used (:func:`pseudonymise` only).
    """

    units: pd.DataFrame
    report: pd.DataFrame
    edits: Mapping[str, tuple[TextEdit, ...]] = field(default_factory=dict)
    key: PseudonymKey | None = None

    def __iter__(self) -> Iterator[pd.DataFrame]:
        yield self.units
        yield self.report

    def remap_span(self, unit_id: str, start: int, end: int) -> tuple[int, int]:
        """A span of a unit's original text, on its new text."""
        return remap_span(self.edits.get(str(unit_id), ()), start, end)

    def remap_codings(self, codings: pd.DataFrame) -> pd.DataFrame:
        """A copy of a codings table with ``span_start`` / ``span_end`` moved onto the new texts."""
        out = codings.copy()
        if "span_start" not in out.columns or out.empty or not self.edits:
            return out
        starts = out["span_start"].astype("Int64").to_numpy(dtype=object, na_value=None)
        ends = out["span_end"].astype("Int64").to_numpy(dtype=object, na_value=None)
        new_s, new_e = list(starts), list(ends)
        for i, (uid, s, e) in enumerate(zip(out["unit_id"].astype(str), starts, ends)):
            if s is None or e is None or uid not in self.edits:
                continue
            new_s[i], new_e[i] = self.remap_span(uid, int(s), int(e))
        out["span_start"] = pd.array(new_s, dtype="Int64")
        out["span_end"] = pd.array(new_e, dtype="Int64")
        return out


@dataclass(frozen=True)
class Hit:
    """A stretch of a text to replace: ``text[start:end]`` (of ``kind``) becomes ``replacement``."""

    start: int
    end: int
    kind: str
    replacement: str


def resolve_overlaps(hits: list[Hit]) -> list[Hit]:
    """Earliest first; at one start, the longest; earlier-listed kinds win ties."""
    order = sorted(enumerate(hits), key=lambda ih: (ih[1].start, -(ih[1].end - ih[1].start), ih[0]))
    out: list[Hit] = []
    last_end = -1
    for _, h in order:
        if h.start >= last_end and h.end > h.start:
            out.append(h)
            last_end = h.end
    return out


def apply_hits(text: str, hits: list[Hit]) -> tuple[str, list[TextEdit]]:
    """The text with non-overlapping hits (in order) replaced, and the edits made."""
    parts: list[str] = []
    edits: list[TextEdit] = []
    pos = 0
    for h in hits:
        parts.append(text[pos : h.start])
        parts.append(h.replacement)
        edits.append(TextEdit(h.start, h.end, h.replacement))
        pos = h.end
    parts.append(text[pos:])
    return "".join(parts), edits


def report_rows(uid: str, column: str, text: str, hits: list[Hit]) -> list[dict[str, Any]]:
    """Report rows of the hits applied to one text (old and new offsets)."""
    rows = []
    shift = 0
    for h in hits:
        rows.append(
            {
                "unit_id": uid,
                "column": column,
                "kind": h.kind,
                "original": text[h.start : h.end],
                "replacement": h.replacement,
                "start": h.start,
                "end": h.end,
                "new_start": h.start + shift,
                "new_end": h.start + shift + len(h.replacement),
            }
        )
        shift += len(h.replacement) - (h.end - h.start)
    return rows


def report_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The report as a typed DataFrame (:data:`REPORT_COLUMNS`; offsets ``Int64``)."""
    df = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    for col in ("start", "end", "new_start", "new_end"):
        df[col] = df[col].astype("Int64")
    for col in ("unit_id", "column", "kind", "original", "replacement"):
        df[col] = df[col].astype(object)
    return df

