"""Hostile and broken input to the readers of .qdpx, .qdc, key files and codebook YAML (issue 14).

Each file of the corpus below ends in a load with a report or a ``WorkbenchError`` naming
the file, never ``MemoryError``, ``RecursionError``, a timeout or a traceback: the corpus
is read in a subprocess limited to 2 GB of address space (``resource.RLIMIT_AS``) and a
time limit, through the API and through the ``workbench`` command. The tests before it
check each limit and each report in process, with small limits.
"""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from _hostile import Member, deflate_zeros, project_qde, selection, write_zip
from workbench.errors import CodebookError, WorkbenchError
from workbench.interchange import read_qdc, read_qdpx
from workbench.interchange.limits import LIMITS, LimitError

GIB = 1 << 30
MIB = 1 << 20
TEXT = "That must have been awful. I believe you."


def _source(text_ref: str, name: str = "interview-1", guid: int = 1, body: str = "") -> str:
    return (f'<TextSource guid="cccccccc-0000-0000-0000-{guid:012d}" name="{name}" '
            f'plainTextPath="internal://{text_ref}">{body}</TextSource>')


def _read(path: Path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_qdpx(path, **kw)


# --- zip bombs and lying directories -----------------------------------------------------------
@pytest.fixture(scope="module")
def bomb() -> tuple[bytes, int]:
    """A deflate stream of 4 GiB of zeros: 4 MB."""
    return deflate_zeros(4 * GIB)


@pytest.mark.parametrize("member", ["project.qde", "sources/a.txt"])
def test_a_4_gib_member_is_refused_from_the_directory(tmp_path, bomb, member):
    data, crc = bomb
    members = [Member(member, data, 4 * GIB, crc)]
    if member != "project.qde":
        members.insert(0, Member.text("project.qde", project_qde(_source("a.txt"))))
    path = write_zip(tmp_path / "bomb.qdpx", members)
    assert path.stat().st_size < 5 * MIB
    with pytest.raises(LimitError) as info:
        read_qdpx(path)
    message = str(info.value)
    assert message.startswith(str(path)) and repr(member) in message
    assert "max_member_bytes" in message and "limits={'max_member_bytes': N}" in message
    assert "WB_REFI_MAX_MEMBER_BYTES=N" in message
    assert info.value.limit == "max_member_bytes" and info.value.path == path


def test_the_compression_ratio_is_bounded(tmp_path):
    data, crc = deflate_zeros(64 * MIB, with_crc=True)
    path = write_zip(tmp_path / "ratio.qdpx", [
        Member.text("project.qde", project_qde(_source("a.txt"))), Member("sources/a.txt", data, 64 * MIB, crc)])
    with pytest.raises(LimitError, match=r"'sources/a.txt' would inflate [\d,]+ times.*max_ratio"):
        read_qdpx(path)
    content = _read(path, limits={"max_ratio": 10_000})  # a trusted file: raise the limit for one call
    assert len(content.units) == 1 and len(content.units["text"].iloc[0]) == 64 * MIB


def test_a_limit_is_raised_by_its_environment_variable(tmp_path, monkeypatch):
    path = write_zip(tmp_path / "p.qdpx", [
        Member.text("project.qde", project_qde(_source("a.txt"))), Member.text("sources/a.txt", "x" * 5000)])
    monkeypatch.setenv("WB_REFI_MAX_MEMBER_BYTES", "1000")
    with pytest.raises(LimitError, match="max_member_bytes is 1,000 bytes"):
        read_qdpx(path)
    assert len(_read(path, limits={"max_member_bytes": 10_000}).units) == 1  # the keyword wins
    monkeypatch.setenv("WB_REFI_MAX_MEMBER_BYTES", "lots")
    with pytest.raises(WorkbenchError, match="WB_REFI_MAX_MEMBER_BYTES='lots' must be a positive whole number"):
        read_qdpx(path)
    monkeypatch.delenv("WB_REFI_MAX_MEMBER_BYTES")
    with pytest.raises(ValueError, match="unknown limit 'max_members'; the limits are: max_zip_members"):
        read_qdpx(path, limits={"max_members": 3})


def test_a_directory_that_lies_about_a_size_never_inflates_the_member(tmp_path):
    data, _ = deflate_zeros(256 * MIB)
    honest = Member.text("sources/b.txt", TEXT)
    lying = Member("sources/a.txt", data, 500, 0)  # declares 500 bytes
    qde = project_qde(_source("a.txt") + _source("b.txt", name="interview-2", guid=2))
    path = write_zip(tmp_path / "lying.qdpx", [Member.text("project.qde", qde), lying, honest])
    content = _read(path)
    assert content.units["text"].tolist() == [TEXT]  # the good source is kept
    assert any("'sources/a.txt': cannot be read" in w and "<TextSource>" in w for w in content.warnings)
    lying_qde = write_zip(tmp_path / "lying-qde.qdpx", [Member("project.qde", data, 500, 0)])
    with pytest.raises(WorkbenchError, match=r"lying-qde.qdpx, member 'project.qde': cannot be read.*CRC"):
        read_qdpx(lying_qde)


def test_members_and_total_size_are_bounded(tmp_path):
    many = [Member.text("project.qde", project_qde())] + [Member.text(f"x/{i}", "x") for i in range(20)]
    path = write_zip(tmp_path / "many.qdpx", many)
    with pytest.raises(LimitError, match="the zip declares 21 members.*max_zip_members"):
        read_qdpx(path, limits={"max_zip_members": 10})
    lying = write_zip(tmp_path / "declares.qdpx", many[:1], declared_entries=50_000_000)
    with pytest.raises(LimitError, match="declares 50,000,000 members"):
        read_qdpx(lying)  # refused before the directory is loaded
    sources = "".join(_source(f"{i}.txt", name=f"s{i}", guid=i) for i in range(5))
    path = write_zip(tmp_path / "total.qdpx", [Member.text("project.qde", project_qde(sources))]
                     + [Member.text(f"sources/{i}.txt", "y" * 3000) for i in range(5)])
    with pytest.raises(LimitError, match=r"inflate beyond 10,000 bytes in all \(at member 'sources/3.txt'\)"):
        read_qdpx(path, limits={"max_total_bytes": 10_000})


# --- XML ---------------------------------------------------------------------------------------
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol9;"><CodeBook><Codes/></CodeBook></Project>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"><CodeBook><Codes/></CodeBook></Project>
"""


@pytest.mark.parametrize(("qde", "error", "fragment"), [
    (LAUGHS, CodebookError, "declares a DTD or entities"),
    (EXTERNAL, CodebookError, "declares a DTD or entities"),
    ('<Project xmlns="urn:QDA-XML:project:1.0">' + "<a>" * 5000 + "</a>" * 5000 + "</Project>",
     LimitError, "nests elements more than 200 deep"),
    ('<Project xmlns="urn:QDA-XML:project:1.0"><CodeBook><Codes/></CodeBook><Sources>' + "<x/>" * 3000
     + "</Sources></Project>", LimitError, "more than 1,000 elements"),
    ("\0\1\2 not xml", CodebookError, "not well-formed XML"),
    ('<html xmlns="urn:QDA-XML:project:1.0"/>', WorkbenchError, "the root element is <html>, not <Project>"),
    ('<Project xmlns="urn:QDA-XML:project:1.0"/>', WorkbenchError, "the project has no CodeBook"),
])
def test_hostile_xml_in_project_qde_is_refused(tmp_path, qde, error, fragment):
    path = write_zip(tmp_path / "x.qdpx", [Member.text("project.qde", qde)])
    with pytest.raises(error, match=fragment) as info:
        read_qdpx(path, limits={"max_xml_elements": 1000})
    assert str(path) in str(info.value)


def test_xml_size_is_bounded_while_streaming(tmp_path):
    qde = project_qde(_source("a.txt", body=f"<Description>{'x' * 50_000}</Description>"))
    path = write_zip(tmp_path / "big.qdpx", [Member.text("project.qde", qde)])
    with pytest.raises(LimitError, match="larger than 20,000 bytes.*max_xml_bytes"):
        read_qdpx(path, limits={"max_xml_bytes": 20_000})


def test_a_qdc_is_read_within_the_limits(tmp_path):
    deep = tmp_path / "deep.qdc"
    deep.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>' + '<Code name="a">' * 1000
                    + "</Code>" * 1000 + "</Codes></CodeBook>")
    with pytest.raises(LimitError, match=r"deep.qdc: the codebook nests elements more than 200 deep"):
        read_qdc(deep)
    laughs = tmp_path / "laughs.qdc"
    laughs.write_text(LAUGHS.replace("Project", "CodeBook"))
    with pytest.raises(CodebookError, match="laughs.qdc: refused: the codebook declares a DTD"):
        read_qdc(laughs)
    with pytest.raises(LimitError, match="max_xml_bytes"):
        read_qdc(laughs, limits={"max_xml_bytes": 100})
    with pytest.raises(WorkbenchError, match="is not a file"):
        read_qdc(tmp_path)


def test_a_long_foreign_label_makes_a_code_name_within_the_limit(tmp_path):
    label = "Emotional support " * 30
    path = tmp_path / "long.qdc"
    path.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                    f'<Code guid="bbbbbbbb-0000-0000-0000-000000000001" name="{label}"><Description>x</Description>'
                    f'</Code><Code name="{label}"><Description>y</Description></Code></Codes></CodeBook>')
    cb = read_qdc(path)
    assert all(len(c.name) <= 64 for c in cb.codes) and len(set(cb.names)) == 2
    assert cb.codes[0].label == label.strip()
    bidi = tmp_path / "bidi.qdc"
    bidi.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="workbench (codebook demo\u202e)"><Codes>'
                    '<Code name="A"><Description>x</Description></Code></Codes></CodeBook>', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"bidi.qdc.*field 'name'.*U\+202E"):
        read_qdc(bidi)


# --- elements: every bad one reported, naming file and element; the good ones kept --------------
def test_broken_elements_are_reported_and_the_good_ones_kept(tmp_path):
    text = "[unit u1]\nFirst post.\n\n[unit u2]\nA reply.\n"
    sels = "".join([
        selection(1, 10, 21),              # good: "First post."
        selection(2, "abc", 12), selection(3, None, 12), selection(4, "9" * 30, 40), selection(5, -3, 4),
        selection(6, "1e999", 5), selection(7, 15, 35),  # runs across the unit boundary: clipped, reported
        selection(8, 10, 12, code=9),      # an unknown code
        selection(9, 500, 510),            # outside every unit
    ])
    users = ('<Users><User guid="aaaaaaaa-0000-0000-0000-000000000001" name="ann&#9;smith"/>'
             f'<User guid="aaaaaaaa-0000-0000-0000-000000000002" name="{"b" * 20_000}"/></Users>')
    description = '<Description>Workbench thread (unit offsets ...):\n{"thread_id": "t", "units": ' \
                  '[{"unit_id": "u1", "start": 0, "end": 3, "status": "hacked", "parent_id": {"x": 1}}]}</Description>'
    sources = (_source("a.txt", body=description + sels)
               + _source("missing.txt", name="gone", guid=2)
               + _source("../../../../etc/passwd", name="escape", guid=3)
               + '<TextSource guid="cccccccc-0000-0000-0000-000000000004" name="file" plainTextPath="file:///etc/passwd"/>'
               + _source("latin.txt", name="latin", guid=5)
               + _source("utf16.txt", name="utf16", guid=6)
               + _source("link.txt", name="link", guid=7)
               + _source("b.txt", name="n" * 20_000, guid=8)
               + _source("deep.txt", name="deepjson", guid=9,
                         body="<Description>Workbench thread: " + '{"a":' * 50_000 + "</Description>"))
    path = write_zip(tmp_path / "broken.qdpx", [
        Member.text("project.qde", project_qde(sources, users=users)),
        Member.text("sources/a.txt", text),
        Member.text("sources/latin.txt", "caf\xe9".encode("latin-1")),
        Member.text("sources/utf16.txt", "Bonjour à tous".encode("utf-16")),  # with its byte-order mark
        Member.text("sources/link.txt", "/etc/passwd", external_attr=(stat.S_IFLNK | 0o777) << 16),
        Member.text("sources/b.txt", "b"),
        Member.text("sources/deep.txt", "Deep text."),
    ])
    with pytest.warns(UserWarning) as caught:
        content = read_qdpx(path)
    notes = content.warnings
    assert [str(w.message) for w in caught if "element <" in str(w.message)] == notes
    assert all(n.startswith(f"{path}, element <") for n in notes), notes
    units = content.units.set_index("unit_id")
    assert units.loc["u1", "text"] == "First post." and units.loc["u2", "text"] == "A reply."
    assert set(units["text"]) == {"First post.", "A reply.", "Bonjour à tous", "Deep text."}
    assert not any("root:" in t for t in units["text"])  # nothing outside the zip is read
    coded = content.codings
    assert sorted(zip(coded["span_start"].fillna(-1), coded["span_end"].fillna(-1))) == [(-1, -1), (5, 11)]

    def said(*fragments):
        return [n for n in notes if all(f in n for f in fragments)]

    assert said("<Description>", "description does not fit its text")
    assert len(said("<PlainTextSelection>", "has no valid startPosition", "skipped")) == 5
    assert said("<PlainTextSelection>", "runs past unit 'u1'", "across a unit boundary; clipped")
    assert said("<PlainTextSelection>", "outside every unit")
    assert said("<Coding>", "unknown code")
    assert said("<User>", "U+0009", "a control character") and said("<User>", "the limit is 64")
    assert said("<TextSource>", "'gone'", "not inside the file") and said("'escape'", "not inside the file")
    assert said("'file'", "not inside the file")
    assert said("'latin'", "not UTF-8") and said("'link'", "symbolic link")
    assert said("<TextSource>", "longer than 10,000 characters")
    assert said("'deepjson'")  # deep JSON in a description: read from the headers, no RecursionError
    assert set(content.users) == {f"user-aaaaaaaa-0000-0000-0000-00000000000{i}" for i in (1, 2)}  # renamed


def test_a_long_foreign_source_name_makes_an_id_the_store_can_keep(tmp_path):
    long_name = "Interview with a carer " * 20
    path = write_zip(tmp_path / "long.qdpx", [Member.text("project.qde", project_qde(
        f'<TextSource guid="cccccccc-0000-0000-0000-000000000001" name="{long_name}">'
        f"<PlainTextContent>{TEXT}</PlainTextContent>{selection(1, 0, 4)}</TextSource>"))])
    content = _read(path)
    (uid,) = content.units["unit_id"]
    assert len(uid) <= 255 and uid.startswith(long_name[:100]) and content.units["thread_id"].iloc[0] == uid
    assert content.codings["unit_id"].tolist() == [uid]
    assert any("shortened" in w and "<TextSource>" in w for w in content.warnings)


def test_many_units_and_selections_read_in_linear_time(tmp_path):
    n = 20_000
    text = "".join(f"[unit u{i}]\nPost number {i}.\n\n" for i in range(n))
    starts = [m for m in range(len(text)) if text.startswith("Post number", m)]
    sels = "".join(selection(i + 1, s, s + 4) for i, s in enumerate(starts))
    path = write_zip(tmp_path / "big.qdpx", [
        Member.text("project.qde", project_qde(_source("a.txt", body=sels))), Member.text("sources/a.txt", text)])
    content = _read(path)
    assert len(content.units) == n and len(content.codings) == n and not content.warnings


_bad_positions = st.one_of(st.none(), st.text(max_size=30), st.integers(-10, 10**6).map(str))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=200), body=st.text(max_size=300), start=_bad_positions, end=_bad_positions)
def test_any_text_in_a_project_ends_in_a_load_or_a_named_error(tmp_path, name, body, start, end):
    from xml.sax.saxutils import quoteattr

    esc = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    sel = (selection(1, *(None if v is None else "".join(esc.get(c, c) for c in v).replace('"', "&quot;")
                          for v in (start, end))))
    qde = project_qde(f'<TextSource guid="cccccccc-0000-0000-0000-000000000001" name={quoteattr(name)}>'
                      f'<PlainTextContent>{"".join(esc.get(c, c) for c in body)}</PlainTextContent>{sel}</TextSource>')
    path = write_zip(tmp_path / "any.qdpx", [Member.text("project.qde", qde.encode("utf-8", "surrogatepass"))])
    try:
        content = _read(path)
    except WorkbenchError as exc:
        assert str(path) in str(exc)
        return
    assert len(content.codings) + len(content.warnings) >= 1  # the selection is coded, or something is reported


# --- the corpus, in a subprocess with a memory and a time limit ----------------------------------
def _corpus(folder: Path, bomb: tuple[bytes, int]) -> dict[str, tuple[str, str]]:
    """Hostile files: name -> (reader, expected: 'load' or the fragments of the error)."""
    folder.mkdir()
    data, crc = bomb
    good_qde = Member.text("project.qde", project_qde(_source("a.txt") + _source("b.txt", name="two", guid=2)))
    lying, _ = deflate_zeros(64 * MIB)
    cases: dict[str, tuple[str, str]] = {}

    def qdpx(name: str, members: list[Member], expected: str, **kw) -> None:
        write_zip(folder / name, members, **kw)
        cases[name] = ("qdpx", expected)

    qdpx("bomb-qde.qdpx", [Member("project.qde", data, 4 * GIB, crc)], "LimitError|'project.qde'|max_member_bytes")
    qdpx("bomb-source.qdpx", [good_qde, Member("sources/a.txt", data, 4 * GIB, crc)],
         "LimitError|'sources/a.txt'|max_member_bytes")
    qdpx("lying-qde.qdpx", [Member("project.qde", lying, 400, 0)], "WorkbenchError|'project.qde'|cannot be read")
    qdpx("lying-source.qdpx", [good_qde, Member("sources/a.txt", lying, 10, 0), Member.text("sources/b.txt", TEXT)],
         "load")
    qdpx("members.qdpx", [good_qde], "LimitError|max_zip_members", declared_entries=10**9)
    qdpx("deep.qdpx", [Member.text("project.qde", "<Project>" + "<a>" * 100_000)], "LimitError|max_xml_depth")
    kinds = ("<x/>", "<y/>", "<z/>", "<x />")
    tags = "".join(kinds[b & 3] for b in os.urandom(250_000))  # random: compresses about 20 times
    # read with WB_REFI_MAX_XML_ELEMENTS=200000 (the default, 2,000,000, takes 20 s of parsing to reach)
    qdpx("elements.qdpx", [Member.text("project.qde", "<Project><Sources>" + tags)], "LimitError|max_xml_elements")
    qdpx("laughs.qdpx", [Member.text("project.qde", LAUGHS)], "CodebookError|DTD")
    qdpx("external.qdpx", [Member.text("project.qde", EXTERNAL)], "CodebookError|DTD")
    name = os.urandom(12_000_000).translate(bytes(0x61 + (i & 1) for i in range(256))).decode("ascii")
    qdpx("attribute.qdpx", [Member.text("project.qde", project_qde(
        f'<TextSource name="{name}"><PlainTextContent>x</PlainTextContent></TextSource>'))], "load")
    qdpx("encrypted.qdpx", [Member.text("project.qde", project_qde(), flags=1)], "WorkbenchError|encrypted")
    qdpx("method.qdpx", [Member.text("project.qde", project_qde(), method=99)], "WorkbenchError|cannot be read")
    qdpx("method-source.qdpx", [good_qde, Member.text("sources/a.txt", TEXT, method=99),
                                Member.text("sources/b.txt", TEXT)], "load")
    qdpx("symlink.qdpx", [good_qde, Member.text("sources/a.txt", "/etc/passwd",
                                                external_attr=(stat.S_IFLNK | 0o777) << 16)], "load")
    qdpx("duplicate.qdpx", [good_qde, good_qde, Member.text("sources/a.txt", TEXT)], "load")
    qdpx("types.qdpx", [Member.text("project.qde", project_qde(_source("a.txt", body=(
        '<Description>Workbench thread: {"thread_id": ["t"], "units": [{"unit_id": 5, "start": "0"}]}</Description>'
        + selection(1, "abc", "x") + selection(2, "1" * 5000, 2) + selection(3, 0, 5))))),
        Member.text("sources/a.txt", TEXT)], "load")
    qdpx("deepjson.qdpx", [Member.text("project.qde", project_qde(_source("a.txt", body=(
        "<Description>Workbench thread: {\"a\":" + "[" * 200_000 + "</Description>")))),
        Member.text("sources/a.txt", TEXT)],
        "load")
    valid = folder / "valid.qdpx"
    write_zip(valid, [good_qde, Member.text("sources/a.txt", TEXT * 1000), Member.text("sources/b.txt", TEXT)])
    (folder / "truncated.qdpx").write_bytes(valid.read_bytes()[: valid.stat().st_size // 2])
    cases["truncated.qdpx"] = ("qdpx", "WorkbenchError|not a .qdpx")
    (folder / "garbage.qdpx").write_bytes(os.urandom(10_000))
    cases["garbage.qdpx"] = ("qdpx", "WorkbenchError|not a .qdpx")
    (folder / "empty.qdpx").write_bytes(b"")
    cases["empty.qdpx"] = ("qdpx", "WorkbenchError|not a .qdpx")
    (folder / "folder.qdpx").mkdir()
    cases["folder.qdpx"] = ("qdpx", "WorkbenchError|not a .qdpx")

    def write(name: str, reader: str, content: str | bytes, expected: str) -> None:
        raw = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(raw)
        (folder / name).chmod(0o600)
        cases[name] = (reader, expected)

    cb = '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{}</Codes></CodeBook>'
    write("laughs.qdc", "qdc", LAUGHS.replace("Project", "CodeBook"), "CodebookError|DTD")
    write("deep.qdc", "qdc", cb.format('<Code name="a">' * 100_000), "LimitError|max_xml_depth")
    write("binary.qdc", "qdc", os.urandom(5000), "CodebookError|not")
    write("bidi.qdc", "qdc", cb.format('<Code name="A"><Description>Code name: vali\u202edating</Description></Code>'),
          "CodebookError|not a slug")
    write("huge-attribute.qdc", "qdc", cb.format(f'<Code name="{"x" * 20_000_000}"><Description>d</Description></Code>'),
          "load")
    key = {"format": "workbench-pseudonym-key", "version": 1, "scheme": "numbered", "secret": "ab" * 32}
    write("not-json.key.json", "key", "{'people': ", "PrivacyError|not valid JSON")
    write("binary.key.json", "key", b"\xff\xd8\xff\xe0" + os.urandom(3000), "PrivacyError|not UTF-8")
    write("deep.key.json", "key", "[" * 1_000_000 + "]" * 1_000_000, "PrivacyError|nested too deeply")
    write("huge.key.json", "key", b" " * (65 * MIB), "PrivacyError|too large|WB_MAX_KEY_BYTES")
    write("types.key.json", "key", json.dumps({**key, "people": [{"name": "a", "pseudonym": "P1", "aliases": 5}]}),
          "PrivacyError|'aliases'")
    write("width.key.json", "key", json.dumps({**key, "width": [3]}), "PrivacyError|'width'")
    write("counters.key.json", "key", json.dumps({**key, "counters": {"P": "x"}}), "PrivacyError|'counters'")
    write("empty.key.json", "key", b"", "PrivacyError|not valid JSON")
    write("nul.key.json", "key", b"\0" * 100, "PrivacyError|not valid JSON")
    write("laughs.yaml", "yaml", "name: x\na0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
        f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10)) + "codes: *a9\n",
        "CodebookError|unknown key")
    write("deep.yaml", "yaml", "name: x\ncodes: " + "[" * 100_000, "CodebookError|nested too deeply")
    write("tag.yaml", "yaml", "name: !!python/object/apply:os.system ['echo pwned']\ncodes: []\n",
          "CodebookError|not valid YAML")
    write("latin.yaml", "yaml", "name: caf\xe9\n".encode("latin-1"), "CodebookError|not UTF-8")
    write("huge.yaml", "yaml", b"#" * (17 * MIB), "CodebookError|too large|WB_MAX_CODEBOOK_BYTES")
    return cases


_RUNNER = textwrap.dedent("""
    import json, os, resource, signal, sys, warnings
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    import workbench as wb
    from workbench.errors import WorkbenchError
    from workbench.interchange import read_qdc, read_qdpx
    from workbench.privacy import PseudonymKey

    def timeout(*_):
        raise TimeoutError("more than 120 s")

    signal.signal(signal.SIGALRM, timeout)
    READERS = {"qdpx": read_qdpx, "qdc": read_qdc, "key": PseudonymKey.load, "yaml": wb.Codebook.from_yaml}
    import time
    for line in sys.stdin:
        path, reader = json.loads(line)
        os.environ.pop("WB_REFI_MAX_XML_ELEMENTS", None)
        if path.endswith("elements.qdpx"):
            os.environ["WB_REFI_MAX_XML_ELEMENTS"] = "200000"
        began = time.monotonic()
        signal.alarm(120)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = READERS[reader](path)
            out = {"outcome": "load", "warnings": list(getattr(got, "warnings", []) or [])}
        except BaseException as exc:
            out = {"outcome": type(exc).__name__, "workbench": isinstance(exc, WorkbenchError),
                   "message": str(exc)[:3000]}
        finally:
            signal.alarm(0)
        print(json.dumps({"path": path, "seconds": round(time.monotonic() - began, 2), **out}), flush=True)
""")


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, bomb) -> tuple[Path, dict[str, tuple[str, str]]]:
    folder = tmp_path_factory.mktemp("hostile") / "corpus"
    return folder, _corpus(folder, bomb)


@pytest.mark.slow
def test_the_hostile_corpus_ends_in_a_load_or_a_named_error(tmp_path, corpus):
    folder, cases = corpus
    lines = "".join(json.dumps([str(folder / n), r]) + "\n" for n, (r, _) in cases.items())
    done = subprocess.run([sys.executable, "-c", _RUNNER], input=lines, capture_output=True, text=True,
                          timeout=1500, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    results = {Path(r["path"]).name: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(results) == set(cases), done.stderr[-3000:]
    for name, (_, expected) in cases.items():
        got = results[name]
        if expected == "load":
            assert got["outcome"] == "load", (name, got)
            continue
        kind, *fragments = expected.split("|")
        assert got["outcome"] == kind and got["workbench"], (name, got)
        assert name in got["message"] and all(f in got["message"] for f in fragments), (name, got)
    assert any("'sources/a.txt': cannot be read" in w for w in results["lying-source.qdpx"]["warnings"])
    assert any("longer than" in w for w in results["attribute.qdpx"]["warnings"])


_CLI_RUNNER = textwrap.dedent("""
    import contextlib, io, json, os, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from workbench.cli import main

    for line in sys.stdin:
        argv, env = json.loads(line)
        os.environ.update(env)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except BaseException as exc:  # main() must not let anything out
                code = f"raised {type(exc).__name__}: {exc}"
        for name in env:
            del os.environ[name]
        print(json.dumps({"argv": argv, "code": code, "said": out.getvalue() + err.getvalue()}), flush=True)
""")


@pytest.mark.slow
def test_the_hostile_corpus_from_the_command_line(tmp_path, corpus, tmp_path_factory):
    """Through ``workbench codebook check`` and ``workbench export --key``: exit 1 or 2, a message, no traceback."""
    folder, cases = corpus
    project = tmp_path_factory.mktemp("project") / "p.db"
    with wb.open_project(project) as p:
        p.add_units(wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "Sam", "text": "Hi"}]))
    huge = tmp_path / "big.qdc"
    huge.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>' + "<Code name='a'/>" * 100_000
                    + "</Codes></CodeBook>")
    runs = [(["codebook", "check", str(folder / n)], {}) for n, (r, _) in cases.items()
            if r in ("qdc", "yaml")]
    runs += [(["--project", str(project), "export", "-o", str(tmp_path / "out.csv"), "--key",
               str(folder / n)], {}) for n, (r, _) in cases.items() if r == "key"]
    runs.append((["codebook", "check", str(huge)], {"WB_REFI_MAX_XML_BYTES": "100000"}))
    lines = "".join(json.dumps(run) + "\n" for run in runs)
    done = subprocess.run([sys.executable, "-c", _CLI_RUNNER], input=lines, capture_output=True, text=True,
                          timeout=1500, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(runs), done.stderr[-3000:]
    for got in results:
        name = Path(got["argv"][-1]).name
        said = got["said"]
        if cases.get(name, ("", ""))[1] == "load":
            assert got["code"] in (0, 1), got
        else:
            assert got["code"] in (1, 2), got
            assert name in said, got
        assert "Traceback" not in said and "MemoryError" not in said and "RecursionError" not in said, got
    assert "max_xml_bytes" in results[-1]["said"] and "WB_REFI_MAX_XML_BYTES" in results[-1]["said"]
    assert not (tmp_path / "out.csv").exists()
    # and once as a real process: the console entry point says the same, with no traceback
    real = subprocess.run([sys.executable, "-m", "workbench", "codebook", "check", str(folder / "deep.qdc")],
                          capture_output=True, text=True, timeout=300, preexec_fn=_limited, cwd=tmp_path)
    assert real.returncode == 1 and "max_xml_depth" in real.stdout and "Traceback" not in real.stderr


def test_every_limit_is_documented_with_its_variable():
    from workbench.interchange import limits

    for lim in LIMITS.values():
        assert lim.name in limits.__doc__ and lim.env.startswith("WB_REFI_")
