r"""Publish a notebook as one standalone HTML file that works offline, pseudonymised.

:func:`publish` (and ``workbench report NOTEBOOK``) runs a notebook from top to bottom
in a fresh kernel, keeps the state of its widgets, and writes a single HTML file whose
charts and widget views render without a network connection:

* **Charts.** Altair charts (notebook outputs of type ``application/vnd.vegalite.v*+json``
  or ``application/vnd.vega.v*+json``) are compiled to Vega in Python with
  ``vl-convert`` (:mod:`workbench.charts.render`) and drawn in the page by one inline copy
  of Vega and Vega-Embed, as SVG (:mod:`workbench.report.page`).
* **Widgets.** require.js, ``@jupyter-widgets/html-manager``'s ``embed-amd.js`` and
  anywidget's front end ship in ``workbench/report/static`` (see the README there) and are
  inlined into the page, so ipywidgets and anywidget views (such as
  :class:`~workbench.widgets.CodingPanel`) come back from the saved widget state.
* **Nothing from a CDN.** No ``<script src="http...">`` remains; MathJax and Mermaid,
  which nbconvert would load from a CDN, are left out (TeX and diagrams show as text).

Published output is pseudonymised by default
--------------------------------------------
Posts about mental-health care are special-category personal data, so the page must not
name the people who wrote them. What is protected:

1. **Which data.** While the notebook runs, every units table returned by
   :func:`workbench.ingest.load_threads` or :meth:`workbench.Project.units` is noted (for
   a project marked pseudonymised, only units added after it was marked), and when it has
   run, every DataFrame with an ``author`` column left in the notebook's namespace
   (:mod:`workbench.report.kernel` does this inside the kernel; one hidden line before the
   first cell and one after the last call it, and neither reaches the page). Tables
   passed as ``units=`` and the units of ``project=`` are added. The kernel runs with the
   environment variable ``WB_PUBLISH=1`` (and ``WB_PSEUDONYM_KEY`` set to the key file,
   when there is one), so a notebook can tell that it is being published.
2. **What is personal.** Every author (with the name and handle read off a display name
   such as ``Lisa Rodrigues (@LisaSaysThis)``) and every ``@mention`` gets a pseudonym from
   the :class:`~workbench.privacy.PseudonymKey` (the same pseudonyms as
   :func:`~workbench.privacy.export_view` gives, with the same key), and every URL, e-mail
   address, phone number and Reddit handle in the texts a placeholder (``[URL]``, ...).
3. **Where.** These are replaced, as whole words and ignoring case, in everything the page
   shows: cell sources, outputs (also HTML- and JSON-escaped forms), chart specifications
   and widget state (:mod:`workbench.report.terms`). Binary images are not read (a chart saved as PNG by the notebook
   shows whatever the notebook drew).
4. **The guard.** Before the file is written, the finished page (less the vendored
   JavaScript and embedded binary data) is searched once more for every raw name, handle,
   URL and e-mail address; if any remains, :class:`PublishError` names it and the cell it
   is in, and nothing is written.

``pseudonymise=False`` publishes real names; like ``export_view(raw=True)`` it needs the
key as proof that the caller may see them.

Examples
--------
>>> import nbformat, tempfile, os
>>> folder = tempfile.mkdtemp()
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Findings")])
>>> nbformat.write(nb, os.path.join(folder, "findings.ipynb"))
>>> out = publish(os.path.join(folder, "findings.ipynb"), execute=False, units=[])  # no data in it
>>> out.name
'findings.html'
>>> "<script src=\"http" in out.read_text(encoding="utf-8")
False
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..privacy import PrivacyError, PseudonymKey
from .errors import PublishError
from .kernel import collect_line, personal_units, setup_line
from .page import CDN_SCRIPT, STATIC, VENDORED, export_page, offline_charts
from .terms import Leak, Terms, collect_terms, find_leaks, guard_view, pseudonymise_notebook

if TYPE_CHECKING:  # pragma: no cover
    import nbformat

    from ..project import Project

__all__ = [
    "PublishError",
    "Leak",
    "STATIC",
    "VENDORED",
    "find_leaks",
    "publish",
]

#: Set in the kernel's environment while :func:`publish` runs a notebook.
PUBLISH_ENV = "WB_PUBLISH"
KEY_ENV = "WB_PSEUDONYM_KEY"


# --- the data to protect ---------------------------------------------------------------
def _unit_frames(value: Any) -> list[pd.DataFrame]:
    if value is None:
        return []
    if isinstance(value, pd.DataFrame):
        return [value]
    if isinstance(value, (str, os.PathLike)):
        from ..ingest import load_threads

        return [load_threads(value)]
    if isinstance(value, Iterable):
        out: list[pd.DataFrame] = []
        for item in value:
            out.extend(_unit_frames(item))
        return out
    raise TypeError(f"units must be a units DataFrame, a thread file or a list of them, not {type(value).__name__}")


def _project_frames(project: Any) -> list[pd.DataFrame]:
    if project is None:
        return []
    opened = None
    if isinstance(project, (str, os.PathLike)):
        from ..project import open_project

        project = opened = open_project(os.fspath(project))
    try:
        units = personal_units(project)
        return [] if units is None else [units]
    finally:
        if opened is not None:
            opened.close()


# --- running the notebook ----------------------------------------------------------------
def _hidden(client: Any, nb: nbformat.NotebookNode, code: str) -> None:
    """Run code in the kernel without a trace: no cell, no execution count, no output."""
    import nbformat

    cell = nbformat.v4.new_code_cell(code)
    nb.cells.append(cell)  # nbclient writes the executed cell back at its index
    try:
        client.execute_cell(cell, len(nb.cells) - 1, store_history=False)
    finally:
        nb.cells.pop()


def _execute(
    nb: nbformat.NotebookNode,
    *,
    source: Path,
    cwd: Path,
    timeout: int,
    kernel_name: str,
    env: Mapping[str, str],
    collect: bool,
) -> list[pd.DataFrame]:
    """Run every cell (widget state kept); return the units tables the notebook used."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(cwd)}},
        store_widget_state=True,
    )
    scratch = Path(tempfile.mkdtemp(prefix="wb-publish-"))
    found = scratch / "units.pickle"
    index = -1
    try:
        with client.setup_kernel(env=dict(env), cwd=str(cwd)):
            if client.kc is not None:
                client.kc.kernel_info()
            _hidden(client, nb, setup_line(collect=collect))
            count = 0
            for index, cell in enumerate(list(nb.cells)):
                if cell.cell_type == "code" and cell.source.strip():
                    count += 1
                client.execute_cell(cell, index, execution_count=count)
            index = -1
            if collect:
                _hidden(client, nb, collect_line(found))
            client.set_widgets_metadata()
        if not collect or not found.exists():
            return []
        with open(found, "rb") as fh:
            frames = pickle.load(fh)  # written just now by our own kernel
        return [f for f in frames if isinstance(f, pd.DataFrame)]
    except (CellExecutionError, CellTimeoutError) as exc:
        where = f"cell {index + 1}" if index >= 0 else "the publishing step"
        detail = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # the traceback's terminal colours
        if index < 0 and "No module named 'workbench" in detail:
            where += f" (the kernel {kernel_name!r} cannot import the workbench: publish with a kernel of the environment it is installed in)"
        raise PublishError(f"{source}: {where} failed while publishing; fix it and publish again.\n{detail}") from None
    finally:
        found.unlink(missing_ok=True)
        scratch.rmdir()


# --- the key -----------------------------------------------------------------------------
def _key_file(key: PseudonymKey | str | os.PathLike[str] | None, *, project: Any, create: bool) -> Path | None:
    """The key's file, created (empty, mode 0600) when a path names none yet and ``create``."""
    if key is None:
        return None
    if isinstance(key, PseudonymKey):
        return key.path
    if isinstance(key, (str, os.PathLike)):
        path = Path(key).expanduser().resolve()
        if not path.exists():
            if not create:
                raise PrivacyError(f"no pseudonym key at {path}: real names are published only with the study's key")
            PseudonymKey().save(path, project=project)
        return path
    raise TypeError(f"key must be a PseudonymKey or the path of a key file, not {type(key).__name__}")


def _reload_key(key: PseudonymKey | str | os.PathLike[str] | None, path: Path | None, stamp: float | None) -> PseudonymKey:
    """The key after the run: read again from its file if the notebook changed it."""
    if isinstance(key, PseudonymKey):
        if path is not None and path.exists() and path.stat().st_mtime != stamp:
            return PseudonymKey.load(path)  # the notebook saved people to it (e.g. via export_view)
        return key
    if path is not None:
        return PseudonymKey.load(path)
    return PseudonymKey()


# --- publish -----------------------------------------------------------------------------
def publish(
    notebook: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    execute: bool = True,
    timeout: int = 600,
    kernel_name: str = "python3",
    pseudonymise: bool = True,
    key: PseudonymKey | str | os.PathLike[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    project: Project | str | os.PathLike[str] | None = None,
    units: pd.DataFrame | str | os.PathLike[str] | Sequence[Any] | None = None,
) -> Path:
    """Run a notebook and write it as one standalone, offline, pseudonymised HTML file.

    Parameters
    ----------
    notebook : path
        The ``.ipynb`` file. It is not modified.
    output : path, optional
        The HTML file to write (default: beside the notebook, ``NAME.html``). It is written
        only when every check has passed.
    execute : bool
        Run the notebook first in a fresh kernel (default). ``False`` publishes the saved
        outputs and widget state as they are; then publish cannot see which data the
        notebook used, so with ``pseudonymise=True`` pass ``project=`` or ``units=``
        (``units=[]`` states that the notebook shows no personal data).
    timeout : int
        Seconds one cell may run.
    kernel_name : str
        The Jupyter kernel to run it in.
    pseudonymise : bool
        Replace every author, handle, URL and e-mail address from the data (default). With
        ``False`` the page shows real names: this needs ``key`` as proof (the study's key),
        as :func:`~workbench.privacy.export_view` does for raw exports.
    key : PseudonymKey or path, optional
        The study's pseudonym key, so that the report uses the same pseudonyms as the
        study's other exports. A path that does not exist yet gets a new key (saved with
        mode 0600; it may not sit in the project's folder). People new to a saved key are
        added to it. Without a key a new one is used for this report only (and a warning
        says that its pseudonyms will not match other exports).
    cwd : path, optional
        Folder the notebook runs in (default: the notebook's folder).
    project : Project or path, optional
        A project whose units are personal data to protect, in addition to those the
        notebook loads.
    units : DataFrame, thread file, or a list of them, optional
        More units tables (or files for :func:`workbench.ingest.load_threads`) to protect.

    Returns
    -------
    Path
        The HTML file written.

    Raises
    ------
    PublishError
        A cell failed, an output loads JavaScript from the internet, or a raw name, handle,
        URL or e-mail address would remain in the page (the message names it and its cell).
    PrivacyError
        ``pseudonymise=False`` without a key.

    Examples
    --------
    >>> import nbformat, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Thanks to @drtonyryan")])
    >>> nbformat.write(nb, os.path.join(folder, "thanks.ipynb"))
    >>> import workbench as wb
    >>> people = wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "drtonyryan", "text": "Hi"}])
    >>> key = wb.PseudonymKey()
    >>> page = publish(os.path.join(folder, "thanks.ipynb"), execute=False, units=people, key=key)
    >>> text = page.read_text(encoding="utf-8")
    >>> "drtonyryan" in text, "@P001" in text
    (False, True)
    """
    import nbformat

    source = Path(notebook).expanduser()
    if source.suffix != ".ipynb":
        raise ValueError(f"publish takes a Jupyter notebook (.ipynb), not {source.name!r}")
    if not source.exists():
        raise FileNotFoundError(f"no notebook at {source}")
    target = Path(output).expanduser() if output is not None else source.with_suffix(".html")
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"output must be an .html file, not {target.name!r}")
    if not isinstance(timeout, int) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if not pseudonymise and key is None:
        raise PrivacyError(
            "a report with real names (pseudonymise=False) is published only with the pseudonym key as proof: "
            "pass key=PseudonymKey.load(path) (or its path), or leave pseudonymise=True"
        )
    if pseudonymise and not execute and project is None and units is None:
        raise PublishError(
            "with execute=False publish cannot see which data the notebook used: pass project= or units= "
            "(the data whose authors must not appear), or let publish run the notebook (execute=True)"
        )
    run_in = Path(cwd).expanduser() if cwd is not None else source.resolve().parent

    try:
        nb = nbformat.read(source, as_version=4)
    except Exception as exc:
        raise PublishError(f"{source} is not a readable notebook: {exc}") from None

    env = dict(os.environ)
    env[PUBLISH_ENV] = "1"
    key_path = _key_file(key, project=project, create=pseudonymise)
    stamp = key_path.stat().st_mtime if key_path is not None and key_path.exists() else None
    if key_path is not None:
        env[KEY_ENV] = str(key_path)

    frames: list[pd.DataFrame] = []
    if execute:
        frames += _execute(
            nb, source=source, cwd=run_in, timeout=timeout, kernel_name=kernel_name, env=env, collect=pseudonymise
        )
    frames += _unit_frames(units)
    frames += _project_frames(project)

    if pseudonymise:
        # the key is read after the run: the notebook may have added people to it
        the_key = _reload_key(key, key_path, stamp)
        terms = collect_terms(frames, the_key)
        if terms and key is None:
            warnings.warn(
                "published with a new pseudonym key that is not saved: its pseudonyms will not match the "
                "study's other exports; pass key= (the key file) to publish with the study's pseudonyms",
                UserWarning,
                stacklevel=2,
            )
        if the_key.dirty and the_key.path is not None:
            the_key.save()
        pseudonymise_notebook(nb, terms)
    else:
        terms = Terms()

    charts = offline_charts(nb, source)
    title = str(nb.metadata.get("title") or source.stem)
    page = export_page(nb, title=title, charts=charts > 0)

    cdn = CDN_SCRIPT.search(guard_view(page))
    if cdn:
        raise PublishError(f"{source}: the page would load JavaScript from the internet ({cdn.group(0)[:120]}…)")
    if pseudonymise and terms:
        leaks = find_leaks(page, terms)
        if leaks:
            shown = "\n  ".join(str(leak) for leak in leaks[:20])
            more = f"\n  … and {len(leaks) - 20} more" if len(leaks) > 20 else ""
            raise PublishError(
                f"{source}: personal data would be published, so nothing was written:\n  {shown}{more}\n"
                "Remove these values from the cells named (or show pseudonymised data, e.g. "
                "wb.privacy.export_view(project, key=key)) and publish again."
            )

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".publish-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


