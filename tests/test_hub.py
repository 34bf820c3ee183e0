"""The team server's parts without a browser: settings, JupyterHub's configuration, the spawn
hook on JupyterHub's own objects, the coder server's lock-down, the commands, and the coder
app's identity rules (the notebook executed headless). The whole server, driven in Chromium,
is ``test_browser_hub.py``."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

import workbench as wb
from workbench import cli
from workbench.hub import (
    API_SCOPES,
    CODER_APP_NAME,
    CODERS,
    SUPERVISORS,
    CoderNotInGroupError,
    HubError,
    HubSettings,
    add_to_group,
    configure,
    find_proxy,
    hub_command,
    is_loopback,
    jupyterhub_version,
    project_for,
    role_of,
    spawn_hook,
    write_config,
)

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "notebooks" / "coder_app.ipynb"


def settings(tmp_path: Path, **overrides) -> HubSettings:
    values = dict(project="postgresql://wb@127.0.0.1/study", state_dir=str(tmp_path / "state"),
                  supervisors=("sam",), coder_app=str(APP), notebook_dir=str(tmp_path),
                  proxy_command=("/opt/chp",), python=sys.executable, hub_port=18081, proxy_api_port=18001)
    values.update(overrides)
    return HubSettings(**values)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- settings ---------------------------------------------------------------------------------
def test_jupyterhub_is_5_and_the_native_authenticator_is_installed():
    assert jupyterhub_version().startswith("5.")


@pytest.mark.parametrize("bad, message", [
    ({"project": " "}, "needs a project"),
    ({"port": 0}, "HubSettings.port must be a port number"),
    ({"hub_port": 70000}, "HubSettings.hub_port"),
    ({"ssl_key": "k.pem"}, "both ssl_key and ssl_cert"),
    ({"min_password_length": 0}, "at least 1"),
])
def test_settings_refuse_bad_values_by_name(tmp_path, bad, message):
    with pytest.raises(ValueError, match=message):
        settings(tmp_path, **bad)


def test_settings_travel_as_json_and_unknown_keys_are_named(tmp_path):
    s = settings(tmp_path, coders=["alice"], extra_env={"A": "1"})
    assert HubSettings.from_json(s.to_json()) == s
    data = json.loads(s.to_json())
    data["open_sign_up"] = True
    with pytest.raises(ValueError, match=r"unknown hub settings \['open_sign_up'\]"):
        HubSettings.from_json(json.dumps(data))


def test_roles_loopback_and_per_user_projects():
    assert role_of(["supervisors", "coders"]) == "supervisor"
    assert role_of(["coders", "other"]) == "coder"
    assert role_of(["other"]) is None
    assert [is_loopback(a) for a in ("127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost")] == [True] * 5
    assert [is_loopback(a) for a in ("0.0.0.0", "::", "192.168.1.5", "example.org", "")] == [False] * 5
    assert project_for("postgresql://{username}@db/s", "a/b c") == "postgresql://a%2Fb%20c@db/s"
    assert project_for("/srv/p.db", "alice") == "/srv/p.db"


# --- JupyterHub's configuration ---------------------------------------------------------------
def test_configure_sets_jupyterhubs_own_mechanisms(tmp_path):
    c = Config()
    paths = configure(c, settings(tmp_path, coders=("alice",)))
    hub = c.JupyterHub
    assert (hub.ip, hub.port, hub.hub_ip, hub.hub_port) == ("127.0.0.1", 8000, "127.0.0.1", 18081)
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:18001"
    assert c.ConfigurableHTTPProxy.command == ["/opt/chp"]
    assert hub.authenticator_class == "native"
    assert c.NativeAuthenticator.open_signup is False, "a supervisor authorises sign-ups by default"
    assert c.Authenticator.admin_users == {"sam"}
    assert hub.load_groups == {SUPERVISORS: {"users": ["sam"]}, CODERS: {"users": ["alice"]}}
    assert hub.spawner_class == "jupyterhub.spawner.SimpleLocalProcessSpawner"
    assert c.Spawner.ip == "127.0.0.1"
    assert c.Spawner.cmd == [sys.executable, "-m", "jupyterhub.singleuser"]
    state = paths["state"]
    assert hub.db_url == f"sqlite:///{state / 'jupyterhub.sqlite'}"
    # the API token for managing groups: private, and only the scopes it needs
    token = paths["api_token"]
    assert stat.S_IMODE(token.stat().st_mode) == 0o600 and stat.S_IMODE(state.stat().st_mode) == 0o700
    assert hub.services == [{"name": "workbench", "api_token": token.read_text().strip()}]
    assert hub.load_roles[0]["scopes"] == list(API_SCOPES) and "admin:servers" not in API_SCOPES
    # the coder's server serves a folder with the app and nothing else
    assert sorted(p.name for p in paths["coder_app"].iterdir()) == [CODER_APP_NAME]
    assert (paths["coder_app"] / CODER_APP_NAME).read_bytes() == APP.read_bytes()


def test_a_restart_keeps_the_token_and_clears_the_coder_app_folder(tmp_path):
    s = settings(tmp_path)
    first = configure(Config(), s)
    token = first["api_token"].read_text()
    (first["coder_app"] / "notes.ipynb").write_text("{}")
    second = configure(Config(), s)
    assert second["api_token"].read_text() == token
    assert sorted(p.name for p in second["coder_app"].iterdir()) == [CODER_APP_NAME]


def test_open_signup_and_tls_are_options(tmp_path):
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    c = Config()
    configure(c, settings(tmp_path, open_signup=True, ip="0.0.0.0", ssl_key=str(key), ssl_cert=str(cert)))
    assert c.NativeAuthenticator.open_signup is True
    assert (c.JupyterHub.ip, c.JupyterHub.ssl_cert) == ("0.0.0.0", str(cert))
    assert c.JupyterHub.hub_ip == "127.0.0.1", "the hub's own API never leaves this machine"
    assert settings(tmp_path, ssl_key=str(key), ssl_cert=str(cert)).url == "https://127.0.0.1:8000/"


def _spawner(name: str, groups: list[str]):
    from jupyterhub import orm
    from jupyterhub.spawner import SimpleLocalProcessSpawner

    db = orm.new_session_factory("sqlite://")()
    user = orm.User(name=name)
    db.add(user)
    for g in groups:
        group = orm.Group(name=g)
        db.add(group)
        group.users.append(user)
    db.commit()
    return SimpleLocalProcessSpawner(user=user, environment={"KEEP": "1"})


def test_the_spawn_hook_gives_coders_the_app_and_supervisors_jupyterlab(tmp_path):
    s = settings(tmp_path, project="postgresql://{username}@db/study", round="pilot")
    paths = configure(Config(), s)
    hook = spawn_hook(s, paths)

    coder = _spawner("alice", [CODERS])
    hook(coder)
    assert coder.default_url == f"/voila/render/{CODER_APP_NAME}"
    assert coder.notebook_dir == str(paths["coder_app"])
    assert coder.args[0] == f"--config={paths['coder_config']}"
    assert coder.environment == {"KEEP": "1", "WB_PROJECT": "postgresql://alice@db/study", "WB_HUB_ROLE": "coder",
                                 "WB_ROUND": "pilot"}
    assert "configure_coder_server(c)" in paths["coder_config"].read_text()

    hook(coder)  # a restart of the same server: the same arguments, not twice
    assert coder.args.count(f"--config={paths['coder_config']}") == 1

    supervisor = _spawner("sam", [CODERS, SUPERVISORS])
    supervisor.args = ["--ServerApp.iopub_data_rate_limit=1e7"]  # a deployment's own arguments are kept
    hook(supervisor)
    assert supervisor.args[0] == "--ServerApp.iopub_data_rate_limit=1e7"
    assert (supervisor.default_url, supervisor.notebook_dir) == ("/lab", str(tmp_path.resolve()))
    assert not any(a.startswith("--config") for a in supervisor.args)
    assert supervisor.environment["WB_HUB_ROLE"] == "supervisor"

    with pytest.raises(CoderNotInGroupError, match="neither hub group 'coders' nor 'supervisors'"):
        hook(_spawner("eve", ["friends"]))


def test_the_coder_server_is_locked_down():
    from workbench.hub.coder_server import ALLOWED_MESSAGE_TYPES, CoderAuthorizer, configure_coder_server

    c = Config()
    configure_coder_server(c)
    assert c.MappingKernelManager.allowed_message_types == list(ALLOWED_MESSAGE_TYPES)
    assert not {"execute_request", "inspect_request", "complete_request", "history_request"} & set(ALLOWED_MESSAGE_TYPES)
    assert c.ServerApp.authorizer_class is CoderAuthorizer
    assert c.ServerApp.jpserver_extensions["jupyter_server_terminals"] is False
    assert c.ServerApp.terminals_enabled is False
    for resource in ("contents", "sessions", "terminals", "server", "nbconvert", "files", "api", "events"):
        for action in ("read", "write", "execute"):
            assert not CoderAuthorizer.allows(action, resource), (action, resource)
    assert not CoderAuthorizer.allows("write", "kernels"), "no new kernels, restarts or shutdowns by REST"


def test_the_generated_config_file_is_what_jupyterhub_loads(tmp_path):
    extra = tmp_path / "mine.py"
    extra.write_text("c.JupyterHub.concurrent_spawn_limit = 7\n")
    s = settings(tmp_path, config_file=str(extra))
    path = write_config(s)
    cmd, cwd = hub_command(s)
    assert cmd == [sys.executable, "-m", "jupyterhub", "-f", str(path)] and cwd == path.parent
    c = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    assert c.JupyterHub.authenticator_class == "native"
    assert c.JupyterHub.concurrent_spawn_limit == 7, "the user's own file is loaded last"
    assert callable(c.Spawner.pre_spawn_hook)


def test_the_deploy_config_reads_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WB_PROJECT", "postgresql://wb@db/study")
    monkeypatch.setenv("WB_HUB_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("WB_HUB_SUPERVISORS", "sam kim")
    monkeypatch.setenv("WB_PROXY", sys.executable)  # any executable: the file is only loaded here
    deploy = ROOT / "deploy" / "jupyterhub_config.py"
    c = PyFileConfigLoader(deploy.name, path=str(deploy.parent)).load_config()
    assert c.Authenticator.admin_users == {"sam", "kim"}
    assert c.JupyterHub.ip == "127.0.0.1"
    assert (tmp_path / "state" / "coder-app" / CODER_APP_NAME).exists()
    monkeypatch.delenv("WB_PROJECT")
    with pytest.raises(Exception, match="WB_PROJECT"):
        PyFileConfigLoader(deploy.name, path=str(deploy.parent)).load_config()


# --- the proxy and the API --------------------------------------------------------------------
def test_find_proxy_explains_what_to_install(tmp_path, monkeypatch):
    monkeypatch.delenv("WB_PROXY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("workbench.hub.run._REPO", tmp_path)
    with pytest.raises(HubError, match="npm ci"):
        find_proxy()
    not_executable = tmp_path / "chp"
    not_executable.write_text("")
    with pytest.raises(HubError, match="not an executable file"):
        find_proxy(str(not_executable))
    local = tmp_path / "node_modules" / ".bin" / "configurable-http-proxy"
    local.parent.mkdir(parents=True)
    local.write_text("#!/bin/sh\n")
    local.chmod(0o755)
    assert find_proxy() == [str(local)]


def test_add_to_group_checks_its_input_before_calling_the_hub():
    with pytest.raises(ValueError, match="group must be 'coders' or 'supervisors'"):
        add_to_group("http://127.0.0.1:9/", "t", "admins", ["alice"])
    with pytest.raises(ValueError, match="one or more non-empty user names"):
        add_to_group("http://127.0.0.1:9/", "t", CODERS, [])
    with pytest.raises(HubError, match="cannot reach the hub"):
        add_to_group("http://127.0.0.1:9/", "t", CODERS, ["alice"])


# --- the commands -----------------------------------------------------------------------------
@pytest.fixture
def proxy(tmp_path) -> Path:
    path = tmp_path / "configurable-http-proxy"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_hub_dry_run_prints_the_jupyterhub_command(tmp_path, capsys, proxy):
    state = tmp_path / "state"
    code, out, err = run(capsys, "hub", "--project", "postgresql://wb@db/study", "--supervisor", "sam",
                         "--state-dir", str(state), "--proxy", str(proxy), "--dry-run")
    assert code == 0, err
    assert out.strip() == f"cd {state} && {sys.executable} -m jupyterhub -f {state / 'jupyterhub_config.py'}"
    assert not state.exists(), "a dry run writes nothing"


def test_hub_refuses_without_a_supervisor_or_a_project(tmp_path, capsys, proxy):
    code, _, err = run(capsys, "hub", "--project", "postgresql://wb@db/study", "--proxy", str(proxy), "--dry-run")
    assert code == 2 and "--supervisor NAME" in err
    code, _, err = run(capsys, "hub", "--project", str(tmp_path / "none.db"), "--supervisor", "sam",
                       "--proxy", str(proxy), "--dry-run")
    assert code == 2 and "no project at" in err and "postgresql://" in err
    code, _, err = run(capsys, "hub", "--project", "postgresql://wb@db/study", "--supervisor", "sam", "--port", "0",
                       "--proxy", str(proxy), "--dry-run")
    assert code == 2 and "--port must be between 1 and 65535" in err


def test_app_listens_on_this_machine_only_behind_a_token(tmp_path, capsys):
    db = tmp_path / "p.db"
    code, out, _ = run(capsys, "app", "--project", str(db), "--dry-run")
    assert code == 0 and "--token" in out.split() and "--Voila.ip=127.0.0.1" in out
    assert run(capsys, "app", "--project", str(db), "--ip", "::1", "--dry-run")[0] == 0
    for address in ("0.0.0.0", "192.168.1.20", "::"):
        code, out, err = run(capsys, "app", "--project", str(db), "--ip", address, "--dry-run")
        assert code == 2 and out == ""
        assert f"will not listen on {address}" in err and "workbench hub" in err


# --- the coder app's identity (the notebook executed headless) --------------------------------
def _run_app(tmp_path: Path, env: dict[str, str], probe: str) -> str:
    from nbclient import NotebookClient

    nb = nbformat.read(APP, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    client = NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    saved = {k: os.environ.get(k) for k in (*env, "JUPYTERHUB_USER", "WB_HUB_ROLE")}
    try:
        for k in ("JUPYTERHUB_USER", "WB_HUB_ROLE"):
            os.environ.pop(k, None)
        os.environ.update(env)
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return "".join(o.get("text", "") for o in nb.cells[-1].outputs)


@pytest.mark.slow
def test_the_coder_app_codes_as_the_hub_user_and_refuses_without_one(tmp_path, demo_codebook):
    # (locally it asks for the name, as before: test_browser_coding_panel.py::test_coder_app_in_voila)
    db = tmp_path / "project.db"
    project = wb.open_project(db)
    project.add_units(wb.make_units([{"unit_id": "u1", "thread_id": "t", "text": "Hello", "author": "A"}]))
    project.add_codebook(demo_codebook)
    project.close()
    probe = "print(repr(app.note.value), app.project is None, [type(w).__name__ for w in app.children])"

    out = _run_app(tmp_path, {"WB_PROJECT": str(db), "WB_HUB_ROLE": "coder"}, probe)
    assert "coding is off" in out and "JUPYTERHUB_USER" in out and "True ['Label']" in out

    out = _run_app(tmp_path, {"WB_PROJECT": str(db), "WB_HUB_ROLE": "coder", "JUPYTERHUB_USER": "alice"},
                   probe + "\nprint(app.children[1].coder, app.children[0].value, '/', app.project.coder)")
    assert "['Label', 'CodingPanel']" in out and "alice Coding as alice / alice" in out
    project = wb.open_project(db)
    try:
        assert list(project.coders()["name"]) == ["alice"]
    finally:
        project.close()


@pytest.mark.slow
def test_workbench_app_really_wants_its_token(tmp_path):
    import re
    import subprocess
    import time
    import urllib.error
    import urllib.request

    from workbench.hub import free_port

    port = free_port()
    log = tmp_path / "app.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "workbench", "app", "--project", str(tmp_path / "p.db"),
                                 "--port", str(port), "--no-browser"], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while "running at" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.5)
        token = re.search(r"http://127\.0\.0\.1:\d+/\?token=([0-9a-f]{32,})", log.read_text())
        assert token, log.read_text()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(f"http://127.0.0.1:{port}/", timeout=30)
        assert refused.value.code == 302 and "/login" in refused.value.headers["Location"]
        with pytest.raises(urllib.error.HTTPError) as wrong:
            opener.open(f"http://127.0.0.1:{port}/?token=" + "0" * 48, timeout=30)
        assert wrong.value.code == 302
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
