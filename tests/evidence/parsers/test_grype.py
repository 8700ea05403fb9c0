import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import FindingRow, ParseError, VulnerabilitiesSummary, package_key
from evidence.parsers.grype import GrypeJsonParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (findings, by_severity, packages_affected, target), counted with the plain json module: every
# entry of matches; Negligible, Unknown and a missing severity as unknown; distinct artifact name+version
CORPUS = {
    "grype/grype-0.7.0-image-large.json": (
        327, {"critical": 5, "high": 24, "medium": 155, "low": 27, "unknown": 116}, 62,
        "defectdojo/defectdojo-django:1.13.1"),
    "grype/grype-0.94.0-epss.json": (15, {"critical": 1, "high": 10, "medium": 2, "low": 2}, 1, "busybox:1.32.1"),
    "grype/grype-0.96.0-image.json": (
        35, {"critical": 1, "high": 18, "medium": 13, "low": 2, "unknown": 1}, 9,
        "quay.io/cloudservices/xjoin-kafka-connect-strimzi:latest"),
    "grype/grype-presenter-golden-image.json": (2, {"critical": 1, "low": 1}, 2, "user-input"),
}  # fmt: skip
ZERO = {"critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 0}


def test_corpus_expectations_cover_every_grype_file():
    files = corpus_glob("grype")
    if not files:
        pytest.skip(SKIP_REASON)
    assert sorted(CORPUS) == files


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_grype_corpus_counts(relative):
    path = corpus_file(relative)
    findings, severities, packages, target = CORPUS[relative]
    summary, sink = parse_path(GrypeJsonParser(), path)
    assert summary.as_dict() == {
        "kind": "vulnerabilities",
        "findings": findings,
        "by_severity": {**ZERO, **severities},
        "packages_affected": packages,
        "misconfigurations": 0,
        "secrets": 0,
        "target": target,
    }
    assert len(sink.findings) == findings
    assert detected_formats(path) == ["grype-json"]


@pytest.mark.corpus
def test_corpus_old_schema_rows():
    # Grype 0.7 writes no fix and no description; its locations are objects with a path, as today.
    _, sink = parse_path(GrypeJsonParser(), corpus_file("grype/grype-0.7.0-image-large.json"))
    assert sink.findings[0] == FindingRow(
        category="vulnerability", severity="unknown", rule_id="CVE-2019-18276", location="/var/lib/dpkg/status",
        package="bash", installed_version="5.0-4")  # fmt: skip


@pytest.mark.corpus
def test_corpus_fix_versions_are_joined():
    _, sink = parse_path(GrypeJsonParser(), corpus_file("grype/grype-presenter-golden-image.json"))
    assert [(row.rule_id, row.fixed_version, row.location) for row in sink.findings] == [
        ("CVE-1999-0001", "1.2.1, 2.1.3, 3.4.0", "/foo/bar/somefile-1.txt"),
        ("CVE-1999-0002", "", "/foo/bar/somefile-2.txt"),
    ]


def test_empty_matches():
    path = DATA / "grype" / "empty.json"
    summary, sink = parse_path(GrypeJsonParser(), path)
    assert (summary.findings, summary.packages_affected, summary.target) == (0, 0, "./services/payments")
    assert summary.by_severity == ZERO and sink.findings == []
    assert detected_formats(path) == ["grype-json"]


def test_one_match():
    summary, sink = parse_path(GrypeJsonParser(), DATA / "grype" / "one.json")
    assert summary.as_dict() == {
        "kind": "vulnerabilities",
        "findings": 1,
        "by_severity": {**ZERO, "critical": 1},
        "packages_affected": 1,
        "misconfigurations": 0,
        "secrets": 0,
        "target": "ghcr.io/acme/payments:1.4.2",
    }
    [row] = sink.findings
    assert (row.category, row.rule_id, row.package, row.installed_version, row.fixed_version, row.location) == (
        "vulnerability", "CVE-2024-5535", "openssl", "3.0.11-1~deb12u2", "3.0.14-1~deb12u1",
        "/usr/share/doc/openssl/copyright")  # fmt: skip
    assert row.title.startswith("Calling the OpenSSL API function SSL_select_next_proto")


def test_many_matches_every_severity_rule():
    summary, sink = parse_path(GrypeJsonParser(), DATA / "grype" / "many.json")
    # 8 matches: the same GHSA in two requirements files counts twice; Negligible, Unknown and a missing
    # severity are unknown; ignoredMatches are not findings; urllib3 at two versions is two packages.
    assert summary.findings == 8
    assert summary.by_severity == {"critical": 1, "high": 1, "medium": 2, "low": 1, "unknown": 3}
    assert summary.packages_affected == 6
    assert summary.target == "/work/monorepo"
    assert [row.location for row in sink.findings[:2]] == ["/app/requirements.txt", "/worker/requirements.txt"]
    assert sink.findings[5].location == ""  # no locations at all
    assert sink.findings[6].fixed_version == "1.26.19, 2.2.2"


def test_source_after_matches_and_other_source_types():
    # grype 0.96 sorts its keys, so source comes last; purl, cpe and sbom sources name a string target.
    doc = {"descriptor": {"name": "grype"}, "matches": [], "source": {"type": "purl", "target": "pkg:npm/a@1"}}
    summary, _ = parse_bytes(GrypeJsonParser(), json.dumps(doc).encode())
    assert summary.target == "pkg:npm/a@1"


HEAD = b'{"source": {"type": "image", "target": {"userInput": "x"}}, '


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (HEAD + b'"matches": [{"vulnerability": {"id": "CVE-1", "sev', "truncated or malformed JSON for Grype JSON"),
        (b"[1, 2, 3]", "not a Grype report"),
        (b'{"matches": []}', "no source or descriptor; this is not a Grype report"),
        (HEAD + b'"matches": ["CVE-1"]}', r"expected a JSON object at matches\[0\], found str"),
        (HEAD + b'"matches": [{"artifact": {}}]}', r"expected a JSON object at matches\[0\].vulnerability"),
        (HEAD + b'"matches": [{"vulnerability": {}, "artifact": []}]}', r"matches\[0\].artifact, found list"),
        (
            HEAD + b'"matches": [{"vulnerability": {"fix": {"versions": "1.2"}}, "artifact": {}}]}',
            r"expected a JSON array at matches\[0\].vulnerability.fix.versions, found str",
        ),
        (
            HEAD + b'"matches": [{"vulnerability": {}, "artifact": {"locations": {"path": "/a"}}}]}',
            r"expected a JSON array at matches\[0\].artifact.locations",
        ),
        (b"[" * 300 + b"]" * 300, "nested more than 256 levels"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(GrypeJsonParser(), data)


@pytest.mark.parametrize(
    "head",
    [
        b'{"matches": [], "ignoredMatches": []}',  # no grype key, no match to recognise
        b'{"source": {"type": "image"}, "descriptor": {"name": "grype"}}',  # no matches key
        b'[{"matches": [], "source": {}}]',
    ],
)
def test_not_detected(tmp_path, head):
    path = tmp_path / "report.json"
    path.write_bytes(head)
    assert "grype-json" not in detected_formats(path)


_OPENING = HEAD + b'"matches": [{"vulnerability": {"id": "CVE-2024-1", "severity": "'


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _OPENING + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _ = parse_bytes(GrypeJsonParser(), data)
    except ParseError:
        return
    assert isinstance(summary, VulnerabilitiesSummary)


def test_distinct_package_keys_never_collide():
    pairs = [("a", "bc"), ("ab", "c"), ("a\x00b", "c"), ("a", "\x00bc"), ("", "abc"), ("abc", "")]
    assert len({package_key(name, version) for name, version in pairs}) == len(pairs)
