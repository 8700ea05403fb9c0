import json

import pytest

from evidence.parsers.base import ParseError
from evidence.parsers.trivy import TrivyJsonParser
from tests.corpus import corpus_file
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (findings, by_severity, packages_affected, misconfigurations, secrets), counted from the files
CORPUS = {
    "trivy/trivy-0.69.1-fs-catalina.json": (3, {"medium": 1, "low": 2}, 1, 0, 0),
    "trivy/trivy-0.69.3-repo-juiceshop-large-listallpkgs.json": (
        79, {"critical": 9, "high": 41, "medium": 23, "low": 6}, 32, 0, 0),
    "trivy/trivy-config-helm-misconf.json": (0, {}, 0, 18, 0),
    "trivy/trivy-fs-python-project.json": (2, {"critical": 1, "high": 1}, 2, 0, 0),
    "trivy/trivy-fs-vulns-misconf-secrets.json": (2, {"high": 1, "medium": 1}, 1, 1, 2),
    "trivy/trivy-image-alpine-310.json": (4, {"medium": 4}, 2, 0, 0),
    "trivy/trivy-image-ecr-realworld.json": (29, {"high": 2, "medium": 23, "low": 4}, 8, 0, 0),
    "trivy/trivy-k8s-cluster-report.json": (10, {"medium": 2, "low": 8}, 3, 10, 0),
    "trivy/trivy-k8s-resources-large.json": (0, {}, 0, 37, 0),
    "trivy/trivy-repo-npm.json": (1, {"medium": 1}, 1, 0, 0),
}  # fmt: skip


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_trivy_corpus_counts(relative):
    path = corpus_file(relative)
    findings, severities, packages, misconfigurations, secrets = CORPUS[relative]
    summary, sink = parse_path(TrivyJsonParser(), path)
    assert summary.findings == findings
    assert summary.by_severity == {"critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 0, **severities}
    assert summary.packages_affected == packages
    assert summary.misconfigurations == misconfigurations
    assert summary.secrets == secrets
    assert len(sink.findings) == findings + misconfigurations + secrets
    assert detected_formats(path) == ["trivy-json"]


def test_one_vulnerability():
    summary, sink = parse_path(TrivyJsonParser(), DATA / "trivy" / "one-vuln.json")
    assert summary.as_dict() == {
        "kind": "vulnerabilities",
        "findings": 1,
        "by_severity": {"critical": 0, "high": 1, "medium": 0, "low": 0, "unknown": 0},
        "packages_affected": 1,
        "misconfigurations": 0,
        "secrets": 0,
        "target": "ghcr.io/acme/payments:1.4.2",
    }
    row = sink.findings[0]
    assert (row.rule_id, row.package, row.installed_version, row.fixed_version) == (
        "CVE-2024-0001", "openssl", "3.0.11-1", "3.0.13-1")  # fmt: skip
    assert row.location == "ghcr.io/acme/payments:1.4.2"  # no package path or layer: the scanned artifact


def test_empty_results():
    summary, sink = parse_path(TrivyJsonParser(), DATA / "trivy" / "empty-results.json")
    assert summary.findings == 0 and sink.findings == []


def test_same_cve_at_two_paths_counts_twice():
    def vuln(path):
        return {"VulnerabilityID": "CVE-1", "PkgName": "lodash", "InstalledVersion": "4.17.20",
                "Severity": "CRITICAL", "PkgPath": path}  # fmt: skip

    results = [{"Target": "x", "Vulnerabilities": [vuln("a/package.json"), vuln("b/package.json")]}]
    doc = json.dumps({"SchemaVersion": 2, "ArtifactName": ".", "Results": results})
    summary, sink = parse_bytes(TrivyJsonParser(), doc.encode())
    assert summary.findings == 2 and summary.by_severity["critical"] == 2
    assert summary.packages_affected == 1
    assert [r.location for r in sink.findings] == ["a/package.json", "b/package.json"]


@pytest.mark.parametrize("shift", [-9, -8, -4, -1, 0])
def test_secrets_are_found_when_their_key_straddles_a_read(shift):
    # The parser looks for the section names in 1 MiB reads before its slow pass over them.
    head = b'{"SchemaVersion": 2, "ArtifactName": ".", "Results": [{"Target": "app/.env",'
    padding = b" " * (1024 * 1024 - len(head) + shift)
    doc = head + padding + b'"Secrets": [{"RuleID": "aws-key", "Severity": "CRITICAL", "StartLine": 3}]}]}'
    summary, sink = parse_bytes(TrivyJsonParser(), doc)
    assert summary.secrets == 1
    assert (sink.findings[0].category, sink.findings[0].location, sink.findings[0].line) == ("secret", "app/.env", 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b'{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [{"Vuln', "truncated or malformed"),
        (b'{"SchemaVersion": 1, "Results": []}', "SchemaVersion 1 is not supported"),
        (b'{"Results": [{"Vulnerabilities": ["oops"]}], "SchemaVersion": 2}', "expected an object"),
        (b'{"hello": "world"}', "not a Trivy report"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(TrivyJsonParser(), data)
