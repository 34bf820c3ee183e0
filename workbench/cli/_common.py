"""What every command shares: exit codes, the command error, output, the project to open."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "EXIT_STORE", "EXIT_BUG", "EXIT_INTERRUPTED", "COMMANDS", "DEFAULT_PROJECT", "CommandError", "_Out", "_project_url", "_is_url", "_open_project", "_existing_file", "_round", "_not_found"]


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
    from ..errors import SchemaVersionError, StoreError
    from ..project import open_project

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
