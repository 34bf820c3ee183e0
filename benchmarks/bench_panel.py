"""Coding-panel benchmark: how quickly a coder sees "saved" and the next unit, at scale.

Targets (issue 6), in a project of 1,000,000 units:

* kernel side: from a code action to the next unit rendered (the panel's handlers for
  ``toggle`` and then ``next``, store commit and trait updates included): 95th percentile
  under 30 ms;
* browser: in JupyterLab, from a click on a code to the "Saved" indicator showing the
  store's answer: 95th percentile under 250 ms;

each over at least 100 actions. Run::

    .venv/bin/python benchmarks/bench_panel.py                    # 1M units, both parts
    .venv/bin/python benchmarks/bench_panel.py --units 100000     # smaller
    .venv/bin/python benchmarks/bench_panel.py --no-browser       # kernel side only
    .venv/bin/python benchmarks/bench_panel.py --db /tmp/p1m.db   # keep (and reuse) the project

This is a script that prints numbers, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
import workbench as wb  # noqa: E402
from workbench.widgets import CodingPanel  # noqa: E402

CODEBOOK = {
    "name": "bench",
    "groups": [{"name": "stance", "label": "Stance", "exclusive": True}],
    "codes": [
        {"name": "validating", "label": "Validating", "definition": "Believes the account.", "group": "stance", "shortcut": "v", "color": "#1b9e77"},
        {"name": "defensive", "label": "Defensive", "definition": "Not all of us.", "group": "stance", "shortcut": "d", "color": "#d95f02"},
        {"name": "systemic-deflection", "label": "Systemic deflection", "definition": "Moves it onto the system.", "group": "stance", "shortcut": "s", "color": "#7570b3"},
        {"name": "gratitude", "label": "Gratitude", "definition": "Thanks the writer.", "shortcut": "g", "color": "#e7298a"},
    ],
}
CODES = ["validating", "defensive", "systemic-deflection", "gratitude"]


def synthetic_units(n: int, per_thread: int = 100) -> pd.DataFrame:
    """``n`` units in threads of ``per_thread``, each thread a binary reply tree."""
    i = np.arange(n)
    thread, pos = i // per_thread, i % per_thread
    parent_pos = np.where(pos == 0, -1, (pos - 1) // 2)
    parent = np.where(parent_pos < 0, -1, thread * per_thread + parent_pos)
    return pd.DataFrame(
        {
            "unit_id": pd.Series(i).map("u{}".format),
            "thread_id": pd.Series(thread).map("t{}".format),
            "parent_id": pd.Series(parent).map(lambda v: None if v < 0 else f"u{v}"),
            "depth": np.floor(np.log2(pos + 1)).astype(int),
            "position": pos,
            "author": pd.Series(i % 5000).map("author{}".format),
            "author_role": None,
            "posted_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(i, unit="s"),
            "text": "But we're not all like that! " * 3,
            "kind": np.where(pos == 0, "post", "comment"),
            "status": "ok",
            "source": "synthetic",
        }
    )


def build(db: Path, n_units: int) -> None:
    if db.exists():
        project = wb.open_project(db)
        have = project.n_units()
        project.close()
        if have == n_units:
            print(f"reusing {db} ({have:,} units)")
            return
        raise SystemExit(f"{db} holds {have:,} units, not {n_units:,}: give another --db")
    t0 = time.perf_counter()
    project = wb.open_project(db)
    project.add_units(synthetic_units(n_units), progress=False)
    project.add_codebook(wb.Codebook.from_dict(CODEBOOK))
    project.add_coder("alice")
    project.add_coder("bob")
    project.close()
    print(f"built {db}: {n_units:,} units in {time.perf_counter() - t0:.1f} s")


def pct(values_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(values_ms)
    return statistics.median(ordered), ordered[int(round(0.95 * (len(ordered) - 1)))]


def kernel_side(db: Path, actions: int, coder: str) -> dict:
    project = wb.open_project(db)
    n_before = len(project.codings(coder=coder))
    t0 = time.perf_counter()
    panel = CodingPanel(project, coder=coder)
    opened = time.perf_counter() - t0
    toggle, nxt, both = [], [], []
    for k in range(actions):
        a = time.perf_counter()
        panel._handle_custom_msg({"type": "toggle", "code": CODES[k % len(CODES)]}, [])
        b = time.perf_counter()
        panel._handle_custom_msg({"type": "next"}, [])
        c = time.perf_counter()
        if panel.status != "saved" or panel.error:
            raise SystemExit(f"action {k} was not saved: {panel.error}")
        toggle.append((b - a) * 1000)
        nxt.append((c - b) * 1000)
        both.append((c - a) * 1000)
    n_coded = len(project.codings(coder=coder)) - n_before
    panel.close()
    project.close()
    if n_coded != actions:
        raise SystemExit(f"expected {actions} new codings in the store, found {n_coded}")
    return {"open_s": opened, "toggle": pct(toggle), "next": pct(nxt), "code_to_next": pct(both), "n": actions}


CLICK_JS = """
async (code) => {
  const saved = document.querySelector('.wb-saved');
  const before = Number(saved.dataset.seq);
  const button = document.querySelector(`.wb-code[data-code="${code}"]`);
  const t0 = performance.now();
  const done = new Promise((resolve, reject) => {
    const check = () => Number(saved.dataset.seq) > before && saved.dataset.status === 'saved';
    const obs = new MutationObserver(() => { if (check()) { obs.disconnect(); resolve(performance.now() - t0); } });
    obs.observe(saved, { attributes: true, childList: true, characterData: true, subtree: true });
    setTimeout(() => { obs.disconnect(); reject(new Error('no saved indicator within 10 s')); }, 10000);
  });
  button.click();
  return await done;
}
"""

NEXT_JS = """
async () => {
  const unit = () => document.querySelector('.wb-unit')?.dataset.unit;
  const before = unit();
  const t0 = performance.now();
  const done = new Promise((resolve, reject) => {
    const obs = new MutationObserver(() => { if (unit() !== before) { obs.disconnect(); resolve(performance.now() - t0); } });
    obs.observe(document.querySelector('.wb-panel'), { attributes: true, childList: true, subtree: true });
    setTimeout(() => { obs.disconnect(); reject(new Error('no next unit within 10 s')); }, 10000);
  });
  document.querySelector('.wb-next').click();
  return await done;
}
"""


def browser_side(db: Path, actions: int, coder: str, workdir: Path) -> dict:
    from _browser import chromium, jupyter_lab, run_all_cells, screenshot, write_notebook

    write_notebook(
        workdir / "bench.ipynb",
        [
            "import time\nimport workbench as wb\nfrom workbench.widgets import CodingPanel\n"
            f"project = wb.open_project({str(db)!r})\n"
            "t0 = time.perf_counter()\n"
            f"panel = CodingPanel(project, coder={coder!r})\n"
            "print(f'panel opened in {time.perf_counter() - t0:.2f} s')\n"
            "panel"
        ],
    )
    with jupyter_lab(workdir) as lab, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        t0 = time.perf_counter()
        lab.open_notebook(page, "bench.ipynb")
        run_all_cells(page, timeout=300_000)
        page.wait_for_selector(".wb-panel .wb-code", timeout=300_000)
        ready = time.perf_counter() - t0
        for k in range(3):  # warm-up, not counted
            page.evaluate(CLICK_JS, CODES[k])
            page.evaluate(NEXT_JS)
        clicks, nexts = [], []
        for k in range(actions):
            clicks.append(page.evaluate(CLICK_JS, CODES[k % len(CODES)]))
            nexts.append(page.evaluate(NEXT_JS))
        screenshot(page, "bench-panel-jupyterlab")
    return {"ready_s": ready, "click_to_saved": pct(clicks), "next_rendered": pct(nexts), "n": actions}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=1_000_000)
    ap.add_argument("--actions", type=int, default=200)
    ap.add_argument("--db", type=Path, default=None, help="project file to build or reuse")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args(argv)
    if args.actions < 100:
        raise SystemExit("measure at least 100 actions")
    work = Path(tempfile.mkdtemp(prefix="wb-bench-panel-"))
    db = args.db or work / "project.db"
    build(db, args.units)

    k = kernel_side(db, args.actions, "alice")
    print(f"\nkernel side, {args.units:,} units, {k['n']} actions (panel opened in {k['open_s']:.2f} s):")
    print(f"  toggle (commit + saved)        median {k['toggle'][0]:6.1f} ms   p95 {k['toggle'][1]:6.1f} ms")
    print(f"  next unit rendered             median {k['next'][0]:6.1f} ms   p95 {k['next'][1]:6.1f} ms")
    print(f"  code action -> next unit       median {k['code_to_next'][0]:6.1f} ms   p95 {k['code_to_next'][1]:6.1f} ms   (target p95 < 30 ms)")
    if not hasattr(wb.Project, "unit_codes"):
        print("  (the store has no Project.unit_codes: the panel reads a unit's codes with Project.codings)")
    result = {"units": args.units, "kernel": k}
    if not args.no_browser:
        b = browser_side(db, args.actions, "bob", work)
        print(f"\nbrowser (JupyterLab, Chromium), {b['n']} actions (notebook ready in {b['ready_s']:.1f} s):")
        print(f"  click -> saved indicator       median {b['click_to_saved'][0]:6.1f} ms   p95 {b['click_to_saved'][1]:6.1f} ms   (target p95 < 250 ms)")
        print(f"  click next -> unit rendered    median {b['next_rendered'][0]:6.1f} ms   p95 {b['next_rendered'][1]:6.1f} ms")
        result["browser"] = b
    print("\n" + json.dumps(result, default=float))


if __name__ == "__main__":
    main()
