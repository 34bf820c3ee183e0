"""Opening and streaming a thread file within the ingest limits.

Private. A file is opened only where its name says (a symbolic link may not lead out
of the folder it is named in, unless asked); its byte-order mark says how it is
encoded; a ``.zst`` is decompressed as a stream whose size and compression ratio are
counted as it goes, and whose frames are checked first, so that a file cut short is
known and reported rather than half read in silence; lines are read at most
``max_line`` bytes at a time, so that one endless line cannot fill the memory.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import IngestError
from .limits import RATIO_FLOOR, LimitError, Limits, size_text

__all__ = ["safe_path", "bom_encoding", "ZstdFrames", "zstd_frames", "open_stream", "position", "bounded_lines"]

#: Byte-order marks and the codec that reads past them (UTF-32 before UTF-16: FF FE 00 00 starts with FF FE).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def safe_path(path: Path, *, follow_symlinks: bool = False) -> Path:
    """The file to open for ``path``: refused when a symbolic link leads out of the folder it is named in.

    Examples
    --------
    >>> safe_path(Path("data/examples/essay_bridging_the_divide.txt")).name
    'essay_bridging_the_divide.txt'
    """
    real = Path(os.path.realpath(path))
    if follow_symlinks:
        return real
    folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    if os.path.commonpath([folder, str(real)]) != folder:
        raise IngestError(
            f"is a symbolic link to {real}, outside the folder it is in ({folder}); refused, so that a link "
            "cannot bring in a file you did not choose. If you mean it, pass follow_symlinks=True "
            "(workbench import --follow-symlinks)", path=path.name)
    return real


def bom_encoding(head: bytes) -> str | None:
    r"""The encoding a byte-order mark at the start of ``head`` announces, else None.

    Examples
    --------
    >>> bom_encoding("\ufeffhi".encode("utf-16-le")), bom_encoding(b"\xef\xbb\xbfhi"), bom_encoding(b"hi")
    ('utf-16', 'utf-8-sig', None)
    """
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


# --------------------------------------------------------------------------- zstd
_MAGIC = 0xFD2FB528


@dataclass
class ZstdFrames:
    """What a walk over a ``.zst`` file's frame and block headers found."""

    frames: int
    complete: bool  # every frame has its last block (and its checksum, where it announces one)
    end: int  # the byte where the data ends (or was cut)
    declared: int | None  # the content sizes the frames declare, when every frame declares one
    regenerated: int  # bytes that raw and RLE blocks alone make (a lower bound of the content)


def zstd_frames(fh: IO[bytes], size: int) -> ZstdFrames:
    """Walk the frames of a zstd file (RFC 8878) without decompressing them.

    A frame cut short (by an interrupted download, say) has no last block; a file that
    stops inside a block header or a block is cut too. Raises ValueError (with the byte
    offset) when the bytes are not zstd at all.
    """
    frames, declared, known, regenerated = 0, 0, True, 0

    def read(n: int) -> bytes | None:
        data = fh.read(n)
        return data if len(data) == n else None

    pos = 0
    fh.seek(0)
    while pos < size:
        head = read(4)
        if head is None:
            return ZstdFrames(frames, False, pos, None, regenerated)
        magic = int.from_bytes(head, "little")
        if 0x184D2A50 <= magic <= 0x184D2A5F:  # a skippable frame
            n = read(4)
            if n is None:
                return ZstdFrames(frames, False, pos, None, regenerated)
            pos += 8 + int.from_bytes(n, "little")
            if pos > size:
                return ZstdFrames(frames, False, size, None, regenerated)
            fh.seek(pos)
            continue
        if magic != _MAGIC:
            raise ValueError(f"not zstd data at byte {pos:,} (expected a frame starting 28 B5 2F FD)")
        fhd = read(1)
        if fhd is None:
            return ZstdFrames(frames, False, pos, None, regenerated)
        d = fhd[0]
        fcs_flag, single, checksum, dict_flag = d >> 6, (d >> 5) & 1, (d >> 2) & 1, d & 3
        fcs_size = (1 if single else 0) if fcs_flag == 0 else (2, 4, 8)[fcs_flag - 1]
        rest = read((0 if single else 1) + (0, 1, 2, 4)[dict_flag] + fcs_size)
        if rest is None:
            return ZstdFrames(frames, False, pos, None, regenerated)
        if fcs_size:
            value = int.from_bytes(rest[len(rest) - fcs_size:], "little") + (256 if fcs_size == 2 else 0)
            declared += value
        else:
            known = False
        while True:
            bh = read(3)
            if bh is None:
                return ZstdFrames(frames, False, fh.tell(), None, regenerated)
            b = int.from_bytes(bh, "little")
            last, btype, bsize = b & 1, (b >> 1) & 3, b >> 3
            if btype == 3:
                raise ValueError(f"a reserved zstd block type at byte {fh.tell() - 3:,}: the file is corrupt")
            skip = 1 if btype == 1 else bsize
            if btype in (0, 1):
                regenerated += bsize
            here = fh.seek(skip, 1)
            if here > size:
                return ZstdFrames(frames, False, size, None, regenerated)
            if last:
                break
        if checksum:
            if read(4) is None:
                return ZstdFrames(frames, False, fh.tell(), None, regenerated)
        frames += 1
        pos = fh.tell()
    return ZstdFrames(frames, True, pos, declared if known else None, regenerated)


class _Counted(io.RawIOBase):
    """A decompressing reader whose output is counted against ``max_bytes`` and ``max_ratio``."""

    def __init__(self, inner: Any, source: IO[bytes], name: str, limits: Limits, compressed: int):
        self.inner, self.source, self.name, self.limits = inner, source, name, limits
        self.compressed = max(1, compressed)
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            n = self.inner.readinto(b)
        except Exception as exc:  # zstandard.ZstdError: the data is corrupt past its headers
            if type(exc).__name__ != "ZstdError":
                raise
            raise IngestError(f"is not a readable zstd (.zst) file: {exc} (after {size_text(self.total)} "
                              "decompressed; the file is damaged)", path=self.name) from None
        self.total += n
        check_output(self.name, self.total, self.compressed, self.limits)
        return n

    def close(self) -> None:
        self.inner.close()
        super().close()


def check_output(name: str, total: int, compressed: int, limits: Limits, what: str = "decompresses") -> None:
    """Refuse a stream that has passed ``max_bytes``, or ``max_ratio`` times its compressed size."""
    if total > limits.max_bytes:
        raise LimitError(f"{what} to more than {size_text(limits.max_bytes)}; refused", limit="max_bytes",
                         value=limits.max_bytes, path=name)
    if total > RATIO_FLOOR and total > limits.max_ratio * compressed:
        raise LimitError(f"{what} to more than {total // compressed:,} times its compressed size "
                         f"({size_text(total)} from {size_text(compressed)} so far): refused as a likely "
                         "decompression bomb", limit="max_ratio", value=limits.max_ratio, path=name)


def open_stream(path: Path, name: str, compressed: bool, limits: Limits
                ) -> tuple[io.BufferedReader, ZstdFrames | None]:
    """The file's bytes as a buffered stream (decompressed when ``compressed``), with its zstd frames."""
    fh = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if not compressed:
        return fh, None
    import zstandard

    try:
        size = os.fstat(fh.fileno()).st_size
        try:
            frames = zstd_frames(fh, size)
        except ValueError as exc:
            raise IngestError(f"is not a readable zstd (.zst) file: {exc}", path=name) from None
        if frames.declared is not None:
            check_output(name, frames.declared, size, limits, what="declares that it decompresses")
        check_output(name, frames.regenerated, size, limits)
        fh.seek(0)
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(fh, read_across_frames=True)
        return io.BufferedReader(_Counted(reader, fh, name, limits, size), 1 << 20), frames
    except BaseException:
        fh.close()
        raise


def position(stream: Any) -> int:
    """How far into the file (its compressed bytes, for a ``.zst``) a stream of :func:`open_stream` has read."""
    raw = getattr(stream, "raw", None)
    source = getattr(raw, "source", None)
    return source.tell() if source is not None else stream.tell()


def bounded_lines(stream: Any, max_line: int, first: int = 1) -> Iterator[tuple[int, Any]]:
    """(line number, line) of a binary or text stream; an over-long line comes as (number, None), skipped.

    At most ``max_line`` (+1) bytes or characters of a line are held at a time.
    """
    readline = stream.readline
    n = first - 1
    while True:
        raw = readline(max_line + 1)
        if not raw:
            return
        n += 1
        if len(raw) > max_line and raw[-1:] not in ("\n", b"\n"):
            while True:  # skip the rest of the line, a bounded piece at a time
                part = readline(1 << 20)
                if not part or part[-1:] in ("\n", b"\n"):
                    break
            yield n, None
            continue
        yield n, raw
