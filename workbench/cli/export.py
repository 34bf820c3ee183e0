"""``workbench export``: units and codings out, pseudonymised unless raw."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

from ._common import EXIT_OK, CommandError, _not_found, _open_project, _Out, _round
from .keys import _key_path, _new_key, _read_key

__all__ = ["RAW_FOLDER", "_EXPORT_SUFFIXES", "_export_file", "_cmd_export"]


#: Where ``export --raw`` writes a file named without a folder (the repository's .gitignore covers it).
RAW_FOLDER = Path("exports")


_EXPORT_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".qdpx": "qdpx"}


def _export_file(args: argparse.Namespace, project: Any, target: Path, kind: str, key: Any, round_: Any) -> Path:
    from ..errors import NotFoundError, WorkbenchError
    from ..privacy import PrivacyError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if kind == "qdpx":
                from ..interchange import write_qdpx

                return write_qdpx(project, target, raw=args.raw, key=key, coder=args.coder or None, round=round_)
            if args.units_only:
                from ..interchange import export_units

                return export_units(project, target, raw=args.raw, key=key)
            from ..interchange import export_codings

            return export_codings(project, target, raw=args.raw, key=key, coder=args.coder or None, round=round_)
    except PrivacyError as exc:
        raise CommandError(f"{exc}\n(the CLI takes the key as --key KEYFILE; --new-key creates it)") from exc
    except NotFoundError as exc:
        raise CommandError(_not_found(exc, args)) from exc
    except WorkbenchError as exc:
        raise CommandError(str(exc)) from exc


def _cmd_export(args: argparse.Namespace, out: _Out) -> int:
    from ..privacy import privacy_state

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
    from ..sentinels import ALL_ROUNDS

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
