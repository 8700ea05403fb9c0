"""Trivy JSON (``trivy ... -f json``, SchemaVersion 2) and Trivy Kubernetes reports.

Every reported vulnerability entry is one finding, so the same CVE at two paths counts twice.
Misconfigurations (failed checks only) and secrets are counted in their own keys, never as vulnerabilities.
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
)
from evidence.parsers.jsonstream import walk

_WHAT = "Trivy JSON"
# Results live at the top (image, fs, repo, sbom targets) or under each resource of a k8s report.
_RESULT_CONTAINERS = ("Results.item", "Resources.item.Results.item", "Vulnerabilities.item.Results.item",
                      "Misconfigurations.item.Results.item")  # fmt: skip
_SECTIONS = ("Vulnerabilities", "Misconfigurations", "Secrets")


def _severity(value: object) -> str:
    severity = str(value or "unknown").lower()
    return severity if severity in SEVERITIES_VULN else "unknown"


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
        summary = VulnerabilitiesSummary()
        packages: set[tuple[str, str]] = set()
        prefixes = {"SchemaVersion", "ArtifactName", "ClusterName"}
        for container in _RESULT_CONTAINERS:
            prefixes.add(f"{container}.Target")
            prefixes.update(f"{container}.{section}.item" for section in _SECTIONS)
        target = ""
        recognised = False
        for prefix, value in walk(stream, prefixes, what=_WHAT):
            if prefix == "SchemaVersion":
                recognised = True
                if value != 2:
                    raise ParseError(
                        f"Trivy JSON SchemaVersion {value} is not supported; re-run a current Trivy "
                        "(0.20 or later writes SchemaVersion 2)"
                    )
            elif prefix in ("ArtifactName", "ClusterName"):
                recognised = True
                summary.target = str(value or "")
            elif prefix.endswith(".Target"):
                target = str(value or "")
            elif not isinstance(value, dict):
                raise ParseError(f"{_WHAT}: expected an object in {prefix.rsplit('.', 2)[-2]}")
            elif prefix.endswith("Vulnerabilities.item"):
                severity = _severity(value.get("Severity"))
                summary.findings += 1
                summary.by_severity[severity] += 1
                package, version = str(value.get("PkgName", "")), str(value.get("InstalledVersion", ""))
                packages.add((package, version))
                sink.finding(
                    FindingRow(
                        category="vulnerability",
                        severity=severity,
                        rule_id=str(value.get("VulnerabilityID", "")),
                        title=str(value.get("Title", ""))[:500],
                        location=str(value.get("PkgPath") or target),
                        package=package,
                        installed_version=version,
                        fixed_version=str(value.get("FixedVersion", "")),
                    )
                )
            elif prefix.endswith("Misconfigurations.item"):
                if str(value.get("Status", "FAIL")).upper() == "PASS":
                    continue
                summary.misconfigurations += 1
                sink.finding(
                    FindingRow(
                        category="misconfiguration",
                        severity=_severity(value.get("Severity")),
                        rule_id=str(value.get("AVDID") or value.get("ID", "")),
                        title=str(value.get("Title", ""))[:500],
                        location=target,
                    )
                )
            elif prefix.endswith("Secrets.item"):
                summary.secrets += 1
                line = value.get("StartLine")
                sink.finding(
                    FindingRow(
                        category="secret",
                        severity=_severity(value.get("Severity")),
                        rule_id=str(value.get("RuleID", "")),
                        title=str(value.get("Title", ""))[:500],
                        location=target,
                        line=line if isinstance(line, int) else None,
                    )
                )
        if not recognised:
            raise ParseError(f"{_WHAT}: no SchemaVersion, ArtifactName or ClusterName; this is not a Trivy report")
        summary.packages_affected = len(packages)
        return summary
