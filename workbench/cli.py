"""The ``workbench`` command: import threads, check codebooks, agreement, export, reports, the coder app.

Run ``workbench --help`` or ``workbench COMMAND --help``; ``python -m workbench`` is the same.

Commands
--------
``workbench import PATH... [--format F] [--strict] [--follow-symlinks]``
    Read thread files (saved pages, copied text, exports; format sniffed unless
    ``--format``) and add their units to the project; prints per file how it was read
    (platform and structure), the counts (units, new, rejected, orphans, empty texts,
    duplicate ids, page chrome dropped) and every skipped or changed record. A file that
    cannot be read (broken, truncated, past an ingest limit) is reported and the next
    file is read; the summary names the files not read. The ingest limits are raised
    with ``WB_INGEST_*`` environment variables (see ``workbench.ingest.limits``).
``workbench codebook check FILE...``
    Validate codebook YAML files; problems are printed as ``FILE:LINE: code 'x', field
    'y': message``.
``workbench codebook diff OLD NEW``
    Differences between two codebook files, or between two versions stored in the project
    (``workbench codebook diff 1 2``).
``workbench codebook export (FILE | --version N) -o OUT``
    Write a codebook as REFI-QDA (``.qdc``), Markdown (``.md``), HTML (``.html``) or YAML.
``workbench agreement [--round NAME | --round-id N] [--measure M ...] [--by thread|source] [--weights W]``
    Inter-coder agreement per code and overall (per thread with ``--by thread``), with
    bootstrap confidence intervals; ``--format table|csv|json``.
``workbench export -o OUT.csv|OUT.xlsx|OUT.qdpx [--key KEYFILE] [--new-key] [--raw]``
    Units and codings, pseudonymised (authors, texts and ids) unless ``--raw`` (which
    needs the key as proof; the file is then readable by its owner only). The key file
    may not sit in the project's folder; ``--new-key`` creates it (by default in the
    user's configuration folder). Nothing is written when the export fails.
``workbench report NOTEBOOK [-o OUT.html] [--key KEYFILE] [--units FILE] [--no-execute]``
    Run a notebook and publish it as a standalone, offline, pseudonymised HTML report;
    exit 1 (and nothing written) when a cell fails or a name would leak. This is the one
    command line of :func:`workbench.report.publish`.
``workbench app [--port N] [--round NAME | --round-id N] [--dry-run]``
    Start the Voilà coder app (``notebooks/coder_app.ipynb``) on the project, on this
    machine only (127.0.0.1), behind a token.
``workbench hub --supervisor NAME [--port N] [--ip ADDR] [--open-signup] [--dry-run]``
    Start the team server: JupyterHub with log-in; coders get the coder app under their
    log-in name, supervisors JupyterLab (see ``deploy/README.md``).
``workbench merge OTHER... [--same-coder A=B ...] [--dry-run]``
    Append other projects' (or ``.qdpx`` exports') codings, memos and decisions to the
    project, nothing overwritten, nothing twice; exit 1 when something was not merged.
``workbench kit --coder C (--round NAME | --round-id N) -o KIT.db``
    Write a coder's kit: a project with only their units of the round, to code offline
    and merge back.
``workbench team add-coder NAME [--role coder|supervisor] | list | set-role NAME --role R | password NAME | disable NAME``
    The team: coders and their roles; on PostgreSQL each coder's database login (see
    :mod:`workbench.storage.access`).

A round is named with ``--round NAME`` (a name, never read as a number) or ``--round-id N``.

Every command takes ``--project PATH_OR_URL`` (before or after the command name; default
``data/project.db``, or the ``WB_PROJECT`` environment variable when it is set).

Exit codes
----------
===  ==========================================================================
0    success
1    the work found problems: an invalid codebook, records rejected on import, a file
     that could not be imported (broken, truncated, past a limit), a text
     imported with no thread structure recognised (read as one essay unit),
     agreement below ``--fail-under``, codebooks that differ with ``--exit-code``,
     a report that failed its checks (a failing cell, a name that would leak),
     a merge that left work out (units whose text differs, a closed round, ...)
2    usage error, bad input, missing file or project, a missing, broken or wrong
     pseudonym key (or one inside the project's folder)
3    store error: the project database cannot be opened, read or written
4    an unexpected error (a bug in the workbench: please report the traceback)
130  interrupted (Ctrl-C)
===  ==========================================================================

Progress bars (tqdm, on standard error) show on long work: importing large files and
exporting. ``--no-progress`` hides them, ``--progress`` forces them.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
workbench ...
0
>>> main(["codebook", "check", "codebooks/response-types.yaml"])
codebooks/response-types.yaml: ok (8 codes in 2 groups)
0
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "EXIT_STORE",
    "EXIT_BUG",
    "COMMANDS",
    "build_parser",
    "main",
]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_STORE = 3
EXIT_BUG = 4
EXIT_INTERRUPTED = 130

#: Every command and sub-command, as typed after ``workbench`` (the README documents each).
COMMANDS: tuple[str, ...] = (
    "import",
    "codebook check",
    "codebook diff",
    "codebook export",
    "agreement",
    "export",
    "report",
    "app",
    "team add-coder",
    "team list",
    "team set-role",
    "team password",
    "team disable",
    "hub",
    "merge",
    "kit",
)

DEFAULT_PROJECT = "data/project.db"
#: Where ``export --raw`` writes a file named without a folder (the repository's .gitignore covers it).
RAW_FOLDER = Path("exports")
_CODEBOOK_SUFFIXES = {".qdc": "REFI-QDA codebook", ".md": "Markdown", ".html": "HTML", ".htm": "HTML",
                      ".yaml": "YAML", ".yml": "YAML"}
_EXPORT_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".qdpx": "qdpx"}


class CommandError(Exception):
    """A failure the command reports in one message, with the exit code it maps to."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


# --- output helpers -----------------------------------------------------------------------
class _Out:
    """Where a command writes: results to ``stdout``, messages and bars to ``stderr``."""

    def __init__(self, stdout: TextIO, stderr: TextIO, progress: bool | None, quiet: bool = False):
        self.stdout, self.stderr = stdout, stderr
        self.quiet = quiet
        self._progress = progress

    def print(self, *args: Any) -> None:
        print(*args, file=self.stdout)

    def note(self, *args: Any) -> None:
        if not self.quiet:
            print(*args, file=self.stderr)

    def error(self, message: str) -> None:
        print(f"workbench: error: {message}", file=self.stderr)

    def progress(self, large: bool) -> bool:
        """Show a bar? Forced by --progress/--no-progress, else only for large work on a terminal."""
        if self._progress is not None:
            return self._progress
        return large and hasattr(self.stderr, "isatty") and self.stderr.isatty()

    def bar(self, total: int | None, desc: str, unit: str, show: bool):
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit=unit, disable=not show, file=self.stderr, leave=False)


def _project_url(args: argparse.Namespace) -> str:
    value = getattr(args, "project", None) or os.environ.get("WB_PROJECT") or DEFAULT_PROJECT
    return str(value)


def _is_url(value: str) -> bool:
    return "://" in value


@contextlib.contextmanager
def _open_project(args: argparse.Namespace, *, create: bool) -> Iterator[Any]:
    """Open the project; a missing SQLite file is a usage error (2), other failures store errors (3)."""
    from .errors import SchemaVersionError, StoreError
    from .project import open_project

    url = _project_url(args)
    if not _is_url(url) and not create and not Path(url).exists():
        raise CommandError(
            f"no project at {url}; import threads first (workbench --project {shlex.quote(url)} import FILE) "
            "or name another project with --project PATH_OR_URL"
        )
    try:
        project = open_project(url, create=create)
    except SchemaVersionError as exc:
        raise CommandError(str(exc), EXIT_STORE) from exc
    except StoreError as exc:
        raise CommandError(str(exc), EXIT_STORE) from exc
    try:
        yield project
    finally:
        project.close()


def _existing_file(path: str, what: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise CommandError(f"no {what} at {path}")
    if p.is_dir():
        raise CommandError(f"{path} is a folder; name the {what} itself (e.g. {path.rstrip('/')}/*.txt)")
    return p


# --- import -------------------------------------------------------------------------------
def _where(r: dict[str, Any]) -> str:
    from .errors import where

    return where(path=r.get("file") or None, line=r.get("line"), record=r.get("record"), field=r.get("field"))


#: What ``workbench import`` counts per file, in the words of its summary.
_COUNTED = (("orphan", "orphan(s)"), ("empty", "empty text(s)"), ("duplicate", "duplicate id(s)"),
            ("missing", "missing item(s) kept as placeholders"), ("chrome", "line(s) of page chrome dropped"),
            ("control", "unit(s) with control characters removed"))


def _cmd_import(args: argparse.Namespace, out: _Out) -> int:
    from .errors import StoreError, UnitsError
    from .ingest import FORMATS, load_threads

    if args.format is not None and args.format not in FORMATS:
        raise CommandError(f"unknown --format {args.format!r}; valid formats: {', '.join(sorted(FORMATS))}")
    paths = [_existing_file(p, "thread file") for p in args.paths]
    status = EXIT_OK
    totals = {"read": 0, "new": 0, "rejected": 0, "unstructured": 0, **{k: 0 for k, _ in _COUNTED}}
    not_read: list[str] = []
    with _open_project(args, create=True) as project:
        for path in paths:
            units = _read_one(args, out, path, load_threads)
            if units is None:  # reported: go on with the next file
                not_read.append(path.name)
                status = max(status, EXIT_PROBLEMS)
                continue
            try:
                new = project.add_units(units, progress=out.progress(len(units) > 50_000))
            except UnitsError as exc:
                out.error(f"{path.name}: the units are not valid, nothing was added: {exc}")
                not_read.append(path.name)
                status = max(status, EXIT_PROBLEMS)
                continue
            except StoreError as exc:
                raise CommandError(f"{path}: {exc}", EXIT_STORE) from exc
            report = list(units.attrs.get("report") or [])
            counts = dict(units.attrs.get("counts") or {})
            source = units.attrs.get("source", {})
            rejected = [r for r in report if r.get("skipped")]
            notes = [r for r in report if not r.get("skipped")]
            fmt = source.get("format", args.format)
            already = "" if new or not len(units) else " (already in the project)"
            n_rejected = max(len(rejected), int(counts.get("skipped", 0)))
            out.print(f"{path.name} ({fmt}): {len(units)} units read, {new} new{already}, "
                      f"{n_rejected} record(s) rejected")
            structure = source.get("structure")
            confidence = source.get("confidence")
            if structure == "none":
                out.print("  read as: one unit, no reply structure")
            else:
                out.print(f"  read as: {source.get('platform') or 'a site of no known platform'}; reply structure "
                          f"{structure}" + (f" (confidence {confidence:.2f})" if confidence is not None else ""))
            unplaced = [f"{counts[k]} {words}" for k, words in _COUNTED if counts.get(k)]
            if unplaced:
                out.print("  not placed or dropped: " + ", ".join(unplaced))
            unstructured = structure == "none" and any(r.get("kind") == "structure" for r in report)
            if unstructured:
                out.print("  no thread structure recognised: the file was read as one essay unit. If it is a "
                          "thread, pass --format (see --help) or save the page as HTML and import that")
                totals["unstructured"] += 1
                status = max(status, EXIT_PROBLEMS)
            for r in rejected:
                out.print(f"  rejected: {_where(r)}: {r['message']}")
            for r in notes:
                if not (unstructured and r.get("kind") == "structure"):
                    out.print(f"  note: {_where(r)}: {r['message']}")
            totals["read"] += len(units)
            totals["new"] += new
            totals["rejected"] += n_rejected
            for k, _ in _COUNTED:
                totals[k] += counts.get(k, 0)
            if n_rejected:
                status = max(status, EXIT_PROBLEMS)
        n = project.n_units()
        n_threads = len(project.threads())
    if len(paths) > 1:
        extra = "".join(f", {totals[k]} {words}" for k, words in _COUNTED if totals[k])
        if totals["unstructured"]:
            extra += f", {totals['unstructured']} file(s) with no thread structure"
        out.print(f"total: {totals['read']} units read, {totals['new']} new, {totals['rejected']} rejected{extra}")
    if not_read:
        out.print(f"{len(not_read)} of {len(paths)} file(s) not imported: {', '.join(not_read)}")
    out.print(f"project {_project_url(args)}: {n} units in {n_threads} thread(s)")
    return status


def _read_one(args: argparse.Namespace, out: _Out, path: Path, load_threads: Any) -> Any:
    """One file's units, or None when it could not be read (the reason printed, naming the file)."""
    from .errors import IngestError

    show = out.progress(path.stat().st_size > 20_000_000)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report below says it all, once
            return load_threads(path, args.format, strict=args.strict, progress=show,
                                follow_symlinks=args.follow_symlinks,
                                **({"encoding": args.encoding} if args.encoding else {}))
    except IngestError as exc:
        strict = args.strict and (exc.record is not None or exc.line is not None)
        out.error(f"{exc} (--strict: nothing was imported from {path.name})" if strict else str(exc))
    except (OSError, UnicodeError, ValueError, TypeError) as exc:
        out.error(f"{path.name}: cannot be read: {exc}")
    except (MemoryError, RecursionError) as exc:  # a limit the ingest does not know yet: still only this file
        out.error(f"{path.name}: cannot be read: it would need more {'memory' if isinstance(exc, MemoryError) else 'stack'} "
                  f"than this machine has ({type(exc).__name__}); nothing was imported from it. Please report it")
    return None


# --- codebook -----------------------------------------------------------------------------
def _problem_line(p: Any) -> str:
    """``FILE:LINE: code 'x', field 'y': message`` (the form editors jump to)."""
    text = str(p.args[0]) if p.args else str(p)
    first = text.split("\n", 1)[0]
    prefix = []
    if getattr(p, "path", None) is not None:
        prefix.append(str(p.path))
    if getattr(p, "line", None) is not None:
        prefix.append(f"line {p.line}")
    rest = []
    if getattr(p, "code", None) is not None:
        rest.append(f"code {p.code!r}")
    if getattr(p, "field", None) is not None:
        rest.append(f"field {p.field!r}")
    full = ", ".join(prefix + rest)
    message = first[len(full) + 2:] if full and first.startswith(full + ": ") else first
    head = ":".join([str(p.path)] + ([str(p.line)] if getattr(p, "line", None) is not None else [])) \
        if getattr(p, "path", None) is not None else ""
    where = ", ".join(rest)
    parts = [x for x in (head, where, message) if x]
    return ": ".join(parts)


def _load_codebook(path: Path):
    from .codebook import Codebook

    if path.suffix.lower() == ".qdc":
        from .interchange import read_qdc

        return read_qdc(path)
    return Codebook.from_yaml(path)


def _cmd_codebook_check(args: argparse.Namespace, out: _Out) -> int:
    from .errors import CodebookError, WorkbenchError

    status = EXIT_OK
    for name in args.files:
        path = _existing_file(name, "codebook file")
        try:
            cb = _load_codebook(path)
        except CodebookError as exc:
            problems = list(getattr(exc, "problems", None) or [exc])
            for p in problems:
                out.print(_problem_line(p) if getattr(p, "path", None) else f"{name}: {p}")
            out.print(f"{name}: {len(problems)} problem(s)")
            status = max(status, EXIT_PROBLEMS)
            continue
        except (ValueError, WorkbenchError) as exc:  # e.g. a .qdc that is not REFI-QDA, or beyond a limit
            text = str(exc)
            out.print(text if text.startswith(name) else f"{name}: {text}")
            status = max(status, EXIT_PROBLEMS)
            continue
        out.print(f"{name}: ok ({len(cb.codes)} codes in {len(cb.groups)} groups)")
    return status


def _version_arg(value: str) -> int | None:
    try:
        v = int(value)
    except ValueError:
        return None
    return v if v >= 1 else None


def _cmd_codebook_diff(args: argparse.Namespace, out: _Out) -> int:
    from .errors import CodebookError, NotFoundError, WorkbenchError

    old_v, new_v = _version_arg(args.old), _version_arg(args.new)
    if old_v is not None and new_v is not None and not Path(args.old).exists() and not Path(args.new).exists():
        with _open_project(args, create=False) as project:
            known = project.codebook_versions()
            have = set(known["version"]) if "version" in known.columns else set()
            for v in (old_v, new_v):
                if v not in have:
                    raise CommandError(f"the project has no codebook version {v}; versions: {sorted(have) or 'none'}")
            try:
                diff = project.codebook_diff(old_v, new_v)
            except NotFoundError as exc:
                raise CommandError(str(exc)) from exc
        label = (f"version {old_v}", f"version {new_v}")
    else:
        try:
            old = _load_codebook(_existing_file(args.old, "codebook file"))
            new = _load_codebook(_existing_file(args.new, "codebook file"))
        except CodebookError as exc:
            raise CommandError(f"{exc}\n(run: workbench codebook check FILE)", EXIT_PROBLEMS) from exc
        except WorkbenchError as exc:
            raise CommandError(str(exc)) from exc
        diff = old.diff(new)
        label = (args.old, args.new)
    if args.format == "csv":
        out.stdout.write(diff.to_frame().to_csv(index=False))
    elif args.format == "json":
        out.print(diff.to_frame().to_json(orient="records", indent=1, default_handler=str))
    else:
        out.print(f"--- {label[0]}\n+++ {label[1]}")
        out.print(str(diff))
    return EXIT_PROBLEMS if (args.exit_code and diff) else EXIT_OK


def _cmd_codebook_export(args: argparse.Namespace, out: _Out) -> int:
    from .errors import CodebookError, WorkbenchError
    from .interchange._files import atomic_write

    target = Path(args.output).expanduser()
    suffix = target.suffix.lower()
    if suffix not in _CODEBOOK_SUFFIXES:
        raise CommandError(
            f"cannot tell what to write from {args.output!r}; use a file ending in "
            + ", ".join(sorted(_CODEBOOK_SUFFIXES))
        )
    if (args.file is None) == (args.version is None):
        raise CommandError("name a codebook: either a FILE or --version N (a version stored in the project)")
    if args.file is not None:
        try:
            cb = _load_codebook(_existing_file(args.file, "codebook file"))
        except CodebookError as exc:
            raise CommandError(f"{exc}\n(run: workbench codebook check {args.file})", EXIT_PROBLEMS) from exc
        except WorkbenchError as exc:
            raise CommandError(str(exc)) from exc
    else:
        with _open_project(args, create=False) as project:
            versions = project.codebook_versions()
            have = sorted(versions["version"]) if "version" in versions.columns else []
            version = have[-1] if (args.version == "latest" and have) else _version_arg(str(args.version))
            if version not in have:
                raise CommandError(f"the project has no codebook version {args.version}; versions: {have or 'none'}")
            cb = project.codebook(version)
    examples = not args.no_examples
    text: str
    if suffix == ".qdc":
        from .interchange import write_qdc

        text = write_qdc(cb)
    elif suffix == ".md":
        text = cb.to_markdown(examples=examples)
    elif suffix in (".html", ".htm"):
        import html

        title = html.escape(cb.title or cb.name)
        text = (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n"
            f"{cb.to_html(examples=examples)}\n</body></html>\n"
        )
    else:
        text = cb.to_yaml()
    atomic_write(target, lambda p: p.write_text(text, encoding="utf-8"), private=False)
    out.print(f"wrote {target} ({_CODEBOOK_SUFFIXES[suffix]}, codebook {cb.name}, {len(cb.codes)} codes)")
    return EXIT_OK


# --- rounds and the team -------------------------------------------------------------------
def _round(args: argparse.Namespace) -> str | int | None:
    """``--round NAME`` (a name, even when it looks like a number) or ``--round-id N``; None: neither."""
    if getattr(args, "round_id", None) is not None:
        if args.round is not None:
            raise CommandError("give --round NAME or --round-id N, not both")
        if args.round_id < 1:
            raise CommandError(f"--round-id must be a round's id (1, 2, ...), not {args.round_id}")
        return int(args.round_id)
    return args.round


def _not_found(exc: BaseException, args: argparse.Namespace) -> str:
    message = str(exc.args[0] if exc.args else exc)
    name = getattr(args, "round", None)
    if name is not None and name.isdigit():
        message += f" (--round takes a name; for the round with id {name} use --round-id {name})"
    return message


def _cmd_team(args: argparse.Namespace, out: _Out) -> int:
    import secrets

    from .errors import WorkbenchError
    from .storage.access import login_url

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


# --- agreement ----------------------------------------------------------------------------
def _cmd_agreement(args: argparse.Namespace, out: _Out) -> int:
    from .agreement import MEASURES, OVERALL
    from .errors import NotFoundError
    from .sentinels import ALL_ROUNDS

    measures = args.measure or ["alpha"]
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise CommandError(f"unknown --measure {unknown}; valid measures: {', '.join(sorted(MEASURES))}")
    if args.n_boot < 1:
        raise CommandError(f"--n-boot must be a positive integer, not {args.n_boot}")
    round_ = _round(args)
    with _open_project(args, create=False) as project:
        try:
            codings = project.codings(round=ALL_ROUNDS if round_ is None else round_)
            if codings.empty:
                where = "" if round_ is None else f" in round {round_!r}"
                raise CommandError(f"there are no codings{where} yet; nothing to compare", EXIT_PROBLEMS)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # undefined coefficients say why in 'interpretation'
                table = project.agreement(
                    round=ALL_ROUNDS if round_ is None else round_,
                    codes=args.code or None,
                    coders=args.coder or None,
                    measures=measures,
                    ci=not args.no_ci,
                    n_boot=args.n_boot,
                    seed=args.seed,
                    by=args.by,
                    weights=args.weights,
                )
        except NotFoundError as exc:
            raise CommandError(_not_found(exc, args)) from exc
    if table.empty or (table["n_pairable"] == 0).all():
        out.print("no unit was coded by two or more coders; agreement is undefined")
        return EXIT_PROBLEMS
    if args.format == "csv":
        out.stdout.write(table.to_csv(index=False))
    elif args.format == "json":
        out.print(table.to_json(orient="records", indent=1))
    else:
        import pandas as pd

        with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 500,
                               "display.max_colwidth", 60):
            out.print(table.round({"value": 3, "ci_low": 3, "ci_high": 3}).to_string(index=False))
    if args.fail_under is not None:
        overall = table[(table["code"] == OVERALL) & (table["measure"] == measures[0])]
        if args.by is not None:  # every group with units coded twice or more
            overall = overall[overall["n_pairable"] > 0]
            low = overall[~(overall["value"] >= args.fail_under)]
            if len(low):
                names = ", ".join(f"{g} ({v:.3f})" for g, v in zip(low[table.columns[0]], low["value"], strict=True))
                out.note(f"overall {measures[0]} is below --fail-under {args.fail_under} in {names}")
                return EXIT_PROBLEMS
            return EXIT_OK
        value = float(overall["value"].iloc[0]) if len(overall) else float("nan")
        if not value >= args.fail_under:  # NaN fails too
            out.note(f"overall {measures[0]} {value:.3f} is below --fail-under {args.fail_under}")
            return EXIT_PROBLEMS
    return EXIT_OK


# --- export -------------------------------------------------------------------------------
def _key_path(args: argparse.Namespace) -> Path | None:
    """The key file the command names (with ``--new-key`` and no ``--key``: the default place).

    One rule for every command: a key file inside the project's folder is refused.
    """
    from .privacy import PrivacyError, check_key_place, default_key_path

    url = _project_url(args)
    if args.key is None:
        if not getattr(args, "new_key", False):
            return None
        path = default_key_path(url)
    else:
        path = Path(args.key).expanduser()
    try:
        return check_key_place(path, url)
    except PrivacyError as exc:
        raise CommandError(str(exc).replace(", or pass allow_near_project=True", "") + " (nothing was written)") from exc


def _read_key(path: Path):
    """The key in ``path``; a file that is not a valid key is a usage error (exit 2), never a traceback."""
    from .privacy import PrivacyError, PseudonymKey

    try:
        return PseudonymKey.load(path)  # warns when other users may read the file
    except PrivacyError as exc:
        raise CommandError(f"{exc}\n(--key names the pseudonym key file of this project; nothing was written)") from exc


def _new_key(project: Any, path: Path):
    """A new key saved at ``path`` (0600), unless the project is bound to another key already."""
    from .privacy import PrivacyError, PseudonymKey, privacy_state

    bound = privacy_state(project).get("key_id")
    if bound is not None:
        raise CommandError(
            f"this project is bound to the pseudonym key {bound}; --new-key would make another one. "
            "Name the project's key file with --key (nothing was written)"
        )
    key = PseudonymKey()
    try:
        key.save(path, project=project)
    except PrivacyError as exc:
        raise CommandError(str(exc).replace(", or pass allow_near_project=True", "")) from exc
    except OSError as exc:
        raise CommandError(f"cannot write the pseudonym key {path}: {exc.strerror or exc} (nothing was written)") from exc
    return key


def _export_file(args: argparse.Namespace, project: Any, target: Path, kind: str, key: Any, round_: Any) -> Path:
    from .errors import NotFoundError, WorkbenchError
    from .privacy import PrivacyError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if kind == "qdpx":
                from .interchange import write_qdpx

                return write_qdpx(project, target, raw=args.raw, key=key, coder=args.coder or None, round=round_)
            if args.units_only:
                from .interchange import export_units

                return export_units(project, target, raw=args.raw, key=key)
            from .interchange import export_codings

            return export_codings(project, target, raw=args.raw, key=key, coder=args.coder or None, round=round_)
    except PrivacyError as exc:
        raise CommandError(f"{exc}\n(the CLI takes the key as --key KEYFILE; --new-key creates it)") from exc
    except NotFoundError as exc:
        raise CommandError(_not_found(exc, args)) from exc
    except WorkbenchError as exc:
        raise CommandError(str(exc)) from exc


def _cmd_export(args: argparse.Namespace, out: _Out) -> int:
    from .privacy import privacy_state

    target = Path(args.output).expanduser()
    kind = _EXPORT_SUFFIXES.get(target.suffix.lower())
    if kind is None:
        raise CommandError(f"cannot tell the export format from {args.output!r}; use a file ending in "
                           + ", ".join(sorted(_EXPORT_SUFFIXES)))
    if kind == "qdpx" and args.units_only:
        raise CommandError("--units-only writes CSV or XLSX; a .qdpx project always holds units and codings")
    if args.raw and args.key is None:
        raise CommandError("--raw exports real names and needs the pseudonym key as proof: add --key KEYFILE")
    if args.raw and not target.is_absolute() and target.parent == Path("."):
        target = RAW_FOLDER / target  # real names go where the repository's .gitignore keeps them out of git
        target.parent.mkdir(parents=True, exist_ok=True)
    from .sentinels import ALL_ROUNDS

    round_: Any = _round(args)
    round_ = ALL_ROUNDS if round_ is None else round_
    key_path = _key_path(args)
    key = None
    if key_path is not None and key_path.exists():
        key = _read_key(key_path)
    elif key_path is not None and not args.new_key:
        raise CommandError(f"no pseudonym key at {args.key}; pass --new-key to create one there")
    with _open_project(args, create=False) as project:
        made: Path | None = None  # the key file this command creates
        if key is None and key_path is not None:
            key, made = _new_key(project, key_path), key_path
        n = project.n_units()
        show = out.progress(n > 20_000)
        bar = out.bar(3, f"Exporting {target.name}", "step", show)
        try:
            bar.set_postfix_str("reading the project")
            bar.update(1)
            written = _export_file(args, project, target, kind, key, round_)
            bar.update(2)
        except BaseException:
            # a key made for an export that failed goes too, unless the project is bound to it now
            if made is not None and privacy_state(project).get("key_id") != getattr(key, "key_id", None):
                made.unlink(missing_ok=True)
            raise
        finally:
            bar.close()
    if made is not None:
        out.note(f"created the pseudonym key {made} (readable by you only); back it up and keep it apart "
                 "from the project: later exports need it for the same pseudonyms and ids")
    what = "units" if args.units_only else "units and codings"
    data = "raw (real names: readable by you only, keep it private)" if args.raw else "pseudonymised"
    out.print(f"wrote {written} ({what} of {n} units, {data})")
    return EXIT_OK


# --- report -------------------------------------------------------------------------------
def _cmd_report(args: argparse.Namespace, out: _Out) -> int:
    notebook = _existing_file(args.notebook, "notebook")
    if notebook.suffix != ".ipynb":
        raise CommandError(f"{args.notebook} is not a Jupyter notebook (.ipynb)")
    if args.raw and args.key is None:
        raise CommandError("--raw publishes real names and needs the pseudonym key as proof: add --key KEYFILE")
    try:
        from .report.publish import publish
    except ImportError as exc:
        raise CommandError(
            f"publishing is not available in this installation ({exc}); "
            "reinstall the workbench with: pip install -e .", EXIT_USAGE
        ) from exc
    from .privacy import PrivacyError

    output = Path(args.output).expanduser() if args.output else notebook.with_suffix(".html")
    options: dict[str, Any] = {}
    key_path = _key_path(args)  # one rule: never inside the project's folder
    if key_path is not None:
        if key_path.exists():
            _read_key(key_path)  # a broken key file is said now, before the notebook runs
        options["key"] = str(key_path)
    if args.raw:
        options["pseudonymise"] = False
    if args.units:
        options["units"] = [str(_existing_file(u, "thread file")) for u in args.units]
    if args.no_execute:
        if not (args.protect_project or args.units or args.no_data):
            raise CommandError("--no-execute cannot see which data the notebook used: add --protect-project "
                               "(with --project PATH) or --units FILE to name the data whose authors must not "
                               "appear, or --no-data to state that the notebook shows none")
        options["execute"] = False
        if args.no_data and "units" not in options:
            options["units"] = []
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.kernel is not None:
        options["kernel_name"] = args.kernel
    if args.cwd is not None:
        if not Path(args.cwd).is_dir():
            raise CommandError(f"--cwd {args.cwd}: no such folder")
        options["cwd"] = args.cwd
    if args.protect_project:
        url = _project_url(args)
        if not _is_url(url) and not Path(url).exists():
            raise CommandError(f"no project at {url} (--protect-project protects the names in a project's units)")
        options["project"] = url
    out.note(f"running {notebook} and publishing it ...")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            written = publish(notebook, output, **options)
        for w in caught:
            if issubclass(w.category, UserWarning):
                out.note(f"workbench: warning: {str(w.message).replace('pass key=', 'pass --key KEYFILE')}")
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from exc
    except PrivacyError as exc:
        raise CommandError(str(exc)) from exc
    except (ValueError, TypeError) as exc:  # bad input: the output's suffix, the timeout, ...
        raise CommandError(str(exc)) from exc
    except Exception as exc:
        if type(exc).__name__ == "PublishError":  # a failing cell or a name that would leak
            out.error(f"{exc}\nnothing was written")
            return EXIT_PROBLEMS
        raise
    out.print(f"wrote {written or output}")
    return EXIT_OK


# --- app ----------------------------------------------------------------------------------
def _find_app(name: str | None) -> Path:
    if name is not None:
        return _existing_file(name, "notebook")
    here = Path("notebooks") / "coder_app.ipynb"
    repo = Path(__file__).resolve().parent.parent / "notebooks" / "coder_app.ipynb"
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
    from .hub import is_loopback

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
    from .hub import HubError, exec_hub, hub_command, is_loopback, jupyterhub_version, write_config
    from .hub.command import settings_from_args

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


# --- merge and kit -----------------------------------------------------------------------
def _same_coders(pairs: Sequence[str] | None) -> dict[str, str]:
    """``--same-coder A=B`` (or ``A``, meaning ``A=A``) as ``{A: B}``."""
    out: dict[str, str] = {}
    for pair in pairs or ():
        other, sep, here = pair.partition("=")
        other, here = other.strip(), (here if sep else other).strip()
        if not other or not here:
            raise CommandError(f"--same-coder {pair!r}: give NAME_THERE=NAME_HERE, e.g. --same-coder alice=alice")
        if other in out and out[other] != here:
            raise CommandError(f"--same-coder names {other!r} twice ({out[other]!r} and {here!r})")
        out[other] = here
    return out


def _cmd_merge(args: argparse.Namespace, out: _Out) -> int:
    import pandas as pd

    from .errors import StoreError, WorkbenchError
    from .storage.merge import REPORT_COLUMNS, MergeSource

    same = _same_coders(args.same_coder)
    others = [o if _is_url(o) else str(_existing_file(o, "project or .qdpx file to merge")) for o in args.others]
    status = EXIT_OK
    with _open_project(args, create=False) as project:
        for other in others:
            try:
                if other.lower().endswith(".qdpx"):
                    from .interchange import read_qdpx

                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # the report lists what reading found
                        source: Any = MergeSource.from_refi(read_qdpx(other), name=other)
                else:
                    source = other
                report = project.merge(source, same_coder=same, dry_run=args.dry_run)
            except StoreError:
                raise
            except (WorkbenchError, TypeError, ValueError) as exc:  # e.g. same-named coders: nothing was written
                out.error(f"{other}: {exc.args[0] if exc.args else exc}")
                status = max(status, EXIT_USAGE)
                continue
            merged = report.set_index("kind")
            head = "would merge" if args.dry_run else "merged"
            out.print(f"{head} {other}: " + ", ".join(
                f"{int(merged.loc[k, 'n_merged'])} {k}" for k in ("events", "memos", "adjudications")
            ) + f" ({int(merged.loc['events', 'n_already'])} events already here)")
            with pd.option_context("display.width", 200, "display.max_colwidth", 90):
                out.print(report[REPORT_COLUMNS[:5]].to_string(index=False))
            for line in report["detail"]:
                for part in [p for p in line.split("; ") if p]:
                    out.print(f"  {part}")
            if report.attrs["problems"]:
                out.print(f"{len(report.attrs['problems'])} problem(s): see above; what was not merged stays out")
                status = max(status, EXIT_PROBLEMS)
    if args.dry_run:
        out.note("dry run: nothing was written")
    return status


def _cmd_kit(args: argparse.Namespace, out: _Out) -> int:
    from .errors import NotFoundError

    target = Path(args.output).expanduser() if not _is_url(args.output) else args.output
    if isinstance(target, Path) and target.exists():
        raise CommandError(f"{target} exists; a kit is written to a new file (choose another name or remove it)")
    round_ = _round(args)
    if round_ is None:
        raise CommandError("a kit is for one round: give --round NAME or --round-id N")
    with _open_project(args, create=False) as project:
        try:
            made = project.kit(target, coder=args.coder, round=round_)
        except NotFoundError as exc:
            raise CommandError(_not_found(exc, args)) from exc
        except ValueError as exc:
            raise CommandError(str(exc.args[0] if exc.args else exc)) from exc
    where = str(Path(made["path"]).resolve()) if isinstance(target, Path) else made["path"]
    out.print(f"wrote {made['path']}: a kit for {made['coder']} in round {made['round']!r}: {made['n_units']} unit(s) "
              f"to code, {made['n_context']} more for context, codebook version {made['codebook_version']}, "
              f"{made['n_events']} coding event(s) so far")
    out.print(f"the coder opens it with: WB_PROJECT={shlex.quote(where)} make app   "
              f"(or: workbench --project {shlex.quote(str(made['path']))} app)")
    out.print(f"bring it back with: workbench --project {shlex.quote(_project_url(args))} merge "
              f"{shlex.quote(str(made['path']))}")
    return EXIT_OK


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
    from . import __version__

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
    from .ingest import FORMATS

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

    from .agreement import MEASURES, WEIGHTS

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
    from .hub import command as hub_command_line

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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``workbench`` command; returns the exit code (see the module docstring).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``workbench`` (default: ``sys.argv[1:]``).

    Examples
    --------
    >>> main(["codebook", "check", "no/such/file.yaml"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    out = _Out(sys.stdout, sys.stderr, getattr(args, "progress", None))
    try:
        return int(args.func(args, out))
    except CommandError as exc:
        out.error(str(exc))
        return exc.code
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_INTERRUPTED
    except BaseException as exc:  # noqa: BLE001 - mapped onto the documented exit codes
        from sqlalchemy.exc import SQLAlchemyError

        from .errors import StoreError

        if isinstance(exc, SystemExit):
            raise
        if isinstance(exc, (StoreError, SQLAlchemyError)):
            out.error(f"store error: {exc}")
            return EXIT_STORE
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            out.error(str(exc))
            return EXIT_USAGE
        traceback.print_exc(file=sys.stderr)
        out.error(f"unexpected {type(exc).__name__}: {exc} (a bug in the workbench: please report the traceback above)")
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
