"""workbench.ingest on hostile and broken input: markup, XML bombs, truncation, encodings, size."""

from __future__ import annotations

import json
import warnings

import pytest

from workbench.errors import IngestError
from workbench.ingest import IngestWarning, load_threads

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&lol9;</title>
<wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type></item></channel></rss>
"""


def _comment(i, parent="t3_p", body="fine", **kw):
    return json.dumps({"id": f"c{i}", "parent_id": parent, "link_id": "t3_p", "author": "a", "body": body,
                       "created_utc": 1700000000 + i, **kw})


@pytest.mark.parametrize("fmt", ["wxr", "disqus"])
def test_xml_bomb_is_refused(tmp_path, fmt):
    path = tmp_path / "bomb.xml"
    text = BOMB if fmt == "wxr" else BOMB.replace("<rss", "<disqus").replace("</rss>", "</disqus>")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match="DTD|XML bomb") as err:
        load_threads(path, format=fmt)
    assert "bomb.xml" in str(err.value)


def test_script_and_img_onerror_become_text(tmp_path):
    body = ('<p>Hello <script>alert("x")</script><img src=x onerror="alert(1)">'
            '<a href="javascript:alert(2)">link</a> &amp;lt;script&amp;gt;</p><style>p{}</style>')
    path = tmp_path / "context.json"
    path.write_text(json.dumps({"status": {"id": "1", "content": body, "in_reply_to_id": None,
                                           "account": {"acct": "x", "url": "https://h.example/@x"}},
                                "ancestors": [], "descendants": []}), encoding="utf-8")
    text = load_threads(path).iloc[0]["text"]
    assert text == "Hello link &lt;script&gt;"  # escaped markup is unescaped once: it stays text
    assert "alert" not in text and "onerror" not in text and "<" not in text


def test_truncated_json_names_file_and_line(tmp_path, fixtures):
    whole = (fixtures / "ingest" / "reddit.json").read_text(encoding="utf-8")
    path = tmp_path / "thread.json"
    path.write_text(whole[: len(whole) // 2], encoding="utf-8")
    with pytest.raises(IngestError, match=r"thread\.json, line \d+: is not valid JSON.*truncated"):
        load_threads(path, format="reddit")


def test_ndjson_with_a_bad_line_loads_the_rest_and_reports_it(tmp_path):
    path = tmp_path / "RC.ndjson"
    lines = [_comment(1), _comment(2, parent="t1_c1"), _comment(3)[:30], _comment(4), json.dumps([1, 2])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.warns(IngestWarning, match="2 record\\(s\\) skipped"):
        units = load_threads(path)
    assert set(units["unit_id"]) >= {"reddit:t1_c1", "reddit:t1_c2", "reddit:t1_c4"}
    report = units.attrs["report"]
    assert [r["line"] for r in report if r["skipped"]] == [3, 5]
    assert all(r["file"] == "RC.ndjson" for r in report)
    with pytest.raises(IngestError, match=r"RC\.ndjson, line 3: not valid JSON"):
        load_threads(path, strict=True)


def test_csv_with_a_missing_column(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("id,parent,author\n1,,Sam\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"survey\.csv.*no text column.*\['id', 'parent', 'author'\]"):
        load_threads(path)
    with pytest.raises(IngestError, match=r"'Comment' given for 'text' is not in the file"):
        load_threads(path, columns={"text": "Comment"})


def test_csv_rows_missing_ids_are_reported(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("id,parent,text\n1,,root\n,1,no id here\n3,1,fine\n", encoding="utf-8")
    with pytest.warns(IngestWarning, match="1 record"):
        units = load_threads(path)
    assert units["unit_id"].str.rsplit(":", n=1).str[-1].tolist() == ["1", "3"]
    assert units.attrs["report"][0]["line"] == 3 and units.attrs["report"][0]["field"] == "id"
    with pytest.raises(IngestError, match="line 3.*field 'id'"):
        load_threads(path, strict=True)


def test_ten_megabyte_single_comment(tmp_path):
    big = ("word " * 2_200_000).strip()
    assert len(big) > 10_000_000
    jsonl = tmp_path / "big.jsonl"
    jsonl.write_text(json.dumps({"id": "1", "text": big}) + "\n", encoding="utf-8")
    units = load_threads(jsonl)
    assert len(units.iloc[0]["text"]) == len(big)
    csvf = tmp_path / "big.csv"
    csvf.write_text(f'id,text\n1,"{big}"\n2,small\n', encoding="utf-8")
    units = load_threads(csvf)
    assert units["text"].str.len().tolist() == [len(big), 5]


def test_mixed_encodings_utf8_bom_and_cp1252(tmp_path):
    good = "id,text\n1,café – naïve 😀\n"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + good.encode("utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a BOM is not a fallback: no warning
        units = load_threads(bom)
    assert units.iloc[0]["text"] == "café – naïve 😀"
    assert units.iloc[0]["unit_id"].endswith(":1")  # the BOM did not stick to the header
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes("id,text\n1,café – “quoted”\n".encode("cp1252"))
    with pytest.warns(IngestWarning, match="cp1252"):
        units = load_threads(legacy)
    assert units.iloc[0]["text"] == "café – “quoted”"
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes("Title\n\nUTF-8 line: naïve 😀\n".encode() + "cp1252 line: café\n".encode("cp1252"))
    with pytest.warns(IngestWarning, match=r"1 line\(s\) \(4\)"):
        units = load_threads(mixed, format="essay")
    assert units.iloc[0]["text"] == "UTF-8 line: naïve 😀\ncp1252 line: café"
    assert units.attrs["report"][0]["field"] == "encoding"


def test_duplicates_and_cycles_are_reported(tmp_path):
    path = tmp_path / "loop.jsonl"
    rows = [{"id": "a", "parent": "b", "text": "x"}, {"id": "b", "parent": "a", "text": "y"},
            {"id": "c", "text": "root"}, {"id": "c", "text": "again"}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    with pytest.warns(IngestWarning):
        units = load_threads(path, id_prefix="loop:")
    messages = " ".join(r["message"] for r in units.attrs["report"])
    assert "duplicate unit_id ['loop:c']" in messages
    assert "reply cycle" in messages
    assert units.set_index("unit_id").loc["loop:c", "text"] == "root"
    assert set(units.loc[units["unit_id"].isin(["loop:a", "loop:b"]), "status"]) == {"orphan"}
    with pytest.raises(IngestError, match="duplicate"):
        load_threads(path, strict=True, id_prefix="loop:")


def test_not_xml_and_unknown_json(tmp_path):
    broken = tmp_path / "export.xml"
    broken.write_text("<rss xmlns:wp='http://wordpress.org/export/1.2/'><channel><item>", encoding="utf-8")
    with pytest.raises(IngestError, match="export.xml.*not well-formed"):
        load_threads(broken)
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": "world"}', encoding="utf-8")
    with pytest.raises(IngestError, match="odd.json: is JSON but its shape was not recognised"):
        load_threads(odd)


def test_bad_records_in_json_formats_are_skipped_with_a_report(tmp_path):
    path = tmp_path / "conv.json"
    path.write_text(json.dumps({"data": [{"id": "2", "conversation_id": "1", "text": "ok",
                                          "referenced_tweets": [{"type": "replied_to", "id": "1"}]},
                                         {"conversation_id": "1", "text": "no id"}],
                                "includes": {"tweets": [{"id": "1", "conversation_id": "1", "text": "root"}]}}),
                    encoding="utf-8")
    with pytest.warns(IngestWarning, match="1 record"):
        units = load_threads(path)
    assert units["unit_id"].tolist() == ["x:1", "x:2"]
    assert units.attrs["report"][0]["record"] == "data[1]"
    assert units.attrs["report"][0]["field"] == "id"


def test_progress_bar_and_zstd_stream(tmp_path, fixtures, capsys):
    import zstandard

    src = fixtures / "ingest" / "pushshift.ndjson"
    packed = tmp_path / "RC_2024-03.zst"
    packed.write_bytes(zstandard.ZstdCompressor().compress(src.read_bytes()))
    units = load_threads(packed, progress=True)
    assert "Reading RC_2024-03.zst" in capsys.readouterr().err
    plain = load_threads(src)
    assert units["unit_id"].tolist() == plain["unit_id"].tolist()
    assert units["text"].tolist() == plain["text"].tolist()
