import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import AttestationSummary, ParseError
from evidence.parsers.cosign import CosignVerifyParser
from evidence.parsers.head import read_head
from evidence.parsers.registry import detect
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (subjects, signer identity, signer issuer, tlog index, signatures), read with a separate json script
# and checked against SOURCES.md ("signatures verified (array entries)=1")
CORPUS = {
    # cosign verify --key: key-based, so "optional" is null: no signer identity and no Rekor bundle
    "signing/cosign-verify-output-key-based.json": (
        [{"name": "localhost:5000/tcpconnect",
          "digest": "sha256:7a91c50d922925f152fec96ed1d84b7bc6b2079c169d68826f6cf307f22d40e6"}],
        "", "", None, 1),
}  # fmt: skip

WORKFLOW = "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1.4.2"
IMAGE_DIGEST = "sha256:c251217690ddf1df956b09219fd48da6109b118457698e49234234d52bf2038a"


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


def _entry(digest: object = IMAGE_DIGEST, optional: object = None, **critical: object) -> dict:
    return {
        "critical": {"identity": {"docker-reference": "registry.acme.example/payments"},
                     "image": {"docker-manifest-digest": digest}, "type": "cosign container image signature",
                     **critical},
        "optional": optional,
    }  # fmt: skip


def _output(*entries: object) -> bytes:
    return json.dumps(list(entries)).encode()


@pytest.mark.corpus
def test_every_corpus_cosign_file_is_listed():
    found = [path for path in corpus_glob("signing") if detected_formats(corpus_file(path)) == ["cosign-verify"]]
    if not found:
        pytest.skip(SKIP_REASON)
    assert sorted(found) == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_cosign_corpus_values(relative):
    path = corpus_file(relative)
    subjects, identity, issuer, tlog_index, signatures = CORPUS[relative]
    summary, sink = parse_path(CosignVerifyParser(), path)
    assert summary.envelope == "cosign-verify"
    assert summary.subjects == subjects
    assert (summary.predicate_type, summary.builder_id) == ("", "")
    assert (summary.signer_identity, summary.signer_issuer) == (identity, issuer)
    assert summary.tlog_index == tlog_index
    assert summary.signatures == signatures
    assert summary.verified is None
    assert sink.findings == sink.components == sink.test_cases == []
    assert detected_formats(path) == ["cosign-verify"]


def test_keyless_two_signatures_on_one_image():
    path = DATA / "cosign" / "keyless-two-signatures.json"
    summary, _sink = parse_path(CosignVerifyParser(), path)
    assert summary.as_dict() == {
        "kind": "attestation",
        "envelope": "cosign-verify",
        "subjects": [{"name": "registry.acme.example/payments", "digest": IMAGE_DIGEST}],  # listed once
        "predicate_type": "",
        "builder_id": "",
        "signer_identity": WORKFLOW,
        "signer_issuer": "https://token.actions.githubusercontent.com",
        "tlog_index": 98765432,  # the first entry's
        "signatures": 2,
        "verified": None,
    }
    assert detected_formats(path) == ["cosign-verify"]


def test_two_images_are_two_subjects():
    other = "sha256:" + "ab" * 32
    summary, _sink = parse_bytes(CosignVerifyParser(), _output(_entry(), _entry(other), _entry()))
    assert [subject["digest"] for subject in summary.subjects] == [IMAGE_DIGEST, other]
    assert summary.signatures == 3


def test_key_based_entries_do_not_hide_a_later_keyless_signer():
    keyless = {"Subject": "dev@acme.example", "Issuer": "https://accounts.google.com",
               "Bundle": {"Payload": {"logIndex": 5}}}  # fmt: skip
    summary, _sink = parse_bytes(CosignVerifyParser(), _output(_entry(), _entry(optional=keyless)))
    assert (summary.signer_identity, summary.signer_issuer, summary.tlog_index) == (
        "dev@acme.example", "https://accounts.google.com", 5)  # fmt: skip


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (_output(_entry()), ["cosign-verify"]),
        (json.dumps(_entry()).encode(), []),  # one entry alone is not what cosign prints
        (b'[{"critical": true}]', ["cosign-verify"]),  # claimed, then refused with a clear message
        (b'[{"Critical": {}}]', []),
        (b"[]", []),
    ],
)
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (_output(_entry())[:-10], "truncated or malformed|not valid JSON"),
        (b"[]", "the array is empty"),
        (json.dumps(_entry()).encode(), "expected a JSON array of signatures, found dict"),
        (b"[1]", r"expected a JSON object at \[0\]"),
        (b'[{"critical": true}]', r"expected a JSON object at \[0\]\.critical"),
        (_output(_entry(type="atomic container signature")),
         r"\[0\]\.critical\.type 'atomic container signature' is not 'cosign container image signature'"),
        (_output(_entry(image=None)), r"expected a JSON object at \[0\]\.critical\.image"),
        (_output(_entry(digest="")), r"\[0\]\.critical\.image has no docker-manifest-digest"),
        (_output(_entry(digest=["sha256:ab"])), r"expected a string at \[0\]\.critical\.image\.docker-manifest-digest"),
        (_output(_entry(identity="x")), r"expected a JSON object at \[0\]\.critical\.identity"),
        (_output(_entry(), _entry(optional="x")), r"expected a JSON object at \[1\]\.optional"),
        (_output(_entry(optional={"Subject": 1})), r"expected a string at \[0\]\.optional\.Subject"),
        (_output(_entry(optional={"Bundle": []})), r"expected a JSON object at \[0\]\.optional\.Bundle"),
        (_output(_entry(optional={"Bundle": {"Payload": {"logIndex": "x"}}})),
         r"\[0\]\.optional\.Bundle\.Payload\.logIndex is not a log index"),
        (_output(_entry(optional={"Bundle": {"Payload": {"logIndex": 2**63}}})), "out of range"),
    ],
)  # fmt: skip
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(CosignVerifyParser(), data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(CosignVerifyParser(), data)
    except ParseError:
        return
    assert isinstance(summary, AttestationSummary)


_VALID = (DATA / "cosign" / "keyless-two-signatures.json").read_bytes()


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, len(_VALID)), tail=st.binary(max_size=300))
def test_random_bytes_after_a_valid_opening(cut, tail):
    try:
        summary, _sink = parse_bytes(CosignVerifyParser(), _VALID[:cut] + tail)
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
    critical=st.dictionaries(st.sampled_from(("identity", "image", "type")), _JSON, max_size=3),
    optional=_JSON | st.dictionaries(st.sampled_from(("Subject", "Issuer", "Bundle")), _JSON, max_size=3),
)
def test_arbitrary_entry_shapes_give_a_summary_or_a_parse_error(critical, optional):
    try:
        summary, _sink = parse_bytes(CosignVerifyParser(), _output(_entry(optional=optional, **critical)))
    except ParseError:
        return
    assert summary.signatures == 1 and len(summary.subjects) == 1
