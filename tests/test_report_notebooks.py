"""`workbench report` publishes every shipped notebook as the README shows it (workbench/report/publish.py).

Each notebook in ``notebooks/`` is published from a fresh copy of what a clone holds
(``notebooks``, ``data/examples``, ``codebooks``; no project, no key) with exactly
``workbench report notebooks/NAME.ipynb -o NAME.html`` and no other option: the notebooks
pseudonymise their own data (``P013`` ...), and the guard against leaking names must not take
those pseudonyms for names. Once more with ``--key KEYFILE``: the page then uses the study's
pseudonyms and the key holds them. Every run executes a notebook (about a minute each): slow.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _clone(tmp: Path) -> Path:
    """What a new user has after cloning: notebooks, example data and codebooks."""
    folder = tmp / "clone"
    ignore = shutil.ignore_patterns("*.db", "*.db-*", "*.backup-*", ".ipynb_checkpoints", "__pycache__", "*.html")
    for name in ("notebooks", "data/examples", "codebooks"):
        shutil.copytree(ROOT / name, folder / name, ignore=ignore)
    return folder


def _workbench(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WB_PROJECT", "WB_PSEUDONYM_KEY")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.run([sys.executable, "-m", "workbench", *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=880)


def _authors() -> set[str]:
    import warnings

    from workbench.ingest import load_threads

    names: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in (ROOT / "data" / "examples").glob("*.txt"):
            names |= {a for a in load_threads(path)["author"].dropna() if len(a) > 3 and a.lower() != "sectioned"}
    return names


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_workbench_report_publishes_each_shipped_notebook_without_options(tmp_path, name):
    folder = _clone(tmp_path)
    out = f"{Path(name).stem}.html"
    done = _workbench(folder, "report", f"notebooks/{name}", "-o", out)
    assert done.returncode == 0, f"workbench report notebooks/{name} -o {out} exited {done.returncode}:\n" \
                                 f"{done.stdout}{done.stderr}"
    page = (folder / out).read_text(encoding="utf-8")
    assert "<html" in page.lower() and len(page) > 10_000
    assert "personal data would be published" not in done.stderr
    if "pseudonym key that is not saved" in done.stderr:
        assert "--key KEYFILE" in done.stderr  # the warning names the option that gives the study's key
    leaked = sorted(a for a in _authors() if re.search(rf"(?<!\w){re.escape(a)}(?!\w)", page))
    assert not leaked, f"{name}: author names on the published page: {leaked[:10]}"


def test_workbench_report_with_the_study_key_uses_its_pseudonyms(tmp_path):
    folder = _clone(tmp_path)
    key = tmp_path / "keys" / "study.key.json"
    done = _workbench(folder, "report", "notebooks/02_reliability.ipynb", "-o", "reliability.html", "--key", str(key))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pseudonym key that is not saved" not in done.stderr
    import workbench as wb

    study = wb.PseudonymKey.load(key)
    assert len(study) > 10  # the notebook pseudonymised the examples with the study's key
    page = (folder / "reliability.html").read_text(encoding="utf-8")
    shown = set(re.findall(r"\bP\d{3}\b", page))
    assert shown and shown <= study.pseudonyms()


def test_a_report_that_needs_the_key_names_the_option(tmp_path):
    folder = _clone(tmp_path)
    done = _workbench(folder, "report", "notebooks/02_reliability.ipynb", "--raw")
    assert done.returncode == 2
    assert "--key KEYFILE" in done.stderr
