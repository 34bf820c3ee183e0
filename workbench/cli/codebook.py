"""``workbench codebook check|diff|export``: codebook files and versions."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import EXIT_OK, EXIT_PROBLEMS, CommandError, _existing_file, _open_project, _Out
from .importing import _problem_line

__all__ = ["_CODEBOOK_SUFFIXES", "_load_codebook", "_cmd_codebook_check", "_version_arg", "_cmd_codebook_diff", "_cmd_codebook_export"]


_CODEBOOK_SUFFIXES = {".qdc": "REFI-QDA codebook", ".md": "Markdown", ".html": "HTML", ".htm": "HTML",
                      ".yaml": "YAML", ".yml": "YAML"}


def _load_codebook(path: Path):
    from ..codebook import Codebook

    if path.suffix.lower() == ".qdc":
        from ..interchange import read_qdc

        return read_qdc(path)
    return Codebook.from_yaml(path)


def _cmd_codebook_check(args: argparse.Namespace, out: _Out) -> int:
    from ..errors import CodebookError, WorkbenchError

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
    from ..errors import CodebookError, NotFoundError, WorkbenchError

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
    from ..errors import CodebookError, WorkbenchError
    from ..interchange._files import atomic_write

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
        from ..interchange import write_qdc

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
