import base64
import datetime
import hashlib
import io
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import AttestationSummary, ParseError
from evidence.parsers.head import read_head
from evidence.parsers.registry import detect
from evidence.parsers.sigstore_bundle import SigstoreBundleParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

GITHUB = "https://token.actions.githubusercontent.com"
CONTAINER_BASED = (
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_container-based_slsa3.yml"
    "@refs/tags/v2.1.0"
)
BCR = "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml@refs/tags/v0.0.1"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon"
    "/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
# file: (subjects, predicate type, builder id, signer identity, signer issuer, tlog index, signatures), computed
# with a separate json + base64 + cryptography script and checked against SOURCES.md
CORPUS = {
    # messageSignature (hashedrekord): the subject is the signed digest; the bundle does not name the file
    "signing/sigstore-bundle-cpython-3.12.5.json": (
        [{"name": "", "digest": "sha256:38dc4e2c261d49c661196066edbfb70fdb16be4a79cc8220c224dfeb5636d405"}],
        "", "", "thomas@python.org", "https://accounts.google.com", 118981923, 1),
    "signing/sigstore-bundle-dsse-rekor-v2-staging.json": (
        [{"name": "a.txt", "digest": "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"}],
        "https://slsa.dev/provenance/v1", "https://github.com/sigstore-conformance/rekor2-dsse-hashedrekord-regen",
        BEACON, GITHUB, 4026478, 1),
    # Statement v0.1 wrapping SLSA provenance v1
    "signing/slsa-v1-sigstore-bundle-0.2-container-based.json": (
        [{"name": "gha_container-based-binary-linux-amd64-v14",
          "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}],
        "https://slsa.dev/provenance/v1", CONTAINER_BASED, CONTAINER_BASED, GITHUB, 174298109, 1),
    # named .intoto.jsonl, but the one line is a v0.3 bundle
    "signing/slsa-v1-sigstore-bundle-0.3-bcr.intoto.jsonl": (
        [{"name": "MODULE.bazel", "digest": "sha256:06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b"}],
        "https://slsa.dev/provenance/v1", BCR, BCR, GITHUB, 188622862, 1),
}  # fmt: skip

WORKFLOW = "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1.4.2"
BIN_DIGEST = "sha256:6ca6d496521f0fc05e579c50720fce03c61221d696d0fb63c6337f8d55f8bd82"
TGZ_DIGEST = "sha256:fafa02ae70eefc1e45d3dbee900531e0df5ce830efb92b20bce432abef9023c5"
V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _bundle(media_type: object = V03, **fields: object) -> bytes:
    """A key-based message-signature bundle; ``fields`` replace top-level members."""
    doc = {
        "mediaType": media_type,
        "verificationMaterial": {"publicKey": {"hint": "k"}, "tlogEntries": [{"logIndex": "7"}]},
        "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": _b64(b"\x01\x02")},
                             "signature": "MEUC"},
        **fields,
    }  # fmt: skip
    return json.dumps(doc).encode()


def _material(**fields: object) -> dict:
    return {"publicKey": {"hint": "k"}, "tlogEntries": [], **fields}


def _dsse(payload: str, payload_type: str = "application/vnd.in-toto+json") -> dict:
    return {"payloadType": payload_type, "payload": payload, "signatures": [{"sig": "MEUC"}]}


def _certificate(*extensions: x509.ExtensionType) -> str:
    """Base64 DER of a throwaway self-signed certificate carrying ``extensions``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "test")]))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(minutes=10))
    )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return _b64(builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def _issuer_extension(oid: str, value: bytes) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value)


@pytest.mark.corpus
def test_every_corpus_bundle_is_listed():
    found = [path for path in corpus_glob("signing") if detected_formats(corpus_file(path)) == ["sigstore-bundle"]]
    if not found:
        pytest.skip(SKIP_REASON)
    assert sorted(found) == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_sigstore_bundle_corpus_values(relative):
    path = corpus_file(relative)
    subjects, predicate_type, builder_id, identity, issuer, tlog_index, signatures = CORPUS[relative]
    summary, sink = parse_path(SigstoreBundleParser(), path)
    assert summary.envelope == "sigstore-bundle"
    assert summary.subjects == subjects
    assert summary.predicate_type == predicate_type
    assert summary.builder_id == builder_id
    assert (summary.signer_identity, summary.signer_issuer) == (identity, issuer)
    assert summary.tlog_index == tlog_index
    assert summary.signatures == signatures
    assert summary.verified is None
    assert sink.findings == sink.components == sink.test_cases == []
    assert detected_formats(path) == ["sigstore-bundle"]


def test_dsse_bundle_with_workflow_identity():
    path = DATA / "sigstore_bundle" / "dsse-v0.3-workflow-identity.json"
    summary, _sink = parse_path(SigstoreBundleParser(), path)
    assert summary.as_dict() == {
        "kind": "attestation",
        "envelope": "sigstore-bundle",
        "subjects": [{"name": "payments-linux-amd64", "digest": BIN_DIGEST},
                     {"name": "payments-1.4.2.tar.gz", "digest": TGZ_DIGEST}],
        "predicate_type": "https://slsa.dev/provenance/v1",
        "builder_id": WORKFLOW,
        "signer_identity": WORKFLOW,  # URI SAN; the issuer from extension 1.8 (the certificate has no 1.1)
        "signer_issuer": "https://token.actions.githubusercontent.com",
        "tlog_index": 187654321,
        "signatures": 1,
        "verified": None,
    }  # fmt: skip
    assert detected_formats(path) == ["sigstore-bundle"]


def test_message_signature_with_email_identity():
    path = DATA / "sigstore_bundle" / "message-signature-v0.1-email-identity.json"
    summary, _sink = parse_path(SigstoreBundleParser(), path)
    assert summary.subjects == [{"name": "", "digest": TGZ_DIGEST}]
    # email SAN; the certificate has only the older raw-string issuer extension (1.1)
    assert (summary.signer_identity, summary.signer_issuer) == (
        "release-bot@acme.example",
        "https://accounts.google.com",
    )
    assert summary.tlog_index is None  # tlogEntries is empty
    assert summary.signatures == 1
    assert detected_formats(path) == ["sigstore-bundle"]


def test_public_key_bundle_has_no_identity():
    path = DATA / "sigstore_bundle" / "message-signature-public-key.json"
    summary, _sink = parse_path(SigstoreBundleParser(), path)
    assert summary.subjects == [{"name": "", "digest": BIN_DIGEST}]
    assert (summary.signer_identity, summary.signer_issuer) == ("", "")
    assert (summary.tlog_index, summary.signatures) == (42, 1)
    assert summary.predicate_type == summary.builder_id == ""


def test_signed_sample_verifies_with_the_public_key():
    """Guards the sample for later signature-verification tests: editing the digest breaks this."""
    public_key = serialization.load_pem_public_key((DATA / "intoto" / "cosign.pub").read_bytes())
    bundle = json.loads((DATA / "sigstore_bundle" / "message-signature-public-key.json").read_text())
    signature = base64.b64decode(bundle["messageSignature"]["signature"])
    public_key.verify(signature, b"payments-linux-amd64 build 1.4.2\n", ec.ECDSA(hashes.SHA256()))


def test_jsonl_of_bundles():
    """``gh attestation download`` writes one bundle per line."""
    lines = [
        (DATA / "sigstore_bundle" / "message-signature-public-key.json").read_bytes(),
        (DATA / "sigstore_bundle" / "dsse-v0.3-workflow-identity.json").read_bytes(),
        _bundle(),  # the same digest twice is listed once
        _bundle(),
    ]
    data = b"\n".join(json.dumps(json.loads(line)).encode() for line in lines) + b"\n"
    summary, _sink = parse_bytes(SigstoreBundleParser(), data)
    assert summary.signatures == 4
    assert summary.subjects == [
        {"name": "", "digest": BIN_DIGEST},
        {"name": "payments-linux-amd64", "digest": BIN_DIGEST},
        {"name": "payments-1.4.2.tar.gz", "digest": TGZ_DIGEST},
        {"name": "", "digest": "sha256:0102"},
    ]
    # the first line is key-based and no DSSE: the rest comes from the first line that has it
    assert (summary.predicate_type, summary.builder_id) == ("https://slsa.dev/provenance/v1", WORKFLOW)
    assert (summary.signer_identity, summary.tlog_index) == (WORKFLOW, 42)
    assert _detect_bytes(data) == ["sigstore-bundle"]


def test_jsonl_error_names_the_line():
    with pytest.raises(ParseError, match=r"bundle version 9\.9 is not supported \(.*\) \(at line 2\)"):
        parse_bytes(
            SigstoreBundleParser(), _bundle() + b"\n" + _bundle("application/vnd.dev.sigstore.bundle.v9.9+json")
        )


@pytest.mark.parametrize(
    ("media_type", "tlog_index"),
    [
        ("application/vnd.dev.sigstore.bundle+json;version=0.1", 7),
        ("application/vnd.dev.sigstore.bundle+json;version=0.2", 7),
        ("application/vnd.dev.sigstore.bundle+json;version=0.3", 7),  # early v0.3 writers
        ("application/vnd.dev.sigstore.bundle.v0.3+json", 7),
        ("application/vnd.dev.sigstore.bundle.v0.3.1+json", 7),
    ],
)
def test_media_types(media_type, tlog_index):
    summary, _sink = parse_bytes(SigstoreBundleParser(), _bundle(media_type))
    assert summary.tlog_index == tlog_index
    assert summary.subjects == [{"name": "", "digest": "sha256:0102"}]


def test_other_digest_algorithms():
    signature = {"messageDigest": {"algorithm": "SHA2_384", "digest": _b64(hashlib.sha384(b"x").digest())}}
    summary, _sink = parse_bytes(SigstoreBundleParser(), _bundle(messageSignature=signature))
    assert summary.subjects == [{"name": "", "digest": f"sha384:{hashlib.sha384(b'x').hexdigest()}"}]
    assert summary.signatures == 0  # no signature value


def test_certificate_without_fulcio_extensions():
    material = _material(certificate={"rawBytes": _certificate()})
    summary, _sink = parse_bytes(SigstoreBundleParser(), _bundle(verificationMaterial=material))
    assert (summary.signer_identity, summary.signer_issuer) == ("", "")


def test_issuer_extension_1_8_wins_over_1_1():
    raw = _certificate(
        x509.SubjectAlternativeName([x509.RFC822Name("a@example.com")]),
        _issuer_extension("1.3.6.1.4.1.57264.1.1", b"https://old.example"),
        _issuer_extension("1.3.6.1.4.1.57264.1.8", b"\x0c\x13https://new.example"),
    )
    material = _material(x509CertificateChain={"certificates": [{"rawBytes": raw}, {"rawBytes": "ignored"}]})
    summary, _sink = parse_bytes(SigstoreBundleParser(), _bundle(verificationMaterial=material))
    assert (summary.signer_identity, summary.signer_issuer) == ("a@example.com", "https://new.example")


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (_bundle(), ["sigstore-bundle"]),
        (b'{"mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": []}', []),
        (b'[{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}]', []),
    ],
)
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


_STATEMENT = _b64(
    json.dumps({"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "p"}).encode()
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (_bundle()[:-40], "truncated or malformed|not valid JSON"),
        (b'["mediaType"]', "expected a JSON object at document"),
        (_bundle(None), r"no mediaType|mediaType '' is not a Sigstore bundle media type"),
        (b'{"verificationMaterial": {}}', "no mediaType"),
        (_bundle("application/json"), r"mediaType 'application/json' is not a Sigstore bundle media type"),
        (_bundle(3), "expected a string at mediaType"),
        (_bundle("application/vnd.dev.sigstore.bundle.v0.4+json"), r"bundle version 0\.4 is not supported"),
        (_bundle(messageSignature=None), "neither messageSignature nor dsseEnvelope"),
        (_bundle(messageSignature=[]), "expected a JSON object at messageSignature"),
        (_bundle(messageSignature={"messageDigest": {"algorithm": "SHA2_256", "digest": "%%%"}}),
         r"messageSignature\.messageDigest\.digest is not valid base64"),
        (_bundle(messageSignature={"messageDigest": "x"}),
         r"expected a JSON object at messageSignature\.messageDigest"),
        (_bundle(messageSignature={"signature": 5}), r"expected a string at messageSignature\.signature"),
        (_bundle(dsseEnvelope=_dsse("not base64!")), r"dsseEnvelope\.payload is not valid base64"),
        (_bundle(dsseEnvelope=_dsse(_b64(b"<xml/>"))), r"dsseEnvelope\.payload does not decode to JSON"),
        (_bundle(dsseEnvelope=_dsse(_STATEMENT, "text/plain")), r"payloadType 'text/plain' is not supported"),
        (_bundle(dsseEnvelope=_dsse(_b64(b'{"_type": "https://in-toto.io/Statement/v1", "subject": {}}'))),
         r"expected a JSON array at dsseEnvelope\.payload\.subject"),
        (_bundle(verificationMaterial=[]), "expected a JSON object at verificationMaterial"),
        (_bundle(verificationMaterial=_material(certificate={"rawBytes": "@@"})), "rawBytes is not valid base64"),
        (_bundle(verificationMaterial=_material(certificate={"rawBytes": _b64(b"\x30\x03\x02\x01\x01")})),
         r"certificate\.rawBytes is not an X\.509 certificate"),
        (_bundle(verificationMaterial=_material(certificate={})), r"certificate\.rawBytes is empty"),
        (_bundle(verificationMaterial=_material(x509CertificateChain={"certificates": []})), "certificates is empty"),
        (_bundle(verificationMaterial=_material(x509CertificateChain={"certificates": "x"})),
         r"expected a JSON array at verificationMaterial\.x509CertificateChain\.certificates"),
        (_bundle(verificationMaterial=_material(certificate={"rawBytes": _certificate(
            _issuer_extension("1.3.6.1.4.1.57264.1.8", b"\x0c\x09short"))})), "unreadable OIDC issuer extension"),
        (_bundle(verificationMaterial=_material(tlogEntries={})), r"expected a JSON array at .*tlogEntries"),
        (_bundle(verificationMaterial=_material(tlogEntries=[{"logIndex": "12a"}])), "is not a log index: '12a'"),
        (_bundle(verificationMaterial=_material(tlogEntries=[{"logIndex": True}])), "is not a log index"),
        (_bundle(verificationMaterial=_material(tlogEntries=[{"logIndex": -1}])), "out of range"),
        (_bundle(verificationMaterial=_material(tlogEntries=[{"logIndex": "9" * 19}])), "out of range"),
        (_bundle(verificationMaterial=_material(tlogEntries=[{"logIndex": "9" * 5000}])), "is not a log index"),
    ],
)  # fmt: skip
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(SigstoreBundleParser(), data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(SigstoreBundleParser(), data)
    except ParseError:
        return
    assert isinstance(summary, AttestationSummary)


_VALID = (DATA / "sigstore_bundle" / "dsse-v0.3-workflow-identity.json").read_bytes()


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, len(_VALID)), tail=st.binary(max_size=300))
def test_random_bytes_after_a_valid_opening(cut, tail):
    try:
        summary, _sink = parse_bytes(SigstoreBundleParser(), _VALID[:cut] + tail)
    except ParseError:
        return
    assert isinstance(summary, AttestationSummary)


_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_BASE64ISH = st.text(alphabet="ABCDEFGHabcdefgh0123456789+/=-_", max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    material=st.dictionaries(
        st.sampled_from(("certificate", "x509CertificateChain", "publicKey", "tlogEntries")),
        _JSON | st.fixed_dictionaries({"rawBytes": _BASE64ISH}) | st.lists(st.fixed_dictionaries({"logIndex": _JSON})),
        max_size=4,
    ),
    digest=st.dictionaries(st.sampled_from(("algorithm", "digest")), _JSON | _BASE64ISH, max_size=2),
)
def test_arbitrary_bundle_shapes_give_a_summary_or_a_parse_error(material, digest):
    data = _bundle(verificationMaterial=material, messageSignature={"messageDigest": digest, "signature": "x"})
    try:
        summary, _sink = parse_bytes(SigstoreBundleParser(), data)
    except ParseError:
        return
    assert summary.tlog_index is None or summary.tlog_index >= 0
