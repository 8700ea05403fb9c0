import io
import json
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import LoadSummary, ParseError
from evidence.parsers.head import read_head
from evidence.parsers.k6_stream import K6JsonStreamParser, percentile
from evidence.parsers.registry import detect
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (checks_passed, checks_failed, http_req_failed_rate, p95_ms, http_reqs), counted from the Point lines
# with a separate json-module script, the percentile with numpy.percentile (linear). SOURCES.md agrees:
# 63 lines, 16 Metric and 47 Point.
CORPUS = {
    "k6/k6-out-json-ndjson-stream.json": (2, 0, 0.0, 3779.4375999999997, 3),
}


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


def _point(metric: str, value: object) -> bytes:
    line = {"metric": metric, "type": "Point", "data": {"time": "2025-11-20T10:00:00Z", "value": value, "tags": {}}}
    return json.dumps(line).encode() + b"\n"


@pytest.mark.corpus
def test_every_corpus_k6_stream_is_counted():
    found = corpus_glob("k6", "*ndjson*")
    if not found:
        pytest.skip(SKIP_REASON)
    assert found == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_k6_stream_corpus_counts(relative):
    path = corpus_file(relative)
    passed, failed, failed_rate, p95, requests = CORPUS[relative]
    summary, sink = parse_path(K6JsonStreamParser(), path)
    assert (summary.checks_passed, summary.checks_failed, summary.http_reqs) == (passed, failed, requests)
    assert summary.http_req_failed_rate == failed_rate
    assert summary.http_req_duration_p95_ms == pytest.approx(p95, rel=1e-12)
    assert summary.thresholds_failed == 0
    assert (sink.findings, sink.test_cases) == ([], [])
    assert detected_formats(path) == ["k6-json-stream"]


def test_one_request():
    path = DATA / "k6_stream" / "one-request.json"
    summary, _sink = parse_path(K6JsonStreamParser(), path)
    assert summary.as_dict() == {
        "kind": "load",
        "checks_passed": 1,
        "checks_failed": 0,
        "http_req_failed_rate": 0.0,
        "http_req_duration_p95_ms": 123.5,
        "http_reqs": 1,
        # the stream declares thresholds (p(95)<500) but never says whether they passed
        "thresholds_failed": 0,
    }
    assert detected_formats(path) == ["k6-json-stream"]


def test_many_requests():
    path = DATA / "k6_stream" / "many-requests.json"
    summary, _sink = parse_path(K6JsonStreamParser(), path)
    # durations 1..20 ms: rank 19 * 0.95 = 18.05 lies between 19 and 20 ms
    assert summary.http_req_duration_p95_ms == pytest.approx(19.05)
    assert (summary.checks_passed, summary.checks_failed, summary.http_reqs) == (18, 2, 20)
    assert summary.http_req_failed_rate == 0.1
    assert detected_formats(path) == ["k6-json-stream"]


def test_metric_declarations_only():
    summary, _sink = parse_path(K6JsonStreamParser(), DATA / "k6_stream" / "metrics-only.json")
    assert (summary.checks_passed, summary.checks_failed) == (0, 0)
    assert (summary.http_req_failed_rate, summary.http_req_duration_p95_ms, summary.http_reqs) == (None, None, None)


def test_blank_lines_and_crlf_are_accepted():
    data = b"\n" + _point("http_reqs", 1).replace(b"\n", b"\r\n") + b"\n\n" + _point("checks", 0)
    summary, _sink = parse_bytes(K6JsonStreamParser(), data)
    assert (summary.http_reqs, summary.checks_failed) == (1, 1)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5.0], 5.0),
        ([1.0, 2.0], 1.95),
        ([3.0, 1.0, 2.0], 2.9),
        ([float(v) for v in range(1, 101)], 95.05),
        ([7.0] * 10, 7.0),
    ],
)
def test_percentile_interpolates_like_numpy(values, expected):
    # expected values are numpy.percentile(values, 95) (method "linear")
    assert percentile(array("d", values), 0.95) == pytest.approx(expected)


def test_percentile_of_nothing_is_none():
    assert percentile(array("d"), 0.95) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=300))
def test_percentile_matches_a_full_sort(values):
    ordered = sorted(values)
    rank = (len(ordered) - 1) * 0.95
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    expected = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    assert percentile(array("d", values), 0.95) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"\n\n  \n", "empty file"),
        (_point("http_reqs", 1) + b'{"metric":"http_reqs","type":"Point","data":{"ti', "line 2 is not valid JSON"),
        (b'{"type": "Metric", "metric": "vus"}\n[1, 2]\n', 'line 2 is not a k6 "Metric" or "Point" object'),
        (b'{"type": "Sample", "metric": "vus"}\n', 'line 1 is not a k6 "Metric" or "Point" object'),
        (b'{"type": ["Point"], "metric": "vus"}\n', 'line 1 is not a k6 "Metric" or "Point" object'),
        (b'{"type": "Point", "data": {"value": 1}}\n', 'line 1 is not a k6 "Metric" or "Point" object'),
        (b'{"metrics": {}, "root_group": {}}', 'line 1 is not a k6 "Metric" or "Point" object'),
        (_point("checks", "1"), "line 1 is a Point without a numeric data.value"),
        (_point("http_req_duration", True), "line 1 is a Point without a numeric data.value"),
        (_point("http_reqs", 1) + _point("http_req_duration", -0.5), "line 2 has a negative http_req_duration"),
        (b'{"type": "Point", "metric": "checks", "data": [1]}\n', "line 1 is a Point without a numeric"),
        (b"\xff\xfe\x00\n", "line 1 is not valid JSON"),
        (b'{"type": "Metric", "metric": "vus", "x": "' + b"a" * (1024 * 1024) + b'"}\n', "line 1 is longer than"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(K6JsonStreamParser(), data)


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (_point("vus", 1), ["k6-json-stream"]),
        (b'{"type":"Metric","data":{"name":"vus"},"metric":"vus"}\n' + _point("vus", 1), ["k6-json-stream"]),
        (b'{"type": "Point", "data": {"value": 1}}\n', []),
        (b'{"type": "Other", "metric": "vus"}\n', []),
        (b'{"type": {"a": 1}, "metric": "vus"}\n', []),
        (b'[{"type": "Point", "metric": "vus"}]\n', []),
        (b'{"type": "Point", "metric": "vus", "data": {"val', []),
    ],
)
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(K6JsonStreamParser(), data)
    except ParseError:
        return
    assert isinstance(summary, LoadSummary)


_OPENING = b'{"type":"Metric","data":{"name":"checks","type":"rate"},"metric":"checks"}\n' + _point("checks", 1)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_after_a_valid_opening_give_a_summary_or_a_parse_error(tail):
    try:
        summary, _sink = parse_bytes(K6JsonStreamParser(), _OPENING + tail)
    except ParseError:
        return
    assert isinstance(summary, LoadSummary)


_METRICS = st.sampled_from(("checks", "http_req_failed", "http_req_duration", "http_reqs", "vus"))
_VALUES = st.integers(min_value=-(2**53), max_value=2**53) | st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_METRICS, _VALUES), max_size=40))
def test_any_points_give_consistent_counts_or_a_parse_error(points):
    data = b"".join(_point(metric, value) for metric, value in points) or b'{"type":"Metric","metric":"vus"}\n'
    try:
        summary, _sink = parse_bytes(K6JsonStreamParser(), data)
    except ParseError:
        assert any(m == "http_req_duration" and v < 0 for m, v in points)
        return
    assert summary.checks_passed + summary.checks_failed == sum(1 for m, _v in points if m == "checks")
    assert (summary.http_reqs or 0) == sum(1 for m, _v in points if m == "http_reqs")
    assert summary.http_req_failed_rate is None or 0 <= summary.http_req_failed_rate <= 1
    durations = [float(v) for m, v in points if m == "http_req_duration"]
    if durations:
        assert min(durations) <= summary.http_req_duration_p95_ms <= max(durations)


_NUMBERS = st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.floats(allow_nan=False, allow_infinity=False)
_SCALARS = st.none() | st.booleans() | _NUMBERS | st.text(max_size=8) | st.sampled_from(("Metric", "Point", "checks"))
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8) | st.just("value"), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.dictionaries(st.sampled_from(("type", "metric", "data")), _JSON, max_size=3), min_size=1, max_size=5)
)
def test_arbitrary_line_shapes_give_a_summary_or_a_parse_error(lines):
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    K6JsonStreamParser.sniff(read_head(io.BytesIO(data)))  # detection must not raise either
    try:
        summary, _sink = parse_bytes(K6JsonStreamParser(), data)
    except ParseError:
        return
    assert isinstance(summary, LoadSummary)
