"""Ids carry no names: unit, thread and parent ids come from platform ids and checksums.

Issue 14: pseudonymised exports kept ``alice-smith-comments:1`` (from the file name),
``wxr:janedoe.wordpress.com:7`` (from the blog's domain) and Bluesky
``at://carol.bsky.social/...`` (a handle). Every fixture is read here under a file name
that is a person's name, and no id may hold that name, a host named in the file, or an
author's name or handle.
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pytest

from workbench.ingest import IngestWarning, load_threads

INGEST = Path(__file__).resolve().parent / "fixtures" / "ingest"
FILES = sorted(p for p in INGEST.rglob("*") if p.is_file() and p.suffix in
               (".csv", ".tsv", ".jsonl", ".ndjson", ".parquet", ".xlsx", ".json", ".xml", ".html", ".txt")
               and p.name not in ("expected.json", "account.js"))
ID_COLUMNS = ("unit_id", "thread_id", "parent_id")
_HOST = re.compile(r"https?://([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
#: Authors' words that are no one's name (placeholders the readers write themselves).
_NOT_NAMES = {"deleted", "[deleted]", "[removed]", "anonymous", "unknown", "none", "nan"}


#: Options a fixture needs (the CSV names its columns in its own words).
OPTIONS = {"comments.csv": {"columns": {"id": "Comment ID", "parent": "Reply To", "author": "Name",
                                        "text": "Comment", "time": "Date", "thread": "Page", "status": "Status"}}}


def _load(path: Path, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        return load_threads(path, **options)


def _names_in(units, raw: str) -> set[str]:
    names = {"alice", "smith"}
    names |= {h.lower() for h in _HOST.findall(raw)}
    for col in ("author",):
        if col in units.columns:
            names |= {a.lower() for a in units[col].dropna().astype(str) if len(a) >= 4} - _NOT_NAMES
    return names


def _ids(units) -> list[str]:
    return [v.lower() for c in ID_COLUMNS if c in units.columns for v in units[c].dropna().astype(str)]


@pytest.mark.parametrize("fixture", FILES, ids=lambda p: str(p.relative_to(INGEST)))
def test_no_id_holds_a_file_name_a_host_or_an_author(tmp_path, fixture):
    named = tmp_path / f"alice-smith-comments{fixture.suffix}"
    shutil.copyfile(fixture, named)
    units = _load(named, **OPTIONS.get(fixture.name, {}))
    raw = fixture.read_bytes().decode("utf-8", errors="replace")
    leaked = {(n, i) for n in _names_in(units, raw) for i in _ids(units) if n in i}
    assert not leaked, f"names in ids: {sorted(leaked)[:5]}"
    assert "alice" not in units.attrs["source"]["checksum"]


def test_bluesky_handles_in_post_uris_become_dids(tmp_path):
    text = (INGEST / "bluesky.json").read_text(encoding="utf-8")
    for who in ("sam", "ann", "jo"):
        text = text.replace(f"at://did:plc:{who}/", f"at://{who}.bsky.social/")
    path = tmp_path / "thread.json"
    path.write_text(text, encoding="utf-8")
    units = _load(path)
    ids = _ids(units)
    assert ids and not [i for i in ids if "bsky.social" in i]
    assert any("did:plc:sam" in i for i in ids)
    assert units["unit_id"].tolist() == _load(INGEST / "bluesky.json")["unit_id"].tolist()


def test_wxr_ids_do_not_hold_the_blog_address(tmp_path):
    text = (INGEST / "wxr.xml").read_text(encoding="utf-8")
    hosts = set(_HOST.findall(text))
    assert hosts
    units = _load(INGEST / "wxr.xml")
    assert units["unit_id"].str.match(r"^wxr:[0-9a-f]{10}:").all()
    assert not [i for i in _ids(units) for h in hosts if h.lower() in i]
