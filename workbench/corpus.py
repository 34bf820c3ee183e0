"""The units table: its schema, its validation, and thread-tree helpers.

Every ingester returns a *units table*: a pandas DataFrame with one row per post
(the root post of a thread, a comment, a reply, a tweet, ...) and the columns of
:data:`UNIT_COLUMNS`. Ids are strings. Parents are resolved within the thread.
A unit whose parent is not in the thread is kept, flagged ``status="orphan"``, and
keeps its ``parent_id``: it is never dropped and never silently re-attached. Units on a
reply cycle (a replies to b, b replies to a) are kept too, flagged orphan, with their
parent links cut (kept in ``extra["source_parent_id"]``), so that the table is a tree.
Depths are found by pointer jumping, in ``O(n log n)`` whatever the shape of the tree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .errors import UnitsError

__all__ = [
    "UNIT_COLUMNS",
    "OPTIONAL_COLUMNS",
    "STATUSES",
    "CODABLE_STATUSES",
    "as_id",
    "make_units",
    "validate_units",
    "reply_depths",
    "cut_cycles",
    "ancestors",
    "children",
    "thread_of",
    "thread_title",
    "is_untitled",
]

#: The columns every units table has, in this order.
UNIT_COLUMNS: tuple[str, ...] = (
    "unit_id",
    "thread_id",
    "parent_id",
    "depth",
    "position",
    "author",
    "author_role",
    "posted_at",
    "text",
    "kind",
    "status",
    "source",
)

#: Columns an ingester may add; the store keeps them (``title`` and
#: ``content_warning`` as columns, anything else in ``extra``).
OPTIONAL_COLUMNS: tuple[str, ...] = ("title", "content_warning", "url", "extra")

#: Valid values of ``status``.
STATUSES: tuple[str, ...] = (
    "ok",
    "deleted",
    "removed",
    "pending",
    "spam",
    "trash",
    "missing",
    "orphan",
)

#: Statuses whose units are offered for coding. Deleted, removed, spam, trashed and
#: missing units stay as placeholders so that reply context is preserved.
CODABLE_STATUSES: tuple[str, ...] = ("ok", "orphan", "pending")

_REQUIRED = ("unit_id", "thread_id", "text")
_DEFAULTS: dict[str, Any] = {
    "parent_id": None,
    "author": "",
    "author_role": None,
    "posted_at": pd.NaT,
    "kind": "comment",
    "status": "ok",
    "source": "unknown",
}


#: How a platform, or a file format that says the platform, is named in a thread's title.
PLATFORM_NAMES: dict[str, str] = {
    "x": "X", "twitter": "X", "x-unrolled": "X", "x-api": "X", "x-archive": "X",
    "reddit": "Reddit", "reddit-text": "Reddit", "pushshift": "Reddit",
    "wordpress": "WordPress", "wordpress-text": "WordPress", "wxr": "WordPress",
    "mastodon": "Mastodon", "bluesky": "Bluesky", "disqus": "Disqus",
    "blogger": "Blogger", "blogger-text": "Blogger", "dreamwidth": "Dreamwidth", "dreamwidth-text": "Dreamwidth",
    "livejournal": "LiveJournal", "phpbb": "Forum", "discourse": "Forum", "forum-text": "Forum",
}  # fmt: skip

_NO_TITLE = {"", "nan", "none", "null", "<na>", "nat"}
_TITLE_WORDS = 5


def is_untitled(value: Any) -> bool:
    """Whether a stored title is no title: None, NaN, blank, or the text ``'nan'`` / ``'None'``.

    Examples
    --------
    >>> is_untitled("nan"), is_untitled(None), is_untitled(" "), is_untitled("Nancy's story")
    (True, True, True, False)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return str(value).strip().lower() in _NO_TITLE


def thread_title(title: Any, first_text: Any = "", platform: str | None = None) -> str:
    """A thread's title to show: its own, or one made from its first words and platform.

    A title that is missing (None, NaN, empty) or was stored as the text of a missing
    value (``'nan'``, ``'None'``) is never shown: the thread is named from the first
    words of its first post and the platform it comes from.

    Parameters
    ----------
    title : str or None
        The stored title.
    first_text : str
        The text of the thread's first post (its root).
    platform : str, optional
        The platform or file format (``"x"``, ``"x-unrolled"``, ``"wordpress-text"``, ...);
        unknown names are left out.

    Returns
    -------
    str

    Examples
    --------
    >>> thread_title("Not all like that", "Some text")
    'Not all like that'
    >>> thread_title("nan", "I waited nine hours in A&E last night.", "x-unrolled")
    'X thread: “I waited nine hours in…”'
    >>> thread_title(None, "Thanks all", None), thread_title(float("nan"), "", "reddit")
    ('Thread: “Thanks all”', 'Reddit thread')
    """
    if not is_untitled(title):
        return str(title).strip()
    name = PLATFORM_NAMES.get(str(platform or "").lower(), "")
    head = f"{name} thread" if name else "Thread"
    words = str(first_text or "").split() if not is_untitled(first_text) else []
    if not words:
        return head
    quote = " ".join(words[:_TITLE_WORDS])
    cut = len(words) > _TITLE_WORDS or len(quote) > 60
    return f"{head}: “{quote[:60].rstrip()}{'…' if cut else ''}”"


def as_id(value: Any) -> str | None:
    """An id as a string; None for missing. Integral floats lose their ``.0``.

    Examples
    --------
    >>> as_id(12.0), as_id(" t1_abc "), as_id(float("nan")), as_id(""), as_id(1834567890123456789)
    ('12', 't1_abc', None, None, '1834567890123456789')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    text = str(value).strip()
    return text or None


def _ids(column: pd.Series) -> pd.Series:
    """A column of ids as strings (None for missing), vectorised for string columns."""
    values = column.to_numpy(dtype=object)
    if pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_object_dtype(column.dtype):
        out = values.copy()
        missing = column.isna().to_numpy() | (column.fillna("") == "").to_numpy()
        out[missing] = None
        return pd.Series(out, index=column.index, dtype=object)
    return pd.Series([as_id(v) for v in values], index=column.index, dtype=object)


def make_units(
    records: Iterable[Mapping[str, Any]] | pd.DataFrame,
    *,
    source: str | None = None,
    report: list[str] | None = None,
) -> pd.DataFrame:
    """Build a valid units table from records, filling what can be derived.

    Missing ``depth`` is computed from the reply tree and missing ``position`` from
    the order of the records within each thread. A unit whose parent is not in its
    thread becomes ``status="orphan"`` (its ``parent_id`` is kept). Units on a reply
    cycle are flagged orphan too, their parent links cut (the parent kept in
    ``extra["source_parent_id"]``) so that the table is valid, and reported. Duplicate
    ``unit_id`` rows are reported; the first is kept.

    Parameters
    ----------
    records : iterable of mappings or DataFrame
        At least ``unit_id``, ``thread_id`` and ``text``; other columns of
        :data:`UNIT_COLUMNS` take defaults.
    source : str, optional
        Value of ``source`` where a record does not give one.
    report : list, optional
        Problems found (duplicates, cycles) are appended here as readable lines.

    Returns
    -------
    DataFrame
        Columns :data:`UNIT_COLUMNS` (plus any of :data:`OPTIONAL_COLUMNS` given).

    Examples
    --------
    >>> units = make_units([
    ...     {"unit_id": "a", "thread_id": "t", "text": "My story"},
    ...     {"unit_id": "b", "thread_id": "t", "parent_id": "a", "text": "Not all of us!"},
    ...     {"unit_id": "c", "thread_id": "t", "parent_id": "zz", "text": "Lost reply"},
    ... ], source="example")
    >>> units[["unit_id", "depth", "position", "status"]].to_dict("list")
    {'unit_id': ['a', 'b', 'c'], 'depth': [0, 1, 1], 'position': [0, 1, 2], 'status': ['ok', 'ok', 'orphan']}
    """
    if isinstance(records, pd.DataFrame):
        df = records.copy()
    else:  # object dtype: ids beyond 2**53 must never pass through float64
        df = pd.DataFrame(list(records), dtype=object)
    problems: list[str] = report if report is not None else []
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise UnitsError(
            f"units are missing the required column(s) {missing}; "
            f"every record needs {list(_REQUIRED)}"
        )
    if df.empty:
        return _empty_units(extra=[c for c in OPTIONAL_COLUMNS if c in df.columns])
    for col, default in _DEFAULTS.items():
        if col not in df.columns:
            df[col] = default
    if source is not None:
        df["source"] = df["source"].where(df["source"].notna() & (df["source"] != "unknown"), source)
    for col in ("unit_id", "thread_id", "parent_id"):
        df[col] = _ids(df[col])
    if df["unit_id"].isna().any():
        rows = list(np.flatnonzero(df["unit_id"].isna().to_numpy()))
        raise UnitsError(f"records {rows[:10]} have no unit_id; every unit needs a non-empty id")
    df["text"] = df["text"].fillna("").astype(str)
    df["author"] = df["author"].fillna("").astype(str)
    df["status"] = df["status"].fillna("ok").astype(str)
    df["kind"] = df["kind"].fillna("comment").astype(str)
    df["posted_at"] = pd.to_datetime(df["posted_at"], utc=True, errors="coerce", format="mixed")

    dup = df["unit_id"].duplicated(keep="first")
    if dup.any():
        ids = sorted(set(df.loc[dup, "unit_id"]))
        problems.append(f"duplicate unit_id {ids[:20]}: the first occurrence of each was kept")
        df = df.loc[~dup].reset_index(drop=True)

    if "position" not in df.columns or df["position"].isna().any():
        computed = df.groupby("thread_id", sort=False).cumcount()
        if "position" in df.columns:
            df["position"] = df["position"].fillna(computed)
        else:
            df["position"] = computed
    df["position"] = pd.to_numeric(df["position"]).astype("int64")

    given_depth = df["depth"] if "depth" in df.columns else pd.Series(np.nan, index=df.index)
    depth, unresolved, orphan, on_cycle = _tree(df)
    status = df["status"].to_numpy(dtype=object).copy()
    status[orphan & np.isin(status, ["ok"])] = "orphan"
    if on_cycle.any():
        ids = list(df.loc[on_cycle, "unit_id"])
        problems.append(
            f"reply cycle among units {ids[:20]}: they were flagged 'orphan' and their parent links cut "
            "(kept in extra['source_parent_id']); check the parent ids in the source"
        )
        status[on_cycle & np.isin(status, ["ok"])] = "orphan"
        cut_cycles(df, on_cycle)
        depth, unresolved, _, _ = _tree(df, cut=on_cycle)
    df["status"] = status
    # Orphans (and units below them) keep a depth the source gave, else the depth
    # below their missing parent counted from 1.
    fallback = pd.to_numeric(given_depth, errors="coerce").to_numpy()
    final = np.where(unresolved & ~np.isnan(fallback), fallback, depth)
    df["depth"] = final.astype("int64")

    cols = list(UNIT_COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in df.columns]
    return df[cols].reset_index(drop=True)


def _empty_units(extra: list[str] | None = None) -> pd.DataFrame:
    cols = list(UNIT_COLUMNS) + list(extra or [])
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    df["depth"] = df["depth"].astype("int64")
    df["position"] = pd.to_numeric(df["position"]).astype("int64")
    df["posted_at"] = pd.to_datetime(df["posted_at"], utc=True)
    return df


def reply_depths(parent_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hops from each unit to the top of its reply chain, by pointer jumping.

    ``parent_idx[i]`` is the row of unit i's parent, or -1 when it has none in the
    table. Every round doubles how far each unit looks up its chain, so the work is
    ``O(n log n)`` even for one chain of a million replies.

    Parameters
    ----------
    parent_idx : ndarray of int
        The parent's row of each row, -1 for none.

    Returns
    -------
    hops : ndarray of int
        Steps from each row up to the top of its chain (0 for a top).
    top : ndarray of int
        The row at the top of each row's chain (for a row on or under a cycle: a row on
        the cycle).
    cyclic : ndarray of bool
        Rows whose chain never ends: on a reply cycle, or under one.

    Examples
    --------
    >>> hops, top, cyclic = reply_depths(np.array([-1, 0, 1, 4, 3, 4]))
    >>> hops[:3].tolist(), top[:3].tolist(), cyclic.tolist()
    ([0, 1, 2], [0, 0, 0], [False, False, False, True, True, True])
    """
    n = len(parent_idx)
    jump = np.asarray(parent_idx, dtype=np.int64).copy()
    hops = (jump >= 0).astype(np.int64)
    top = np.where(jump >= 0, jump, np.arange(n, dtype=np.int64))
    rounds = 0
    limit = max(1, int(n).bit_length()) + 1  # 2**limit > n: a chain that ends has ended by then
    active = np.flatnonzero(jump >= 0)
    while active.size and rounds <= limit:
        j = jump[active]
        hops[active] += hops[j]
        top[active] = top[j]
        jump[active] = jump[j]
        active = active[jump[active] >= 0]
        rounds += 1
    cyclic = np.zeros(n, dtype=bool)
    cyclic[active] = True
    return hops, top, cyclic


def _tree(df: pd.DataFrame, cut: np.ndarray | None = None):
    """Depths from the reply tree, with orphan and cycle flags (vectorised, ``O(n log n)``).

    Returns ``depth`` (int array), ``unresolved`` (depth counted from a missing
    parent), ``orphan`` (parent not in the thread) and ``on_cycle`` (units on a reply
    cycle, whose links :func:`cut_cycles` cuts). Units in ``cut`` count as orphans
    without a parent (depth 1).
    """
    n = len(df)
    key = df["thread_id"].astype(str) + "\x1f" + df["unit_id"].astype(str)
    pkey = df["thread_id"].astype(str) + "\x1f" + df["parent_id"].astype(str)
    index = pd.Index(key)
    parent_idx = index.get_indexer(pkey)
    has_parent = df["parent_id"].notna().to_numpy()
    parent_idx = np.where(has_parent, parent_idx, -1)
    orphan = has_parent & (parent_idx == -1)
    start = orphan | cut if cut is not None else orphan
    hops, top, cyclic = reply_depths(parent_idx)
    on_cycle = np.zeros(n, dtype=bool)
    if cyclic.any():
        on_cycle[np.unique(top[cyclic])] = True  # after n hops every chain that never ends is on its cycle
    unresolved = start[top]
    depth = hops + unresolved
    depth[cyclic] = 1
    unresolved = unresolved | cyclic
    return depth, unresolved, orphan, on_cycle


def cut_cycles(df: pd.DataFrame, on_cycle: np.ndarray) -> None:
    """Cut the parent links of units on a reply cycle (in place), keeping each in ``extra["source_parent_id"]``."""
    if "extra" not in df.columns:
        df["extra"] = None
    rows = np.flatnonzero(on_cycle)
    parents = df["parent_id"].to_numpy(dtype=object)
    extras = df["extra"].to_numpy(dtype=object).copy()
    for i in rows:
        extra = dict(extras[i]) if isinstance(extras[i], dict) else {}
        extra["source_parent_id"] = parents[i]
        extras[i] = extra
    new_parents = parents.copy()
    new_parents[rows] = None
    df["extra"] = pd.Series(extras, index=df.index, dtype=object)
    df["parent_id"] = pd.Series(new_parents, index=df.index, dtype=object)


def validate_units(units: pd.DataFrame, *, known_ids: Iterable[str] | None = None) -> None:
    """Check a units table and raise :class:`~workbench.errors.UnitsError` naming the offending ids.

    Checks: required columns, string ids, duplicate ``unit_id``, valid ``status``,
    parents that point nowhere (allowed only for units flagged ``orphan``; a parent
    may also be one of ``known_ids``, units already stored), and reply cycles.

    Examples
    --------
    >>> import pandas as pd
    >>> bad = make_units([{"unit_id": "a", "thread_id": "t", "text": "x"}])
    >>> bad.loc[0, "parent_id"] = "nowhere"
    >>> validate_units(bad)
    Traceback (most recent call last):
    ...
    workbench.errors.UnitsError: the units table is not valid
      - unit 'a' replies to 'nowhere', which is not in thread 't' (flag it status='orphan' to keep it)
    """
    if not isinstance(units, pd.DataFrame):
        raise TypeError(f"units must be a pandas DataFrame, not {type(units).__name__}")
    missing = [c for c in UNIT_COLUMNS if c not in units.columns]
    if missing:
        raise UnitsError(
            f"the units table is missing column(s) {missing}; "
            f"expected the columns {list(UNIT_COLUMNS)} (see workbench.corpus.make_units)"
        )
    problems: list[str] = []
    ids = units["unit_id"]
    bad_type = ~ids.map(lambda v: isinstance(v, str) and v != "")
    if bad_type.any():
        problems.append(
            f"unit_id must be a non-empty string; rows {list(np.flatnonzero(bad_type.to_numpy()))[:10]} "
            f"hold {list(ids[bad_type])[:10]!r}"
        )
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        problems.append(f"duplicate unit_id {sorted(set(map(str, dup)))[:20]}")
    bad_status = ~units["status"].isin(STATUSES)
    if bad_status.any():
        problems.append(
            f"unknown status {sorted(set(map(str, units.loc[bad_status, 'status'])))} on units "
            f"{list(units.loc[bad_status, 'unit_id'])[:10]}; valid: {list(STATUSES)}"
        )
    if problems:
        raise UnitsError("the units table is not valid", problems)

    key = units["thread_id"].astype(str) + "\x1f" + ids.astype(str)
    pkey = units["thread_id"].astype(str) + "\x1f" + units["parent_id"].astype(str)
    has_parent = units["parent_id"].notna().to_numpy()
    parent_idx = pd.Index(key).get_indexer(pkey)
    dangling = has_parent & (parent_idx == -1)
    if known_ids is not None and dangling.any():
        known = set(known_ids)
        dangling &= ~units["parent_id"].isin(known).to_numpy()
    dangling &= (units["status"] != "orphan").to_numpy()
    for i in np.flatnonzero(dangling)[:20]:
        row = units.iloc[i]
        problems.append(
            f"unit {row['unit_id']!r} replies to {row['parent_id']!r}, which is not in thread "
            f"{row['thread_id']!r} (flag it status='orphan' to keep it)"
        )
    if dangling.sum() > 20:
        problems.append(f"... and {int(dangling.sum()) - 20} more units with missing parents")
    _, _, _, on_cycle = _tree(units[["unit_id", "thread_id", "parent_id"]])
    if on_cycle.any():
        problems.append(f"reply cycle among units {list(units.loc[on_cycle, 'unit_id'])[:20]}")
    if problems:
        raise UnitsError("the units table is not valid", problems)


def _by_id(units: pd.DataFrame) -> pd.DataFrame:
    return units.set_index("unit_id", drop=False)


def ancestors(units: pd.DataFrame, unit_id: str) -> list[str]:
    """The chain of units that ``unit_id`` replies to, from the root down to its parent.

    Examples
    --------
    >>> units = make_units([
    ...     {"unit_id": "a", "thread_id": "t", "text": "root"},
    ...     {"unit_id": "b", "thread_id": "t", "parent_id": "a", "text": "reply"},
    ...     {"unit_id": "c", "thread_id": "t", "parent_id": "b", "text": "reply to reply"},
    ... ])
    >>> ancestors(units, "c")
    ['a', 'b']
    """
    indexed = _by_id(units)
    if unit_id not in indexed.index:
        raise KeyError(f"unit {unit_id!r} is not in the units table")
    chain: list[str] = []
    seen = {unit_id}
    parent = indexed.at[unit_id, "parent_id"]
    while isinstance(parent, str) and parent in indexed.index and parent not in seen:
        chain.append(parent)
        seen.add(parent)
        parent = indexed.at[parent, "parent_id"]
    return chain[::-1]


def children(units: pd.DataFrame, unit_id: str) -> list[str]:
    """Ids of the direct replies to ``unit_id``, in thread order."""
    kids = units[units["parent_id"] == unit_id].sort_values("position")
    return list(kids["unit_id"])


def thread_of(units: pd.DataFrame, thread_id: str) -> pd.DataFrame:
    """The units of one thread in the order the source shows them."""
    return units[units["thread_id"] == thread_id].sort_values("position").reset_index(drop=True)
