"""The codebook as the widgets show it (workbench/widgets/_codes.py): rows in display order,
colours that can only be colours, the codes an exclusive group's code replaces.
"""

from __future__ import annotations

import workbench as wb
from workbench.widgets._codes import code_rows, rivals, text_color


def test_a_colour_that_is_not_one_never_reaches_the_page():
    # a codebook built in code skips validation
    bad = wb.Codebook(name="b", codes=(wb.Code("x", "X", "d", color="red;background:url(x)"), wb.Code("y", "Y", "d", color="teal")))
    rows = code_rows(bad)
    assert [(r["name"], r["color"], r["text_color"]) for r in rows] == [("x", "", ""), ("y", "teal", "")]


def test_rows_put_groups_then_parents_before_children_and_survive_a_parent_loop():
    cb = wb.Codebook(
        name="h",
        codes=(
            wb.Code("leaf", "Leaf", "d", parent="mid"),
            wb.Code("mid", "Mid", "d", parent="top"),
            wb.Code("top", "Top", "d"),
            wb.Code("a", "A", "d", parent="b"),
            wb.Code("b", "B", "d", parent="a"),
        ),
    )
    rows = code_rows(cb)
    # a parent before its children, indented; the two codes that are each other's parent
    # are still shown, at the top level
    assert [(r["name"], r["level"]) for r in rows] == [("top", 0), ("mid", 1), ("leaf", 2), ("a", 0), ("b", 0)]


def test_text_colour_reads_on_its_background():
    assert text_color("#ffffff") == "#000000" and text_color("#000") == "#ffffff"
    assert text_color("") == "" and text_color(None) == ""


def test_rivals_are_the_codes_of_an_exclusive_group(demo_codebook):
    exclusive = [g.name for g in demo_codebook.groups if g.exclusive]
    assert exclusive, "the demo codebook has an exclusive group"
    members = {c.name for c in demo_codebook.codes if c.group == exclusive[0]}
    some = next(iter(members))
    assert rivals(demo_codebook, some) == members
    free = [c.name for c in demo_codebook.codes if c.group not in exclusive]
    assert all(rivals(demo_codebook, c) == set() for c in free)
