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

import sys
import traceback
from collections.abc import Sequence

from ._common import (
    COMMANDS,
    EXIT_BUG,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_STORE,
    EXIT_USAGE,
    CommandError,
    _Out,
)
from .parser import build_parser
from .serve import app_command

__all__ = ["COMMANDS", "EXIT_BUG", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_STORE", "EXIT_USAGE", "app_command", "build_parser", "main"]


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

        from ..errors import StoreError

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
