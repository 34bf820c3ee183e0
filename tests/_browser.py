"""Drive JupyterLab and Voilà in Debian's Chromium with Playwright (for browser tests).

What works on these machines is written up in ``shared/notes/browser-testing.md``:
Chromium from Debian (``/usr/bin/chromium``), launched with flags that keep it off the
network; each server started alone with ``subprocess.Popen`` on a free loopback port,
with a fresh ``JUPYTER_CONFIG_DIR`` (news notifications off) so that JupyterLab restores
no saved workspace; ``--allow-root`` when the run is root.

Use it as::

    from _browser import chromium, jupyter_lab, voila, write_notebook, screenshot

    with jupyter_lab(tmp_path) as lab, chromium() as browser:
        page = browser.new_page()
        lab.open_notebook(page, "panel.ipynb")

Without Chromium or Playwright the caller is skipped locally and fails under ``CI=true``
(the same rule as ``_missing`` in ``conftest.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "ROOT",
    "Server",
    "accept_kernel_dialog",
    "artifacts_dir",
    "artifacts_on_failure",
    "chromium",
    "jupyter_lab",
    "need_browser",
    "run_all_cells",
    "screenshot",
    "voila",
    "write_notebook",
]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("WB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


def need_browser() -> None:
    """Skip (or fail under CI) when Chromium or Playwright is not installed."""
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium is not at {CHROMIUM}: apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("Playwright for Python is not installed: pip install playwright")


def artifacts_dir() -> Path:
    """Where screenshots go: ``$WB_ARTIFACTS``, or ``artifacts/`` at the repository root."""
    path = Path(os.environ.get("WB_ARTIFACTS") or ROOT / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ``<artifacts>/<name>.png`` and return its path."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    path = artifacts_dir() / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextlib.contextmanager
def artifacts_on_failure(page: Any, name: str, server: Server | None = None) -> Iterator[None]:
    """On an exception, save a screenshot and the server's log before it propagates."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            screenshot(page, f"{name}-FAILED")
        if server is not None:
            with contextlib.suppress(Exception):
                (artifacts_dir() / f"{name}-FAILED-server.log").write_text(server.log())
        raise


@contextlib.contextmanager
def chromium(**launch: Any) -> Iterator[Any]:
    """A Playwright browser: Debian's Chromium, headless, kept off the network."""
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, **launch)
        try:
            yield browser
        finally:
            browser.close()


def write_notebook(path: Path, cells: Sequence[str], *, markdown: Sequence[int] = ()) -> Path:
    """Write a notebook of the given cell sources (indexes in ``markdown`` are Markdown cells)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if i in markdown else nbformat.v4.new_code_cell(src)
        for i, src in enumerate(cells)
    ]
    path = Path(path)
    nbformat.write(nb, path)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_config(base: Path) -> dict[str, str]:
    config = base / "jupyter-config"
    settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    runtime = base / "jupyter-runtime"
    runtime.mkdir(exist_ok=True)
    ipython = base / "ipython"
    ipython.mkdir(exist_ok=True)
    return {
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "IPYTHONDIR": str(ipython),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
    }


class Server:
    """A JupyterLab or Voilà server process on a free loopback port."""

    def __init__(self, kind: str, argv: list[str], port: int, token: str, workdir: Path, env: dict[str, str], log: Path):
        self.kind, self.argv, self.port, self.token = kind, argv, port, token
        self.workdir, self.env, self.log_path = workdir, env, log
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}" if self.token else f"{self.base}{path}"

    def start(self, timeout: float = 90) -> Server:
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            self.argv, cwd=self.workdir, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}:\n{self.log()}")
            if self._ready():
                return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"{self.kind} did not start within {timeout} s:\n{self.log()}")

    def _ready(self) -> bool:
        if self.kind == "lab":
            try:
                with urllib.request.urlopen(self.url("/api/status"), timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        # Voilà: GET / would run the notebook, so wait for the port and the banner
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                pass
        except OSError:
            return False
        return "running at" in self.log()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server and the kernels it started (its own process group only)."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    # --- JupyterLab helpers -------------------------------------------------------------
    def open_notebook(self, page: Any, name: str, *, timeout: float = 90_000) -> None:
        """Open a notebook in JupyterLab (no saved workspace) and wait for an idle kernel."""
        page.goto(self.url(f"/lab/tree/{name}?reset"), timeout=timeout)
        page.wait_for_selector(".jp-Notebook", timeout=timeout)
        accept_kernel_dialog(page, wait_ms=1500)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout)


def _server_env(base: Path, extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(_fresh_config(base))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("JUPYTER_PLATFORM_DIRS", None)
    env.update(extra or {})
    return env


def _root_flag() -> list[str]:
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


@contextlib.contextmanager
def jupyter_lab(root_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 90) -> Iterator[Server]:
    """JupyterLab serving ``root_dir``; stopped (with its kernels) on exit."""
    need_browser()
    base = Path(tempfile.mkdtemp(prefix="wb-lab-"))
    port, token = _free_port(), secrets.token_hex(16)
    argv = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root_dir}", "--ServerApp.open_browser=False",
        "--LabApp.news_url=", "--ServerApp.disable_check_xsrf=False", *_root_flag(),
    ]  # fmt: skip
    server = Server("lab", argv, port, token, Path(root_dir), _server_env(base, env), base / "lab.log")
    try:
        yield server.start(timeout)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def voila(notebook: Path, *, env: dict[str, str] | None = None, timeout: float = 90) -> Iterator[Server]:
    """Voilà serving one notebook at ``/``; stopped (with its kernels) on exit."""
    need_browser()
    base = Path(tempfile.mkdtemp(prefix="wb-voila-"))
    port = _free_port()
    notebook = Path(notebook)
    argv = [
        sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
        "--Voila.open_browser=False",
    ]  # fmt: skip
    server = Server("voila", argv, port, "", notebook.parent, _server_env(base, env), base / "voila.log")
    try:
        yield server.start(timeout)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def accept_kernel_dialog(page: Any, *, wait_ms: float = 1500) -> bool:
    """JupyterLab sometimes asks which kernel to start (a race at start-up): take the default."""
    button = page.locator(".jp-Dialog:has-text('Select Kernel') .jp-Dialog-button.jp-mod-accept")
    try:
        button.wait_for(state="visible", timeout=wait_ms)
    except Exception:  # playwright's TimeoutError: no dialog
        return False
    button.click()
    return True


def run_all_cells(page: Any, *, timeout: float = 60_000) -> None:
    """JupyterLab: Run ▸ Run All Cells (taking the default kernel if JupyterLab asks)."""
    page.click(".lm-MenuBar-item:has-text('Run')")
    page.click(".lm-Menu-item[data-command='runmenu:run-all']")
    accept_kernel_dialog(page, wait_ms=3000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout)
