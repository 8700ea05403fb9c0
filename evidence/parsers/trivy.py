"""Trivy JSON (``trivy ... -f json``, SchemaVersion 2) and Trivy Kubernetes reports.

Every reported vulnerability entry is one finding, so the same CVE at two paths counts twice.
Misconfigurations (failed checks only) and secrets are counted in their own keys, never as vulnerabilities.
A finding's location is the package path Trivy reports (language packages), else the image layer, else
the scan target of its result.
"""

from __future__ import annotations

from typing import BinaryIO

from evidence.parsers.base import (
    SEVERITIES_VULN,
    FindingRow,
    Head,
    ParseError,
    Parser,
    RowSink,
    VulnerabilitiesSummary,
    package_key,
)
from evidence.parsers.jsonstream import MISSING, first, items, seekable, walk

_WHAT = "Trivy JSON"
# Results live at the top (image, fs, repo, sbom targets) or under each resource of a k8s report.
_RESULT_CONTAINERS = ("Results.item", "Resources.item.Results.item", "Vulnerabilities.item.Results.item",
                      "Misconfigurations.item.Results.item")  # fmt: skip


def _severity(value: object) -> str:
    severity = str(value or "unknown").lower()
    return severity if severity in SEVERITIES_VULN else "unknown"


def _object(value: object, section: str) -> dict:
    if not isinstance(value, dict):
        raise ParseError(f"{_WHAT}: expected an object in {section}, found {type(value).__name__}")
    return value


def _location(vulnerability: dict) -> str:
    layer = vulnerability.get("Layer")
    diff_id = layer.get("DiffID", "") if isinstance(layer, dict) else ""
    return str(vulnerability.get("PkgPath") or diff_id or "")


class TrivyJsonParser(Parser):
    format = "trivy-json"
    kind = "vulnerabilities"
    label = "Trivy JSON report"
    producers = "trivy image / fs / repo / sbom / k8s -f json"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = head.json_keys
        if head.json_root != "object":
            return False
        return ("SchemaVersion" in keys and ("ArtifactName" in keys or "Results" in keys)) or (
            "ClusterName" in keys and bool(keys & {"Resources", "Vulnerabilities", "Misconfigurations"})
        )

    def parse(self, stream: BinaryIO, sink: RowSink) -> VulnerabilitiesSummary:
        # Several passes, each in ijson's C code: the header values, then each section of every result.
        with seekable(stream) as readable:
            return self._parse(readable, sink)

    def _parse(self, stream: BinaryIO, sink: RowSink) -> VulnerabilitiesSummary:
        summary = VulnerabilitiesSummary()
        schema = first(stream, "SchemaVersion", what=_WHAT)
        cluster = first(stream, "ClusterName", what=_WHAT) if schema is MISSING else MISSING
        if schema is MISSING and cluster is MISSING:
            raise ParseError(f"{_WHAT}: no SchemaVersion or ClusterName; this is not a Trivy report")
        if schema is not MISSING and schema != 2:
            raise ParseError(
                f"Trivy JSON SchemaVersion {schema} is not supported; re-run a current Trivy "
                "(0.20 or later writes SchemaVersion 2)"
            )
        name = first(stream, "ArtifactName", what=_WHAT) if cluster is MISSING else cluster
        summary.target = "" if name is MISSING or name is None else str(name)
        containers = _RESULT_CONTAINERS if cluster is not MISSING else _RESULT_CONTAINERS[:1]
        other_sections = _mentions(stream, (b'"Misconfigurations"', b'"Secrets"'))
        packages: set[str] = set()
        by_severity = summary.by_severity
        finding = sink.finding
        for container in containers:
            # The loop body runs once per vulnerability (hundreds of thousands in a big image report).
            for vulnerability in items(stream, f"{container}.Vulnerabilities.item", what=_WHAT):
                get = _object(vulnerability, "Vulnerabilities").get
                severity = _severity(get("Severity"))
                by_severity[severity] += 1
                rule_id = str(get("VulnerabilityID", ""))
                title = str(get("Title", ""))[:500]
                location = _location(vulnerability) or summary.target
                package = str(get("PkgName", ""))
                installed_version = str(get("InstalledVersion", ""))
                fixed_version = str(get("FixedVersion", ""))
                packages.add(package_key(package, installed_version))
                # Positional: keyword arguments to a class cost a dict per call, twice the row's own cost.
                finding(FindingRow("vulnerability", severity, rule_id, title, location, None, package,
                                   installed_version, fixed_version))  # fmt: skip
            if other_sections:
                self._misconfigurations_and_secrets(stream, container, summary, sink)
        summary.findings = sum(by_severity.values())  # each vulnerability has exactly one severity
        summary.packages_affected = len(packages)
        return summary

    @staticmethod
    def _misconfigurations_and_secrets(stream, container: str, summary: VulnerabilitiesSummary, sink: RowSink):
        # One event-by-event pass (slower, but only for reports that have these sections): it keeps each
        # entry's Target without building a whole result, whose vulnerability list may be huge.
        target = ""
        prefixes = {f"{container}.Target", f"{container}.Misconfigurations.item", f"{container}.Secrets.item"}
        for prefix, value in walk(stream, prefixes, what=_WHAT):
            if prefix.endswith(".Target"):
                target = str(value or "")
                continue
            entry = _object(value, prefix.rsplit(".", 2)[-2])
            if prefix.endswith("Misconfigurations.item"):
                if str(entry.get("Status", "FAIL")).upper() == "PASS":
                    continue
                summary.misconfigurations += 1
                rule = entry.get("AVDID") or entry.get("ID", "")
                sink.finding(FindingRow(category="misconfiguration", severity=_severity(entry.get("Severity")),
                                        rule_id=str(rule), title=str(entry.get("Title", ""))[:500],
                                        location=target))  # fmt: skip
            else:
                summary.secrets += 1
                line = entry.get("StartLine")
                line = line if isinstance(line, int) and abs(line) < 2**31 else None
                sink.finding(FindingRow(category="secret", severity=_severity(entry.get("Severity")),
                                        rule_id=str(entry.get("RuleID", "")), title=str(entry.get("Title", ""))[:500],
                                        location=target, line=line))  # fmt: skip


def _mentions(stream: BinaryIO, needles: tuple[bytes, ...]) -> bool:
    """Whether any of the byte strings appears at all: skips a slow pass over files without them."""
    stream.seek(0)
    tail = b""
    overlap = max(map(len, needles)) - 1  # a needle may straddle two chunks
    while chunk := stream.read(1024 * 1024):
        seam = tail + chunk[:overlap]
        if any(needle in chunk or needle in seam for needle in needles):
            return True
        tail = chunk[-overlap:]
    return False
