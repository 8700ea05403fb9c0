"""Sigstore bundles (v0.1, v0.2, v0.3): a signature with everything needed to verify it offline.

Written by ``cosign sign-blob/attest --bundle``, sigstore-python, slsa-github-generator and GitHub artifact
attestations. The media type names the version: ``application/vnd.dev.sigstore.bundle+json;version=0.N``
(v0.1, v0.2, also 0.3 in early writers) or ``application/vnd.dev.sigstore.bundle.v0.3+json``.

The content is one of:
- ``messageSignature``: a signature over a blob's digest. The one subject is that digest
  (``messageDigest``, base64 in the bundle, reported as "sha256:<hex>") with an empty name: the bundle does
  not say which file was signed.
- ``dsseEnvelope``: a DSSE envelope around an in-toto Statement, whose subjects, predicate type and
  (SLSA provenance) builder id are reported.

The signer comes from the Fulcio certificate in ``verificationMaterial`` (``certificate`` in v0.3,
``x509CertificateChain.certificates[0]`` before): identity from the SubjectAlternativeName (URI or email),
issuer from the Fulcio OIDC issuer extension. A ``publicKey`` hint means a key-based signature: no
identity. ``tlog_index`` is the first transparency-log entry's ``logIndex``. ``verified`` stays None.

JSONL with one bundle per line (``gh attestation download``, ``.intoto.jsonl`` files of bundles) is read
too: signatures are counted over every line, subjects merged (each once), the rest taken from the first
bundle that has it.
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO

from evidence.parsers.base import AttestationSummary, Head, ParseError, Parser, RowSink
from evidence.parsers.intoto_common import (
    decode_base64,
    der_certificate_identity,
    distinct_subjects,
    json_documents,
    log_index,
    optional_object,
    read_bounded,
    read_dsse,
    text,
)
from evidence.parsers.jsonstream import expect_dict, expect_list

_WHAT = "Sigstore bundle"
_MEDIA_TYPE = re.compile(
    r"application/vnd\.dev\.sigstore\.bundle(?:\+json;version=(?P<param>[0-9.]+)|\.v(?P<infix>[0-9.]+)\+json)"
)
_VERSIONS = ("0.1", "0.2", "0.3")
# protobuf-specs HashAlgorithm names -> the algorithm names in-toto digest maps use.
_HASH_NAMES = {
    "SHA2_256": "sha256",
    "SHA2_384": "sha384",
    "SHA2_512": "sha512",
    "SHA3_256": "sha3-256",
    "SHA3_384": "sha3-384",
}


def _check_media_type(value: Any) -> None:
    media_type = text(value, what=_WHAT, where="mediaType")
    match = _MEDIA_TYPE.fullmatch(media_type)
    if match is None:
        raise ParseError(f"{_WHAT}: mediaType {media_type!r} is not a Sigstore bundle media type")
    version = match["param"] or match["infix"]
    # A patch level (0.3.1) keeps the 0.3 layout; anything newer may move the fields read here.
    if not any(version == known or version.startswith(f"{known}.") for known in _VERSIONS):
        raise ParseError(f"{_WHAT}: bundle version {version} is not supported (0.1, 0.2 and 0.3 are)")


def _message_digest(signature: dict[str, Any]) -> list[dict[str, str]]:
    digest = optional_object(signature.get("messageDigest"), what=_WHAT, where="messageSignature.messageDigest")
    if not digest:
        return []
    algorithm = text(digest.get("algorithm"), what=_WHAT, where="messageSignature.messageDigest.algorithm")
    raw = decode_base64(digest.get("digest"), what=_WHAT, where="messageSignature.messageDigest.digest")
    name = _HASH_NAMES.get(algorithm, algorithm.lower() or "unknown")
    return [{"name": "", "digest": f"{name}:{raw.hex()}"}]


def _signer(material: dict[str, Any]) -> tuple[str, str]:
    """(identity, issuer) from the leaf certificate; ("", "") for a key-based (publicKey) bundle."""
    if material.get("certificate") is not None:
        certificate = expect_dict(material["certificate"], what=_WHAT, where="verificationMaterial.certificate")
        where = "verificationMaterial.certificate.rawBytes"
    elif material.get("x509CertificateChain") is not None:
        chain = expect_dict(material["x509CertificateChain"], what=_WHAT,
                            where="verificationMaterial.x509CertificateChain")  # fmt: skip
        where = "verificationMaterial.x509CertificateChain.certificates"
        certificates = expect_list(chain.get("certificates"), what=_WHAT, where=where)
        if not certificates:
            raise ParseError(f"{_WHAT}: {where} is empty")
        certificate = expect_dict(certificates[0], what=_WHAT, where=f"{where}[0]")  # the leaf comes first
        where = f"{where}[0].rawBytes"
    else:
        return "", ""
    der = decode_base64(certificate.get("rawBytes"), what=_WHAT, where=where)
    return der_certificate_identity(der, what=_WHAT, where=where)


def _tlog_index(material: dict[str, Any]) -> int | None:
    entries = expect_list(material.get("tlogEntries"), what=_WHAT, where="verificationMaterial.tlogEntries")
    if not entries:
        return None
    entry = expect_dict(entries[0], what=_WHAT, where="verificationMaterial.tlogEntries[0]")
    if entry.get("logIndex") is None:
        return None
    return log_index(entry["logIndex"], what=_WHAT, where="verificationMaterial.tlogEntries[0].logIndex")


class SigstoreBundleParser(Parser):
    format = "sigstore-bundle"
    kind = "attestation"
    label = "Sigstore bundle"
    producers = (
        "cosign --bundle, sigstore-python, slsa-github-generator, GitHub artifact attestations "
        "(bundle v0.1, v0.2, v0.3)"
    )

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return (
            head.json_root == "object"
            and "mediaType" in head.json_keys
            and "application/vnd.dev.sigstore.bundle" in head.text
        )

    def parse(self, stream: BinaryIO, sink: RowSink) -> AttestationSummary:
        summary = AttestationSummary(envelope="sigstore-bundle")
        for line, document in json_documents(read_bounded(stream, what=_WHAT), what=_WHAT):
            try:
                bundle = _read_bundle(document)
            except ParseError as exc:
                if line is None:
                    raise
                raise ParseError(exc.message, position=f"line {line}") from None
            # JSONL of bundles: every signature counts, each subject once, the first of everything else.
            summary.subjects.extend(bundle.subjects)
            summary.signatures += bundle.signatures
            summary.predicate_type = summary.predicate_type or bundle.predicate_type
            summary.builder_id = summary.builder_id or bundle.builder_id
            if not summary.signer_identity:
                summary.signer_identity, summary.signer_issuer = bundle.signer_identity, bundle.signer_issuer
            if summary.tlog_index is None:
                summary.tlog_index = bundle.tlog_index
        summary.subjects = distinct_subjects(summary.subjects)
        return summary


def _read_bundle(document: Any) -> AttestationSummary:
    bundle = expect_dict(document, what=_WHAT)
    if "mediaType" not in bundle:
        raise ParseError(f"{_WHAT}: no mediaType; this is not a Sigstore bundle")
    _check_media_type(bundle["mediaType"])
    summary = AttestationSummary(envelope="sigstore-bundle")
    # protobuf JSON writes an unset field as null or leaves it out: both mean "not this content".
    if bundle.get("dsseEnvelope") is not None:
        envelope = read_dsse(bundle["dsseEnvelope"], what=_WHAT, where="dsseEnvelope")
        summary.subjects = envelope.statement.subjects
        summary.predicate_type = envelope.statement.predicate_type
        summary.builder_id = envelope.statement.builder_id
        summary.signatures = envelope.signatures
    elif bundle.get("messageSignature") is not None:
        signature = expect_dict(bundle["messageSignature"], what=_WHAT, where="messageSignature")
        summary.subjects = _message_digest(signature)
        signed = text(signature.get("signature"), what=_WHAT, where="messageSignature.signature")
        summary.signatures = 1 if signed else 0
    else:
        raise ParseError(f"{_WHAT}: neither messageSignature nor dsseEnvelope; the bundle signs nothing")
    material = optional_object(bundle.get("verificationMaterial"), what=_WHAT, where="verificationMaterial")
    summary.signer_identity, summary.signer_issuer = _signer(material)
    summary.tlog_index = _tlog_index(material)
    return summary
