"""JupyterHub's configuration for a team server, from :class:`~workbench.hub.settings.HubSettings`.

:func:`configure` fills a JupyterHub configuration object (the ``c`` of a
``jupyterhub_config.py``) with JupyterHub's own mechanisms only:

* **log-in**: the NativeAuthenticator (users sign up with a password; a supervisor
  authorises each sign-up at ``/hub/authorize`` unless sign-up is open). Any other
  JupyterHub authenticator (OAuth, LDAP, ...) can replace it in a further configuration
  file (``HubSettings.config_file``), which is loaded last;
* **who gets what**: the hub groups ``coders`` and ``supervisors``, managed on the admin
  page (``/hub/admin``), through JupyterHub's REST API, or listed at start
  (``load_groups``). A ``pre_spawn_hook`` (:func:`spawn_hook`) reads the user's groups when
  their server starts: coders get the Voilà coder app in a locked-down server
  (:mod:`workbench.hub.coder_server`), supervisors JupyterLab, anyone else no server;
* **identity**: each server runs with ``JUPYTERHUB_USER`` (set by JupyterHub) and the
  project as ``WB_PROJECT``; the coder app codes as ``JUPYTERHUB_USER`` and asks nothing;
* **network**: the proxy listens where the settings say (127.0.0.1 by default); the hub's
  API, the proxy's API and every user's server listen on 127.0.0.1 only.

Users' servers are started by JupyterHub's ``SimpleLocalProcessSpawner`` as the hub's own
operating-system user; a deployment that gives each user an operating-system account or
a container sets another spawner in its configuration file (see ``deploy/README.md``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .settings import CODERS, SUPERVISORS, HubSettings, project_for, role_of

__all__ = [
    "API_SERVICE",
    "API_SCOPES",
    "CODER_APP_NAME",
    "CoderNotInGroupError",
    "configure",
    "prepare_state",
    "spawn_hook",
]

#: The file name of the coder app inside the folder each coder's server serves.
CODER_APP_NAME = "coder_app.ipynb"
#: The JupyterHub service whose token (``STATE_DIR/api_token``) lets workbench manage groups.
API_SERVICE = "workbench"
#: What that token may do: list and read users, create users, and add them to groups.
API_SCOPES = ("list:users", "read:users", "admin:users", "list:groups", "read:groups", "groups")

_CODER_SERVER_CONFIG = '''\
# Written by workbench hub: the coder's Jupyter Server, locked down to the coder app.
from workbench.hub.coder_server import configure_coder_server

configure_coder_server(c)  # noqa: F821 - `c` is the configuration object Jupyter provides
'''


class CoderNotInGroupError(RuntimeError):
    """A hub user who is in neither ``coders`` nor ``supervisors`` asked for a server."""


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)


def prepare_state(settings: HubSettings) -> dict[str, Path]:
    """Create the state folder (mode 0700) and what the hub's users' servers need in it.

    The coder app is copied into ``STATE_DIR/coder-app/`` (the only file a coder's server
    serves) on every start, so that an updated app reaches the coders; the coders'
    Jupyter Server configuration is written beside it; the API token is made once.

    Parameters
    ----------
    settings : HubSettings
        The hub's settings.

    Returns
    -------
    dict of str to Path
        ``state``, ``coder_app`` (the folder), ``coder_config``, ``api_token``.
    """
    state = Path(settings.state_dir).expanduser().resolve()
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o700)
    app_dir = state / "coder-app"
    app_dir.mkdir(exist_ok=True)
    source = Path(settings.coder_app)
    if not source.is_file():
        raise FileNotFoundError(f"the coder app notebook is not at {source}")
    for stale in app_dir.iterdir():  # the folder holds the app and nothing else
        if stale.is_file() and stale.name != CODER_APP_NAME:
            stale.unlink()
    shutil.copyfile(source, app_dir / CODER_APP_NAME)
    coder_config = state / "coder_server_config.py"
    coder_config.write_text(_CODER_SERVER_CONFIG, encoding="utf-8")
    token = state / "api_token"
    if not token.exists():
        _write_private(token, secrets.token_hex(32) + "\n")
    return {"state": state, "coder_app": app_dir, "coder_config": coder_config, "api_token": token}


def _root_args() -> list[str]:
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def spawn_hook(settings: HubSettings, paths: dict[str, Path]) -> Callable[[Any], None]:
    """JupyterHub's ``Spawner.pre_spawn_hook``: the server each user gets, by hub group.

    Parameters
    ----------
    settings : HubSettings
        The hub's settings.
    paths : dict
        :func:`prepare_state`'s result.

    Returns
    -------
    callable
        ``hook(spawner)``: sets the spawner's arguments, start page, folder and environment;
        raises :class:`CoderNotInGroupError` for a user in neither group.
    """
    notebook_dir = str(Path(settings.notebook_dir).expanduser().resolve())

    def hook(spawner: Any) -> None:
        user = spawner.user
        role = role_of(group.name for group in user.groups)
        if role is None:
            raise CoderNotInGroupError(
                f"{user.name} is in neither hub group '{CODERS}' nor '{SUPERVISORS}': "
                "ask a supervisor to add you (hub admin page, Groups)"
            )
        env = dict(spawner.environment)
        env.update(settings.extra_env)
        env["WB_PROJECT"] = project_for(settings.project, user.name)
        env["WB_HUB_ROLE"] = role
        if settings.round:
            env["WB_ROUND"] = settings.round
        spawner.environment = env
        # the arguments a deployment configured (c.Spawner.args), kept across restarts of this server
        if not hasattr(spawner, "_workbench_args"):
            spawner._workbench_args = [a for a in spawner.args if a != "--allow-root"]
        args = [*spawner._workbench_args, *_root_args()]
        if role == "coder":
            spawner.notebook_dir = str(paths["coder_app"])
            spawner.default_url = f"/voila/render/{CODER_APP_NAME}"
            spawner.args = [f"--config={paths['coder_config']}", *args]
        else:
            spawner.notebook_dir = notebook_dir
            spawner.default_url = "/lab"
            spawner.args = args
        spawner.log.info("workbench: starting the %s server of %s", role, user.name)

    return hook


def _proxy_command(settings: HubSettings) -> list[str]:
    command = list(settings.proxy_command)
    if command and os.sep not in command[0]:
        found = shutil.which(command[0])
        if found:
            command[0] = found
    return command


def configure(c: Any, settings: HubSettings) -> dict[str, Path]:
    """Fill JupyterHub's configuration ``c`` for a team server (see the module docstring).

    Parameters
    ----------
    c : traitlets.config.Config
        The configuration object of a ``jupyterhub_config.py``.
    settings : HubSettings
        The hub's settings.

    Returns
    -------
    dict of str to Path
        The state folder's paths (:func:`prepare_state`).

    Examples
    --------
    >>> import tempfile
    >>> from traitlets.config import Config
    >>> c = Config()
    >>> with tempfile.TemporaryDirectory() as state:
    ...     paths = configure(c, HubSettings(project="postgresql://wb@db/study", state_dir=state,
    ...                                      supervisors=("sam",), coder_app="notebooks/coder_app.ipynb"))
    >>> c.JupyterHub.ip, c.JupyterHub.hub_ip, c.JupyterHub.authenticator_class
    ('127.0.0.1', '127.0.0.1', 'native')
    >>> sorted(c.JupyterHub.load_groups), c.Authenticator.admin_users
    (['coders', 'supervisors'], {'sam'})
    """
    paths = prepare_state(settings)
    state = paths["state"]

    c.JupyterHub.ip = settings.ip
    c.JupyterHub.port = settings.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    if settings.hub_port:
        c.JupyterHub.hub_port = settings.hub_port
    if settings.ssl_cert:
        c.JupyterHub.ssl_key = str(Path(settings.ssl_key or "").expanduser().resolve())
        c.JupyterHub.ssl_cert = str(Path(settings.ssl_cert).expanduser().resolve())
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True

    c.ConfigurableHTTPProxy.command = _proxy_command(settings)
    c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port or 8001}"

    c.JupyterHub.authenticator_class = "native"
    c.NativeAuthenticator.open_signup = settings.open_signup
    c.NativeAuthenticator.minimum_password_length = settings.min_password_length
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.allowed_failed_logins = 5
    c.NativeAuthenticator.seconds_before_next_try = 300
    # NativeAuthenticator decides who may log in (an authorised sign-up); JupyterHub 5's
    # allow-list would refuse everyone else as well, so it is opened here. Another
    # authenticator sets its own allow-list (allowed_users, allowed_groups) in config_file.
    c.Authenticator.allow_all = True
    c.Authenticator.admin_users = set(settings.supervisors)
    c.JupyterHub.load_groups = {
        SUPERVISORS: {"users": list(settings.supervisors)},
        CODERS: {"users": list(settings.coders)},
    }
    token = paths["api_token"].read_text(encoding="utf-8").strip()
    c.JupyterHub.services = [{"name": API_SERVICE, "api_token": token}]
    c.JupyterHub.load_roles = [
        {"name": "workbench-team", "description": "workbench: manage the coders and supervisors groups",
         "scopes": list(API_SCOPES), "services": [API_SERVICE]},
    ]

    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
    c.Spawner.ip = "127.0.0.1"
    c.Spawner.cmd = [settings.python or sys.executable, "-m", "jupyterhub.singleuser"]
    c.Spawner.disable_user_config = True
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 90
    c.Spawner.pre_spawn_hook = spawn_hook(settings, paths)
    return paths
