"""workbench.ingest: every format's fixture, the seed threads, sniffing and the store round trip."""

from __future__ import annotations

import hashlib
import re
import warnings

import pandas as pd
import pytest

from workbench.corpus import STATUSES, UNIT_COLUMNS, validate_units
from workbench.errors import IngestError
from workbench.ingest import FORMATS, IngestWarning, load_threads, sniff_format


def load(path, **kw):
    """load_threads with its warnings collected rather than printed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        return load_threads(path, **kw)


def by_id(units):
    return units.set_index("unit_id")


def key(name):
    """The key that stands for a name (a blog's host, an instance, a forum) in ids: a sha256 prefix."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]


CSV_MAP = {"id": "Comment ID", "parent": "Reply To", "author": "Name", "text": "Comment", "time": "Date",
           "thread": "Page", "status": "Status"}

# fixture -> (format, options, placeholder statuses that stand for a deleted item, platform)
FIXTURES = {
    "wordpress_text.txt": ("wordpress-text", {}, {"deleted"}, "wordpress"),
    "wxr.xml": ("wxr", {}, {"trash"}, "wordpress"),
    "x_api.json": ("x-api", {}, {"deleted"}, "x"),
    "x_archive/tweets.js": ("x-archive", {}, {"deleted"}, "x"),
    "reddit.json": ("reddit", {}, {"deleted", "removed"}, "reddit"),
    "pushshift.ndjson": ("pushshift", {}, {"deleted", "removed"}, "reddit"),
    "mastodon.json": ("mastodon", {}, set(), "mastodon"),  # Mastodon drops deleted statuses: replies are orphans
    "disqus.xml": ("disqus", {}, {"deleted"}, "disqus"),
    "bluesky.json": ("bluesky", {}, {"deleted"}, "bluesky"),
    "zeeschuimer_x.ndjson": ("4cat", {}, {"missing"}, "x"),
    "fourcat_reddit.ndjson": ("4cat", {}, {"deleted", "removed"}, "reddit"),
    "comments.csv": ("csv", {"columns": CSV_MAP}, {"deleted"}, None),
    "comments.tsv": ("tsv", {}, {"deleted"}, None),
    "comments.jsonl": ("jsonl", {}, {"deleted"}, None),
    "comments.xlsx": ("xlsx", {}, {"deleted"}, None),
    "comments.parquet": ("parquet", {}, {"deleted"}, None),
}
EMOJI = re.compile("[\U0001F300-\U0001FAFF]")


@pytest.fixture
def ingest_dir(fixtures):
    return fixtures / "ingest"


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_is_a_valid_units_table_with_the_required_cases(ingest_dir, name):
    fmt, options, deleted, platform = FIXTURES[name]
    path = ingest_dir / name
    assert sniff_format(path) == fmt
    units = load(path, **options)
    validate_units(units)  # raises on dangling parents, duplicates, cycles
    assert list(units.columns[: len(UNIT_COLUMNS)]) == list(UNIT_COLUMNS)
    assert units["unit_id"].map(type).eq(str).all()
    assert units["unit_id"].is_unique
    assert set(units["status"]) <= set(STATUSES)
    assert (units["source"] == fmt).all()
    assert units["author_role"].isna().all()
    # replies to replies: nesting at least two levels deep
    assert units["depth"].max() >= 2
    roots = units[units["parent_id"].isna()]
    assert (roots["depth"] == 0).all()
    # depth is parent depth + 1 wherever the parent is present
    idx = by_id(units)
    for _, row in units[units["parent_id"].notna() & (units["status"] != "orphan")].iterrows():
        assert row["depth"] == idx.at[row["parent_id"], "depth"] + 1
    assert (units["status"] == "orphan").any(), "every fixture has an orphan"
    if deleted:
        placeholders = units[units["status"].isin(deleted)]
        assert len(placeholders) >= 1
    assert units["text"].map(lambda t: bool(EMOJI.search(t))).any()
    assert not units["text"].str.contains("&amp;amp;").any()
    src = units.attrs["source"]
    assert src == {"file_name": path.name, "format": fmt,
                   "checksum": hashlib.sha256(path.read_bytes()).hexdigest(),
                   "platform": platform, "structure": "native"}
    assert isinstance(units.attrs["report"], list)
    # every orphan is reported, with its record
    orphans = set(units.loc[units["status"] == "orphan", "unit_id"])
    reported = {r["record"] for r in units.attrs["report"] if r["kind"] == "orphan"}
    assert orphans <= reported
    assert units.attrs["counts"]["orphan"] >= len(orphans)


def test_formats_cover_every_reader():
    assert {"html", "wordpress-text", "x-unrolled", "reddit-text", "forum-text", "dreamwidth-text", "blogger-text",
            "wxr", "x-api", "x-archive", "reddit", "pushshift", "mastodon", "disqus", "bluesky", "4cat", "essay",
            "csv", "tsv", "jsonl", "xlsx", "parquet"} == set(FORMATS)


# --------------------------------------------------------------------------- seeds
def test_seed_000_wordpress_copied_comment_section(examples):
    units = load(examples / "wordpress_not_all_like_that.txt")
    validate_units(units)
    root = units[units["depth"] == 0]
    assert len(root) == 1 and root.iloc[0]["kind"] == "post"
    assert root.iloc[0]["title"] == "But we’re not all like that …"
    assert root.iloc[0]["text"].startswith("Blue Toyota toy car")
    assert "43 Responses" not in root.iloc[0]["text"]
    pingbacks = units[units["kind"] == "pingback"]
    comments = units[(units["depth"] == 1) & (units["kind"] != "pingback")]
    assert len(comments) == 20
    assert (units["depth"] == 2).sum() == 12
    assert (units["depth"] == 3).sum() == 6
    assert len(pingbacks) == 3
    assert set(pingbacks["parent_id"]) == {root.iloc[0]["unit_id"]}
    assert len(units) == 1 + 20 + 18 + 3
    first = units[units["author"] == "drtonyryan"].iloc[0]
    assert first["posted_at"] == pd.Timestamp("2013-08-17 09:32", tz="UTC")
    assert first["text"].startswith("A common non-sequitur")
    # replies nest under the right comment: comment 5's reply from Sectioned has sbev2013's reply below it
    sbev = units[(units["author"] == "sbev2013") & (units["depth"] == 3)].iloc[0]
    parent = by_id(units).loc[sbev["parent_id"]]
    assert parent["author"] == "Sectioned" and parent["text"].startswith("Thank you for your comment – though")
    reblogs = units[units["text"].str.startswith("Reblogged this on")]
    assert len(reblogs) == 4 and (reblogs["depth"] == 1).all()
    assert not units["text"].str.contains("Leave a Reply|bloggers like this|Connecting to").any()
    # ids come from the visible numbering
    assert sbev["unit_id"].endswith(":c5.1.1")


def test_seed_001_unrolled_thread(examples):
    units = load(examples / "twitter_unrolled_thread.txt")
    validate_units(units)
    assert len(units) == 13
    assert (units["kind"] == "tweet").all()
    assert units["depth"].tolist() == list(range(13))  # a self-reply chain
    assert units.iloc[0]["text"].startswith("I’m sorry if mental health workers")
    assert not units["text"].str.match(r"^\d+/").any()
    assert not units["text"].str.contains("You can follow|twtextapp|cookies|Latest Threads").any()
    assert units.iloc[-1]["text"].startswith("So if anyone sees it")
    assert (units["author"] == "crys_tom").all()


def test_seed_002_essay_is_one_unit(examples):
    units = load(examples / "essay_bridging_the_divide.txt")
    validate_units(units)
    assert len(units) == 1
    row = units.iloc[0]
    assert row["title"] == "Bridging the Patient-Professional Divide"
    assert row["depth"] == 0 and row["parent_id"] is None or pd.isna(row["parent_id"])
    assert row["kind"] == "post"
    assert "Depending on how I choose to identify myself" in row["text"]
    assert not row["text"].endswith("bloggers like this:")
    assert "Comments are closed" not in row["text"]


# --------------------------------------------------------------------------- per format
def test_wordpress_text_placeholders_orphans_and_literal_entities(ingest_dir):
    units = by_id(load(ingest_dir / "wordpress_text.txt"))
    tid = units.index[0].rsplit(":", 1)[0]
    assert units.loc[f"{tid}:c1.1.1.1", "depth"] == 4
    assert units.loc[f"{tid}:c2", "status"] == "deleted" and units.loc[f"{tid}:c2", "text"] == ""
    assert units.loc[f"{tid}:c2.1", "status"] == "ok"
    orphans = units[units["status"] == "orphan"]
    assert orphans["author"].tolist() == ["latecomer"]
    assert units.loc[f"{tid}:c3", "kind"] == "reblog"
    # copied text is what the browser showed: "&amp;" was typed by the commenter
    assert "R&amp;D" in units.loc[f"{tid}:c1", "text"]
    assert units.loc[f"{tid}:pingback1", "author"] == "Ward Notes"


def test_wxr_statuses_spam_personal_data_and_html(ingest_dir):
    path = ingest_dir / "wxr.xml"
    with pytest.warns(IngestWarning, match="spam"):
        units = load_threads(path)
    u = by_id(units)
    host = f"wxr:{key('wardnotes.example.org')}"  # the blog's address names its author: ids hold a hash of it
    assert not units["unit_id"].str.contains("wardnotes").any()
    assert f"{host}:c107" not in u.index  # spam left out ...
    assert any("spam" in r["message"] for r in units.attrs["report"])  # ... and reported
    kept = by_id(load(path, spam="keep"))
    assert kept.loc[f"{host}:c107", "status"] == "spam"
    assert u.loc[f"{host}:c104", "status"] == "trash"
    assert u.loc[f"{host}:c105", "parent_id"] == f"{host}:c104"
    assert u.loc[f"{host}:c106", "status"] == "pending"
    assert u.loc[f"{host}:c103", "depth"] == 3  # listed before its parent
    assert u.loc[f"{host}:c109", "kind"] == "pingback"
    assert u.loc[f"{host}:c108", "status"] == "orphan"
    assert u.loc[f"{host}:42", "title"] == "Restraint & respect"
    assert u.loc[f"{host}:42", "text"] == "I was restrained & nobody explained why.\n\nSecond paragraph 😔"
    assert u.loc[f"{host}:c102", "text"] == "Please listen first."
    assert "[…]" in u.loc[f"{host}:c109", "text"]
    flat = units.astype(str).to_csv()
    for secret in ("sam@example.com", "203.0.113.9", "ann@example.com", "192.0.2.44", "sam.example.com"):
        assert secret not in flat
    assert "43" not in {i.rsplit(":", 1)[-1] for i in u.index}  # the attachment item is not a thread


def test_x_api_parents_authors_errors_and_big_ids(ingest_dir):
    units = load(ingest_dir / "x_api.json")
    u = by_id(units)
    assert u.loc["x:1767000000000000001", "depth"] == 0
    assert u.loc["x:1767000000000000004", "depth"] == 3
    assert u.loc["x:1767000000000000004", "author"] == "carer_jo"
    assert u.loc["x:1767000000000000004", "text"] == "@crys_tom @nurse_ann Listening > defending 💙"
    assert u.loc["x:1767000000000000099", "status"] == "deleted"
    assert u.loc["x:1767000000000000005", "parent_id"] == "x:1767000000000000099"
    assert u.loc["x:1767000000000000006", "status"] == "orphan"
    assert "x:1767000000000000500" not in u.index  # quoted, from another conversation
    assert set(units["thread_id"]) == {"x:1767000000000000001"}
    assert units["position"].tolist() == sorted(units["position"].tolist())
    assert units.iloc[0]["unit_id"] == "x:1767000000000000001"


def test_x_archive_owner_orphans_and_prefix(ingest_dir, tmp_path):
    units = by_id(load(ingest_dir / "x_archive" / "tweets.js"))
    assert set(units["author"]) == {"ward_nurse"}  # from account.js beside it
    assert units.loc["x:1700000000000000012", "depth"] == 2
    assert units.loc["x:1700000000000000020", "status"] == "orphan"
    assert units.loc["x:1700000000000000030", "status"] == "deleted"
    assert units.loc["x:1700000000000000031", "kind"] == "retweet"
    assert units.loc["x:1700000000000000010", "text"] == "Services are stretched & staff are tired 😓"
    assert units.loc["x:1700000000000000010", "posted_at"] == pd.Timestamp("2024-03-06 09:00", tz="UTC")
    bad = tmp_path / "tweets.js"
    bad.write_text('alert(1); window.YTD.tweets.part0 = []', encoding="utf-8")
    with pytest.raises(IngestError, match="window.YTD"):
        load_threads(bad)


def test_x_unrolled_variants(ingest_dir):
    numbered = load(ingest_dir / "x_unrolled_numbered.txt")
    assert numbered["status"].tolist() == ["ok", "ok", "missing", "ok", "ok"]
    assert numbered["unit_id"].str.endswith(":3").tolist()[2]
    assert (numbered["author"] == "ward_nurse").all()
    assert numbered.iloc[0]["text"].startswith("Staff are tired & stretched")  # entities left in: unescaped once
    assert not numbered["text"].str.contains("Missing some Tweet|• • •").any()
    assert any("missing from the numbering" in r["message"] for r in numbered.attrs["report"])
    trailing = load(ingest_dir / "x_unrolled_trailing.txt")
    assert len(trailing) == 4
    assert trailing["text"].tolist()[2].endswith("onto us.")
    assert not trailing["text"].str.contains(r"\d/4").any()
    assert (trailing["author"] == "carer_jo").all()


def test_reddit_more_stubs_deleted_removed(ingest_dir):
    units = by_id(load(ingest_dir / "reddit.json"))
    post = units.loc["reddit:t3_1b8xyz"]
    assert post["title"] == "Crisis team never called back & I don't know what to do"
    assert post["text"] == "I rang three times 😞\n\nNobody > nothing."
    more = units.loc["reddit:more:t1_kt1zzz"]
    assert more["kind"] == "more" and more["status"] == "missing" and more["extra"]["count"] == 4
    assert units.loc["reddit:t1_kt1ddd", "status"] == "deleted"
    assert units.loc["reddit:t1_kt1ddd", "author"] == "" and units.loc["reddit:t1_kt1ddd", "text"] == ""
    assert units.loc["reddit:t1_kt1eee", "depth"] == 2
    assert units.loc["reddit:t1_kt1fff", "status"] == "removed"
    assert units.loc["reddit:t1_kt1ggg", "status"] == "orphan"
    assert units.loc["reddit:t1_kt1ccc", "text"] == "Agreed. Listening <3"
    assert units.loc["reddit:t1_kt1ccc", "posted_at"] == pd.Timestamp(1709717000, unit="s", tz="UTC")


def test_pushshift_placeholder_roots(ingest_dir):
    units = by_id(load(ingest_dir / "pushshift.ndjson"))
    assert units.loc["reddit:t3_1b9bbb", "status"] == "missing"
    assert units.loc["reddit:t1_c007", "depth"] == 1 and units.loc["reddit:t1_c007", "status"] == "removed"
    assert units.loc["reddit:t1_c003", "depth"] == 3
    assert units.loc["reddit:t1_c006", "status"] == "orphan"
    assert units.loc["reddit:t3_1b9aaa", "title"] == "Being believed & being heard"
    plain = by_id(load(ingest_dir / "pushshift.ndjson", placeholders=False))
    assert "reddit:t3_1b9bbb" not in plain.index
    assert plain.loc["reddit:t1_c008", "depth"] == 2  # depth counted below the missing post


def test_mastodon_html_content_warning_and_host(ingest_dir):
    units = by_id(load(ingest_dir / "mastodon.json"))
    host = f"mastodon:{key('social.example')}"
    status = f"{host}:112000000000000002"
    assert units.loc[status, "content_warning"] == "restraint, mental health care"
    assert units.loc[status, "text"] == "@sam We're not all like that & you know it"
    assert units.loc[f"{host}:112000000000000003", "text"] == "That isn't the point 🙄\nPlease listen."
    assert units.loc[f"{host}:112000000000000004", "depth"] == 3
    assert units.loc[f"{host}:112000000000000005", "status"] == "orphan"
    assert units.loc[f"{host}:112000000000000006", "status"] == "orphan"
    assert units.loc[f"{host}:112000000000000001", "author"] == "sam@mastodon.example"
    other = load(ingest_dir / "mastodon.json", instance="mastodon.example")
    assert other["unit_id"].str.startswith(f"mastodon:{key('mastodon.example')}:").all()
    assert not pd.concat([units.reset_index()["unit_id"], units["parent_id"]]).str.contains("example").any()


def test_disqus_parent_attribute_deleted_spam_and_orphans(ingest_dir):
    units = by_id(load(ingest_dir / "disqus.xml"))
    forum = f"disqus:{key('wardnotes')}"  # the forum's short name names its owner: ids hold a hash of it
    root = f"{forum}:thread:5001"
    assert units.loc[root, "status"] == "missing" and units.loc[root, "title"] == "Restraint & respect"
    assert units.loc[f"{forum}:9003", "parent_id"] == f"{forum}:9002"
    assert units.loc[f"{forum}:9003", "depth"] == 3
    assert units.loc[f"{forum}:9004", "status"] == "deleted"
    assert units.loc[f"{forum}:9005", "status"] == "ok"
    assert f"{forum}:9006" not in units.index
    assert units.loc[f"{forum}:9007", "status"] == "orphan"
    assert units.loc[f"{forum}:9008", "status"] == "orphan"
    assert units.loc[f"{forum}:9002", "text"] == "That isn't the point 🙄"
    assert (units.index == root).sum() == 1  # the repeated <thread> element made one root
    assert not units.astype(str).to_csv().count("@example.com")
    keep = by_id(load(ingest_dir / "disqus.xml", spam="keep"))
    assert keep.loc[f"{forum}:9006", "status"] == "spam"


def test_bluesky_text_is_never_unescaped(ingest_dir):
    units = by_id(load(ingest_dir / "bluesky.json"))
    ann = "bsky:at://did:plc:ann/app.bsky.feed.post/3k2b"
    assert units.loc[ann, "text"] == "We're not all like that &amp; you know it"
    assert units.loc["bsky:at://did:plc:sam/app.bsky.feed.post/3k2c", "text"] == "That isn't the point 🙄 <b>listen</b>"
    assert units.loc["bsky:at://did:plc:jo/app.bsky.feed.post/3k2d", "text"] == "Agreed <3"
    assert units.loc["bsky:at://did:plc:kim/app.bsky.feed.post/3k2e", "status"] == "deleted"
    assert units.loc["bsky:at://did:plc:troll/app.bsky.feed.post/3k2f", "status"] == "missing"
    assert units.loc["bsky:at://did:plc:sam/app.bsky.feed.post/3k2a", "status"] == "orphan"
    assert set(units["thread_id"]) == {"bsky:at://did:plc:sam/app.bsky.feed.post/3k2a"}
    assert units.loc["bsky:at://did:plc:jo/app.bsky.feed.post/3k2d", "depth"] == 4


def test_zeeschuimer_x_items_modern_and_legacy_shapes(ingest_dir):
    units = load(ingest_dir / "zeeschuimer_x.ndjson")
    u = by_id(units)
    assert u.loc["x:1765000000000000002", "author"] == "nurse_ann"  # the newer user shape (core.screen_name)
    assert u.loc["x:1765000000000000004", "author"] == "carer_jo"  # the older "adaptive" shape
    assert u.loc["x:1765000000000000004", "depth"] == 3
    assert u.loc["x:1765000000000000004", "text"] == "@peer_sam @nurse_ann Listening > defending 💙"  # unescaped once
    assert u.loc["x:1765000000000000001", "posted_at"] == pd.Timestamp("2024-03-06 09:00", tz="UTC")
    assert u.loc["x:1765000000000000006", "text"].startswith("@nurse_ann A long reply, shown in full")  # note_tweet
    assert u.loc["x:1765000000000000099", "status"] == "missing"  # the conversation's first post, not collected
    assert u.loc["x:1765000000000000007", "status"] == "orphan"
    report = units.attrs["report"]
    assert {(r["line"], r["kind"]) for r in report if r["skipped"]} == {(5, "missing"), (8, "record"), (9, "record")}
    flat = units.astype(str).to_csv()
    assert "Mozilla" not in flat and "graphql" not in flat  # collection details are not read


def test_fourcat_reddit_items(ingest_dir):
    units = load(ingest_dir / "fourcat_reddit.ndjson")
    u = by_id(units)
    assert u.loc["reddit:t3_1c0abc", "title"] == "18 months for talking therapy"
    assert u.loc["reddit:t3_1c0abc", "text"] == "Our GP said the wait is 18 months & to call 111 if it gets worse 😞"
    assert u.loc["reddit:t1_k1c", "depth"] == 3
    assert u.loc["reddit:t1_k1c", "posted_at"] == pd.Timestamp("2024-04-01 20:30", tz="UTC")  # a string timestamp
    assert u.loc["reddit:t1_k1d", "status"] == "deleted" and u.loc["reddit:t1_k1d", "author"] == ""
    assert u.loc["reddit:t1_k1e", "status"] == "removed"
    assert u.loc["reddit:t1_k1f", "status"] == "orphan"
    assert [r["line"] for r in units.attrs["report"] if r["kind"] == "orphan"] == [7]


def test_essay_html(ingest_dir):
    units = load(ingest_dir / "essay.html")
    row = units.iloc[0]
    assert row["title"] == "Bridging the divide & listening"
    assert row["text"] == ("Depending on how I identify myself, I am treated radically differently 🤔.\n\n"
                           "Clinicians &amp; patients both benefit from listening.")


def test_tables_agree_across_formats(ingest_dir):
    frames = {name: load(ingest_dir / name, **FIXTURES[name][1], id_prefix="comments:")
              for name in FIXTURES if name.startswith("comments.")}
    cols = ["unit_id", "thread_id", "parent_id", "depth", "author", "posted_at", "text", "kind", "status"]
    first = frames.pop("comments.csv")[cols]
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(frame[cols], first, check_dtype=False, obj=name)
    u = by_id(first)
    assert u.loc["comments:2", "text"] == "We're not all like that &amp; you know it"  # cells are plain text
    assert u.loc["comments:6", "text"] == "Reply to a deleted comment,\non two lines"
    assert u.loc["comments:7", "status"] == "orphan"
    assert set(first["thread_id"]) == {"comments:restraint", "comments:crisis"}
    html = by_id(load(ingest_dir / "comments.tsv", html=True, id_prefix="survey:"))
    assert html.loc["survey:2", "text"] == "We're not all like that & you know it"


def test_table_ids_come_from_the_file_bytes_not_its_name(ingest_dir, tmp_path):
    named = tmp_path / "alice-smith-comments.csv"
    named.write_bytes((ingest_dir / "comments.csv").read_bytes())
    units = load(named, columns=CSV_MAP)
    digest = hashlib.sha256(named.read_bytes()).hexdigest()[:10]
    assert units["unit_id"].str.startswith(f"table:{digest}:").all()
    assert not units[["unit_id", "thread_id", "parent_id"]].astype(str).apply(lambda c: c.str.contains("alice")).any().any()
    again = load(ingest_dir / "comments.csv", columns=CSV_MAP)  # the same bytes under another name: the same ids
    assert again["unit_id"].tolist() == units["unit_id"].tolist()
    other = tmp_path / "other.csv"
    other.write_text("id,text\n1,hello\n", encoding="utf-8")
    assert load(other)["unit_id"].iloc[0] != units["unit_id"].iloc[0]  # row 1 of another file is another unit


def test_unknown_format_and_option(ingest_dir):
    with pytest.raises(ValueError, match="valid formats"):
        load_threads(ingest_dir / "reddit.json", format="myspace")
    with pytest.raises(TypeError, match="columns"):
        load_threads(ingest_dir / "reddit.json", columns={"id": "x"})
    with pytest.raises(FileNotFoundError):
        load_threads(ingest_dir / "nope.json")


def test_add_units_twice_adds_once(project, ingest_dir, examples):
    units = load(ingest_dir / "reddit.json")
    first = project.add_units(units)
    assert first == len(units) > 0
    again = project.add_units(load(ingest_dir / "reddit.json"))
    assert again == 0
    assert project.n_units() == len(units)
    project.add_units(load(examples / "wordpress_not_all_like_that.txt"))
    assert project.n_units() == len(units) + 42
    sources = project.sources()
    assert set(sources["format"]) == {"reddit", "wordpress-text"}
