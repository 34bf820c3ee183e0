"""Starting a team server, and managing its groups through JupyterHub's REST API.

``workbench hub`` writes ``STATE_DIR/jupyterhub_config.py`` (the settings as JSON and a
call to :func:`workbench.hub.configure`, then the user's own configuration file if any)
and runs JupyterHub on it. :func:`hub_command` returns that command line; the same file
can be run by hand (``jupyterhub -f STATE_DIR/jupyterhub_config.py``).

Groups change while the hub runs: a supervisor uses the admin page (``/hub/admin``), or a
script calls :func:`add_to_group` with the token the hub made for workbench
(``STATE_DIR/api_token``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from .settings import CODERS, SUPERVISORS, HubSettings

__all__ = [
    "HubError",
    "add_to_group",
    "find_proxy",
    "free_port",
    "group_members",
    "hub_command",
    "jupyterhub_version",
    "exec_hub",
    "write_config",
]

PROXY = "configurable-http-proxy"
_REPO = Path(__file__).resolve().parent.parent.parent


class HubError(RuntimeError):
    """The team server cannot start, or its API refused a request (the message says why)."""


def jupyterhub_version() -> str:
    """JupyterHub's version; :class:`HubError` when it is missing or a release the workbench does not support.

    JupyterHub 6 is refused: the NativeAuthenticator's last release (1.3.0) fails at log-in there.
    """
    try:
        import jupyterhub
    except ImportError as exc:
        raise HubError('JupyterHub is not installed: pip install "jupyterhub>=5.5,<6"') from exc
    version = str(jupyterhub.__version__)
    major = int(version.split(".", 1)[0])
    if major != 5:
        raise HubError(f"JupyterHub {version} is installed; the team server needs JupyterHub 5 "
                       '(the NativeAuthenticator fails at log-in on 6): pip install "jupyterhub>=5.5,<6"')
    try:
        import nativeauthenticator  # noqa: F401
    except ImportError as exc:
        raise HubError("the NativeAuthenticator is not installed: pip install jupyterhub-nativeauthenticator") from exc
    return version


def find_proxy(explicit: str | None = None, *, roots: Sequence[Path] = ()) -> list[str]:
    """The ``configurable-http-proxy`` command: ``explicit``, else ``node_modules/.bin`` here or in the repository, else ``PATH``.

    Parameters
    ----------
    explicit : str, optional
        A path to the proxy (``--proxy``), or ``$WB_PROXY``.
    roots : sequence of Path
        Folders whose ``node_modules/.bin`` to look in first (default: the current folder
        and the workbench's repository).

    Returns
    -------
    list of str
        The command (one element).
    """
    explicit = explicit or os.environ.get("WB_PROXY")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise HubError(f"the proxy {path} is not an executable file")
        return [str(path.resolve())]
    looked = []
    for root in (*roots, Path.cwd(), _REPO):
        candidate = Path(root) / "node_modules" / ".bin" / PROXY
        looked.append(str(candidate))
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate.resolve())]
    found = shutil.which(PROXY)
    if found:
        return [found]
    raise HubError(f"{PROXY} (JupyterHub's proxy, from npm) was not found in {', '.join(looked)} or on PATH: "
                   "run `npm ci` in the workbench's folder (make does it), or pass --proxy PATH")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(settings: HubSettings) -> Path:
    """Write ``STATE_DIR/jupyterhub_config.py`` for ``settings`` and return its path."""
    state = Path(settings.state_dir).expanduser().resolve()
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o700)
    lines = [
        "# Written by `workbench hub` at every start: change the command's options, or put your own",
        "# JupyterHub settings in a file passed as --config FILE (loaded last), not here.",
        "from workbench.hub import HubSettings, configure",
        "",
        f"SETTINGS = HubSettings.from_json({settings.to_json()!r})",
        "configure(c, SETTINGS)  # noqa: F821 - `c` is the configuration object JupyterHub provides",
    ]
    if settings.config_file:
        extra = Path(settings.config_file).expanduser().resolve()
        lines.append(f"load_subconfig({str(extra)!r})  # noqa: F821")
    path = state / "jupyterhub_config.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def hub_command(settings: HubSettings) -> tuple[list[str], Path]:
    """The command line that runs JupyterHub for ``settings``, and the folder to run it in.

    The configuration file it names is written by :func:`write_config`.

    Examples
    --------
    >>> cmd, cwd = hub_command(HubSettings(project="postgresql://wb@db/study", state_dir="/srv/hub"))
    >>> cmd[1:], str(cwd)
    (['-m', 'jupyterhub', '-f', '/srv/hub/jupyterhub_config.py'], '/srv/hub')
    """
    state = Path(settings.state_dir).expanduser().resolve()
    return [settings.python or sys.executable, "-m", "jupyterhub", "-f", str(state / "jupyterhub_config.py")], state


def _api(hub_url: str, token: str, method: str, path: str, body: object | None = None) -> object:
    url = hub_url.rstrip("/") + "/hub/api" + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the hub's own URL
            text = response.read().decode()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:500]
        raise HubError(f"the hub refused {method} {path}: HTTP {exc.code} {detail}") from exc
    except OSError as exc:
        raise HubError(f"cannot reach the hub at {hub_url}: {exc}") from exc
    return json.loads(text) if text.strip() else None


def _exists(hub_url: str, token: str, name: str) -> bool:
    try:
        _api(hub_url, token, "GET", f"/users/{quote(name.lower(), safe='')}")
    except HubError as exc:
        if "HTTP 404" in str(exc):
            return False
        raise
    return True


def add_to_group(hub_url: str, token: str, group: str, users: Iterable[str]) -> list[str]:
    """Put hub users into ``coders`` or ``supervisors`` (creating the hub users that do not exist yet).

    What a supervisor does on the admin page (Add Users, then Groups), through JupyterHub's
    REST API. Creating a hub user does not let anyone log in as them: with the
    NativeAuthenticator they still sign up, and a supervisor authorises the sign-up.

    Parameters
    ----------
    hub_url : str
        The hub's address, e.g. ``http://127.0.0.1:8000/``.
    token : str
        An API token allowed to manage users and groups (``STATE_DIR/api_token``).
    group : str
        ``'coders'`` or ``'supervisors'``.
    users : iterable of str
        Hub user names.

    Returns
    -------
    list of str
        The group's members afterwards, sorted.
    """
    if group not in (CODERS, SUPERVISORS):
        raise ValueError(f"group must be {CODERS!r} or {SUPERVISORS!r}, not {group!r}")
    names = [str(u) for u in users]
    if not names or any(not n.strip() for n in names):
        raise ValueError(f"add_to_group needs one or more non-empty user names, not {names!r}")
    missing = [n for n in names if not _exists(hub_url, token, n)]
    if missing:
        _api(hub_url, token, "POST", "/users", {"usernames": missing})
    _api(hub_url, token, "POST", f"/groups/{quote(group, safe='')}/users", {"users": [n.lower() for n in names]})
    return group_members(hub_url, token, group)


def group_members(hub_url: str, token: str, group: str) -> list[str]:
    """The members of a hub group, sorted (JupyterHub's REST API)."""
    info = _api(hub_url, token, "GET", f"/groups/{quote(group, safe='')}")
    return sorted(info.get("users", [])) if isinstance(info, dict) else []


def exec_hub(cmd: Sequence[str], cwd: Path) -> None:
    """Become JupyterHub: replace this process with ``cmd`` run in ``cwd`` (never returns).

    JupyterHub then gets Ctrl-C and SIGTERM itself, once, and stops its proxy and every
    user's server before it exits.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(cwd)
    os.execv(cmd[0], list(cmd))
