"""The ``workbench hub`` command line: its options, and the settings they make.

The command itself lives in :mod:`workbench.cli` with every other command; what is
particular to the team server (its options, their checks) is here.

Examples
--------
>>> import argparse
>>> p = argparse.ArgumentParser()
>>> add_arguments(p)
>>> args = p.parse_args(["--supervisor", "sam", "--open-signup"])
>>> args.supervisor, args.open_signup, args.ip, args.port
(['sam'], True, '127.0.0.1', 8000)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .run import HubError, find_proxy, free_port
from .settings import HubSettings

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "settings_from_args"]

HELP = "start the team server: log-in, the coder app for coders, JupyterLab for supervisors"
DESCRIPTION = (
    "Start JupyterHub on the project (a postgresql:// URL for a team; a SQLite file for a trial on one machine). "
    "Users sign up and log in with the NativeAuthenticator; a supervisor authorises sign-ups (/hub/authorize) and "
    "puts users in the hub groups 'coders' (the Voilà coder app, coding under their log-in name) or 'supervisors' "
    "(JupyterLab) on the admin page (/hub/admin). Another JupyterHub authenticator or spawner goes in --config FILE. "
    "See deploy/README.md."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``workbench hub``'s options to ``p``."""
    p.add_argument("--supervisor", action="append", metavar="NAME",
                   help="a supervisor's hub user name: an admin of the hub, in the group 'supervisors' (repeatable; "
                        "at least one)")
    p.add_argument("--coder", action="append", metavar="NAME", help="put this hub user in the group 'coders' (repeatable)")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="the hub's public port (default: 8000)")
    p.add_argument("--open-signup", action="store_true",
                   help="sign-ups need no supervisor's approval (tests, a small trusted team)")
    p.add_argument("--round", "-r", metavar="R", help="coders code in this round")
    p.add_argument("--state-dir", default="hub-state", metavar="DIR",
                   help="the hub's own files: its user database, cookie secret, API token (default: hub-state)")
    p.add_argument("--notebook-dir", metavar="DIR", help="the folder supervisors' JupyterLab opens (default: here)")
    p.add_argument("--notebook", metavar="PATH", help="another coder app notebook")
    p.add_argument("--config", metavar="FILE", help="a further JupyterHub configuration file, loaded last")
    p.add_argument("--proxy", metavar="PATH",
                   help="configurable-http-proxy (default: node_modules/.bin here or in the workbench's folder, then PATH)")
    p.add_argument("--ssl-key", metavar="FILE", help="TLS key for the public address")
    p.add_argument("--ssl-cert", metavar="FILE", help="TLS certificate for the public address")
    p.add_argument("--min-password-length", type=int, default=8, metavar="N", help="at sign-up (default: 8)")
    p.add_argument("--hub-port", type=int, metavar="N", help="the hub's internal API on 127.0.0.1 (default: a free port)")
    p.add_argument("--proxy-api-port", type=int, metavar="N", help="the proxy's API on 127.0.0.1 (default: a free port)")
    p.add_argument("--dry-run", action="store_true", help="print the command line instead of running it")


def settings_from_args(args: argparse.Namespace, *, project: str, coder_app: Path) -> HubSettings:
    """The settings of ``workbench hub``'s arguments, checked; :class:`HubError` or ``ValueError`` says what is wrong.

    Parameters
    ----------
    args : argparse.Namespace
        ``workbench hub``'s parsed arguments.
    project : str
        The project (``--project``, ``$WB_PROJECT`` or the default): a SQLite path or a URL.
    coder_app : Path
        The coder app notebook.

    Returns
    -------
    HubSettings
    """
    if "://" not in project:
        path = Path(project).expanduser()
        if not path.exists():
            raise HubError(f"no project at {path}: create it first (workbench import ...), or pass "
                           "--project postgresql://USER@HOST/DB (a team needs PostgreSQL)")
        project = str(path.resolve())
    if not args.supervisor:
        raise HubError("name the supervisor: --supervisor NAME (they sign up first, then authorise the "
                       "coders' sign-ups and put them in the group 'coders' on the hub's admin page)")
    for flag, port in (("--port", args.port), ("--hub-port", args.hub_port), ("--proxy-api-port", args.proxy_api_port)):
        if port is not None and not 0 < port < 65536:
            raise HubError(f"{flag} must be between 1 and 65535, not {port}")
    notebook_dir = Path(args.notebook_dir or ".").expanduser()
    if not notebook_dir.is_dir():
        raise HubError(f"--notebook-dir {notebook_dir} is not a folder")
    files = {}
    for flag, value in (("--config", args.config), ("--ssl-key", args.ssl_key), ("--ssl-cert", args.ssl_cert)):
        if value is not None:
            path = Path(value).expanduser()
            if not path.is_file():
                raise HubError(f"{flag} {value}: no such file")
            files[flag] = str(path.resolve())
    return HubSettings(
        project=project, state_dir=str(Path(args.state_dir).expanduser().resolve()), ip=args.ip, port=args.port,
        hub_port=args.hub_port or free_port(), proxy_api_port=args.proxy_api_port or free_port(),
        supervisors=tuple(args.supervisor), coders=tuple(args.coder or ()), open_signup=args.open_signup,
        round=args.round, notebook_dir=str(notebook_dir.resolve()), coder_app=str(Path(coder_app).resolve()),
        proxy_command=tuple(find_proxy(args.proxy)), python=sys.executable, ssl_key=files.get("--ssl-key"),
        ssl_cert=files.get("--ssl-cert"), min_password_length=args.min_password_length,
        config_file=files.get("--config"),
    )
