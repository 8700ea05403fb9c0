import base64
import io
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers import intoto_common
from evidence.parsers.base import AttestationSummary, ParseError
from evidence.parsers.head import read_head
from evidence.parsers.intoto import InTotoParser
from evidence.parsers.registry import detect
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

GHA_GENERIC = (
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"
    "@refs/tags/v1.9.0"
)
# file: (subjects, predicate type, builder id, signer identity, signer issuer, signatures), computed with a
# separate json + base64 + cryptography script and checked against SOURCES.md
CORPUS = {
    # Tekton Chains: key-based, no certificate beside the signature
    "signing/dsse-envelope-intoto-oci.json": (
        [{"name": "ttl.sh/b46737a24c11fd47c240f357a558be31/example-sample",
          "digest": "sha256:9e183c89765d92a440f44ac7059385c778cbadad0ee8fe3208360efb07c0ba09"}],
        "https://slsa.dev/provenance/v0.2", "https://tekton.dev/chains/v2", "", "", 1),
    # slsa-github-generator: the signature carries the Fulcio certificate (PEM) of the keyless signer
    "signing/slsa-v0.2-dsse-gha-generic-v1.9.0.intoto.jsonl": (
        [{"name": "gha_generic-binary-linux-amd64-workflow_dispatch",
          "digest": "sha256:25d35b781bef1fcf8c2d863fa21dcebda08748955b3aff71d4f5fccbbdefe41a"}],
        "https://slsa.dev/provenance/v0.2", GHA_GENERIC, GHA_GENERIC, "https://token.actions.githubusercontent.com", 1),
}  # fmt: skip

WORKFLOW = "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1.4.2"
IMAGE_DIGEST = "sha256:c251217690ddf1df956b09219fd48da6109b118457698e49234234d52bf2038a"
BIN_DIGEST = "sha256:6ca6d496521f0fc05e579c50720fce03c61221d696d0fb63c6337f8d55f8bd82"
TGZ_DIGEST = "sha256:fafa02ae70eefc1e45d3dbee900531e0df5ce830efb92b20bce432abef9023c5"
TGZ_SHA512 = ("ed3ccbd3202b139ac7810deb780daf9f7e5d728eb8ecd8d776043e15f7cdc27f"
              "a7be513888da406d664d6c5fcc680ddfadcaeb680a362e7b6c2de7c3ac055c20")  # fmt: skip


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


def _b64(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.b64encode(raw).decode()


def _statement(**fields: object) -> dict:
    return {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
            "subject": [{"name": "a", "digest": {"sha256": "ab"}}], "predicate": {}, **fields}  # fmt: skip


def _envelope(statement: object = None, **fields: object) -> bytes:
    """A DSSE envelope of ``statement`` (JSON-encoded, base64); ``fields`` replace any envelope field."""
    doc = {"payloadType": "application/vnd.in-toto+json", "payload": _b64(statement or _statement()),
           "signatures": [{"keyid": "", "sig": "MEUC"}], **fields}  # fmt: skip
    return json.dumps(doc).encode()


@pytest.mark.corpus
def test_every_corpus_intoto_file_is_listed():
    found = [path for path in corpus_glob("signing") if detected_formats(corpus_file(path)) == ["intoto-dsse"]]
    if not found:
        pytest.skip(SKIP_REASON)
    assert sorted(found) == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_intoto_corpus_values(relative):
    path = corpus_file(relative)
    subjects, predicate_type, builder_id, identity, issuer, signatures = CORPUS[relative]
    summary, sink = parse_path(InTotoParser(), path)
    assert summary.envelope == "dsse"
    assert summary.subjects == subjects
    assert summary.predicate_type == predicate_type
    assert summary.builder_id == builder_id
    assert (summary.signer_identity, summary.signer_issuer) == (identity, issuer)
    assert summary.tlog_index is None
    assert summary.signatures == signatures
    assert summary.verified is None
    assert sink.findings == sink.components == sink.test_cases == []
    assert detected_formats(path) == ["intoto-dsse"]


def test_signed_envelope():
    path = DATA / "intoto" / "signed-envelope.json"
    summary, _sink = parse_path(InTotoParser(), path)
    assert summary.as_dict() == {
        "kind": "attestation",
        "envelope": "dsse",
        # the second subject lists sha512 first: sha256 is still preferred
        "subjects": [{"name": "payments-linux-amd64", "digest": BIN_DIGEST},
                     {"name": "payments-1.4.2.tar.gz", "digest": TGZ_DIGEST}],
        "predicate_type": "https://slsa.dev/provenance/v1",
        "builder_id": WORKFLOW,
        "signer_identity": "",
        "signer_issuer": "",
        "tlog_index": None,
        "signatures": 1,
        "verified": None,
    }  # fmt: skip
    assert detected_formats(path) == ["intoto-dsse"]


def test_jsonl_counts_every_line_and_merges_subjects():
    path = DATA / "intoto" / "two-envelopes.intoto.jsonl"
    summary, _sink = parse_path(InTotoParser(), path)
    assert summary.envelope == "dsse"
    assert summary.signatures == 2
    # both lines attest the same image: it is listed once
    assert summary.subjects == [{"name": "registry.acme.example/payments", "digest": IMAGE_DIGEST}]
    # the first line is SLSA provenance; the second (a vuln scan) has a "builder" that is not SLSA's
    assert summary.predicate_type == "https://slsa.dev/provenance/v0.2"
    assert summary.builder_id == "https://tekton.dev/chains/v2"
    assert (summary.signer_identity, summary.signer_issuer) == (WORKFLOW, "https://token.actions.githubusercontent.com")
    assert detected_formats(path) == ["intoto-dsse"]


def test_bare_statement():
    path = DATA / "intoto" / "statement-v1.json"
    summary, _sink = parse_path(InTotoParser(), path)
    assert summary.envelope == "statement" and summary.signatures == 0
    # a v1 ResourceDescriptor with a uri instead of a name, and only a sha512 digest
    assert summary.subjects == [{"name": "https://downloads.acme.example/payments-1.4.2.tar.gz",
                                 "digest": f"sha512:{TGZ_SHA512}"}]  # fmt: skip
    assert summary.predicate_type == "https://slsa.dev/provenance/v1"
    assert summary.builder_id == WORKFLOW
    assert detected_formats(path) == ["intoto-dsse"]


def _pae(payload_type: str, body: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def test_signed_samples_verify_with_the_public_key():
    """Guards the samples for later signature-verification tests: editing a payload breaks this."""
    public_key = serialization.load_pem_public_key((DATA / "intoto" / "cosign.pub").read_bytes())
    envelopes = [json.loads((DATA / "intoto" / "signed-envelope.json").read_text())]
    envelopes += [
        json.loads(line) for line in (DATA / "intoto" / "two-envelopes.intoto.jsonl").read_text().splitlines()
    ]
    for envelope in envelopes:
        message = _pae(envelope["payloadType"], base64.b64decode(envelope["payload"]))
        for signature in envelope["signatures"]:
            public_key.verify(base64.b64decode(signature["sig"]), message, ec.ECDSA(hashes.SHA256()))


def test_url_safe_unpadded_payload():
    payload = base64.urlsafe_b64encode(json.dumps(_statement(subject=[])).encode()).rstrip(b"=").decode()
    summary, _sink = parse_bytes(InTotoParser(), _envelope(payload=payload, signatures=[]))
    assert summary.subjects == [] and summary.signatures == 0


def test_first_algorithm_when_no_sha256():
    statement = _statement(subject=[{"name": "x", "digest": {"sha512": "ff", "sha1": "aa"}}])
    summary, _sink = parse_bytes(InTotoParser(), _envelope(statement))
    assert summary.subjects == [{"name": "x", "digest": "sha512:ff"}]


def test_non_slsa_predicate_has_no_builder():
    statement = _statement(predicateType="https://spdx.dev/Document", predicate={"builder": {"id": "x"}})
    summary, _sink = parse_bytes(InTotoParser(), _envelope(statement))
    assert summary.builder_id == ""


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (_envelope(), ["intoto-dsse"]),
        (json.dumps(_statement()).encode(), ["intoto-dsse"]),
        (b'{"_type": "https://example.com/Other", "subject": []}', []),
        (b'{"payload": "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=", "note": "not in-toto"}', []),
        # payload written first and longer than the head: the payload's own start tells
        (b'{"payload": "' + _b64(_statement(predicate={"x": "y" * 70_000})).encode() + b'", "payloadType": '
         b'"application/vnd.in-toto+json", "signatures": []}', ["intoto-dsse"]),
        (b'[{"payloadType": "application/vnd.in-toto+json", "payload": ""}]', []),
    ],
)  # fmt: skip
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


def test_large_payload_first_envelope_parses():
    data = (b'{"payload": "' + _b64(_statement(predicate={"x": "y" * 70_000})).encode()
            + b'", "payloadType": "application/vnd.in-toto+json", "signatures": [{"sig": "AA=="}]}')  # fmt: skip
    summary, _sink = parse_bytes(InTotoParser(), data)
    assert summary.signatures == 1 and summary.subjects == [{"name": "a", "digest": "sha256:ab"}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \n\n ", "empty file"),
        (_envelope()[:-30], "truncated or malformed|not valid JSON"),
        (_envelope(payload="not base64 at all!"), r"payload is not valid base64"),
        (_envelope(payload="é"), r"payload is not valid base64"),
        (_envelope(payload=""), r"payload is empty"),
        (_envelope(payload=base64.b64encode(b"\x00\xffnot json").decode()), "payload does not decode to JSON"),
        (_envelope(payloadType="application/vnd.cncf.notary.payload.v1+json"),
         r"payloadType 'application/vnd\.cncf\.notary\.payload\.v1\+json' is not supported"),
        (_envelope(payloadType=7), r"expected a string at document\.payloadType"),
        (_envelope(_statement(subject={"name": "a"})), r"expected a JSON array at document\.payload\.subject"),
        (_envelope(_statement(subject=["a"])), r"expected a JSON object at document\.payload\.subject\[\]"),
        (_envelope(_statement(subject=[{"name": "a", "digest": ["ab"]}])), r"subject\[\]\.digest"),
        (_envelope(_statement(subject=[{"name": "a", "digest": {"sha256": 1}}])), r"subject\[\]\.digest\.sha256"),
        (_envelope(_statement(predicateType=["x"])), r"expected a string at document\.payload\.predicateType"),
        (_envelope(_statement(predicate={"runDetails": {"builder": "x"}})), r"runDetails\.builder"),
        (_envelope(_statement(_type="https://example.com/v1")), "is not an in-toto Statement"),
        (_envelope("just a string"), r"expected a JSON object at document\.payload"),
        (_envelope(signatures={"sig": "x"}), r"expected a JSON array at document\.signatures"),
        (_envelope(signatures=["x"]), r"expected a JSON object at document\.signatures\[\]"),
        (_envelope(signatures=[{"sig": "x", "cert": "-----BEGIN CERTIFICATE-----\nAAAA\n"}]),
         r"signatures\[\]\.cert is not an X\.509 certificate"),
        (_envelope() + b"\n" + _envelope()[:-5], r"line 2"),
        (_envelope() + b"\n" + b"[1, 2]", r"expected a JSON object at line 2"),
        (b'["payloadType", "payload"]', "expected a JSON object at document"),
        (b'{"hello": "world"}', "neither a DSSE envelope"),
        (b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}', "read as sigstore-bundle"),
        (b"[" * 5000, "not valid JSON"),
    ],
)  # fmt: skip
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(InTotoParser(), data)


def test_oversized_document_is_refused_unread(monkeypatch):
    monkeypatch.setattr(intoto_common, "MAX_DOCUMENT_BYTES", 1024)
    with pytest.raises(ParseError, match="larger than"):
        parse_bytes(InTotoParser(), _envelope(_statement(predicate={"x": "y" * 2000})))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(InTotoParser(), data)
    except ParseError:
        return
    assert isinstance(summary, AttestationSummary)


_VALID = (DATA / "intoto" / "two-envelopes.intoto.jsonl").read_bytes()


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, len(_VALID)), tail=st.binary(max_size=300))
def test_random_bytes_after_a_valid_opening(cut, tail):
    try:
        summary, _sink = parse_bytes(InTotoParser(), _VALID[:cut] + tail)
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
    statement=st.dictionaries(st.sampled_from(("_type", "subject", "predicateType", "predicate")), _JSON, max_size=4),
    subject=st.dictionaries(st.sampled_from(("name", "uri", "digest")), _JSON, max_size=3),
    predicate=st.dictionaries(st.sampled_from(("builder", "runDetails", "buildType")), _JSON, max_size=3),
    signatures=_JSON,
)
def test_arbitrary_statement_shapes_give_a_summary_or_a_parse_error(statement, subject, predicate, signatures):
    document = _statement(**{"subject": [subject], "predicate": predicate, **statement})
    try:
        summary, _sink = parse_bytes(InTotoParser(), _envelope(document, signatures=signatures))
    except ParseError:
        return
    assert all(set(item) == {"name", "digest"} for item in summary.subjects)
