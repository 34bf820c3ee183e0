"""Tables: CSV, TSV, JSON lines, XLSX and Parquet, with a column mapping.

The mapping names, for each field of the units table, the column that holds it::

    columns={"id": "comment_id", "parent": "reply_to", "author": "user",
             "text": "comment", "time": "date", "thread": "page"}

Fields left out are looked up by common names (``id``, ``parent_id``, ``body``,
``created_at``, ...; case-insensitive). ``text`` is required; without ``id`` the
row number is used; without ``thread`` the whole file is one thread. Optional
fields: ``kind``, ``status`` (one of :data:`workbench.corpus.STATUSES`) and
``title``. Ids get the prefix ``id_prefix`` (default ``<file stem>:``) so that two
spreadsheets numbering their rows 1, 2, 3 do not collide in one project. Cells are
plain text; ``html=True`` converts HTML cells to text. CSV, TSV and JSON lines are
streamed.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from ..corpus import STATUSES, as_id
from ._common import AUTO_KIND, Context, html_to_text, normalise_whitespace, parsed_lines, slug

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
    prefix = f"{slug(ctx.path.stem)}:" if id_prefix is None else id_prefix
    cols = _mapping(ctx, header, columns, header_line)
    idx = {h: i for i, h in enumerate(header)}
    get = {f: (lambda r, c=c: r.get(c)) if as_dicts else (lambda r, i=idx[c]: r[i] if i < len(r) else None)
           for f, c in cols.items()}
    default_thread = f"{prefix}{slug(ctx.path.stem)}" if "thread" not in cols else None
    out: dict[str, list[Any]] = {k: [] for k in ("unit_id", "thread_id", "parent_id", "author", "posted_at",
                                                 "text", "kind", "status", "title")}
    raw_time: list[Any] = []
    lines: list[int] = []
    for n, row in rows:
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
def _delimited(ctx: Context, delimiter: str, columns, id_prefix, html) -> pd.DataFrame:
    lines = (text for _, text in ctx.iter_lines(desc="Reading"))
    old = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
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
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    ctx.problem(f"unreadable row ({exc}); expected {len(header)} {delimiter!r}-separated fields",
                                line=reader.line_num)
                    continue
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(header):
                    ctx.note(f"{len(row)} fields where the header has {len(header)}", line=reader.line_num)
                yield reader.line_num, [c if c != "" else None for c in row]

        return _frame(ctx, header, rows(), columns, id_prefix, html, header_line=1)
    finally:
        csv.field_size_limit(old)


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


def read_xlsx(ctx: Context, *, columns: Mapping[str, str] | None = None, id_prefix: str | None = None,
              html: bool = False, sheet: str | int = 0) -> pd.DataFrame:
    """Read an Excel workbook: the first row of ``sheet`` names the columns."""
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(ctx.path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
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
        it = ws.iter_rows(values_only=True)
        try:
            header = [str(h).strip() if h is not None else None for h in next(it)]
        except StopIteration:
            raise ctx.error("the sheet is empty; expected a header row", line=1) from None
        big = 2**53

        def rows() -> Iterator[tuple[int, tuple]]:
            for n, row in enumerate(it, start=2):
                if row is None or all(c is None or str(c).strip() == "" for c in row):
                    continue
                for c in row:
                    if isinstance(c, (int, float)) and not isinstance(c, bool) and abs(c) > big:
                        ctx.note(f"the number {c!r} is too large for Excel to store exactly; if it is an id, "
                                 "format the column as text in the spreadsheet", line=n)
                yield n, row

        return _frame(ctx, header, rows(), columns, id_prefix, html, header_line=1)
    finally:
        wb.close()


def read_parquet(ctx: Context, *, columns: Mapping[str, str] | None = None, id_prefix: str | None = None,
                 html: bool = False) -> pd.DataFrame:
    """Read a Parquet table in record batches."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(ctx.path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ctx.error(f"is not a readable Parquet file ({exc})") from None
    header = list(pf.schema_arrow.names)

    def rows() -> Iterator[tuple[int, dict]]:
        n = 0
        for batch in pf.iter_batches(batch_size=65_536):
            for rec in batch.to_pylist():
                n += 1
                yield n, rec

    frame = _frame(ctx, header, rows(), columns, id_prefix, html, header_line=None, as_dicts=True)
    return frame
