"""Raw artifact bytes: streamed to disk while hashed, then kept under their SHA-256.

Reading them back for parsing inflates gzip and re-encodes UTF-16 on the fly; a damaged stream raises
the parsers' ParseError, so the loader has one error to handle.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tempfile
import zlib
from collections.abc import Iterable
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages

from evidence.parsers.base import ParseError

CHUNK = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class UploadTooLarge(Exception):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"upload exceeds the {limit} byte limit (GATEHOUSE_MAX_UPLOAD_BYTES)")


def raw_storage():
    return storages["artifacts"]


def raw_path(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class Spool:
    """A temporary file that hashes what is written to it and refuses to grow past the upload limit."""

    def __init__(self, limit: int | None = None):
        self.limit = settings.GATEHOUSE_MAX_UPLOAD_BYTES if limit is None else limit
        self.hasher = hashlib.sha256()
        self.size = 0
        spool_dir = settings.DATA_DIR / "incoming"
        spool_dir.mkdir(parents=True, exist_ok=True)
        self.file = tempfile.NamedTemporaryFile(dir=spool_dir, prefix="upload-", delete=False)  # noqa: SIM115

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise UploadTooLarge(self.limit)
        self.hasher.update(chunk)
        self.file.write(chunk)

    def write_all(self, chunks: Iterable[bytes]) -> Spool:
        for chunk in chunks:
            if chunk:
                self.write(chunk)
        self.file.flush()
        return self

    @property
    def sha256(self) -> str:
        return self.hasher.hexdigest()

    @property
    def path(self) -> str:
        return self.file.name

    def discard(self) -> None:
        self.file.close()
        if os.path.exists(self.file.name):
            os.unlink(self.file.name)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def iter_stream(stream: BinaryIO, chunk_size: int = CHUNK) -> Iterable[bytes]:
    while chunk := stream.read(chunk_size):
        yield chunk


def raw_store(spool: Spool) -> str:
    """Keep the spooled bytes under their digest (once: identical bytes share one file)."""
    storage = raw_storage()
    name = raw_path(spool.sha256)
    if not storage.exists(name):
        with open(spool.path, "rb") as handle:
            saved = storage.save(name, File(handle))
        if saved != name:  # a concurrent upload of the same bytes won the race: keep one copy
            storage.delete(saved)
    return name


def raw_open(sha256: str) -> BinaryIO:
    return raw_storage().open(raw_path(sha256), "rb")


def spool_open(spool: Spool) -> BinaryIO:
    return open(spool.path, "rb")


class _CappedReader(io.RawIOBase):
    """Inflates gzip lazily and stops at a hard limit, so a zip bomb cannot exhaust disk or memory."""

    def __init__(self, inner: BinaryIO, limit: int):
        self.inner = inner
        self.limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.inner.read(len(buffer))
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise ParseError(f"corrupt gzip upload: {exc or 'truncated stream'}") from None
        self.count += len(data)
        if self.count > self.limit:
            raise ParseError(f"compressed upload inflates past {self.limit} bytes (GATEHOUSE_MAX_INFLATED_BYTES)")
        buffer[: len(data)] = data
        return len(data)


class _Utf8Recoder(io.RawIOBase):
    """Re-encodes a UTF-16 text stream as UTF-8 on the fly, so JSON and text parsers see UTF-8."""

    def __init__(self, inner: BinaryIO):
        self.text = io.TextIOWrapper(inner, encoding="utf-16", errors="strict", newline="")
        self.pending = b""

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self.text.detach()  # the caller owns (and closes) the underlying file
        super().close()

    def readinto(self, buffer) -> int:
        while not self.pending:
            try:
                chunk = self.text.read(CHUNK // 4)
            except UnicodeDecodeError as exc:
                message = f"the upload starts with a UTF-16 byte order mark but is not valid UTF-16: {exc}"
                raise ParseError(message) from None
            if not chunk:
                return 0
            self.pending = chunk.encode("utf-8")
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def _utf16_non_xml(raw: BinaryIO, bom: bytes) -> bool:
    if bom[:2] not in UTF16_BOMS:
        return False
    start = raw.read(64)
    raw.seek(0)
    # XML declares its own encoding and expat reads UTF-16 itself; only JSON and text need recoding.
    return not start.decode("utf-16", errors="ignore").lstrip().startswith("<")


def open_payload(raw: BinaryIO) -> BinaryIO:
    """The parseable bytes of a raw artifact: gzip inflated and UTF-16 re-encoded on the fly."""
    magic = raw.read(2)
    raw.seek(0)
    if magic == GZIP_MAGIC:
        inflated = gzip.GzipFile(fileobj=raw, mode="rb")
        capped = io.BufferedReader(_CappedReader(inflated, settings.GATEHOUSE_MAX_INFLATED_BYTES), CHUNK)
        magic = capped.peek(2)[:2]
        if magic in UTF16_BOMS and not capped.peek(64)[:64].decode("utf-16", "ignore").lstrip().startswith("<"):
            return io.BufferedReader(_Utf8Recoder(capped), CHUNK)
        return capped
    if _utf16_non_xml(raw, magic):
        return io.BufferedReader(_Utf8Recoder(raw), CHUNK)
    return raw
