"""``cosign verify`` output: the JSON array cosign prints to stdout, one entry per verified signature.

Each entry is a Simple Signing payload: ``critical`` names the image (``identity.docker-reference``) and
its digest (``image.docker-manifest-digest``); ``optional`` is null for key-based signatures and, for
keyless ones, carries the signer (``Subject``), its OIDC ``Issuer`` and the Rekor ``Bundle``.

Extracted: one subject per distinct image reference and digest, ``signatures`` = the number of entries,
signer identity and issuer from the first entry that names them, the transparency-log index from the first
``optional.Bundle.Payload.logIndex``. ``verified`` stays None: that cosign printed the entries is a claim
of the uploader, checked on ingest, not here.

``cosign verify-attestation`` prints DSSE envelopes instead (one per line): the intoto-dsse parser reads those.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from evidence.parsers.base import AttestationSummary, Head, ParseError, Parser, RowSink
from evidence.parsers.intoto_common import distinct_subjects, load_bounded, log_index, optional_object, text
from evidence.parsers.jsonstream import expect_dict

_WHAT = "cosign verify output"
_SIGNATURE_TYPE = "cosign container image signature"


class CosignVerifyParser(Parser):
    format = "cosign-verify"
    kind = "attestation"
    label = "cosign verify output"
    producers = "cosign verify (JSON printed to stdout)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return head.json_root == "array" and "critical" in head.json_keys

    def parse(self, stream: BinaryIO, sink: RowSink) -> AttestationSummary:
        entries = load_bounded(stream, what=_WHAT)
        if not isinstance(entries, list):
            raise ParseError(f"{_WHAT}: expected a JSON array of signatures, found {type(entries).__name__}")
        if not entries:
            raise ParseError(f"{_WHAT}: the array is empty; cosign prints one entry per verified signature")
        summary = AttestationSummary(envelope="cosign-verify", signatures=len(entries))
        for index, entry in enumerate(entries):
            where = f"[{index}]"
            entry = expect_dict(entry, what=_WHAT, where=where)
            summary.subjects.append(_subject(entry.get("critical"), where=f"{where}.critical"))
            optional = optional_object(entry.get("optional"), what=_WHAT, where=f"{where}.optional")
            self._read_optional(optional, summary, where=f"{where}.optional")
        summary.subjects = distinct_subjects(summary.subjects)
        return summary

    @staticmethod
    def _read_optional(optional: dict[str, Any], summary: AttestationSummary, *, where: str) -> None:
        subject = text(optional.get("Subject"), what=_WHAT, where=f"{where}.Subject")
        if subject and not summary.signer_identity:
            summary.signer_identity = subject
            summary.signer_issuer = text(optional.get("Issuer"), what=_WHAT, where=f"{where}.Issuer")
        bundle = optional_object(optional.get("Bundle"), what=_WHAT, where=f"{where}.Bundle")
        payload = optional_object(bundle.get("Payload"), what=_WHAT, where=f"{where}.Bundle.Payload")
        if payload.get("logIndex") is not None and summary.tlog_index is None:
            summary.tlog_index = log_index(payload["logIndex"], what=_WHAT, where=f"{where}.Bundle.Payload.logIndex")


def _subject(critical: Any, *, where: str) -> dict[str, str]:
    critical = expect_dict(critical, what=_WHAT, where=where)
    signature_type = text(critical.get("type"), what=_WHAT, where=f"{where}.type")
    if signature_type != _SIGNATURE_TYPE:
        raise ParseError(f"{_WHAT}: {where}.type {signature_type!r} is not {_SIGNATURE_TYPE!r}")
    identity = optional_object(critical.get("identity"), what=_WHAT, where=f"{where}.identity")
    image = expect_dict(critical.get("image"), what=_WHAT, where=f"{where}.image")
    digest = text(image.get("docker-manifest-digest"), what=_WHAT, where=f"{where}.image.docker-manifest-digest")
    if not digest:
        raise ParseError(f"{_WHAT}: {where}.image has no docker-manifest-digest")
    return {
        "name": text(identity.get("docker-reference"), what=_WHAT, where=f"{where}.identity.docker-reference"),
        "digest": digest,
    }
