import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import LoadSummary, ParseError
from evidence.parsers.head import read_head
from evidence.parsers.k6 import K6SummaryParser
from evidence.parsers.registry import detect
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (checks_passed, checks_failed, http_req_failed_rate, p95_ms, http_reqs, thresholds_failed), read with
# a separate json-module script. SOURCES.md's "56499 passes / 647 fails" for stress-100vus is per check:
# the run has two checks with those counts, so the checks metric (every check evaluation) holds twice that.
CORPUS = {
    # no checks in the script; 2 thresholds, both ok
    "k6/k6-handlesummary-grafana-example.json": (0, 0, 0.0, 260.64205000000004, 20, 0),
    # 4 thresholds, all ok
    "k6/k6-handlesummary-stress-100vus.json": (112998, 1294, 0.011321679178259577, 130.64669999999998, 57147, 0),
    # summaryTrendStats without p(95): only p(99) and p(99.9) were written
    "k6/k6-summary-export-qr-code.json": (493168, 0, 0.0, None, 493168, 0),
    "k6/k6-summary-export-ticket-reserve.json": (99, 1, 0.01, 4101.811365, 100, 0),
}

NO_LOAD = {"kind": "load", "checks_passed": 0, "checks_failed": 0, "http_req_failed_rate": None,
           "http_req_duration_p95_ms": None, "http_reqs": None, "thresholds_failed": 0}  # fmt: skip


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


def _fields(summary: LoadSummary) -> tuple:
    return (summary.checks_passed, summary.checks_failed, summary.http_req_failed_rate,
            summary.http_req_duration_p95_ms, summary.http_reqs, summary.thresholds_failed)  # fmt: skip


@pytest.mark.corpus
def test_every_corpus_k6_summary_is_counted():
    found = [f for f in corpus_glob("k6", "*.json") if "ndjson" not in f]
    if not found:
        pytest.skip(SKIP_REASON)
    assert found == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_k6_corpus_counts(relative):
    path = corpus_file(relative)
    summary, sink = parse_path(K6SummaryParser(), path)
    assert _fields(summary) == CORPUS[relative]
    assert (sink.findings, sink.test_cases) == ([], [])
    assert detected_formats(path) == ["k6-summary"]


def test_handlesummary_failed_thresholds():
    path = DATA / "k6" / "handlesummary-failed-thresholds.json"
    summary, _sink = parse_path(K6SummaryParser(), path)
    assert summary.as_dict() == {
        "kind": "load",
        "checks_passed": 570,
        "checks_failed": 30,
        "http_req_failed_rate": 0.025,
        "http_req_duration_p95_ms": 612.25,
        "http_reqs": 600,
        # checks rate>0.99, http_req_duration p(95)<500 and the submetric's max<1000
        "thresholds_failed": 3,
    }
    assert detected_formats(path) == ["k6-summary"]


def test_summary_export_thresholds_true_means_failed():
    # --summary-export writes `!threshold.ok`: true is a FAILED threshold.
    path = DATA / "k6" / "summary-export-failed-thresholds.json"
    summary, _sink = parse_path(K6SummaryParser(), path)
    assert _fields(summary) == (95, 5, 0.04, 530.5, 100, 3)
    assert detected_formats(path) == ["k6-summary"]


def test_checks_from_nested_groups_without_a_checks_metric():
    summary, _sink = parse_path(K6SummaryParser(), DATA / "k6" / "nested-group-checks.json")
    assert _fields(summary) == (25, 3, None, None, None, 0)


def test_empty_run():
    summary, _sink = parse_path(K6SummaryParser(), DATA / "k6" / "empty.json")
    assert summary.as_dict() == NO_LOAD
    assert detected_formats(DATA / "k6" / "empty.json") == ["k6-summary"]


@pytest.mark.parametrize(
    ("values", "rate"),
    [
        # "passes" of http_req_failed are the requests that failed
        ({"passes": 3, "fails": 97}, 0.03),
        ({"passes": 0, "fails": 0}, None),
        ({"rate": 0.5, "passes": 0, "fails": 0}, 0.5),
        ({"value": 0.25}, 0.25),
    ],
)
def test_http_req_failed_rate(values, rate):
    doc = {"metrics": {"http_req_failed": {"type": "rate", "values": values}}, "root_group": {}}
    summary, _sink = parse_bytes(K6SummaryParser(), json.dumps(doc).encode())
    assert summary.http_req_failed_rate == rate


def test_counts_written_as_floats_are_counts():
    doc = b'{"metrics": {"http_reqs": {"count": 20.0, "rate": 2.5}, "checks": {"passes": 4.0, "fails": 0}}}'
    summary, _sink = parse_bytes(K6SummaryParser(), doc)
    assert (summary.http_reqs, summary.checks_passed) == (20, 4)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b'{"metrics": {"http_reqs": {"count": 2', "not valid JSON"),
        (b"[]", "expected a JSON object at document, found list"),
        (b'{"root_group": {}, "state": {}}', 'no "metrics"'),
        (b'{"metrics": []}', "expected a JSON object at metrics, found list"),
        (b'{"metrics": {"checks": 5}}', "expected a JSON object at metrics.checks, found int"),
        (b'{"metrics": {"checks": {"values": []}}}', "at metrics.checks.values, found list"),
        (b'{"metrics": {"checks": {"passes": "1", "fails": 0}}}', "metrics.checks.passes must be a non-negative"),
        (b'{"metrics": {"checks": {"passes": 1}}}', "metrics.checks.fails must be a non-negative"),
        (b'{"metrics": {"http_reqs": {"count": -1}}}', "metrics.http_reqs.count must be a non-negative"),
        (b'{"metrics": {"http_reqs": {"count": 2.5}}}', "metrics.http_reqs.count must be a non-negative"),
        (b'{"metrics": {"http_reqs": {"count": true}}}', "metrics.http_reqs.count must be a non-negative"),
        (b'{"metrics": {"http_req_failed": {"rate": 1.5}}}', "rate must be between 0 and 1"),
        (b'{"metrics": {"http_req_failed": {"value": "0"}}}', "rate must be a number"),
        (b'{"metrics": {"http_req_duration": {"p(95)": "fast"}}}', r'"p\(95\)" must be a number'),
        (b'{"metrics": {"x": {"thresholds": ["rate<1"]}}}', "at metrics.x.thresholds, found list"),
        (b'{"metrics": {"x": {"thresholds": {"rate<1": "no"}}}}', "threshold 'rate<1' of x has no pass/fail"),
        (b'{"metrics": {"x": {"thresholds": {"rate<1": {"ok": 1}}}}}', "threshold 'rate<1' of x has no pass/fail"),
        (b'{"metrics": {}, "root_group": []}', "expected a JSON object at root_group, found list"),
        (b'{"metrics": {}, "root_group": {"checks": "all"}}', "root_group.checks must be a list or an object"),
        (b'{"metrics": {}, "root_group": {"checks": [5]}}', r"root_group.checks\[\], found int"),
        (b'{"metrics": {}, "root_group": {"groups": [{"checks": [{"passes": 1}]}]}}', "fails must be"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(K6SummaryParser(), data)


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (b'{"metrics": {}, "root_group": {}}', ["k6-summary"]),
        (b'{"state": {}, "metrics": {}}', ["k6-summary"]),
        (b'{"options": {}, "metrics": {}}', ["k6-summary"]),
        (b'{"metrics": {}}', []),
        (b'{"type": "Point", "metric": "vus", "data": {"value": 1}}', ["k6-json-stream"]),
    ],
)
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


def test_deeply_nested_groups_do_not_overflow():
    group: dict = {"checks": [{"passes": 1, "fails": 0}], "groups": []}
    root = group
    for _ in range(200):
        child: dict = {"checks": [{"passes": 1, "fails": 1}], "groups": []}
        group["groups"].append(child)
        group = child
    summary, _sink = parse_bytes(K6SummaryParser(), json.dumps({"metrics": {}, "root_group": root}).encode())
    assert (summary.checks_passed, summary.checks_failed) == (201, 200)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(K6SummaryParser(), data)
    except ParseError:
        return
    assert isinstance(summary, LoadSummary)


_OPENING = b'{"root_group": {"checks": [{"name": "ok", "passes": 3, "fails": 1}]}, "metrics": {"checks": {"'


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_after_a_valid_opening_give_a_summary_or_a_parse_error(tail):
    try:
        summary, _sink = parse_bytes(K6SummaryParser(), _OPENING + tail)
    except ParseError:
        return
    assert isinstance(summary, LoadSummary)


_NUMBERS = st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.floats(allow_nan=False, allow_infinity=False)
_SCALARS = st.none() | st.booleans() | _NUMBERS | st.text(max_size=8)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_METRIC_KEYS = ("values", "thresholds", "passes", "fails", "rate", "value", "count", "p(95)")


@settings(max_examples=200, deadline=None)
@given(
    metrics=st.dictionaries(
        st.sampled_from(("checks", "http_req_failed", "http_req_duration", "http_reqs", "vus")),
        st.dictionaries(st.sampled_from(_METRIC_KEYS), _JSON, max_size=4),
        max_size=5,
    ),
    root_group=_JSON,
)
def test_arbitrary_metric_shapes_give_a_summary_or_a_parse_error(metrics, root_group):
    doc = json.dumps({"metrics": metrics, "root_group": root_group}).encode()
    try:
        summary, _sink = parse_bytes(K6SummaryParser(), doc)
    except ParseError:
        return
    assert summary.checks_passed >= 0 and summary.checks_failed >= 0
    assert summary.http_req_failed_rate is None or 0 <= summary.http_req_failed_rate <= 1
