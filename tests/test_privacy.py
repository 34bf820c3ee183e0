"""Tests for workbench.privacy: keys, pseudonymisation, redaction, NER proposals, export views."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import stat
import warnings

import pandas as pd
import pytest

import workbench as wb
from workbench import privacy as P
from workbench.privacy import PrivacyError, PseudonymKey

HERE = os.path.dirname(__file__)
FIX = os.path.join(HERE, "fixtures", "privacy")


def _load_parser():
    spec = importlib.util.spec_from_file_location("privacy_seed_parser", os.path.join(FIX, "seed_parser.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


seeds = _load_parser()


def _present(name: str, text: str) -> bool:
    """Whether ``name`` occurs as a whole word (any case) in ``text``."""
    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, re.IGNORECASE) is not None


def _people_to_hide(examples):
    authors = seeds.seed000_authors(examples / "wordpress_not_all_like_that.txt")
    handles = seeds.seed001_handles(examples / "twitter_unrolled_thread.txt")
    parts = []
    for a in authors:  # "Lisa Rodrigues (@LisaSaysThis)" hides "Lisa Rodrigues" and "LisaSaysThis" too
        m = re.match(r"^(.*?)\s*\(@(\w+)\)$", a)
        if m:
            parts += [m.group(1), m.group(2)]
    return authors, handles, parts


@pytest.fixture
def seed_units(examples):
    u0 = seeds.seed000_units(examples / "wordpress_not_all_like_that.txt")
    u1 = seeds.seed001_units(examples / "twitter_unrolled_thread.txt")
    return pd.concat([u0, u1], ignore_index=True)


@pytest.fixture
def tricky():
    with open(os.path.join(FIX, "tricky_strings.json"), encoding="utf-8") as fh:
        return json.load(fh)


def one(text: str, uid: str = "u1", author: str = "") -> pd.DataFrame:
    return wb.make_units([{"unit_id": uid, "thread_id": "t", "text": text, "author": author}])


# --- the seed parser really finds the people ----------------------------------------------
def test_seed_parser_finds_the_people(examples, seed_units):
    authors, handles, _ = _people_to_hide(examples)
    assert {"drtonyryan", "Sectioned", "Lisa Rodrigues (@LisaSaysThis)", "Joanne Lesbirel", "SKELTER"} <= set(authors)
    assert len(authors) >= 20
    assert set(handles) == {"crys_tom", "twtextapp"}
    assert set(authors) <= set(seed_units["author"])
    # the raw texts do contain people: the tests below are not vacuous
    assert any(_present("crys_tom", t) for t in seed_units["text"])
    assert any(_present("Sectioned", t) for t in seed_units["title"].dropna())
    assert any(_present("kath", t) for t in seed_units["text"])


# --- the seed threads: nobody remains -----------------------------------------------------
def test_no_author_or_handle_remains_in_pseudonymised_text(examples, seed_units):
    authors, handles, parts = _people_to_hide(examples)
    result = P.pseudonymise(seed_units, PseudonymKey())
    text_cols = ["text", "title", "author"]
    for name in authors + handles + parts:
        for col in text_cols:
            left = [v for v in result.units[col].dropna() if _present(name, str(v))]
            assert not left, f"{name!r} remains in column {col}: {left[:2]}"
    # every unit with an author now has a pseudonym of the key
    pseudonyms = result.key.pseudonyms()
    authored = result.units[seed_units["author"] != ""]
    assert set(authored["author"]) <= pseudonyms
    # the seed 001 thread starter's handle inside status URLs was replaced too
    assert any("twitter.com/" + result.key.lookup("crys_tom") + "/status" in t for t in result.units["text"])


def test_pseudonymise_then_redact_leaves_no_contact_data(seed_units):
    key = PseudonymKey()
    pseudo = P.pseudonymise(seed_units, key)
    red = P.redact(pseudo.units, keep={"@" + p for p in key.pseudonyms()})
    for text in red.units["text"]:
        assert "http" not in text and "www." not in text
        assert not re.search(r"(?<![\w@])@(?!P\d{3}\b)\w", text), text
    assert (red.report["kind"] == "url").sum() == 4
    # mentions kept as pseudonyms
    assert any("@" + key.lookup("crys_tom") in t for t in red.units["text"])


def test_pseudonyms_stable_across_two_imports(examples, tmp_path):
    key = PseudonymKey()
    first = pd.concat(
        [seeds.seed000_units(examples / "wordpress_not_all_like_that.txt"),
         seeds.seed001_units(examples / "twitter_unrolled_thread.txt")],
        ignore_index=True,
    )
    a = P.pseudonymise(first, key)
    path = key.save(tmp_path / "keys" / "study.key.json")
    # a second, independent import of the same files, with the key read back from disk
    second = pd.concat(
        [seeds.seed000_units(examples / "wordpress_not_all_like_that.txt"),
         seeds.seed001_units(examples / "twitter_unrolled_thread.txt")],
        ignore_index=True,
    )
    b = P.pseudonymise(second, PseudonymKey.load(path))
    pd.testing.assert_frame_equal(a.units, b.units)
    pd.testing.assert_frame_equal(a.report, b.report)


def test_existing_pseudonyms_never_change_when_people_are_added(examples, seed_units):
    key = PseudonymKey()
    only_001 = seed_units[seed_units["thread_id"] == "s001"]
    before = P.pseudonymise(only_001, key).units
    n_before = len(key)
    after = P.pseudonymise(seed_units, key).units  # seed 000 brings 20+ new people
    assert len(key) > n_before + 20
    pd.testing.assert_frame_equal(
        before.reset_index(drop=True), after[after["thread_id"] == "s001"].reset_index(drop=True)
    )
    numbers = sorted(int(p[1:]) for p in key.pseudonyms())
    assert numbers == list(range(1, len(key) + 1))


def test_pseudonymise_leaves_its_input_untouched(seed_units):
    snapshot = seed_units.copy(deep=True)
    P.pseudonymise(seed_units, PseudonymKey())
    P.redact(seed_units)
    pd.testing.assert_frame_equal(seed_units, snapshot)


# --- the key --------------------------------------------------------------------------------
def test_key_round_trips(tmp_path, seed_units):
    key = PseudonymKey(scheme="role")
    units = seed_units.copy()
    units["author_role"] = ["professional" if a in ("drtonyryan", "Jonathon Tomlinson") else None for a in units["author"]]
    P.pseudonymise(units, key)
    key.add_alias("Sectioned", "@Sectioned_UK")
    key.set_matching("Sectioned", case_sensitive=True)
    path = key.save(tmp_path / "k" / "key.json")
    back = PseudonymKey.load(path)
    assert back.to_dict() == key.to_dict()
    assert back.key_id == key.key_id and back.secret == key.secret
    pd.testing.assert_frame_equal(back.mapping(), key.mapping())
    assert back.lookup("sectioned_uk") == key.lookup("Sectioned")
    assert back.lookup("drtonyryan").startswith("Professional-")
    assert back.lookup("kath").startswith("Unknown-")
    assert back.reidentify(key.lookup("kath")) == "kath"
    # the next person after a round trip continues the count
    assert back.pseudonym_for("new person") == key.pseudonym_for("new person")
    assert not back.dirty or back.path == path


def test_key_file_is_private_and_atomic(tmp_path):
    key = PseudonymKey()
    key.pseudonym_for("Sam")
    path = key.save(tmp_path / "key.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["key.json"]
    data = json.loads(path.read_text())
    assert data["format"] == "workbench-pseudonym-key" and data["people"][0]["name"] == "Sam"
    key.pseudonym_for("Jo")
    key.save()  # to where it was saved before
    assert PseudonymKey.load(path).lookup("jo") == "P002"


def test_key_refused_inside_the_project_folder(tmp_path, project):
    key = PseudonymKey()
    with pytest.raises(PrivacyError, match="inside the project folder"):
        key.save(tmp_path / "key.json", project=project)
    with pytest.raises(PrivacyError, match="allow_near_project"):
        key.save(tmp_path / "sub" / "key.json", project=project)
    with pytest.warns(P.KeyLocationWarning):
        key.save(tmp_path / "key.json", project=project, allow_near_project=True)
    elsewhere = tmp_path.parent / (tmp_path.name + "-keys") / "key.json"
    assert key.save(elsewhere, project=project) == elsewhere.resolve()


def test_key_load_errors_name_the_problem(tmp_path):
    with pytest.raises(PrivacyError, match="no pseudonym key at"):
        PseudonymKey.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  'not json'\n}")
    with pytest.raises(PrivacyError, match=r"bad.json: line 2"):
        PseudonymKey.load(bad)
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(PrivacyError, match="field 'format'"):
        PseudonymKey.load(bad)
    key = PseudonymKey()
    key.pseudonym_for("Sam")
    data = key.to_dict()
    data["secret"] = "0" * 64
    bad.write_text(json.dumps(data))
    with pytest.raises(PrivacyError, match="altered"):
        PseudonymKey.load(bad)
    data = key.to_dict()
    data["people"].append(dict(data["people"][0], name="Other"))
    bad.write_text(json.dumps(data))
    with pytest.raises(PrivacyError, match=r"people\[1\]"):
        PseudonymKey.load(bad)


def test_key_load_warns_when_others_can_read_it(tmp_path):
    path = PseudonymKey().save(tmp_path / "key.json")
    os.chmod(path, 0o644)
    with pytest.warns(UserWarning, match="chmod 600"):
        PseudonymKey.load(path)


def test_key_arguments_are_checked():
    with pytest.raises(ValueError, match="numbered"):
        PseudonymKey(scheme="random")
    with pytest.raises(ValueError, match="prefix"):
        PseudonymKey(prefix="1")
    key = PseudonymKey()
    with pytest.raises(KeyError, match="not in the key"):
        key.add_alias("Nobody", "x")
    key.pseudonym_for("Sam")
    key.pseudonym_for("Jo")
    with pytest.raises(PrivacyError, match="one alias cannot name two people"):
        key.add_alias("Sam", "Jo")
    with pytest.raises(KeyError):
        key.reidentify("P999")


def test_identity_is_case_and_at_insensitive_and_non_names_are_kept():
    key = PseudonymKey()
    units = wb.make_units(
        [
            {"unit_id": "1", "thread_id": "t", "author": "Sam", "text": "a"},
            {"unit_id": "2", "thread_id": "t", "author": "@SAM", "text": "b"},
            {"unit_id": "3", "thread_id": "t", "author": "[deleted]", "text": "c", "status": "deleted"},
            {"unit_id": "4", "thread_id": "t", "author": "Anonymous", "text": "anonymous posts"},
            {"unit_id": "5", "thread_id": "t", "author": "", "text": "d"},
        ]
    )
    out = P.pseudonymise(units, key).units
    assert out["author"].tolist() == ["P001", "P001", "[deleted]", "Anonymous", ""]
    assert out.loc[3, "text"] == "anonymous posts"
    assert len(key) == 1


# --- matching names in texts ----------------------------------------------------------------
def test_tricky_names_are_pseudonymised_exactly(tricky):
    key = PseudonymKey()
    for person in tricky["pseudonymise"]["people"]:
        key.pseudonym_for(person)
    for text, expected in tricky["pseudonymise"]["cases"]:
        result = P.pseudonymise(one(text), key, mentions="authors")
        assert result.units.loc[0, "text"] == expected, text
        _assert_only_reported_changes(text, result.units.loc[0, "text"], result.report[result.report["column"] == "text"])


def test_unknown_mentions_get_pseudonyms_unless_authors_only():
    key = PseudonymKey()
    key.pseudonym_for("Sam")
    units = one("thanks @someone_else and @Sam")
    assert P.pseudonymise(units, key, mentions="authors").units.loc[0, "text"] == "thanks @someone_else and @P001"
    out = P.pseudonymise(units, key).units.loc[0, "text"]
    assert out == "thanks @P002 and @P001"
    assert key.reidentify("P002") == "someone_else"
    with pytest.raises(ValueError, match="'all' or 'authors'"):
        P.pseudonymise(units, key, mentions="some")


def test_case_sensitive_and_out_of_text_names():
    key = PseudonymKey()
    key.pseudonym_for("Sectioned")
    key.pseudonym_for("Hope")
    units = one("Sectioned wrote about being sectioned, with hope and Hope.")
    assert P.pseudonymise(units, key).units.loc[0, "text"] == "P001 wrote about being P001, with P002 and P002."
    key.set_matching("Sectioned", case_sensitive=True)
    key.set_matching("Hope", in_text=False)
    assert P.pseudonymise(units, key).units.loc[0, "text"] == "P001 wrote about being sectioned, with hope and Hope."


def test_short_and_stopword_names_are_only_replaced_as_authors():
    units = wb.make_units(
        [{"unit_id": "1", "thread_id": "t", "author": "me", "text": "tell me about it"},
         {"unit_id": "2", "thread_id": "t", "author": "J", "text": "J and me"}]
    )
    with pytest.warns(UserWarning, match="too short or too common"):
        out = P.pseudonymise(units, PseudonymKey()).units
    assert out["text"].tolist() == ["tell me about it", "J and me"]
    assert out["author"].str.fullmatch(r"P\d{3}").all()


def test_aliases_from_display_names_are_matched():
    units = wb.make_units(
        [{"unit_id": "1", "thread_id": "t", "author": "Lisa Rodrigues (@LisaSaysThis)", "text": "Hi"},
         {"unit_id": "2", "thread_id": "t", "author": "Jo", "text": "Lisa Rodrigues and @lisasaysthis agree"}]
    )
    key = PseudonymKey()
    out = P.pseudonymise(units, key).units
    p = key.lookup("Lisa Rodrigues (@LisaSaysThis)")
    assert out.loc[1, "text"] == f"{p} and @{p} agree"


def test_role_aware_pseudonyms():
    units = wb.make_units(
        [{"unit_id": str(i), "thread_id": "t", "author": a, "author_role": r, "text": "x"}
         for i, (a, r) in enumerate([("Ann", "professional"), ("Bo", "patient"), ("Cy", "professional"), ("Di", None), ("Ann", "carer")])]
    )
    key = PseudonymKey(scheme="role")
    out = P.pseudonymise(units, key).units["author"].tolist()
    assert sorted(out[:4]) == ["Patient-01", "Professional-01", "Professional-02", "Unknown-01"]
    assert out[0] == out[4]  # a person keeps the first pseudonym
    assert key.counters == {"professional": 2, "patient": 1, "unknown": 1}


def test_numbering_does_not_follow_posting_order():
    # with a secret-keyed order, the thread starter is not always P001
    firsts = set()
    units = wb.make_units([{"unit_id": str(i), "thread_id": "t", "author": f"person{i}", "text": "x"} for i in range(8)])
    for _ in range(8):
        firsts.add(P.pseudonymise(units, PseudonymKey()).units.loc[0, "author"])
    assert len(firsts) > 1


# --- redaction ------------------------------------------------------------------------------
def _assert_only_reported_changes(old: str, new: str, report: pd.DataFrame) -> None:
    """Rebuild the old text from the new one and the report: nothing else changed."""
    rebuilt, pos = [], 0
    for row in report.sort_values("new_start").itertuples():
        assert new[row.new_start : row.new_end] == row.replacement
        assert old[row.start : row.end] == row.original
        rebuilt.append(new[pos : row.new_start])
        rebuilt.append(row.original)
        pos = row.new_end
    rebuilt.append(new[pos:])
    assert "".join(rebuilt) == old


def test_tricky_strings_are_redacted_exactly(tricky):
    for case in tricky["redact"]:
        result = P.redact(one(case["text"]))
        assert result.units.loc[0, "text"] == case["expected"], case["text"]
        _assert_only_reported_changes(case["text"], case["expected"], result.report)
    changed = [c for c in tricky["redact"] if c["text"] != c["expected"]]
    assert len(changed) >= 15


def test_redaction_report_is_tidy():
    units = wb.make_units(
        [{"unit_id": "a", "thread_id": "t", "text": "Mail jo+x@nhs.net or ring 07700 900123", "title": "see www.x.com"},
         {"unit_id": "b", "thread_id": "t", "text": "@jo"}]
    )
    result = P.redact(units)
    r = result.report
    assert list(r.columns) == ["unit_id", "column", "kind", "original", "replacement", "start", "end", "new_start", "new_end"]
    assert r[["unit_id", "column", "kind", "original", "replacement"]].values.tolist() == [
        ["a", "text", "email", "jo+x@nhs.net", "[EMAIL]"],
        ["a", "text", "phone", "07700 900123", "[PHONE]"],
        ["b", "text", "handle", "@jo", "[HANDLE]"],
        ["a", "title", "url", "www.x.com", "[URL]"],
    ]
    assert result.units["title"].tolist()[0] == "see [URL]"
    assert set(result.edits) == {"a", "b"}  # title changes have no offsets to remap


def test_redact_kinds_and_placeholders():
    units = one("Mail jo@x.org or @jo at https://x.org")
    assert P.redact(units, kinds=("email",)).units.loc[0, "text"] == "Mail [EMAIL] or @jo at https://x.org"
    assert P.redact(units, kinds="handle", placeholders={"handle": "<user>"}).units.loc[0, "text"] == (
        "Mail jo@x.org or <user> at https://x.org"
    )
    with pytest.raises(ValueError, match="valid kinds"):
        P.redact(units, kinds=("names",))
    with pytest.raises(TypeError, match="units DataFrame"):
        P.redact(["text"])
    with pytest.raises(PrivacyError, match="no column"):
        P.redact(pd.DataFrame({"unit_id": ["1"]}))


def test_redaction_summary_counts_units():
    units = wb.make_units(
        [{"unit_id": "a", "thread_id": "t", "text": "@jo and @jo and x@y.com"},
         {"unit_id": "b", "thread_id": "t", "text": "@jo"}]
    )
    summary = P.redaction_summary(P.redact(units).report)
    assert summary.to_dict("records") == [
        {"kind": "handle", "original": "@jo", "replacement": "[HANDLE]", "n_replacements": 3, "n_units": 2, "unit_ids": "a, b"},
        {"kind": "email", "original": "x@y.com", "replacement": "[EMAIL]", "n_replacements": 1, "n_units": 1, "unit_ids": "a"},
    ]
    assert P.redaction_summary(P.redact(one("nothing")).report).empty


# --- offsets ------------------------------------------------------------------------------
def test_spans_outside_edits_keep_their_text(seed_units):
    key = PseudonymKey()
    pseudo = P.pseudonymise(seed_units, key)
    red = P.redact(pseudo.units, keep={"@" + p for p in key.pseudonyms()})
    checked = 0
    for uid, old in zip(seed_units["unit_id"], seed_units["text"]):
        if uid not in pseudo.edits and uid not in red.edits:
            continue
        new = red.units.loc[red.units["unit_id"] == uid, "text"].item()
        edited = [(e.start, e.end) for e in pseudo.edits.get(uid, ())]
        for m in re.finditer(r"\w+", old):
            if any(s < m.end() and m.start() < e for s, e in edited):
                continue
            s1, e1 = pseudo.remap_span(uid, m.start(), m.end())
            s2, e2 = red.remap_span(uid, s1, e1)
            if red.units.loc[red.units["unit_id"] == uid, "text"].item()[s2:e2] != m.group(0):
                # only words that were inside a redacted URL may change
                assert any(e.start <= s1 < e.end for e in red.edits.get(uid, ())), (uid, m.group(0))
                continue
            assert new[s2:e2] == m.group(0)
            checked += 1
    assert checked > 500


def test_spans_cutting_into_a_replacement_cover_all_of_it():
    key = PseudonymKey()
    key.pseudonym_for("Samantha")
    result = P.pseudonymise(one("Ask Samantha now"), key)
    assert result.units.loc[0, "text"] == "Ask P001 now"
    s, e = result.remap_span("u1", 6, 9)  # "man" inside the name
    assert (s, e) == (4, 8)
    s, e = result.remap_span("u1", 0, 16)
    assert result.units.loc[0, "text"][s:e] == "Ask P001 now"
    assert result.remap_span("no-such-unit", 2, 3) == (2, 3)
    with pytest.raises(ValueError, match="after its end"):
        P.remap_span([], 5, 2)


def test_remap_codings_moves_spans():
    result = P.redact(one("see https://example.org/long/path then I was restrained"))
    codings = pd.DataFrame(
        {"unit_id": ["u1", "u1", "other"], "code": ["a", "b", "c"],
         "span_start": pd.array([39, None, 1], dtype="Int64"), "span_end": pd.array([55, None, 2], dtype="Int64")}
    )
    out = result.remap_codings(codings)
    text = result.units.loc[0, "text"]
    assert text[out.loc[0, "span_start"] : out.loc[0, "span_end"]] == "I was restrained"
    assert pd.isna(out.loc[1, "span_start"])
    assert (out.loc[2, "span_start"], out.loc[2, "span_end"]) == (1, 2)
    assert codings.loc[0, "span_start"] == 39  # copy, not in place


# --- NER proposals ------------------------------------------------------------------------
def test_ner_without_a_trained_pipeline_says_it_is_unavailable(seed_units):
    import spacy

    installed = [m for m in spacy.util.get_installed_models()]
    if P.ner_available():
        proposals = P.propose_names(seed_units.head(3))
        assert list(proposals.columns) == ["unit_id", "start", "end", "text", "label", "accept"]
        assert installed
    else:
        with pytest.raises(P.NERUnavailableError, match="unavailable"):
            P.propose_names(seed_units)
    with pytest.raises(P.NERUnavailableError, match="no named-entity component"):
        P.propose_names(seed_units, nlp=spacy.blank("en"))


def test_ner_proposals_are_never_applied_silently(seed_units):
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Charlotte Walker"}, {"label": "PERSON", "pattern": "Sarah Knowles"},
                        {"label": "ORG", "pattern": "NHS"}])
    before = seed_units.copy(deep=True)
    proposals = P.propose_names(seed_units, nlp=nlp)
    pd.testing.assert_frame_equal(seed_units, before)
    assert set(proposals["text"]) == {"Charlotte Walker", "Sarah Knowles"}
    assert not proposals["accept"].any()
    # nothing accepted: nothing changes
    assert P.apply_names(seed_units, proposals).units["text"].tolist() == seed_units["text"].tolist()
    accepted = proposals.assign(accept=proposals["text"] == "Sarah Knowles")
    result = P.apply_names(seed_units, accepted)
    assert not any("Sarah Knowles" in t for t in result.units["text"])
    assert any("Charlotte Walker" in t for t in result.units["text"])
    assert (result.report["kind"] == "name").all() and (result.report["original"] == "Sarah Knowles").all()
    with pytest.raises(PrivacyError, match="'accept' column"):
        P.apply_names(seed_units, proposals.drop(columns="accept"))
    shifted = accepted.assign(start=accepted["start"] + 1)
    with pytest.raises(PrivacyError, match="the text there is"):
        P.apply_names(seed_units, shifted)


# --- the project side ---------------------------------------------------------------------
def test_privacy_state_and_marking(project, demo_units):
    assert P.privacy_state(project)["state"] == "raw"
    key = PseudonymKey()
    project.add_units(demo_units)
    P.pseudonymise(demo_units, key)  # the key now knows the real names, but the store holds them raw
    with pytest.raises(PrivacyError, match="real name in the key"):
        P.mark_pseudonymised(project, key)
    assert P.privacy_state(project)["state"] == "raw"


def test_mark_pseudonymised_records_state(tmp_path, demo_units):
    project = wb.open_project(tmp_path / "p.db")
    try:
        key = PseudonymKey()
        safe = P.redact(P.pseudonymise(demo_units, key).units)
        project.add_units(safe.units)
        state = P.mark_pseudonymised(project, key, redacted=("url", "phone"))
        assert state["state"] == "pseudonymised" and state["key_id"] == key.key_id
        assert P.privacy_state(project)["redacted"] == ["url", "phone"]
        assert P.privacy_state(project)["through_seq"] == len(demo_units)
        assert "set_setting" in set(project.audit_log()["action"])
        with pytest.raises(PrivacyError, match="not the key of this project"):
            P.mark_pseudonymised(project, PseudonymKey())
        # exporting needs no key now
        view = P.export_view(project)
        assert set(view.units["author"]) <= key.pseudonyms() | {""}
        # units added after marking are refused until marked again
        project.add_units(wb.make_units([{"unit_id": "late", "thread_id": "t9", "author": "Sam", "text": "hi"}]))
        with pytest.raises(PrivacyError, match="added after the project was"):
            P.export_view(project)
    finally:
        project.close()


def test_export_view_of_a_raw_project(tmp_path, demo_units, demo_codebook):
    project = wb.open_project(tmp_path / "p.db")
    try:
        units = demo_units.copy()
        units.loc[units["unit_id"] == "t1:2", "text"] = "Nurse Ann, see https://example.org/policy then call 07700 900123. That isn't the point."
        project.add_units(units)
        project.add_codebook(demo_codebook)
        project.add_coder("alice")
        text = units.loc[units["unit_id"] == "t1:2", "text"].item()
        start = text.index("That isn't")
        project.code("t1:2", ["defensive"], coder="alice", span=(start, len(text)), memo="Sam's reply to Nurse Ann")
        project.code("t1:0", ["validating"], coder="alice", span=(0, 3))
        with pytest.raises(PrivacyError, match="pass key="):
            P.export_view(project)
        with pytest.raises(PrivacyError, match="as proof"):
            P.export_view(project, raw=True)
        key = PseudonymKey()
        key_path = key.save(tmp_path.parent / (tmp_path.name + "-keys") / "k.json")
        view = P.export_view(project, key=key)
        assert not view.raw
        assert not PseudonymKey.load(key_path).dirty and len(PseudonymKey.load(key_path)) == len(key) > 0
        for name in ["Sam", "Nurse Ann", "Jo", "Lee", "Dr K", "Max"]:
            for col in ("author", "text"):
                assert not any(_present(name, str(v)) for v in view.units[col]), (name, col)
            assert not any(_present(name, str(m)) for m in view.codings["memo"].dropna())
        row = view.units.set_index("unit_id").loc["t1:2"]
        assert "[URL]" in row["text"] and "[PHONE]" in row["text"]
        coded = view.codings.set_index("code")
        assert row["text"][coded.loc["defensive", "span_start"] : coded.loc["defensive", "span_end"]] == "That isn't the point."
        t10 = view.units.set_index("unit_id").loc["t1:0", "text"]
        assert (coded.loc["validating", "span_start"], coded.loc["validating", "span_end"]) == (0, 3)
        assert t10[0:3] == "I w"  # a unit without edits keeps its spans
        assert P.privacy_state(project)["key_id"] == key.key_id  # the key is now bound
        with pytest.raises(PrivacyError, match="not the key of this project"):
            P.export_view(project, key=PseudonymKey())
        raw = P.export_view(project, raw=True, key=key)
        assert raw.raw and "Nurse Ann" in set(raw.units["author"])
        assert raw.units.set_index("unit_id").loc["t1:1", "author_pseudonym"] == key.lookup("Nurse Ann")
        with pytest.raises(PrivacyError, match="not the key of this project"):
            P.export_view(project, raw=True, key=PseudonymKey())
    finally:
        project.close()


def test_export_view_warns_about_an_unsaved_key(project, demo_units):
    project.add_units(demo_units)
    with pytest.warns(UserWarning, match="never been saved"):
        P.export_view(project, key=PseudonymKey())


def test_raw_view_of_a_pseudonymised_project_reidentifies_authors(project, demo_units):
    key = PseudonymKey()
    project.add_units(P.pseudonymise(demo_units, key).units)
    P.mark_pseudonymised(project, key)
    view = P.export_view(project, raw=True, key=key)
    got = dict(zip(view.units["unit_id"], view.units["author"]))
    assert got["t1:1"] == "Nurse Ann" and got["t2:1"] == "Dr K"
    assert view.units.set_index("unit_id").loc["t1:1", "author_pseudonym"] == key.lookup("Nurse Ann")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert P.export_view(project).units["author"].isin(key.pseudonyms() | {""}).all()


# --- end to end through the real ingester: nothing identifying anywhere in an export ---------
def test_example_threads_export_holds_no_author_or_handle_even_in_ids(examples, tmp_path):
    from workbench.interchange import export_codings

    authors, handles, parts = _people_to_hide(examples)
    project = wb.open_project(tmp_path / "p.db")
    try:
        for name in ("wordpress_not_all_like_that.txt", "twitter_unrolled_thread.txt"):
            project.add_units(wb.load_threads(examples / name))
        project.add_codebook(wb.Codebook.from_yaml(examples.parent.parent / "codebooks" / "response-types.yaml"))
        project.add_coder("alice")
        first = project.queue("alice")[:3]
        for unit in first:
            project.code(unit, ["validating"], coder="alice")
        key = PseudonymKey()
        key.save(tmp_path / "keys" / "k.json")
        path = export_codings(project, tmp_path / "out" / "codings.csv", key=key)
        exported = path.read_text(encoding="utf-8-sig")
    finally:
        project.close()
    leaked = [p for p in [*authors, *handles, *parts] if _present(p, exported)]
    assert not leaked, f"identifying names left in the export: {leaked}"
    assert all(u in exported for u in first)  # ids are exported, and hold no handle


def test_pseudonymised_tables_carry_a_mark_that_survives_redaction_and_assign():
    key = PseudonymKey()
    raw = one("Email me at sam@example.org", author="Sam")
    assert P.PSEUDONYMISED_MARK not in raw.attrs
    safe = wb.pseudonymise(raw, key).units
    assert safe.attrs[P.PSEUDONYMISED_MARK] == key.key_id
    later = wb.redact(safe, ["email"]).units.assign(extra_col=1)
    assert later.attrs[P.PSEUDONYMISED_MARK] == key.key_id
    assert "sam@example.org" not in later.loc[0, "text"] and later.loc[0, "author"] != "Sam"
    assert P.PSEUDONYMISED_MARK not in wb.redact(raw, ["email"]).units.attrs  # redaction alone is no pseudonymisation
