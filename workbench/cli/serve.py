"""``workbench app`` and ``workbench hub``: the coder app and the team server."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from ._common import EXIT_OK, CommandError, _existing_file, _is_url, _not_found, _open_project, _Out, _project_url

__all__ = ["_find_app", "app_command", "_cmd_app", "_cmd_hub"]


# --- app ----------------------------------------------------------------------------------
def _find_app(name: str | None) -> Path:
    if name is not None:
        return _existing_file(name, "notebook")
    here = Path("notebooks") / "coder_app.ipynb"
    repo = Path(__file__).resolve().parents[2] / "notebooks" / "coder_app.ipynb"
    for candidate in (here, repo):
        if candidate.exists():
            return candidate
    raise CommandError(f"cannot find the coder app (looked for {here} and {repo}); pass --notebook PATH")


def app_command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The command line and the environment variables that start the coder app.

    Voilà listens on ``args.ip`` behind a token it makes (and prints in the app's address).
    """
    notebook = _find_app(args.notebook)
    url = _project_url(args)
    env = {"WB_PROJECT": url if _is_url(url) else str(Path(url).expanduser().resolve())}
    if args.round_id is not None:  # the app takes a round's name
        with _open_project(args, create=False) as project:
            try:
                env["WB_ROUND"] = project.round_info(args.round_id)["round"]
            except LookupError as exc:
                raise CommandError(_not_found(exc, args)) from exc
    elif args.round:
        env["WB_ROUND"] = args.round
    cmd = [sys.executable, "-m", "voila", str(notebook), f"--port={args.port}", f"--Voila.ip={args.ip}", "--token"]
    if args.no_browser:
        cmd.append("--no-browser")
    return cmd, env


def _cmd_app(args: argparse.Namespace, out: _Out) -> int:
    from ..hub import is_loopback

    if not 0 < args.port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, not {args.port}")
    if not is_loopback(args.ip):
        raise CommandError(
            f"workbench app will not listen on {args.ip}: its coders type their own name, so anyone who reached it "
            "could code as anyone and see their codes. It serves this machine only (--ip 127.0.0.1). For coders "
            "on other machines start the team server, where each coder logs in: workbench hub --help")
    cmd, env = app_command(args)
    line = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " " + shlex.join(cmd)
    if args.dry_run:
        out.print(line)
        return EXIT_OK
    if shutil.which("voila") is None:
        try:
            import voila  # noqa: F401
        except ImportError as exc:
            raise CommandError("Voilà is not installed: pip install voila") from exc
    out.note(f"starting the coder app: {line}\n(open the address with its token that Voilà prints; stop it with Ctrl-C)")
    try:
        return subprocess.call(cmd, env={**os.environ, **env})
    except KeyboardInterrupt:
        return EXIT_OK


# --- hub ----------------------------------------------------------------------------------
def _cmd_hub(args: argparse.Namespace, out: _Out) -> int:
    from ..hub import HubError, exec_hub, hub_command, is_loopback, jupyterhub_version, write_config
    from ..hub.command import settings_from_args

    try:
        version = jupyterhub_version()
        settings = settings_from_args(args, project=_project_url(args), coder_app=_find_app(args.notebook))
    except (HubError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    cmd, cwd = hub_command(settings)
    if args.dry_run:
        out.print(f"cd {shlex.quote(str(cwd))} && {shlex.join(cmd)}")
        return EXIT_OK
    if "://" not in settings.project:
        out.note("workbench: note: a SQLite project suits a trial on one machine; a team needs PostgreSQL "
                 "(--project postgresql://USER@HOST/DB)")
    if not is_loopback(settings.ip) and not settings.ssl_cert:
        out.note(f"workbench: warning: the hub listens on {settings.ip} over plain HTTP: passwords cross the network "
                 "unencrypted unless a reverse proxy with HTTPS stands in front (or pass --ssl-key and --ssl-cert)")
    write_config(settings)
    url, who = settings.url, ", ".join(settings.supervisors)
    out.note(f"starting the team server (JupyterHub {version}) at {url}\n"
             f"supervisor ({who}): sign up first at {url}hub/signup, before anyone else can reach the hub; "
             f"authorise sign-ups at {url}hub/authorize and put coders in the group 'coders' at {url}hub/admin\n"
             "(stop it with Ctrl-C)")
    exec_hub(cmd, cwd)  # JupyterHub takes over this process
    return EXIT_OK  # pragma: no cover - not reached
