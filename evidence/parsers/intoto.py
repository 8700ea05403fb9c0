"""in-toto attestations: DSSE envelopes (one, or one per line as JSONL) and bare in-toto Statements.

Accepted shapes:
- a DSSE envelope ``{"payloadType": "application/vnd.in-toto+json", "payload": <base64 Statement>,
  "signatures": [...]}`` (cosign attest, Tekton Chains, witness, in-toto); any other payloadType is refused;
- JSONL of such envelopes, one per line (slsa-github-generator ``.intoto.jsonl``, ``cosign
  verify-attestation`` output): signatures are counted over every line, subjects merged (each once), the
  predicate type and builder id are the first line's that names one;
- a bare Statement ``{"_type": "https://in-toto.io/Statement/v0.1" or ".../v1", "subject", "predicateType",
  "predicate"}``: envelope "statement", no signatures.

Extracted: subjects ("<algorithm>:<hex>", sha256 preferred), predicate type, builder id for SLSA provenance
(``predicate.builder.id`` in v0.2, ``predicate.runDetails.builder.id`` in v1), and the signer identity and
issuer when a signature carries its Fulcio certificate (``signatures[].cert``, as cosign and
slsa-github-generator write). An envelope has no transparency-log entry: ``tlog_index`` stays None, and so
does ``verified``.
"""

from __future__ import annotations

import base64
import re
from typing import BinaryIO

from evidence.parsers.base import AttestationSummary, Head, ParseError, Parser, RowSink
from evidence.parsers.intoto_common import (
    STATEMENT_TYPE_PREFIX,
    distinct_subjects,
    json_documents,
    read_bounded,
    read_dsse,
    read_statement,
)
from evidence.parsers.jsonstream import expect_dict

_WHAT = "in-toto attestation"
# Writers that put "payload" before "payloadType" (securesystemslib, witness) hide the payloadType of a
# large envelope beyond the head; the start of the payload itself then tells a Statement apart.
_PAYLOAD_START = re.compile(rb'"payload"\s*:\s*"([A-Za-z0-9+/_-]{16,4096})')
_URL_SAFE = bytes.maketrans(b"-_", b"+/")
_STATEMENT_MARK = STATEMENT_TYPE_PREFIX.removeprefix("https://").encode()


def _payload_is_statement(raw: bytes) -> bool:
    match = _PAYLOAD_START.search(raw)
    if match is None:
        return False
    encoded = match[1].translate(_URL_SAFE)
    try:
        decoded = base64.b64decode(encoded[: len(encoded) // 4 * 4], validate=True)
    except ValueError:
        return False
    return _STATEMENT_MARK in decoded


class InTotoParser(Parser):
    format = "intoto-dsse"
    kind = "attestation"
    label = "in-toto attestation (DSSE envelope or Statement)"
    producers = (
        "cosign attest, cosign verify-attestation, in-toto, slsa-github-generator (.intoto.jsonl), "
        "Tekton Chains, witness"
    )

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = head.json_keys
        if head.json_root != "object":
            return False
        if "payloadType" in keys and "payload" in keys:
            return True
        if "_type" in keys:
            return _STATEMENT_MARK.decode() in head.text
        return "payload" in keys and _payload_is_statement(head.raw)

    def parse(self, stream: BinaryIO, sink: RowSink) -> AttestationSummary:
        summary = AttestationSummary(envelope="statement")
        for line, document in json_documents(read_bounded(stream, what=_WHAT), what=_WHAT):
            where = f"line {line}" if line else "document"
            document = expect_dict(document, what=_WHAT, where=where)
            if "payloadType" in document or "payload" in document:
                envelope = read_dsse(document, what=_WHAT, where=where)
                statement = envelope.statement
                summary.envelope = "dsse"
                summary.signatures += envelope.signatures
                if not summary.signer_identity:
                    summary.signer_identity = envelope.signer_identity
                    summary.signer_issuer = envelope.signer_issuer
            elif "_type" in document:
                statement = read_statement(document, what=_WHAT, where=where)
            else:
                hint = "; a Sigstore bundle is read as sigstore-bundle" if "mediaType" in document else ""
                raise ParseError(f"{_WHAT}: {where} is neither a DSSE envelope (payloadType, payload) "
                                 f"nor an in-toto Statement (_type){hint}")  # fmt: skip
            summary.subjects.extend(statement.subjects)
            summary.predicate_type = summary.predicate_type or statement.predicate_type
            summary.builder_id = summary.builder_id or statement.builder_id
        summary.subjects = distinct_subjects(summary.subjects)
        return summary
