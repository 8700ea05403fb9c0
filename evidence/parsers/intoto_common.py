"""Shared reading for the attestation parsers: bounded JSON, DSSE envelopes, in-toto Statements, Fulcio certs.

Attestations are small by nature (a statement, a signature, a certificate), so they are read whole; a
document over ``MAX_DOCUMENT_BYTES`` is refused rather than loaded. Every helper turns bad input
(hostile base64, a payload that is not JSON, a value of the wrong type, a certificate that does not parse)
into a ParseError whose message names the format (``what``) and the place (``where``).

Nothing here verifies a signature: the parsers only describe what an attestation claims, and
signature verification happens later, on ingest.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson
from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning

from evidence.parsers.base import ParseError
from evidence.parsers.jsonstream import expect_dict, expect_list, load_document

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE_PREFIX = "https://in-toto.io/Statement/"
# SLSA provenance v0.1 and v0.2 name the builder at builder.id, v1 at runDetails.builder.id.
SLSA_PROVENANCE_PREFIX = "https://slsa.dev/provenance/"
# Fulcio's OIDC issuer: 1.1 holds the raw string (deprecated), 1.8 the same as a DER UTF8String.
_FULCIO_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
_FULCIO_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
_DER_UTF8_STRING = 0x0C
# Rekor log indexes are int64: a larger number is not a real entry.
_MAX_LOG_INDEX = 2**63 - 1
_LOG_INDEX_TEXT = re.compile(r"[0-9]{1,19}")
_URL_SAFE = str.maketrans("-_", "+/")


# ---- reading documents -------------------------------------------------------------------------


def read_bounded(stream: BinaryIO, *, what: str) -> bytes:
    """The whole upload, refused (not loaded further) when it is larger than any real attestation."""
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ParseError(f"{what}: the file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; "
                         "no real attestation is that large")  # fmt: skip
    return data


def load_json(data: bytes, *, what: str) -> Any:
    """One JSON document, with load_document's messages for empty, truncated and invalid input."""
    return load_document(io.BytesIO(data), what=what)


def load_bounded(stream: BinaryIO, *, what: str) -> Any:
    return load_json(read_bounded(stream, what=what), what=what)


def json_documents(data: bytes, *, what: str) -> list[tuple[int | None, Any]]:
    """(line number, document) per non-blank line of JSONL (an in-toto "attestation bundle", ``gh attestation
    download`` output), or [(None, document)] for a single JSON document."""
    lines = [(number, line) for number, line in enumerate(data.splitlines(), 1) if line.strip()]
    # Pretty-printed JSON never has a first line that parses alone, so this only picks real JSONL.
    if len(lines) > 1 and _parses(lines[0][1]):
        return [(number, load_json(line, what=f"{what} (line {number})")) for number, line in lines]
    return [(None, load_json(data, what=what))]


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


# ---- small typed accessors -----------------------------------------------------------------------


def text(value: Any, *, what: str, where: str) -> str:
    """A JSON string or nothing; any other type is a malformed document, not something to str()."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParseError(f"{what}: expected a string at {where}, found {type(value).__name__}")
    return value


def optional_object(value: Any, *, what: str, where: str) -> dict[str, Any]:
    """A JSON object that may be absent or null (read as empty); any other type is an error."""
    return {} if value is None else expect_dict(value, what=what, where=where)


def decode_base64(value: Any, *, what: str, where: str) -> bytes:
    """Standard or URL-safe base64, padding optional: DSSE allows either alphabet."""
    encoded = text(value, what=what, where=where)
    if not encoded:
        raise ParseError(f"{what}: {where} is empty")
    try:
        normalised = encoded.translate(_URL_SAFE).encode("ascii")
        return base64.b64decode(normalised + b"=" * (-len(normalised) % 4), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise ParseError(f"{what}: {where} is not valid base64") from None


def log_index(value: Any, *, what: str, where: str) -> int:
    """A Rekor log index: protobuf JSON writes int64 as a string, cosign writes a number."""
    if isinstance(value, str) and _LOG_INDEX_TEXT.fullmatch(value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise ParseError(f"{what}: {where} is not a log index: {str(value)[:40]!r}")
    if not 0 <= number <= _MAX_LOG_INDEX:
        raise ParseError(f"{what}: {where} is out of range: {number}")
    return number


# ---- in-toto Statements ---------------------------------------------------------------------------


@dataclass
class Statement:
    subjects: list[dict[str, str]] = field(default_factory=list)
    predicate_type: str = ""
    builder_id: str = ""


def subject_digest(digests: Any, *, what: str, where: str) -> str:
    """The digest as "<algorithm>:<hex>" from an in-toto digest map: sha256 if present, else the first one."""
    if digests is None:
        return ""
    digests = expect_dict(digests, what=what, where=where)
    if not digests:
        return ""
    algorithm = "sha256" if "sha256" in digests else next(iter(digests))
    return f"{algorithm}:{text(digests[algorithm], what=what, where=f'{where}.{algorithm}')}"


def slsa_builder_id(predicate: dict[str, Any], *, what: str, where: str) -> str:
    """builder.id (SLSA v0.1/v0.2) or runDetails.builder.id (SLSA v1); "" when the predicate names none."""
    holder = predicate
    path = where
    if "runDetails" in predicate:
        holder = expect_dict(predicate["runDetails"], what=what, where=f"{where}.runDetails")
        path = f"{where}.runDetails"
    builder = holder.get("builder")
    if builder is None:
        return ""
    builder = expect_dict(builder, what=what, where=f"{path}.builder")
    return text(builder.get("id"), what=what, where=f"{path}.builder.id")


def read_statement(document: Any, *, what: str, where: str) -> Statement:
    """Subjects, predicate type and (for SLSA provenance) builder id of an in-toto Statement v0.1 or v1."""
    statement = expect_dict(document, what=what, where=where)
    statement_type = text(statement.get("_type"), what=what, where=f"{where}._type")
    if not statement_type.startswith(STATEMENT_TYPE_PREFIX):
        found = repr(statement_type) if statement_type else "no _type"
        raise ParseError(f"{what}: {where} is not an in-toto Statement ({found}; "
                         f"expected {STATEMENT_TYPE_PREFIX}v0.1 or v1)")  # fmt: skip
    result = Statement(predicate_type=text(statement.get("predicateType"), what=what, where=f"{where}.predicateType"))
    for item in expect_list(statement.get("subject"), what=what, where=f"{where}.subject"):
        subject = expect_dict(item, what=what, where=f"{where}.subject[]")
        # Statement v1 subjects are ResourceDescriptors: a uri may stand in for the name.
        name = text(subject.get("name"), what=what, where=f"{where}.subject[].name") or text(
            subject.get("uri"), what=what, where=f"{where}.subject[].uri"
        )
        digest = subject_digest(subject.get("digest"), what=what, where=f"{where}.subject[].digest")
        result.subjects.append({"name": name, "digest": digest})
    # Only SLSA provenance defines builder.id; other predicate types may use "builder" for anything.
    if result.predicate_type.startswith(SLSA_PROVENANCE_PREFIX) and statement.get("predicate") is not None:
        predicate = expect_dict(statement["predicate"], what=what, where=f"{where}.predicate")
        result.builder_id = slsa_builder_id(predicate, what=what, where=f"{where}.predicate")
    return result


def distinct_subjects(subjects: list[dict[str, str]]) -> list[dict[str, str]]:
    """Subjects in first-seen order, each once: several attestations about one artifact name it once."""
    seen = dict.fromkeys((subject["name"], subject["digest"]) for subject in subjects)
    return [{"name": name, "digest": digest} for name, digest in seen]


# ---- DSSE envelopes -------------------------------------------------------------------------------


@dataclass
class Envelope:
    statement: Statement
    signatures: int
    signer_identity: str = ""
    signer_issuer: str = ""


def read_dsse(document: Any, *, what: str, where: str) -> Envelope:
    """A DSSE envelope carrying an in-toto Statement; any other payloadType is refused by name."""
    envelope = expect_dict(document, what=what, where=where)
    payload_type = text(envelope.get("payloadType"), what=what, where=f"{where}.payloadType")
    if payload_type != IN_TOTO_PAYLOAD_TYPE:
        found = repr(payload_type) if payload_type else "missing"
        raise ParseError(f"{what}: DSSE payloadType {found} is not supported; expected {IN_TOTO_PAYLOAD_TYPE!r}")
    payload = decode_base64(envelope.get("payload"), what=what, where=f"{where}.payload")
    try:
        decoded = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"{what}: {where}.payload does not decode to JSON: {exc.msg}") from None
    result = Envelope(
        statement=read_statement(decoded, what=what, where=f"{where}.payload"),
        signatures=0,
    )
    for item in expect_list(envelope.get("signatures"), what=what, where=f"{where}.signatures"):
        signature = expect_dict(item, what=what, where=f"{where}.signatures[]")
        result.signatures += 1
        # cosign and slsa-github-generator put the keyless signer's Fulcio certificate (PEM) beside the sig.
        pem = text(signature.get("cert"), what=what, where=f"{where}.signatures[].cert")
        if pem and not result.signer_identity:
            result.signer_identity, result.signer_issuer = pem_certificate_identity(
                pem, what=what, where=f"{where}.signatures[].cert"
            )
    return result


# ---- Fulcio certificates ------------------------------------------------------------------------


def der_certificate_identity(der: bytes, *, what: str, where: str) -> tuple[str, str]:
    certificate = _load_certificate(x509.load_der_x509_certificate, der, what=what, where=where)
    return _identity(certificate, what=what, where=where)


def pem_certificate_identity(pem: str, *, what: str, where: str) -> tuple[str, str]:
    data = pem.encode("utf-8", errors="replace")
    certificate = _load_certificate(x509.load_pem_x509_certificate, data, what=what, where=where)
    return _identity(certificate, what=what, where=where)


def _load_certificate(
    load: Callable[[bytes], x509.Certificate], data: bytes, *, what: str, where: str
) -> x509.Certificate:
    try:
        with warnings.catch_warnings():
            # cryptography warns about lax encodings (a non-positive serial) it still reads; the identity
            # is all we take, and judging the certificate is signature verification's job.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            return load(data)
    except (ValueError, x509.InvalidVersion):
        raise ParseError(f"{what}: {where} is not an X.509 certificate") from None


def _identity(certificate: x509.Certificate, *, what: str, where: str) -> tuple[str, str]:
    """(signer identity, OIDC issuer) of a Fulcio certificate; "" for a part a plain certificate lacks."""
    try:
        # Extensions are decoded lazily: a malformed one surfaces here, not at load time.
        extensions = certificate.extensions
        try:
            names = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            names = x509.SubjectAlternativeName([])
        identity = next(
            (name.value for name in names if isinstance(name, x509.UniformResourceIdentifier | x509.RFC822Name)),
            "",
        )
        issuer = _fulcio_issuer(extensions, what=what, where=where)
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
        raise ParseError(f"{what}: {where} has malformed extensions") from None
    return identity, issuer


def _fulcio_issuer(extensions: x509.Extensions, *, what: str, where: str) -> str:
    for oid, der_encoded in ((_FULCIO_ISSUER_V2, True), (_FULCIO_ISSUER_V1, False)):
        try:
            raw = extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            continue
        value = raw.value if isinstance(raw, x509.UnrecognizedExtension) else b""
        decoded = _der_utf8_string(value) if der_encoded else _utf8(value)
        if decoded is None:
            raise ParseError(f"{what}: {where} has an unreadable OIDC issuer extension ({oid.dotted_string})")
        return decoded
    return ""


def _der_utf8_string(value: bytes) -> str | None:
    """The text of a DER UTF8String (tag, definite length, content), None when it is not exactly one."""
    if len(value) < 2 or value[0] != _DER_UTF8_STRING:
        return None
    length, offset = value[1], 2
    if length & 0x80:  # long form: the low bits count the length bytes that follow
        count = length & 0x7F
        if not 1 <= count <= 4 or len(value) < 2 + count:
            return None
        length, offset = int.from_bytes(value[2 : 2 + count], "big"), 2 + count
    if offset + length != len(value):
        return None
    return _utf8(value[offset:])


def _utf8(value: bytes) -> str | None:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None
