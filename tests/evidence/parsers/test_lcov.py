import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError
from evidence.parsers.head import read_head
from evidence.parsers.lcov import LcovParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (lines_total, lines_covered, line_pct, branches_total, branches_covered, branch_pct), the sums of
# the LF/LH and BRF/BRH records counted with a plain line loop (15 and 4 SF blocks, as SOURCES.md says).
CORPUS = {
    "coverage/lcov-coverlet-csharp.info": (199, 124, 62.31, 8, 5, 62.5),
    "coverage/lcov-istanbul-ngx-bdir.info": (48, 48, 100.0, 14, 14, 100.0),
}
# The same files without their LF/LH/BRF/BRH records, so DA/BRDA are counted: distinct line numbers (and
# line/block/branch) per SF block. coverlet's LF counts DA records, and it writes one per method on a
# line (an auto-property's getter and setter share line 46): 199 records, 184 distinct lines.
CORPUS_COUNTED = {
    "coverage/lcov-coverlet-csharp.info": (184, 118, 8, 5),
    "coverage/lcov-istanbul-ngx-bdir.info": (48, 48, 14, 14),
}
_SUMMARY_RECORDS = re.compile(rb"^(?:LF|LH|BRF|BRH):\d+\r?\n", re.MULTILINE)


def _coverage(summary) -> tuple:
    return (summary.lines_total, summary.lines_covered, summary.line_pct,
            summary.branches_total, summary.branches_covered, summary.branch_pct)  # fmt: skip


def test_corpus_expectations_cover_every_lcov_file():
    files = corpus_glob("coverage", "lcov-*.info")
    if not files:
        pytest.skip(SKIP_REASON)
    assert sorted(CORPUS) == files == sorted(CORPUS_COUNTED)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_lcov_corpus_counts(relative):
    path = corpus_file(relative)
    summary, sink = parse_path(LcovParser(), path)
    assert _coverage(summary) == CORPUS[relative]
    assert (sink.findings, sink.components, sink.test_cases) == ([], [], [])
    assert detected_formats(path) == ["lcov"]


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS_COUNTED))
def test_lcov_corpus_counted_from_da_records_without_summaries(relative):
    data, removed = _SUMMARY_RECORDS.subn(b"", corpus_file(relative).read_bytes())
    assert removed > 0
    summary, _ = parse_bytes(LcovParser(), data)
    assert (summary.lines_total, summary.lines_covered, summary.branches_total, summary.branches_covered) == (
        CORPUS_COUNTED[relative])  # fmt: skip


def test_empty_block_has_no_percentages_and_no_branch_data():
    path = DATA / "lcov" / "empty.info"
    summary, sink = parse_path(LcovParser(), path)
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
    assert detected_formats(path) == ["lcov"]


def test_one_file():
    path = DATA / "lcov" / "one.info"
    summary, _ = parse_path(LcovParser(), path)
    assert _coverage(summary) == (4, 3, 75.0, 4, 2, 50.0)
    assert detected_formats(path) == ["lcov"]


def test_many_files_mix_summaries_and_counted_records():
    # Gate.cs has no summaries: 3 distinct DA lines (11 hit on its second copy), 2 distinct branches, one
    # taken ("-" and 0 are not). Queue.cs: LF 5 / LH 2 and no branch records. Report.cs: 2 DA lines,
    # BRF 6 / BRH 3. CRLF line endings, Windows paths, VER records and DA checksums are all read.
    path = DATA / "lcov" / "many.info"
    summary, _ = parse_path(LcovParser(), path)
    assert _coverage(summary) == (10, 5, 50.0, 8, 4, 50.0)
    assert detected_formats(path) == ["lcov"]


@pytest.mark.parametrize(
    "data",
    [
        b"mode: set\ngithub.com/acme/gate/gate.go:3.2,4.3 1 1\n",
        b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSF: not a record\n",
        b"Some notes\nSF:a.ts\nend_of_record\n",
        b'{"SF": "a.ts", "DA": [1]}',
    ],
)
def test_other_text_is_not_detected(data):
    assert not LcovParser.sniff(read_head(io.BytesIO(data)))


def _sample(name: str) -> bytes:
    return (DATA / "lcov" / name).read_bytes()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"\n\n  \n", "empty file"),
        (b"TN:\n", "no SF ... end_of_record block"),
        (_sample("truncated.info"), "truncated LCOV tracefile: the block of 'src/b.ts' has no end_of_record"),
        (_sample("latin1.info"), r"LCOV tracefile is not valid UTF-8 \(byte 11 of the line\) \(at line 2\)"),
        (
            b"TN:\nSF:a.ts\nhello world\nend_of_record\n",
            r"'hello world' is not an LCOV record \(KEY:value\) \(at line 3",
        ),
        (b'{"total": {"lines": {}}}', "is not an LCOV record"),
        (b"DA:1,1\nend_of_record\n", r"DA record outside an SF ... end_of_record block \(at line 1\)"),
        (b"end_of_record\n", "end_of_record without an SF record"),
        (b"SF:a.ts\nSF:b.ts\nend_of_record\n", r"SF record before the end_of_record of 'a.ts' \(at line 2\)"),
        (b"SF:a.ts\nLF:four\nend_of_record\n", r"LF must be a non-negative integer, found 'four' \(at line 2\)"),
        (b"SF:a.ts\nLF:2\nLH:3\nend_of_record\n", r"LH:3 is more than LF:2 for 'a.ts' \(at line 1\)"),
        (b"SF:a.ts\nDA:1\nend_of_record\n", "DA record '1' is not DA:line,hits"),
        (b"SF:a.ts\nDA:x,1\nend_of_record\n", "DA line number must be a non-negative integer"),
        (b"SF:a.ts\nDA:1,lots\nend_of_record\n", r"execution count 'lots' is not a number \(at line 2\)"),
        (b"SF:a.ts\nBRDA:1,0,1\nend_of_record\n", "BRDA record '1,0,1' is not BRDA:line,block,branch,taken"),
        (b"SF:a.ts\nBRDA:1,0,1,x\nend_of_record\n", "execution count 'x' is not a number"),
        (b"SF:a.ts\nBRF:2\nBRH:3\nend_of_record\n", "BRH:3 is more than BRF:2"),
        (b"SF:a.ts\nFN:" + b"x" * (1024 * 1024 + 10) + b"\n", r"a line longer than 1048576 bytes \(at line 2\)"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(LcovParser(), data)


def test_negative_counts_are_not_hits():
    # gcov writes negative counts when a counter overflows; lcov reads them as not executed.
    summary, _ = parse_bytes(LcovParser(), b"SF:a.c\nDA:1,-1\nDA:2,1\nend_of_record\n")
    assert (summary.lines_total, summary.lines_covered) == (2, 1)


_PREFIX = b"TN:\nSF:src/a.ts\nDA:1,"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _PREFIX + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _ = parse_bytes(LcovParser(), data)
    except ParseError:
        return
    assert summary.kind == "coverage"
