"""Content warnings in the coding panel, in a real browser (JupyterLab and Voilà in Chromium).

The root post of a thread carries a content-warning term, so it is hidden in the context of
every reply. The coder opens it with its own "show" button, once with the mouse and once
with the keyboard alone (Tab to the button, Enter; Space for the unit itself); the opened
post stays open on the next unit of the same thread and is hidden again in another thread.
Screenshots go to ``$WB_ARTIFACTS`` (default ``artifacts/``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import workbench as wb
from _browser import artifacts_on_failure, chromium, jupyter_lab, need_browser, screenshot, voila, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT_T = "After my overdose last spring <b>nobody</b> called back."
ROOT_U = "An overdose, then nine hours in A&E."
ABUSE = "The abuse you describe is real."


def make_project(path: Path) -> None:
    rows = [
        {"unit_id": "t:0", "thread_id": "t", "text": ROOT_T, "author": "Sam", "kind": "post"},
        {"unit_id": "t:1", "thread_id": "t", "parent_id": "t:0", "text": "I am so sorry.", "author": "Ann"},
        {"unit_id": "t:2", "thread_id": "t", "parent_id": "t:0", "text": "Thank you for writing this.", "author": "Bo"},
        {"unit_id": "u:0", "thread_id": "u", "text": ROOT_U, "author": "Kim", "kind": "post"},
        {"unit_id": "u:1", "thread_id": "u", "parent_id": "u:0", "text": "Hugs.", "author": "Lee"},
        {"unit_id": "u:2", "thread_id": "u", "parent_id": "u:0", "text": ABUSE, "author": "Max"},
    ]
    project = wb.open_project(path)
    try:
        project.add_units(wb.make_units(rows, source="test"))
        project.add_codebook(
            wb.Codebook.from_dict(
                {"name": "cw", "codes": [{"name": "thanks", "label": "Thanks", "definition": "x", "shortcut": "t"}]}
            )
        )
        project.add_coder("alice")
    finally:
        project.close()


def notebook(folder: Path, db: Path) -> Path:
    return write_notebook(
        folder / "warnings.ipynb",
        [
            "import workbench as wb\n"
            "from workbench.widgets import CodingPanel\n"
            f"project = wb.open_project({str(db)!r})\n"
            "panel = CodingPanel(project, coder='alice', content_warnings=['overdose', 'abuse'])\n"
            "panel.jump('t:1')\n"
            "panel"
        ],
    )


def root_text(page) -> str | None:
    loc = page.locator(".wb-root-post .wb-post-text")
    return loc.text_content() if loc.count() else None


def tab_to(page, selector: str, limit: int = 25) -> None:
    """Press Tab until the focus is on ``selector`` (keyboard only; fails after ``limit`` presses)."""
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with {limit} presses of Tab")


def check_warnings(page, name: str) -> None:
    page.wait_for_selector(".wb-unit[data-unit='t:1']", timeout=90_000)
    # the root post is hidden, with its own button, named for what it opens
    page.wait_for_selector(".wb-root-post[data-unit='t:0'] .wb-open-post")
    assert root_text(page) is None
    assert "overdose" in page.text_content(".wb-root-post .wb-hidden-text")
    button = page.get_by_role("button", name=re.compile(r"^Show the thread's first post \(t:0\).*overdose"))
    assert button.count() == 1
    screenshot(page, f"{name}-warnings-01-root-hidden")

    # the mouse: click it; the text is shown as text (escaped once: the <b> shows as typed)
    button.click()
    page.wait_for_selector(".wb-root-post[data-unit='t:0'] .wb-post-text", timeout=20_000)
    assert root_text(page) == ROOT_T
    assert page.locator(".wb-root-post b").count() == 0
    page.click(".wb-next")
    page.wait_for_selector(".wb-unit[data-unit='t:2']", timeout=20_000)
    assert root_text(page) == ROOT_T and page.locator(".wb-root-post .wb-open-post").count() == 0  # still open
    screenshot(page, f"{name}-warnings-02-root-open-next-unit")

    # another thread starts hidden again
    page.fill(".wb-jump-input", "u:1")
    page.click(".wb-jump")
    page.wait_for_selector(".wb-unit[data-unit='u:1'] ", timeout=20_000)
    page.wait_for_selector(".wb-root-post[data-unit='u:0'] .wb-open-post")
    assert root_text(page) is None

    # the keyboard alone: Tab to the root post's button, Enter
    page.click(".wb-unit .wb-post-text")  # the panel has the focus
    tab_to(page, ".wb-root-post .wb-open-post")
    page.keyboard.press("Enter")
    page.wait_for_selector(".wb-root-post[data-unit='u:0'] .wb-post-text", timeout=20_000)
    assert root_text(page) == ROOT_U
    assert page.evaluate("() => document.querySelector('.wb-panel').contains(document.activeElement)")
    page.keyboard.press("j")  # the next unit of the same thread: the root stays open, the unit is hidden
    page.wait_for_selector(".wb-unit[data-unit='u:2'] .wb-open-warning", timeout=20_000)
    assert root_text(page) == ROOT_U
    assert page.locator(".wb-unit .wb-unit-text").count() == 0
    tab_to(page, ".wb-unit .wb-open-warning")
    assert "Show the post to code (u:2)" in page.get_attribute(".wb-unit .wb-open-warning", "aria-label")
    page.keyboard.press(" ")
    page.wait_for_selector(".wb-unit[data-unit='u:2'] .wb-unit-text", timeout=20_000)
    assert page.text_content(".wb-unit .wb-unit-text") == ABUSE and root_text(page) == ROOT_U
    screenshot(page, f"{name}-warnings-03-opened-by-keyboard")


@pytest.fixture
def project_db(tmp_path):
    need_browser()
    db = tmp_path / "project.db"
    make_project(db)
    return db


def test_content_warnings_in_jupyterlab(tmp_path, project_db):
    notebook(tmp_path, project_db)
    with jupyter_lab(tmp_path) as lab, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        with artifacts_on_failure(page, "jupyterlab-warnings", lab):
            from _browser import run_all_cells

            lab.open_notebook(page, "warnings.ipynb")
            run_all_cells(page)
            check_warnings(page, "jupyterlab")


def test_content_warnings_in_voila(tmp_path, project_db):
    app = notebook(tmp_path, project_db)
    with voila(app) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        with artifacts_on_failure(page, "voila-warnings", server):
            page.goto(server.url("/"), timeout=90_000)
            check_warnings(page, "voila")
