"""conftest JSON (``conftest test --output json``), read as a stream.

The document is an array with one entry per tested file and policy namespace:
{"filename", "namespace", "successes": int, "warnings": [...], "failures": [...], "exceptions": [...],
"skipped": [...]}, each list holding {"msg", "metadata": {"query", ...}, "loc": {"file", "line"}}.

Counting: ``failures``, ``warnings`` and ``exceptions`` are the total number of entries of that list over
all entries; ``successes`` is the sum of the ``successes`` counts (passing evidence counts too);
``skipped`` is the total of ``skipped`` entries (newer conftest writes them; they are not findings).
Every failure, warning and exception is one finding: severity high, medium and info respectively,
rule_id the policy query (``metadata.query``, e.g. "data.main.deny") or else the namespace.
An empty array (no files tested) is a valid report with every count 0.
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO

from evidence.parsers.base import FindingRow, Head, ParseError, Parser, PolicySummary, RowSink
from evidence.parsers.jsonstream import expect_dict, expect_list, walk

_WHAT = "conftest JSON"
# Result lists that become findings, with the severity each one carries.
_SEVERITY = {"failures": "high", "warnings": "medium", "exceptions": "info"}
_EMPTY_ARRAY = re.compile(rb"\s*\[\s*\]\s*")


class RecordingReader:
    """Passes reads through to a stream, keeping its first bytes.

    A streaming parser that found none of the values it walks for uses this to look back at the whole
    (then small) document and tell a legitimately empty report from a document of another shape.
    """

    def __init__(self, stream: BinaryIO, keep: int = 4096) -> None:
        self._stream = stream
        self._keep = keep
        self._start = b""
        self._total = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if len(self._start) < self._keep:
            self._start += data[: self._keep - len(self._start)]
        self._total += len(data)
        return data

    def whole(self) -> bytes | None:
        """The whole document when it was short enough to keep, else None."""
        return self._start if self._total <= self._keep else None


def _count(value: Any, where: str) -> int:
    # bool is an int in Python; a count written as 2.5 or "3" means the file is not conftest's.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ParseError(f"{_WHAT}: {where} must be a non-negative integer, found {str(value)[:40]!r}")
    return value


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParseError(f"{_WHAT}: {where} must be a string, found {type(value).__name__}")
    return value


class ConftestJsonParser(Parser):
    format = "conftest-json"
    kind = "policy"
    label = "conftest JSON"
    producers = "conftest test --output json"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        # An empty array has no keys to go on: it is accepted when chosen, never detected.
        keys = head.json_keys
        return head.json_root == "array" and ({"filename", "namespace"} <= keys or "successes" in keys)

    def parse(self, stream: BinaryIO, sink: RowSink) -> PolicySummary:
        summary = PolicySummary(tool="conftest")
        reader = RecordingReader(stream)
        entries = 0
        for _prefix, value in walk(reader, ("item",), what=_WHAT):
            entries += 1
            where = f"entry {entries}"
            entry = expect_dict(value, what=_WHAT, where=where)
            filename = _text(entry.get("filename"), f"{where} filename")
            namespace = _text(entry.get("namespace"), f"{where} namespace")
            summary.successes += _count(entry.get("successes", 0), f"{where} successes")
            summary.skipped += len(expect_list(entry.get("skipped"), what=_WHAT, where=f"{where} skipped"))
            for key, severity in _SEVERITY.items():
                results = expect_list(entry.get(key), what=_WHAT, where=f"{where} {key}")
                setattr(summary, key, getattr(summary, key) + len(results))
                for result in results:
                    self._emit(sink, result, severity, filename, namespace, f"{where} {key}[]")
        # "item" values exist only under an array root, so no entries means an empty array or another shape.
        if not entries:
            document = reader.whole()
            if document is None or not _EMPTY_ARRAY.fullmatch(document):
                raise ParseError(f"{_WHAT}: expected an array of per-file results; this is not a conftest report")
        return summary

    @staticmethod
    def _emit(sink: RowSink, value: Any, severity: str, filename: str, namespace: str, where: str) -> None:
        result = expect_dict(value, what=_WHAT, where=where)
        metadata = result.get("metadata")
        metadata = {} if metadata is None else expect_dict(metadata, what=_WHAT, where=f"{where}.metadata")
        location = result.get("loc")
        line = location.get("line") if isinstance(location, dict) else None
        sink.finding(
            FindingRow(
                category="policy",
                severity=severity,
                rule_id=str(metadata.get("query") or namespace),
                title=_text(result.get("msg"), f"{where}.msg")[:500],
                location=filename,
                line=line if isinstance(line, int) and not isinstance(line, bool) else None,
            )
        )
