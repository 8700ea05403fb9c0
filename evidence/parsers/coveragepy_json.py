"""coverage.py JSON reports, written by `coverage json` (meta.format 1 to 3 so far; coverage.py 5.0 and
later).

The document holds "meta", "files" (every measured file, the bulk of it) and "totals". Counting rules:

* Only "meta" and "totals" are read; "files" is streamed past, never built, so a report of a large
  code base costs no memory. "totals" comes after "files" and is found wherever it is.
* lines_total = totals.num_statements and lines_covered = totals.covered_lines: coverage.py measures
  statements, which is what its "lines" mean.
* Branches come from totals.num_branches / totals.covered_branches only when meta.branch_coverage is
  true (coverage.py writes them only then); otherwise the branch fields are None.
* Percentages are recomputed from those counts. coverage.py's own percent_covered mixes statements and
  branches when branches were measured, so it is not the line percentage.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from evidence.parsers.base import CoverageSummary, Head, ParseError, Parser, RowSink
from evidence.parsers.jsonstream import expect_dict, walk

_WHAT = "coverage.py JSON"


def _count(totals: dict[str, Any], key: str) -> int:
    value = totals.get(key)
    # bool is an int in Python, and a count written as 4.5 or "48" means the file is not coverage.py's.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ParseError(f"{_WHAT}: totals.{key} must be a non-negative integer, found {str(value)[:40]!r}")
    return value


def _pair(totals: dict[str, Any], total_key: str, covered_key: str) -> tuple[int, int]:
    whole, covered = _count(totals, total_key), _count(totals, covered_key)
    if covered > whole:
        raise ParseError(f"{_WHAT}: totals.{covered_key} ({covered}) is more than totals.{total_key} ({whole})")
    return whole, covered


class CoveragePyJsonParser(Parser):
    format = "coveragepy-json"
    kind = "coverage"
    label = "coverage.py JSON"
    producers = "coverage.py `coverage json`"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        # The text check keeps out other documents that happen to have "meta" and "files" keys: coverage.py's
        # meta always has "branch_coverage", and "format" since coverage.py 6.
        keys = head.json_keys
        return (
            head.json_root == "object"
            and "meta" in keys
            and bool(keys & {"files", "totals"})
            and ("format" in head.text or "coverage" in head.text)
        )

    def parse(self, stream: BinaryIO, sink: RowSink) -> CoverageSummary:
        found: dict[str, Any] = {}
        for prefix, value in walk(stream, ("meta", "totals"), what=_WHAT):
            found[prefix] = value
        if "meta" not in found or "totals" not in found:
            missing = " and ".join(f'"{key}"' for key in ("meta", "totals") if key not in found)
            raise ParseError(f"{_WHAT}: no {missing}; this is not a `coverage json` report")
        meta = expect_dict(found["meta"], what=_WHAT, where="meta")
        totals = expect_dict(found["totals"], what=_WHAT, where="totals")
        version = meta.get("format", 1)  # coverage.py 5.x wrote no format number: that is format 1
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ParseError(f"{_WHAT}: meta.format {repr(version)[:40]} is not a coverage.py JSON format number")
        branch_coverage = meta.get("branch_coverage", False)
        if not isinstance(branch_coverage, bool):
            raise ParseError(
                f"{_WHAT}: meta.branch_coverage must be true or false, found {str(branch_coverage)[:40]!r}"
            )
        lines_total, lines_covered = _pair(totals, "num_statements", "covered_lines")
        if not branch_coverage:
            return CoverageSummary.from_counts(lines_total, lines_covered, None, None)
        branches_total, branches_covered = _pair(totals, "num_branches", "covered_branches")
        return CoverageSummary.from_counts(lines_total, lines_covered, branches_total, branches_covered)
