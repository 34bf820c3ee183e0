"""Thread titles never show 'nan' or 'None' (workbench.corpus.thread_title and its callers):
a thread without a title is named from its first words and its platform, at import for new
threads and when read back for projects that stored no title (or the string 'nan').
Tested on the shipped examples in data/examples.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import workbench as wb
from workbench.corpus import is_untitled, thread_title
from workbench.ingest import IngestWarning
from workbench.interchange.tabular import units_table
from workbench.privacy import PseudonymKey, export_view
from workbench.widgets import CodingPanel

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
X_TITLE = "X thread: “I’m sorry if mental health…”"
TITLES = {
    "twitter_unrolled_thread.txt": X_TITLE,
    "wordpress_not_all_like_that.txt": "But we’re not all like that …",
    "essay_bridging_the_divide.txt": "Bridging the Patient-Professional Divide",
}


def load(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        return wb.load_threads(EXAMPLES / name)


@pytest.mark.parametrize(
    ("title", "text", "platform", "want"),
    [
        ("nan", "I waited nine hours in A&E last night.", "x", "X thread: “I waited nine hours in…”"),
        ("None", "Short one", "reddit-text", "Reddit thread: “Short one”"),
        (float("nan"), "", "wxr", "WordPress thread"),
        (None, "word " * 3, None, "Thread: “word word word”"),
        (None, "x" * 100, "mastodon", "Mastodon thread: “" + "x" * 60 + "…”"),
        ("  Being believed  ", "ignored", "x", "Being believed"),
        ("Nancy", "ignored", None, "Nancy"),
    ],
)
def test_thread_title(title, text, platform, want):
    assert thread_title(title, text, platform) == want
    assert "nan" not in want.lower().replace("nancy", "") and "None" not in want


def test_untitled_values():
    assert all(is_untitled(v) for v in (None, float("nan"), "", " ", "nan", "NaN", "None", "null"))
    assert not any(is_untitled(v) for v in ("Nan's story", "0", "A title"))


@pytest.mark.parametrize("name", sorted(TITLES))
def test_import_names_each_shipped_example(name):
    units = load(name)
    roots = units[units["depth"] == 0]
    assert roots["title"].tolist() == [TITLES[name]]
    assert units.loc[units["depth"] > 0, "title"].isna().all()  # replies keep no title of their own


def test_the_panel_filter_and_the_store_show_no_nan(project):
    for name in TITLES:
        project.add_units(load(name))
    # a project stored before titles were made: the unrolled thread's title is the string 'nan'
    with project.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE threads SET title = 'nan' WHERE thread_id LIKE 'x-unrolled:%'")
        conn.exec_driver_sql("UPDATE units SET title = 'nan' WHERE thread_id LIKE 'x-unrolled:%' AND depth = 0")
    threads = project.threads()
    assert sorted(threads["title"]) == sorted(TITLES.values())
    project.add_coder("alice")
    project.add_codebook(
        wb.Codebook.from_dict({"name": "c", "codes": [{"name": "a", "label": "A", "definition": "x"}]})
    )
    panel = CodingPanel(project, coder="alice")
    assert sorted(t["title"] for t in panel.threads) == sorted(TITLES.values())
    x = next(t["thread_id"] for t in panel.threads if t["title"] == X_TITLE)
    panel.filters = {"thread": x, "uncoded": False, "flagged": False}
    assert panel.unit["thread_id"] == x and panel.unit["title"] == ""  # "Thread start", never "Thread: nan"


def test_exports_name_untitled_threads_from_the_exported_text(project, tmp_path):
    project.add_units(load("twitter_unrolled_thread.txt"))
    project.add_units(wb.make_units([{"unit_id": "q", "thread_id": "q", "text": "No title, no source", "title": None}]))
    with project.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE units SET title = 'None' WHERE depth = 0")
    key = PseudonymKey()
    key.save(tmp_path / "key.json")
    table = units_table(export_view(project, key=key))  # pseudonymised: named from the exported text
    # ids are mapped through the key in a pseudonymised export: find the two threads by their titles
    assert {X_TITLE, "Thread: “No title, no source”"} <= set(table["title"].dropna())
    assert not table["unit_id"].isin(["x-unrolled:77037dff:1", "q"]).any()
    assert not table["title"].astype(str).str.lower().isin(["nan", "none"]).any()
