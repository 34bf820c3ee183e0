"""Thread ingest: comment sections, platform exports and spreadsheets to a units table.

:func:`load_threads` reads one file into the units table of :mod:`workbench.corpus`
(one row per post, reply structure intact). The format is sniffed from the file name
and its first bytes, or named with ``format=``; :data:`FORMATS` lists the names.

Every table it returns carries ``units.attrs["source"]`` (file name, format, sha256
checksum: :meth:`workbench.Project.add_units` uses it so that re-importing the same
file is a no-op) and ``units.attrs["report"]``, one dict per problem found (``file``,
``line``, ``record``, ``field``, ``message``, ``skipped``). Bad records are skipped and
reported, with an :class:`IngestWarning`; ``strict=True`` raises
:class:`~workbench.errors.IngestError` at the first one instead.
"""

from __future__ import annotations

import inspect
import json
import warnings
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..corpus import make_units
from ..errors import IngestError
from . import bluesky, disqus, essay, mastodon, reddit, tabular, twitter, wordpress
from ._common import AUTO_KIND, Context, IngestWarning, checksum

__all__ = ["load_threads", "sniff_format", "FORMATS", "IngestWarning"]

#: The formats :func:`load_threads` reads, by name, with a one-line description.
FORMATS: Mapping[str, str] = MappingProxyType({
    "wordpress-text": "a WordPress comment section copied from the page as text (.txt)",
    "wxr": "WordPress WXR export (.xml): posts with their comments",
    "x-api": "X/Twitter API v2 conversation JSON (data, includes.users, errors)",
    "x-archive": "X/Twitter account archive tweets.js (window.YTD... = [...])",
    "x-unrolled": "an unrolled thread copied as text ('1/ ...', thread-reader pages)",
    "reddit": "Reddit thread .json (t3 post and nested t1 comments)",
    "pushshift": "Pushshift / Arctic-Shift NDJSON dump of Reddit comments (.ndjson, .jsonl, .zst)",
    "mastodon": "Mastodon status with its context JSON (ancestors, descendants)",
    "disqus": "Disqus comments export (.xml)",
    "bluesky": "Bluesky app.bsky.feed.getPostThread JSON",
    "essay": "a single post or essay as a one-unit thread (.txt, .md, .html)",
    "csv": "comma-separated table with a column mapping (id, parent, author, text, time, thread)",
    "tsv": "tab-separated table with a column mapping",
    "jsonl": "JSON lines, one comment per line, with a column mapping",
    "xlsx": "Excel workbook (first sheet unless sheet= is given) with a column mapping",
    "parquet": "Parquet table with a column mapping",
})

_READERS: dict[str, Callable[..., Any]] = {
    "wordpress-text": wordpress.read_wordpress_text,
    "wxr": wordpress.read_wxr,
    "x-api": twitter.read_x_api,
    "x-archive": twitter.read_x_archive,
    "x-unrolled": twitter.read_x_unrolled,
    "reddit": reddit.read_reddit,
    "pushshift": reddit.read_pushshift,
    "mastodon": mastodon.read_mastodon,
    "disqus": disqus.read_disqus,
    "bluesky": bluesky.read_bluesky,
    "essay": essay.read_essay,
    "csv": tabular.read_csv,
    "tsv": tabular.read_tsv,
    "jsonl": tabular.read_jsonl,
    "xlsx": tabular.read_xlsx,
    "parquet": tabular.read_parquet,
}


def load_threads(
    path: str | PathLike[str],
    format: str | None = None,
    *,
    strict: bool = False,
    progress: bool | None = None,
    encoding: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Read a thread file into a units table.

    Parameters
    ----------
    path : str or path-like
        The file: a copied comment section, a platform export, or a table.
    format : str, optional
        One of :data:`FORMATS`; sniffed from the file when omitted.
    strict : bool, default False
        Raise :class:`~workbench.errors.IngestError` at the first bad record instead of
        skipping it and reporting it in ``units.attrs["report"]``.
    progress : bool, optional
        Show a progress bar (tqdm); by default only for large files.
    encoding : str, optional
        The file's encoding. By default UTF-8 (with or without BOM) is read, and lines
        that are not UTF-8 are read as cp1252 with an :class:`IngestWarning`.
    **options
        Options of the format's reader, e.g. ``columns={"text": "Comment"}`` for
        tables, ``spam="keep"`` for WXR and Disqus, ``title=``/``author=`` for essays.

    Returns
    -------
    DataFrame
        The units table (:data:`workbench.corpus.UNIT_COLUMNS`, plus ``title``,
        ``content_warning``, ``url`` and ``extra`` where the format has them), with
        ``attrs["source"]`` and ``attrs["report"]``.

    Raises
    ------
    IngestError
        The file cannot be read as the format (names the file, line or record, and
        what was expected), or ``strict=True`` and a record is bad.

    Examples
    --------
    >>> units = load_threads("data/examples/wordpress_not_all_like_that.txt")
    >>> units.attrs["source"]["format"]
    'wordpress-text'
    >>> units.groupby("depth").size().to_dict()
    {0: 1, 1: 23, 2: 12, 3: 6}
    >>> units.loc[units["kind"] == "pingback", "author"].tolist()
    ['saraheknowles', 'Sectioned', 'Co-producing digital mental health']
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such thread file: {p}")
    if not p.is_file():
        raise IngestError("is not a file; pass one thread file (loop over a folder yourself)", path=p)
    fmt = format if format is not None else sniff_format(p)
    if fmt not in _READERS:
        raise ValueError(f"unknown format {fmt!r}; valid formats: {sorted(FORMATS)}")
    reader = _READERS[fmt]
    valid = [n for n, prm in inspect.signature(reader).parameters.items() if prm.kind is prm.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise TypeError(f"format {fmt!r} takes no option(s) {unknown}; its options are {valid}")
    ctx = Context(p, fmt, strict=strict, progress=progress, encoding=encoding)
    records = reader(ctx, **options)
    if not isinstance(records, pd.DataFrame) and not records:
        records = pd.DataFrame(columns=["unit_id", "thread_id", "text"])
    lines: list[str] = []
    units = make_units(records, source=fmt, report=lines)
    del records
    for line in lines:
        ctx.problem(line, skipped="first occurrence of each was kept" in line)
    _flag_dangling(units, ctx)
    auto = units["kind"] == AUTO_KIND
    if auto.any():
        depth = units.loc[auto, "depth"].to_numpy()
        units.loc[auto, "kind"] = np.where(depth == 0, "post", np.where(depth == 1, "comment", "reply"))
    units.attrs["source"] = {"file_name": p.name, "format": fmt, "checksum": checksum(p)}
    units.attrs["report"] = ctx.report
    problems = [r for r in ctx.report if r["field"] != "encoding"]
    if problems:
        shown = "\n".join(f"  - {_where(r)}: {r['message']}" for r in problems[:5])
        more = f"\n  ... and {len(problems) - 5} more" if len(problems) > 5 else ""
        warnings.warn(
            f"{p.name}: {len(units)} units read; {ctx.skipped} record(s) skipped, "
            f"{len(problems)} problem(s) reported in units.attrs['report']:\n{shown}{more}",
            IngestWarning,
            stacklevel=2,
        )
    return units


def _flag_dangling(units: pd.DataFrame, ctx: Context) -> None:
    """Units whose parent is not in their thread must be flagged 'orphan' (make_units does
    that for status 'ok'); a deleted, pending, ... unit keeps its own status in ``extra``."""
    if units.empty:
        return
    has_parent = units["parent_id"].notna().to_numpy()
    if not has_parent.any():
        return
    key = units["thread_id"] + "\x1f" + units["unit_id"]
    pkey = units["thread_id"] + "\x1f" + units["parent_id"].fillna("")
    dangling = has_parent & (pd.Index(key).get_indexer(pkey) == -1) & (units["status"] != "orphan").to_numpy()
    if not dangling.any():
        return
    if "extra" not in units.columns:
        units["extra"] = None
    for i in dangling.nonzero()[0]:
        row = units.iloc[i]
        extra = dict(row["extra"]) if isinstance(row["extra"], dict) else {}
        extra["source_status"] = row["status"]
        units.at[units.index[i], "extra"] = extra
        ctx.note(f"unit {row['unit_id']!r} ({row['status']}) replies to {row['parent_id']!r}, which is not "
                 "in the file; flagged 'orphan' (its own status is kept in extra['source_status'])",
                 record=row["unit_id"], field="parent_id")
    units.loc[dangling, "status"] = "orphan"


def _where(r: dict[str, Any]) -> str:
    parts = [r["file"]]
    if r.get("line") is not None:
        parts.append(f"line {r['line']}")
    if r.get("record") is not None:
        parts.append(f"record {r['record']}")
    if r.get("field") is not None:
        parts.append(f"field {r['field']!r}")
    return ", ".join(parts)


_EXT = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
        ".parquet": "parquet", ".pq": "parquet", ".zst": "pushshift", ".js": "x-archive"}


def sniff_format(path: str | PathLike[str]) -> str:
    """Guess a thread file's format from its name and first bytes.

    Examples
    --------
    >>> sniff_format("data/examples/twitter_unrolled_thread.txt")
    'x-unrolled'
    >>> sniff_format("data/examples/essay_bridging_the_divide.txt")
    'essay'
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext in _EXT:
        return _EXT[ext]
    with open(p, "rb") as fh:
        head_bytes = fh.read(1 << 20)
    head = head_bytes.decode("utf-8", errors="replace").lstrip("\ufeff")
    stripped = head.lstrip()
    if stripped.startswith("window.YTD."):
        return "x-archive"
    if stripped.startswith("<") and ext not in (".html", ".htm"):
        if "<rss" in head[:5000] and "wordpress.org/export" in head:
            return "wxr"
        if "<disqus" in head[:5000]:
            return "disqus"
        if ext == ".xml":
            raise IngestError("is XML but neither a WordPress WXR export (<rss> with the wp: namespace) "
                              "nor a Disqus export (<disqus>); pass format=", path=p.name)
    if ext in (".ndjson", ".jsonl") or (stripped.startswith("{") and _is_ndjson(head)):
        first = next((ln for ln in head.splitlines() if ln.strip()), "")
        try:
            rec = json.loads(first)
        except json.JSONDecodeError:
            rec = {}
        if isinstance(rec, dict) and "parent_id" in rec and ("link_id" in rec or "subreddit" in rec):
            return "pushshift"
        if isinstance(rec, dict) and rec.get("name", "").startswith(("t1_", "t3_")):
            return "pushshift"
        return "jsonl"
    if stripped.startswith(("{", "[")) or ext == ".json":
        return _sniff_json(p, head)
    if ext in (".html", ".htm", ".md"):
        return "essay"
    if wordpress.looks_like_wordpress_text(head):
        return "wordpress-text"
    if twitter.looks_like_unrolled(head):
        return "x-unrolled"
    return "essay"


def _is_ndjson(head: str) -> bool:
    lines = [ln for ln in head.splitlines()[:3] if ln.strip()]
    if len(lines) < 2:
        return False
    try:
        return all(isinstance(json.loads(ln), dict) for ln in lines[:2])
    except json.JSONDecodeError:
        return False


def _sniff_json(p: Path, head: str) -> str:
    h = head[:200_000]
    if '"kind"' in h and ('"t3"' in h or '"Listing"' in h):
        return "reddit"
    if '"thread"' in h and '"at://' in h:
        return "bluesky"
    if '"ancestors"' in h or '"descendants"' in h or ('"in_reply_to_id"' in h and '"account"' in h):
        return "mastodon"
    if '"data"' in h and ('"author_id"' in h or '"conversation_id"' in h or '"includes"' in h
                          or '"edit_history_tweet_ids"' in h):
        return "x-api"
    raise IngestError(
        "is JSON but its shape was not recognised; expected a Reddit thread, an X API v2 response, "
        "a Mastodon context, or a Bluesky getPostThread response. Pass format= (one of "
        f"{sorted(FORMATS)})",
        path=p.name,
    )
