"""The bundle's zip, written in chunks: every file is hashed while it is written, never held whole.

``BundleArchive`` writes to any object with ``write`` (a file, or ``Pipe`` for an HTTP response); zipfile
falls back to data descriptors when the target cannot seek, so the same code serves both. Writing methods
are generators that yield after every chunk: the caller drains the pipe there (streaming) or updates the
progress (a job), so memory stays flat whatever the size of the artifacts.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from ledger.signing import sign, signing_key_fingerprint, signing_public_key_pem

CHUNK = 1024 * 1024
MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "public_key.pem"
_ZIP64_FROM = 2**31  # zipfile must know up front when a streamed member may pass the 32-bit limits


class Pipe:
    """A write-only target that hands back what was written since the last ``drain``."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def json_bytes(value: Any) -> bytes:
    """Readable JSON (indented, UTF-8, stable key order) for files people open."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).encode() + b"\n"


class BundleArchive:
    """Files go in one by one, each recorded with its SHA-256 and size; ``finish`` signs the list."""

    def __init__(self, target, *, created_at: datetime) -> None:
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6, allowZip64=True)
        self.date_time = created_at.timetuple()[:6]
        self.files: list[dict[str, Any]] = []
        self._paths: set[str] = set()
        self.bytes_written = 0

    def __contains__(self, path: str) -> bool:
        return path in self._paths

    def write(
        self, path: str, chunks: Iterable[bytes], *, source: Any = None, compress: bool = True, size_hint: int = 0
    ) -> Iterator[int]:
        """Write one member from ``chunks``, yielding the bytes of each chunk as it goes in."""
        if path in self._paths:
            raise ValueError(f"{path} is already in the bundle")
        self._paths.add(path)
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        digest, size = hashlib.sha256(), 0
        with self.zip.open(info, "w", force_zip64=size_hint >= _ZIP64_FROM) as member:
            for chunk in chunks:
                if not chunk:
                    continue
                member.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                self.bytes_written += len(chunk)
                yield len(chunk)
        entry: dict[str, Any] = {"path": path, "sha256": digest.hexdigest(), "size": size}
        if source is not None:
            entry["source"] = source
        self.files.append(entry)

    def write_bytes(self, path: str, data: bytes, *, source: Any = None) -> Iterator[int]:
        return self.write(path, (data[i : i + CHUNK] for i in range(0, len(data), CHUNK)), source=source)

    def write_json(self, path: str, value: Any) -> Iterator[int]:
        return self.write_bytes(path, json_bytes(value))

    def finish(self, manifest: dict[str, Any]) -> tuple[bytes, str]:
        """Add manifest.json (listing every file written), its Ed25519 signature and the public key; close."""
        manifest = {**manifest, "key_fingerprint": signing_key_fingerprint(), "files": self.files}
        manifest_bytes = json_bytes(manifest)
        signature = sign(manifest_bytes)
        for path, data in ((MANIFEST, manifest_bytes), (SIGNATURE, signature.encode() + b"\n"),
                           (PUBLIC_KEY, signing_public_key_pem())):  # fmt: skip
            info = zipfile.ZipInfo(path, date_time=self.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            self.zip.writestr(info, data)
        self.zip.close()
        return manifest_bytes, hashlib.sha256(manifest_bytes).hexdigest()

    def abort(self) -> None:
        """Give up on a half-written bundle: no central directory is written (the caller discards the target)."""
        self.zip.fp = None  # zipfile's close (and __del__) then has nothing left to write to


def read_chunks(stream, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """Chunks of an open binary stream, closing it at the end."""
    with stream:
        while chunk := stream.read(chunk_size):
            yield chunk
