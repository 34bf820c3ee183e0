"""workbench.ingest.pasted: threads copied as text, read only when their shape is there.

tests/fixtures/ingest/pasted holds texts written for these tests as each platform's page
reads when copied, with their expected reading in expected.json; not_threads/ holds
texts that are no thread at all (a README, a recipe, a Makefile, meeting minutes, a
poem), which must come back as one unit with a plain "no thread structure" report.
"""

from __future__ import annotations

import json
import re
import warnings

import pytest

from workbench.corpus import validate_units
from workbench.errors import IngestError
from workbench.ingest import IngestWarning, load_threads, sniff_format
from workbench.ingest.pasted import recognise

EXPECTED = {k: v for k, v in json.loads(
    (__import__("pathlib").Path(__file__).parent / "fixtures" / "ingest" / "pasted" / "expected.json")
    .read_text(encoding="utf-8")).items() if not k.startswith("_")}


@pytest.fixture
def pasted(fixtures):
    return fixtures / "ingest" / "pasted"


def load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        return load_threads(path, **kw)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_pasted_text_is_read_as_expected(pasted, name):
    want = EXPECTED[name]
    path = pasted / name
    assert sniff_format(path) == want["format"]
    units = load(path)
    validate_units(units)
    src = units.attrs["source"]
    assert (src["format"], src["platform"], src["structure"]) == (want["format"], want["platform"], want["structure"])
    got = [[int(d), a, s] for d, a, s in zip(units["depth"], units["author"], units["status"])]
    assert got == want["units"]
    for i, text in want.get("texts", {}).items():
        assert units.iloc[int(i)]["text"] == text
    if "title" in want:
        assert units.iloc[0]["title"] == want["title"]
    if "root_author" in want:
        assert units.iloc[0]["author"] == want["root_author"]
    for i, j in want.get("replies_to", {}).items():
        assert units.iloc[int(i)]["extra"]["replies_to"] == units.iloc[j]["unit_id"]
    if want.get("chrome"):
        chrome = [r for r in units.attrs["report"] if r["kind"] == "chrome"]
        assert chrome and all(r["line"] for r in chrome)
        assert units.attrs["counts"]["chrome"] >= len(chrome)
        assert not units["text"].str.contains(r"^(?:Reply|Share this:|Leave a Reply|Post Reply|Delete)$", flags=re.M).any()
    if "missing_reported" in want:
        assert units.attrs["counts"]["missing"] == want["missing_reported"]
        assert all(r["line"] for r in units.attrs["report"] if r["kind"] == "missing")
    if want["structure"] == "inferred":
        assert any("does not show which comment answers which" in r["message"] for r in units.attrs["report"])
    # placeholders have no text; ids hold no name
    assert (units.loc[units["status"].isin(["deleted", "removed", "missing"]), "text"] == "").all()
    for author in set(units["author"]) - {""}:
        assert author not in "".join(units["unit_id"]) or author in ("post",)


@pytest.mark.parametrize("name", sorted(p for p in EXPECTED if not p.startswith("..")))
def test_a_header_line_or_blank_lines_do_not_change_the_reading(pasted, tmp_path, name):
    text = (pasted / name).read_text(encoding="utf-8")
    base = load(pasted / name)
    for prefix in ("\n\n\n", "Saved from https://example.org/thread/42 on 4 March 2024\n\n", "\ufeff  \n"):
        path = tmp_path / name
        path.write_text(prefix + text, encoding="utf-8")
        assert sniff_format(path) == EXPECTED[name]["format"]
        other = load(path)
        cols = ["depth", "author", "status", "text", "kind"]
        assert other[cols].values.tolist() == base[cols].values.tolist(), prefix


@pytest.mark.parametrize("name", ["readme.md", "recipe.txt", "makefile.txt", "minutes.txt", "poem.txt"])
def test_texts_that_are_not_threads_are_one_unit_and_say_so(pasted, name):
    path = pasted / "not_threads" / name
    assert recognise(path.read_text(encoding="utf-8")) is None
    assert sniff_format(path) == "essay"
    with pytest.warns(IngestWarning, match="no thread structure recognised"):
        units = load_threads(path)
    assert len(units) == 1
    assert units.attrs["source"]["structure"] == "none" and units.attrs["source"]["platform"] is None
    report = [r for r in units.attrs["report"] if r["kind"] == "structure"]
    assert len(report) == 1 and report[0]["message"].startswith("no thread structure recognised")
    assert units.attrs["counts"]["structure"] == 1
    # nothing was dropped from it: every line of the file is in the one unit
    words = set(re.findall(r"[A-Za-z]{4,}", path.read_text(encoding="utf-8")))
    assert words <= set(re.findall(r"[A-Za-z]{4,}", (units.iloc[0]["title"] or "") + " " + units.iloc[0]["text"]))


def test_an_essay_whose_page_says_it_has_no_comments_is_recognised(examples):
    with warnings.catch_warnings():
        warnings.simplefilter("error", IngestWarning)  # no warning: the page itself says so
        units = load_threads(examples / "essay_bridging_the_divide.txt")
    assert units.attrs["source"]["structure"] == "none"
    assert not any(r["kind"] == "structure" for r in units.attrs["report"])


def test_an_explicit_reader_on_text_without_its_shape_is_an_error(pasted):
    for fmt in ("reddit-text", "forum-text", "dreamwidth-text", "blogger-text", "wordpress-text"):
        with pytest.raises(IngestError, match="recipe.txt: no .*found"):
            load_threads(pasted / "not_threads" / "recipe.txt", format=fmt)


def test_a_numbered_list_is_not_an_unrolled_thread():
    assert recognise("Method\n1. Chop.\n2. Soften.\n3. Simmer.\n4. Blend.") is None
    assert recognise("1/ one\n2/ two\n3/ three").format == "x-unrolled"
    assert recognise("a tweet 1/3\nanother 2/3\nthe end 3/3").format == "x-unrolled"
    assert recognise("Posts 3/5 were about A.\nThe 1/2 marathon.") is None  # numbers out of order, no reader page


def test_unrolled_entities_unescaped_once_and_deleted_placeholders(pasted):
    units = load(pasted / "x_unrolled_deleted.txt")
    assert units.iloc[0]["text"].endswith("harm & what it does 🧵")
    assert units.iloc[2]["status"] == "deleted" and units.iloc[2]["extra"] == {"number": 3}
    missing = [r for r in units.attrs["report"] if r["kind"] == "missing"]
    assert [m["message"][:12] for m in missing] == ["tweet(s) [4]", "tweet(s) [6]"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("line", [
    "1. " + "a " * 10_000 + "17 August 2013 at 9:32",
    "[–]" + "x" * 20_000 + " 3 points 2 hours ago",
    "Post by " + "a " * 10_000 + "» Wed Jan 10, 2024",
    "u/" + "a" * 20_000 + " · 3 points",
    " " * 20_000 + "says:",
    "Date: 2024-01-01 " + "1" * 20_000,
    "link | " * 3_000 + "x",
    "&amp;" * 4_000,
    "1/" + " " * 20_000 + "x",
    "a" * 20_000 + " said...",
])
def test_a_20000_character_line_is_read_in_linear_time(tmp_path, line):
    assert len(line) >= 20_000
    text = "Title\n\n" + line + "\n" + line + "\n"
    assert recognise(text) is None or recognise(text).format
    path = tmp_path / "long.txt"
    path.write_text(text, encoding="utf-8")
    units = load(path)
    assert len(units) >= 1
    for fmt in ("wordpress-text", "reddit-text", "forum-text", "dreamwidth-text", "blogger-text", "x-unrolled"):
        try:
            load(path, format=fmt)
        except IngestError:
            pass


#: Lines that made the sniffers' regular expressions quadratic (issue 14: 8 s at 8,000 spaces).
_WORST = {"numbered, spaces": lambda n: "1. x" + " " * n, "numbered, words": lambda n: "1. x" + " a" * (n // 2),
          "numbered, digits": lambda n: "1. " + "1" * n, "bullet, spaces": lambda n: "• " + " " * n + "x",
          "bullet, words": lambda n: "• " + "a " * (n // 2)}


def _best_of(fn, repeat: int = 5) -> float:
    import time

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.timeout(300)
@pytest.mark.parametrize("shape", sorted(_WORST))
def test_the_worst_lines_grow_linearly_not_quadratically(tmp_path, shape):
    # No wall-clock limit: the time for a line 4 times as long must grow about 4 times (linear), far from
    # the 16 times of a quadratic scan; the best of 5 runs keeps a busy machine's noise out.
    def read(n: int, fmt: str | None) -> float:
        line = _WORST[shape](n)
        text = "Title\n\n" + line + "\n" + line + "\n"
        path = tmp_path / f"long{n}.txt"
        path.write_text(text, encoding="utf-8")

        def go():
            recognise(text)
            try:
                load(path, format=fmt)
            except IngestError:
                pass
        return _best_of(go)

    for fmt in (None, "x-unrolled", "wordpress-text"):
        short, long = read(10_000, fmt), read(40_000, fmt)
        assert long < 8 * short + 0.05, f"{shape}, format {fmt}: {short:.4f}s at 10k, {long:.4f}s at 40k"
