"""The codebook: YAML loading with line-numbered errors, the default codebook, diff, rendering."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import workbench as wb
from workbench.codebook import RESERVED_SHORTCUTS, Code, CodebookDiff, code_guid, slugify

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "codebooks" / "response-types.yaml"
EXAMPLES = ROOT / "data" / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "codebook"


# --- the seed threads that anchor examples point to ------------------------------------------
#: Unit-id prefixes of the seed threads (as wb.load_threads names them) and their files.
SEED_FILES = {
    "wp:but-were-not-all-like-that-": "wordpress_not_all_like_that.txt",
    "x-unrolled:": "twitter_unrolled_thread.txt",
    "post:bridging-the-patient-professional-divide-": "essay_bridging_the_divide.txt",
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


# --- validation errors: file, line, field --------------------------------------------------
CASES = [
    ("duplicate_name.yaml", 9, "name", "duplicate code name 'validating' (first defined on line 3)"),
    ("duplicate_shortcut.yaml", 10, "shortcut", "duplicate shortcut 'v': code 'validating' (line 6)"),
    ("unknown_parent.yaml", 9, "parent", "unknown parent 'derailling'; did you mean 'derailing'?"),
    ("cycle.yaml", 6, "parent", "cycle in the hierarchy: defensive -> derailing -> systemic-deflection -> defensive"),
    ("invalid_color.yaml", 10, "color", "invalid colour 'orange-ish'"),
    ("unquoted_color.yaml", 6, "color", "unquoted # starts a comment"),
    ("empty_definition.yaml", 8, "definition", "empty definition"),
    ("unknown_key.yaml", 6, "exampels", "unknown key 'exampels'; did you mean 'examples'?"),
    ("reserved_shortcut.yaml", 6, "shortcut", "navigation key"),
    ("unknown_group.yaml", 9, "group", "unknown group 'stanse'; did you mean 'stance'?"),
    ("not_a_slug.yaml", 3, "name", "is not a slug"),
]


@pytest.mark.parametrize(("name", "line", "field", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_validation_errors_name_file_line_and_field(name, line, field, fragment):
    path = FIXTURES / name
    with pytest.raises(wb.CodebookError) as info:
        wb.Codebook.from_yaml(path)
    err = info.value
    message = str(err)
    assert message.startswith(f"{path}, line {line}, ")
    assert f"field {field!r}" in message
    assert fragment in message
    assert (err.line, err.field, Path(err.path)) == (line, field, path)


def test_every_problem_is_reported_not_only_the_first():
    path = FIXTURES / "several_problems.yaml"
    with pytest.raises(wb.CodebookError) as info:
        wb.Codebook.from_yaml(path)
    problems = info.value.problems
    assert [(p.line, p.field) for p in problems] == [(5, "definition"), (9, "color")]
    assert "1 more problem(s)" in str(info.value)
    assert f"{path}, line 9, code 'defensive', field 'color'" in str(info.value)


def test_unknown_top_level_and_example_keys_suggest_the_nearest(tmp_path):
    path = tmp_path / "keys.yaml"
    path.write_text(
        "name: k\ncontent_warning: [suicide]\ncodes:\n  - name: a\n    label: A\n    definition: x\n"
        "    examples:\n      - {text: quote, unti: '000:c1'}\n",
        encoding="utf-8",
    )
    with pytest.raises(wb.CodebookError) as info:
        wb.Codebook.from_yaml(path)
    lines = [(p.line, p.field) for p in info.value.problems]
    assert (2, "content_warning") in lines
    assert (8, "examples[0].unti") in lines
    assert "did you mean 'content_warnings'?" in str(info.value)
    assert "did you mean 'unit'?" in str(info.value)


def test_yaml_syntax_error_and_duplicate_keys_have_lines(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncodes:\n  - name: a\n    label: [unclosed\n", encoding="utf-8")
    with pytest.raises(wb.CodebookError, match=r"bad\.yaml, line \d+: not valid YAML"):
        wb.Codebook.from_yaml(bad)
    dup = tmp_path / "dup.yaml"
    dup.write_text("name: x\ncodes:\n  - name: a\n    label: A\n    label: B\n    definition: y\n", encoding="utf-8")
    with pytest.raises(wb.CodebookError, match=r"dup\.yaml, line 5, field 'label': the key 'label' appears twice"):
        wb.Codebook.from_yaml(dup)


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(wb.CodebookError, match="no codebook file"):
        wb.Codebook.from_yaml(tmp_path / "nope.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(wb.CodebookError, match="empty"):
        wb.Codebook.from_yaml(empty)


def test_validate_false_loads_a_draft_but_problems_lists_what_is_wrong():
    cb = wb.Codebook.from_yaml(FIXTURES / "empty_definition.yaml", validate=False)
    assert [p.field for p in cb.problems()] == ["definition"]
    assert cb.problems()[0].line == 8
    with pytest.raises(wb.CodebookError):
        cb.validate()


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


def test_shortcut_digits_and_wrong_types():
    cb = wb.Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x", "shortcut": 1}]})
    assert cb["a"].shortcut == "1"
    with pytest.raises(wb.CodebookError, match="shortcut 'ab' must be a single letter"):
        wb.Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x", "shortcut": "ab"}]})
    with pytest.raises(wb.CodebookError, match="exclusive must be true"):
        wb.Codebook.from_dict({"name": "d", "groups": [{"name": "g", "exclusive": "yes please"}], "codes": []})
    with pytest.raises(wb.CodebookError, match="pattern #1"):
        wb.Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x", "patterns": [3]}]})


# --- GUIDs -----------------------------------------------------------------------------------
def test_guids_are_deterministic_and_kept():
    cb = wb.Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x"}]})
    g = cb.with_guids()
    assert g["a"].guid == code_guid("d", "a") == cb.guid_of("a")
    assert code_guid("d", "a") != code_guid("d", "b") != code_guid("e", "a")
    renamed = g.replace_code("a", name="apple")
    assert renamed["apple"].guid == g["a"].guid
    assert slugify("Not all of us!") == "not-all-of-us"


# --- diff ------------------------------------------------------------------------------------
def test_diff_reports_added_removed_renamed_and_changed(default):
    codes = []
    for c in default.codes:
        if c.name == "gratitude":
            continue  # removed
        if c.name == "dismissing":
            c = Code(**{**c.__dict__, "name": "minimising"})  # renamed, same definition
        if c.name == "defensive":
            c = Code(**{**c.__dict__, "shortcut": "f", "label": "Defensive"})
        codes.append(c)
    codes.append(Code("tone-policing", "Tone policing", "Tells the person how to speak."))
    new = default.replace(codes=tuple(codes))
    d = default.diff(new)
    assert d.added == ("tone-policing",)
    assert d.removed == ("gratitude",)
    assert d.renamed == (("dismissing", "minimising"),)
    assert d.changed == {"defensive": {"label": ('Defensive ("not all of us")', "Defensive"), "shortcut": ("d", "f")}}
    assert bool(d)
    frame = d.to_frame()
    assert set(frame["change"]) == {"added", "removed", "renamed", "changed"}
    assert len(frame) == 5
    assert "renamed: dismissing -> minimising" in str(d)
    assert not default.diff(default)
    assert str(default.diff(default)) == "no differences"


def test_diff_uses_guids_for_renames_and_follows_renamed_parents():
    old = wb.Codebook.from_dict(
        {
            "name": "d",
            "groups": [{"name": "g", "exclusive": False}],
            "codes": [
                {"name": "derailing", "label": "Derailing", "definition": "Moves the conversation."},
                {"name": "defensive", "label": "Defensive", "definition": "Not all.", "parent": "derailing"},
            ],
        }
    ).with_guids()
    new = old.replace_code("derailing", name="off-topic", definition="Changed too.")
    new = new.replace_code("defensive", parent="off-topic")
    new = new.replace(groups=(wb.CodeGroup("g", exclusive=True),))
    d = old.diff(new)
    assert d.renamed == (("derailing", "off-topic"),)
    assert d.changed == {"off-topic": {"definition": ("Moves the conversation.", "Changed too.")}}
    assert d.groups_changed == {"g": {"exclusive": (False, True)}}
    assert isinstance(d, CodebookDiff)


# --- rendering -------------------------------------------------------------------------------
HOSTILE = wb.Codebook.from_dict(
    {
        "name": "hostile",
        "title": "<b>Title</b>",
        "groups": [{"name": "g", "label": "G & <i>", "exclusive": True}],
        "codes": [
            {
                "name": "a",
                "label": '<img src=x onerror="alert(1)">',
                "definition": "pipes | and *stars* and\nnew lines",
                "group": "g",
                "color": "#abc",
                "examples": [{"text": "<script>alert('x')</script>", "unit": "t1:0"}],
            },
            {"name": "b", "label": "Child", "definition": "y", "parent": "a", "group": "g"},
        ],
    }
)


def test_markdown_table_escapes_text_and_keeps_one_row_per_code(default):
    md = default.to_markdown()
    rows = [line for line in md.splitlines() if line.startswith("| **")]
    assert len(rows) == len(default)
    assert md.splitlines()[0] == "# Responses to accounts of care"
    hostile = HOSTILE.to_markdown()
    assert "<img" not in hostile and "<script>" not in hostile
    assert "&lt;img" in hostile and "&lt;script&gt;" in hostile
    assert "pipes \\| and \\*stars\\* and new lines" in hostile
    table_rows = [line for line in hostile.splitlines() if line.startswith("| ")]
    assert all(line.count(" | ") == table_rows[0].count(" | ") for line in table_rows)
    assert "↳ **Child**" in hostile


def test_html_table_escapes_every_text(default):
    out = default.to_html()
    assert out.count('<tr data-code="') == len(default)
    assert "&lt;" not in out or "&amp;" in out
    hostile = HOSTILE.to_html()
    assert "<img" not in hostile and "<script>" not in hostile and "<b>" not in hostile and "<i>" not in hostile
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in hostile
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in hostile
    assert 'style="background:#abc"' in hostile
    assert 'title="exclusive"' in hostile
    assert HOSTILE._repr_html_().startswith("<table")
