"""``workbench import``: read thread files into the project."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

from ._common import EXIT_OK, EXIT_PROBLEMS, EXIT_STORE, CommandError, _existing_file, _open_project, _Out, _project_url

__all__ = ["_where", "_COUNTED", "_cmd_import", "_read_one", "_problem_line"]


# --- import -------------------------------------------------------------------------------
def _where(r: dict[str, Any]) -> str:
    from ..errors import where

    return where(path=r.get("file") or None, line=r.get("line"), record=r.get("record"), field=r.get("field"))


#: What ``workbench import`` counts per file, in the words of its summary.
_COUNTED = (("orphan", "orphan(s)"), ("empty", "empty text(s)"), ("duplicate", "duplicate id(s)"),
            ("missing", "missing item(s) kept as placeholders"), ("chrome", "line(s) of page chrome dropped"),
            ("control", "unit(s) with control characters removed"))


def _cmd_import(args: argparse.Namespace, out: _Out) -> int:
    from ..errors import StoreError, UnitsError
    from ..ingest import FORMATS, load_threads

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
    from ..errors import IngestError

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
