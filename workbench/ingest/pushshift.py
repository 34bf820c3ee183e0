"""Pushshift / Arctic-Shift NDJSON dumps of Reddit, read with Arrow and built with array operations.

One JSON object per line: comments (``body``, ``parent_id``, ``link_id``) and optionally
submissions (``title``, ``selftext``). The file is cut into blocks at line ends and each
block is parsed by ``pyarrow.json`` with a fixed schema; a block Arrow cannot type (a
``created_utc`` given as text, a truncated line) is halved until the lines that cause it
are found, and only those are parsed one by one with the standard library, converted
where they can be (reported) and skipped with their line number where they cannot. Ids,
the reply tree's parents, statuses and texts are then computed column-wise, never row by
row; only texts that need it (entities other than ``&amp; &lt; &gt;``, unusual
whitespace) pass through Python.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from ._common import AUTO_KIND, Context, deep
from ._json import loads, too_deep
from ._stream import position
from ._text import normalise_whitespace

__all__ = ["read_pushshift"]

_FIELDS = ("id", "parent_id", "link_id", "author", "body", "selftext", "title", "name")
_BLOCK = 64 << 20  # bytes read at a time from a large or compressed file
_WHOLE = 1 << 30  # a plain file up to this size is read and parsed in one go
_SMALL = 64  # lines: below this a failing piece is parsed line by line
#: Text normalise_whitespace would change: Python's whitespace other than one space between words.
_MESSY = (r"[\t\n\x0b\x0c\r\x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}"
          r"\x{3000}]|  |^ | $")


def _schema(meta: bool = True):
    import pyarrow as pa

    fields = [(f, pa.string()) for f in _FIELDS] + [("created_utc", pa.float64())]
    if meta:  # Arctic-Shift's _meta.removal_type; parsing it costs, so only where the file has it
        fields.append(("_meta", pa.struct([("removal_type", pa.string())])))
    return pa.schema(fields)


def _chunks(ctx: Context) -> Iterator[tuple[bytes, int]]:
    """The file's bytes in blocks that end at a line end, with the number of each block's first line.

    A ``.zst`` is decompressed on the way, within the limits (a frame cut short is
    reported at the end). A plain file up to :data:`_WHOLE` bytes is one block, read
    once and hashed on the way (``ctx.digest``), so that the checksum does not read it
    again. A line longer than ``max_line`` is skipped and reported without being held.
    """
    if ctx.suffix != ".zst" and ctx.size <= _WHOLE:
        data = ctx.path.read_bytes()
        ctx.digest = hashlib.sha256(data).hexdigest()
        if data and not data.endswith(b"\n"):
            data += b"\n"
        yield data, 1
        return
    bar = ctx.bar(total=ctx.size, desc="Reading", unit="B", unit_scale=True)
    max_line = ctx.limits.max_line
    stream, frames = ctx.open_stream()
    line = 1  # the number of the next line to start
    with stream:
        rest = b""
        done = 0
        skipping = False  # inside a line too long to keep
        while True:
            data = stream.read(_BLOCK)
            pos = position(stream)
            bar.update(pos - done)
            done = pos
            if not data:
                break
            if skipping:
                cut = data.find(b"\n")
                if cut < 0:
                    continue
                data, skipping, line = data[cut + 1:], False, line + 1
            data = rest + data
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                yield data[:cut], line
                line += data.count(b"\n", 0, cut)
            if len(rest) > max_line:
                ctx.long_line(line)
                rest, skipping = b"", True
        if rest.strip() and not skipping:
            yield rest + b"\n", line
            line += 1
    bar.close()
    ctx.truncated(frames, line - 1 if line > 1 else None)


def _line_numbers(chunk: bytes, first: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(line number, start, end) of each line of the chunk that is not blank (Arrow skips blank lines)."""
    buf = np.frombuffer(chunk, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], nl + 1))[: len(nl)]
    ends = nl
    keep = (ends - starts) > 0
    short = np.flatnonzero(keep & ((ends - starts) < 16))
    for i in short:  # a line of a few spaces is blank too; a longer one is found if Arrow disagrees
        if not chunk[starts[i]: ends[i]].strip():
            keep[i] = False
    return first + np.flatnonzero(keep), starts[keep], ends[keep]


def _arrow(data: bytes):
    import pyarrow.json as pj

    return pj.read_json(io.BytesIO(data), read_options=pj.ReadOptions(block_size=8 << 20),
                        parse_options=pj.ParseOptions(explicit_schema=_schema(b'"_meta"' in data),
                                                      unexpected_field_behavior="ignore"))


def _python_rows(ctx: Context, lines: list[tuple[int, bytes]], converted: dict[str, list[int]]) -> Any:
    """Lines Arrow could not type, parsed one by one; what cannot be read is skipped and reported."""
    out: dict[str, list[Any]] = {f: [] for f in (*_FIELDS, "created_utc", "removal_type", "_line")}
    import pyarrow as pa

    limit = ctx.limits.max_depth
    for n, raw in lines:
        if not raw.strip():
            continue
        depth = too_deep(raw, limit)
        if depth is not None:
            deep(ctx, depth, n)
            continue
        try:
            rec = loads(raw, limit)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            ctx.problem(f"not valid JSON ({msg}); expected one object per line (a truncated line?)", line=n)
            continue
        if not isinstance(rec, dict):
            ctx.problem(f"a JSON {type(rec).__name__}, expected an object", line=n)
            continue
        for f in _FIELDS:
            v = rec.get(f)
            if v is not None and not isinstance(v, str):
                converted.setdefault(f, []).append(n)
                v = str(v)
            out[f].append(v)
        c = rec.get("created_utc")
        if isinstance(c, str):
            converted.setdefault("created_utc", []).append(n)
            try:
                c = float(c)
            except ValueError:
                ctx.note(f"unreadable created_utc {c!r} (expected epoch seconds); kept without a time", line=n,
                         field="created_utc")
                c = None
        elif not isinstance(c, (int, float)) or isinstance(c, bool):
            c = None
        out["created_utc"].append(c)
        meta = rec.get("_meta")
        out["removal_type"].append(meta.get("removal_type") if isinstance(meta, dict) else None)
        out["_line"].append(n)
    return pa.table({**{f: pa.array(out[f], type=pa.string()) for f in _FIELDS},
                     "created_utc": pa.array(out["created_utc"], type=pa.float64()),
                     "removal_type": pa.array(out["removal_type"], type=pa.string()),
                     "_line": pa.array(out["_line"], type=pa.int64())})


def _read_piece(ctx: Context, chunk: bytes, numbers: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                converted: dict[str, list[int]]) -> list[Any]:
    """Arrow tables of the chunk's lines, halving the piece around lines Arrow cannot type."""
    import pyarrow as pa

    tables: list[tuple[int, Any]] = []
    stack = [(0, len(numbers))]
    while stack:
        a, b = stack.pop()
        if a >= b:
            continue
        piece = chunk[starts[a]: ends[b - 1] + 1]
        try:
            table = _arrow(piece)
            ok = table.num_rows == b - a
        except Exception:  # ArrowInvalid: a type it cannot hold, or a line that is not JSON
            ok = False
        if not ok:
            if b - a <= _SMALL:
                lines = [(int(numbers[i]), chunk[starts[i]: ends[i]]) for i in range(a, b)]
                tables.append((a, _python_rows(ctx, lines, converted)))
            else:
                mid = (a + b) // 2
                stack.append((mid, b))
                stack.append((a, mid))
            continue
        if "_meta" in table.column_names:
            removal = table.column("_meta").combine_chunks().field("removal_type")
        else:
            removal = pa.nulls(table.num_rows, pa.string())
        tables.append((a, pa.table({
            **{f: table.column(f) for f in _FIELDS}, "created_utc": table.column("created_utc"),
            "removal_type": removal, "_line": pa.array(numbers[a:b], type=pa.int64())})))
    tables.sort(key=lambda t: t[0])
    return [t for _, t in tables]


def _whole(values: Any) -> Any:
    """An Arrow array in one piece (a chunked array's chunks joined)."""
    import pyarrow as pa

    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _texts(body: Any) -> Any:
    """Bodies escaped once (``&amp;``) to plain text, column-wise; unusual ones through Python.

    Returns an Arrow string array. Rows with entities other than Reddit's three escapes, or
    whitespace to tidy, are unescaped and normalised by :func:`html.unescape` and
    :func:`~workbench.ingest._text.normalise_whitespace` one by one (exactly as
    ``unescape_once``); the others by three replacements, ``&amp;`` last, so nothing is
    unescaped twice.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(body) == 0:
        return body
    if isinstance(body, pa.ChunkedArray):
        body = body.combine_chunks()
    simple = pc.replace_substring(body, "&amp;", "&")  # &amp; first would unescape "&amp;lt;" twice
    angled = pc.match_substring_regex(body, "&(?:lt|gt);")
    if pc.any(angled).as_py():
        idx = np.flatnonzero(angled.to_numpy(zero_copy_only=False))
        part = body.take(pa.array(idx))
        part = pc.replace_substring(pc.replace_substring(pc.replace_substring(part, "&lt;", "<"), "&gt;", ">"),
                                    "&amp;", "&")
        mask = np.zeros(len(body), dtype=bool)
        mask[idx] = True
        simple = pc.replace_with_mask(simple, pa.array(mask), part)
    leftover = pc.match_substring_regex(simple, "&[A-Za-z#]")  # anything html.unescape might still change
    # what normalise_whitespace would change: whitespace other than single inner spaces (Python's \s)
    messy = pc.match_substring_regex(simple, _MESSY)
    slow_idx = np.flatnonzero(pc.or_(leftover, messy).to_numpy(zero_copy_only=False))
    if not len(slow_idx):
        return simple
    raw = body.take(pa.array(slow_idx)).to_pylist()
    fixed = pa.array([normalise_whitespace(html.unescape(t) if "&" in t else t) for t in raw], type=pa.string())
    mask = np.zeros(len(body), dtype=bool)
    mask[slow_idx] = True
    return pc.replace_with_mask(simple, pa.array(mask), fixed)


def read_pushshift(ctx: Context, *, placeholders: bool = True) -> pd.DataFrame:
    """Read Pushshift / Arctic-Shift NDJSON (``.ndjson``, ``.jsonl``, or ``.zst`` compressed).

    One JSON object per line: comments and optionally submissions. The tree is rebuilt
    from ``parent_id``. A thread whose submission is not in the file gets a ``missing``
    placeholder root (``placeholders=False`` leaves its top-level comments as orphans
    instead). A line that is not JSON is skipped and reported with its number; a value
    of the wrong type (``created_utc`` as text) is converted and reported.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    tables: list[Any] = []
    converted: dict[str, list[int]] = {}
    max_line = ctx.limits.max_line
    for chunk, line in _chunks(ctx):
        numbers, starts, ends = _line_numbers(chunk, line)
        if len(numbers):
            ctx.count_records(int(numbers[-1]))
            long = (ends - starts) > max_line
            if long.any():
                for n in numbers[long]:
                    ctx.long_line(int(n))
                numbers, starts, ends = numbers[~long], starts[~long], ends[~long]
        if len(numbers):
            tables.extend(_read_piece(ctx, chunk, numbers, starts, ends, converted))
    for field, lines in converted.items():
        shown = ", ".join(map(str, lines[:10])) + (" ..." if len(lines) > 10 else "")
        ctx.note(f"{field} was not of its usual JSON type on {len(lines)} line(s) ({shown}); read as "
                 f"{'a number' if field == 'created_utc' else 'text'}", line=lines[0], field=field)
    if not tables:
        raise ctx.error("no records: expected one Reddit comment or submission (JSON object) per line")
    t = pa.concat_tables(tables)
    del tables
    ids, parent, link = t.column("id"), t.column("parent_id"), t.column("link_id")
    is_post = pc.fill_null(pc.and_(pc.is_null(parent), pc.or_(pc.is_valid(t.column("title")),
                                                              pc.starts_with(t.column("name"), "t3_"))), False)
    no_id = pc.fill_null(pc.equal(ids, ""), True)
    no_link = pc.and_(pc.invert(is_post), pc.or_(pc.is_null(parent), pc.is_null(link)))
    bad = pc.or_(no_id, no_link).to_numpy(zero_copy_only=False)
    if bad.any():
        lines_of = t.column("_line").to_numpy()
        no_id_np = no_id.to_numpy(zero_copy_only=False)
        parent_null = pc.is_null(parent).to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(bad):
            if no_id_np[i]:
                ctx.problem("no 'id'", line=int(lines_of[i]), field="id")
            else:
                ctx.problem("a comment without 'parent_id' or 'link_id'", line=int(lines_of[i]),
                            field="parent_id" if parent_null[i] else "link_id")
        t = t.filter(pa.array(~bad))
        ids, parent, link = t.column("id"), t.column("parent_id"), t.column("link_id")
        is_post = is_post.filter(pa.array(~bad))
    join = pc.binary_join_element_wise
    post_np = is_post.to_numpy(zero_copy_only=False)
    any_post = bool(post_np.any())

    def patch(values: Any, rows: np.ndarray, replacement: Any) -> Any:
        """``values`` with the masked rows replaced (one pass; nothing when no row is masked)."""
        if not rows.any():
            return values
        mask = pa.array(rows)
        if isinstance(replacement, str | type(None)):
            replacement = pa.array([replacement] * int(rows.sum()), type=pa.string())
        return pc.replace_with_mask(_whole(values), mask, _whole(replacement))

    uid = join("reddit:t1_", ids, "")
    thread = join("reddit:", link, "")
    parent_id = join("reddit:", parent, "")
    body = t.column("body")
    if any_post:  # submissions: their own id is the thread, their text is selftext, no parent
        uid = patch(uid, post_np, join("reddit:t3_", ids, "").filter(pa.array(post_np)))
        thread = patch(thread, post_np, _whole(uid).filter(pa.array(post_np)))
        parent_id = patch(parent_id, post_np, None)
        body = patch(body, post_np, _whole(t.column("selftext")).filter(pa.array(post_np)))
    body = pc.fill_null(_whole(body), "")
    removal = t.column("removal_type")
    deleted = pc.or_(pc.equal(body, "[deleted]"), pc.fill_null(pc.equal(removal, "deleted"), False))
    removed = pc.or_(pc.equal(body, "[removed]"), pc.is_valid(removal))
    deleted_np = deleted.to_numpy(zero_copy_only=False)
    gone = deleted_np | removed.to_numpy(zero_copy_only=False)
    status = pd.Categorical.from_codes(np.where(deleted_np, 1, np.where(gone, 2, 0)).astype(np.int8),
                                       ["ok", "deleted", "removed", "missing"])
    text = patch(_texts(body), gone, "")
    author = pc.fill_null(_whole(t.column("author")), "")
    author = patch(author, pc.equal(author, "[deleted]").to_numpy(zero_copy_only=False), "")
    frame = pd.DataFrame({
        "unit_id": _whole(uid).to_pandas(), "thread_id": _whole(thread).to_pandas(),
        "parent_id": _whole(parent_id).to_pandas(), "author": _whole(author).to_pandas(),
        "posted_at": pd.to_datetime(t.column("created_utc").to_numpy(zero_copy_only=False), unit="s", utc=True),
        "text": _whole(text).to_pandas(),
        "kind": pd.Categorical.from_codes(post_np.astype(np.int8), [AUTO_KIND, "post"]),
        "status": status, "_line": t.column("_line").to_numpy(),
    })
    if post_np.any():
        titles = t.column("title").to_numpy(zero_copy_only=False)
        title = np.full(len(frame), None, dtype=object)
        title[post_np] = [normalise_whitespace(html.unescape(x)) or None if isinstance(x, str) else None
                          for x in titles[post_np]]
        frame["title"] = title
    del t
    if placeholders:
        posts = set(frame.loc[post_np, "unit_id"])
        missing = [x for x in pd.unique(frame["thread_id"]) if x not in posts]
        if missing:
            k = len(missing)
            roots = pd.DataFrame({
                "unit_id": pd.Series(missing, dtype=frame["unit_id"].dtype),
                "thread_id": pd.Series(missing, dtype=frame["thread_id"].dtype),
                "parent_id": pd.Series([None] * k, dtype=frame["parent_id"].dtype),
                "author": pd.Series([""] * k, dtype=frame["author"].dtype),
                "posted_at": pd.Series(pd.NaT, index=range(k), dtype=frame["posted_at"].dtype),
                "text": pd.Series([""] * k, dtype=frame["text"].dtype),
                "kind": pd.Categorical(["post"] * k, categories=frame["kind"].cat.categories),
                "status": pd.Categorical(["missing"] * k, categories=frame["status"].cat.categories), "_line": -1,
            })
            if "title" in frame.columns:
                roots["title"] = None
            frame = pd.concat([roots, frame], ignore_index=True)
    frame.attrs["clean_ids"] = True  # non-empty string ids: the units are built column-wise
    ctx.read_as("reddit", "native")
    return frame
