"""Writing an export file atomically: a temporary file in the same folder, then ``os.replace``.

Nothing half-written is ever left under the target's name, and nothing at all when the
writer fails. A private file (raw data: real names) is readable by its owner only (mode
0600) from the moment it exists; others get the usual mode (``0666`` less the umask).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write"]


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[Path], object], *, private: bool) -> Path:
    """Write ``path`` through ``write(tmp)`` on a temporary file in its folder, then move it into place.

    Parameters
    ----------
    path : str or Path
        The file to write (its folder is created if needed).
    write : callable
        Writes the content to the path it is given.
    private : bool
        Mode 0600 (raw data) rather than the usual mode.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, os, stat
    >>> out = Path(tempfile.mkdtemp()) / "raw.csv"
    >>> _ = atomic_write(out, lambda p: p.write_text("a,b"), private=True)
    >>> oct(stat.S_IMODE(out.stat().st_mode)), sorted(os.listdir(out.parent))
    ('0o600', ['raw.csv'])
    """
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".tmp", dir=target.parent)  # created 0600
    os.close(fd)
    try:
        if not private:
            os.chmod(tmp, 0o666 & ~_umask())
        write(Path(tmp))
        if private:
            os.chmod(tmp, 0o600)  # whatever the writer did to the file
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
