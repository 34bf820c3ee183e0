"""workbench.ingest.limits and the reading under them: bad lines, bombs, truncation, encodings, links.

Each test is one item of issue 14 ("What to build", ingest): the file is made here, read
with ``load_threads``, and what was loaded and what was reported are both checked.
"""

from __future__ import annotations

import json
import os
import warnings

import pytest
import zstandard

from workbench.corpus import validate_units
from workbench.errors import IngestError
from workbench.ingest import IngestWarning, load_threads
from workbench.ingest.limits import LimitError, resolve_limits


def _row(i: int, text: str | None = None) -> str:
    return json.dumps({"id": str(i), "author": f"writer{i}", "text": text or f"comment {i}"}, ensure_ascii=False)


def _comment(i: int) -> str:
    return json.dumps({"id": f"c{i}", "parent_id": "t3_p", "link_id": "t3_p", "author": "a", "body": f"body {i}",
                       "created_utc": 1700000000 + i, "subreddit": "s"})


def _load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        return load_threads(path, **kw)


def _report(units, kind=None):
    return [r for r in units.attrs["report"] if kind is None or r["kind"] == kind]


# --- NDJSON: a bad line is reported with its line number, and the rest loads ----------------
def test_a_line_nested_100000_deep_is_skipped_with_its_line_and_the_rest_loads(tmp_path):
    deep_object = '{"a":' * 100_000 + "1" + "}" * 100_000
    deep_array = "[" * 100_000  # unclosed too
    path = tmp_path / "comments.jsonl"
    path.write_text("\n".join([_row(1), deep_object, _row(2), deep_array, "{not json}", _row(3)]) + "\n",
                    encoding="utf-8")
    units = _load(path)
    assert units["text"].tolist() == ["comment 1", "comment 2", "comment 3"]
    skipped = {r["line"]: r["message"] for r in units.attrs["report"] if r["skipped"]}
    assert sorted(skipped) == [2, 4, 5]
    assert "100,000 levels deep" in skipped[2] and "max_depth" in skipped[2] and "WB_INGEST_MAX_DEPTH" in skipped[2]
    assert units.attrs["counts"]["skipped"] == 3
    validate_units(units)


def test_a_deep_line_in_a_pushshift_dump_is_skipped_too(tmp_path):
    path = tmp_path / "RC_2024-01.ndjson"
    path.write_text("\n".join([_comment(1), "[" * 100_000 + "]" * 100_000, _comment(2)]) + "\n", encoding="utf-8")
    units = _load(path)
    assert units.attrs["source"]["format"] == "pushshift"
    assert set(units["text"]) == {"body 1", "body 2", ""}  # "": the placeholder of the post they reply to
    assert [r["line"] for r in units.attrs["report"] if r["skipped"]] == [2]


def test_strict_stops_at_the_deep_line_naming_file_and_line(tmp_path):
    path = tmp_path / "comments.jsonl"
    path.write_text("\n".join([_row(1), "[" * 5000 + "]" * 5000, _row(2)]) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"comments\.jsonl, line 2"):
        load_threads(path, strict=True)


def test_a_limit_is_raised_by_keyword_or_environment(tmp_path, monkeypatch):
    path = tmp_path / "comments.jsonl"
    nested = json.dumps({"id": "9", "author": "x", "text": "deep", "extra": [[[[[[[[1]]]]]]]]})
    path.write_text(_row(1) + "\n" + nested + "\n", encoding="utf-8")
    assert len(_load(path)) == 2
    assert len(_load(path, limits={"max_depth": 4})) == 1  # lowered: the nested line is skipped
    monkeypatch.setenv("WB_INGEST_MAX_DEPTH", "4")
    assert resolve_limits().max_depth == 4
    assert len(_load(path)) == 1
    assert len(_load(path, limits={"max_depth": 64})) == 2  # the keyword wins over the variable
    monkeypatch.setenv("WB_INGEST_MAX_DEPTH", "deep")
    with pytest.raises(ValueError, match="WB_INGEST_MAX_DEPTH='deep' is not a number"):
        resolve_limits()
    monkeypatch.delenv("WB_INGEST_MAX_DEPTH")
    with pytest.raises(ValueError, match="unknown limit"):
        resolve_limits({"max_deep": 3})


def test_a_line_longer_than_max_line_is_skipped_and_reported(tmp_path):
    path = tmp_path / "comments.jsonl"
    path.write_text("\n".join([_row(1), _row(2, "x" * 5000), _row(3)]) + "\n", encoding="utf-8")
    units = _load(path, limits={"max_line": 1000})
    assert units["unit_id"].str.endswith((":1", ":3")).all() and len(units) == 2
    (skipped,) = [r for r in units.attrs["report"] if r["skipped"]]
    assert skipped["line"] == 2 and "max_line" in skipped["message"]


def test_too_many_records_is_refused_naming_the_limit(tmp_path):
    path = tmp_path / "comments.jsonl"
    path.write_text("\n".join(_row(i) for i in range(50)) + "\n", encoding="utf-8")
    with pytest.raises(LimitError, match=r"comments\.jsonl.*max_records") as err:
        load_threads(path, limits={"max_records": 10})
    assert err.value.limit == "max_records"


# --- zstd: a bomb is refused while streaming, a cut file is reported ---------------------------
def test_a_zstd_bomb_of_4_gib_is_refused_without_inflating_it(tmp_path):
    chunk = zstandard.ZstdCompressor(level=19).compress(b" " * (64 << 20))  # 64 MiB of spaces
    path = tmp_path / "RC_2024-02.zst"
    path.write_bytes(chunk * 64)  # 64 frames: 4 GiB from a few kilobytes
    assert path.stat().st_size < 200_000
    with pytest.raises(LimitError, match=r"RC_2024-02\.zst.*decompression bomb.*max_ratio.*WB_INGEST_MAX_RATIO"):
        load_threads(path)


def test_a_zstd_bomb_without_declared_sizes_is_refused_as_it_streams(tmp_path):
    path = tmp_path / "RC_2024-03.zst"
    with open(path, "wb") as fh, zstandard.ZstdCompressor(level=3, write_content_size=False).stream_writer(fh) as w:
        w.write((_comment(1) + "\n").encode())
        for _ in range(200):
            w.write(b" " * (1 << 20))
    with pytest.raises(LimitError, match=r"RC_2024-03\.zst.*times its compressed size") as err:
        load_threads(path)
    assert err.value.limit == "max_ratio"


def test_a_zstd_cut_at_a_block_boundary_is_reported_as_truncated(tmp_path):
    lines = [(_comment(i) + "\n").encode() for i in range(4000)]
    comp = zstandard.ZstdCompressor(level=3).compressobj()
    head = comp.compress(b"".join(lines[:2000])) + comp.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    whole = head + comp.compress(b"".join(lines[2000:])) + comp.flush()
    full, cut = tmp_path / "RC_full.zst", tmp_path / "RC_cut.zst"
    full.write_bytes(whole)
    cut.write_bytes(head)  # a clean block boundary: the decompressor alone does not notice
    assert zstandard.ZstdDecompressor().decompressobj().decompress(head) == b"".join(lines[:2000])
    assert len(_load(full)) == 4001 and not _report(_load(full), "truncated")
    units = _load(cut)
    assert len(units) == 2001  # the comments before the cut, and the placeholder of their post
    (truncated,) = _report(units, "truncated")
    assert "truncated" in truncated["message"] and truncated["file"] == "RC_cut.zst"
    with pytest.warns(IngestWarning, match="truncated"):
        load_threads(cut)


def test_a_zstd_cut_inside_a_block_keeps_the_whole_lines_and_reports_both(tmp_path):
    data = zstandard.ZstdCompressor(level=3).compress("".join(_comment(i) + "\n" for i in range(3000)).encode())
    path = tmp_path / "RC_half.zst"
    path.write_bytes(data[: len(data) // 2])
    units = _load(path)
    assert 0 < len(units) < 3001
    kinds = {r["kind"] for r in units.attrs["report"]}
    assert "truncated" in kinds


def test_not_zstd_at_all_is_an_ingest_error_naming_the_file(tmp_path):
    path = tmp_path / "RC_fake.zst"
    path.write_bytes(b"this is not zstd data at all" * 10)
    with pytest.raises(IngestError, match=r"RC_fake\.zst"):
        load_threads(path, format="pushshift")


# --- CSV: a quote still open at the end of the file -------------------------------------------
def test_csv_with_an_unclosed_quote_is_reported_not_swallowed(tmp_path):
    path = tmp_path / "comments.csv"
    path.write_text('id,author,text\n1,A,fine\n2,B,"this quote never closes\n3,C,lost\n4,D,lost too\n',
                    encoding="utf-8")
    units = _load(path)
    assert units["text"].tolist() == ["fine"]
    (truncated,) = _report(units, "truncated")
    assert truncated["line"] == 3 and "never closed" in truncated["message"] and "3-5" in truncated["message"]
    assert units.attrs["counts"]["skipped"] >= 1
    with pytest.raises(IngestError, match=r"comments\.csv, line 3"):
        load_threads(path, strict=True)


# --- encodings ---------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_files_with_a_byte_order_mark_are_read_in_their_encoding(tmp_path, encoding):
    text = _row(1, "naïve “quotes” – 😀") + "\n" + _row(2) + "\n"
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be", "utf-32-be"):  # these codecs write no BOM: add it
        import codecs

        bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
               "utf-32-be": codecs.BOM_UTF32_BE}[encoding]
        data = bom + data
    path = tmp_path / "comments.jsonl"
    path.write_bytes(data)
    units = _load(path)
    assert units["text"].tolist() == ["naïve “quotes” – 😀", "comment 2"]
    assert not units.attrs["report"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_copied_text_with_a_bom_is_sniffed_as_its_platform(tmp_path, fixtures, encoding):
    text = (fixtures / "ingest" / "wordpress_text.txt").read_text(encoding="utf-8")
    path = tmp_path / "copied.txt"
    path.write_bytes(text.encode(encoding))
    units = _load(path)
    assert units.attrs["source"]["format"] == "wordpress-text"
    assert len(units) == len(_load(fixtures / "ingest" / "wordpress_text.txt"))


def test_cp1252_lines_are_read_with_a_warning_naming_them(tmp_path):
    path = tmp_path / "comments.jsonl"
    path.write_bytes((_row(1) + "\n").encode() + (_row(2, "café “quoted”") + "\n").encode("cp1252"))
    with pytest.warns(IngestWarning, match="cp1252"):
        units = load_threads(path)
    assert units["text"].tolist() == ["comment 1", "café “quoted”"]
    (note,) = _report(units, "encoding")
    assert note["line"] == 2 and "comments.jsonl is not valid UTF-8" in note["message"]


def test_nul_and_control_characters_are_removed_and_reported(tmp_path):
    path = tmp_path / "comments.jsonl"
    path.write_text(_row(1, "a\u0000b\u0007c\u001bd\u009be") + "\n" + _row(2, "tab\tand\nnewline stay") + "\n",
                    encoding="utf-8")
    units = _load(path)
    assert units["text"].iloc[0] == "abcde" and "\n" in units["text"].iloc[1]  # line breaks are not controls
    (note,) = _report(units, "control")
    assert "NUL" in note["message"] and "BEL" in note["message"] and note["field"] == "text" and note["line"] == 1
    assert units.attrs["counts"]["control"] == 1


def test_nul_bytes_in_a_copied_text_are_removed(tmp_path):
    path = tmp_path / "essay.txt"
    path.write_bytes(b"An essay\x00 with a NUL\x01 byte.\r\nSecond line.\n")
    units = _load(path)
    assert units["text"].tolist() == ["An essay with a NUL byte.\nSecond line."]
    assert _report(units, "control")


def test_ids_that_differ_only_by_a_control_character_are_duplicates(tmp_path):
    path = tmp_path / "comments.jsonl"
    path.write_text(json.dumps({"id": "7", "author": "a", "text": "x"}) + "\n"
                    + json.dumps({"id": "7\u0000", "author": "b", "text": "y"}) + "\n", encoding="utf-8")
    units = _load(path)
    assert len(units) == 1 and units.attrs["counts"]["duplicate"] == 1
    validate_units(units)


# --- symbolic links ------------------------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="symbolic links")
def test_a_symbolic_link_out_of_the_folder_is_refused_unless_asked(tmp_path):
    outside = tmp_path / "elsewhere" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    folder = tmp_path / "threads"
    folder.mkdir()
    link = folder / "x.txt"
    link.symlink_to(outside)
    with pytest.raises(IngestError, match=r"x\.txt: is a symbolic link .*outside the folder.*follow_symlinks"):
        load_threads(link)
    assert "root:x" in _load(link, follow_symlinks=True)["text"].iloc[0]
    inside = folder / "y.txt"  # a link within the folder is read as its target
    (folder / "target.txt").write_text("An essay inside the folder.\n", encoding="utf-8")
    inside.symlink_to(folder / "target.txt")
    assert _load(inside)["text"].tolist() == ["An essay inside the folder."]
