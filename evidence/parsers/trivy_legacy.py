"""Trivy JSON as written before SchemaVersion 2: Trivy before 0.20 (2021), and 0.19 without
``TRIVY_NEW_JSON_SCHEMA=true``.

The document is a top-level array of results, ``[{"Target": ..., "Type": ..., "Vulnerabilities":
[...]}]``, with no SchemaVersion and no ArtifactName. These reports are still around (pinned CI
images, archived evidence), and reading them costs little, so they are parsed rather than refused,
with the counting rules of the current Trivy parser (evidence/parsers/trivy.py):

* every entry of a result's ``Vulnerabilities`` is one finding (the same CVE at two paths counts
  twice); ``Severity`` CRITICAL/HIGH/MEDIUM/LOW in lower case, anything else -> ``unknown``;
* ``packages_affected`` counts distinct (PkgName, InstalledVersion) pairs;
* ``Misconfigurations`` (``trivy config``, 0.19) count failed checks only, never as vulnerabilities;
  secret scanning arrived after SchemaVersion 2, so ``secrets`` stays 0;
* ``target`` is the first result's Target, the nearest thing to a scan target these reports carry
  (for an image, "alpine:3.10 (alpine 3.10.2)").

Vulnerabilities are streamed one at a time, never a whole result.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from evidence.parsers.base import (
    SEVERITIES_VULN,
    FindingRow,
    Head,
    ParseError,
    Parser,
    RowSink,
    VulnerabilitiesSummary,
)
from evidence.parsers.jsonstream import expect_dict, walk

_WHAT = "Trivy JSON (pre-2021 list format)"
_TARGET = "item.Target"
_VULNERABILITY = "item.Vulnerabilities.item"
_MISCONFIGURATION = "item.Misconfigurations.item"


def _severity(value: Any) -> str:
    severity = str(value or "unknown").lower()
    return severity if severity in SEVERITIES_VULN else "unknown"


class TrivyLegacyParser(Parser):
    format = "trivy-legacy-json"
    kind = "vulnerabilities"
    label = "Trivy JSON (pre-2021 list format)"
    producers = "trivy image / fs / repo / config -f json, before 0.20 (no SchemaVersion)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return head.json_root == "array" and "Target" in head.json_keys

    def parse(self, stream: BinaryIO, sink: RowSink) -> VulnerabilitiesSummary:
        summary = VulnerabilitiesSummary()
        packages: set[tuple[str, str]] = set()
        results = 0
        target = ""
        for prefix, value in walk(stream, (_TARGET, _VULNERABILITY, _MISCONFIGURATION), what=_WHAT):
            if prefix == _TARGET:
                # Trivy writes Target first in each result, so it names the entries that follow.
                target = str(value or "")
                if not results:
                    summary.target = target
                results += 1
            elif prefix == _VULNERABILITY:
                vulnerability = expect_dict(value, what=_WHAT, where="Vulnerabilities[]")
                severity = _severity(vulnerability.get("Severity"))
                package = str(vulnerability.get("PkgName") or "")
                version = str(vulnerability.get("InstalledVersion") or "")
                summary.findings += 1
                summary.by_severity[severity] += 1
                packages.add((package, version))
                sink.finding(
                    FindingRow(
                        category="vulnerability",
                        severity=severity,
                        rule_id=str(vulnerability.get("VulnerabilityID") or ""),
                        title=str(vulnerability.get("Title") or "")[:500],
                        location=str(vulnerability.get("PkgPath") or target),
                        package=package,
                        installed_version=version,
                        fixed_version=str(vulnerability.get("FixedVersion") or ""),
                    )
                )
            else:
                check = expect_dict(value, what=_WHAT, where="Misconfigurations[]")
                if str(check.get("Status", "FAIL")).upper() == "PASS":
                    continue
                summary.misconfigurations += 1
                sink.finding(
                    FindingRow(
                        category="misconfiguration",
                        severity=_severity(check.get("Severity")),
                        rule_id=str(check.get("AVDID") or check.get("ID") or ""),
                        title=str(check.get("Title") or "")[:500],
                        location=target,
                    )
                )
        if not results:
            # An object, an empty array or an array of something else: without a Target nothing here
            # says "Trivy", and zero findings from an unrecognised file must not pass a gate.
            raise ParseError(
                f"{_WHAT}: no result with a Target; this is not a pre-2021 Trivy report "
                "(a current Trivy writes an object with SchemaVersion 2)"
            )
        summary.packages_affected = len(packages)
        return summary
