import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError
from evidence.parsers.gocover import GoCoverProfileParser
from evidence.parsers.head import read_head
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (statements, statements covered, pct), counted with a plain line loop over the blocks (each
# file:position once; neither file repeats a block), matching the modes SOURCES.md names. Go profiles have
# no branch data.
CORPUS = {
    "coverage/go-coverprofile-blocky-set.out": (6152, 4611, 74.95),
    "coverage/go-coverprofile-pbft-atomic.out": (581, 509, 87.61),
}


def test_corpus_expectations_cover_every_go_profile():
    files = corpus_glob("coverage", "go-coverprofile-*.out")
    if not files:
        pytest.skip(SKIP_REASON)
    assert sorted(CORPUS) == files


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_gocover_corpus_counts(relative):
    path = corpus_file(relative)
    summary, sink = parse_path(GoCoverProfileParser(), path)
    assert (summary.lines_total, summary.lines_covered, summary.line_pct) == CORPUS[relative]
    assert (summary.branches_total, summary.branches_covered, summary.branch_pct) == (None, None, None)
    assert (sink.findings, sink.components, sink.test_cases) == ([], [], [])
    assert detected_formats(path) == ["go-coverprofile"]


def test_empty_profile_has_no_percentage():
    path = DATA / "gocover" / "empty.out"
    summary, sink = parse_path(GoCoverProfileParser(), path)
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
    assert detected_formats(path) == ["go-coverprofile"]


def test_one_package_counts_statements():
    path = DATA / "gocover" / "one.out"
    summary, _ = parse_path(GoCoverProfileParser(), path)
    assert (summary.lines_total, summary.lines_covered, summary.line_pct) == (4, 3, 75.0)
    assert detected_formats(path) == ["go-coverprofile"]


def test_many_merged_profiles_count_each_block_once():
    # Two concatenated runs: gate.go's blocks ran only in the second (covered), store.go's 13.41 never ran,
    # store.go's 8.40 ran in the first. The repeated "mode: atomic" line and the blank last line are skipped;
    # a Windows path keeps its drive colon.
    path = DATA / "gocover" / "many-merged.out"
    summary, _ = parse_path(GoCoverProfileParser(), path)
    # statements: gate 2+1+1, store 3+2, main 4 = 13; covered: gate 2+1, store 3, main 4 = 10
    assert (summary.lines_total, summary.lines_covered, summary.line_pct) == (13, 10, 76.92)
    assert detected_formats(path) == ["go-coverprofile"]


@pytest.mark.parametrize(
    "data",
    [b"mode: banana\na.go:1.1,2.1 1 1\n", b"# mode: set\n", b"model: set\n", b"TN:\nSF:a.ts\nend_of_record\n"],
)
def test_other_text_is_not_detected(data):
    assert not GoCoverProfileParser.sniff(read_head(io.BytesIO(data)))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"\n \n", "empty file"),
        (b"a.go:1.1,2.1 1 1\n", r'the first line must be "mode: set", "mode: count" or "mode: atomic", found'),
        (b"mode: banana\na.go:1.1,2.1 1 1\n", "found 'mode: banana' \\(at line 1\\)"),
        (
            b"mode: set\na.go:1.1,2.1 1\n",
            r"'a.go:1.1,2.1 1' is not a block \(file:line.col,line.col statements count\)",
        ),
        (b"mode: set\na.go:1.1,2.1 1 1\na.go:1.1,2.1 1 x\n", r"is not a block .* \(at line 3\)"),
        (b"mode: set\na.go:1.1,2.1 -1 1\n", "is not a block"),
        (b"mode: set\na.go:1.1,2.1 1 1\nmode: count\n", r"'mode: count' after mode: set \(at line 3\)"),
        (
            b"mode: count\na.go:1.1,2.1 2 1\na.go:1.1,2.1 3 0\n",
            r"block a.go:1.1 has 2 statements in one copy and 3 in another \(at line 3\)",
        ),
        (b"mode: set\n\xff\xfe.go:1.1,2.1 1 1\n", r"not valid UTF-8 \(byte 1 of the line\) \(at line 2\)"),
        (b"mode: set\n" + b"a" * (64 * 1024 + 10), r"a line longer than 65536 bytes \(at line 2\)"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(GoCoverProfileParser(), data)


_PREFIX = b"mode: count\ngithub.com/acme/gate.go:1.1,"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _PREFIX + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _ = parse_bytes(GoCoverProfileParser(), data)
    except ParseError:
        return
    assert summary.kind == "coverage"
