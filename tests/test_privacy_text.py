"""Tests for workbench.privacy.text: pseudonymise and redact units tables (no project)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import workbench as wb
from _privacy import one, people_to_hide, present, seed_units_of, seeds, tricky_strings
from workbench import privacy as P
from workbench.privacy import PrivacyError, PseudonymKey


@pytest.fixture
def seed_units(examples):
    return seed_units_of(examples)


@pytest.fixture
def tricky():
    return tricky_strings()


# --- the seed parser really finds the people ----------------------------------------------
def test_seed_parser_finds_the_people(examples, seed_units):
    authors, handles, _ = people_to_hide(examples)
    assert {"drtonyryan", "Sectioned", "Lisa Rodrigues (@LisaSaysThis)", "Joanne Lesbirel", "SKELTER"} <= set(authors)
    assert len(authors) >= 20
    assert set(handles) == {"crys_tom", "twtextapp"}
    assert set(authors) <= set(seed_units["author"])
    # the raw texts do contain people: the tests below are not vacuous
    assert any(present("crys_tom", t) for t in seed_units["text"])
    assert any(present("Sectioned", t) for t in seed_units["title"].dropna())
    assert any(present("kath", t) for t in seed_units["text"])


# --- the seed threads: nobody remains -----------------------------------------------------
def test_no_author_or_handle_remains_in_pseudonymised_text(examples, seed_units):
    authors, handles, parts = people_to_hide(examples)
    result = P.pseudonymise(seed_units, PseudonymKey())
    text_cols = ["text", "title", "author"]
    for name in authors + handles + parts:
        for col in text_cols:
            left = [v for v in result.units[col].dropna() if present(name, str(v))]
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


# --- the transforms know nothing of the store ------------------------------------------------
def test_only_the_policy_reads_a_project():
    import ast
    from pathlib import Path

    folder = Path(P.__file__).parent
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                targets.add("." * node.level + (node.module or ""))
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
        store = {t for t in targets if t.lstrip(".").split(".")[0] in ("project", "storage", "sqlalchemy")
                 or t.startswith(("workbench.project", "workbench.storage"))}
        if path.name == "policy.py":
            assert store == {"..project"}, store
        else:
            assert not store, f"{path.name} imports {store}"
