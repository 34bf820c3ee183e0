"""The argument parser of the ``workbench`` command: every command and its options."""

from __future__ import annotations

import argparse

from ._common import DEFAULT_PROJECT
from .agreement import _cmd_agreement
from .codebook import _cmd_codebook_check, _cmd_codebook_diff, _cmd_codebook_export
from .export import _cmd_export
from .importing import _cmd_import
from .merge import _cmd_kit, _cmd_merge
from .report import _cmd_report
from .serve import _cmd_app, _cmd_hub
from .team import _cmd_team

__all__ = ["_EPILOG", "build_parser"]


# --- the parser ---------------------------------------------------------------------------
_EPILOG = """exit codes: 0 success; 1 the work found problems (invalid codebook, rejected records,
agreement below --fail-under); 2 usage error, bad input or missing file; 3 store error;
4 unexpected error (please report it)"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``workbench`` command.

    Examples
    --------
    >>> parser = build_parser()
    >>> args = parser.parse_args(["agreement", "--round", "pilot", "--format", "csv"])
    >>> args.command, args.round, args.format
    ('agreement', 'pilot', 'csv')
    """
    from .. import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--project", metavar="PATH_OR_URL", default=argparse.SUPPRESS,
                        help=f"the project: a SQLite file or a postgresql:// URL (default: $WB_PROJECT or {DEFAULT_PROJECT})")
    bars = common.add_mutually_exclusive_group()
    bars.add_argument("--progress", dest="progress", action="store_true", default=argparse.SUPPRESS,
                      help="always show progress bars")
    bars.add_argument("--no-progress", dest="progress", action="store_false", default=argparse.SUPPRESS,
                      help="never show progress bars")

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Qualitative coding of online conversation threads: import, codebooks, agreement, export, reports.",
        epilog=_EPILOG,
        formatter_class=fmt,
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("--project", metavar="PATH_OR_URL", default=None,
                        help=f"the project: a SQLite file or a postgresql:// URL (default: $WB_PROJECT or {DEFAULT_PROJECT})")
    pbars = parser.add_mutually_exclusive_group()
    pbars.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show progress bars")
    pbars.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("import", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                       help="read thread files and add their units to the project",
                       description="Read thread files (format sniffed from each file unless --format) and add their "
                                   "units to the project. Re-importing a file adds nothing. Prints the counts and every "
                                   "rejected record; a file that cannot be read is reported and the next one read. "
                                   "Exit 1 when records or files were rejected. Ingest limits (decompressed size, JSON "
                                   "depth, line length, ...) are raised with WB_INGEST_* environment variables.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="thread files (a copied comment section, an export, a table)")
    from ..ingest import FORMATS

    p.add_argument("--format", "-f", metavar="F",
                   help=f"the format of every file, one of: {', '.join(FORMATS)} (sniffed from each file by default)")
    p.add_argument("--strict", action="store_true", help="reject a whole file at its first bad record")
    p.add_argument("--encoding", metavar="ENC", help="the files' text encoding (default: UTF-8, cp1252 fallback)")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="read files that are symbolic links to a file outside their folder (refused by default)")
    p.set_defaults(func=_cmd_import)

    cb = sub.add_parser("codebook", help="check, compare and export codebooks",
                        description="Check, compare and export codebooks.")
    cbs = cb.add_subparsers(dest="codebook_command", metavar="SUBCOMMAND", required=True)
    c = cbs.add_parser("check", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                       help="validate codebook files",
                       description="Validate codebook YAML (or REFI-QDA .qdc) files. Problems are printed as "
                                   "FILE:LINE: code 'x', field 'y': message. Exit 1 when a codebook is invalid.")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.set_defaults(func=_cmd_codebook_check)
    c = cbs.add_parser("diff", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                       help="differences between two codebooks or two stored versions",
                       description="Differences between two codebook files, or between two codebook versions "
                                   "stored in the project (workbench codebook diff 1 2).")
    c.add_argument("old", metavar="OLD", help="a codebook file or a version number")
    c.add_argument("new", metavar="NEW", help="a codebook file or a version number")
    c.add_argument("--format", choices=("text", "csv", "json"), default="text")
    c.add_argument("--exit-code", action="store_true", help="exit 1 when the codebooks differ (as git diff --exit-code)")
    c.set_defaults(func=_cmd_codebook_diff)
    c = cbs.add_parser("export", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                       help="write a codebook as .qdc, .md, .html or .yaml",
                       description="Write a codebook file, or a version stored in the project, as REFI-QDA (.qdc, "
                                   "for NVivo, ATLAS.ti, MAXQDA), Markdown (.md), HTML (.html) or YAML; the "
                                   "output's suffix says which.")
    c.add_argument("file", nargs="?", metavar="FILE", help="a codebook YAML file")
    c.add_argument("--version", metavar="N", help="a codebook version stored in the project ('latest' for the newest)")
    c.add_argument("-o", "--output", required=True, metavar="OUT", help="OUT.qdc, OUT.md, OUT.html or OUT.yaml")
    c.add_argument("--no-examples", action="store_true", help="leave the anchor examples out (.md, .html)")
    c.set_defaults(func=_cmd_codebook_export)

    from ..agreement import MEASURES, WEIGHTS

    p = sub.add_parser("agreement", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                       help="inter-coder agreement per code and overall",
                       description="Inter-coder agreement per code, per exclusive group and overall, with 95% "
                                   "bootstrap confidence intervals. Exit 1 when no unit was coded twice or the "
                                   "overall value is below --fail-under.")
    p.add_argument("--round", "-r", metavar="NAME", help="a round's name (default: all current codings)")
    p.add_argument("--round-id", type=int, metavar="N", help="a round's id")
    p.add_argument("--measure", "-m", nargs="+", metavar="M", choices=sorted(MEASURES),
                   help=f"one or more of: {', '.join(sorted(MEASURES))} (default: alpha)")
    p.add_argument("--code", nargs="+", metavar="CODE", help="only these codes")
    p.add_argument("--coder", nargs="+", metavar="CODER", help="only these coders")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--no-ci", action="store_true", help="skip the bootstrap confidence intervals (faster)")
    p.add_argument("--n-boot", type=int, default=1000, metavar="N", help="bootstrap resamples (default: 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    p.add_argument("--fail-under", type=float, metavar="X",
                   help="exit 1 when the overall value of the first measure is below X (e.g. 0.8)")
    p.add_argument("--by", choices=("thread", "source"),
                   help="one report per thread (or per source platform), each on its own units; "
                        "--fail-under then checks every group with units coded twice")
    p.add_argument("--weights", choices=WEIGHTS, metavar="W",
                   help=f"weights for the kappa family and percent agreement: {', '.join(WEIGHTS)}")
    p.set_defaults(func=_cmd_agreement)

    p = sub.add_parser("export", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                       help="write units and codings as CSV, XLSX or REFI-QDA .qdpx",
                       description="Write the units with their codings (one row per unit, coder and code) as CSV "
                                   "or XLSX, or the whole project as REFI-QDA (.qdpx). Authors are pseudonymised and "
                                   "contact data redacted unless --raw; a project holding raw data needs its "
                                   "pseudonym key (--key) either way.")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="OUT.csv, OUT.xlsx or OUT.qdpx")
    p.add_argument("--key", metavar="KEYFILE",
                   help="the project's pseudonym key file (never inside the project's folder)")
    p.add_argument("--new-key", action="store_true",
                   help="create the key file named by --key if it does not exist (without --key: in your "
                        "configuration folder, ~/.config/workbench/keys/, or $WB_KEY_DIR); nothing is created "
                        "when the export fails")
    p.add_argument("--raw", action="store_true",
                   help="real names (needs --key as proof); the file is made private, and written under exports/ "
                        "(ignored by git) when -o names no folder")
    p.add_argument("--units-only", action="store_true", help="the units without codings (CSV, XLSX)")
    p.add_argument("--round", "-r", metavar="NAME", help="only this round's codings (the round's name)")
    p.add_argument("--round-id", type=int, metavar="N", help="only the codings of the round with this id")
    p.add_argument("--coder", nargs="+", metavar="CODER", help="only these coders' codings")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("report", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                       help="run a notebook and publish it as standalone HTML",
                       description="Run a notebook top to bottom and publish it as a standalone, offline HTML report.")
    p.add_argument("notebook", metavar="NOTEBOOK", help="a .ipynb file, e.g. notebooks/02_reliability.ipynb")
    p.add_argument("-o", "--output", metavar="OUT.html", help="default: the notebook's name with .html")
    p.add_argument("--key", metavar="KEYFILE",
                   help="the study's pseudonym key, so the report's pseudonyms match other exports "
                        "(created when the file does not exist)")
    p.add_argument("--raw", action="store_true", help="publish real names (needs --key as proof)")
    p.add_argument("--no-execute", action="store_true", help="publish the saved outputs without running the notebook")
    p.add_argument("--timeout", type=int, metavar="SECONDS", help="seconds one cell may run (default: 600)")
    p.add_argument("--protect-project", action="store_true",
                   help="also protect the names in the units of the project (--project)")
    p.add_argument("--units", action="append", metavar="FILE",
                   help="also protect the names in this thread file (repeatable)")
    p.add_argument("--no-data", action="store_true",
                   help="with --no-execute: state that the notebook shows no personal data")
    p.add_argument("--kernel", metavar="NAME", help="the Jupyter kernel to run the notebook in (default: python3)")
    p.add_argument("--cwd", metavar="DIR", help="the folder to run the notebook in (default: the notebook's folder)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("app", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                       help="start the Voilà coder app for lay coders",
                       description="Start the coding panel as a Voilà app (notebooks/coder_app.ipynb) on the project: "
                                   "coders see the panel, no code. It serves this machine only, behind a token that Voilà "
                                   "prints in the app's address; coders type their name. For a team, where each coder "
                                   "logs in, use workbench hub.")
    p.add_argument("--port", type=int, default=8866, help="default: 8866")
    p.add_argument("--ip", default="127.0.0.1",
                   help="address to listen on: this machine only (127.0.0.1, the default, or ::1); for coders on "
                        "other machines use workbench hub")
    p.add_argument("--round", "-r", metavar="NAME", help="code in this round (its name)")
    p.add_argument("--round-id", type=int, metavar="N", help="code in the round with this id")
    p.add_argument("--notebook", metavar="PATH", help="another app notebook")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--dry-run", action="store_true", help="print the command line instead of running it")
    p.set_defaults(func=_cmd_app)

    team = sub.add_parser("team", help="the coders, their roles and their database logins",
                          description="The coders, their roles and, on PostgreSQL, their database logins "
                                      "(see workbench.storage.access). Run on the project's owner login.")
    teams = team.add_subparsers(dest="team_command", metavar="SUBCOMMAND", required=True)
    t = teams.add_parser("add-coder", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                         help="add a coder; on PostgreSQL with a database login",
                         description="Add a coder with a role. On PostgreSQL also create their login role, "
                                     "grants and row-level security (a password is made and shown once unless "
                                     "--password-stdin or --no-password).")
    t.add_argument("name", metavar="NAME")
    t.add_argument("--role", choices=("coder", "supervisor"), help="default: coder")
    how = t.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the login's password from standard input")
    how.add_argument("--no-password", action="store_true",
                     help="a login without a password (certificate or peer authentication)")
    how.add_argument("--no-login", action="store_true", help="no database login (the owner codes for them)")
    t.set_defaults(func=_cmd_team)
    t = teams.add_parser("list", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                         help="the coders, their roles and logins", description="The coders, their roles and logins.")
    t.add_argument("--format", choices=("table", "csv"), default="table")
    t.set_defaults(func=_cmd_team)
    t = teams.add_parser("set-role", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                         help="make a coder a coder or a supervisor",
                         description="Make a coder a coder or a supervisor (their login moves with them).")
    t.add_argument("name", metavar="NAME")
    t.add_argument("--role", choices=("coder", "supervisor"), required=True)
    t.set_defaults(func=_cmd_team)
    t = teams.add_parser("password", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                         help="give a coder's login a new password (PostgreSQL)",
                         description="Give a coder's database login a new password, made and shown once unless "
                                     "--password-stdin; creates the login if there is none.")
    t.add_argument("name", metavar="NAME")
    t.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    t.set_defaults(func=_cmd_team, no_password=False)
    t = teams.add_parser("disable", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                         help="stop a coder's login from connecting (PostgreSQL)",
                         description="Stop a coder's database login from connecting; their codings stay.")
    t.add_argument("name", metavar="NAME")
    t.set_defaults(func=_cmd_team)
    from ..hub import command as hub_command_line

    p = sub.add_parser("hub", parents=[common], formatter_class=fmt, epilog=_EPILOG, help=hub_command_line.HELP,
                       description=hub_command_line.DESCRIPTION)
    hub_command_line.add_arguments(p)
    p.set_defaults(func=_cmd_hub)

    p = sub.add_parser("merge", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                       help="merge other projects' or .qdpx exports' codings into the project",
                       description="Append the coding events, memos, flags and decisions of other projects (SQLite "
                                   "files, URLs, coders' kits) or .qdpx exports to the project, with their coder, "
                                   "round, codebook version and time. Nothing is overwritten; merging again changes "
                                   "nothing. Units are matched by id and text; the work on a unit whose text differs "
                                   "is not merged. Exit 1 when something was left out, 2 when a coder's name is in "
                                   "both projects and --same-coder does not say who they are.")
    p.add_argument("others", nargs="+", metavar="OTHER", help="another project (a .db file or a URL) or a .qdpx export")
    p.add_argument("--same-coder", action="append", metavar="A=B",
                   help="coder A of OTHER is coder B of this project (or a new coder B); repeat for each")
    p.add_argument("--dry-run", action="store_true", help="report what would be merged and write nothing")
    p.set_defaults(func=_cmd_merge)

    p = sub.add_parser("kit", parents=[common], formatter_class=fmt, epilog=_EPILOG,
                       help="write a coder's kit: their units of a round, to code offline and merge back",
                       description="Write a new project holding only what one coder needs for one round: their "
                                   "assigned units (and the posts they reply to, for context), the round's codebook "
                                   "version and their codings so far. They code it in the coder app; merge it back "
                                   "with workbench merge.")
    p.add_argument("--coder", required=True, metavar="C", help="the coder the kit is for")
    p.add_argument("--round", "-r", metavar="NAME", help="the round (open) to code, by its name")
    p.add_argument("--round-id", type=int, metavar="N", help="the round (open) to code, by its id")
    p.add_argument("-o", "--output", required=True, metavar="KIT.db", help="a new SQLite file (or an empty database URL)")
    p.set_defaults(func=_cmd_kit)
    return parser
