"""Raw artifact bytes: streamed to disk while hashed, then kept under their SHA-256."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tempfile
from collections.abc import Iterable
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages

CHUNK = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class UploadTooLarge(Exception):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"upload exceeds the {limit} byte limit (GATEHOUSE_MAX_UPLOAD_BYTES)")


class InflatedTooLarge(Exception):
    pass


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
        data = self.inner.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise InflatedTooLarge(f"compressed upload inflates past {self.limit} bytes (GATEHOUSE_MAX_INFLATED_BYTES)")
        buffer[: len(data)] = data
        return len(data)


def open_payload(raw: BinaryIO) -> BinaryIO:
    """The parseable bytes of a raw artifact: gzip is inflated on the fly, anything else passes through."""
    magic = raw.read(2)
    raw.seek(0)
    if magic == GZIP_MAGIC:
        inflated = gzip.GzipFile(fileobj=raw, mode="rb")
        return io.BufferedReader(_CappedReader(inflated, settings.GATEHOUSE_MAX_INFLATED_BYTES), CHUNK)
    return raw
