"""workbench.ingest.html: saved pages of each platform, the generic reader, page chrome, hostile markup.

The fixtures in tests/fixtures/ingest/html were written for these tests from each
platform's own templates (see the reader modules' docstrings); none is a copied page.
"""

from __future__ import annotations

import html
import re
import warnings

import pandas as pd
import pytest

from workbench.corpus import validate_units
from workbench.ingest import IngestWarning, load_threads, sniff_format

EMOJI = re.compile("[\U0001F300-\U0001FAFF\u23f3]")
#: Words of page chrome that must never reach a unit's text.
CHROME = re.compile(r"Leave a Reply|Cancel reply|Related|Share this|cookies|Recent Comments|Post Comment|"
                    r"Powered by|Skip to content|Subscribe|Load more|Newer Post|Who is online|Board index|"
                    r"Privacy Policy|Previous post|permalink|Popular Posts|Latest posts|Sign in|Email This")

# fixture -> platform, structure, deepest depth, statuses that must occur, units
PAGES = {
    "wordpress_html5.html": ("wordpress", "native", 4, {"pending"}, 8),
    "wordpress_callback.html": ("wordpress", "native", 3, {"pending"}, 5),
    "blogger.html": ("blogger", "native", 2, {"deleted"}, 6),
    "dreamwidth.html": ("dreamwidth", "native", 4, {"deleted", "pending", "missing"}, 9),
    "livejournal.html": ("livejournal", "native", 3, {"deleted"}, 6),
    "discourse.html": ("discourse", "native", 1, {"deleted"}, 6),
    "phpbb.html": ("phpbb", "native", 1, {"deleted", "pending"}, 5),
    "old_reddit.html": ("reddit", "native", 5, {"deleted", "removed", "missing"}, 8),
    "disqus_inline.html": ("disqus", "native", 3, {"deleted"}, 6),
    "generic_forum.html": (None, "inferred", 3, {"removed"}, 6),
}


@pytest.fixture
def pages(fixtures):
    return fixtures / "ingest" / "html"


def load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        return load_threads(path, **kw)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_saved_page_is_read_as_its_platform(pages, name):
    platform, structure, deepest, statuses, n = PAGES[name]
    path = pages / name
    assert sniff_format(path) == "html"
    units = load(path)
    validate_units(units)
    src = units.attrs["source"]
    assert (src["format"], src["platform"], src["structure"]) == ("html", platform, structure)
    assert len(units) == n
    assert units["depth"].max() == deepest
    assert statuses <= set(units["status"])
    # the article or opening post is the root, with its title
    root = units[units["depth"] == 0]
    assert len(root) == 1 and root.iloc[0]["kind"] == "post" and root.iloc[0]["title"]
    assert units["unit_id"].is_unique and units["unit_id"].map(type).eq(str).all()
    # page chrome never becomes a unit, nor part of one
    assert not units["text"].str.contains(CHROME).any(), units.loc[units["text"].str.contains(CHROME), "text"]
    assert not units["author"].str.contains(CHROME).any()
    # entities decoded exactly once; markup gone, escaped markup kept as the text it was
    assert not units["text"].str.contains(r"&amp;amp;|&lt;|&#\d|&rsquo;|&nbsp;").any()
    assert not units["text"].str.contains("onerror|javascript:|document.cookie").any() or name in (
        "blogger.html", "old_reddit.html")  # their hostile comments are about onerror, as text
    assert units["text"].map(lambda t: bool(EMOJI.search(t))).any()
    # placeholders keep their place in the tree and have no text
    gone = units[units["status"].isin(["deleted", "removed", "missing"])]
    assert (gone["text"] == "").all()
    # comments (not placeholders) have authors and times
    said = units[(units["depth"] > 0) & (units["status"] == "ok") & (units["kind"] != "pingback")]
    assert (said["author"] != "").mean() >= 0.8
    assert said["posted_at"].notna().all()


def test_wordpress_html5_walker(pages):
    u = load(pages / "wordpress_html5.html").set_index("unit_id")
    key = u.index[0].rsplit(":", 1)[0]
    assert u.loc[f"{key}:post", "author"] == "Ward Nurse"
    assert u.loc[f"{key}:post", "title"] == "Listening to carers & patients"
    assert u.loc[f"{key}:post", "posted_at"] == pd.Timestamp("2024-03-03 08:00", tz="UTC")
    assert u.loc[f"{key}:post", "text"].startswith("When a carer tells us")
    assert u.loc[f"{key}:c104", "parent_id"] == f"{key}:c103"
    assert u.loc[f"{key}:c103", "text"] == "> We’re not all like that\n\nThat isn’t the point I was making."
    assert u.loc[f"{key}:c101", "text"] == "Thank you for writing this 💙 – R&D teams should read it.\n\nWe waited three days."
    assert u.loc[f"{key}:c105", "author"] == "<b>Not Bold</b>"  # escaped in the page: text, not markup
    assert u.loc[f"{key}:c105", "text"] == 'Try this: <script>alert("x")</script> a link &amp; more'
    assert u.loc[f"{key}:c106", "status"] == "pending"
    assert u.loc[f"{key}:c107", "kind"] == "pingback" and u.loc[f"{key}:c107", "author"] == "Carers Voice"
    assert "wardnotes" not in "".join(u.index)  # ids hold no site or person name


def test_wordpress_older_callback_markup(pages):
    u = load(pages / "wordpress_callback.html").set_index("unit_id")
    key = u.index[0].rsplit(":", 1)[0]
    assert u.loc[f"{key}:post", "author"] == "Sister Ruth"
    assert u.loc[f"{key}:c11", "posted_at"] == pd.Timestamp("2012-05-03 08:14", tz="UTC")  # from the text
    assert u.loc[f"{key}:c11", "text"] == "Same happened to my son. Nobody told us anything 😔"
    assert u.loc[f"{key}:c13", "depth"] == 3
    assert u.loc[f"{key}:c14", "status"] == "pending"
    assert "awaiting moderation" not in u.loc[f"{key}:c14", "text"]


def test_blogger_threads_and_removed_comments(pages):
    u = load(pages / "blogger.html").set_index("unit_id")
    key = u.index[0].rsplit(":", 1)[0]
    assert u.loc[f"{key}:post", "author"] == "Carer Kim"
    assert u.loc[f"{key}:c1001", "posted_at"] == pd.Timestamp(1699140660, unit="s", tz="UTC")  # showComment=
    assert u.loc[f"{key}:c1002", "parent_id"] == f"{key}:c1001"
    assert u.loc[f"{key}:c1002", "text"] == "Staff are stretched & doing their best.\nWe're not all like that."
    assert u.loc[f"{key}:c1003", "status"] == "deleted"
    assert u.loc[f"{key}:c1005", "author"] == "<img src=x onerror=alert(1)>"
    assert u.loc[f"{key}:c1005", "text"] == "<script>alert(1)</script> is not a comment"


def test_dreamwidth_depth_screened_collapsed_and_anonymous(pages):
    units = load(pages / "dreamwidth.html")
    u = units.set_index("unit_id")
    key = u.index[0].rsplit(":", 1)[0]
    assert u.loc[f"{key}:entry", "author"] == "wardwatcher"
    assert u.loc[f"{key}:c504", "depth"] == 4 and u.loc[f"{key}:c504", "author"] == ""
    assert u.loc[f"{key}:c504", "extra"] == {"subject": "not all nurses"}
    assert u.loc[f"{key}:c502", "text"] == "Eventually. A leaflet, at 3am.\nNot the same as being told."
    assert u.loc[f"{key}:c506", "parent_id"] == f"{key}:c505"  # under the deleted comment
    assert u.loc[f"{key}:c507", "status"] == "pending" and u.loc[f"{key}:c507", "text"]
    assert u.loc[f"{key}:c508", "status"] == "missing"
    assert any("collapsed" in r["message"] and r["line"] for r in units.attrs["report"])


def test_livejournal_flat_twigs_rebuild_the_tree(pages):
    u = load(pages / "livejournal.html").set_index("unit_id")
    key = u.index[0].rsplit(":", 1)[0]
    assert u.loc[f"{key}:c8003", "parent_id"] == f"{key}:c8002"
    assert u.loc[f"{key}:c8005", "parent_id"] == f"{key}:c8004"
    assert u.loc[f"{key}:c8001", "posted_at"] == pd.Timestamp(1705320000, unit="s", tz="UTC")


def test_discourse_flat_with_replies_to(pages):
    u = load(pages / "discourse.html").set_index("unit_id")
    key = u.index[0].rsplit(":", 1)[0]
    root = f"{key}:p1"
    assert u.loc[root, "depth"] == 0 and u.loc[root, "author"] == "river"
    assert u.loc[root, "title"] == "Being believed after a crisis"
    assert (u.loc[u.index != root, "parent_id"] == root).all()  # flat
    assert u.loc[f"{key}:p3", "extra"] == {"replies_to": f"{key}:p2"}
    assert u.loc[f"{key}:p3", "text"].startswith("nurse_lee:\n\n> We're not all like that")
    assert u.loc[f"{key}:p6", "extra"] == {"quotes_other_topic": "2718"}  # not post 1 of this topic
    assert u.loc[f"{key}:p4", "status"] == "deleted"


def test_phpbb_quotes_deleted_and_unapproved(pages):
    u = load(pages / "phpbb.html").set_index("unit_id")
    key = u.index[0].rsplit(":", 1)[0]
    assert u.loc[f"{key}:p1001", "title"] == "Section 136 and being held in a police cell"
    assert u.loc[f"{key}:p1003", "extra"]["replies_to"] == f"{key}:p1002"
    assert u.loc[f"{key}:p1003", "text"] == ("> AMHP_Dan wrote:\n> You can ask for the decision in writing.\n\n"
                                             "Thank you – I will. Nobody told us that.")
    assert u.loc[f"{key}:p1004", "status"] == "deleted" and u.loc[f"{key}:p1004", "text"] == ""
    assert u.loc[f"{key}:p1005", "status"] == "pending"
    assert "Mum of two" not in " ".join(u["text"])  # signatures are not the post


def test_old_reddit_keeps_reddit_ids(pages):
    u = load(pages / "old_reddit.html").set_index("unit_id")
    assert u.loc["reddit:t3_1b8xyz", "title"] == "Crisis team never called back & I don't know what to do"
    assert u.loc["reddit:t1_kt1eee", "parent_id"] == "reddit:t1_kt1ddd"
    assert u.loc["reddit:t1_kt1ddd", "status"] == "deleted" and u.loc["reddit:t1_kt1ddd", "author"] == ""
    assert u.loc["reddit:t1_kt1fff", "status"] == "removed"
    assert u.loc["reddit:more:t1_kt1zzz", "extra"] == {"count": 4}
    assert u.loc["reddit:t1_kt1aaa", "extra"] == {"score": "12"}
    assert u.loc["reddit:t1_kt1ccc", "text"].startswith("> we're not all like that\n\n")


def test_disqus_inline_and_in_a_saved_frame(pages, tmp_path):
    u = load(pages / "disqus_inline.html").set_index("unit_id")
    key = u.index[0].rsplit(":", 1)[0]
    assert u.loc[f"{key}:page", "author"] == "Alex Rivers"
    assert u.loc[f"{key}:page", "text"] == "Eighteen months on a waiting list is not “support”. It’s a holding pattern. ⏳"
    assert u.loc[f"{key}:5550003", "parent_id"] == f"{key}:5550002"
    assert u.loc[f"{key}:5550004", "status"] == "deleted"
    assert u.loc[f"{key}:5550001", "posted_at"] == pd.Timestamp("2024-04-01 09:12", tz="UTC")
    # the same comments saved by SingleFile: the Disqus frame inline as <iframe srcdoc="...">
    page = (pages / "disqus_inline.html").read_text(encoding="utf-8")
    start, end = page.index('<div id="disqus_thread">'), page.index("</main>")
    framed = page[:start] + f'<iframe title="Disqus" srcdoc="{html.escape(page[start:end])}"></iframe>' + page[end:]
    path = tmp_path / "framed.html"
    path.write_text(framed, encoding="utf-8")
    f = load(path)
    assert f["text"].tolist()[1:] == u["text"].tolist()[1:]
    assert f["depth"].tolist() == u.reset_index()["depth"].tolist()


def test_generic_reader_infers_and_says_how_sure(pages):
    units = load(pages / "generic_forum.html")
    src = units.attrs["source"]
    assert src["structure"] == "inferred" and 0.5 <= src["confidence"] <= 1
    notes = [r["message"] for r in units.attrs["report"] if r["kind"] == "structure"]
    assert notes and "inferred from 5 repeated blocks <div class='msg'>" in notes[0] and "confidence" in notes[0]
    u = units.set_index("unit_id")
    key = u.index[0].rsplit(":", 1)[0]
    assert u.loc[f"{key}:m203", "parent_id"] == f"{key}:m202"
    assert u.loc[f"{key}:m201", "text"] == "I say: “I know. I’m talking about the ones who were.”"  # no "Reply Like"
    assert u.loc[f"{key}:m201", "posted_at"] == pd.Timestamp("2024-03-12 14:30", tz="UTC")  # day first
    assert "Ola" not in set(units.loc[units["depth"] == 0, "author"])  # the sidebar is chrome


def test_page_without_comments_is_one_unit_with_no_structure(fixtures):
    with pytest.warns(IngestWarning, match="no thread structure recognised"):
        units = load_threads(fixtures / "ingest" / "essay.html")
    assert len(units) == 1 and units.attrs["source"]["structure"] == "none"
    assert any(r["kind"] == "structure" for r in units.attrs["report"])


def test_duplicate_comment_ids_are_reported_with_their_lines(pages, tmp_path):
    page = (pages / "wordpress_html5.html").read_text(encoding="utf-8")
    copy = page.replace('<li id="comment-105"', '<li id="comment-101"')
    path = tmp_path / "dup.html"
    path.write_text(copy, encoding="utf-8")
    with pytest.warns(IngestWarning, match="duplicate"):
        units = load_threads(path)
    dup = [r for r in units.attrs["report"] if r["kind"] == "duplicate"]
    assert len(dup) == 1 and dup[0]["skipped"]
    line = copy[: copy.index('<li id="comment-101" class="comment even thread-odd')].count("\n") + 1
    assert dup[0]["line"] == line and "first occurrence (line" in dup[0]["message"]
    assert units.attrs["counts"]["duplicate"] == 1 and len(units) == 7


def test_platform_can_be_named_and_wrong_names_are_refused(pages):
    units = load(pages / "generic_forum.html", platform="generic")
    assert units.attrs["source"]["structure"] == "inferred"
    with pytest.raises(ValueError, match="platform must be one of"):
        load(pages / "generic_forum.html", platform="myspace")
    from workbench.errors import IngestError

    with pytest.raises(IngestError, match="none of its comment markup"):
        load(pages / "generic_forum.html", platform="wordpress")


def test_a_page_that_is_not_utf8_is_read_with_its_charset(tmp_path):
    page = ('<html><head><meta charset="windows-1252"><title>Caf\u00e9</title></head><body><article class="post">'
            '<h1>Caf\u00e9 \u201cnot all of us\u201d</h1><p>Sch\u00f6n</p></article></body></html>')
    path = tmp_path / "legacy.html"
    path.write_bytes(page.encode("cp1252"))
    units = load(path)
    assert units.iloc[0]["title"] == "Café “not all of us”" and units.iloc[0]["text"] == "Schön"


def _blocks_page(n: int) -> str:
    return "<html><body>" + "".join(
        f'<div class="c{i % 50}"><span class="author">a{i}</span><time datetime="2024-01-01">1 Jan</time>'
        f"<p>text {i}</p></div>" for i in range(n)) + "</body></html>"


@pytest.mark.timeout(300)
def test_a_page_of_many_blocks_is_read_in_linear_time(tmp_path):
    # 20,000 blocks under one parent took 272 s (the siblings of each block were counted per block).
    # No wall-clock limit: four times the blocks must take far less than the sixteen times of a quadratic read.
    import time

    def best(n: int) -> float:
        path = tmp_path / f"many{n}.html"
        path.write_text(_blocks_page(n), encoding="utf-8")
        times = []
        for _ in range(3):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", IngestWarning)
                units = load_threads(path)
            times.append(time.perf_counter() - start)
        assert len(units) == n + 1 and units.attrs["source"]["structure"] == "inferred"
        return min(times)

    short, long = best(500), best(2000)
    assert long < 8 * short, f"{short:.3f}s for 500 blocks, {long:.3f}s for 2000"
