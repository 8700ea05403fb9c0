"""The explicit list of supported formats. A parser that is not listed here does not exist."""

from __future__ import annotations

from evidence.parsers.base import Head, Parser
from evidence.parsers.cyclonedx_json import CycloneDxJsonParser
from evidence.parsers.istanbul import IstanbulSummaryParser
from evidence.parsers.junit import JUnitXmlParser
from evidence.parsers.sarif import SarifParser
from evidence.parsers.semgrep import SemgrepJsonParser
from evidence.parsers.spdx_json import SpdxJsonParser
from evidence.parsers.trivy import TrivyJsonParser

PARSERS: dict[str, type[Parser]] = {
    parser.format: parser
    for parser in (
        IstanbulSummaryParser,
        JUnitXmlParser,
        SemgrepJsonParser,
        SarifParser,
        TrivyJsonParser,
        SpdxJsonParser,
        CycloneDxJsonParser,
    )
}

KINDS: tuple[str, ...] = tuple(sorted({parser.kind for parser in PARSERS.values()}))


def parser_for(format_id: str) -> Parser:
    return PARSERS[format_id]()


def detect(head: Head) -> list[type[Parser]]:
    """Every parser that recognises the head; more than one means the content is ambiguous."""
    return [parser for parser in PARSERS.values() if parser.sniff(head)]


def supported_formats_text() -> str:
    return "; ".join(f"{p.kind}: {p.label} ({p.format})" for p in PARSERS.values())
