"""Every notebook in notebooks/ runs headless on the example data, and is stored without outputs.

Each notebook is executed with nbclient (kernel ``python3``, 600 s per cell) from a
``notebooks/`` folder, so that paths such as ``../data/examples`` resolve as they do for a
user. The folder is a fresh mirror of the repository's ``notebooks/``, ``data/`` (without
project databases) and ``codebooks/`` in a temporary directory: a notebook that opens
``../data/project.db`` then cannot touch the user's real project, and any file a notebook
writes beside the data shows up. The coder app gets its project through ``WB_PROJECT``.

A notebook whose first cell is a markdown cell containing ``<!-- not-headless -->`` is
skipped, with that cell's text as the reason.

Publishing notebooks must not show raw author names: their executed outputs are searched
for every author name of the example threads.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NOT_HEADLESS = "<!-- not-headless -->"
CELL_TIMEOUT = 600

#: Working notebooks (not published) that show the real threads by design, and why.
PRIVATE_BY_DESIGN = {
    "00_getting_started.ipynb": "a supervisor's first look at their own data: shows what was read, as it is "
                                "(`workbench report` pseudonymises it when published)",
    "01_code_threads.ipynb": "a coder's working notebook: shows the threads as they are, never published",
    "coder_app.ipynb": "the Voilà coder app: shows the threads as they are, never published",
}
#: Notebooks that may write files into the repository (beside the data), and why.
WRITES_BY_DESIGN = {
    "01_code_threads.ipynb": "stores the coder's work in ../data/project.db by design",
}
_DB_FILES = re.compile(r"\.db(-wal|-shm|-journal)?$|\.backup-")


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _all_repo_notebooks() -> list[Path]:
    skip = {".venv", "node_modules", ".ipynb_checkpoints", ".git", "build", "dist"}
    return sorted(p for p in ROOT.rglob("*.ipynb") if not skip & set(p.relative_to(ROOT).parts))


def _skip_reason(nb) -> str | None:
    if nb.cells and nb.cells[0].cell_type == "markdown" and NOT_HEADLESS in nb.cells[0].source:
        return nb.cells[0].source.replace(NOT_HEADLESS, "").strip() or "marked not-headless"
    return None


def _mirror(tmp: Path) -> Path:
    """The repository's notebooks, data (without project databases) and codebooks under ``tmp``."""
    ignore_db = shutil.ignore_patterns("*.db", "*.db-wal", "*.db-shm", "*.db-journal", "*.backup-*",
                                       ".ipynb_checkpoints", "__pycache__")
    for name in ("notebooks", "data", "codebooks"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, tmp / name, ignore=ignore_db)
    return tmp / "notebooks"


def _files(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def _author_names() -> set[str]:
    from workbench.ingest import load_threads

    names: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in (ROOT / "data" / "examples").glob("*"):
            names |= {a for a in load_threads(path)["author"] if isinstance(a, str) and len(a.strip()) >= 3}
    return names


def _outputs_text(nb) -> str:
    return json.dumps([c.get("outputs", []) for c in nb.cells if c.cell_type == "code"], ensure_ascii=False)


def test_there_are_notebooks():
    names = {p.name for p in _notebooks()}
    assert {"00_quickstart.ipynb", "02_reliability.ipynb", "03_patterns.ipynb"} <= names


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebook_runs_headless(path: Path, tmp_path, monkeypatch):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    reason = _skip_reason(nb)
    if reason:
        pytest.skip(f"{path.name}: {reason}")
    folder = _mirror(tmp_path / "repo")
    before = _files(tmp_path / "repo")
    monkeypatch.setenv("WB_PROJECT", str(tmp_path / "app-project.db"))  # the coder app's project
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed when run headless from notebooks/:\n{exc}")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0]['ename']}: {errors[0]['evalue']}"

    if path.name not in WRITES_BY_DESIGN:
        written = sorted(str(p) for p in _files(tmp_path / "repo") - before)
        assert not written, f"{path.name} wrote into the repository: {written}; use tempfile for project files"

    if path.name not in PRIVATE_BY_DESIGN:
        text = _outputs_text(nb)
        shown = sorted(a for a in _author_names() if re.search(rf"(?<!\w){re.escape(a)}(?!\w)", text))
        assert not shown, f"{path.name} shows raw author names {shown}; pseudonymise before showing tables"


@pytest.mark.parametrize("path", _all_repo_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_stored_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.relative_to(ROOT)}: cells {dirty} keep outputs or execution counts; clear them before committing "
        f"(jupyter nbconvert --clear-output --inplace {path.relative_to(ROOT)})"
    )
    assert "widgets" not in nb.metadata, f"{path.relative_to(ROOT)} stores widget state; clear it"


def test_skip_marker_is_recognised():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("<!-- not-headless -->\nNeeds a browser.")])
    assert _skip_reason(nb) == "Needs a browser."
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# <!-- not-headless -->")])
    assert _skip_reason(nb) is None
