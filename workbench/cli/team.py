"""``workbench team``: the coders, their roles and their database logins."""

from __future__ import annotations

import argparse
import sys

from ._common import EXIT_OK, CommandError, _open_project, _Out

__all__ = ["_cmd_team"]


def _cmd_team(args: argparse.Namespace, out: _Out) -> int:
    import secrets

    from ..errors import WorkbenchError
    from ..storage.access import login_url

    with _open_project(args, create=args.team_command == "add-coder") as project:
        postgres = project.dialect == "postgresql"
        try:
            if args.team_command == "list":
                table = project.logins()
                if args.format == "csv":
                    out.stdout.write(table.to_csv(index=False))
                else:
                    out.print(table.to_string(index=False) if len(table) else "no coders yet")
                return EXIT_OK
            if args.team_command == "set-role":
                project.set_role(args.name, args.role)
                out.print(f"{args.name!r} is a {args.role} now")
                return EXIT_OK
            if args.team_command == "disable":
                out.print(f"the login {project.disable_login(args.name)} of {args.name!r} can no longer connect; "
                          "their codings stay")
                return EXIT_OK
            name = args.name
            if args.team_command == "add-coder":
                name = project.add_coder(args.name, role=args.role)
                out.print(f"coder {name!r} ({args.role or 'coder'}) is in the project")
                if not postgres or args.no_login:
                    if not postgres:
                        out.note("SQLite has no database logins: the coder a project is opened for "
                                 "(open_project(path, coder=...)) is kept by the workbench only")
                    return EXIT_OK
            if args.no_password:
                password = None
            elif args.password_stdin:
                password = sys.stdin.readline().rstrip("\n")
            else:
                password = secrets.token_urlsafe(18)
            login = project.create_login(name, password=password)
        except (WorkbenchError, ValueError) as exc:
            raise CommandError(str(exc.args[0] if exc.args else exc)) from exc
        url = login_url(str(project.engine.url.set(drivername="postgresql")), name)
    out.print(f"database login: {login}")
    if password is not None and not args.password_stdin:
        out.print(f"password (shown once; give it to {name} and keep it nowhere else): {password}")
    elif password is None:
        out.print("no password: authenticate the login by certificate or peer (pg_hba.conf, pg_ident.conf)")
    out.print(f"{name} opens the project with: {url}")
    return EXIT_OK
