"""The disagreement review in a real browser: JupyterLab in Chromium.

A supervisor opens an anonymous review of a round in which two coders disagree on four
units, decides two of them by clicking codes, typing a reason (and, once, a proposed
codebook change) and recording; the store must then hold exactly those two decisions. A
unit of hostile HTML must show as text and run nothing. Screenshots go to
``$WB_ARTIFACTS`` (default ``artifacts/``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb
from _browser import artifacts_on_failure, jupyter_lab, need_browser, run_all_cells, screenshot, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = (
    "<script>window.__wb_pwned = 1</script>"
    '<img src=x onerror="window.__wb_pwned = 2">'
    "<svg onload=\"window.__wb_pwned = 3\"></svg>"
)
CODINGS = {
    "u1": {"alice": ["defensive"], "bob": ["validating"]},
    "u2": {"alice": ["gratitude"], "bob": ["systemic-deflection"]},
    "u3": {"alice": ["defensive", "gratitude"], "bob": ["defensive"]},
    "u4": {"alice": ["validating"], "bob": ["defensive"]},
}
FIRST = {"codes": ["defensive", "gratitude"], "reason": "Defends staff, then thanks the writer", "proposal": "Defensive: add the example 'we are not all like that'"}
SECOND = {"codes": ["systemic-deflection"], "reason": "Moves the blame onto funding <not> the writer"}


def make_project(path: Path, codebook: wb.Codebook) -> None:
    rows = [{"unit_id": "r0", "thread_id": "t", "text": "I asked for help three times and nobody came.", "author": "Sam", "kind": "post"}]
    rows += [
        {"unit_id": f"u{i}", "thread_id": "t", "parent_id": "r0", "text": f"Reply {i}: staff are doing their best.", "author": f"User{i}"}
        for i in (1, 2, 3)
    ]
    rows.append({"unit_id": "u4", "thread_id": "t", "parent_id": "r0", "text": HOSTILE, "author": "<b>Mallory</b>"})
    project = wb.open_project(path)
    try:
        project.add_units(wb.make_units(rows, source="test"))
        project.add_codebook(codebook)
        for c in ("alice", "bob"):
            project.add_coder(c)
        project.new_round("pilot", coders=["alice", "bob"], units=["u1", "u2", "u3", "u4"])
        for unit, by in CODINGS.items():
            for coder, codes in by.items():
                for code in codes:
                    project.code(unit, [code], coder=coder, round="pilot")
        project.memo("u1", "Reads as <i>defensive</i> to me", coder="alice", round="pilot")
    finally:
        project.close()


@pytest.fixture
def browser_project(tmp_path, demo_codebook):
    need_browser()
    db = tmp_path / "project.db"
    make_project(db, demo_codebook)
    return db


def test_supervisor_adjudicates_two_units_in_jupyterlab(tmp_path, browser_project):
    from _browser import chromium

    write_notebook(
        tmp_path / "review.ipynb",
        [
            "import workbench as wb\n"
            "from workbench.widgets.disagreement_review import DisagreementReview\n"
            f"project = wb.open_project({str(browser_project)!r})\n"
            "review = DisagreementReview(project, round='pilot', supervisor='dr-lee', anonymous=True)\n"
            "review"
        ],
    )
    with jupyter_lab(tmp_path) as lab, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        with artifacts_on_failure(page, "disagreement-review", lab):
            lab.open_notebook(page, "review.ipynb")
            run_all_cells(page)
            decided = _session(page)
    _check_store(browser_project, decided)


def _session(page) -> dict[str, dict]:
    page.wait_for_selector(".wb-adj .wb-adj-code", timeout=60_000)
    page.evaluate("() => { window.__wb_pwned = undefined; }")

    def unit() -> str:
        return page.get_attribute(".wb-adj-unit", "data-unit")

    def pressed(code: str) -> None:
        page.wait_for_selector(f".wb-adj-code[data-code='{code}'][aria-pressed='true']", timeout=20_000)

    def wait_unit(old: str) -> None:
        page.wait_for_function("old => document.querySelector('.wb-adj-unit')?.dataset.unit !== old", arg=old, timeout=20_000)

    # anonymous: coders are "Coder A" and "Coder B", their names are nowhere on the page
    labels = sorted(page.locator(".wb-adj-coder-name").all_text_contents())
    assert labels == ["Coder A", "Coder B"]
    text = page.inner_text(".wb-adj")
    assert "alice" not in text and "bob" not in text
    assert page.locator(".wb-adj-saved").is_hidden()

    decided: dict[str, dict] = {}
    first = unit()
    assert first == "u1"  # disjoint sets, first in the queue
    # the codebook entries involved and the coder's memo, as text
    assert page.locator(".wb-adj-entry[data-code='defensive'] .wb-adj-definition").inner_text().endswith("Not all of us.")
    assert "Reads as <i>defensive</i> to me" in page.inner_text(".wb-adj-coders")
    screenshot(page, "disagreement-review-01-opened")
    for code in FIRST["codes"]:
        page.click(f".wb-adj-code[data-code='{code}']")
        pressed(code)
    page.fill(".wb-adj-reason", FIRST["reason"])
    page.fill(".wb-adj-proposal", FIRST["proposal"])
    assert page.locator(".wb-adj-saved").is_hidden()
    page.click(".wb-adj-record")
    page.wait_for_selector(".wb-adj-saved[data-seq='1']:not([hidden])", timeout=20_000)
    assert "saved" in page.inner_text(".wb-adj-saved")
    assert "1 / 4 decided" in page.inner_text(".wb-adj-progress")
    decided[first] = FIRST
    screenshot(page, "disagreement-review-02-first-decided")

    page.click(".wb-adj-next")
    wait_unit(first)
    second = unit()
    assert second == "u2"
    assert page.locator(".wb-adj-saved").is_hidden()  # the indicator belongs to the unit decided
    assert page.input_value(".wb-adj-reason") == ""
    page.click(".wb-adj-code[data-code='systemic-deflection']")
    pressed("systemic-deflection")
    page.fill(".wb-adj-reason", SECOND["reason"])
    page.click(".wb-adj-record")
    page.wait_for_selector(".wb-adj-saved[data-seq='2']:not([hidden])", timeout=20_000)
    decided[second] = SECOND
    screenshot(page, "disagreement-review-03-second-decided")

    # back to the first: the stored decision is shown
    page.click(".wb-adj-prev")
    wait_unit(second)
    assert unit() == first
    assert page.input_value(".wb-adj-reason") == FIRST["reason"]
    assert "Decided by dr-lee" in page.inner_text(".wb-adj-decision")

    # the hostile unit shows as text and runs nothing
    page.click(".wb-adj-next")
    wait_unit(first)
    page.click(".wb-adj-next")
    wait_unit(second)
    page.wait_for_selector(".wb-adj-unit[data-unit='u4']", timeout=20_000)
    page.wait_for_timeout(800)  # time for an onerror / onload to fire, were there an element
    assert page.text_content(".wb-adj-unit .wb-adj-unit-text") == HOSTILE
    assert page.text_content(".wb-adj-unit .wb-adj-author") == "<b>Mallory</b>"
    for tag in ("script", "img", "svg", "b", "i"):
        assert page.locator(f".wb-adj {tag}").count() == 0, tag
    assert page.evaluate("() => window.__wb_pwned") is None
    screenshot(page, "disagreement-review-04-hostile-as-text")
    return decided


def _check_store(db: Path, decided: dict[str, dict]) -> None:
    project = wb.open_project(db)
    try:
        dec = project.decisions(round="pilot", latest=False)
        assert sorted(dec["unit_id"]) == sorted(decided)  # exactly those decisions, none twice
        for row in dec.to_dict("records"):
            want = decided[row["unit_id"]]
            assert row["codes"] == ", ".join(sorted(want["codes"]))
            assert row["reason"] == want["reason"]
            assert row["decided_by"] == "dr-lee"
            proposal = row["proposal"] if isinstance(row["proposal"], str) else None  # missing: None or NaN
            assert proposal == want.get("proposal")
        gold = project.gold(round="pilot")
        assert sorted(zip(gold["unit_id"], gold["code"])) == sorted(
            (u, c) for u, d in decided.items() for c in d["codes"]
        )
        props = project.proposals(round="pilot")
        assert props[["unit_id", "proposal"]].values.tolist() == [["u1", FIRST["proposal"]]]
    finally:
        project.close()
