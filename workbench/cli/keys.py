"""The pseudonym key on the command line: where it may live, reading it, making it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import CommandError, _project_url

__all__ = ["_key_path", "_read_key", "_new_key"]


# --- export -------------------------------------------------------------------------------
def _key_path(args: argparse.Namespace) -> Path | None:
    """The key file the command names (with ``--new-key`` and no ``--key``: the default place).

    One rule for every command: a key file inside the project's folder is refused.
    """
    from ..privacy import PrivacyError, check_key_place, default_key_path

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
    from ..privacy import PrivacyError, PseudonymKey

    try:
        return PseudonymKey.load(path)  # warns when other users may read the file
    except PrivacyError as exc:
        raise CommandError(f"{exc}\n(--key names the pseudonym key file of this project; nothing was written)") from exc


def _new_key(project: Any, path: Path):
    """A new key saved at ``path`` (0600), unless the project is bound to another key already."""
    from ..privacy import PrivacyError, PseudonymKey, privacy_state

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
