"""Pact files (the consumer contract), Pact specification v1 to v4.

A pact file is {"consumer": {"name"}, "provider": {"name"}, "interactions": [...], "metadata":
{"pactSpecification": {"version"}}}; V3 message pacts list "messages" instead of (or besides)
"interactions", and V4 interactions carry a "type" (Synchronous/HTTP, Asynchronous/Messages,
Synchronous/Messages). Written by pact-js, pact-jvm, pact-python, pact-go and other pact_ffi clients.

Counting: ``interactions`` is the number of entries of "interactions" plus those of "messages", of every
type. A pact file is the contract, not a verification of it: nothing has run, so ``passed`` and
``failed`` stay None, ``verified`` is False and no test-case rows are emitted (a row per interaction
would need a status, and "skipped" would read as a decision someone took). Verification results are the
separate "pact-verification" format.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from evidence.parsers.base import ContractSummary, Head, ParseError, Parser, RowSink
from evidence.parsers.jsonstream import expect_dict, expect_list, load_document

_WHAT = "Pact file"
_SUPPORTED_MAJOR_VERSIONS = ("1", "2", "3", "4")


def _name(document: dict[str, Any], party: str) -> str:
    pacticipant = expect_dict(document.get(party), what=_WHAT, where=party)
    name = pacticipant.get("name")
    if not isinstance(name, str) or not name:
        raise ParseError(f"{_WHAT}: {party}.name must be a non-empty string, found {str(name)[:40]!r}")
    return name


def _spec_version(metadata: dict[str, Any]) -> str:
    """The declared specification version, "" when the file does not say (old pact-ruby files)."""
    # V2+ write pactSpecification.version; early pact-ruby wrote pact-specification or pactSpecificationVersion.
    for key in ("pactSpecification", "pact-specification"):
        entry = metadata.get(key)
        if isinstance(entry, dict) and entry.get("version") is not None:
            return str(entry["version"])
    version = metadata.get("pactSpecificationVersion")
    return "" if version is None else str(version)


class PactFileParser(Parser):
    format = "pact"
    kind = "contract"
    label = "Pact file"
    producers = "pact-js, pact-jvm, pact-python, pact_ffi (spec v1-v4)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = head.json_keys
        if head.json_root != "object" or "consumer" not in keys or not keys & {"interactions", "messages"}:
            return False
        # Pact writers sort keys, so "provider" comes after the interactions and may lie beyond a cut head.
        return "provider" in keys or not head.complete

    def parse(self, stream: BinaryIO, sink: RowSink) -> ContractSummary:
        # Pact files are small by nature (one entry per interaction), so the document is read whole.
        document = expect_dict(load_document(stream, what=_WHAT), what=_WHAT)
        if "interactions" not in document and "messages" not in document:
            raise ParseError(f'{_WHAT}: no "interactions" or "messages"; this is not a pact file')
        consumer, provider = _name(document, "consumer"), _name(document, "provider")
        metadata = document.get("metadata")
        version = _spec_version({} if metadata is None else expect_dict(metadata, what=_WHAT, where="metadata"))
        if version and version.lstrip("v").split(".", 1)[0] not in _SUPPORTED_MAJOR_VERSIONS:
            raise ParseError(f"{_WHAT}: Pact specification version {version[:20]!r} is not supported (1 to 4 are)")
        interactions = 0
        for key in ("interactions", "messages"):
            for index, entry in enumerate(expect_list(document.get(key), what=_WHAT, where=key)):
                expect_dict(entry, what=_WHAT, where=f"{key}[{index}]")
                interactions += 1
        return ContractSummary(interactions=interactions, consumer=consumer, provider=provider, verified=False)
