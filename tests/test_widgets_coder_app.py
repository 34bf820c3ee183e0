"""The coder app (``notebooks/coder_app.ipynb``): on the team server it codes as the hub user only.

Real SQLite projects; the environment is the one JupyterHub gives a coder's server
(``JUPYTERHUB_USER``, ``WB_HUB_ROLE``, ``WB_PROJECT``). ``tests/test_browser_hub.py`` runs
the same app behind a real JupyterHub.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import workbench as wb
from workbench.widgets import CodingPanel
from workbench.widgets.coder_app import CoderApp, coder_app

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


@pytest.fixture
def path(tmp_path, demo_units, demo_codebook):
    db = tmp_path / "project.db"
    project = wb.open_project(db)
    try:
        project.add_units(demo_units)
        project.add_codebook(demo_codebook)
        project.add_coder("bob")
    finally:
        project.close()
    return db


def hub_env(path, user="alice", **more) -> dict[str, str]:
    return {"WB_PROJECT": str(path), "JUPYTERHUB_USER": user, "WB_HUB_ROLE": "coder", **more}


def class_names(app: CoderApp) -> set[str]:
    out, todo = set(), list(app.children)
    while todo:
        w = todo.pop()
        out |= set(getattr(w, "_dom_classes", ()))
        todo += list(getattr(w, "children", ()))
    return out


def test_on_the_hub_the_app_opens_the_project_for_the_hub_user_and_asks_no_name(path):
    app = coder_app(hub_env(path))
    try:
        assert app.project.coder == "alice" and app.project.role == "coder"  # a new hub coder joined as a coder
        assert isinstance(app.panel, CodingPanel) and app.panel.coder == "alice"
        assert "wb-coder-name" not in class_names(app) and "wb-coding-as" in class_names(app)
        unit = app.panel.unit["unit_id"]
        app.panel.toggle("validating")
        with pytest.raises(wb.AccessError):  # the app's project writes as alice only
            app.project.code(unit, "defensive", coder="bob")
    finally:
        app.project.close()
    owner = wb.open_project(path)
    try:
        assert sorted((e.coder, e.unit_id, e.code) for e in owner.history().itertuples()) == [
            ("alice", unit, "validating")]
        assert owner.coders().set_index("name").loc["alice", "role"] == "coder"
    finally:
        owner.close()


def test_on_the_hub_a_coder_reads_only_their_own_codings_of_an_open_round(path):
    owner = wb.open_project(path)
    try:
        owner.add_coder("alice")
        owner.new_round("pilot", sample=3, coders=["alice", "bob"], seed=1)
        first = owner.queue("bob", round="pilot")[0]
        owner.code(first, "defensive", coder="bob", round="pilot")
    finally:
        owner.close()
    app = coder_app(hub_env(path, WB_ROUND="pilot"))
    try:
        assert app.panel.round_name == "pilot" and app.panel.queue_total == 3
        app.panel.jump(first)
        assert app.panel.applied == []  # bob's code on the same unit is not shown
        assert app.project.codings(round="pilot").empty
        with pytest.raises(wb.AccessError):
            app.project.codings(coder="bob", round="pilot")
    finally:
        app.project.close()


def test_a_hub_server_that_does_not_say_who_is_logged_in_codes_for_nobody(path):
    app = coder_app({"WB_PROJECT": str(path), "WB_HUB_ROLE": "coder"})
    assert app.project is None and app.panel is None
    assert app.children == (app.note,)
    assert "coding is off" in app.note.value
    app.name.value = "bob"
    app._begin()
    assert app.panel is None


def test_on_the_coders_own_computer_the_name_is_typed_and_a_new_name_is_asked_twice(path):
    app = coder_app({"WB_PROJECT": str(path)})
    try:
        assert app.project.coder is None and app.name.options == ("bob",)
        app.name.value = "carol"
        app._begin()
        assert app.panel is None and "new coder name" in app.note.value
        app._begin()
        assert app.panel.coder == "carol"
        assert "carol" in set(app.project.coders()["name"])
    finally:
        app.project.close()


def test_a_missing_project_is_named(tmp_path):
    app = coder_app({"WB_PROJECT": str(tmp_path / "nowhere.db"), "JUPYTERHUB_USER": "alice", "WB_HUB_ROLE": "coder"})
    assert app.project is None and app.panel is None
    assert "No project at" in app.note.value and "nowhere.db" in app.note.value


def test_the_notebook_calls_the_module_and_the_app_does_not_load_altair():
    nb = json.loads((ROOT / "notebooks" / "coder_app.ipynb").read_text())
    code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "app = coder_app()" in code and "open_project" not in code.replace("open_project(WB_PROJECT", "")
    out = subprocess.run(
        [sys.executable, "-c", "import sys, workbench.widgets.coder_app; "
         "print(sorted(m for m in ('altair', 'workbench.charts', 'vl_convert') if m in sys.modules))"],
        capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_coders_kit_opens_in_its_round(path, tmp_path):
    owner = wb.open_project(path)
    try:
        owner.add_coder("alice")
        owner.new_round("pilot", sample=3, coders=["alice", "bob"], seed=1)
        owner.kit(tmp_path / "alice-kit.db", coder="alice", round="pilot")
    finally:
        owner.close()
    app = coder_app({"WB_PROJECT": str(tmp_path / "alice-kit.db")})
    try:
        app.name.value = "alice"
        app._begin()
        assert app.panel.round_name == "pilot" and app.panel.queue_total == 3
    finally:
        app.project.close()
