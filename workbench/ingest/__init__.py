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
import warnings
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..corpus import is_untitled, thread_title
from ..errors import IngestError
from . import bluesky, disqus, essay, fourcat, html, mastodon, pasted, pushshift, reddit, tabular, twitter, wordpress
from ._common import STRUCTURES, Context, IngestWarning
from ._report import finish, warning_text
from ._stream import safe_path
from .limits import LimitError, Limits, resolve_limits, size_text
from .sniff import sniff, sniff_format

__all__ = ["load_threads", "sniff_format", "FORMATS", "STRUCTURES", "IngestWarning", "Limits", "LimitError"]

#: The formats :func:`load_threads` reads, by name, with a one-line description.
FORMATS: Mapping[str, str] = MappingProxyType({
    "html": "a web page saved from the browser (.html): WordPress, Blogger, Dreamwidth/LiveJournal, Discourse, "
            "phpBB, old Reddit, Disqus saved inline; other sites by their repeated comment blocks (inferred)",
    "wordpress-text": "a WordPress comment section copied from the page as text ('1. name DATE #', "
                      "'Name says:', or name-and-date headers)",
    "x-unrolled": "an unrolled X thread copied as text ('1/ ...', '... 3/10', thread-reader pages)",
    "reddit-text": "a Reddit thread copied as text ('[–]name 3 points 2 hours ago', 'u/name · 3 points')",
    "forum-text": "a forum topic copied as text (phpBB 'Post by name » date', SMF 'Reply #3 on:', Discourse)",
    "dreamwidth-text": "a Dreamwidth or LiveJournal comment page copied as text ('Date: ...' / 'From: ...')",
    "blogger-text": "Blogger comments copied as text ('Name said...', or name, date, 'Reply', 'Replies')",
    "wxr": "WordPress WXR export (.xml): posts with their comments",
    "x-api": "X/Twitter API v2 conversation JSON (data, includes.users, errors)",
    "x-archive": "X/Twitter account archive tweets.js (window.YTD... = [...])",
    "reddit": "Reddit thread .json (t3 post and nested t1 comments)",
    "pushshift": "Pushshift / Arctic-Shift NDJSON dump of Reddit comments (.ndjson, .jsonl, .zst)",
    "mastodon": "Mastodon status with its context JSON (ancestors, descendants)",
    "disqus": "Disqus comments export (.xml)",
    "bluesky": "Bluesky app.bsky.feed.getPostThread JSON",
    "4cat": "Zeeschuimer / 4CAT NDJSON: X posts and Reddit items as collected for digital methods",
    "essay": "a single post or essay as a one-unit thread (.txt, .md, .html)",
    "csv": "comma-separated table with a column mapping (id, parent, author, text, time, thread)",
    "tsv": "tab-separated table with a column mapping",
    "jsonl": "JSON lines, one comment per line, with a column mapping",
    "xlsx": "Excel workbook (first sheet unless sheet= is given) with a column mapping",
    "parquet": "Parquet table with a column mapping",
})

_READERS: dict[str, Callable[..., Any]] = {
    "html": html.read_html,
    "wordpress-text": pasted.read_wordpress_text,
    "x-unrolled": pasted.read_x_unrolled,
    "reddit-text": pasted.read_reddit_text,
    "forum-text": pasted.read_forum_text,
    "dreamwidth-text": pasted.read_dreamwidth_text,
    "blogger-text": pasted.read_blogger_text,
    "wxr": wordpress.read_wxr,
    "x-api": twitter.read_x_api,
    "x-archive": twitter.read_x_archive,
    "reddit": reddit.read_reddit,
    "pushshift": pushshift.read_pushshift,
    "mastodon": mastodon.read_mastodon,
    "disqus": disqus.read_disqus,
    "bluesky": bluesky.read_bluesky,
    "4cat": fourcat.read_4cat,
    "essay": essay.read_essay,
    "csv": tabular.read_csv,
    "tsv": tabular.read_tsv,
    "jsonl": tabular.read_jsonl,
    "xlsx": tabular.read_xlsx,
    "parquet": tabular.read_parquet,
}

#: The platform and structure of formats whose readers do not say (exports with parent ids).
_PLATFORM = {"wxr": "wordpress", "x-api": "x", "x-archive": "x", "reddit": "reddit", "pushshift": "reddit",
             "mastodon": "mastodon", "disqus": "disqus", "bluesky": "bluesky"}

#: Readers for a text that was not recognised: what to pass as format=.
_TEXT_FORMATS = ("wordpress-text", "x-unrolled", "reddit-text", "forum-text", "dreamwidth-text", "blogger-text")


def load_threads(
    path: str | PathLike[str],
    format: str | None = None,
    *,
    strict: bool = False,
    progress: bool | None = None,
    encoding: str | None = None,
    limits: Limits | Mapping[str, int] | None = None,
    follow_symlinks: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """Read a thread file into a units table.

    Parameters
    ----------
    path : str or path-like
        The file: a saved page, a copied comment section, a platform export, or a table.
    format : str, optional
        One of :data:`FORMATS`; sniffed from the file when omitted. A text that no
        reader recognises is read as one essay unit, and the report says plainly that no
        thread structure was recognised (with an :class:`IngestWarning`).
    strict : bool, default False
        Raise :class:`~workbench.errors.IngestError` at the first bad record instead of
        skipping it and reporting it in ``units.attrs["report"]``.
    progress : bool, optional
        Show a progress bar (tqdm); by default only for large files.
    encoding : str, optional
        The file's encoding. By default UTF-8 (with or without BOM) is read, and lines
        that are not UTF-8 are read as cp1252 with an :class:`IngestWarning`. A file that
        starts with a UTF-16 or UTF-32 byte-order mark is read as such.
    limits : Limits or mapping, optional
        Raise (or lower) the ingest limits for this call, e.g. ``{"max_ratio": 10_000}``;
        see :mod:`workbench.ingest.limits` for each limit, its default and its
        environment variable.
    follow_symlinks : bool, default False
        Read a file that is a symbolic link to a file outside the folder it is named in
        (refused by default, so that a link cannot bring in a file you did not choose).
    **options
        Options of the format's reader, e.g. ``columns={"text": "Comment"}`` for
        tables, ``spam="keep"`` for WXR and Disqus, ``title=``/``author=`` for essays.

    Returns
    -------
    DataFrame
        The units table (:data:`workbench.corpus.UNIT_COLUMNS`, plus ``title``,
        ``content_warning``, ``url`` and ``extra`` where the format has them), with
        ``attrs["source"]`` (file name, format, checksum, ``platform`` and
        ``structure``: ``native`` when the reply tree comes from the platform's own
        marks, ``inferred`` when the workbench reconstructed it, ``none`` for one
        unit), ``attrs["report"]`` (one dict per problem: ``file``, ``line``,
        ``record``, ``field``, ``message``, ``skipped``, ``kind``) and
        ``attrs["counts"]`` (problems by kind: ``orphan``, ``empty``, ``duplicate``,
        ``chrome``, ``missing``, ``record``, ``structure``, ..., and ``skipped``: records
        left out).

    Raises
    ------
    IngestError
        The file cannot be read as the format (names the file, line or record, and
        what was expected), or ``strict=True`` and a record is bad.
    LimitError
        The file passed one of the ingest limits (a decompression bomb, JSON nested too
        deeply, too many records); the message names the limit and how to raise it.

    Examples
    --------
    >>> units = load_threads("data/examples/wordpress_not_all_like_that.txt")
    >>> units.attrs["source"]["format"], units.attrs["source"]["structure"]
    ('wordpress-text', 'native')
    >>> units.groupby("depth").size().to_dict()
    {0: 1, 1: 23, 2: 12, 3: 6}
    >>> units.loc[units["kind"] == "pingback", "author"].tolist()
    ['saraheknowles', 'Sectioned', 'Co-producing digital mental health']
    """
    given = Path(path)
    if not given.exists():
        raise FileNotFoundError(f"no such thread file: {given}")
    bounds = resolve_limits(limits)
    p = safe_path(given, follow_symlinks=follow_symlinks)
    if not p.is_file():
        raise IngestError("is not a file; pass one thread file (loop over a folder yourself)", path=given.name)
    size = p.stat().st_size
    if size > bounds.max_bytes:
        raise LimitError(f"is {size_text(size)}, larger than one thread file may be", limit="max_bytes",
                         value=bounds.max_bytes, path=given.name)
    recognised = True
    if format is None:
        fmt, claim = sniff(p, name=given.name, max_depth=bounds.max_depth)
        recognised = fmt != "essay" or claim is not None
    else:
        fmt = format
    if fmt not in _READERS:
        raise ValueError(f"unknown format {fmt!r}; valid formats: {sorted(FORMATS)}")
    reader = _READERS[fmt]
    valid = [n for n, prm in inspect.signature(reader).parameters.items() if prm.kind is prm.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise TypeError(f"format {fmt!r} takes no option(s) {unknown}; its options are {valid}")
    ctx = Context(p, fmt, strict=strict, progress=progress, encoding=encoding, sniffed=format is None,
                  name=given.name, limits=bounds)
    ctx.recognised = recognised
    records = reader(ctx, **options)
    units = finish(records, ctx)
    del records
    if not ctx.recognised:
        ctx.note(
            "no thread structure recognised: the text was read as one essay unit. If it is a thread, its shape "
            f"was not one the workbench knows; pass format= (one of {', '.join(_TEXT_FORMATS)}) or save the page "
            "as HTML (File > Save Page As) and import that", kind="structure")
    ctx.finish_report()
    structure = ctx.structure or _default_structure(fmt, units)
    platform = ctx.platform if ctx.platform is not None else _PLATFORM.get(fmt)
    units = _name_untitled(units, platform or fmt)
    units.attrs["source"] = {"file_name": given.name, "format": fmt, "checksum": ctx.source_key(),
                             "platform": platform, "structure": structure}
    if ctx.confidence is not None:
        units.attrs["source"]["confidence"] = ctx.confidence
    units.attrs["report"] = ctx.report
    units.attrs["counts"] = {**ctx.counts, "skipped": ctx.skipped}
    message = warning_text(units, ctx)
    if message:
        warnings.warn(message, IngestWarning, stacklevel=2)
    return units


def _name_untitled(units: pd.DataFrame, platform: str) -> pd.DataFrame:
    """Name each thread without a title from its first words and platform (on its root post)."""
    if units.empty:
        return units
    titles = units["title"].astype(object) if "title" in units.columns else pd.Series(None, index=units.index, dtype=object)
    present = titles.notna()
    present[present] = ~titles[present].map(is_untitled).astype(bool)
    units["title"] = titles.where(present, None)
    roots = units[~units["thread_id"].isin(set(units.loc[present, "thread_id"]))]
    roots = roots.sort_values("depth", kind="stable").drop_duplicates("thread_id")
    units.loc[roots.index, "title"] = [thread_title(None, t, platform) for t in roots["text"]]
    return units


def _default_structure(fmt: str, units: pd.DataFrame) -> str:
    if fmt == "essay" or len(units) <= 1:
        return "none"
    if fmt in _PLATFORM:
        return "native"
    return "native" if units["parent_id"].notna().any() else "none"
