"""What publishing runs inside the kernel (workbench/report/kernel.py), here in this process:
the offline chart renderer, the units tables a notebook reads, and what is collected at the end.

Every test that starts a watch stops it, and the Altair renderer is put back, so nothing of
the publishing kernel leaks into the other tests.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

import workbench as wb
import workbench.ingest as ingest
from workbench.project import Project
from workbench.report import kernel

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "examples" / "wordpress_not_all_like_that.txt"
PEOPLE = [
    {"unit_id": "1", "thread_id": "t", "author": "kath", "text": "Hi"},
    {"unit_id": "2", "thread_id": "t", "parent_id": "1", "author": "sam", "text": "Hello kath"},
]


@pytest.fixture
def renderer():
    before = alt.renderers.active
    yield
    alt.renderers.enable(before)


def test_the_lines_publish_runs_are_one_line_each_and_bind_no_name(tmp_path, renderer, monkeypatch):
    monkeypatch.setattr(kernel, "_watch", None)
    setup, collect = kernel.setup_line(collect=False), kernel.collect_line(tmp_path / "u.pickle")
    assert "\n" not in setup and "\n" not in collect and "__wb" not in setup + collect
    namespace: dict = {"units": wb.make_units(PEOPLE)}
    exec(compile(setup, "<setup>", "exec"), namespace)
    exec(compile(collect, "<collect>", "exec"), namespace)
    assert sorted(namespace) == ["__builtins__", "units"]
    frames = pickle.loads((tmp_path / "u.pickle").read_bytes())
    assert [list(f["author"]) for f in frames] == [["kath", "sam"]]


def test_charts_display_as_their_vega_lite_spec(renderer):
    kernel.use_offline_renderer()
    assert alt.renderers.active == kernel.RENDERER
    chart = alt.Chart(pd.DataFrame({"n": [1]})).mark_bar().encode(x="n:Q")
    bundle = chart._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    mime = next(m for m in data if m.startswith("application/vnd.vegalite.v"))
    assert data[mime]["mark"]["type"] == "bar" and data["text/plain"] == "<altair chart>"
    assert not any("html" in m for m in data)  # nothing that would load Vega from a CDN


def test_a_watch_notes_every_units_table_read(project):
    project.add_units(wb.make_units(PEOPLE))
    expected = project.units()
    w = kernel.watch()
    try:
        units = ingest.load_threads(EXAMPLE)
        assert wb.load_threads is ingest.load_threads  # the package's own name too
        wb.load_threads(EXAMPLE)
        read = project.units()
    finally:
        w.stop()
    assert read.equals(expected)  # the wrappers return exactly what the originals return
    assert len(w.frames) == 3
    assert list(w.frames[0].columns) == [c for c in kernel.UNIT_COLUMNS if c in units.columns]
    assert w.frames[0].equals(w.frames[1]) and set(w.frames[0]["author"]) == set(units["author"])
    assert list(w.frames[2]["author"]) == ["kath", "sam"]


def test_stopping_a_watch_puts_the_originals_back():
    load, units, top = ingest.load_threads, Project.units, wb.load_threads
    w = kernel.watch()
    assert ingest.load_threads is not load and Project.units is not units
    w.stop()
    assert ingest.load_threads is load and Project.units is units and wb.load_threads is top


def test_a_pseudonymised_project_protects_only_units_added_after_it_was_marked(project):
    key = wb.PseudonymKey()
    project.add_units(wb.privacy.pseudonymise(wb.make_units(PEOPLE), key).units)
    wb.privacy.mark_pseudonymised(project, key)
    w = kernel.watch()
    try:
        project.units()
        assert [len(f) for f in w.frames] == [0]  # all of it was pseudonymised already
        project.add_units(wb.make_units([{"unit_id": "3", "thread_id": "t", "author": "lee", "text": "Later"}]))
        project.units()
    finally:
        w.stop()
    assert [list(f["author"]) for f in w.frames] == [[], ["lee"]]
    assert list(kernel.personal_units(project)["author"]) == ["lee"]


def test_collect_adds_the_namespace_and_its_projects(project, tmp_path, monkeypatch):
    monkeypatch.setattr(kernel, "_watch", None)  # nothing noted while the notebook ran
    project.add_units(wb.make_units(PEOPLE))
    safe = wb.privacy.pseudonymise(wb.make_units(PEOPLE), wb.PseudonymKey()).units
    namespace = {
        "people": pd.DataFrame({"author": ["jo"], "text": ["x"], "other": [1]}),
        "_hidden": pd.DataFrame({"author": ["secret"]}),
        "safe": safe,
        "numbers": pd.DataFrame({"n": [1]}),
        "project": project,
    }
    kernel.collect(namespace, tmp_path / "u.pickle")
    frames = pickle.loads((tmp_path / "u.pickle").read_bytes())
    assert [sorted(f["author"]) for f in frames] == [["jo"], ["kath", "sam"]]
    assert "other" not in frames[0].columns  # only the columns that can name people
