"""``workbench report``: run a notebook and publish it as offline HTML."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

from ._common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, CommandError, _existing_file, _is_url, _Out, _project_url
from .keys import _key_path, _read_key

__all__ = ["_cmd_report"]


# --- report -------------------------------------------------------------------------------
def _cmd_report(args: argparse.Namespace, out: _Out) -> int:
    notebook = _existing_file(args.notebook, "notebook")
    if notebook.suffix != ".ipynb":
        raise CommandError(f"{args.notebook} is not a Jupyter notebook (.ipynb)")
    if args.raw and args.key is None:
        raise CommandError("--raw publishes real names and needs the pseudonym key as proof: add --key KEYFILE")
    try:
        from ..report.publish import publish
    except ImportError as exc:
        raise CommandError(
            f"publishing is not available in this installation ({exc}); "
            "reinstall the workbench with: pip install -e .", EXIT_USAGE
        ) from exc
    from ..privacy import PrivacyError

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
