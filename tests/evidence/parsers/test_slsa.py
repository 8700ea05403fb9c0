import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import AttestationSummary, ParseError
from evidence.parsers.head import read_head
from evidence.parsers.registry import detect
from evidence.parsers.slsa import SlsaPredicateParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (predicate type, builder id), read with a separate json script and checked against SOURCES.md
CORPUS = {
    "signing/slsa-v0.2-predicate-only.json": (
        "https://slsa.dev/provenance/v0.2",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0",
    ),
}  # fmt: skip

WORKFLOW = "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1.4.2"


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


def _doc(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.corpus
def test_every_corpus_predicate_is_listed():
    found = [path for path in corpus_glob("signing") if detected_formats(corpus_file(path)) == ["slsa-predicate"]]
    if not found:
        pytest.skip(SKIP_REASON)
    assert sorted(found) == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_slsa_corpus_values(relative):
    path = corpus_file(relative)
    predicate_type, builder_id = CORPUS[relative]
    summary, sink = parse_path(SlsaPredicateParser(), path)
    assert summary.as_dict() == {
        "kind": "attestation",
        "envelope": "predicate",
        "subjects": [],  # a bare predicate names no artifact
        "predicate_type": predicate_type,
        "builder_id": builder_id,
        "signer_identity": "",
        "signer_issuer": "",
        "tlog_index": None,
        "signatures": 0,
        "verified": None,
    }
    assert sink.findings == sink.components == sink.test_cases == []
    assert detected_formats(path) == ["slsa-predicate"]


def test_v1_predicate():
    path = DATA / "slsa" / "v1-predicate.json"
    summary, _sink = parse_path(SlsaPredicateParser(), path)
    assert (summary.envelope, summary.predicate_type, summary.builder_id) == (
        "predicate", "https://slsa.dev/provenance/v1", WORKFLOW)  # fmt: skip
    assert summary.subjects == [] and summary.signatures == 0
    assert detected_formats(path) == ["slsa-predicate"]


def test_v02_predicate_without_builder_id():
    path = DATA / "slsa" / "v02-no-builder-id.json"
    summary, _sink = parse_path(SlsaPredicateParser(), path)
    assert (summary.predicate_type, summary.builder_id) == ("https://slsa.dev/provenance/v0.2", "")
    assert detected_formats(path) == ["slsa-predicate"]


def test_v1_predicate_without_builder():
    summary, _sink = parse_bytes(SlsaPredicateParser(), _doc(buildDefinition={}, runDetails={}))
    assert (summary.predicate_type, summary.builder_id) == ("https://slsa.dev/provenance/v1", "")


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (_doc(builder={"id": "b"}, buildType="t"), ["slsa-predicate"]),
        (_doc(buildDefinition={}, runDetails={}), ["slsa-predicate"]),
        (_doc(builder={"id": "b"}), []),
        (_doc(buildDefinition={}), []),
        # wrapped predicates belong to intoto-dsse
        (_doc(_type="https://in-toto.io/Statement/v1", builder={}, buildType="t"), ["intoto-dsse"]),
        (_doc(payload="e30=", buildDefinition={}, runDetails={}), []),
        (json.dumps([{"builder": {}, "buildType": "t"}]).encode(), []),
    ],
)
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (_doc(builder={"id": "b"}, buildType="t")[:-5], "truncated or malformed|not valid JSON"),
        (b'[{"builder": {}, "buildType": "t"}]', "expected a JSON object at document"),
        (_doc(builder={"id": "b"}), r"neither builder and buildType \(v0\.2\) nor buildDefinition and runDetails"),
        (_doc(builder={}, buildType="t", buildDefinition={}, runDetails={}), "mixes the v0.2 keys"),
        (_doc(_type="https://in-toto.io/Statement/v1", builder={}, buildType="t"), "read as intoto-dsse"),
        (_doc(payload="e30=", payloadType="application/vnd.in-toto+json"), "not a bare predicate"),
        (_doc(builder="github", buildType="t"), r"expected a JSON object at document\.builder"),
        (_doc(builder={"id": 3}, buildType="t"), r"expected a string at document\.builder\.id"),
        (_doc(buildDefinition={}, runDetails=[]), r"expected a JSON object at document\.runDetails"),
        (_doc(buildDefinition={}, runDetails={"builder": {"id": {}}}),
         r"expected a string at document\.runDetails\.builder\.id"),
    ],
)  # fmt: skip
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(SlsaPredicateParser(), data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(SlsaPredicateParser(), data)
    except ParseError:
        return
    assert isinstance(summary, AttestationSummary)


_VALID = (DATA / "slsa" / "v1-predicate.json").read_bytes()


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, len(_VALID)), tail=st.binary(max_size=300))
def test_random_bytes_after_a_valid_opening(cut, tail):
    try:
        summary, _sink = parse_bytes(SlsaPredicateParser(), _VALID[:cut] + tail)
    except ParseError:
        return
    assert isinstance(summary, AttestationSummary)


_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    document=st.dictionaries(
        st.sampled_from(("builder", "buildType", "buildDefinition", "runDetails", "_type")),
        _JSON | st.fixed_dictionaries({"builder": _JSON}) | st.fixed_dictionaries({"id": _JSON}),
        max_size=5,
    )
)
def test_arbitrary_predicate_shapes_give_a_summary_or_a_parse_error(document):
    try:
        summary, _sink = parse_bytes(SlsaPredicateParser(), json.dumps(document).encode())
    except ParseError:
        return
    assert summary.predicate_type in ("https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v1")
