import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError, PolicySummary
from evidence.parsers.conftest import ConftestJsonParser
from evidence.parsers.head import read_head
from evidence.parsers.registry import detect
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (failures, warnings, successes, exceptions), counted from the files with a separate json-module script;
# SOURCES.md agrees: clean = no findings, many = "1 warning, 3 failures", one = "1 failure"
CORPUS = {
    "conftest/conftest-json-clean.json": (0, 0, 4, 0),
    "conftest/conftest-json-many.json": (3, 1, 0, 0),
    "conftest/conftest-json-one.json": (1, 0, 3, 0),
}


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


@pytest.mark.corpus
def test_every_corpus_conftest_file_is_counted():
    found = corpus_glob("conftest", "*.json")
    if not found:
        pytest.skip(SKIP_REASON)
    assert found == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_conftest_corpus_counts(relative):
    path = corpus_file(relative)
    failures, warnings, successes, exceptions = CORPUS[relative]
    summary, sink = parse_path(ConftestJsonParser(), path)
    assert (summary.failures, summary.warnings, summary.successes, summary.exceptions) == (
        failures, warnings, successes, exceptions)  # fmt: skip
    assert summary.tool == "conftest"
    assert len(sink.findings) == failures + warnings + exceptions
    assert detected_formats(path) == ["conftest-json"]


def test_one_failure():
    summary, sink = parse_path(ConftestJsonParser(), DATA / "conftest" / "one.json")
    assert summary.as_dict() == {
        "kind": "policy",
        "tool": "conftest",
        "failures": 1,
        "warnings": 0,
        "successes": 5,
        "exceptions": 0,
        "resources": 0,
        "valid": 0,
        "invalid": 0,
        "errors": 0,
        "skipped": 0,
    }
    [row] = sink.findings
    assert (row.category, row.severity, row.rule_id, row.location, row.line) == (
        "policy", "high", "data.main.deny", "deploy/payments.yaml", 14)  # fmt: skip
    assert row.title == "Container payments must not run as root"
    assert detected_formats(DATA / "conftest" / "one.json") == ["conftest-json"]


def test_many_files_and_namespaces():
    summary, sink = parse_path(ConftestJsonParser(), DATA / "conftest" / "many.json")
    assert (summary.failures, summary.warnings, summary.exceptions, summary.successes, summary.skipped) == (
        2, 2, 1, 18, 1)  # fmt: skip
    assert [(r.severity, r.rule_id, r.location) for r in sink.findings] == [
        ("high", "data.main.deny", "deploy/api.yaml"),
        ("high", "data.main.deny", "deploy/api.yaml"),
        ("medium", "data.main.warn", "deploy/api.yaml"),
        ("info", "data.security.deny", "deploy/api.yaml"),
        # no metadata.query: the namespace names the rule
        ("medium", "main", "deploy/worker.yaml"),
    ]


def test_empty_array_is_a_report_with_nothing_tested():
    summary, sink = parse_path(ConftestJsonParser(), DATA / "conftest" / "empty.json")
    assert (summary.failures, summary.warnings, summary.successes, summary.exceptions) == (0, 0, 0, 0)
    assert sink.findings == []
    # nothing to go on in the head: chosen explicitly, never detected
    assert detected_formats(DATA / "conftest" / "empty.json") == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b'[{"filename": "a.yaml", "namespace": "main", "failures": [{"msg": "x"', "truncated or malformed"),
        (b'{"filename": "a.yaml", "namespace": "main", "successes": 1}', "not a conftest report"),
        (b'{"results": []}', "not a conftest report"),
        (b"null", "not a conftest report"),
        (b"42", "not a conftest report"),
        (b'["a.yaml"]', "expected a JSON object at entry 1, found str"),
        (b'[{"filename": "a.yaml", "successes": "3"}]', "entry 1 successes must be a non-negative integer"),
        (b'[{"filename": "a.yaml", "successes": -1}]', "entry 1 successes must be a non-negative integer"),
        (b'[{"filename": "a.yaml", "successes": true}]', "entry 1 successes must be a non-negative integer"),
        (b'[{"filename": 7}]', "entry 1 filename must be a string"),
        (b'[{"filename": "a.yaml", "failures": {"msg": "x"}}]', "expected a JSON array at entry 1 failures"),
        (b'[{"filename": "a.yaml", "warnings": ["x"]}]', r"expected a JSON object at entry 1 warnings\[\]"),
        (b'[{"filename": "a.yaml", "failures": [{"msg": 5}]}]', r"entry 1 failures\[\].msg must be a string"),
        (b'[{"filename": "a.yaml", "failures": [{"msg": "x", "metadata": 5}]}]', "metadata, found int"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(ConftestJsonParser(), data)


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (b'[{"filename": "a.yaml", "namespace": "main", "successes": 1}]', ["conftest-json"]),
        (b'[{"successes": 1}]', ["conftest-json"]),
        (b'{"filename": "a.yaml", "namespace": "main", "successes": 1}', []),
        (b'[{"filename": "a.yaml"}]', []),
    ],
)
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(ConftestJsonParser(), data)
    except ParseError:
        return
    assert isinstance(summary, PolicySummary)


_OPENING = b'[{"filename": "a.yaml", "namespace": "main", "successes": 2, "failures": ['


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_after_a_valid_opening_give_a_summary_or_a_parse_error(tail):
    try:
        summary, _sink = parse_bytes(ConftestJsonParser(), _OPENING + tail)
    except ParseError:
        return
    assert isinstance(summary, PolicySummary)


_NUMBERS = st.integers() | st.floats(allow_nan=False, allow_infinity=False)
_SCALARS = st.none() | st.booleans() | _NUMBERS | st.text(max_size=8)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    entry=st.dictionaries(
        st.sampled_from(("filename", "namespace", "successes", "warnings", "failures", "exceptions", "skipped")),
        _JSON,
        max_size=7,
    )
)
def test_arbitrary_entry_shapes_give_a_summary_or_a_parse_error(entry):
    try:
        summary, sink = parse_bytes(ConftestJsonParser(), json.dumps([entry]).encode())
    except ParseError:
        return
    assert summary.failures + summary.warnings + summary.exceptions == len(sink.findings)
