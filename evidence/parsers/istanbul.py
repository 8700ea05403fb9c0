"""Istanbul ``coverage-summary.json``, written by the json-summary reporter of istanbul / nyc / jest / vitest.

The document maps "total" and then every source file to {"lines", "statements", "functions", "branches"},
each {"total", "covered", "skipped", "pct"}. Only the "total" entry is read: line counts come from
total.lines and branch counts from total.branches (null in the summary only when the key is absent).
Percentages are recomputed from the counts rather than taken from "pct", which Istanbul rounds and
writes as the string "Unknown" when nothing was measured.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from evidence.parsers.base import CoverageSummary, Head, ParseError, Parser, RowSink
from evidence.parsers.jsonstream import expect_dict, load_document

_WHAT = "Istanbul coverage-summary"


def _counts(total: dict[str, Any], metric: str) -> tuple[int, int]:
    """(total, covered) of one metric of the "total" entry, checked so a gate never compares garbage."""
    entry = expect_dict(total[metric], what=_WHAT, where=f"total.{metric}")
    counts = []
    for key in ("total", "covered"):
        value = entry.get(key)
        # bool is an int in Python, and a count written as 4.5 or "48" means the file is not Istanbul's.
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ParseError(f"{_WHAT}: total.{metric}.{key} must be a non-negative integer, found {str(value)[:40]!r}")
        counts.append(value)
    whole, covered = counts
    if covered > whole:
        raise ParseError(f"{_WHAT}: total.{metric} has more covered ({covered}) than total ({whole})")
    return whole, covered


class IstanbulSummaryParser(Parser):
    format = "istanbul-json-summary"
    kind = "coverage"
    label = "Istanbul coverage-summary.json"
    producers = "istanbul / nyc / jest --coverageReporters=json-summary / vitest"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        # coverage.py JSON has "totals", not "total"; '"lines"' rules out other documents keyed "total".
        return head.json_root == "object" and "total" in head.json_keys and '"lines"' in head.text

    def parse(self, stream: BinaryIO, sink: RowSink) -> CoverageSummary:
        # Files are small (one entry per source file), so the whole document is read at once.
        document = expect_dict(load_document(stream, what=_WHAT), what=_WHAT)
        if "total" not in document:
            raise ParseError(f'{_WHAT}: no "total" entry; this is not a json-summary coverage report')
        total = expect_dict(document["total"], what=_WHAT, where="total")
        if "lines" not in total:
            raise ParseError(f'{_WHAT}: "total" has no "lines" counts')
        lines_total, lines_covered = _counts(total, "lines")
        branches_total, branches_covered = _counts(total, "branches") if "branches" in total else (None, None)
        return CoverageSummary.from_counts(lines_total, lines_covered, branches_total, branches_covered)
