"""Turning a reader's records into the units table, and reporting what could not be placed.

Private: used by :func:`workbench.ingest.load_threads`. Every reader's output passes
through :func:`finish`, so every format reports the same things the same way: a
duplicate id (with its line, and the line of the one kept), an orphan (a reply whose
parent is not in the file), an empty text (a unit that should have text and has none),
control characters (NUL and the like, which no text should hold and some databases
refuse) removed from texts, names and ids. Readers give each record its line in the
file as ``_line`` where they know it.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..corpus import make_units
from ._common import AUTO_KIND, MAX_LISTED, Context
from ._tree import units_from_clean_frame

__all__ = ["finish", "warning_text"]

#: Statuses whose units are expected to carry text.
_TEXTUAL = ("ok", "orphan", "pending")
#: Control characters removed from texts, names and ids: C0 but tab and newline, DEL, C1.
CONTROL = "[\x00-\x08\x0b-\x1f\x7f-\x9f]"
_CONTROL = re.compile(CONTROL)
#: The columns control characters are removed from.
_CLEANED = ("text", "author", "title", "content_warning", "unit_id", "thread_id", "parent_id")
_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 11: "VT", 12: "FF", 13: "CR", 27: "ESC", 127: "DEL"}


def _without_controls(value: str, column: str) -> str:
    if column == "text" and "\r" in value:  # a carriage return is a line break in a text
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


def _clean_controls(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Remove control characters from the text-like columns, reporting each unit they were in."""
    found: dict[int, set[str]] = {}
    shown: dict[int, set[str]] = {}
    for col in _CLEANED:
        if col not in frame.columns:
            continue
        column = frame[col]
        try:
            mask = column.str.contains(CONTROL, regex=True, na=False).to_numpy(dtype=bool)
        except (AttributeError, TypeError):  # not a column of strings
            continue
        if not mask.any():
            continue
        idx = np.flatnonzero(mask)
        values = column.to_numpy(dtype=object)[idx]
        for i, v in zip(idx, values):
            found.setdefault(int(i), set()).add(col)
            shown.setdefault(int(i), set()).update(_NAMES.get(ord(c), f"U+{ord(c):04X}") for c in _CONTROL.findall(v))
        fixed = [_without_controls(v, col) for v in values]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        else:
            column = column.copy()
        column.iloc[idx] = fixed
        frame[col] = column
    if not found:
        return frame
    lines = frame["_line"].to_numpy() if "_line" in frame.columns else None
    ids = frame["unit_id"].to_numpy(dtype=object) if "unit_id" in frame.columns else None
    for k, (row, cols) in enumerate(sorted(found.items())):
        if k >= MAX_LISTED:
            ctx.counts["control"] += len(found) - k
            break
        what = ", ".join(sorted(shown[row]))
        ctx.note(f"control character(s) ({what}) removed from the {' and '.join(sorted(cols))}; no text should "
                 "hold them (a file damaged or made to hurt?)", line=_line(lines, row),
                 record=ids[row] if ids is not None else row, field=sorted(cols)[0], kind="control")
    return frame


def _dedupe_records(records: list[dict[str, Any]], ctx: Context) -> list[dict[str, Any]]:
    first: dict[str, Any] = {}
    kept: list[dict[str, Any]] = []
    for n, rec in enumerate(records):
        uid = rec.get("unit_id")
        if uid is None:
            kept.append(rec)
            continue
        if uid in first:
            line, was = rec.get("_line"), first[uid]
            ctx.problem(f"duplicate unit_id {[uid]!r}: the first occurrence"
                        f"{f' (line {was})' if was is not None else ''} was kept and this one left out",
                        line=line, record=None if line is not None else n, field="unit_id", kind="duplicate")
            continue
        first[uid] = rec.get("_line")
        kept.append(rec)
    return kept


def _dedupe_frame(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    dup = frame["unit_id"].duplicated(keep="first").to_numpy()
    if not dup.any():
        return frame
    lines = frame["_line"].to_numpy() if "_line" in frame.columns else None
    idx = np.flatnonzero(dup)
    first_line: dict[Any, Any] = {}
    if lines is not None:
        firsts = frame.loc[~dup & frame["unit_id"].isin(frame["unit_id"].iloc[idx[:MAX_LISTED]])]
        first_line = dict(zip(firsts["unit_id"], firsts["_line"]))
    for k, i in enumerate(idx):
        if k >= MAX_LISTED and not ctx.strict:
            ctx.counts["duplicate"] += len(idx) - k
            ctx.skipped += len(idx) - k
            break
        uid = frame["unit_id"].iat[i]
        line = int(lines[i]) if lines is not None else None
        was = first_line.get(uid)
        ctx.problem(f"duplicate unit_id {[uid]!r}: the first occurrence"
                    f"{f' (line {int(was)})' if was is not None else ''} was kept and this one left out",
                    line=line, record=None if line is not None else int(i), field="unit_id", kind="duplicate")
    return frame.loc[~dup].reset_index(drop=True)


def finish(records: Any, ctx: Context) -> pd.DataFrame:
    """The units table of a reader's records, with duplicates, orphans and empty texts reported."""
    clean = isinstance(records, pd.DataFrame) and bool(records.attrs.get("clean_ids")) and len(records) > 0
    problems: list[str] = []
    if isinstance(records, pd.DataFrame) and len(records):
        attrs = dict(records.attrs)
        records = _clean_controls(records, ctx)
        records.attrs.update(attrs)
    if clean:  # large exports: the table built column-wise, when the ids are unique (else as below)
        fast = units_from_clean_frame(records, ctx.format, problems)
        if fast is not None:
            lines = records["_line"].to_numpy() if "_line" in records.columns else None
            _orphans(fast, ctx, lines, fast.attrs.pop("dangling", None))
            _empties(fast, ctx, lines)
            _auto_kinds(fast)
            return fast
    if isinstance(records, pd.DataFrame):
        frame = _dedupe_frame(records, ctx) if len(records) else records
    else:
        recs = _dedupe_records(list(records or []), ctx)
        frame = pd.DataFrame(recs, dtype=object) if recs else pd.DataFrame(columns=["unit_id", "thread_id", "text"])
        if len(frame):
            frame = _clean_controls(frame, ctx)
            frame = _dedupe_frame(frame, ctx)  # ids that differed only by a control character
    # make_units keeps the rows in order (duplicates were removed above): lines align with its rows
    lines = frame["_line"].to_numpy() if "_line" in frame.columns else None
    units = make_units(frame, source=ctx.format, report=problems)
    del frame
    if lines is not None and len(lines) != len(units):
        lines = None
    for line in problems:
        ctx.note(line, kind="orphan" if "cycle" in line else "note")
    _orphans(units, ctx, lines)
    _empties(units, ctx, lines)
    _auto_kinds(units)
    return units


def _auto_kinds(units: pd.DataFrame) -> None:
    """Kinds the readers left to the tree: post, comment or reply by depth."""
    auto = (units["kind"] == AUTO_KIND).to_numpy()
    if auto.any():
        depth = units.loc[auto, "depth"].to_numpy()
        units.loc[auto, "kind"] = np.where(depth == 0, "post", np.where(depth == 1, "comment", "reply"))


def _line(lines: np.ndarray | None, i: Any) -> int | None:
    if lines is None:
        return None
    value = lines[i]
    if value is None or (isinstance(value, float) and np.isnan(value)) or int(value) < 1:
        return None
    return int(value)


def _orphans(units: pd.DataFrame, ctx: Context, lines: np.ndarray | None, dangling: Any = None) -> None:
    """Flag and report every unit whose parent is not in its thread (its own status kept in extra).

    make_units has flagged the dangling units whose status was ``ok``; a deleted or removed
    unit keeps its status there, so only units that are not ``ok`` need looking at, and
    only their parents are looked up (a small set against the ids column).
    """
    if units.empty:
        return
    if dangling is None:  # known when the tree was built column-wise; else looked up here
        candidates = units["status"].ne("ok").to_numpy() & units["parent_id"].notna().to_numpy()
        if not candidates.any():
            return
        idx = np.flatnonzero(candidates)
        wanted = units["parent_id"].to_numpy(dtype=object)[idx]
        present = units["unit_id"].isin(set(wanted)).to_numpy()
        thread_of = dict(zip(units["unit_id"].to_numpy(dtype=object)[present],
                             units["thread_id"].to_numpy(dtype=object)[present]))
        threads = units["thread_id"].to_numpy(dtype=object)[idx]
        dangling = np.zeros(len(units), dtype=bool)
        dangling[idx] = [thread_of.get(p) != t for p, t in zip(wanted, threads)]
    if not dangling.any():
        return
    status = units["status"].to_numpy(dtype=object)
    other = dangling & (status != "orphan")
    if other.any():
        if "extra" not in units.columns:
            units["extra"] = None
        for i in np.flatnonzero(other):
            extra = units["extra"].iat[i]
            extra = dict(extra) if isinstance(extra, dict) else {}
            extra["source_status"] = status[i]
            units.at[units.index[i], "extra"] = extra
        units.loc[other, "status"] = "orphan"
    found = np.flatnonzero(dangling)
    for k, i in enumerate(found):
        if k >= MAX_LISTED:
            ctx.counts["orphan"] += len(found) - k
            break
        uid, parent = units["unit_id"].iat[i], units["parent_id"].iat[i]
        own = f" ({status[i]}; its own status is kept in extra['source_status'])" if other[i] else ""
        ctx.note(f"unit {uid!r}{own} replies to {parent!r}, which is not in the file; kept and flagged 'orphan'",
                 line=_line(lines, i), record=uid, field="parent_id", kind="orphan")


def _empties(units: pd.DataFrame, ctx: Context, lines: np.ndarray | None) -> None:
    if units.empty:
        return
    empty = units["text"].eq("").to_numpy() & units["status"].isin(_TEXTUAL).to_numpy()
    empty &= ~units["kind"].isin(["pingback", "trackback", "more", "retweet"]).to_numpy()
    idx = np.flatnonzero(empty)
    for k, i in enumerate(idx):
        if k >= MAX_LISTED:
            ctx.counts["empty"] += len(idx) - k
            break
        uid = units["unit_id"].iat[i]
        ctx.note(f"unit {uid!r} has an empty text (an image or link only, or a copy that lost it); "
                 "kept, with nothing to code", line=_line(lines, i), record=uid, field="text", kind="empty")


#: Report kinds that do not make an IngestWarning on their own.
_QUIET = ("chrome", "encoding")


def warning_text(units: pd.DataFrame, ctx: Context) -> str | None:
    """The IngestWarning for a read, or None when nothing worth a warning happened."""
    shown = [r for r in ctx.report if r.get("kind") not in _QUIET]
    if not shown:
        return None
    from ..errors import located

    lines = [f"  - {located(r['message'], path=r['file'], line=r['line'], record=r['record'], field=r['field'])}"
             for r in shown[:5]]
    more = f"\n  ... and {len(shown) - 5} more" if len(shown) > 5 else ""
    counts = ", ".join(f"{n} {k}" for k, n in sorted(ctx.counts.items()) if k not in _QUIET and k != "note")
    lead = ""
    if not ctx.recognised:
        lead = "no thread structure recognised: read as one essay unit. "
    return (f"{ctx.name}: {lead}{len(units)} units read; {ctx.skipped} record(s) skipped"
            f"{'; ' + counts if counts else ''}; see units.attrs['report']:\n" + "\n".join(lines) + more)
