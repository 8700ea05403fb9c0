"""kubeconform JSON (``kubeconform -output json``, with or without ``-summary`` and ``-verbose``), streamed.

The document is {"resources": [{"filename", "kind", "name", "version", "status", "msg"}], "summary":
{"valid", "invalid", "errors", "skipped"}}; "summary" is written only with ``-summary``. Statuses are
statusValid / statusInvalid / statusError / statusSkipped (VALID / INVALID / ERROR / SKIPPED before
v0.5), and "" for an empty YAML document, which is no resource and is not counted.

kubeconform lists invalid and errored resources always, but valid, skipped and empty ones only with
``-verbose``. So when "summary" is present its four counts are used (they cover every resource) and
``resources`` is their sum; without it the counts come from the listed statuses, and a report written
without ``-verbose`` then counts no valid resources. The two are written from the same counters, so a
summary that has fewer resources of some status than are listed, or a different number of invalid or
errored ones, means the file was altered: that is a ParseError, not a guess at which half is right.
``failures`` is invalid + errors. Every invalid or errored resource is one finding of severity high,
rule_id "Kind/name".
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO

from evidence.parsers.base import FindingRow, Head, ParseError, Parser, PolicySummary, RowSink
from evidence.parsers.conftest import RecordingReader
from evidence.parsers.jsonstream import expect_dict, walk

_WHAT = "kubeconform JSON"
_COUNTS = ("valid", "invalid", "errors", "skipped")
_STATUS = {
    "statusValid": "valid",
    "VALID": "valid",
    "statusInvalid": "invalid",
    "INVALID": "invalid",
    "statusError": "errors",
    "ERROR": "errors",
    "statusSkipped": "skipped",
    "SKIPPED": "skipped",
    # kubeconform writes "" for an empty document (listed only with -verbose); "statusEmpty" is accepted
    # as the same thing because it has been documented under that name.
    "": None,
    "statusEmpty": None,
}
# What kubeconform writes without -summary when nothing was invalid: no listed resource to stream.
_EMPTY_LISTING = re.compile(rb'\s*\{\s*"resources"\s*:\s*(?:\[\s*\]|null)\s*\}\s*')


def _summary_counts(value: Any) -> dict[str, int]:
    summary = expect_dict(value, what=_WHAT, where="summary")
    counts = {}
    for key in _COUNTS:
        count = summary.get(key)
        # bool is an int in Python; a count written as 1.5 or "1" means the file is not kubeconform's.
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ParseError(f"{_WHAT}: summary.{key} must be a non-negative integer, found {str(count)[:40]!r}")
        counts[key] = count
    return counts


def _check_consistent(listed: dict[str, int], summary: dict[str, int]) -> None:
    for key in _COUNTS:
        # Invalid and errored resources are always listed; valid and skipped ones only with -verbose.
        exact = key in ("invalid", "errors")
        if listed[key] > summary[key] or (exact and listed[key] != summary[key]):
            raise ParseError(
                f"{_WHAT}: summary.{key} is {summary[key]} but resources lists {listed[key]}; "
                "the summary and the resource list disagree"
            )


class KubeconformJsonParser(Parser):
    format = "kubeconform-json"
    kind = "policy"
    label = "kubeconform JSON"
    producers = "kubeconform -output json [-summary] [-verbose]"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        # Trivy's Kubernetes report has "Resources" (capitalised); '"status"' marks a listed resource.
        keys = head.json_keys
        return head.json_root == "object" and "resources" in keys and ("summary" in keys or '"status"' in head.text)

    def parse(self, stream: BinaryIO, sink: RowSink) -> PolicySummary:
        listed = dict.fromkeys(_COUNTS, 0)
        summary_counts: dict[str, int] | None = None
        reader = RecordingReader(stream)
        index = 0
        for prefix, value in walk(reader, ("resources.item", "summary"), what=_WHAT):
            if prefix == "summary":
                summary_counts = _summary_counts(value)
                continue
            index += 1
            resource = expect_dict(value, what=_WHAT, where=f"resources[{index - 1}]")
            status = resource.get("status", "")
            if not isinstance(status, str) or status not in _STATUS:
                raise ParseError(f"{_WHAT}: resources[{index - 1}] has unknown status {str(status)[:40]!r}")
            counted = _STATUS[status]
            if counted is None:
                continue
            listed[counted] += 1
            if counted in ("invalid", "errors"):
                kind, name = str(resource.get("kind") or ""), str(resource.get("name") or "")
                sink.finding(
                    FindingRow(
                        category="policy",
                        severity="high",
                        rule_id="/".join(part for part in (kind, name) if part),
                        title=str(resource.get("msg") or "")[:500],
                        location=str(resource.get("filename") or ""),
                    )
                )
        if not index and summary_counts is None:
            document = reader.whole()
            if document is None or not _EMPTY_LISTING.fullmatch(document):
                raise ParseError(f'{_WHAT}: no "resources" list or "summary"; this is not a kubeconform report')
        if summary_counts is not None:
            _check_consistent(listed, summary_counts)
        counts = summary_counts or listed
        return PolicySummary(
            tool="kubeconform",
            failures=counts["invalid"] + counts["errors"],
            resources=sum(counts.values()),
            **counts,
        )
