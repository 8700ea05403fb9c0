import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ContractSummary, ParseError
from evidence.parsers.head import read_head
from evidence.parsers.pact_verification import PactVerificationParser
from evidence.parsers.registry import detect
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (interactions, passed, failed), read with a separate json-module script. The Broker's own fixture
# has success=true and a free-form testResults ({"some": "results"}): no interaction results to count.
CORPUS = {
    "pact/pact-verification-result-fixture.json": (0, 0, 0),
}


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


@pytest.mark.corpus
def test_every_corpus_verification_file_is_counted():
    found = corpus_glob("pact", "pact-verification*.json")
    if not found:
        pytest.skip(SKIP_REASON)
    assert found == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_pact_verification_corpus_counts(relative):
    path = corpus_file(relative)
    interactions, passed, failed = CORPUS[relative]
    summary, sink = parse_path(PactVerificationParser(), path)
    assert (summary.interactions, summary.passed, summary.failed) == (interactions, passed, failed)
    assert summary.verified is True
    assert len(sink.test_cases) == interactions
    assert detected_formats(path) == ["pact-verification"]


def test_one_passing_interaction():
    summary, sink = parse_path(PactVerificationParser(), DATA / "pact_verification" / "one.json")
    assert summary.as_dict() == {
        "kind": "contract",
        "interactions": 1,
        "passed": 1,
        "failed": 0,
        "consumer": "",
        "provider": "",
        "verified": True,
    }
    [row] = sink.test_cases
    # no description published: the interaction id names it
    assert (row.suite, row.name, row.classname, row.status, row.message) == (
        "pact verification", "5d6f8d633693c2391ba8fff297444b3ef1ccd00b",
        "5d6f8d633693c2391ba8fff297444b3ef1ccd00b", "passed", "")  # fmt: skip
    assert detected_formats(DATA / "pact_verification" / "one.json") == ["pact-verification"]


def test_many_with_mismatches_and_exceptions():
    summary, sink = parse_path(PactVerificationParser(), DATA / "pact_verification" / "many-failed.json")
    assert (summary.interactions, summary.passed, summary.failed, summary.provider) == (3, 1, 2, "payments-api")
    assert [(r.suite, r.name, r.status) for r in sink.test_cases] == [
        ("payments-api", "a request to charge a card", "passed"),
        ("payments-api", "a request to refund a charge", "failed"),
        ("payments-api", "a3", "failed"),
    ]
    assert sink.test_cases[1].message == "expected status of 200 but was 500; Expected 'ch_1' but received nothing"
    assert sink.test_cases[2].message == "provider state change failed"
    assert detected_formats(DATA / "pact_verification" / "many-failed.json") == ["pact-verification"]


def test_pact_ruby_tests_shape():
    summary, sink = parse_path(PactVerificationParser(), DATA / "pact_verification" / "ruby-tests.json")
    assert (summary.interactions, summary.passed, summary.failed) == (2, 1, 1)
    assert [(r.name, r.status) for r in sink.test_cases] == [
        ("has status code 200", "passed"),
        ("has a matching body", "failed"),
    ]
    assert sink.test_cases[1].message == "Actual: [] Diff: alligators missing"


def test_pact_ruby_examples_shape_counts_anything_but_passed_as_failed():
    examples = [
        {"interactionDescription": "a request for alligators", "testDescription": "has status code 200",
         "status": "passed"},
        {"interactionDescription": "a request for alligators", "testDescription": "has a matching body",
         "status": "pending", "differences": [{"description": "$.name: expected 'Mary'"}]},
    ]  # fmt: skip
    doc = {"success": False, "providerApplicationVersion": "1", "testResults": {"examples": examples,
           "summary": {"exampleCount": 2, "failureCount": 1}}}  # fmt: skip
    summary, sink = parse_bytes(PactVerificationParser(), json.dumps(doc).encode())
    assert (summary.interactions, summary.passed, summary.failed) == (2, 1, 1)
    assert sink.test_cases[1].name == "a request for alligators has a matching body"
    assert sink.test_cases[1].message == "$.name: expected 'Mary'"


def test_empty_results():
    summary, sink = parse_path(PactVerificationParser(), DATA / "pact_verification" / "empty.json")
    assert (summary.interactions, summary.passed, summary.failed, summary.verified) == (0, 0, 0, True)
    assert sink.test_cases == []


def test_failed_verification_without_results_is_never_zero_failed():
    summary, sink = parse_path(PactVerificationParser(), DATA / "pact_verification" / "failed-without-results.json")
    assert (summary.interactions, summary.passed, summary.failed) == (1, 0, 1)
    [row] = sink.test_cases
    assert (row.name, row.status) == ("(verification)", "failed")
    assert detected_formats(DATA / "pact_verification" / "failed-without-results.json") == ["pact-verification"]


def test_failed_verification_whose_results_all_passed_adds_one_failure():
    doc = b'{"success": false, "testResults": [{"interactionId": "a", "success": true}]}'
    summary, sink = parse_bytes(PactVerificationParser(), doc)
    assert (summary.interactions, summary.passed, summary.failed) == (2, 1, 1)
    assert [r.name for r in sink.test_cases] == ["a", "(verification)"]


def test_successful_verification_with_a_failed_pending_interaction_counts_as_written():
    doc = b'{"success": true, "testResults": [{"interactionId": "a", "success": false}]}'
    summary, _sink = parse_bytes(PactVerificationParser(), doc)
    assert (summary.interactions, summary.passed, summary.failed) == (1, 0, 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b'{"success": true, "testResults": [{"interactionId": "a", "succ', "not valid JSON"),
        (b"[true]", "expected a JSON object at document, found list"),
        (b'{"providerApplicationVersion": "1.0"}', "\"success\" must be true or false, found 'None'"),
        (b'{"success": "true", "providerApplicationVersion": "1.0"}', '"success" must be true or false'),
        (b'{"success": true, "testResults": ["a"]}', r"expected a JSON object at testResults\[0\], found str"),
        (b'{"success": true, "testResults": [{"interactionId": "a"}]}', r"testResults\[0\] has neither"),
        (b'{"success": true, "testResults": [{"success": "yes"}]}', r"testResults\[0\] has neither"),
        (b'{"success": true, "testResults": {"tests": {"a": 1}}}', "expected a JSON array at testResults.tests"),
        (b'{"success": true, "testResults": {"examples": [{"status": 1}]}}', r"testResults.examples\[0\] has"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(PactVerificationParser(), data)


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (b'{"success": true, "providerApplicationVersion": "1"}', ["pact-verification"]),
        (b'{"success": true, "testResults": []}', ["pact-verification"]),
        (b'{"success": true, "verifiedBy": {}}', ["pact-verification"]),
        (b'{"success": true, "data": []}', []),
        # pact_verifier_cli --json output is not read
        (b'{"result": true, "notices": [], "output": [], "errors": [], "pendingErrors": []}', []),
    ],
)
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(PactVerificationParser(), data)
    except ParseError:
        return
    assert isinstance(summary, ContractSummary)


_OPENING = b'{"success": false, "providerApplicationVersion": "1.0", "testResults": [{"interactionId": "'


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_after_a_valid_opening_give_a_summary_or_a_parse_error(tail):
    try:
        summary, _sink = parse_bytes(PactVerificationParser(), _OPENING + tail)
    except ParseError:
        return
    assert isinstance(summary, ContractSummary)


_NUMBERS = st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.floats(allow_nan=False, allow_infinity=False)
_SCALARS = st.none() | st.booleans() | _NUMBERS | st.text(max_size=8)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_RESULT_KEYS = ("interactionId", "success", "status", "interactionDescription", "testDescription", "mismatches",
                "exceptions", "exception", "differences")  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    success=st.booleans(),
    results=st.lists(st.dictionaries(st.sampled_from(_RESULT_KEYS), _JSON, max_size=5), max_size=4),
    ruby=st.booleans(),
)
def test_arbitrary_result_shapes_give_consistent_counts_or_a_parse_error(success, results, ruby):
    test_results = {"tests": results} if ruby else results
    doc = json.dumps({"success": success, "testResults": test_results}).encode()
    try:
        summary, sink = parse_bytes(PactVerificationParser(), doc)
    except ParseError:
        return
    assert summary.interactions == summary.passed + summary.failed == len(sink.test_cases)
    assert success or summary.failed > 0
