import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ContractSummary, Head, ParseError
from evidence.parsers.head import read_head
from evidence.parsers.pact import PactFileParser
from evidence.parsers.registry import detect
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (interactions, consumer, provider), counted from the files with a separate json-module script;
# consumer and provider names as SOURCES.md lists them
CORPUS = {
    "pact/pact-v4-compat-suite-broker-client.json": (4, "Pact Compatability Suite Broker Client", "Pact Broker"),
    # one Asynchronous/Messages and one Synchronous/HTTP interaction
    "pact/pact-v4-pactjs-15.0.1-http-async.json": (2, "Foo", "Bar"),
    # one of each V4 type: Asynchronous/Messages, Synchronous/HTTP, Synchronous/Messages
    "pact/pact-v4-pactrust-mixed.json": (3, "Consumer", "Provider"),
}


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


@pytest.mark.corpus
def test_every_corpus_pact_file_is_counted():
    found = corpus_glob("pact", "pact-v4-*.json")
    if not found:
        pytest.skip(SKIP_REASON)
    assert found == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_pact_corpus_counts(relative):
    path = corpus_file(relative)
    interactions, consumer, provider = CORPUS[relative]
    summary, sink = parse_path(PactFileParser(), path)
    assert summary.as_dict() == {
        "kind": "contract",
        "interactions": interactions,
        "passed": None,
        "failed": None,
        "consumer": consumer,
        "provider": provider,
        "verified": False,
    }
    # a pact file has not been run: no test-case rows
    assert (sink.test_cases, sink.findings) == ([], [])
    assert detected_formats(path) == ["pact"]


def test_one_v2_interaction():
    summary, sink = parse_path(PactFileParser(), DATA / "pact" / "one-v2.json")
    assert (summary.interactions, summary.consumer, summary.provider) == (1, "checkout-web", "payments-api")
    assert (summary.passed, summary.failed, summary.verified) == (None, None, False)
    assert sink.test_cases == []
    assert detected_formats(DATA / "pact" / "one-v2.json") == ["pact"]


def test_v3_message_pact_counts_messages():
    summary, _sink = parse_path(PactFileParser(), DATA / "pact" / "many-v3-messages.json")
    assert (summary.interactions, summary.consumer, summary.provider) == (3, "ledger-worker", "payments-events")
    assert detected_formats(DATA / "pact" / "many-v3-messages.json") == ["pact"]


def test_empty_v4_pact():
    summary, _sink = parse_path(PactFileParser(), DATA / "pact" / "empty-v4.json")
    assert (summary.interactions, summary.passed, summary.failed) == (0, None, None)
    assert detected_formats(DATA / "pact" / "empty-v4.json") == ["pact"]


def test_interactions_and_messages_both_count():
    doc = {"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [{}, {}], "messages": [{}]}
    summary, _sink = parse_bytes(PactFileParser(), json.dumps(doc).encode())
    assert summary.interactions == 3


@pytest.mark.parametrize("version", ["1.0.0", "1.1", "2.0.0", "3.0.0", "4.0", "v4.0"])
def test_supported_specification_versions(version):
    doc = {"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [],
           "metadata": {"pactSpecification": {"version": version}}}  # fmt: skip
    summary, _sink = parse_bytes(PactFileParser(), json.dumps(doc).encode())
    assert summary.interactions == 0


def test_old_metadata_spellings_are_read():
    doc = {"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [],
           "metadata": {"pact-specification": {"version": "9.0"}}}  # fmt: skip
    with pytest.raises(ParseError, match=r"version '9\.0' is not supported"):
        parse_bytes(PactFileParser(), json.dumps(doc).encode())
    doc["metadata"] = {"pactSpecificationVersion": "5.0.0"}
    with pytest.raises(ParseError, match=r"version '5\.0\.0' is not supported"):
        parse_bytes(PactFileParser(), json.dumps(doc).encode())


_OK = b'"consumer": {"name": "c"}, "provider": {"name": "p"}'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b'{"consumer": {"name": "c"}, "interactions": [{"description": "a', "not valid JSON"),
        (b"[]", "expected a JSON object at document, found list"),
        (b'{"consumer": {"name": "c"}, "provider": {"name": "p"}}', 'no "interactions" or "messages"'),
        (b'{"provider": {"name": "p"}, "interactions": []}', "expected a JSON object at consumer, found NoneType"),
        (b'{"consumer": "c", "provider": {"name": "p"}, "interactions": []}', "at consumer, found str"),
        (b'{"consumer": {"name": ""}, "provider": {"name": "p"}, "interactions": []}', "consumer.name must be"),
        (b'{"consumer": {"name": "c"}, "provider": {"name": 5}, "interactions": []}', "provider.name must be"),
        (b"{" + _OK + b', "interactions": {}}', "expected a JSON array at interactions, found dict"),
        (b"{" + _OK + b', "messages": "m"}', "expected a JSON array at messages, found str"),
        (b"{" + _OK + b', "interactions": ["a"]}', r"expected a JSON object at interactions\[0\], found str"),
        (b"{" + _OK + b', "interactions": [], "metadata": []}', "expected a JSON object at metadata"),
        (
            b"{" + _OK + b', "interactions": [], "metadata": {"pactSpecification": {"version": "5.0"}}}',
            r"Pact specification version '5.0' is not supported \(1 to 4 are\)",
        ),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(PactFileParser(), data)


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (b"{" + _OK + b', "interactions": []}', ["pact"]),
        (b"{" + _OK + b', "messages": []}', ["pact"]),
        (b"{" + _OK + b"}", []),
        (b'{"consumer": {"name": "c"}, "interactions": []}', []),
    ],
)
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


def test_sniff_accepts_a_head_cut_before_the_provider():
    # Pact writers sort keys: in a large pact, "provider" comes after 64 KB of interactions.
    interactions = [{"description": f"interaction {i}", "request": {"path": "/x" * 200}} for i in range(200)]
    doc = json.dumps({"consumer": {"name": "c"}, "interactions": interactions, "provider": {"name": "p"}})
    head = read_head(io.BytesIO(doc.encode()))
    assert not head.complete and "provider" not in head.json_keys
    assert PactFileParser.sniff(head)
    complete = Head(raw=b"{}", complete=True, json_keys=frozenset({"consumer", "interactions"}), json_root="object")
    assert not PactFileParser.sniff(complete)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(PactFileParser(), data)
    except ParseError:
        return
    assert isinstance(summary, ContractSummary)


_OPENING = b'{"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [{"description": "'


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_after_a_valid_opening_give_a_summary_or_a_parse_error(tail):
    try:
        summary, _sink = parse_bytes(PactFileParser(), _OPENING + tail)
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


@settings(max_examples=200, deadline=None)
@given(doc=st.dictionaries(st.sampled_from(("consumer", "provider", "interactions", "messages", "metadata")), _JSON))
def test_arbitrary_pact_shapes_give_a_summary_or_a_parse_error(doc):
    try:
        summary, _sink = parse_bytes(PactFileParser(), json.dumps(doc).encode())
    except ParseError:
        return
    assert summary.interactions == len(doc.get("interactions") or []) + len(doc.get("messages") or [])
