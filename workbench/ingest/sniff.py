"""Which reader a thread file needs: sniffed from its name and first bytes, honestly.

Exports are recognised by their own markers (``window.YTD.``, ``<rss>`` with the ``wp:``
namespace, ``<disqus>``, the keys of a Reddit, X, Mastodon or Bluesky JSON document);
saved pages by being HTML; pasted text by the shape a reader of
:mod:`workbench.ingest.pasted` claims. Text that no reader claims is not guessed at: it
is read as one essay unit and reported as having no thread structure.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path

from ..errors import IngestError
from ._json import loads, too_deep
from ._stream import bom_encoding
from .pasted import Claim, recognise

__all__ = ["sniff_format", "sniff"]

_EXT = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
        ".parquet": "parquet", ".pq": "parquet", ".zst": "pushshift", ".js": "x-archive",
        ".html": "html", ".htm": "html", ".xhtml": "html"}


def sniff_format(path: str | PathLike[str]) -> str:
    """Guess a thread file's format from its name and first bytes.

    Text that no reader claims comes back as ``"essay"`` (one unit);
    :func:`workbench.ingest.load_threads` then reports that no thread structure was
    recognised.

    Examples
    --------
    >>> sniff_format("data/examples/twitter_unrolled_thread.txt")
    'x-unrolled'
    >>> sniff_format("data/examples/essay_bridging_the_divide.txt")
    'essay'
    >>> sniff_format("Makefile")
    'essay'
    """
    return sniff(path)[0]


def sniff(path: str | PathLike[str], *, name: str | None = None, max_depth: int = 512) -> tuple[str, Claim | None]:
    """The format and, for pasted text, the claim that recognised it (None: not recognised).

    ``name`` is the file's name when ``path`` is where a link to it led (its extension
    counts); a UTF-16 or UTF-32 file is sniffed by its text, read past its byte-order mark.
    """
    p = Path(path)
    ext = Path(name or p.name).suffix.lower()
    if ext in _EXT:
        return _EXT[ext], None
    with open(p, "rb") as fh:
        head_bytes = fh.read(1 << 20)
    encoding = bom_encoding(head_bytes[:4]) or "utf-8"
    if encoding in ("utf-16", "utf-32"):
        cut = len(head_bytes) - len(head_bytes) % (2 if encoding == "utf-16" else 4)
        head_bytes = head_bytes[:cut]
    head = head_bytes.decode(encoding, errors="replace").lstrip("\ufeff")
    stripped = head.lstrip()
    low = stripped[:200].lower()
    if stripped.startswith("window.YTD."):
        return "x-archive", None
    if low.startswith(("<!doctype html", "<html")) or (low.startswith("<") and "<body" in head[:20000].lower()):
        return "html", None
    if stripped.startswith("<"):
        if "<rss" in head[:5000] and "wordpress.org/export" in head:
            return "wxr", None
        if "<disqus" in head[:5000]:
            return "disqus", None
        if ext == ".xml":
            raise IngestError("is XML but neither a WordPress WXR export (<rss> with the wp: namespace) "
                              "nor a Disqus export (<disqus>); pass format=", path=p.name)
    if ext in (".ndjson", ".jsonl") or (stripped.startswith("{") and _is_ndjson(head, max_depth)):
        return _sniff_ndjson(head, max_depth), None
    if stripped.startswith(("{", "[")) or ext == ".json":
        return _sniff_json(p, head), None
    claim = recognise(head)
    if claim is None:
        return "essay", None
    return claim.format, claim


def _record(line: str, max_depth: int) -> object:
    """One line of the head as JSON; None when it is not JSON or nests too deep to look at."""
    if too_deep(line, max_depth) is not None:
        return None
    try:
        return loads(line, max_depth)
    except json.JSONDecodeError:
        return None


def _is_ndjson(head: str, max_depth: int) -> bool:
    lines = [ln for ln in head.split("\n", 3)[:3] if ln.strip()]
    if len(lines) < 2:
        return False
    return all(isinstance(_record(ln, max_depth), dict) for ln in lines[:2])


def _sniff_ndjson(head: str, max_depth: int) -> str:
    lines = [ln for ln in head.split("\n", 20)[:20] if ln.strip()][:5]
    rec = next((r for r in (_record(ln, max_depth) for ln in lines) if isinstance(r, dict)), None)
    if not isinstance(rec, dict):
        return "jsonl"
    if "source_platform" in rec and "data" in rec and ("item_id" in rec or "nav_index" in rec):
        return "4cat"  # Zeeschuimer's export, as 4CAT imports it
    if {"thread_id", "body", "author", "subreddit"} <= rec.keys() and "parent_id" not in rec:
        return "4cat"  # a 4CAT Reddit dataset
    if "parent_id" in rec and ("link_id" in rec or "subreddit" in rec):
        return "pushshift"
    if str(rec.get("name", "")).startswith(("t1_", "t3_")):
        return "pushshift"
    return "jsonl"


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
        "a Mastodon context, or a Bluesky getPostThread response. Pass format= (see workbench.FORMATS)",
        path=p.name,
    )
