"""Tables: CSV, TSV, JSON lines, XLSX and Parquet, with a column mapping.

The mapping names, for each field of the units table, the column that holds it::

    columns={"id": "comment_id", "parent": "reply_to", "author": "user",
             "text": "comment", "time": "date", "thread": "page"}

Fields left out are looked up by common names (``id``, ``parent_id``, ``body``,
``created_at``, ...; case-insensitive). ``text`` is required; without ``id`` the
row number is used; without ``thread`` the whole file is one thread. Optional
fields: ``kind``, ``status`` (one of :data:`workbench.corpus.STATUSES`) and
``title``. Ids get the prefix ``id_prefix`` so that two spreadsheets numbering their rows
1, 2, 3 do not collide in one project: by default ``table:<hash>:``, a checksum prefix of
the file's bytes (never its name, which may name a person), so re-importing the same
file gives the same ids; pass ``id_prefix=`` to keep ids across edited versions of one
table. Cells are plain text; ``html=True`` converts HTML cells to text. CSV, TSV and
JSON lines are streamed. A quoted CSV field left open at the end of the file (the rest
of the file swallowed into one field) is found and reported with its line, and that
record is left out.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from ..corpus import STATUSES, as_id
from ._common import AUTO_KIND, Context, html_to_text, normalise_whitespace, parsed_lines
from .limits import RATIO_FLOOR, how_to_raise, size_text

__all__ = ["read_csv", "read_tsv", "read_jsonl", "read_xlsx", "read_parquet", "FIELDS", "ALIASES"]

#: The fields a column mapping may name.
FIELDS: tuple[str, ...] = ("id", "parent", "author", "text", "time", "thread", "kind", "status", "title")

#: Column names tried, in order, for a field the mapping leaves out.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "unit_id", "comment_id", "post_id", "message_id", "tweet_id", "status_id"),
    "parent": ("parent", "parent_id", "in_reply_to", "in_reply_to_id", "reply_to", "replied_to"),
    "author": ("author", "user", "username", "user_name", "screen_name", "name", "handle"),
    "text": ("text", "body", "content", "message", "comment", "comment_text", "full_text"),
    "time": ("time", "posted_at", "created_at", "created_utc", "timestamp", "date", "datetime"),
    "thread": ("thread", "thread_id", "conversation_id", "link_id", "discussion", "page"),
    "kind": ("kind", "type"),
    "status": ("status",),
    "title": ("title", "thread_title"),
}


def _mapping(ctx: Context, header: Sequence[str | None], columns: Mapping[str, str] | None, line: int | None
             ) -> dict[str, str]:
    if columns is not None and not isinstance(columns, Mapping):
        raise TypeError(f"columns must be a mapping of field -> column name, not {type(columns).__name__}")
    columns = dict(columns or {})
    bad = sorted(set(columns) - set(FIELDS))
    if bad:
        raise ValueError(f"columns names unknown field(s) {bad}; valid fields: {list(FIELDS)}")
    found = {str(h): str(h) for h in header if h is not None}
    lower = {h.strip().lower(): h for h in found}
    out: dict[str, str] = {}
    for field, col in columns.items():
        if col not in found:
            raise ctx.error(
                f"the column {col!r} given for {field!r} is not in the file; its columns are {list(found)}",
                line=line, field=field,
            )
        out[field] = col
    for field in FIELDS:
        if field in out:
            continue
        for alias in ALIASES[field]:
            if alias in lower and lower[alias] not in out.values():
                out[field] = lower[alias]
                break
    if "text" not in out:
        raise ctx.error(
            f"no text column: expected one of {list(ALIASES['text'])}, or name it with "
            f"columns={{'text': ...}}; the file's columns are {list(found)}",
            line=line, field="text",
        )
    return out


def _frame(ctx: Context, header: Sequence[str | None], rows: Iterable[tuple[int, Any]], columns: Mapping[str, str] | None,
           id_prefix: str | None, html: bool, header_line: int | None, as_dicts: bool = False) -> pd.DataFrame:
    prefix = f"table:{ctx.source_key()[:10]}:" if id_prefix is None else id_prefix
    cols = _mapping(ctx, header, columns, header_line)
    idx = {h: i for i, h in enumerate(header)}
    get = {f: (lambda r, c=c: r.get(c)) if as_dicts else (lambda r, i=idx[c]: r[i] if i < len(r) else None)
           for f, c in cols.items()}
    default_thread = f"{prefix}thread" if "thread" not in cols else None
    out: dict[str, list[Any]] = {k: [] for k in ("unit_id", "thread_id", "parent_id", "author", "posted_at",
                                                 "text", "kind", "status", "title")}
    raw_time: list[Any] = []
    lines: list[int] = []
    for k, (n, row) in enumerate(rows, start=1):
        ctx.count_records(k)
        if as_dicts and not isinstance(row, dict):
            ctx.problem(f"a JSON {type(row).__name__}, expected an object", line=n)
            continue
        text = get["text"](row)
        if text is None or (isinstance(text, float) and math.isnan(text)):
            present = (cols["text"] in row) if as_dicts else (idx[cols["text"]] < len(row))
            if present:
                text = ""
            else:
                ctx.problem(f"no value in the text column {cols['text']!r}", line=n, field="text")
                continue
        uid = as_id(get["id"](row)) if "id" in get else f"row{n}"
        if uid is None:
            ctx.problem(f"no value in the id column {cols['id']!r}; expected a non-empty id", line=n, field="id")
            continue
        text = str(text)
        text = html_to_text(text) if html else normalise_whitespace(text)
        parent = as_id(get["parent"](row)) if "parent" in get else None
        thread = as_id(get["thread"](row)) if "thread" in get else None
        status = str(get["status"](row) or "ok").strip().lower() if "status" in get else "ok"
        if status not in STATUSES:
            ctx.note(f"unknown status {status!r}, expected one of {list(STATUSES)}; kept as 'ok'", line=n,
                     field="status")
            status = "ok"
        kind = get["kind"](row) if "kind" in get else None
        title = get["title"](row) if "title" in get else None
        author = get["author"](row) if "author" in get else None
        out["unit_id"].append(prefix + uid)
        out["thread_id"].append(prefix + thread if thread is not None else (default_thread or f"{prefix}{uid}"))
        out["parent_id"].append(prefix + parent if parent not in (None, "0") else None)
        out["author"].append("" if author is None or author != author else str(author))
        raw_time.append(get["time"](row) if "time" in get else None)
        out["text"].append(text)
        out["kind"].append(str(kind) if kind not in (None, "") and kind == kind else AUTO_KIND)
        out["status"].append(status)
        out["title"].append(str(title) if title not in (None, "") and title == title else None)
        lines.append(n)
    out["posted_at"] = _times(ctx, raw_time, lines, cols.get("time"))
    frame = pd.DataFrame(out)
    if frame["title"].isna().all():
        frame = frame.drop(columns="title")
    frame["_line"] = lines  # each row's line, for the report (not a units column)
    return frame




def _times(ctx: Context, raw: list[Any], lines: list[int], col: str | None) -> pd.Series:
    if not raw or col is None:
        return pd.Series(pd.NaT, index=range(len(raw)), dtype="datetime64[ns, UTC]")
    s = pd.Series(raw, dtype=object)
    numeric = pd.to_numeric(s, errors="coerce")
    if numeric.notna().sum() == s.notna().sum() and numeric.notna().any():
        unit = "ms" if numeric.abs().max() > 1e11 else "s"
        parsed = pd.to_datetime(numeric, unit=unit, utc=True, errors="coerce")
    else:
        parsed = pd.to_datetime(s.astype("string"), utc=True, errors="coerce", format="mixed")
    bad = parsed.isna() & s.notna() & (s.astype("string").str.strip() != "")
    for i in bad[bad].index[:20]:
        ctx.note(f"unreadable time {raw[i]!r} in column {col!r}; kept without a time", line=lines[i], field="time")
    if bad.sum() > 20:
        ctx.note(f"... and {int(bad.sum()) - 20} more unreadable times", field="time")
    return parsed


# --------------------------------------------------------------------------- readers
class _Lines:
    """The file's lines for the csv reader, remembering whether they ran out (an open quote at the end)."""

    def __init__(self, ctx: Context):
        self.lines = ctx.iter_lines(desc="Reading")
        self.done = False
        self.last = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            n, text = next(self.lines)
        except StopIteration:
            self.done = True
            raise
        self.last = n
        return text


def _delimited(ctx: Context, delimiter: str, columns, id_prefix, html) -> pd.DataFrame:
    lines = _Lines(ctx)
    old = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1, ctx.limits.max_line))
    try:
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise ctx.error("the file is empty; expected a header row naming the columns", line=1) from None
        except csv.Error as exc:
            raise ctx.error(f"unreadable header row ({exc})", line=1) from None
        header = [h.strip() for h in header]

        def rows() -> Iterator[tuple[int, list[str | None]]]:
            record = 0
            while True:
                start = reader.line_num + 1
                ran_out = lines.done
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    if "field larger than field limit" in str(exc):
                        _swallowed(ctx, start, lines.last, record + 1, str(exc))
                        return
                    ctx.problem(f"unreadable row ({exc}); expected {len(header)} {delimiter!r}-separated fields",
                                line=reader.line_num)
                    continue
                record += 1
                if lines.done and not ran_out:  # the row ended because the file did: a quote never closed
                    opened = start + sum(c.count("\n") for c in row[:-1])
                    _open_quote(ctx, opened, lines.last, record)
                    return
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(header):
                    ctx.note(f"{len(row)} fields where the header has {len(header)}", line=reader.line_num)
                yield reader.line_num, [c if c != "" else None for c in row]

        return _frame(ctx, header, rows(), columns, id_prefix, html, header_line=1)
    finally:
        csv.field_size_limit(old)


def _open_quote(ctx: Context, line: int, last: int, record: int) -> None:
    ctx.problem(f"a quoted field opens on line {line} and is never closed, so the rest of the file (lines "
                f"{line}-{last}) ran into it: the file is truncated or has a stray '\"'. That record was left out; "
                "the records before it were read. Close the quote (or re-export the table) and import it again",
                line=line, record=record, kind="truncated")


def _swallowed(ctx: Context, line: int, last: int, record: int, why: str) -> None:
    ctx.problem(f"a field from line {line} runs past line {last} and is longer than a line may be ({why}): "
                f"probably a quote that is never closed. The rest of the file was not read; the records before "
                f"it were. {how_to_raise('max_line', ctx.limits.max_line)}", line=line, record=record,
                kind="truncated")


def read_csv(ctx: Context, *, columns: Mapping[str, str] | None = None, id_prefix: str | None = None,
             html: bool = False, delimiter: str = ",") -> pd.DataFrame:
    """Read a CSV table (streamed); see the module docstring for ``columns``."""
    return _delimited(ctx, delimiter, columns, id_prefix, html)


def read_tsv(ctx: Context, *, columns: Mapping[str, str] | None = None, id_prefix: str | None = None,
             html: bool = False) -> pd.DataFrame:
    """Read a tab-separated table (streamed)."""
    return _delimited(ctx, "\t", columns, id_prefix, html)


def read_jsonl(ctx: Context, *, columns: Mapping[str, str] | None = None, id_prefix: str | None = None,
               html: bool = False) -> pd.DataFrame:
    """Read JSON lines, one object per line (streamed); the first object's keys name the columns."""
    header: list[str] | None = None
    pending: list[tuple[int, Any]] = []
    keys: dict[str, None] = {}

    gen = parsed_lines(ctx)
    for n, rec in gen:  # the header: keys of the first few objects
        pending.append((n, rec))
        if isinstance(rec, dict):
            keys.update(dict.fromkeys(rec))
        if len(pending) >= 100:
            break
    header = list(keys)
    if not header:
        raise ctx.error("no JSON objects found; expected one object per line")

    def rows() -> Iterator[tuple[int, Any]]:
        yield from pending
        yield from gen

    return _frame(ctx, header, rows(), columns, id_prefix, html, header_line=None, as_dicts=True)


def _check_zip(ctx: Context) -> None:
    """Refuse an ``.xlsx`` whose members would inflate past ``max_member`` or ``max_ratio`` (a zip bomb).

    The sizes a zip declares bound what :mod:`zipfile` will inflate (it stops at the
    declared size and checks the CRC), so they are checked before openpyxl opens a member.
    """
    import zipfile

    limits = ctx.limits
    try:
        with zipfile.ZipFile(ctx.path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ctx.error(f"is not a readable .xlsx workbook ({exc})") from None
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > limits.max_member:
            raise ctx.limit_error(f"its member {info.filename!r} inflates to {size_text(info.file_size)}, more "
                                  "than one member of a workbook may", "max_member")
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(1, info.compress_size):
            raise ctx.limit_error(f"its member {info.filename!r} inflates {info.file_size // max(1, info.compress_size):,} "
                                  f"times ({size_text(info.compress_size)} to {size_text(info.file_size)}): refused "
                                  "as a likely zip bomb", "max_ratio")
    if total > limits.max_bytes:
        raise ctx.limit_error(f"inflates to {size_text(total)} in all; refused", "max_bytes")


#: The last row of an Excel sheet: a row number past it is not a real sheet's.
_EXCEL_ROWS = 1_048_576


def read_xlsx(ctx: Context, *, columns: Mapping[str, str] | None = None, id_prefix: str | None = None,
              html: bool = False, sheet: str | int = 0) -> pd.DataFrame:
    """Read an Excel workbook: the first row of ``sheet`` names the columns.

    The workbook is a zip file: its members' sizes are checked against the limits
    before it is opened, and the sheet is read as stored (not as wide as its declared
    dimensions claim).
    """
    import zipfile

    from openpyxl import load_workbook

    _check_zip(ctx)
    try:
        wb = load_workbook(ctx.path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ctx.error(f"is not a readable .xlsx workbook ({exc})") from None
    try:
        names = wb.sheetnames
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise ValueError(f"sheet {sheet} does not exist; the workbook has sheets {names}")
            ws = wb[names[sheet]]
        else:
            if sheet not in names:
                raise ValueError(f"no sheet {sheet!r}; the workbook has sheets {names}")
            ws = wb[sheet]
        ws.reset_dimensions()  # a sheet's declared size may lie ("A1:XFD1048576"): read what is there
        try:
            first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), None)
        except (KeyError, ValueError, TypeError) as exc:
            raise ctx.error(f"the sheet cannot be read ({exc})", line=1) from None
        if first is None:
            raise ctx.error("the sheet is empty; expected a header row", line=1)
        header = [str(h).strip() if h is not None else None for h in first]
        while header and header[-1] is None:
            header.pop()
        width = max(1, len(header))
        it = ws.iter_rows(min_row=2, max_row=_EXCEL_ROWS, max_col=width, values_only=True)
        big = 2**53

        def rows() -> Iterator[tuple[int, tuple]]:
            for n, row in enumerate(it, start=2):
                ctx.count_records(n)
                if row is None or all(c is None or str(c).strip() == "" for c in row):
                    continue
                for c in row:
                    if isinstance(c, (int, float)) and not isinstance(c, bool) and abs(c) > big:
                        ctx.note(f"the number {c!r} is too large for Excel to store exactly; if it is an id, "
                                 "format the column as text in the spreadsheet", line=n)
                yield n, row

        try:
            return _frame(ctx, header, rows(), columns, id_prefix, html, header_line=1)
        except (zipfile.BadZipFile, KeyError, OSError, TypeError) as exc:
            raise ctx.error(f"the sheet cannot be read ({exc})") from None
    finally:
        wb.close()


def read_parquet(ctx: Context, *, columns: Mapping[str, str] | None = None, id_prefix: str | None = None,
                 html: bool = False) -> pd.DataFrame:
    """Read a Parquet table in record batches."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(ctx.path)
    except (pa.ArrowException, OSError) as exc:
        raise ctx.error(f"is not a readable Parquet file ({exc})") from None
    meta = pf.metadata
    ctx.count_records(meta.num_rows)
    inflated = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if inflated > ctx.limits.max_bytes:
        raise ctx.limit_error(f"declares {size_text(inflated)} of data; refused", "max_bytes")
    if inflated > RATIO_FLOOR and inflated > ctx.limits.max_ratio * max(1, ctx.size):
        raise ctx.limit_error(f"declares {size_text(inflated)} of data in {size_text(ctx.size)}: refused as a likely "
                              "decompression bomb", "max_ratio")
    header = list(pf.schema_arrow.names)

    def rows() -> Iterator[tuple[int, dict]]:
        n = 0
        try:
            for batch in pf.iter_batches(batch_size=65_536):
                for rec in batch.to_pylist():
                    n += 1
                    yield n, rec
        except (pa.ArrowException, OSError) as exc:  # a corrupt page, a size that cannot be allocated
            raise ctx.error(f"is not a readable Parquet file ({exc})", record=n + 1) from None

    frame = _frame(ctx, header, rows(), columns, id_prefix, html, header_line=None, as_dicts=True)
    return frame
