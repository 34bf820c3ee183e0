"""Codebook rules: every problem named with its file, line, code and field (workbench.codebook._validate)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import workbench as wb

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "codebook"


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


def test_shortcut_digits_and_wrong_types():
    cb = wb.Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x", "shortcut": 1}]})
    assert cb["a"].shortcut == "1"
    with pytest.raises(wb.CodebookError, match="shortcut 'ab' must be a single letter"):
        wb.Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x", "shortcut": "ab"}]})
    with pytest.raises(wb.CodebookError, match="exclusive must be true"):
        wb.Codebook.from_dict({"name": "d", "groups": [{"name": "g", "exclusive": "yes please"}], "codes": []})
    with pytest.raises(wb.CodebookError, match="pattern #1"):
        wb.Codebook.from_dict({"name": "d", "codes": [{"name": "a", "label": "A", "definition": "x", "patterns": [3]}]})


# --- names: bounded, no control, format or bidi characters (workbench.identifiers) ----------
def _yaml(tmp_path, *, name="demo", group="stance", code="validating"):
    path = tmp_path / "cb.yaml"
    text = (
        f"name: {json.dumps(name)}\n"
        f"groups:\n  - name: {json.dumps(group)}\n    exclusive: true\n"
        f"codes:\n  - name: {json.dumps(code)}\n    label: Validating\n    definition: Believes it.\n"
        f"    group: {json.dumps(group)}\n"
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("kind", "value", "line", "fragment"),
    [
        ("code", "v" * 10_000, 6, "10000 characters long; code names are at most 64"),
        ("code", "vali\u202edating", 6, "is not a slug"),
        ("group", "stance\u200b", 3, "U+200B ZERO WIDTH SPACE"),
        ("group", "\u202eecnats", 3, "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("group", "g" * 500, 3, "the limit is 64"),
        ("name", "demo\x07", 1, "a control character"),
        ("name", "d" * 65, 1, "the limit is 64"),
    ],
)
def test_names_are_bounded_and_hold_no_invisible_characters(tmp_path, kind, value, line, fragment):
    path = _yaml(tmp_path, **{kind: value})
    with pytest.raises(wb.CodebookError) as info:
        wb.Codebook.from_yaml(path)
    first = str(info.value).split("\n", 1)[0]
    assert first.startswith(f"{path}, line {line}, "), first
    assert "field 'name'" in first and fragment in first
    assert len(first) < 700  # a hostile name is not repeated whole
    if kind == "code":
        assert "code 'v" in first or "code 'vali" in first


def test_names_of_a_codebook_built_in_python_are_checked_too():
    cb = wb.Codebook(name="demo\u200b", codes=(wb.Code("a", "A", "x"),), groups=(wb.CodeGroup("s\u202e"),))
    problems = [str(p) for p in cb.problems()]
    assert any("codebook name" in p and "U+200B" in p for p in problems)
    assert any("group name" in p and "U+202E" in p for p in problems)


def test_a_hostile_yaml_codebook_is_refused_quickly(tmp_path):
    laughs = ["name: x", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    laughs += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(laughs + ["codes: *a9"]) + "\n", encoding="utf-8")
    with pytest.raises(wb.CodebookError, match="unknown key 'a0'"):
        wb.Codebook.from_yaml(path)  # anchors are walked once: 10**9 references cost nothing
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: x\ncodes: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(wb.CodebookError, match="nested too deeply"):
        wb.Codebook.from_yaml(deep)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"name: x\n" + b"#" * 2000 + b"\n")
    with pytest.raises(wb.CodebookError, match="max_bytes=N.*WB_MAX_CODEBOOK_BYTES"):
        wb.Codebook.from_yaml(big, max_bytes=1000)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: café\n".encode("latin-1"))
    with pytest.raises(wb.CodebookError, match="not UTF-8"):
        wb.Codebook.from_yaml(latin)
