"""The explicit list of supported formats. A parser that is not listed here does not exist."""

from __future__ import annotations

from evidence.parsers.base import Head, Parser
from evidence.parsers.cobertura import CoberturaXmlParser
from evidence.parsers.conftest import ConftestJsonParser
from evidence.parsers.cosign import CosignVerifyParser
from evidence.parsers.coveragepy_json import CoveragePyJsonParser
from evidence.parsers.cyclonedx_json import CycloneDxJsonParser
from evidence.parsers.cyclonedx_xml import CycloneDxXmlParser
from evidence.parsers.gitleaks import GitleaksJsonParser
from evidence.parsers.gocover import GoCoverProfileParser
from evidence.parsers.grype import GrypeJsonParser
from evidence.parsers.intoto import InTotoParser
from evidence.parsers.istanbul import IstanbulSummaryParser
from evidence.parsers.jacoco import JacocoXmlParser
from evidence.parsers.junit import JUnitXmlParser
from evidence.parsers.k6 import K6SummaryParser
from evidence.parsers.k6_stream import K6JsonStreamParser
from evidence.parsers.kubeconform import KubeconformJsonParser
from evidence.parsers.lcov import LcovParser
from evidence.parsers.pact import PactFileParser
from evidence.parsers.pact_verification import PactVerificationParser
from evidence.parsers.sarif import SarifParser
from evidence.parsers.semgrep import SemgrepJsonParser
from evidence.parsers.sigstore_bundle import SigstoreBundleParser
from evidence.parsers.slsa import SlsaPredicateParser
from evidence.parsers.spdx_json import SpdxJsonParser
from evidence.parsers.spdx_tagvalue import SpdxTagValueParser
from evidence.parsers.trivy import TrivyJsonParser
from evidence.parsers.trivy_legacy import TrivyLegacyParser

PARSERS: dict[str, type[Parser]] = {
    parser.format: parser
    for parser in (
        # coverage
        IstanbulSummaryParser,
        CoberturaXmlParser,
        CoveragePyJsonParser,
        LcovParser,
        JacocoXmlParser,
        GoCoverProfileParser,
        # tests
        JUnitXmlParser,
        # sast
        SemgrepJsonParser,
        SarifParser,
        # vulnerabilities
        TrivyJsonParser,
        TrivyLegacyParser,
        GrypeJsonParser,
        # sbom
        SpdxJsonParser,
        SpdxTagValueParser,
        CycloneDxJsonParser,
        CycloneDxXmlParser,
        # policy
        ConftestJsonParser,
        KubeconformJsonParser,
        # contract and load
        PactFileParser,
        PactVerificationParser,
        K6SummaryParser,
        K6JsonStreamParser,
        # supply chain
        CosignVerifyParser,
        SigstoreBundleParser,
        InTotoParser,
        SlsaPredicateParser,
        # secrets
        GitleaksJsonParser,
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
