"""The units table of a large export, built with array operations only.

Private. :func:`workbench.corpus.make_units` is the contract of the units table; for
readers of very large exports (Pushshift dumps of millions of comments) this module
builds the same table from a frame that already holds clean columns, without a Python
step per row and without the string keys make_units builds: the parent of each unit
is found by one hash lookup of its id, the thread is compared by integer codes, the
depth is propagated level by level, the position counted per thread. The result is
equal to make_units' (a test compares them), so the two stay one contract.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..corpus import OPTIONAL_COLUMNS, cut_cycles, reply_depths

__all__ = ["units_from_clean_frame"]


def _strings(column: pd.Series) -> pd.Series:
    """A text column as pandas strings, missing as empty, on a fresh 0..n-1 index."""
    column = column.reset_index(drop=True)
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(str)
    elif column.dtype != "str":
        column = column.fillna("").astype(str)
    return column.fillna("") if column.hasnans else column


def _object_ids(column: pd.Series) -> pd.Series:
    """Ids as Python strings (None for none), as make_units gives them, on a 0..n-1 index."""
    values = column.to_numpy(dtype=object, na_value=None) if column.dtype != object else column.to_numpy()
    return pd.Series(values, dtype=object)


def _extras(frame: pd.DataFrame, n: int) -> pd.Series:
    if "extra" in frame.columns:
        return pd.Series(frame["extra"].to_numpy(dtype=object), dtype=object)
    return pd.Series([None] * n, dtype=object)


def units_from_clean_frame(frame: pd.DataFrame, source: str, report: list[str]) -> pd.DataFrame | None:
    """The units table of a frame whose ids are non-empty strings and that has no duplicate ids.

    ``frame`` needs ``unit_id``, ``thread_id``, ``parent_id``, ``text``, ``author``,
    ``posted_at`` (UTC), ``kind`` and ``status``; ``title``, ``url``, ``extra`` are kept.
    Problems (reply cycles, whose links are cut as make_units cuts them) are appended to
    ``report`` in make_units' words. Returns None
    when the ids are not unique after all (the caller then uses make_units).
    """
    n = len(frame)
    unit_id = _object_ids(frame["unit_id"])
    thread_id = _object_ids(frame["thread_id"])
    parent_id = _object_ids(frame["parent_id"])
    thread_codes = pd.factorize(thread_id)[0]
    # the parent's row: one lookup of the parent id among the unit ids, in the same thread
    has_parent = parent_id.notna().to_numpy()
    index = pd.Index(unit_id)
    if not index.is_unique:
        return None
    parent_idx = index.get_indexer(parent_id)
    found = has_parent & (parent_idx >= 0)
    same = np.zeros(n, dtype=bool)
    same[found] = thread_codes[parent_idx[found]] == thread_codes[found]
    parent_idx = np.where(same, parent_idx, -1)
    orphan = has_parent & (parent_idx == -1)
    hops, top, cyclic = reply_depths(parent_idx)
    on_cycle = np.zeros(n, dtype=bool)
    extra = None
    if cyclic.any():  # cut the cycle's links (kept in extra) and count again: the table stays a tree
        on_cycle[np.unique(top[cyclic])] = True
        ids = list(unit_id[on_cycle])
        report.append(f"reply cycle among units {ids[:20]}: they were flagged 'orphan' and their parent links cut "
                      "(kept in extra['source_parent_id']); check the parent ids in the source")
        cut = pd.DataFrame({"parent_id": parent_id, "extra": _extras(frame, n)})
        cut_cycles(cut, on_cycle)
        parent_id, extra = cut["parent_id"], cut["extra"]
        parent_idx = np.where(on_cycle, -1, parent_idx)
        hops, top, _ = reply_depths(parent_idx)
    depth = hops + (orphan | on_cycle)[top]
    status = _strings(frame["status"])
    flag = orphan | on_cycle
    if flag.any():
        status = status.mask(pd.Series(flag) & status.eq("ok"), "orphan")
    posted = frame["posted_at"].reset_index(drop=True)
    if not isinstance(posted.dtype, pd.DatetimeTZDtype):
        posted = pd.to_datetime(posted, utc=True)
    columns = {
        "unit_id": unit_id, "thread_id": thread_id, "parent_id": parent_id, "depth": depth,
        "position": pd.Series(thread_codes).groupby(thread_codes, sort=False).cumcount().to_numpy(dtype=np.int64),
        "author": _strings(frame["author"]), "author_role": pd.Series([None] * n, dtype=object),
        "posted_at": posted.dt.tz_convert("UTC"),
        "text": _strings(frame["text"]), "kind": _strings(frame["kind"]), "status": status,
        "source": pd.Series(np.full(n, source, dtype=object)).astype(str),
    }
    for col in OPTIONAL_COLUMNS:
        if col in frame.columns:
            columns[col] = pd.Series(frame[col].to_numpy(dtype=object), dtype=object)
    if extra is not None:
        columns["extra"] = extra
    units = pd.DataFrame(columns)
    units.attrs["dangling"] = orphan  # every unit whose parent is not in its thread, whatever its status
    return units
