"""``workbench import``: how each file was read, what could not be placed, and the exit code."""

from __future__ import annotations

import re
from pathlib import Path

import workbench as wb
from workbench.cli import main

ROOT = Path(__file__).resolve().parent.parent
INGEST = ROOT / "tests" / "fixtures" / "ingest"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_text_with_no_thread_structure_is_said_and_exits_1(tmp_path, capsys):
    db = str(tmp_path / "p.db")
    code, out, _ = run(capsys, "--project", db, "import", str(INGEST / "pasted" / "not_threads" / "makefile.txt"))
    assert code == 1
    assert "makefile.txt (essay): 1 units read, 1 new, 0 record(s) rejected" in out
    assert "read as: one unit, no reply structure" in out
    assert "no thread structure recognised: the file was read as one essay unit" in out
    with wb.open_project(db) as project:
        assert project.n_units() == 1  # imported all the same: the researcher decides


def test_saved_page_summary_names_platform_and_structure(tmp_path, capsys):
    db = str(tmp_path / "p.db")
    code, out, _ = run(capsys, "--project", db, "import", str(INGEST / "html" / "wordpress_html5.html"),
                       str(INGEST / "html" / "generic_forum.html"))
    assert code == 0, out
    assert "wordpress_html5.html (html): 8 units read, 8 new, 0 record(s) rejected" in out
    assert "read as: wordpress; reply structure native" in out
    assert re.search(r"read as: a site of no known platform; reply structure inferred \(confidence 0\.\d\d\)", out)


def test_orphans_chrome_and_missing_are_counted(tmp_path, capsys):
    db = str(tmp_path / "p.db")
    files = [INGEST / "wordpress_text.txt", INGEST / "pasted" / "x_unrolled_deleted.txt", INGEST / "fourcat_reddit.ndjson"]
    code, out, _ = run(capsys, "--project", db, "import", *map(str, files))
    assert code == 0, out
    assert "not placed or dropped: 1 orphan(s)" in out  # wordpress_text.txt
    assert re.search(r"x_unrolled_deleted\.txt .*\n  read as: x; reply structure native\n  not placed or dropped: "
                     r"2 missing item\(s\) kept as placeholders, 3 line\(s\) of page chrome dropped", out)
    assert re.search(r"^total: \d+ units read, \d+ new, 0 rejected, 2 orphan\(s\), 2 missing item\(s\) kept as "
                     r"placeholders, \d+ line\(s\) of page chrome dropped$", out, re.M)


def test_duplicates_are_rejected_with_their_line_and_exit_1(tmp_path, capsys):
    page = (INGEST / "html" / "wordpress_html5.html").read_text(encoding="utf-8")
    path = tmp_path / "dup.html"
    path.write_text(page.replace('<li id="comment-105"', '<li id="comment-101"'), encoding="utf-8")
    code, out, _ = run(capsys, "--project", str(tmp_path / "p.db"), "import", str(path))
    assert code == 1
    assert "7 units read, 7 new, 1 record(s) rejected" in out
    assert re.search(r"rejected: dup\.html, line \d+, field 'unit_id': duplicate unit_id", out)
    assert "1 duplicate id(s)" in out


def test_a_bad_file_does_not_stop_the_import_and_the_summary_names_it(tmp_path, capsys):
    import json

    import zstandard

    def row(i):
        return json.dumps({"id": str(i), "author": "a", "text": f"comment {i}"})

    first = tmp_path / "first.jsonl"
    first.write_text(row(1) + "\n" + '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n" + row(2) + "\n", encoding="utf-8")
    bomb = tmp_path / "RC_bomb.zst"
    bomb.write_bytes(zstandard.ZstdCompressor(level=19).compress(b" " * (64 << 20)) * 8)
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": "world"}', encoding="utf-8")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    last = tmp_path / "last.jsonl"
    last.write_text(row(7) + "\n", encoding="utf-8")
    db = str(tmp_path / "p.db")
    code, out, err = run(capsys, "--project", db, "import", *map(str, (first, bomb, odd, deep, last)))
    assert code == 1, err
    assert "Traceback" not in err and "a bug in the workbench" not in err
    assert "first.jsonl (jsonl): 2 units read, 2 new, 1 record(s) rejected" in out
    assert re.search(r"rejected: first\.jsonl, line 2.*100,000 levels deep", out)
    assert re.search(r"RC_bomb\.zst.*decompression bomb.*WB_INGEST_MAX_RATIO", err)
    assert "odd.json" in err and "deep.json" in err
    assert "last.jsonl (jsonl): 1 units read, 1 new" in out  # read after the bad ones
    assert "3 of 5 file(s) not imported: RC_bomb.zst, odd.json, deep.json" in out
    with wb.open_project(db) as project:
        assert project.n_units() == 3
