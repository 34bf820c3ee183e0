"""A coder cannot become another coder from the page: the coding panel in Voilà, in Chromium.

A script in the page does what any script there could do: it takes the panel's widget
model from Voilà's widget manager, sets ``coder`` to ``"bob"`` and saves the change
(``model.set("coder", "bob"); model.save_changes()``, the message ipywidgets sends to the
kernel). The kernel refuses it and logs so, the page shows alice again, and a code clicked
afterwards is stored under alice. (``tests/test_widgets_identity.py`` sends the same
messages without a browser.)
"""

from __future__ import annotations

import pytest

import workbench as wb
from _browser import artifacts_on_failure, chromium, need_browser, screenshot, voila, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# the page's own widget model of the coding panel (Voilà's widget manager keeps every model)
PANEL_MODEL = """async () => {
  const manager = await window.jupyterapp.widgetManagerPromise.promise;
  return [...manager._modelsSync.values()].find(m => m.get('coder') !== undefined && m.get('codes') !== undefined);
}"""
FORGE_CODER = "async (name) => { const panel = await (" + PANEL_MODEL + """)();
  panel.set('coder', name);
  panel.save_changes();
  return panel.get('coder');
}"""
PAGE_CODER = "async () => (await (" + PANEL_MODEL + ")()).get('coder')"


def test_a_coder_set_in_the_page_is_refused_and_the_click_codes_as_alice(tmp_path, demo_units, demo_codebook):
    need_browser()
    db = tmp_path / "project.db"
    project = wb.open_project(db)
    try:
        project.add_units(demo_units)
        project.add_codebook(demo_codebook)
        project.add_coder("alice")
        project.add_coder("bob")
    finally:
        project.close()
    # opened without coder=: the panel alone keeps the coder (the project would let it code as bob)
    app = write_notebook(tmp_path / "panel.ipynb", [
        "import workbench as wb\n"
        "from workbench.widgets import CodingPanel\n"
        f"project = wb.open_project({str(db)!r})\n"
        "CodingPanel(project, coder='alice')"
    ])  # fmt: skip
    with voila(app) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        with artifacts_on_failure(page, "identity", server):
            page.goto(server.url("/"), timeout=90_000)
            page.wait_for_selector(".wb-panel .wb-code", timeout=90_000)
            assert page.text_content(".wb-coder").startswith("Coder: alice")
            unit = page.get_attribute(".wb-unit", "data-unit")

            assert page.evaluate(FORGE_CODER, "bob") == "bob"  # the page's model took it ...
            # ... the kernel refused it and sent its own value back
            page.wait_for_function(
                "() => document.querySelector('.wb-coder')?.textContent.startsWith('Coder: alice')", timeout=20_000)
            assert page.evaluate(PAGE_CODER) == "alice"

            page.click(".wb-code[data-code='defensive']")
            page.wait_for_selector(".wb-saved[data-seq='1'][data-status='saved']", timeout=20_000)
            screenshot(page, "identity-after-forged-coder")
            log = server.log()

    project = wb.open_project(db)
    try:
        events = sorted((e.coder, e.unit_id, e.code, e.action) for e in project.history().itertuples())
    finally:
        project.close()
    assert events == [("alice", unit, "defensive", "apply")]
    assert "refused a change from the page to coder='bob'" in log, log[-3000:]
