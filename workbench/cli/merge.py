"""``workbench merge`` and ``workbench kit``: coders who worked apart."""

from __future__ import annotations

import argparse
import shlex
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    CommandError,
    _existing_file,
    _is_url,
    _not_found,
    _open_project,
    _Out,
    _project_url,
    _round,
)

__all__ = ["_same_coders", "_cmd_merge", "_cmd_kit"]


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

    from ..errors import StoreError, WorkbenchError
    from ..storage.merge import REPORT_COLUMNS, MergeSource

    same = _same_coders(args.same_coder)
    others = [o if _is_url(o) else str(_existing_file(o, "project or .qdpx file to merge")) for o in args.others]
    status = EXIT_OK
    with _open_project(args, create=False) as project:
        for other in others:
            try:
                if other.lower().endswith(".qdpx"):
                    from ..interchange import read_qdpx

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
    from ..errors import NotFoundError

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
