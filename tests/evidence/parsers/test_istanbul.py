import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError
from evidence.parsers.istanbul import IstanbulSummaryParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (lines_total, lines_covered, line_pct, branches_total, branches_covered, branch_pct), read from
# the files' total entry with plain json, not with this parser
CORPUS = {
    "coverage/istanbul-coverage-summary-ngx-bdir.json": (48, 48, 100.0, 14, 14, 100.0),
}


def test_corpus_expectations_cover_every_istanbul_file():
    files = corpus_glob("coverage", "istanbul-coverage-summary-*.json")
    if not files:
        pytest.skip(SKIP_REASON)
    assert sorted(CORPUS) == files


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_istanbul_corpus_counts(relative):
    path = corpus_file(relative)
    lines_total, lines_covered, line_pct, branches_total, branches_covered, branch_pct = CORPUS[relative]
    summary, _ = parse_path(IstanbulSummaryParser(), path)
    assert (summary.lines_total, summary.lines_covered, summary.line_pct) == (
        lines_total, lines_covered, line_pct)  # fmt: skip
    assert (summary.branches_total, summary.branches_covered, summary.branch_pct) == (
        branches_total, branches_covered, branch_pct)  # fmt: skip
    assert detected_formats(path) == ["istanbul-json-summary"]


def test_one_file():
    summary, sink = parse_path(IstanbulSummaryParser(), DATA / "istanbul" / "one-file.json")
    assert summary.as_dict() == {
        "kind": "coverage",
        "lines_total": 40,
        "lines_covered": 30,
        "line_pct": 75.0,
        "branches_total": 12,
        "branches_covered": 7,
        "branch_pct": 58.33,
    }
    assert (sink.findings, sink.components, sink.test_cases) == ([], [], [])
    assert detected_formats(DATA / "istanbul" / "one-file.json") == ["istanbul-json-summary"]


def test_nothing_measured_has_no_percentages():
    # Istanbul writes "pct": "Unknown" for 0/0; a gate must not read that as 0% or 100%.
    summary, _ = parse_path(IstanbulSummaryParser(), DATA / "istanbul" / "nothing-measured.json")
    assert (summary.lines_total, summary.line_pct) == (0, None)
    assert (summary.branches_total, summary.branch_pct) == (0, None)


def test_missing_branches_are_null():
    summary, _ = parse_path(IstanbulSummaryParser(), DATA / "istanbul" / "no-branches.json")
    assert (summary.lines_total, summary.lines_covered, summary.line_pct) == (3, 2, 66.67)
    assert (summary.branches_total, summary.branches_covered, summary.branch_pct) == (None, None, None)


def test_percentages_come_from_counts_not_pct():
    doc = b'{"total": {"lines": {"total": 3, "covered": 1, "pct": 99}, "branches": {"total": 8, "covered": 8}}}'
    summary, _ = parse_bytes(IstanbulSummaryParser(), doc)
    assert (summary.line_pct, summary.branch_pct) == (33.33, 100.0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b'{"total": {"lines": {"total": 4', "not valid JSON"),
        (b"[1, 2]", "expected a JSON object at document, found list"),
        (b'{"totals": {"covered_lines": 4}}', 'no "total" entry'),
        (b'{"total": []}', "expected a JSON object at total, found list"),
        (b'{"total": {"statements": {"total": 1, "covered": 1}}}', '"total" has no "lines" counts'),
        (b'{"total": {"lines": 48}}', "expected a JSON object at total.lines, found int"),
        (b'{"total": {"lines": {"total": 4.5, "covered": 1}}}', "total.lines.total must be a non-negative"),
        (b'{"total": {"lines": {"total": 4, "covered": "3"}}}', "total.lines.covered must be a non-negative"),
        (b'{"total": {"lines": {"total": true, "covered": 1}}}', "total.lines.total must be a non-negative"),
        (
            b'{"total": {"lines": {"total": 4}}}',
            "total.lines.covered must be a non-negative integer, found 'None'",
        ),
        (b'{"total": {"lines": {"total": -1, "covered": 0}}}', "total.lines.total must be a non-negative"),
        (b'{"total": {"lines": {"total": 4, "covered": 5}}}', r"more covered \(5\) than total \(4\)"),
        (
            b'{"total": {"lines": {"total": 4, "covered": 4}, "branches": null}}',
            "at total.branches, found NoneType",
        ),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(IstanbulSummaryParser(), data)


_PREFIX = b'{"total": {"lines": '


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _PREFIX + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _ = parse_bytes(IstanbulSummaryParser(), data)
    except ParseError:
        return
    assert summary.kind == "coverage"
