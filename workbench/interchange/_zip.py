"""A ``.qdpx`` zip read within the limits: sizes checked from the directory, then while streaming.

:class:`BoundedZip` opens a zip without trusting it: the number of members is read from
the end of the file before the directory is loaded, a member whose declared size or
compression ratio is beyond the limits is refused before it is opened, and every member is
read in chunks, counted as it inflates (a directory may lie), so that nothing is inflated
into memory beyond :mod:`~workbench.interchange.limits`. Every failure of the zip
machinery (truncation, bad CRC, encryption, unknown compression) becomes a
:class:`~workbench.errors.WorkbenchError` naming the file and the member.
"""

from __future__ import annotations

import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

from ..errors import WorkbenchError, located
from .limits import RATIO_FLOOR, check_limit

__all__ = ["BoundedZip"]

_CHUNK = 1 << 20
#: what the zip machinery raises on a broken or hostile member
_ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError, struct.error,
)
try:  # the lzma module is optional in CPython builds
    import lzma

    _ZIP_ERRORS += (lzma.LZMAError,)
except ImportError:  # pragma: no cover
    pass


def _count_members(fh: IO[bytes]) -> int | None:
    """The number of members the end of the zip declares (read before the directory is loaded)."""
    try:
        end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]  # stable since Python 2
    except Exception:  # noqa: BLE001 - any failure here is reported when the zip is opened
        return None
    if not end:
        return None
    return int(end[4])  # _ECD_ENTRIES_TOTAL


class BoundedZip:
    """A zip file (a ``.qdpx``) opened for reading within the limits.

    Parameters
    ----------
    path : Path
        The zip file.
    limits : mapping
        Limits in force (:func:`~workbench.interchange.limits.resolve_limits`).
    what : str
        What the file should be, for messages (``"a .qdpx file (a zip with project.qde)"``).
    """

    def __init__(self, path: Path, limits: Mapping[str, int], *, what: str = "a .qdpx file (a zip with project.qde)"):
        self.path = path
        self.limits = limits
        self.read_bytes = 0
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            raise WorkbenchError(located(f"not {what}: no such file", path=path)) from None
        except OSError as exc:
            raise WorkbenchError(located(f"not {what}: {exc.strerror or exc}", path=path)) from None
        try:
            declared = _count_members(fh)
            if declared is not None:
                check_limit(limits, "max_zip_members", declared, f"the zip declares {declared:,} members", path=path)
            fh.seek(0)
            self._zip = zipfile.ZipFile(fh)
        except WorkbenchError:
            fh.close()
            raise
        except _ZIP_ERRORS as exc:
            fh.close()
            raise WorkbenchError(located(f"not {what}: {exc}", path=path)) from None
        self._fh = fh
        self.infos = self._zip.infolist()
        check_limit(limits, "max_zip_members", len(self.infos), f"the zip holds {len(self.infos):,} members", path=path)
        self._by_lower: dict[str, zipfile.ZipInfo] = {}
        for info in self.infos:
            self._by_lower.setdefault(info.filename.lower(), info)

    # --- context manager ------------------------------------------------------------------
    def close(self) -> None:
        """Close the zip and its file."""
        try:
            self._zip.close()
        finally:
            self._fh.close()

    def __enter__(self) -> BoundedZip:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # --- members --------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """The members' names, in the order of the directory."""
        return [i.filename for i in self.infos]

    def find(self, name: str) -> zipfile.ZipInfo | None:
        """The member called ``name`` (case-insensitive), or None."""
        return self._by_lower.get(name.lower())

    def where(self, info: zipfile.ZipInfo) -> str:
        """The file and the member, as errors name them."""
        return f"{self.path}, member {info.filename!r}"

    def problem(self, info: zipfile.ZipInfo) -> str | None:
        """Why a member cannot be read as a regular file (a folder, a link, encrypted), or None."""
        if info.is_dir():
            return "is a folder"
        if stat.S_ISLNK(info.external_attr >> 16):
            return "is a symbolic link (links are not followed)"
        if info.flag_bits & 0x1:
            return "is encrypted (a .qdpx is not)"
        return None

    def chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's bytes in chunks, counted against the limits as it inflates."""
        lim = self.limits
        where = self.where(info)
        why = self.problem(info)
        if why is not None:
            raise WorkbenchError(f"{where}: cannot be read: it {why}")
        # what the directory declares, before anything is inflated
        check_limit(lim, "max_member_bytes", info.file_size,
                    f"member {info.filename!r} would inflate to {info.file_size:,} bytes", path=self.path)
        compressed = max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR:
            check_limit(lim, "max_ratio", info.file_size // compressed,
                        f"member {info.filename!r} would inflate {info.file_size // compressed:,} times "
                        f"({info.compress_size:,} to {info.file_size:,} bytes), like a zip bomb", path=self.path)
        produced = 0
        try:
            with self._zip.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    produced += len(chunk)
                    # the directory may lie: count what actually comes out
                    check_limit(lim, "max_member_bytes", produced,
                                f"member {info.filename!r} inflates beyond {lim['max_member_bytes']:,} bytes",
                                path=self.path)
                    if produced > RATIO_FLOOR:
                        check_limit(lim, "max_ratio", produced // compressed,
                                    f"member {info.filename!r} inflates more than {lim['max_ratio']:,} times its "
                                    f"compressed size ({info.compress_size:,} bytes), like a zip bomb", path=self.path)
                    check_limit(lim, "max_total_bytes", self.read_bytes + produced,
                                f"the members read inflate beyond {lim['max_total_bytes']:,} bytes in all "
                                f"(at member {info.filename!r})", path=self.path)
                    yield chunk
        except WorkbenchError:
            raise
        except _ZIP_ERRORS as exc:
            raise WorkbenchError(f"{where}: cannot be read (truncated or damaged?): {exc}") from None
        self.read_bytes += produced

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The member's bytes, read within the limits."""
        return b"".join(self.chunks(info))
