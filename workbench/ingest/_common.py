"""Shared machinery of the ingesters: reading bytes, decoding, HTML to text, reports.

Private: the public entry point is :func:`workbench.ingest.load_threads`.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import IngestError
from ._json import loads, too_deep
from ._stream import ZstdFrames, bom_encoding, bounded_lines, open_stream, position
from ._text import html_to_text, normalise_whitespace, slug, unescape_once
from .limits import LimitError, Limits, how_to_raise, resolve_limits, size_text

__all__ = [
    "IngestWarning",
    "Context",
    "REPORT_KINDS",
    "STRUCTURES",
    "html_to_text",
    "normalise_whitespace",
    "unescape_once",
    "slug",
    "to_utc",
    "epoch_to_utc",
    "parse_xml",
    "local_name",
    "load_json",
    "parsed_lines",
    "deep",
    "name_key",
]

#: Statuses that mean "kind is derived from depth after the tree is built".
AUTO_KIND = "_auto"


class IngestWarning(UserWarning):
    """A thread file was read, but not exactly as written (skipped records, encoding fallback)."""


# --------------------------------------------------------------------------- context
#: Kinds of report entries, counted in ``units.attrs["counts"]`` and by ``workbench import``.
REPORT_KINDS = ("record", "duplicate", "orphan", "empty", "missing", "chrome", "structure", "encoding", "control",
                "limit", "truncated", "note")
#: At most this many report entries of one kind are listed; the rest are counted.
MAX_LISTED = 200

#: How a thread's reply structure was read (``units.attrs["source"]["structure"]``).
STRUCTURES = ("native", "inferred", "none")


class Context:
    """What a reader needs: the file, the format, strictness, and the problem report.

    Readers call :meth:`problem` for every bad record. In strict mode that raises
    :class:`~workbench.errors.IngestError`; otherwise the problem is recorded in
    ``report`` (later ``units.attrs["report"]``) and the record is skipped. Readers
    also say how they read the file: ``platform`` (``"wordpress"``, ``"reddit"``, ...)
    and ``structure`` (one of :data:`STRUCTURES`); ``recognised`` is False when a
    sniffed text showed no thread structure at all.
    """

    def __init__(self, path: Path, format: str, *, strict: bool = False, progress: bool | None = None,
                 encoding: str | None = None, sniffed: bool = False, name: str | None = None,
                 limits: Limits | None = None):
        self.path = path  # the file to open (a symbolic link resolved)
        self.name = name or path.name  # the file as it was named, for messages
        self.suffix = Path(self.name).suffix.lower()
        self.format = format
        self.strict = strict
        self.progress = progress
        self.encoding = encoding
        self.sniffed = sniffed
        self.limits = limits or resolve_limits()
        self.report: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.skipped = 0
        self.platform: str | None = None
        self.structure: str | None = None
        self.recognised = True
        self.confidence: float | None = None
        self.digest: str | None = None  # the sha256 of the file, when a reader hashed it on the way
        self._size: int | None = None

    # -- problems ------------------------------------------------------------------
    def _add(self, kind: str, message: str, line: Any, record: Any, field: str | None, skipped: bool) -> None:
        self.counts[kind] += 1
        if self.counts[kind] > MAX_LISTED:
            return
        self.report.append(
            {"file": self.name, "line": line, "record": record, "field": field,
             "message": message, "skipped": skipped, "kind": kind}
        )

    def problem(self, message: str, *, line: int | None = None, record: Any = None,
                field: str | None = None, skipped: bool = True, kind: str = "record") -> None:
        """Record (or, when strict, raise) a problem with one record of the file."""
        if self.strict:
            raise IngestError(message, path=self.name, line=line, record=record, field=field)
        self._add(kind, message, line, record, field, skipped)
        if skipped:
            self.skipped += 1

    def note(self, message: str, *, line: int | None = None, record: Any = None,
             field: str | None = None, kind: str = "note") -> None:
        """Record something the reader changed without skipping a record (never raises)."""
        self._add(kind, message, line, record, field, False)

    def finish_report(self) -> None:
        """Add one line per kind whose entries were too many to list."""
        for kind, n in sorted(self.counts.items()):
            if n > MAX_LISTED:
                self.report.append(
                    {"file": self.name, "line": None, "record": None, "field": None,
                     "message": f"... and {n - MAX_LISTED} more of this kind ({kind}), counted but not listed",
                     "skipped": False, "kind": kind}
                )

    def error(self, message: str, *, line: int | None = None, record: Any = None,
              field: str | None = None) -> IngestError:
        """An error that stops the import whatever ``strict`` says (nothing readable)."""
        return IngestError(message, path=self.name, line=line, record=record, field=field)

    def read_as(self, platform: str | None, structure: str, *, confidence: float | None = None) -> None:
        """Say how the file was read: the platform and the structure (native, inferred, none)."""
        if structure not in STRUCTURES:
            raise ValueError(f"structure must be one of {STRUCTURES}, not {structure!r}")
        self.platform, self.structure, self.confidence = platform, structure, confidence

    # -- bytes and text ------------------------------------------------------------
    @property
    def size(self) -> int:
        if self._size is None:
            self._size = self.path.stat().st_size
        return self._size

    def source_key(self) -> str:
        """The sha256 hex digest of the file's bytes (read once; ``digest`` keeps it)."""
        if self.digest is None:
            self.digest = checksum(self.path)
        return self.digest

    def limit_error(self, message: str, limit: str, **where: Any) -> LimitError:
        return LimitError(message, limit=limit, value=getattr(self.limits, limit), path=self.name, **where)

    def read_bytes(self) -> bytes:
        """The whole file (a format read whole), within ``max_document``."""
        if self.size > self.limits.max_document:
            raise self.limit_error(f"is {size_text(self.size)}, more than a file read whole may be "
                                   f"({self.format} files are read whole)", "max_document")
        data = self.path.read_bytes()
        self.digest = self.digest or hashlib.sha256(data).hexdigest()
        return data

    def read_text(self) -> str:
        """The whole file as text: UTF-8, UTF-16 or UTF-32 with a byte-order mark, else cp1252 line by line."""
        return self.decode(self.read_bytes())

    def decode(self, data: bytes, *, first_line: int = 1) -> str:
        if self.encoding:
            try:
                return data.decode(self.encoding)
            except (UnicodeDecodeError, LookupError) as exc:
                raise self.error(f"cannot decode the file as {self.encoding!r}: {exc}",
                                 field="encoding") from None
        bom = bom_encoding(data[:4])
        if bom is not None and bom != "utf-8-sig":
            try:
                return data.decode(bom)
            except UnicodeDecodeError as exc:
                raise self.error(f"starts with a {bom.upper()} byte-order mark but is not {bom.upper()} "
                                 f"({exc.reason} at byte {exc.start:,}); pass encoding=...", field="encoding") from None
        if bom == "utf-8-sig":
            data = data[len(codecs.BOM_UTF8):]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        out, fallback = [], []
        for i, raw in enumerate(data.split(b"\n")):
            text, used = decode_line(raw)
            if used:
                fallback.append(first_line + i)
            out.append(text)
        self.encoding_fallback(fallback)
        return "\n".join(out)

    def encoding_fallback(self, lines: list[int]) -> None:
        if not lines:
            return
        shown = ", ".join(map(str, lines[:10])) + (" ..." if len(lines) > 10 else "")
        msg = (f"{self.name} is not valid UTF-8: {len(lines)} line(s) ({shown}) were read as "
               "cp1252 (Windows Western); check accented letters and quotes in those lines, "
               "or pass encoding=... to load_threads")
        warnings.warn(msg, IngestWarning, stacklevel=4)
        self.note(msg, line=lines[0], field="encoding", kind="encoding")

    def open_stream(self) -> tuple[io.BufferedReader, ZstdFrames | None]:
        """The file's bytes as a stream (a ``.zst`` decompressed, within the limits) and its zstd frames."""
        return open_stream(self.path, self.name, self.suffix == ".zst", self.limits)

    def truncated(self, frames: ZstdFrames | None, line: int | None) -> None:
        """Report a ``.zst`` whose last frame was cut short (after its readable part was read)."""
        if frames is not None and not frames.complete:
            self.problem(f"the file is truncated: its compressed data stops in the middle of a zstd frame (at "
                         f"byte {frames.end:,} of {self.size:,}); what came before the cut was read, the rest is "
                         "lost (download or copy the file again)", line=line, kind="truncated")

    def long_line(self, n: int) -> None:
        """Report (or, when strict, raise) a line longer than ``max_line``, which was skipped."""
        message = f"a line longer than {size_text(self.limits.max_line)}; it was skipped"
        if self.strict:
            raise self.limit_error(message, "max_line", line=n)
        self._add("limit", f"{message} {how_to_raise('max_line', self.limits.max_line)}", n, None, None, True)
        self.skipped += 1

    def count_records(self, n: int) -> None:
        """Refuse a file with more than ``max_records`` records (checked as they are read)."""
        if n > self.limits.max_records:
            raise self.limit_error(f"has more than {self.limits.max_records:,} records", "max_records")

    def iter_lines(self, desc: str = "Reading") -> Iterator[tuple[int, str]]:
        """Stream the file as (line number, text) pairs, decoding line by line, within the limits.

        A line longer than ``max_line`` is skipped and reported; a ``.zst`` cut short is
        reported after its readable lines.
        """
        bar = self.bar(total=self.size, desc=desc, unit="B", unit_scale=True)
        fallback: list[int] = []
        enc = self.encoding
        stream, frames = self.open_stream()
        n = 0
        with stream:
            head = stream.peek(4)[:4]
            bom = None if enc else bom_encoding(head)
            if bom is not None and bom != "utf-8-sig":
                source: Any = io.TextIOWrapper(stream, encoding=bom, newline="", errors="strict")
                enc = bom
            else:
                source = stream
            done = 0
            try:
                for n, raw in bounded_lines(source, self.limits.max_line):
                    if n % 4096 == 0:
                        pos = position(stream)
                        bar.update(pos - done)
                        done = pos
                    self.count_records(n)
                    if raw is None:
                        self.long_line(n)
                        continue
                    if isinstance(raw, str):
                        yield n, raw
                        continue
                    if n == 1 and raw.startswith(codecs.BOM_UTF8):
                        raw = raw[3:]
                    if enc:
                        try:
                            text = raw.decode(enc)
                        except UnicodeDecodeError as exc:
                            raise self.error(f"cannot decode the line as {enc!r}: {exc}", line=n) from None
                    else:
                        try:
                            text = raw.decode("utf-8")
                        except UnicodeDecodeError:
                            text, _ = decode_line(raw)
                            fallback.append(n)
                    yield n, text
            except UnicodeDecodeError as exc:
                raise self.error(f"is not valid {enc} after its byte-order mark ({exc.reason}); pass encoding=...",
                                 line=n + 1, field="encoding") from None
        bar.close()
        self.encoding_fallback(fallback)
        self.truncated(frames, n or None)

    def bar(self, total: int | None = None, desc: str = "", unit: str = "it", **kw):
        from tqdm.auto import tqdm

        show = self.progress if self.progress is not None else (total or 0) > 20_000_000 if unit == "B" \
            else (total or 0) > 50_000
        return tqdm(total=total, desc=f"{desc} {self.name}", unit=unit, disable=not show, leave=False, **kw)


def decode_line(raw: bytes) -> tuple[str, bool]:
    """One line as text: UTF-8, else cp1252 (bytes cp1252 leaves undefined read as Latin-1)."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), True
    except UnicodeDecodeError:
        return "".join(
            bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in raw
        ), True


def name_key(*parts: str) -> str:
    """A short key for ids from names that must not show in them (a blog's host, a forum's name).

    Examples
    --------
    >>> name_key("janedoe.wordpress.com")
    '06136befe9'
    """
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:10]


def checksum(path: Path) -> str:
    """The sha256 hex digest of the file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- time
def to_utc(value: Any, fmt: str | None = None) -> pd.Timestamp | None:
    """A time value as a UTC Timestamp; None when missing. Raises ValueError when unreadable."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return epoch_to_utc(value)
    if fmt is not None:
        dt = datetime.strptime(str(value), fmt)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return pd.Timestamp(dt).tz_convert("UTC")
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def epoch_to_utc(value: Any) -> pd.Timestamp:
    return pd.Timestamp(float(value), unit="s", tz="UTC")


# --------------------------------------------------------------------------- JSON / XML
def parsed_lines(ctx: Context, batch: int = 4096):
    """(line number, parsed JSON) for each non-blank line, streamed.

    Lines are parsed a batch at a time as one JSON array (about twice as fast as one
    ``json.loads`` per line); a batch that does not parse cleanly is parsed again line
    by line so that each bad line is reported with its number. A line nested deeper
    than ``max_depth`` is skipped and reported before it is parsed.
    """
    limit = ctx.limits.max_depth
    buf: list[str] = []
    nums: list[int] = []

    def one(n: int, line: str) -> tuple[bool, Any]:
        depth = too_deep(line, limit)
        if depth is not None:
            deep(ctx, depth, n)
            return False, None
        try:
            return True, loads(line, limit)
        except json.JSONDecodeError as exc:
            ctx.problem(f"not valid JSON ({exc.msg} at column {exc.colno}); expected one object per line "
                        "(a truncated line?)", line=n)
            return False, None

    def flush():
        if not any(line.count("{") + line.count("[") > limit for line in buf):  # none can nest too deep
            try:
                recs = loads("[" + ",".join(buf) + "]", limit + 1)
                if len(recs) == len(buf):
                    return list(zip(nums, recs))
            except json.JSONDecodeError:
                pass
        out = []
        for n, line in zip(nums, buf):
            ok, rec = one(n, line)
            if ok:
                out.append((n, rec))
        return out

    for n, line in ctx.iter_lines(desc="Reading"):
        if not line.strip():
            continue
        buf.append(line)
        nums.append(n)
        if len(buf) >= batch:
            yield from flush()
            buf, nums = [], []
    if buf:
        yield from flush()


def deep(ctx: Context, depth: int, line: int | None, record: Any = None) -> None:
    """Report (or, when strict, raise) a JSON record nested deeper than ``max_depth``; it is skipped."""
    message = f"JSON nested {depth:,} levels deep, more than a record may be; it was skipped"
    if ctx.strict:
        raise ctx.limit_error(message, "max_depth", line=line, record=record)
    ctx._add("limit", f"{message} {how_to_raise('max_depth', ctx.limits.max_depth)}", line, record, None, True)
    ctx.skipped += 1


def load_json(ctx: Context, text: str | None = None) -> Any:
    """Parse the whole file as JSON; a truncated or broken file names the line and column."""
    if text is None:
        text = ctx.read_text()
    depth = too_deep(text, ctx.limits.max_depth)
    if depth is not None:
        raise ctx.limit_error(f"is JSON nested {depth:,} levels deep, more than a thread export needs; refused",
                              "max_depth")
    try:
        return loads(text, ctx.limits.max_depth)
    except json.JSONDecodeError as exc:
        hint = ""
        if exc.pos >= len(text.rstrip()) - 1:
            hint = " The file ends early: it looks truncated (re-export or re-download it)."
        raise ctx.error(
            f"is not valid JSON: {exc.msg} at column {exc.colno}; expected one complete JSON "
            f"document as written by the {ctx.format} export.{hint}",
            line=exc.lineno,
        ) from None


def parse_xml(ctx: Context):
    """Parse XML with defusedxml, DTDs and entities forbidden; returns the root element."""
    import xml.etree.ElementTree as stdlib_et

    import defusedxml
    import defusedxml.ElementTree as DET

    data = ctx.read_bytes()
    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise ctx.error(
            "refused: the XML declares a DTD or entities (<!DOCTYPE ...>/<!ENTITY ...>), which can "
            "expand to gigabytes (an 'XML bomb') or read other files. Thread exports "
            f"(WordPress WXR, Disqus) never need one; remove the DOCTYPE if you trust the file. ({exc})"
        ) from None
    except stdlib_et.ParseError as exc:
        line = getattr(exc, "position", (None, None))[0]
        raise ctx.error(
            f"is not well-formed XML ({exc}); expected a complete {ctx.format} export "
            "(the file may be truncated or not XML)",
            line=line,
        ) from None


def local_name(tag: str) -> str:
    """The tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def child_text(elem, name: str, default: str = "") -> str:
    """Text of the first direct child with this local name (any namespace version)."""
    for child in elem:
        if local_name(child.tag) == name:
            return child.text or ""
    return default


def ns_attr(elem, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (e.g. ``dsq:id``)."""
    for key, value in elem.attrib.items():
        if local_name(key) == name:
            return value
    return None
