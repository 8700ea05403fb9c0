import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError, SastSummary
from evidence.parsers.head import read_head
from evidence.parsers.registry import detect
from evidence.parsers.semgrep import SemgrepJsonParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (findings, by_severity, rules, tool), counted from the files with a separate json-module script
CORPUS = {
    "semgrep/semgrep-json-1.100.0.json": (2, {"high": 1, "medium": 1}, 2, "semgrep 1.100.0"),
    "semgrep/semgrep-json-1.30.0.json": (5, {"medium": 5}, 1, "semgrep 1.30.0"),
    # no version field: the tool is plain "semgrep"
    "semgrep/semgrep-json-many-vulns.json": (48, {"high": 13, "medium": 35}, 6, "semgrep"),
}

NO_SEVERITIES = {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0}


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


@pytest.mark.corpus
def test_every_corpus_semgrep_json_is_counted():
    found = corpus_glob("semgrep", "*.json")
    if not found:
        pytest.skip(SKIP_REASON)
    assert found == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_semgrep_corpus_counts(relative):
    path = corpus_file(relative)
    findings, severities, rules, tool = CORPUS[relative]
    summary, sink = parse_path(SemgrepJsonParser(), path)
    assert summary.findings == findings
    assert summary.by_severity == {**NO_SEVERITIES, **severities}
    assert summary.rules == rules
    assert summary.tool == tool
    assert len(sink.findings) == findings
    assert detected_formats(path) == ["semgrep-json"]


def test_one_result():
    summary, sink = parse_path(SemgrepJsonParser(), DATA / "semgrep" / "one-result.json")
    assert summary.as_dict() == {
        "kind": "sast",
        "findings": 1,
        "by_severity": {**NO_SEVERITIES, "high": 1},
        "rules": 1,
        "tool": "semgrep 1.100.0",
    }
    row = sink.findings[0]
    assert (row.category, row.severity, row.location, row.line) == ("sast", "high", "app/views.py", 27)
    assert row.rule_id == "python.django.security.injection.raw-html-format.raw-html-format"
    assert row.title == "Detected user input flowing into a manually constructed HTML string."


def test_empty_results():
    summary, sink = parse_path(SemgrepJsonParser(), DATA / "semgrep" / "empty-results.json")
    assert (summary.findings, summary.rules, summary.tool) == (0, 0, "semgrep 1.100.0")
    assert sink.findings == []


def test_every_severity():
    summary, sink = parse_path(SemgrepJsonParser(), DATA / "semgrep" / "every-severity.json")
    assert summary.findings == 10 == len(sink.findings)  # the is_ignored (nosemgrep) result is left out
    assert summary.by_severity == {"critical": 1, "high": 3, "medium": 2, "low": 2, "info": 2}
    assert summary.rules == 9  # r.error appears twice
    assert summary.tool == "semgrep 1.30.0"
    assert {row.title: row.severity for row in sink.findings} == {
        "critical": "critical",
        "error": "high",
        "high": "high",
        "warning": "medium",
        "medium": "medium",
        "info": "low",
        "low": "low",
        "experiment": "info",
        "no severity": "info",
        "same check again": "high",
    }


def test_title_is_capped():
    doc = {"results": [{"check_id": "c", "path": "p", "start": {"line": 1}, "extra": {"message": "m" * 600}}]}
    _summary, sink = parse_bytes(SemgrepJsonParser(), json.dumps(doc).encode())
    assert len(sink.findings[0].title) == 500


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b'{"version": "1.100.0", "results": [{"check_id": "a", "extra": {"sev', "truncated or malformed"),
        (b'{"results": ["oops"], "errors": []}', "expected a JSON object at results\\[\\]"),
        (
            b'{"results": [{"check_id": "a", "extra": ["ERROR"]}]}',
            "expected a JSON object at results\\[\\].extra",
        ),
        (b"[1, 2", "truncated or malformed"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(SemgrepJsonParser(), data)


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (b'{"version": "1.100.0", "results": [], "errors": []}', ["semgrep-json"]),
        (b'{"errors": [], "paths": {"scanned": []}, "results": []}', ["semgrep-json"]),
        (b'{"results": [{"check_id": "x"}], "errors": []}', ["semgrep-json"]),
        # a big report whose other keys lie beyond the head: its results name a check_id
        (b'{"results": [{"check_id": "x", "extra": {"lines": "' + b"a" * 70_000 + b'"}}], "errors": []}',
         ["semgrep-json"]),
        # bandit JSON has "results" and "errors" too
        (b'{"errors": [], "generated_at": "2024-01-01T00:00:00Z", "metrics": {}, '
         b'"results": [{"test_id": "B101"}]}', []),
        (b'{"runs": [], "results": [], "version": "2.1.0"}', ["sarif"]),
        (b'{"SchemaVersion": 2, "Results": [], "results": [], "version": "1"}', ["trivy-json"]),
    ],
)  # fmt: skip
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(SemgrepJsonParser(), data)
    except ParseError:
        return
    assert isinstance(summary, SastSummary)


_NUMBERS = st.integers() | st.floats(allow_nan=False, allow_infinity=False)  # what JSON can spell
_SCALARS = st.none() | st.booleans() | _NUMBERS | st.text(max_size=8)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    result=st.dictionaries(st.sampled_from(("check_id", "path", "start", "extra")), _JSON, max_size=4),
    extra=st.dictionaries(st.sampled_from(("message", "severity", "is_ignored")), _JSON, max_size=3),
    version=_JSON,
)
def test_arbitrary_semgrep_shapes_give_a_summary_or_a_parse_error(result, extra, version):
    doc = {"version": version, "results": [result, {"check_id": "c", "extra": extra}]}
    try:
        summary, sink = parse_bytes(SemgrepJsonParser(), json.dumps(doc).encode())
    except ParseError:
        return
    assert summary.findings == len(sink.findings) == sum(summary.by_severity.values())
