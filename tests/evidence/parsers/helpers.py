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
