import io
import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError, SastSummary
from evidence.parsers.head import read_head
from evidence.parsers.registry import detect
from evidence.parsers.sarif import SarifParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (findings, by_severity, rules, tool), counted from the files with a separate json-module script
CORPUS = {
    "sarif/codeql-2.5.4.sarif": (72, {"high": 11, "medium": 4, "low": 57}, 13, "CodeQL"),
    "sarif/dependency-check-6.1.2.sarif": (13, {"high": 13}, 9, "dependency-check"),
    # 54 results, one of kind "pass" (not a finding); one result without level takes its rule's default
    "sarif/flawfinder-2.0.19.sarif": (53, {"high": 2, "medium": 1, "low": 50}, 9, "Flawfinder"),
    # results name no rule at all: no rule ids, level defaults to warning
    "sarif/gitleaks-7.4.0.sarif": (8, {"medium": 8}, 0, "Gitleaks"),
    "sarif/grype-0.34.7.sarif": (22, {"critical": 1, "high": 11, "medium": 4, "low": 6}, 22, "Grype"),
    "sarif/lgtm-com-export-2runs.sarif": (510, {"high": 31, "medium": 122, "low": 357}, 27, "LGTM.com"),
    "sarif/spotbugs-4.4.0.sarif": (56, {"low": 56}, 9, "SpotBugs"),
    "semgrep/semgrep-0.17.0-owasp-benchmark-large.sarif": (1768, {"medium": 1768}, 7, "semgrep"),
    # results come before the tool; rule security-severity is the word "MEDIUM", so rule levels decide
    "semgrep/semgrep-oss-1.69.0.sarif": (77, {"high": 35, "medium": 42}, 17, "Semgrep OSS"),
    "trivy/trivy-image-alpine-310.sarif": (4, {"medium": 4}, 2, "Trivy"),
}  # fmt: skip

NO_SEVERITIES = {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0}


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


@pytest.mark.corpus
def test_every_corpus_sarif_file_is_counted():
    found = [path for folder in ("sarif", "semgrep", "trivy") for path in corpus_glob(folder, "*.sarif")]
    if not found:
        pytest.skip(SKIP_REASON)
    assert sorted(found) == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_sarif_corpus_counts(relative):
    path = corpus_file(relative)
    findings, severities, rules, tool = CORPUS[relative]
    summary, sink = parse_path(SarifParser(), path)
    assert summary.findings == findings
    assert summary.by_severity == {**NO_SEVERITIES, **severities}
    assert summary.rules == rules
    assert summary.tool == tool
    assert len(sink.findings) == findings
    assert {row.category for row in sink.findings} == {"sast"}
    assert detected_formats(path) == ["sarif"]


def test_one_result():
    summary, sink = parse_path(SarifParser(), DATA / "sarif" / "one-result.sarif")
    assert summary.as_dict() == {
        "kind": "sast",
        "findings": 1,
        "by_severity": {**NO_SEVERITIES, "high": 1},
        "rules": 1,
        "tool": "CodeQL",
    }
    row = sink.findings[0]
    assert (row.category, row.severity, row.rule_id, row.location, row.line) == (
        "sast", "high", "py/sql-injection", "app/views.py", 42)  # fmt: skip
    assert row.title == "This SQL query depends on a user-provided value."


def test_empty_results():
    summary, sink = parse_path(SarifParser(), DATA / "sarif" / "empty-results.sarif")
    assert (summary.findings, summary.rules, summary.tool) == (0, 0, "gosec")
    assert sink.findings == []


def test_every_severity_path():
    summary, sink = parse_path(SarifParser(), DATA / "sarif" / "every-severity.sarif")
    # pass, notApplicable and two accepted suppressions are left out of the 23 results
    assert summary.findings == 19 == len(sink.findings)
    assert summary.by_severity == {"critical": 3, "high": 6, "medium": 4, "low": 3, "info": 3}
    assert summary.rules == 6
    by_title = {row.title: row.severity for row in sink.findings}
    assert by_title == {
        "result score 9.0": "critical",
        "result score 7.5": "high",
        "result score 4.0": "medium",
        "result score 0.1": "low",
        "result score 0": "info",
        "rule score 9.1 by id beats the result level": "critical",
        "rule score 9.1 by index, no ruleId": "critical",
        "extension rule score 7.0": "high",
        "level error": "high",
        "level warning": "medium",
        "level note": "low",
        "level none": "info",
        "level from the rule default: error": "high",
        "unparseable scores ignored: rule default note": "low",
        "no level anywhere: warning": "medium",
        "rule not in the catalogue: warning": "medium",
        "kind review without level: none": "info",
        "rejected suppression: counted": "high",
        "suppression under review: counted": "high",
    }
    by_index = next(row for row in sink.findings if row.title == "rule score 9.1 by index, no ruleId")
    assert by_index.rule_id == "R0-scored"  # the rule's id stands in for a missing ruleId


def test_two_runs_keep_their_own_rules():
    summary, sink = parse_path(SarifParser(), DATA / "sarif" / "two-runs.sarif")
    assert summary.findings == 3
    assert summary.by_severity == {**NO_SEVERITIES, "high": 1, "low": 2}
    assert summary.rules == 2
    assert summary.tool == "ESLint, bandit"
    assert [(r.rule_id, r.severity, r.location, r.line) for r in sink.findings] == [
        ("no-eval", "high", "web/app.js", 3),
        ("B101", "low", "api/models.py", 7),
        ("B101", "low", "api/views.py", 19),
    ]


def test_results_before_their_tool_wait_for_its_rules():
    summary, sink = parse_path(SarifParser(), DATA / "sarif" / "results-before-tool.sarif")
    assert summary.findings == 2 and summary.rules == 1
    # run 1's rule scores 7.4; run 2's rule of the same id says note
    assert [row.severity for row in sink.findings] == ["high", "low"]
    assert summary.tool == "Semgrep OSS"


def test_title_is_capped_and_first_physical_location_wins():
    result = {
        "ruleId": "R",
        "level": "warning",
        "message": {"text": "x" * 600},
        "locations": [
            {"logicalLocations": [{"fullyQualifiedName": "pkg.mod"}]},
            {"physicalLocation": {"artifactLocation": {"uri": "src/a.c"}, "region": {"startLine": 5}}},
            {"physicalLocation": {"artifactLocation": {"uri": "src/b.c"}, "region": {"startLine": 9}}},
        ],
    }
    doc = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [result]}]}
    _summary, sink = parse_bytes(SarifParser(), json.dumps(doc).encode())
    row = sink.findings[0]
    assert len(row.title) == 500
    assert (row.location, row.line) == ("src/a.c", 5)


def _log(**run: object) -> bytes:
    """A SARIF 2.1.0 log of one run whose tool is {"driver": {"name": "x"}} unless ``run`` says otherwise."""
    return json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, **run}]}).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (_log(results=[{"ruleId": "a", "message": {"text": "cut"}}])[:-20], "truncated or malformed"),
        (b'{"version": "1.0.0", "runs": []}',
         r"SARIF version '1\.0\.0' is not supported: SARIF 2\.1\.0 expected"),
        (b'{"version": 2.1, "runs": []}', r"SARIF version 2\.1 is not supported"),
        (b'{"runs": [{"tool": {"driver": {"name": "x"}}, "results": []}]}', 'no "version" property'),
        (b'{"version": "2.1.0", "runs": []}', "the log has no runs"),
        (b'{"version": "2.1.0", "runs": {"tool": {"driver": {"name": "x"}}}}', "the log has no runs"),
        (_log(tool="x"), r"expected a JSON object at runs\[\]\.tool"),
        (_log(tool={"driver": {"name": "x", "rules": {"id": "R"}}}),
         r"expected a JSON array at runs\[\]\.tool\.driver\.rules"),
        (_log(results=["oops"]), r"expected a JSON object at runs\[\]\.results\[\]"),
        (_log(results=[{"locations": "a.py"}]), r"expected a JSON array at runs\[\]\.results\[\]\.locations"),
        (_log(results=[{"suppressions": {}}]),
         r"expected a JSON array at runs\[\]\.results\[\]\.suppressions"),
    ],
)  # fmt: skip
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(SarifParser(), data)


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (b'{"version": "2.1.0", "runs": []}', ["sarif"]),
        (b'{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []}', ["sarif"]),
        # key-sorted writers put "version" last: beyond a 64 KiB head only the text can tell
        (b'{"runs": [{"tool": {"driver": {"informationUri": "https://x/sarif-docs", "name": "t"}}}'
         + b" " * 70_000 + b'], "version": "2.1.0"}', ["sarif"]),
        (b'{"runs": [], "name": "nightly"}', []),
        (b'{"results": [], "version": "1.0", "note": "exported from SARIF"}', ["semgrep-json"]),
        (b'["runs", "version"]', []),
    ],
)  # fmt: skip
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


_NUMBERS = st.integers() | st.floats(allow_nan=False, allow_infinity=False)  # what JSON can spell
_SCALARS = st.none() | st.booleans() | _NUMBERS | st.text(max_size=8)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_FIELDS = (
    "ruleId",
    "ruleIndex",
    "rule",
    "level",
    "kind",
    "message",
    "locations",
    "suppressions",
    "properties",
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(SarifParser(), data)
    except ParseError:
        return
    assert isinstance(summary, SastSummary)


@settings(max_examples=200, deadline=None)
@given(
    rule=st.dictionaries(st.sampled_from(("id", "defaultConfiguration", "properties")), _JSON, max_size=3),
    result=st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=5),
    extensions=_JSON,
)
@example(rule={}, result={"properties": {"security-severity": 10**400}}, extensions=None)
@example(rule={}, result={"kind": [], "rule": {"toolComponent": {"index": -1}, "index": 0}}, extensions=[])
def test_arbitrary_sarif_shapes_give_a_summary_or_a_parse_error(rule, result, extensions):
    run = {"tool": {"driver": {"name": "t", "rules": [rule]}, "extensions": extensions}, "results": [result]}
    try:
        summary, sink = parse_bytes(SarifParser(), json.dumps({"version": "2.1.0", "runs": [run]}).encode())
    except ParseError:
        return
    assert summary.findings == len(sink.findings) == sum(summary.by_severity.values())
