"""Where a pseudonym key may live: never in the project's folder; by default in the user's configuration folder.

One rule for every way a key is saved or named (:meth:`PseudonymKey.save
<workbench.privacy.PseudonymKey.save>`, ``workbench export --key``, ``workbench report
--key``): :func:`check_key_place`. Anyone given the project's folder would hold the key too.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from pathlib import Path
from typing import Any

from ..errors import PrivacyError

__all__ = ["KeyLocationWarning", "check_key_place", "default_key_path", "project_folder"]


class KeyLocationWarning(UserWarning):
    """A pseudonym key was saved beside the project it protects."""


def project_folder(project: Any) -> Path | None:
    """The folder a key must not be saved in: the folder of the project's SQLite file.

    ``project`` is a ``Project`` (read through its ``engine`` and ``dialect``), or the path
    or URL of its database; None for PostgreSQL, in-memory databases and no project.

    Examples
    --------
    >>> project_folder("/data/study/project.db").as_posix().endswith("/data/study")
    True
    >>> project_folder("postgresql://server/study") is None
    True
    """
    where = _project_location(project)
    if where is None or "://" in where:  # a server's URL: no folder to keep the key out of
        return None
    return Path(where).parent




def check_key_place(path: str | Path, project: Any, *, allow_near_project: bool = False) -> Path:
    """The one rule for where a key file may be: never inside the folder of the project it protects.

    Anyone given the project's folder would hold the key too. Every way a key is saved or
    named goes through here (:meth:`PseudonymKey.save`, ``workbench export --key``,
    ``workbench report --key``).

    Parameters
    ----------
    path : str or Path
        The key file.
    project : Project, str or Path
        The project (or the path or URL of its database); None checks nothing.
    allow_near_project : bool
        Only warn (:class:`KeyLocationWarning`) instead of refusing.

    Returns
    -------
    Path
        The key file's resolved path.

    Raises
    ------
    PrivacyError
        The key file is inside the project's folder.

    Examples
    --------
    >>> check_key_place("/data/study/key.json", "/data/study/project.db")
    Traceback (most recent call last):
    ...
    workbench.errors.PrivacyError: the pseudonym key /data/study/key.json would sit inside the project folder /data/study; ...
    >>> check_key_place("/home/me/keys/study.key.json", "/data/study/project.db").name
    'study.key.json'
    """
    target = Path(path).expanduser().resolve()
    folder = project_folder(project)
    if folder is not None and (target.parent == folder or folder in target.parents):
        msg = (
            f"the pseudonym key {target} would sit inside the project folder {folder}; "
            f"keep it elsewhere (the default place is {default_key_path(project).parent}) "
            "so that sharing the project does not share the key"
        )
        if not allow_near_project:
            raise PrivacyError(msg + ", or pass allow_near_project=True")
        warnings.warn(msg, KeyLocationWarning, stacklevel=3)
    return target


def default_key_path(project: Any = None) -> Path:
    r"""Where a new key goes by default: the user's configuration folder, never the project's.

    ``$WB_KEY_DIR`` when set, else ``$XDG_CONFIG_HOME/workbench/keys`` (``~/.config/workbench/keys``;
    ``%APPDATA%\workbench\keys`` on Windows). The file is named after the project's database
    and a short hash of its full path, so two projects never share a key by accident.

    Parameters
    ----------
    project : Project, str or Path, optional
        The project (or the path or URL of its database).

    Returns
    -------
    Path
        The key file's path (not created).

    Examples
    --------
    >>> import os
    >>> os.environ["WB_KEY_DIR"] = "/home/me/keys"
    >>> default_key_path("/data/study/project.db").as_posix()  # doctest: +ELLIPSIS
    '/home/me/keys/project-....key.json'
    >>> del os.environ["WB_KEY_DIR"]
    """
    base = os.environ.get("WB_KEY_DIR")
    if base:
        folder = Path(base).expanduser()
    elif os.name == "nt" and os.environ.get("APPDATA"):
        folder = Path(os.environ["APPDATA"]) / "workbench" / "keys"
    else:
        folder = Path(os.environ.get("XDG_CONFIG_HOME") or "~/.config").expanduser() / "workbench" / "keys"
    where = _project_location(project)
    if where is None:
        return folder / "study.key.json"
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(where.rsplit("/", 1)[-1]).stem).strip("-.") or "project"
    digest = hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return folder / f"{stem[:40]}-{digest}.key.json"


def _project_location(project: Any) -> str | None:
    """The project's database as a string (a resolved file path, or a URL without its password)."""
    if project is None:
        return None
    if isinstance(project, (str, Path)):
        url = str(project)
    else:
        engine = getattr(project, "engine", None)
        url_obj = getattr(engine, "url", None)
        if url_obj is None:
            return None
        if getattr(project, "dialect", "sqlite") == "sqlite":
            url = str(getattr(url_obj, "database", "") or "")
        else:
            url = url_obj.render_as_string(hide_password=True) if hasattr(url_obj, "render_as_string") else str(url_obj)
    if "://" in url and not url.startswith("sqlite"):
        return re.sub(r"//[^@/]*@", "//", url)  # no credentials in a file name's hash input
    url = re.sub(r"^sqlite(\+\w+)?:///", "", url)
    if url in ("", ":memory:"):
        return None
    return str(Path(url).expanduser().resolve())
