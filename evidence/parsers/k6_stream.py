"""k6 JSON output (``k6 run --out json=FILE``): newline-delimited JSON, one object per line, read line by line.

Lines are {"type": "Metric", "metric": name, "data": {"name", "type", "contains", "thresholds", ...}},
declaring a metric once, and {"type": "Point", "metric": name, "data": {"time", "value", "tags"}}, one
sample. Every non-blank line must be one of the two.

The summary is computed from the points, as k6 computes its end-of-test summary:
``checks_passed``/``checks_failed`` count "checks" points with a non-zero / zero value;
``http_req_failed_rate`` is the share of non-zero "http_req_failed" points (None without any);
``http_reqs`` is the number of "http_reqs" points (None without any); ``http_req_duration_p95_ms`` is
the 95th percentile of the "http_req_duration" values with linear interpolation between the closest
ranks (numpy's default method). ``thresholds_failed`` is 0: the stream declares thresholds but never
says whether they passed.

Memory: each http_req_duration value is kept in an ``array('d')``, 8 bytes per request (80 MB for ten
million requests); finding the percentile holds, besides, the top 5% of them as Python floats. No line
may be longer than 1 MB, so one line never costs more than that.
"""

from __future__ import annotations

import heapq
import math
from array import array
from typing import Any, BinaryIO

import orjson

from evidence.parsers.base import Head, LoadSummary, ParseError, Parser, RowSink

_WHAT = "k6 JSON output"
_TYPES = ("Metric", "Point")
# k6 writes a few hundred bytes per line; a longer one is not k6 output and must not be buffered whole.
_MAX_LINE = 1024 * 1024


def percentile(values: array, fraction: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), without sorting every value."""
    count = len(values)
    if not count:
        return None
    rank = (count - 1) * fraction
    below = math.floor(rank)
    # The values at ascending positions below and below + 1 are among the count - below largest.
    largest = heapq.nlargest(count - below, values)
    low = largest[-1]
    high = largest[-2] if len(largest) > 1 else low
    return low + (high - low) * (rank - below)


def _is_entry(value: Any) -> bool:
    # A tuple, not a set: a "type" that is a list or object must compare unequal, not raise TypeError.
    return isinstance(value, dict) and value.get("type") in _TYPES


def _line_object(line: bytes, number: int) -> dict[str, Any]:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"{_WHAT}: line {number} is not valid JSON: {exc.msg}") from None
    if not _is_entry(value) or not isinstance(value.get("metric"), str):
        raise ParseError(f'{_WHAT}: line {number} is not a k6 "Metric" or "Point" object')
    return value


def _point_value(point: dict[str, Any], number: int) -> float:
    data = point.get("data")
    value = data.get("value") if isinstance(data, dict) else None
    # bool is an int in Python, and JSON true is no sample.
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ParseError(f"{_WHAT}: line {number} is a Point without a numeric data.value")
    return float(value)


class K6JsonStreamParser(Parser):
    format = "k6-json-stream"
    kind = "load"
    label = "k6 JSON output (NDJSON)"
    producers = "k6 run --out json=FILE (NDJSON Metric/Point lines)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        # head.json_keys only sees the first line's keys, so the first line is parsed here on its own.
        if head.json_root != "object":
            return False
        first_line = head.raw.lstrip().split(b"\n", 1)[0]
        try:
            first = orjson.loads(first_line)
        except orjson.JSONDecodeError:
            return False
        return _is_entry(first) and "metric" in first

    def parse(self, stream: BinaryIO, sink: RowSink) -> LoadSummary:
        summary = LoadSummary()
        durations = array("d")
        failed_requests = requests_checked = requests = 0
        number = 0
        saw_line = False
        while line := stream.readline(_MAX_LINE + 1):
            number += 1
            if len(line) > _MAX_LINE:
                raise ParseError(f"{_WHAT}: line {number} is longer than {_MAX_LINE // 1024} KB")
            if not line.strip():
                continue
            saw_line = True
            entry = _line_object(line, number)
            if entry["type"] != "Point":
                continue
            metric = entry["metric"]
            if metric == "checks":
                if _point_value(entry, number):
                    summary.checks_passed += 1
                else:
                    summary.checks_failed += 1
            elif metric == "http_req_failed":
                requests_checked += 1
                failed_requests += bool(_point_value(entry, number))
            elif metric == "http_req_duration":
                duration = _point_value(entry, number)
                # A duration is never negative; rejecting one also keeps the interpolation from overflowing.
                if duration < 0:
                    raise ParseError(f"{_WHAT}: line {number} has a negative http_req_duration")
                durations.append(duration)
            elif metric == "http_reqs":
                requests += 1
        if not saw_line:
            raise ParseError(f"empty file: expected {_WHAT} (one JSON object per line)")
        summary.http_req_failed_rate = failed_requests / requests_checked if requests_checked else None
        summary.http_reqs = requests or None
        summary.http_req_duration_p95_ms = percentile(durations, 0.95)
        return summary
