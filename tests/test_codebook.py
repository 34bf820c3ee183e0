"""The codebook: the default codebook, its anchor examples, YAML and dict round trips, the API, GUIDs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import workbench as wb
from workbench.codebook import RESERVED_SHORTCUTS, code_guid, slugify

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "codebooks" / "response-types.yaml"
EXAMPLES = ROOT / "data" / "examples"


# --- the seed threads that anchor examples point to ------------------------------------------
#: Unit-id prefixes of the seed threads (as wb.load_threads names them) and their files.
SEED_FILES = {
    "wp:ed363f17:": "wordpress_not_all_like_that.txt",
    "x-unrolled:77037dff:": "twitter_unrolled_thread.txt",
    "post:6dd1af11": "essay_bridging_the_divide.txt",
}


def _seed_file(unit: str) -> Path:
    for prefix, name in SEED_FILES.items():
        if unit.startswith(prefix):
            return EXAMPLES / name
    raise AssertionError(f"unit {unit!r} names no seed thread; prefixes: {list(SEED_FILES)}")


@pytest.fixture(scope="module")
def default() -> wb.Codebook:
    return wb.Codebook.from_yaml(DEFAULT)


# --- the default codebook ------------------------------------------------------------------
def test_default_codebook_loads_and_validates(default):
    assert default.name == "response-types"
    assert default.validate() is default
    assert default.problems() == []
    for core in ("validating", "defensive", "systemic-deflection"):
        assert core in default
    assert len(default) >= 6


def test_default_codebook_groups_say_which_are_exclusive(default):
    stance = default.group("stance")
    assert stance.exclusive is True
    assert default.group("moves").exclusive is False
    assert {c.name for c in default.codes_in("stance")} >= {"validating", "defensive", "systemic-deflection"}
    assert all(c.group in {"stance", "moves"} for c in default.codes)


def test_every_anchor_example_and_near_miss_quotes_its_seed_thread(default):
    for code in default.codes:
        assert len(code.examples) >= 2, code.name
        assert len(code.near_misses) >= 1, code.name
        for example in code.examples + code.near_misses:
            assert example.unit, f"{code.name}: {example.text!r} names no unit"
            seed = _seed_file(example.unit).read_text(encoding="utf-8")
            assert example.text in seed, f"{code.name}: {example.text!r} is not in {example.unit}"


def test_anchor_units_are_the_ingested_units_that_hold_the_quotes(default):
    try:
        from workbench.ingest import load_threads
    except ImportError:  # pragma: no cover - the ingesters ship with the package
        pytest.skip("workbench.ingest.load_threads is not available")
    text_of: dict[str, str] = {}
    for name in SEED_FILES.values():
        units = load_threads(EXAMPLES / name)
        text_of.update(zip(units["unit_id"], units["text"]))
    for code in default.codes:
        for example in code.examples + code.near_misses:
            assert example.unit in text_of, f"{code.name}: unit {example.unit!r} is not what load_threads gives"
            assert example.text in text_of[example.unit], f"{code.name}: {example.text!r} not in {example.unit}"
            holders = [u for u, t in text_of.items() if example.text in t]
            assert holders == [example.unit], f"{code.name}: {example.text!r} is in {holders}"


def test_inclusion_and_exclusion_rules_tell_the_core_codes_apart(default):
    core = ("validating", "defensive", "systemic-deflection")
    for name in core:
        code = default[name]
        assert code.definition.strip() and code.include.strip() and code.exclude.strip()
        others = [o for o in core if o != name]
        for other in others:
            assert other in code.exclude, f"{name}.exclude should say when {other} applies instead"
    assert "not all" in default["defensive"].definition.lower()
    assert "system" in default["systemic-deflection"].definition


def test_default_shortcuts_are_letters_that_avoid_navigation_keys(default):
    keys = [c.shortcut for c in default.codes]
    assert all(k is not None and len(k) == 1 and "a" <= k <= "z" for k in keys)
    assert len(set(keys)) == len(keys)
    assert not set(keys) & set("jknpu")
    assert RESERVED_SHORTCUTS == frozenset("jknpu")


def test_default_colours_are_hex_and_content_warnings_cover_the_terms(default):
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c.color) for c in default.codes)
    for term in ("self-harm", "suicide", "abuse", "restraint"):
        assert term in default.content_warnings


def test_default_patterns_are_phrases_or_token_patterns(default):
    assert default["defensive"].patterns
    for code in default.codes:
        for p in code.patterns:
            assert isinstance(p, str) or (isinstance(p, list) and all(isinstance(t, dict) for t in p))


def test_default_round_trips_through_yaml_and_dict(default, tmp_path):
    again = wb.Codebook.from_yaml_text(default.to_yaml())
    assert again == default
    default.to_yaml(tmp_path / "copy.yaml")
    assert wb.Codebook.from_yaml(tmp_path / "copy.yaml") == default
    assert wb.Codebook.from_dict(default.to_dict()) == default


def test_from_dict_keeps_the_existing_api(demo_codebook):
    assert demo_codebook.names == ["validating", "defensive", "systemic-deflection", "gratitude"]
    assert demo_codebook["defensive"].shortcut == "d"
    assert "gratitude" in demo_codebook and "nope" not in demo_codebook
    assert demo_codebook.group("stance").exclusive
    assert demo_codebook.replace(title="T").title == "T"
    with pytest.raises(KeyError, match="codes"):
        demo_codebook["nope"]
    ex = wb.Codebook.from_dict(
        {"name": "e", "codes": [{"name": "a", "label": "A", "definition": "x", "examples": ["plain quote"]}]}
    )
    assert ex["a"].examples == (wb.Example(text="plain quote"),)


# --- GUIDs -----------------------------------------------------------------------------------
def test_guids_are_deterministic_and_kept():
    cb = wb.Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x"}]})
    g = cb.with_guids()
    assert g["a"].guid == code_guid("d", "a") == cb.guid_of("a")
    assert code_guid("d", "a") != code_guid("d", "b") != code_guid("e", "a")
    renamed = g.replace_code("a", name="apple")
    assert renamed["apple"].guid == g["a"].guid
    assert slugify("Not all of us!") == "not-all-of-us"
