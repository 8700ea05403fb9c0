import io
import json
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError, VulnerabilitiesSummary
from evidence.parsers.trivy_legacy import TrivyLegacyParser
from tests.evidence.parsers.helpers import DATA, CountingSink, detected_formats, parse_bytes, parse_path

# The corpus has no pre-2021 Trivy report: these samples follow the list format of Trivy 0.19 and earlier
# (aquasecurity/trivy#782 shows it next to the SchemaVersion 2 object that replaced it).
ZERO = {"critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 0}


@pytest.mark.parametrize("name", ["no-vulnerabilities.json", "one.json", "many.json"])
def test_samples_are_detected_as_legacy_trivy_only(name):
    assert detected_formats(DATA / "trivy_legacy" / name) == ["trivy-legacy-json"]


def test_result_without_vulnerabilities():
    summary, sink = parse_path(TrivyLegacyParser(), DATA / "trivy_legacy" / "no-vulnerabilities.json")
    assert summary.as_dict() == {
        "kind": "vulnerabilities",
        "findings": 0,
        "by_severity": ZERO,
        "packages_affected": 0,
        "misconfigurations": 0,
        "secrets": 0,
        "target": "registry.acme.internal/base/alpine:3.12 (alpine 3.12.0)",
    }
    assert sink.findings == []


def test_one_vulnerability():
    summary, sink = parse_path(TrivyLegacyParser(), DATA / "trivy_legacy" / "one.json")
    assert (summary.findings, summary.by_severity, summary.packages_affected) == (1, {**ZERO, "high": 1}, 1)
    [row] = sink.findings
    assert (row.category, row.rule_id, row.package, row.installed_version, row.fixed_version, row.location) == (
        "vulnerability", "CVE-2020-1967", "openssl", "1.1.1d-0+deb10u2", "1.1.1d-0+deb10u3",
        "ghcr.io/acme/payments:1.4.2 (debian 10.4)")  # fmt: skip
    assert row.title == "openssl: Segmentation fault in SSL_check_chain causes denial of service"


def test_many_results_count_like_current_trivy():
    summary, sink = parse_path(TrivyLegacyParser(), DATA / "trivy_legacy" / "many.json")
    # 9 vulnerabilities over three results (log4j at two jar paths counts twice; UNKNOWN and a missing
    # severity are unknown), 2 failed checks (the PASS is not counted), a result with no sections at all.
    assert summary.as_dict() == {
        "kind": "vulnerabilities",
        "findings": 9,
        "by_severity": {"critical": 2, "high": 1, "medium": 3, "low": 1, "unknown": 2},
        "packages_affected": 6,
        "misconfigurations": 2,
        "secrets": 0,
        "target": "acme/api:2.0.1 (alpine 3.11.6)",
    }
    log4j = [row for row in sink.findings if row.package == "org.apache.logging.log4j:log4j-core"]
    assert [row.location for row in log4j] == [
        "app/app.jar/BOOT-INF/lib/log4j-core-2.14.1.jar",
        "app/app.jar/BOOT-INF/lib/shaded/log4j-core-2.14.1.jar",
        "app/app.jar",  # no PkgPath: the result's Target
    ]
    misconfigurations = [row for row in sink.findings if row.category == "misconfiguration"]
    assert [(row.rule_id, row.severity, row.location) for row in misconfigurations] == [
        ("KSV012", "medium", "deploy/deployment.yaml"),
        ("KSV014", "low", "deploy/deployment.yaml"),
    ]


def test_current_trivy_is_not_claimed():
    path = DATA / "trivy" / "one-vuln.json"
    assert detected_formats(path) == ["trivy-json"]
    with pytest.raises(ParseError, match="no result with a Target"):
        parse_path(TrivyLegacyParser(), path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b'[{"Target": "a", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "Sev', "truncated or malformed"),
        (b"[]", "no result with a Target"),
        (b"null", "no result with a Target"),
        (b'{"SchemaVersion": 2, "Results": [{"Target": "a"}]}', "SchemaVersion 2"),
        (b'[{"RuleID": "aws-access-token", "File": "a"}]', "this is not a pre-2021 Trivy report"),
        (b'[{"Target": "a", "Vulnerabilities": ["CVE-1"]}]', r"expected a JSON object at Vulnerabilities\[\]"),
        (b'[{"Target": "a", "Misconfigurations": [7]}]', r"expected a JSON object at Misconfigurations\[\]"),
        (b'[{"Target": "a"}] x', "not valid JSON|truncated or malformed"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(TrivyLegacyParser(), data)


def test_large_result_is_streamed_one_vulnerability_at_a_time():
    vulnerabilities = [
        {"VulnerabilityID": f"CVE-2020-{i}", "PkgName": f"pkg{i % 50}", "InstalledVersion": "1", "Severity": "LOW",
         "Title": "t" * 100}
        for i in range(20_000)
    ]  # fmt: skip
    data = json.dumps([{"Target": "big", "Vulnerabilities": vulnerabilities}]).encode()  # about 4.3 MB
    tracemalloc.start()
    try:
        sink = CountingSink()
        summary = TrivyLegacyParser().parse(io.BytesIO(data), sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (summary.findings, summary.by_severity["low"], summary.packages_affected) == (20_000, 20_000, 50)
    assert sink.count == 20_000
    # Building the whole result (its 20,000 vulnerability dicts) would take several times this.
    assert peak < 1024 * 1024


_OPENING = b'[{"Target": "alpine:3.10 (alpine 3.10.2)", "Type": "alpine", "Vulnerabilities": [{"Severity": "'


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _OPENING + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _ = parse_bytes(TrivyLegacyParser(), data)
    except ParseError:
        return
    assert isinstance(summary, VulnerabilitiesSummary)
