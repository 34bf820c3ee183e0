"""Helpers of the hostile-input tests: zip files crafted byte by byte (bombs, lying directories).

Python's :mod:`zipfile` writes honest zips only, and deflating 4 GiB takes a minute; here a
member's deflate stream is built from one compressed block repeated (a full flush resets
the compressor, so the same input block compresses to the same bytes every time), and the
zip's headers are written by hand, so that a directory can declare what it likes.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

_BLOCK = 1 << 20


def deflate_zeros(n_bytes: int, *, with_crc: bool = False) -> tuple[bytes, int]:
    """A raw deflate stream of ``n_bytes`` zero bytes (a multiple of 1 MiB) and their CRC-32.

    The CRC of gigabytes takes seconds; a bomb that is refused before it is read needs none
    (``with_crc=False`` gives 0, which a reader that got to the end would find wrong).
    """
    assert n_bytes % _BLOCK == 0
    block = b"\0" * _BLOCK
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    assert again == first or n_bytes == _BLOCK, "a full flush should make every block compress alike"
    n = n_bytes // _BLOCK
    stream = first + again * (n - 1) + comp.flush(zlib.Z_FINISH) if n > 1 else first + comp.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(n if with_crc else 0):
        crc = zlib.crc32(block, crc)
    assert zlib.decompressobj(-15).decompress(stream[:100_000], 10) == b"\0" * 10
    return stream, crc


def deflate(data: bytes) -> tuple[bytes, int]:
    """A raw deflate stream of ``data`` and its CRC-32."""
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(), zlib.crc32(data)


@dataclass
class Member:
    """One member of a crafted zip: its stored bytes and what its headers declare."""

    name: str
    data: bytes  # as stored (compressed for method 8)
    size: int  # the uncompressed size the headers declare
    crc: int
    method: int = 8
    flags: int = 0
    external_attr: int = 0o100644 << 16

    @classmethod
    def text(cls, name: str, text: str | bytes, **kw) -> Member:
        raw = text.encode("utf-8") if isinstance(text, str) else text
        data, crc = deflate(raw)
        return cls(name, data, len(raw), crc, **kw)


def write_zip(path: Path, members: list[Member], *, declared_entries: int | None = None) -> Path:
    """Write a zip (with ZIP64 records) holding ``members`` exactly as declared."""
    out = bytearray()
    central = bytearray()
    for m in members:
        offset = len(out)
        name = m.name.encode("utf-8")
        extra = struct.pack("<HHQQ", 0x0001, 16, m.size, len(m.data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, m.flags, m.method, 0, 0x21, m.crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra)) + name + extra + m.data
        cextra = struct.pack("<HHQQQ", 0x0001, 24, m.size, len(m.data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45 | (3 << 8), 45, m.flags, m.method, 0, 0x21,
                               m.crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(cextra), 0, 0, 0, m.external_attr,
                               0xFFFFFFFF) + name + cextra
    cd_offset = len(out)
    out += central
    entries = len(members) if declared_entries is None else declared_entries
    eocd64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, entries, entries, len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    path.write_bytes(bytes(out))
    return path


def project_qde(sources: str = "", *, codes: str | None = None, users: str = "") -> str:
    """A REFI-QDA ``project.qde`` with one code (GUID ...01) and the given sources."""
    codes = codes if codes is not None else (
        '<Code guid="bbbbbbbb-0000-0000-0000-000000000001" name="Validating" isCodable="true">'
        "<Description>Believes it.</Description></Code>"
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="Hostile">'
        f"{users}<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>{sources}</Sources></Project>"
    )


def selection(guid: int, start: object, end: object, code: int = 1) -> str:
    """A ``PlainTextSelection`` with one coding of code ``code``; ``None`` leaves a position out."""
    pos = "".join(f' {k}="{v}"' for k, v in (("startPosition", start), ("endPosition", end)) if v is not None)
    return (
        f'<PlainTextSelection guid="dddddddd-0000-0000-0000-{guid:012d}"{pos}>'
        f'<Coding guid="eeeeeeee-0000-0000-0000-{guid:012d}">'
        f'<CodeRef targetGUID="bbbbbbbb-0000-0000-0000-{code:012d}"/></Coding></PlainTextSelection>'
    )
