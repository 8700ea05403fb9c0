import pytest

from checklists.gates import gate_evaluate, gate_fields
from evidence.selectors import merge_summaries


def test_fields_and_unknowns_ignore_strings_and_methods():
    fields = gate_fields('attestation.subjects.size() > 0 && attestation.predicate_type == "sbom.components"')
    assert fields.kinds == {"attestation"} and fields.unknown == ()
    assert fields.paths == ("attestation.subjects", "attestation.predicate_type")


@pytest.mark.parametrize(
    ("expression", "summaries", "state", "figure"),
    [
        ("coverage.line_pct >= 80", {"coverage": {"line_pct": 85.5}}, "pass", "coverage.line_pct = 85.5"),
        ("coverage.line_pct >= 80", {"coverage": {"line_pct": 79.99}}, "fail", "coverage.line_pct = 79.99"),
        ("coverage.line_pct >= 80", {}, "pending", "waiting for coverage evidence"),
        ("coverage.branch_pct >= 80", {"coverage": {"branch_pct": None}}, "fail", "coverage.branch_pct = null"),
        ("sast.by_severity.high + sast.by_severity.critical == 0",
         {"sast": {"by_severity": {"high": 2, "critical": 1}}}, "fail",
         "sast.by_severity.high = 2, sast.by_severity.critical = 1"),
        ("tests.failures", {"tests": {"failures": 0}}, "fail", "not true/false"),
    ],
)  # fmt: skip
def test_evaluate(expression, summaries, state, figure):
    result = gate_evaluate(expression, summaries)
    assert result.state == state and figure in result.figure


def test_merge_adds_counts_and_recomputes_percentages():
    merged = merge_summaries("coverage", [
        {"kind": "coverage", "lines_total": 100, "lines_covered": 90, "line_pct": 90.0,
         "branches_total": None, "branches_covered": None, "branch_pct": None},
        {"kind": "coverage", "lines_total": 300, "lines_covered": 150, "line_pct": 50.0,
         "branches_total": 10, "branches_covered": 5, "branch_pct": 50.0},
    ])  # fmt: skip
    assert merged["lines_total"] == 400 and merged["line_pct"] == 60.0
    assert merged["branches_total"] == 10 and merged["branch_pct"] == 50.0
    sast = merge_summaries("sast", [
        {"kind": "sast", "findings": 2, "by_severity": {"high": 1, "low": 1}, "rules": 2, "tool": "semgrep"},
        {"kind": "sast", "findings": 3, "by_severity": {"high": 3, "low": 0}, "rules": 1, "tool": "CodeQL"},
    ])  # fmt: skip
    assert sast == {"kind": "sast", "findings": 5, "by_severity": {"high": 4, "low": 1}, "rules": 3, "tool": "semgrep"}
    load = merge_summaries("load", [{"http_req_failed_rate": 0.01, "checks_failed": 1},
                                    {"http_req_failed_rate": 0.2, "checks_failed": 0}])  # fmt: skip
    assert load == {"http_req_failed_rate": 0.2, "checks_failed": 1}
    att = merge_summaries("attestation", [{"verified": True, "subjects": [1]}, {"verified": None, "subjects": [2]}])
    assert att == {"verified": False, "subjects": [1, 2]}
