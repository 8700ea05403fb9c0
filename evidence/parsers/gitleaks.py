"""gitleaks JSON reports (``gitleaks detect --report-format json``, gitleaks 8).

The document is a top-level array with one object per leak: RuleID, Description, File, StartLine,
EndLine, Commit, Author, Fingerprint... and Secret and Match, the leaked value and the text around it.
Counting rules: ``findings`` counts the entries (the same secret in two commits or files counts
twice, as gitleaks reports it); ``rules`` counts distinct RuleID values. An empty array is a clean
report: 0 findings.

Secret and Match are never copied: not into rows, not into summaries, not into error messages. gitleaks
has no severity, so every finding is ``high``: a leaked credential is never minor. gitleaks 7 wrote
other field names (rule, offender, lineNumber) and is refused with a message saying so.
Entries are streamed one at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from evidence.parsers.base import FindingRow, Head, ParseError, Parser, RowSink, SecretsSummary
from evidence.parsers.jsonstream import expect_dict, walk

_WHAT = "gitleaks JSON"
_READ_SIZE = 4096
# yajl follows some error messages with the text around the error, which here can be the secret. walk
# keeps the first line only, but a message yajl gives as bytes (invalid UTF-8) arrives as one repr line.
_QUOTED_CONTEXT = re.compile(r"(\\n|\n).*", re.DOTALL)


class _Replay:
    """A stream that gives back bytes already read from another stream, then the rest of that stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size < 0:
            data, self._head = self._head + self._rest.read(), b""
        else:
            data, self._head = self._head[:size], self._head[size:]
        return data


def _array_stream(stream: BinaryIO) -> _Replay:
    """The stream, once it is known to hold a top-level array.

    ``walk`` over "item" says nothing for an object or a scalar, and 0 findings from a file that is not
    a gitleaks report must not pass a gate, so the first significant byte is checked here.
    """
    while chunk := stream.read(_READ_SIZE):
        chunk = chunk.lstrip()
        if chunk:
            if not chunk.startswith(b"["):
                found = "a JSON object" if chunk.startswith(b"{") else "no JSON array"
                raise ParseError(f"{_WHAT}: expected a JSON array of findings at the top level, found {found}")
            return _Replay(chunk, stream)
    raise ParseError(f"empty file: expected a {_WHAT} document")


def _leaks(stream: BinaryIO) -> Iterator[Any]:
    """Each entry of the top-level array, with JSON errors stripped of any quoted document text."""
    try:
        for _prefix, value in walk(_array_stream(stream), ("item",), what=_WHAT):
            yield value
    except ParseError as exc:
        message = _QUOTED_CONTEXT.sub("", exc.message).replace(": b'", ": ").replace(': b"', ": ")
        raise ParseError(message, position=exc.position) from None


def _line(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class GitleaksJsonParser(Parser):
    format = "gitleaks-json"
    kind = "secrets"
    label = "gitleaks JSON"
    producers = "gitleaks detect --report-format json"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        # "[]", the report of a clean scan, has no keys to go by: nothing tells it from any other empty
        # list, so it is not claimed here.
        return head.json_root == "array" and "RuleID" in head.json_keys

    def parse(self, stream: BinaryIO, sink: RowSink) -> SecretsSummary:
        summary = SecretsSummary()
        rules: set[str] = set()
        for value in _leaks(stream):
            where = f"finding {summary.findings + 1}"
            leak = expect_dict(value, what=_WHAT, where=where)
            if "RuleID" not in leak:
                if "offender" in leak or "rule" in leak:
                    raise ParseError(
                        f"{_WHAT}: {where} is in the gitleaks 7 format, which is not supported; "
                        "re-run with gitleaks 8 (gitleaks detect --report-format json)"
                    )
                raise ParseError(f"{_WHAT}: {where} has no RuleID; this is not a gitleaks report")
            rule_id = str(leak["RuleID"] or "")
            summary.findings += 1
            if rule_id:
                rules.add(rule_id)
            sink.finding(
                FindingRow(
                    category="secret",
                    severity="high",
                    rule_id=rule_id,
                    title=str(leak.get("Description") or "")[:500],
                    location=str(leak.get("File") or ""),
                    line=_line(leak.get("StartLine")),
                )
            )
        summary.rules = len(rules)
        return summary
