"""The one small interface every format parser implements.

A parser reads a binary stream and returns a plain summary dataclass; detail rows (findings,
components, test cases) go to a sink as they are read, so a 500 MB report never sits in memory.
Parsers know nothing about Django: the loader (evidence/services.py) validates and persists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO, ClassVar, Protocol

SEVERITIES_SAST = ("critical", "high", "medium", "low", "info")
SEVERITIES_VULN = ("critical", "high", "medium", "low", "unknown")


class ParseError(Exception):
    """The one error a parser raises for input it cannot read; the message is shown to people."""

    def __init__(self, message: str, *, position: str | None = None):
        self.message = message
        self.position = position
        super().__init__(f"{message} (at {position})" if position else message)


# ---- detail rows -------------------------------------------------------------------------------


@dataclass(slots=True)
class FindingRow:
    category: str  # vulnerability | sast | misconfiguration | secret | policy
    severity: str
    rule_id: str
    title: str = ""
    location: str = ""
    line: int | None = None
    package: str = ""
    installed_version: str = ""
    fixed_version: str = ""


@dataclass(slots=True)
class ComponentRow:
    name: str
    version: str = ""
    purl: str = ""
    licenses: str = ""
    component_type: str = ""


@dataclass(slots=True)
class TestCaseRow:
    suite: str
    name: str
    classname: str = ""
    status: str = "passed"  # passed | failed | error | skipped | flaky
    duration_s: float = 0.0
    attempts: int = 1
    message: str = ""


class RowSink(Protocol):
    def finding(self, row: FindingRow) -> None: ...
    def component(self, row: ComponentRow) -> None: ...
    def test_case(self, row: TestCaseRow) -> None: ...


class ListSink:
    """Collects rows in lists: for tests and small files."""

    def __init__(self) -> None:
        self.findings: list[FindingRow] = []
        self.components: list[ComponentRow] = []
        self.test_cases: list[TestCaseRow] = []

    def finding(self, row: FindingRow) -> None:
        self.findings.append(row)

    def component(self, row: ComponentRow) -> None:
        self.components.append(row)

    def test_case(self, row: TestCaseRow) -> None:
        self.test_cases.append(row)


# ---- summaries (their keys are a stable contract: see README "Summary keys") ------------------


@dataclass
class Summary:
    kind: ClassVar[str] = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass
class CoverageSummary(Summary):
    kind: ClassVar[str] = "coverage"
    lines_total: int = 0
    lines_covered: int = 0
    line_pct: float | None = None
    branches_total: int | None = None
    branches_covered: int | None = None
    branch_pct: float | None = None

    @classmethod
    def from_counts(
        cls, lines_total: int, lines_covered: int, branches_total: int | None, branches_covered: int | None
    ) -> CoverageSummary:
        return cls(
            lines_total=lines_total,
            lines_covered=lines_covered,
            line_pct=percent(lines_covered, lines_total),
            branches_total=branches_total,
            branches_covered=branches_covered,
            branch_pct=percent(branches_covered, branches_total) if branches_total is not None else None,
        )


@dataclass
class TestsSummary(Summary):
    kind: ClassVar[str] = "tests"
    tests: int = 0
    passed: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0
    duration_s: float = 0.0


def _zero_counts(keys: tuple[str, ...]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


@dataclass
class SastSummary(Summary):
    kind: ClassVar[str] = "sast"
    findings: int = 0
    by_severity: dict[str, int] = field(default_factory=lambda: _zero_counts(SEVERITIES_SAST))
    rules: int = 0
    tool: str = ""


def package_key(name: str, version: str) -> str:
    """One string for a (package, version) pair, to count distinct pairs: a set of these takes half the
    memory of a set of tuples (a 500 MB report may hold 600,000 pairs). The length prefix keeps it unique."""
    return f"{len(name)}:{name}{version}"


@dataclass
class VulnerabilitiesSummary(Summary):
    kind: ClassVar[str] = "vulnerabilities"
    findings: int = 0
    by_severity: dict[str, int] = field(default_factory=lambda: _zero_counts(SEVERITIES_VULN))
    packages_affected: int = 0
    misconfigurations: int = 0
    secrets: int = 0
    target: str = ""


@dataclass
class SbomSummary(Summary):
    kind: ClassVar[str] = "sbom"
    components: int = 0
    spec: str = ""
    spec_version: str = ""
    name: str = ""


@dataclass
class PolicySummary(Summary):
    """conftest fills failures/warnings/successes/exceptions; kubeconform fills resources/valid/invalid/
    errors/skipped and also sets failures = invalid + errors, so `policy.failures == 0` gates either tool."""

    kind: ClassVar[str] = "policy"
    tool: str = ""
    failures: int = 0
    warnings: int = 0
    successes: int = 0
    exceptions: int = 0
    resources: int = 0
    valid: int = 0
    invalid: int = 0
    errors: int = 0
    skipped: int = 0


@dataclass
class ContractSummary(Summary):
    kind: ClassVar[str] = "contract"
    interactions: int = 0
    passed: int | None = None  # None: a pact file (not verified yet)
    failed: int | None = None
    consumer: str = ""
    provider: str = ""
    verified: bool = False


@dataclass
class LoadSummary(Summary):
    kind: ClassVar[str] = "load"
    checks_passed: int = 0
    checks_failed: int = 0
    http_req_failed_rate: float | None = None  # share of failed requests, 0-1
    http_req_duration_p95_ms: float | None = None
    http_reqs: int | None = None
    thresholds_failed: int = 0


@dataclass
class AttestationSummary(Summary):
    kind: ClassVar[str] = "attestation"
    envelope: str = ""  # cosign-verify | sigstore-bundle | dsse | statement | predicate
    subjects: list[dict[str, str]] = field(default_factory=list)  # [{"name": ..., "digest": "sha256:..."}]
    predicate_type: str = ""
    builder_id: str = ""
    signer_identity: str = ""
    signer_issuer: str = ""
    tlog_index: int | None = None
    signatures: int = 0
    verified: bool | None = None  # set by signature verification on ingest, never by a parser


@dataclass
class SecretsSummary(Summary):
    kind: ClassVar[str] = "secrets"
    findings: int = 0
    rules: int = 0


def percent(part: int | None, whole: int | None) -> float | None:
    """0-100 rounded to 2 places; None when there is nothing to measure (a gate must not pass on 0/0)."""
    if not whole or part is None:
        return None
    return round(100.0 * part / whole, 2)


# ---- the parser interface ---------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """The first bytes of an upload (inflated), what detection may look at."""

    raw: bytes
    complete: bool  # True when the whole file fits in the head
    json_keys: frozenset[str] = frozenset()  # top-level object keys (or keys of the first list item)
    json_root: str = ""  # "object", "array" or "" when the head is not JSON
    xml_root: str = ""  # local name of the root element
    xml_namespace: str = ""

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace")


class Parser:
    """Subclass, set the class attributes, implement ``sniff`` and ``parse``; register in registry.py."""

    format: ClassVar[str]  # stable id, e.g. "trivy-json"
    kind: ClassVar[str]  # summary kind
    label: ClassVar[str]  # what people call it
    producers: ClassVar[str] = ""  # tools known to emit it

    @classmethod
    def sniff(cls, head: Head) -> bool:
        raise NotImplementedError

    def parse(self, stream: BinaryIO, sink: RowSink) -> Summary:
        raise NotImplementedError
