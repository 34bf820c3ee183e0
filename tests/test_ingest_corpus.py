"""A corpus of hostile and broken thread files, read in a subprocess with 2 GB of memory and a time limit.

Issue 14: every file must end in a load with a report, or a ``WorkbenchError`` naming the
file; never ``MemoryError``, ``RecursionError``, a timeout, or a traceback from the
command line. The files are made here (bombs are a few kilobytes on disk); each is read
through the API in one child process and through ``workbench import`` in another, both
with their address space limited by ``resource.setrlimit(RLIMIT_AS)``.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import zstandard

resource = pytest.importorskip("resource")  # POSIX only

ROOT = Path(__file__).resolve().parent.parent
MEMORY = 2 << 30  # bytes of address space the child may use
TIME = 420  # seconds for the whole corpus, in one child

_ROW = '{{"id": "{0}", "author": "a", "text": "comment {0}"}}'
_COMMENT = ('{{"id": "c{0}", "parent_id": "t3_p", "link_id": "t3_p", "author": "a", "body": "b{0}", '
            '"created_utc": {1}, "subreddit": "s"}}')


def _zip(members: dict[str, bytes | int]) -> bytes:
    """A zip file; an int member is that many zero bytes, deflated (a zip bomb's member)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            if isinstance(data, int):
                with z.open(name, "w", force_zip64=True) as fh:
                    block = b"\0" * (1 << 20)
                    for _ in range(data >> 20):
                        fh.write(block)
            else:
                z.writestr(name, data)
    return buf.getvalue()


def make_corpus(folder: Path) -> dict[str, str]:
    """Write the corpus; returns file name -> what it is (for the failure messages)."""
    files: dict[str, bytes] = {}
    what: dict[str, str] = {}

    def add(name: str, data: bytes | str, about: str) -> None:
        files[name] = data.encode("utf-8") if isinstance(data, str) else data
        what[name] = about

    deep_obj = '{"a":' * 100_000 + "1" + "}" * 100_000
    add("deep_line.jsonl", "\n".join([_ROW.format(1), deep_obj, _ROW.format(2)]) + "\n", "an NDJSON line 100,000 deep")
    add("deep.json", "[" * 100_000 + "]" * 100_000, "a JSON document 100,000 deep")
    add("deep_reddit.json", '[{"kind": "Listing", "data": {"children": ' + "[" * 50_000 + "]" * 50_000 + "}}]",
        "a Reddit thread with a 50,000 deep value")
    add("open.json", "[" * 300_000, "a JSON document of 300,000 unclosed brackets")
    space = zstandard.ZstdCompressor(level=3).compress(b" " * (64 << 20))
    add("RC_bomb.zst", space * 64, "a zstd of 64 frames, 4 GiB of spaces")
    streamed = io.BytesIO()
    with zstandard.ZstdCompressor(level=3, write_content_size=False).stream_writer(streamed, closefd=False) as w:
        w.write((_COMMENT.format(1, 1700000000) + "\n").encode())
        for _ in range(300):
            w.write(b"\n" * (1 << 20))
    add("RC_stream_bomb.zst", streamed.getvalue(), "a zstd bomb without declared sizes, 300 MiB of newlines")
    rows = "".join(_COMMENT.format(i, 1700000000 + i) + "\n" for i in range(4000)).encode()
    whole = zstandard.ZstdCompressor(level=3).compress(rows)
    add("RC_cut.zst", whole[: len(whole) // 2], "a zstd cut in half")
    add("RC_not.zst", b"\x28\xb5\x2f\xfd" + os.urandom(2000), "a zstd magic number and noise")
    add("quote.csv", 'id,author,text\n1,A,fine\n2,B,"never closed\n' + "3,C,lost\n" * 1000, "a CSV quote never closed")
    add("wide.csv", "id," + ",".join(f"c{i}" for i in range(100_000)) + ",text\n1," + "," * 100_000 + "x\n",
        "a CSV of 100,002 columns")
    add("utf16.txt", (ROOT / "tests" / "fixtures" / "ingest" / "wordpress_text.txt").read_text("utf-8")
        .encode("utf-16"), "a copied WordPress page in UTF-16 with a BOM")
    add("utf16_nobom.txt", "Some words in UTF-16 without its mark.\n".encode("utf-16-le") * 50, "UTF-16 without a BOM")
    add("utf32.jsonl", (_ROW.format(1) + "\n").encode("utf-32"), "UTF-32 with a BOM")
    add("bom_then_bad.txt", codecs.BOM_UTF16_LE + b"\x00\xd8" * 10, "a UTF-16 BOM and lone surrogates")
    add("nul.txt", b"An essay\x00 with\x01 NULs\x1b and escapes.\n" * 100, "NUL and control bytes")
    add("cp1252.jsonl", (_ROW.format(1) + "\n").encode() + b'{"id": "2", "author": "b", "text": "caf\xe9 \x93q\x94"}\n',
        "a cp1252 line among UTF-8")
    add("numbered.txt", "Title\n\n" + ("1. x" + " " * 20_000 + "\n") * 3, "20,000-character lines beginning 1. x")
    add("bullets.txt", "Title\n\n" + ("• " + "a " * 10_000 + "\n") * 3, "20,000-character lines beginning •")
    add("says.txt", "Title\n\n" + ("a" * 20_000 + " says:\n") * 3, "20,000-character lines ending says:")
    add("laughs.xml", '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;'
        '&lol;&lol;&lol;&lol;&lol;&lol;">]><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
        "<title>&lol2;</title></item></channel></rss>", "an XML entity bomb")
    add("deep.xml", '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
        + "<item>" * 100_000 + "</item>" * 100_000 + "</channel></rss>", "XML nested 100,000 deep")
    add("deep.html", "<html><body>" + "<div>" * 100_000 + "text" + "</div>" * 100_000 + "</body></html>",
        "HTML nested 100,000 deep")
    add("many.html", "<html><body>" + "".join(
        f'<div class="c{i % 50}"><span class="author">a{i}</span><time datetime="2024-01-01">1 Jan</time>'
        f"<p>text {i}</p></div>" for i in range(5_000)) + "</body></html>", "a page of 5,000 blocks in 50 groups")
    add("comments.xlsx", _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                               "xl/worksheets/sheet1.xml": 300 << 20}), "an .xlsx whose sheet inflates to 300 MiB")
    add("notzip.xlsx", b"PK\x03\x04" + os.urandom(500), "an .xlsx that is not a zip")
    add("noise.parquet", b"PAR1" + os.urandom(1000) + b"PAR1", "a Parquet file of noise")
    add("noise.txt", os.urandom(20_000), "random bytes")
    add("empty.jsonl", b"", "an empty file")
    add("cycle.json", json.dumps({"status": {"id": "1", "content": "a", "in_reply_to_id": "2",
                                             "account": {"acct": "x", "url": "https://h.example/@x"}},
                                  "ancestors": [{"id": "2", "content": "b", "in_reply_to_id": "1",
                                                 "account": {"acct": "y", "url": "https://h.example/@y"}}],
                                  "descendants": []}), "a Mastodon context whose replies form a cycle")
    add("types.ndjson", '{"id": [1], "body": {"x": 1}, "author": null, "parent_id": 5, "created_utc": "x", '
        '"link_id": [], "subreddit": 1}\n' * 10, "Pushshift-like lines of the wrong types")
    for name, data in files.items():
        (folder / name).write_bytes(data)
    link = folder / "passwd.txt"
    link.symlink_to("/etc/passwd")
    what["passwd.txt"] = "a symbolic link to /etc/passwd"
    return what


_CHILD = r'''
import json, resource, sys, traceback, warnings
resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
from pathlib import Path
from workbench.errors import WorkbenchError
from workbench.ingest import load_threads
warnings.simplefilter("ignore")
for name in sys.argv[1:]:
    print(json.dumps({{"start": name}}), flush=True)
    try:
        units = load_threads(Path(name))
        out = {{"file": Path(name).name, "outcome": "loaded", "units": len(units),
               "kinds": sorted({{r["kind"] for r in units.attrs["report"]}})}}
    except WorkbenchError as exc:
        out = {{"file": Path(name).name, "outcome": "error", "type": type(exc).__name__, "message": str(exc)}}
    except BaseException as exc:
        out = {{"file": Path(name).name, "outcome": "crash", "type": type(exc).__name__,
               "message": traceback.format_exc()[-2000:]}}
    print(json.dumps(out), flush=True)
'''


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _env() -> dict[str, str]:
    # one thread per numeric library, few malloc arenas: the address space counts what threads reserve
    return {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2",
            "PYTHONWARNINGS": "ignore"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, make_corpus(folder)


@pytest.mark.timeout(TIME + 60)
def test_every_hostile_file_is_loaded_with_a_report_or_refused_naming_it(corpus):
    folder, what = corpus
    names = sorted(what)
    script = _CHILD.format(memory=MEMORY)
    try:
        done = subprocess.run([sys.executable, "-c", script, *(str(folder / n) for n in names)], cwd=ROOT,
                              capture_output=True, text=True, timeout=TIME, env=_env())
    except subprocess.TimeoutExpired as exc:
        started = [json.loads(x)["start"] for x in (exc.stdout or "").splitlines() if '"start"' in x]
        pytest.fail(f"timed out ({TIME} s) reading {started[-1] if started else 'the first file'}")
    results = {r["file"]: r for r in map(json.loads, done.stdout.splitlines()) if "file" in r}
    assert done.returncode == 0, done.stderr[-3000:]
    assert set(results) == set(names), f"no result for {set(names) - set(results)}: {done.stderr[-2000:]}"
    for name, r in results.items():
        about = f"{name} ({what[name]}): {r}"
        assert r["outcome"] != "crash", about
        if r["outcome"] == "error":
            assert name in r["message"], about
            assert "Traceback" not in r["message"]
        else:
            assert r["kinds"] or r["units"] >= 1, about  # loaded: something read, or a report of why not
    # the ones a reader must refuse, and the ones whose good part must load with a report
    for name in ("RC_bomb.zst", "RC_stream_bomb.zst", "comments.xlsx", "passwd.txt", "laughs.xml"):
        assert results[name]["outcome"] == "error", f"{name} ({what[name]}): {results[name]}"
    for name, kind in (("deep_line.jsonl", "limit"), ("RC_cut.zst", "truncated"), ("quote.csv", "truncated"),
                       ("nul.txt", "control"), ("cp1252.jsonl", "encoding")):
        assert results[name]["outcome"] == "loaded" and kind in results[name]["kinds"], results[name]
    assert results["utf16.txt"]["units"] > 1  # read as the thread it is, not one essay


@pytest.mark.timeout(TIME + 60)
def test_workbench_import_of_the_corpus_reports_every_file_and_exits_1(corpus, tmp_path):
    folder, what = corpus
    names = sorted(what)
    try:
        done = subprocess.run([sys.executable, "-m", "workbench", "--project", str(tmp_path / "p.db"), "import",
                               *(str(folder / n) for n in names)], cwd=ROOT, capture_output=True, text=True,
                              timeout=TIME, env=_env(), preexec_fn=_limited)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"workbench import timed out ({TIME} s); its last output: {(exc.stdout or '')[-500:]}")
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "a bug in the workbench" not in done.stderr, done.stderr[-3000:]
    assert "MemoryError" not in done.stderr and "RecursionError" not in done.stderr
    said = done.stdout + done.stderr
    for name in names:
        assert name in said, f"{name} ({what[name]}) is not named in the output"
    assert "file(s) not imported:" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("project ")  # it got to the end and summed up
