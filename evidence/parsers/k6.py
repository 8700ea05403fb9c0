"""k6 end-of-test summaries: ``handleSummary()`` data JSON and the legacy ``k6 run --summary-export`` file.

Both are {"metrics": {name: ...}, "root_group": {...}}; they differ in how a metric is written:
- handleSummary data: {"type", "contains", "values": {"avg", "p(95)", "count", "rate", "passes", "fails",
  ...}, "thresholds": {expression: {"ok": bool}}}, root_group groups and checks as lists; "state" and
  "options" at the top.
- summary-export: the values flat in the metric, rate metrics with "value" instead of "rate", and
  "thresholds": {expression: bool} where the bool is NOT the outcome but whether the threshold FAILED
  (k6 writes ``!threshold.ok`` there); root_group groups and checks as objects keyed by name.

Counting: ``checks_passed``/``checks_failed`` are the passes/fails of the ``checks`` rate metric (every
check evaluation, over all checks), or when a script made no checks metric, the sum over root_group's
checks and all nested groups. ``http_req_failed_rate`` is http_req_failed's rate (its "passes" are the
requests that DID fail, as for any rate metric), computed as passes / (passes + fails) when only those
are written. ``http_req_duration_p95_ms`` is http_req_duration's "p(95)" (None when summaryTrendStats
left it out), ``http_reqs`` the http_reqs counter's count, ``thresholds_failed`` the number of failed
thresholds over every metric and submetric. A metric that is absent gives None (0 for the checks).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from evidence.parsers.base import Head, LoadSummary, ParseError, Parser, RowSink
from evidence.parsers.jsonstream import expect_dict, load_document

_WHAT = "k6 summary JSON"


def _values(metrics: dict[str, Any], name: str) -> dict[str, Any] | None:
    """A metric's statistics whichever way it is written, or None when the run has no such metric."""
    if name not in metrics:
        return None
    metric = expect_dict(metrics[name], what=_WHAT, where=f"metrics.{name}")
    values = metric.get("values")  # handleSummary nests them; summary-export writes them in the metric
    return expect_dict(values, what=_WHAT, where=f"metrics.{name}.values") if values is not None else metric


def _number(value: Any, where: str) -> float:
    # bool is an int in Python, and JSON true is no statistic.
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ParseError(f"{_WHAT}: {where} must be a number, found {str(value)[:40]!r}")
    return float(value)


def _count(value: Any, where: str) -> int:
    # k6 counts are float64 in Go, so 20 may come back as 20.0; 2.5 or -1 is no count.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ParseError(f"{_WHAT}: {where} must be a non-negative whole number, found {str(value)[:40]!r}")
    return value


def _passes_fails(values: dict[str, Any], where: str) -> tuple[int, int]:
    return _count(values.get("passes"), f"{where}.passes"), _count(values.get("fails"), f"{where}.fails")


def _group_checks(root_group: Any) -> tuple[int, int]:
    """Passes and fails of every check in a group and its subgroups (a stack: groups can nest deeply)."""
    passes = fails = 0
    stack = [(root_group, "root_group")]
    while stack:
        value, where = stack.pop()
        group = expect_dict(value, what=_WHAT, where=where)
        for key in ("checks", "groups"):
            children = group.get(key) or []
            # summary-export keys both by name; handleSummary lists them.
            if isinstance(children, dict):
                children = list(children.values())
            if not isinstance(children, list):
                raise ParseError(f"{_WHAT}: {where}.{key} must be a list or an object")
            for child in children:
                if key == "groups":
                    stack.append((child, f"{where}.groups[]"))
                    continue
                check = expect_dict(child, what=_WHAT, where=f"{where}.checks[]")
                check_passes, check_fails = _passes_fails(check, f"{where}.checks[]")
                passes += check_passes
                fails += check_fails
    return passes, fails


def _failed_thresholds(metrics: dict[str, Any]) -> int:
    failed = 0
    for name, metric in metrics.items():
        thresholds = expect_dict(metric, what=_WHAT, where=f"metrics.{name}").get("thresholds") or {}
        for expression, outcome in expect_dict(thresholds, what=_WHAT, where=f"metrics.{name}.thresholds").items():
            if isinstance(outcome, dict) and isinstance(outcome.get("ok"), bool):
                failed += not outcome["ok"]
            elif isinstance(outcome, bool):
                failed += outcome  # summary-export: true means the threshold failed
            else:
                raise ParseError(f"{_WHAT}: threshold {expression[:80]!r} of {name} has no pass/fail outcome")
    return failed


def _failed_rate(values: dict[str, Any]) -> float | None:
    where = "metrics.http_req_failed"
    rate = values.get("rate", values.get("value"))
    if rate is None:
        passes, fails = _passes_fails(values, where)
        # No requests is no rate: a gate must not pass on 0/0.
        return passes / (passes + fails) if passes + fails else None
    rate = _number(rate, f"{where} rate")
    if not 0.0 <= rate <= 1.0:
        raise ParseError(f"{_WHAT}: {where} rate must be between 0 and 1, found {rate}")
    return rate


class K6SummaryParser(Parser):
    format = "k6-summary"
    kind = "load"
    label = "k6 summary JSON"
    producers = "k6 run --summary-export (legacy flat), k6 handleSummary() data JSON"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = head.json_keys
        return head.json_root == "object" and "metrics" in keys and bool(keys & {"root_group", "state", "options"})

    def parse(self, stream: BinaryIO, sink: RowSink) -> LoadSummary:
        # One entry per metric: small by nature, read whole.
        document = expect_dict(load_document(stream, what=_WHAT), what=_WHAT)
        if "metrics" not in document:
            raise ParseError(f'{_WHAT}: no "metrics"; this is not a k6 end-of-test summary')
        metrics = expect_dict(document["metrics"], what=_WHAT, where="metrics")
        summary = LoadSummary(thresholds_failed=_failed_thresholds(metrics))
        checks = _values(metrics, "checks")
        if checks is not None:
            summary.checks_passed, summary.checks_failed = _passes_fails(checks, "metrics.checks")
        elif document.get("root_group") is not None:
            summary.checks_passed, summary.checks_failed = _group_checks(document["root_group"])
        failed = _values(metrics, "http_req_failed")
        if failed is not None:
            summary.http_req_failed_rate = _failed_rate(failed)
        duration = _values(metrics, "http_req_duration")
        if duration is not None and duration.get("p(95)") is not None:
            summary.http_req_duration_p95_ms = _number(duration["p(95)"], 'metrics.http_req_duration "p(95)"')
        requests = _values(metrics, "http_reqs")
        if requests is not None:
            summary.http_reqs = _count(requests.get("count"), "metrics.http_reqs.count")
        return summary
