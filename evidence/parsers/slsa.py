"""A bare SLSA provenance predicate: the ``predicate`` of an in-toto Statement, saved without its wrapper.

Two shapes, told apart by their keys because a bare predicate carries no predicateType:
- v0.2: ``builder``, ``buildType``, ``invocation``, ``materials`` -> "https://slsa.dev/provenance/v0.2";
- v1: ``buildDefinition``, ``runDetails`` -> "https://slsa.dev/provenance/v1".

Extracted: the inferred predicate type and the builder id (``builder.id`` / ``runDetails.builder.id``).
``subjects`` is always empty: the artifacts a provenance is about are named by the Statement's
``subject``, which a bare predicate does not have. Nothing is signed either: ``signatures`` is 0, there is
no signer or transparency-log entry, and ``verified`` stays None.
"""

from __future__ import annotations

from typing import BinaryIO

from evidence.parsers.base import AttestationSummary, Head, ParseError, Parser, RowSink
from evidence.parsers.intoto_common import load_bounded, slsa_builder_id
from evidence.parsers.jsonstream import expect_dict

_WHAT = "SLSA provenance predicate"
_V02 = ("https://slsa.dev/provenance/v0.2", frozenset({"builder", "buildType"}))
_V1 = ("https://slsa.dev/provenance/v1", frozenset({"buildDefinition", "runDetails"}))
# Keys of the wrappers around a predicate: such a document is a Statement or an envelope, not a predicate.
_WRAPPER_KEYS = frozenset({"_type", "payload"})


class SlsaPredicateParser(Parser):
    format = "slsa-predicate"
    kind = "attestation"
    label = "SLSA provenance predicate"
    producers = (
        "a bare SLSA provenance predicate (v0.2: builder, buildType, invocation, materials; "
        "v1: buildDefinition, runDetails)"
    )

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = head.json_keys
        if head.json_root != "object" or keys & _WRAPPER_KEYS:
            return False
        return _V02[1] <= keys or _V1[1] <= keys

    def parse(self, stream: BinaryIO, sink: RowSink) -> AttestationSummary:
        predicate = expect_dict(load_bounded(stream, what=_WHAT), what=_WHAT)
        if predicate.keys() & _WRAPPER_KEYS:
            raise ParseError(f"{_WHAT}: this is an in-toto Statement or DSSE envelope, not a bare predicate; "
                             "it is read as intoto-dsse")  # fmt: skip
        shapes = [version for version, keys in (_V02, _V1) if keys <= predicate.keys()]
        if not shapes:
            raise ParseError(f"{_WHAT}: neither builder and buildType (v0.2) nor buildDefinition and "
                             "runDetails (v1) at the top level")  # fmt: skip
        if len(shapes) > 1:
            raise ParseError(f"{_WHAT}: the document mixes the v0.2 keys (builder, buildType) and the v1 "
                             "keys (buildDefinition, runDetails)")  # fmt: skip
        summary = AttestationSummary(envelope="predicate", predicate_type=shapes[0])
        summary.builder_id = slsa_builder_id(predicate, what=_WHAT, where="document")
        return summary
