"""The coding panel in a real browser: JupyterLab and the Voilà coder app in Chromium.

A coder codes five units by clicking and five by keyboard shortcut, undoes one and writes
a memo; the store must then hold exactly those events. A unit of hostile HTML must show as
text and run nothing (the payload would set ``window.__wb_pwned``). Screenshots go to
``$WB_ARTIFACTS`` (default ``artifacts/``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import workbench as wb
from _browser import (
    ROOT,
    artifacts_on_failure,
    jupyter_lab,
    need_browser,
    run_all_cells,
    screenshot,
    voila,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = (
    "<script>window.__wb_pwned = 1</script>"
    '<img src=x onerror="window.__wb_pwned = 2">'
    '<a href="javascript:window.__wb_pwned = 3">click me</a>'
    "<svg onload=\"window.__wb_pwned = 4\"></svg>"
)
CLICKS = ["validating", "defensive", "gratitude", "systemic-deflection", "validating"]
KEYS = [("v", "validating"), ("d", "defensive"), ("s", "systemic-deflection"), ("g", "gratitude"), ("d", "defensive")]
MEMO = "Sounds defensive, but read the parent again <b>first</b>"


def make_project(path: Path, codebook: wb.Codebook) -> None:
    rows = []
    for t in range(2):
        rows.append({"unit_id": f"t{t}:0", "thread_id": f"t{t}", "text": f"Root post {t}: I was not listened to. " * 12, "author": "Sam", "author_role": "patient", "posted_at": "2024-03-01T09:00:00Z", "kind": "post"})
        for i in range(1, 8):
            rows.append({"unit_id": f"t{t}:{i}", "thread_id": f"t{t}", "parent_id": f"t{t}:{i - 1}" if i % 2 == 0 else f"t{t}:0", "text": f"Reply {i} in thread {t}.", "author": f"User{i}", "author_role": "professional" if i % 3 == 0 else "unknown", "posted_at": f"2024-03-01T1{i}:00:00Z"})
    rows.append({"unit_id": "evil:0", "thread_id": "evil", "text": HOSTILE * 3, "author": '<img src=x onerror="window.__wb_pwned = 5">', "kind": "post"})
    rows.append({"unit_id": "evil", "thread_id": "evil", "parent_id": "evil:0", "text": HOSTILE, "author": "<b>Mallory</b>"})
    rows.append({"unit_id": "cw", "thread_id": "cw", "text": "After the overdose nobody called.", "author": "Kim"})
    project = wb.open_project(path)
    try:
        project.add_units(wb.make_units(rows, source="test"))
        project.add_codebook(codebook)
        project.add_coder("alice")
    finally:
        project.close()


def code_session(page, name: str) -> tuple[dict[str, set[str]], str]:
    """Five codes by clicking, five by keys, one undo, one memo. Returns what the store should hold."""
    page.wait_for_selector(".wb-panel .wb-code", timeout=60_000)
    screenshot(page, f"{name}-01-opened")

    def seq() -> int:
        return int(page.get_attribute(".wb-saved", "data-seq"))

    def unit() -> str:
        return page.get_attribute(".wb-unit", "data-unit")

    def wait_saved(n: int) -> None:
        page.wait_for_selector(f".wb-saved[data-seq='{n}'][data-status='saved']", timeout=20_000)

    def wait_unit(old: str) -> None:
        page.wait_for_function("old => document.querySelector('.wb-unit')?.dataset.unit !== old", arg=old, timeout=20_000)

    expected: dict[str, set[str]] = {}
    s = seq()
    assert s == 0
    for code in CLICKS:
        u = unit()
        page.click(f".wb-code[data-code='{code}']")
        s += 1
        wait_saved(s)
        assert page.get_attribute(f".wb-code[data-code='{code}']", "aria-pressed") == "true"
        expected[u] = {code}
        page.click(".wb-next")
        wait_unit(u)
    screenshot(page, f"{name}-02-five-clicked")
    page.click(".wb-unit .wb-post-text")  # focus stays in the panel
    for key, code in KEYS:
        u = unit()
        page.keyboard.press(key)
        s += 1
        wait_saved(s)
        expected[u] = {code}
        page.keyboard.press("j")
        wait_unit(u)
    last = u
    page.keyboard.press("u")  # undo: back to the last unit, its code removed
    s += 1
    wait_saved(s)
    page.wait_for_selector(f".wb-unit[data-unit='{last}']")
    assert page.locator(".wb-code[aria-pressed='true']").count() == 0
    del expected[last]
    page.fill(".wb-memo", MEMO)
    page.click(".wb-save-memo")
    s += 1
    wait_saved(s)
    assert "Saved" in page.text_content(".wb-saved")
    screenshot(page, f"{name}-03-undo-and-memo")
    return expected, last


def check_store(db: Path, expected: dict[str, set[str]], memo_unit: str) -> None:
    project = wb.open_project(db)
    try:
        got: dict[str, set[str]] = {}
        for row in project.codings(coder="alice").itertuples():
            got.setdefault(row.unit_id, set()).add(row.code)
        assert got == expected
        hist = project.history(coder="alice")
        assert (hist["action"] == "apply").sum() == 10 and (hist["action"] == "remove").sum() == 1
        removed = hist[hist["action"] == "remove"]
        assert removed["unit_id"].tolist() == [memo_unit] and removed["code"].tolist() == ["defensive"]
        memos = project.memos(coder="alice")
        assert memos[["unit_id", "kind", "text"]].values.tolist() == [[memo_unit, "memo", MEMO]]
    finally:
        project.close()


def check_hostile(page, name: str) -> None:
    page.evaluate("() => { window.__wb_pwned = undefined; }")
    page.fill(".wb-jump-input", "evil")
    page.click(".wb-jump")
    page.wait_for_selector(".wb-unit[data-unit='evil']", timeout=20_000)
    page.click(".wb-expand")  # the whole root post, hostile too
    page.wait_for_timeout(800)  # time for an onerror / onload to fire, were there an element
    assert page.text_content(".wb-unit .wb-unit-text") == HOSTILE
    assert page.text_content(".wb-root-post .wb-post-text") == HOSTILE * 3
    assert page.text_content(".wb-unit .wb-author") == "<b>Mallory</b>"
    for tag in ("script", "img", "a", "svg", "b"):
        assert page.locator(f".wb-panel {tag}").count() == 0, tag
    assert page.evaluate("() => window.__wb_pwned") is None
    screenshot(page, f"{name}-04-hostile-html-as-text")


def check_content_warning(page, name: str) -> None:
    page.fill(".wb-jump-input", "cw")
    page.click(".wb-jump")
    page.wait_for_selector(".wb-unit[data-unit='cw'] .wb-warning", timeout=20_000)
    assert "overdose" in page.text_content(".wb-warning-terms")
    assert page.locator(".wb-unit-text").count() == 0
    assert page.locator(".wb-code").first.is_disabled()
    screenshot(page, f"{name}-05-content-warning")
    page.click(".wb-open-warning")
    page.wait_for_selector(".wb-unit[data-unit='cw'] .wb-unit-text", timeout=20_000)
    assert page.text_content(".wb-unit-text") == "After the overdose nobody called."


@pytest.fixture
def browser_project(tmp_path, demo_codebook):
    need_browser()
    db = tmp_path / "project.db"
    make_project(db, demo_codebook)
    return db


def test_coding_panel_in_jupyterlab(tmp_path, browser_project):
    from _browser import chromium

    write_notebook(
        tmp_path / "panel.ipynb",
        [
            "import workbench as wb\n"
            "from workbench.widgets import CodingPanel\n"
            f"project = wb.open_project({str(browser_project)!r})\n"
            "panel = CodingPanel(project, coder='alice')\n"
            "panel"
        ],
    )
    with jupyter_lab(tmp_path) as lab, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        with artifacts_on_failure(page, "jupyterlab", lab):
            _lab_session(page, lab, browser_project)


def _lab_session(page, lab, browser_project) -> None:
    if True:
        lab.open_notebook(page, "panel.ipynb")
        run_all_cells(page)
        expected, last = code_session(page, "jupyterlab")
        check_store(browser_project, expected, last)
        # keys typed into the notebook's panel did not move JupyterLab's cell selection or edit cells
        assert page.locator(".jp-Notebook .jp-Cell").count() == 1
        check_hostile(page, "jupyterlab")
        check_content_warning(page, "jupyterlab")

        # the store refuses: the panel says so and keeps the coder's selection
        project = wb.open_project(browser_project)
        with project.engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON coding_events BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        page.click(".wb-code[data-code='gratitude']")
        page.wait_for_selector(".wb-error:not([hidden])", timeout=20_000)
        assert "disk full" in page.text_content(".wb-error-text")
        assert page.get_attribute(".wb-saved", "data-status") == "error"
        assert "wb-pending" in page.get_attribute(".wb-code[data-code='gratitude']", "class")
        screenshot(page, "jupyterlab-06-store-refused")
        with project.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER refuse")
        page.click(".wb-retry")
        page.wait_for_selector(".wb-saved[data-status='saved']", timeout=20_000)
        assert set(project.codings(coder="alice", unit_ids=["cw"])["code"]) == {"gratitude"}
        project.close()


def test_coder_app_in_voila(tmp_path, browser_project):
    from _browser import chromium

    app = tmp_path / "coder_app.ipynb"
    shutil.copy(ROOT / "notebooks" / "coder_app.ipynb", app)
    with voila(app, env={"WB_PROJECT": str(browser_project)}) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        with artifacts_on_failure(page, "voila", server):
            _voila_session(page, server, browser_project)


def _voila_session(page, server, browser_project) -> None:
    if True:
        page.goto(server.url("/"), timeout=90_000)
        page.wait_for_selector(".wb-coder-name input", timeout=90_000)
        # no code visible: no editor, no source text
        assert page.locator(".cm-editor, .CodeMirror, .jp-InputPrompt").count() == 0
        assert "import workbench" not in page.inner_text("body")
        page.fill(".wb-coder-name input", "alice")
        page.click("button.wb-start")
        expected, last = code_session(page, "voila")
        check_store(browser_project, expected, last)
        check_hostile(page, "voila")
        check_content_warning(page, "voila")
