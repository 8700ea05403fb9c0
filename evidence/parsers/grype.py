"""Grype JSON reports (``grype <target> -o json``), from grype 0.7 to current.

Counting rules:

* every entry of ``matches`` is one finding, so the same CVE matched at two locations counts twice;
  ``ignoredMatches`` (matches an ignore rule or ``--only-fixed`` suppressed) are not findings;
* severity is ``vulnerability.severity``: Critical, High, Medium and Low in lower case; Negligible,
  Unknown, an unlisted value or none at all -> ``unknown``;
* ``packages_affected`` counts distinct (``artifact.name``, ``artifact.version``) pairs;
* ``target`` is ``source.target``: the image reference the user typed (``userInput``) for image
  scans, the scanned path (or purl/cpe) for the other source types;
* grype reports neither misconfigurations nor secrets, so those keys stay 0.

Each match becomes one finding row: the vulnerability id as rule, the first ``artifact.locations``
path as location, every ``vulnerability.fix.versions`` entry as fixed version. Grype 0.7 writes no
``fix`` and no ``description``; those fields stay empty. Matches are streamed one at a time.
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
    package_key,
)
from evidence.parsers.jsonstream import expect_dict, expect_list, walk

_WHAT = "Grype JSON"
# "source.target" is a string, or for images an object whose userInput is wanted; walk builds either.
_PREFIXES = ("matches.item", "source.type", "source.target", "descriptor.name")
# Top-level keys grype writes next to "matches"; grype 0.7 writes them after a matches array that can
# be longer than the head, so the first match's own "matchDetails" key is recognised too.
_GRYPE_KEYS = frozenset({"descriptor", "source", "distro"})


def _severity(value: Any) -> str:
    severity = str(value or "unknown").lower()
    return severity if severity in SEVERITIES_VULN else "unknown"


def _target(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("userInput") or "")
    return "" if value is None else str(value)


def _first_path(locations: list[Any]) -> str:
    for location in locations:
        if isinstance(location, dict) and location.get("path"):
            return str(location["path"])
    return ""


class GrypeJsonParser(Parser):
    format = "grype-json"
    kind = "vulnerabilities"
    label = "Grype JSON"
    producers = "grype -o json (0.7 to current)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = head.json_keys
        if head.json_root != "object" or "matches" not in keys:
            return False
        return bool(keys & _GRYPE_KEYS) or '"matchDetails"' in head.text

    def parse(self, stream: BinaryIO, sink: RowSink) -> VulnerabilitiesSummary:
        summary = VulnerabilitiesSummary()
        packages: set[str] = set()
        recognised = False
        for prefix, value in walk(stream, _PREFIXES, what=_WHAT):
            if prefix != "matches.item":
                recognised = True
                if prefix == "source.target":
                    summary.target = _target(value)
                continue
            where = f"matches[{summary.findings}]"
            match = expect_dict(value, what=_WHAT, where=where)
            vulnerability = expect_dict(match.get("vulnerability"), what=_WHAT, where=f"{where}.vulnerability")
            artifact = expect_dict(match.get("artifact"), what=_WHAT, where=f"{where}.artifact")
            fix = expect_dict(vulnerability.get("fix") or {}, what=_WHAT, where=f"{where}.vulnerability.fix")
            fixed = expect_list(fix.get("versions"), what=_WHAT, where=f"{where}.vulnerability.fix.versions")
            locations = expect_list(artifact.get("locations"), what=_WHAT, where=f"{where}.artifact.locations")
            severity = _severity(vulnerability.get("severity"))
            package, version = str(artifact.get("name") or ""), str(artifact.get("version") or "")
            summary.findings += 1
            summary.by_severity[severity] += 1
            packages.add(package_key(package, version))
            sink.finding(
                FindingRow(
                    category="vulnerability",
                    severity=severity,
                    rule_id=str(vulnerability.get("id") or ""),
                    title=str(vulnerability.get("description") or "")[:500],
                    location=_first_path(locations),
                    package=package,
                    installed_version=version,
                    fixed_version=", ".join(str(item) for item in fixed),
                )
            )
        if not recognised:
            raise ParseError(f"{_WHAT}: no source or descriptor; this is not a Grype report")
        summary.packages_affected = len(packages)
        return summary
