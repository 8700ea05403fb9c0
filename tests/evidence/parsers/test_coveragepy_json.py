import json
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ListSink, ParseError
from evidence.parsers.coveragepy_json import CoveragePyJsonParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, GeneratedStream, detected_formats, parse_bytes, parse_path

# file: (lines_total, lines_covered, line_pct, branches_total, branches_covered, branch_pct) from totals
# (num_statements 3027, covered_lines 2962) with plain json; meta.branch_coverage is false, as SOURCES.md says.
CORPUS = {
    "coverage/coveragepy-json-pdf_toolbox.json": (3027, 2962, 97.85, None, None, None),
}


def _coverage(summary) -> tuple:
    return (summary.lines_total, summary.lines_covered, summary.line_pct,
            summary.branches_total, summary.branches_covered, summary.branch_pct)  # fmt: skip


def test_corpus_expectations_cover_every_coveragepy_json_file():
    files = corpus_glob("coverage", "coveragepy-json-*.json")
    if not files:
        pytest.skip(SKIP_REASON)
    assert sorted(CORPUS) == files


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_coveragepy_json_corpus_counts(relative):
    path = corpus_file(relative)
    summary, sink = parse_path(CoveragePyJsonParser(), path)
    assert _coverage(summary) == CORPUS[relative]
    assert (sink.findings, sink.components, sink.test_cases) == ([], [], [])
    assert detected_formats(path) == ["coveragepy-json"]


def test_empty_report_has_no_percentage():
    path = DATA / "coveragepy_json" / "empty.json"
    summary, sink = parse_path(CoveragePyJsonParser(), path)
    # coverage.py itself says 100% for 0 of 0; a gate must not pass on nothing measured.
    assert summary.as_dict() == {
        "kind": "coverage",
        "lines_total": 0,
        "lines_covered": 0,
        "line_pct": None,
        "branches_total": None,
        "branches_covered": None,
        "branch_pct": None,
    }
    assert (sink.findings, sink.components, sink.test_cases) == ([], [], [])
    assert detected_formats(path) == ["coveragepy-json"]


def test_one_file_with_branch_coverage():
    # percent_covered (75.0) mixes statements and branches: (7 + 2) / (8 + 4). Lines alone are 7 of 8.
    path = DATA / "coveragepy_json" / "one-branch.json"
    summary, _ = parse_path(CoveragePyJsonParser(), path)
    assert _coverage(summary) == (8, 7, 87.5, 4, 2, 50.0)
    assert detected_formats(path) == ["coveragepy-json"]


def test_many_files_format_1_without_format_number():
    path = DATA / "coveragepy_json" / "many-format1.json"
    summary, _ = parse_path(CoveragePyJsonParser(), path)
    assert _coverage(summary) == (17, 10, 58.82, None, None, None)
    assert detected_formats(path) == ["coveragepy-json"]


def test_totals_before_meta():
    doc = {"totals": {"covered_lines": 1, "num_statements": 2, "num_branches": 2, "covered_branches": 2},
           "meta": {"format": 3, "branch_coverage": True}, "files": {}}  # fmt: skip
    summary, _ = parse_bytes(CoveragePyJsonParser(), json.dumps(doc).encode())
    assert _coverage(summary) == (2, 1, 50.0, 2, 2, 100.0)


def _generated_report(files: int) -> Iterator[bytes]:
    """A coverage.py JSON report whose big "files" section is made on the fly."""
    yield b'{"meta": {"format": 3, "version": "7.6.1", "branch_coverage": false}, "files": {'
    for index in range(files):
        separator = b", " if index else b""
        lines = b", ".join(b"%d" % line for line in range(1, 41))
        yield separator + b'"pkg/module_%d.py": {"executed_lines": [%s], "missing_lines": [41, 42], ' % (
            index, lines)  # fmt: skip
        yield b'"summary": {"covered_lines": 40, "num_statements": 42}}'
    yield b'}, "totals": {"covered_lines": %d, "num_statements": %d}}' % (40 * files, 42 * files)


def test_memory_stays_bounded_on_a_large_report():
    files = 30_000  # about 8 MB of JSON
    tracemalloc.start()
    try:
        summary = CoveragePyJsonParser().parse(GeneratedStream(_generated_report(files)), ListSink())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (summary.lines_total, summary.lines_covered) == (42 * files, 40 * files)
    assert peak < 2 * 1024 * 1024  # "files" is streamed past, never built


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b'{"meta": {"format": 3}, "files": {"a.py": {"executed_lines": [1, 2', "truncated or malformed JSON"),
        (b'{"meta": {"format": 3}, "totals": {"num_statements": 4} "x"', "malformed JSON for coverage.py JSON"),
        (b'{"meta": {}, "totals": {"num_statements": 1, "covered_lines": 1}} {}', "trailing garbage"),
        (b"[1, 2]", 'no "meta" and "totals"'),
        (b'{"meta": {"format": 3}, "files": {}}', 'no "totals"; this is not a `coverage json` report'),
        (b'{"total": {"lines": {"total": 1, "covered": 1}}}', 'no "meta" and "totals"'),
        (b'{"meta": [], "totals": {}}', "expected a JSON object at meta, found list"),
        (b'{"meta": {}, "totals": 5}', "expected a JSON object at totals, found int"),
        (b'{"meta": {"format": "3"}, "totals": {}}', "meta.format '3' is not a coverage.py JSON format number"),
        (b'{"meta": {"format": 0}, "totals": {}}', "meta.format 0 is not a coverage.py JSON format number"),
        (b'{"meta": {"branch_coverage": "yes"}, "totals": {}}', "meta.branch_coverage must be true or false"),
        (b'{"meta": {}, "totals": {"covered_lines": 1}}', "totals.num_statements must be a non-negative integer"),
        (
            b'{"meta": {}, "totals": {"num_statements": 4, "covered_lines": 1.5}}',
            "totals.covered_lines must be a non-negative integer, found '1.5'",
        ),
        (
            b'{"meta": {}, "totals": {"num_statements": true, "covered_lines": 1}}',
            "totals.num_statements must be a non-negative integer",
        ),
        (
            b'{"meta": {}, "totals": {"num_statements": 4, "covered_lines": 5}}',
            r"totals.covered_lines \(5\) is more than totals.num_statements \(4\)",
        ),
        (
            b'{"meta": {"branch_coverage": true}, "totals": {"num_statements": 4, "covered_lines": 4}}',
            "totals.num_branches must be a non-negative integer, found 'None'",
        ),
        (b"[" * 100_000, "nested more than 256 levels"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(CoveragePyJsonParser(), data)


_PREFIX = b'{"meta": {"format": 3, "branch_coverage": true}, "totals": {"num_statements": '


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _PREFIX + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _ = parse_bytes(CoveragePyJsonParser(), data)
    except ParseError:
        return
    assert summary.kind == "coverage"
