"""Semgrep JSON (``semgrep --json``, ``semgrep ci --json``), read as a stream.

Counting: every entry of ``results`` is one finding, except those Semgrep marks ``extra.is_ignored``
(a ``nosemgrep`` comment, reported only with ``--disable-nosem``): the SARIF parser does not count
suppressed results either, so one scan counts the same in both formats.
``rules`` is the number of distinct ``check_id`` values among the counted results; ``tool`` is "semgrep"
followed by the top-level ``version`` when the file has one.

Severity keeps Semgrep's own scale (``extra.severity``, any case): CRITICAL -> critical, ERROR and HIGH ->
high, WARNING and MEDIUM -> medium, INFO and LOW -> low, anything else (EXPERIMENTAL, absent) -> info.
"""

from __future__ import annotations

from typing import BinaryIO

from evidence.parsers.base import FindingRow, Head, Parser, RowSink, SastSummary
from evidence.parsers.jsonstream import expect_dict, walk

_WHAT = "Semgrep JSON"
_SEVERITY = {
    "CRITICAL": "critical",
    "ERROR": "high",
    "HIGH": "high",
    "WARNING": "medium",
    "MEDIUM": "medium",
    "INFO": "low",
    "LOW": "low",
}
# Top-level keys only Semgrep writes next to "results"; "errors" alone is not enough (bandit has it too).
_SEMGREP_KEYS = frozenset({"paths", "version", "interfile_languages_used", "skipped_rules"})


class SemgrepJsonParser(Parser):
    format = "semgrep-json"
    kind = "sast"
    label = "Semgrep JSON"
    producers = "semgrep --json / semgrep ci --json"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = head.json_keys
        if head.json_root != "object" or "results" not in keys or keys & {"runs", "SchemaVersion"}:
            return False
        # Older reports carry only "results" and "errors"; their results name a check_id.
        return bool(keys & _SEMGREP_KEYS) or '"check_id"' in head.text

    def parse(self, stream: BinaryIO, sink: RowSink) -> SastSummary:
        summary = SastSummary(tool="semgrep")
        check_ids: set[str] = set()
        for prefix, value in walk(stream, ("version", "results.item"), what=_WHAT):
            if prefix == "version":
                if isinstance(value, str) and value:
                    summary.tool = f"semgrep {value}"
                continue
            result = expect_dict(value, what=_WHAT, where="results[]")
            extra = expect_dict(result.get("extra") or {}, what=_WHAT, where="results[].extra")
            if extra.get("is_ignored") is True:
                continue
            severity = _SEVERITY.get(str(extra.get("severity") or "").upper(), "info")
            check_id = str(result.get("check_id") or "")
            start = result.get("start")
            line = start.get("line") if isinstance(start, dict) else None
            summary.findings += 1
            summary.by_severity[severity] += 1
            if check_id:
                check_ids.add(check_id)
            sink.finding(
                FindingRow(
                    category="sast",
                    severity=severity,
                    rule_id=check_id,
                    title=str(extra.get("message") or "")[:500],
                    location=str(result.get("path") or ""),
                    line=line if isinstance(line, int) and not isinstance(line, bool) else None,
                )
            )
        summary.rules = len(check_ids)
        return summary
