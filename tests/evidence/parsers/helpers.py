from __future__ import annotations

import io
from pathlib import Path

from evidence.parsers.base import ListSink, Parser, Summary
from evidence.parsers.head import read_head
from evidence.parsers.registry import detect

DATA = Path(__file__).resolve().parents[2] / "data"


def parse_bytes(parser: Parser, data: bytes) -> tuple[Summary, ListSink]:
    sink = ListSink()
    summary = parser.parse(io.BytesIO(data), sink)
    return summary, sink


def parse_path(parser: Parser, path: Path) -> tuple[Summary, ListSink]:
    sink = ListSink()
    with path.open("rb") as stream:
        summary = parser.parse(stream, sink)
    return summary, sink


def detected_formats(path: Path) -> list[str]:
    with path.open("rb") as stream:
        return [parser.format for parser in detect(read_head(stream))]


class GeneratedStream(io.RawIOBase):
    """A report made on the fly from chunks, so a big test input costs no memory of its own."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self._pending) < len(buffer):
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._pending += chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class CountingSink(ListSink):
    """Counts rows instead of keeping them: a memory test measures the parser, not the sink."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def finding(self, row) -> None:
        self.count += 1

    def component(self, row) -> None:
        self.count += 1

    def test_case(self, row) -> None:
        self.count += 1
