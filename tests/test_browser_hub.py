"""The team server for real: JupyterHub started by ``workbench hub``, driven in Chromium.

JupyterHub (PyPI), its proxy (configurable-http-proxy, installed by ``make`` with ``npm ci``),
PostgreSQL (started by ``conftest.py``) and Chromium, all on 127.0.0.1 with free ports. Two
coders sign up and log in on the hub's own pages, are put in the group ``coders`` through
JupyterHub's REST API (as a supervisor does on the admin page), and each codes three units
in the coder app that opens for them. The store must then hold exactly those events under
their hub names. Alice cannot open Bob's server, nor JupyterLab, the contents API or a
kernel's ``execute_request`` on her own. A supervisor logs in, gets JupyterLab and sees
both coders' codings by running a notebook. Every process is stopped at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import workbench as wb
from _browser import (
    ROOT,
    _missing,
    accept_kernel_dialog,
    artifacts_dir,
    chromium,
    need_browser,
    run_all_cells,
    screenshot,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(420)]

PASSWORD = "a long pass phrase 7"
CODES = {
    "alice": ["validating", "defensive", "gratitude"],
    "bob": ["defensive", "systemic-deflection", "validating"],
}
SUPERVISOR = "sam"
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"

# a kernel message forged in the coder's page: the kernel's hello (must be answered, so the
# channel works) and an execute_request (must be dropped, so the page runs no code)
FORGE = """async ([code, wait]) => {
  const cfg = JSON.parse(document.querySelector('#jupyter-config-data').textContent);
  const url = location.origin.replace(/^http/, 'ws') + cfg.baseUrl + 'api/kernels/' + cfg.kernelId
              + '/channels?session_id=forged';
  const ws = new WebSocket(url);
  const got = [];
  await new Promise((ok, bad) => { ws.onopen = ok; ws.onerror = bad; });
  ws.onmessage = (e) => {
    try { const m = JSON.parse(e.data); got.push([m.channel, m.header.msg_type, m.parent_header.msg_id || '']); }
    catch (x) { got.push(['binary', '', '']); }
  };
  const msg = (id, type, content) => JSON.stringify({header: {msg_id: id, msg_type: type, username: '',
    session: 'forged', date: new Date().toISOString(), version: '5.3'}, parent_header: {}, metadata: {},
    content: content, channel: 'shell', buffers: []});
  ws.send(msg('hello', 'kernel_info_request', {}));
  ws.send(msg('forged', 'execute_request', {code: code, silent: false, store_history: false,
    user_expressions: {}, allow_stdin: false, stop_on_error: true}));
  await new Promise(r => setTimeout(r, wait));
  ws.close();
  return got;
}"""


def need_hub() -> None:
    """Skip (fail under CI) without JupyterHub 5, the NativeAuthenticator or the npm proxy."""
    need_browser()
    try:
        from workbench.hub import HubError, jupyterhub_version

        jupyterhub_version()
    except (ImportError, HubError) as exc:
        _missing(str(exc))
    if not PROXY.exists():
        _missing(f"configurable-http-proxy is not at {PROXY}: run `npm ci` in {ROOT} (make test does)")


def make_project(url: str, codebook: wb.Codebook) -> None:
    rows = [{"unit_id": "t0:0", "thread_id": "t0", "text": "I was not listened to at my appointment.",
             "author": "Sam", "kind": "post", "posted_at": "2024-03-01T09:00:00Z"}]
    rows += [{"unit_id": f"t0:{i}", "thread_id": "t0", "parent_id": "t0:0", "text": f"Reply {i}: I hear you.",
              "author": f"User{i}", "posted_at": f"2024-03-01T1{i}:00:00Z"} for i in range(1, 9)]
    project = wb.open_project(url)
    try:
        project.add_units(wb.make_units(rows, source="test"))
        project.add_codebook(codebook)
    finally:
        project.close()


class Hub:
    """``python -m workbench hub`` as a process of its own session, stopped with everything it started."""

    def __init__(self, argv: list[str], url: str, state: Path, log: Path):
        self.argv, self.url, self.state, self.log_path = argv, url, state, log
        self.proc: subprocess.Popen | None = None
        self.started: list[int] = []

    def start(self, timeout: float = 120) -> Hub:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                         cwd=self.state.parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"workbench hub exited with {self.proc.returncode}:\n{self.log()[-6000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "hub/api", timeout=2) as r:
                    if r.status == 200:
                        return self
            time.sleep(0.5)
        raise RuntimeError(f"the hub did not answer within {timeout} s:\n{self.log()[-6000:]}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def processes(self) -> list:
        """The hub and everything below it: JupyterHub, the proxy, users' servers, their kernels."""
        import psutil

        try:
            top = psutil.Process(self.proc.pid)
            return [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> list[str]:
        """SIGTERM to the hub's process group (JupyterHub stops its proxy and users' servers).

        Returns the command lines of processes still alive 40 s later (then killed).
        """
        import psutil

        if self.proc is None:
            return []
        procs = self.processes()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs(procs, timeout=40)
        left = []
        for p in alive:
            with contextlib.suppress(psutil.Error):
                left.append(" ".join(p.cmdline()))
                p.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        return left


@pytest.fixture
def hub(tmp_path, pg_url, demo_codebook):
    need_hub()
    from workbench.hub import free_port

    make_project(pg_url, demo_codebook)
    supervisor_dir = tmp_path / "supervisor"
    supervisor_dir.mkdir()
    write_notebook(supervisor_dir / "check.ipynb", [
        "import os\nimport workbench as wb\n"
        "project = wb.open_project(os.environ['WB_PROJECT'])\n"
        "events = project.history()\n"
        "print('CODINGS', sorted(f'{e.coder}:{e.unit_id}:{e.code}' for e in events.itertuples() if e.action == 'apply'))"
    ])
    # the users' servers get a Jupyter config folder without JupyterLab's news pop-up
    config_dir = tmp_path / "jupyter-config"
    settings = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    extra = tmp_path / "extra_config.py"
    extra.write_text(f"c.Spawner.environment = {{'JUPYTER_CONFIG_DIR': {str(config_dir)!r}}}\n")
    port = free_port()
    state = tmp_path / "hub-state"
    argv = [sys.executable, "-m", "workbench", "hub", "--project", pg_url, "--port", str(port), "--state-dir",
            str(state), "--supervisor", SUPERVISOR, "--open-signup", "--notebook-dir", str(supervisor_dir),
            "--config", str(extra), "--proxy", str(PROXY)]
    server = Hub(argv, f"http://127.0.0.1:{port}/", state, tmp_path / "hub.log")
    try:
        yield server.start()
    finally:
        left = server.stop()
        (artifacts_dir() / "hub.log").write_text(server.log())
        assert left == [], f"processes left running after the hub stopped: {left}"


def sign_up(page, base: str, name: str) -> None:
    """Submit the hub's sign-up form (the result is awaited by the caller)."""
    page.goto(base + "hub/signup")
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    page.fill("#password_confirmation_input", PASSWORD)
    page.click("#signup_submit", no_wait_after=True)


def log_in(page, base: str, name: str) -> None:
    """Submit the hub's log-in form; the hub then starts the user's server (not awaited here)."""
    page.goto(base + "hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit", no_wait_after=True)


def run_until_output(page, text: str, tries: int = 4) -> None:
    """Run all cells until an output shows ``text`` (on a loaded machine JupyterLab may show the
    notebook before its kernel is connected, and then Run All runs nothing)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(tries):
        run_all_cells(page, timeout=120_000)
        try:
            page.wait_for_selector(f".jp-OutputArea-output:has-text('{text}')", timeout=30_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"no output with {text!r} after running all cells {tries} times")


def code_three(page, name: str) -> dict[str, str]:
    """Click a code on three units in turn (waiting for Saved each time); returns unit -> code."""
    done: dict[str, str] = {}
    for n, code in enumerate(CODES[name], start=1):
        unit = page.get_attribute(".wb-unit", "data-unit")
        page.click(f".wb-code[data-code='{code}']")
        page.wait_for_selector(f".wb-saved[data-seq='{n}'][data-status='saved']", timeout=30_000)
        done[unit] = code
        page.click(".wb-next")
        page.wait_for_function("old => document.querySelector('.wb-unit')?.dataset.unit !== old", arg=unit,
                               timeout=30_000)
    return done


def test_two_coders_and_a_supervisor_on_the_team_server(hub, pg_url, tmp_path):
    from workbench.hub import CODERS, add_to_group, group_members

    base = hub.url
    t0 = time.monotonic()

    def mark(what: str) -> None:
        print(f"{time.monotonic() - t0:6.1f} s  {what}")

    token = (hub.state / "api_token").read_text().strip()
    with chromium() as browser:
        pages = {}
        for name in (*CODES, SUPERVISOR):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            pages[name] = context.new_page()
        try:
            for name, page in pages.items():  # three sign-ups at once
                sign_up(page, base, name)
            for page in pages.values():
                page.wait_for_selector("text=The signup was successful", timeout=60_000)
            # the supervisor's part, through the API the admin page uses
            assert add_to_group(base, token, CODERS, list(CODES)) == ["alice", "bob"]
            assert group_members(base, token, "supervisors") == [SUPERVISOR]
            mark("signed up, coders in their group")
            for name, page in pages.items():  # three servers start at once
                log_in(page, base, name)

            coded: dict[str, dict[str, str]] = {}
            for name in CODES:
                page = pages[name]
                page.wait_for_selector(".wb-panel .wb-code", timeout=180_000)
                assert page.url == f"{base}user/{name}/voila/render/coder_app.ipynb"
                assert page.text_content(".wb-coding-as") == f"Coding as {name}"
                assert page.locator(".wb-coder-name").count() == 0, "a hub coder types no name"
                assert page.locator(".cm-editor, .jp-InputPrompt").count() == 0, "no code in the coder app"
                mark(f"{name}'s coder app is open")
                coded[name] = code_three(page, name)
                mark(f"{name} coded three units")
                screenshot(page, f"hub-{name}-coded")

            # the store holds exactly those events, under the hub names
            project = wb.open_project(pg_url)
            try:
                history = project.history()
            finally:
                project.close()
            got = sorted((e.coder, e.unit_id, e.code, e.action) for e in history.itertuples())
            want = sorted((name, unit, code, "apply") for name, units in coded.items() for unit, code in units.items())
            assert got == want
            assert all(len(units) == 3 for units in coded.values())

            # Alice cannot run code through her kernel's websocket (the page is still open)
            alice = pages["alice"]
            marker = tmp_path / "forged-execute-ran"
            replies = alice.evaluate(FORGE, [f"open({str(marker)!r}, 'w').write('x')", 3000])
            assert ["shell", "kernel_info_reply", "hello"] in replies, replies
            assert not any(parent == "forged" for _, _, parent in replies), replies
            assert not marker.exists()
            # ... nor reach anything in her own server but the coder app
            assert alice.request.get(f"{base}user/alice/lab").status == 404
            assert alice.request.get(f"{base}user/alice/api/contents").status == 403
            assert alice.request.get(f"{base}user/alice/api/terminals").status == 404
            # ... nor the hub's admin pages, nor Bob's server
            assert alice.request.get(f"{base}hub/api/users/bob").status in (403, 404)
            assert alice.request.get(f"{base}hub/admin").status == 403
            assert alice.request.get(f"{base}hub/authorize").status == 403
            response = alice.goto(f"{base}user/bob/voila/render/coder_app.ipynb")
            assert response.status == 403, (response.status, alice.url)
            assert alice.locator(".wb-panel").count() == 0
            mark("isolation checked")

            # the supervisor gets JupyterLab and sees both coders' codings
            sam = pages[SUPERVISOR]
            sam.wait_for_selector(".jp-LabShell", timeout=180_000)
            mark("the supervisor's JupyterLab is open")
            assert sam.url.startswith(f"{base}user/{SUPERVISOR}/lab")
            sam.goto(f"{base}user/{SUPERVISOR}/lab/tree/check.ipynb?reset")
            sam.wait_for_selector(".jp-Notebook", timeout=120_000)
            accept_kernel_dialog(sam)
            sam.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
            run_until_output(sam, "CODINGS")
            output = sam.text_content(".jp-OutputArea-output")
            for name, units in coded.items():
                for unit, code in units.items():
                    assert f"{name}:{unit}:{code}" in output, output
            screenshot(sam, "hub-supervisor-lab")
            mark("the supervisor saw both coders' codings")
        except BaseException:
            for name, page in pages.items():
                with contextlib.suppress(Exception):
                    screenshot(page, f"hub-{name}-FAILED")
            raise
