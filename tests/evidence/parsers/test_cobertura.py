import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError
from evidence.parsers.cobertura import CoberturaXmlParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (lines_total, lines_covered, line_pct, branches_total, branches_covered, branch_pct) from the root
# attributes, read with plain xml.etree and matching the SOURCES.md notes.
CORPUS = {
    "coverage/cobertura-coveragepy-gold-branch.xml": (5, 4, 80.0, 2, 1, 50.0),
    "coverage/cobertura-coverlet-csharp.xml": (255, 156, 61.18, 14, 9, 64.29),
    "coverage/cobertura-istanbul-large.xml": (11340, 1452, 12.8, 2949, 235, 7.97),
}
# The same files with the root totals removed, so the <line> elements are counted: distinct (class filename,
# line number) of <class><lines><line>, counted with plain xml.etree. Istanbul writes branch counts only in
# the root (every <line> says branch="false"), so without it the report has no branch data.
CORPUS_COUNTED = {
    "coverage/cobertura-coveragepy-gold-branch.xml": (5, 4, 2, 1),
    "coverage/cobertura-coverlet-csharp.xml": (255, 156, 14, 9),
    "coverage/cobertura-istanbul-large.xml": (11340, 1452, None, None),
}
_TOTALS = re.compile(rb'\s(?:lines|branches)-(?:valid|covered)="\d+"')


def _coverage(summary) -> tuple:
    return (summary.lines_total, summary.lines_covered, summary.line_pct,
            summary.branches_total, summary.branches_covered, summary.branch_pct)  # fmt: skip


def test_corpus_expectations_cover_every_cobertura_file():
    files = corpus_glob("coverage", "cobertura-*.xml")
    if not files:
        pytest.skip(SKIP_REASON)
    assert sorted(CORPUS) == files == sorted(CORPUS_COUNTED)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_cobertura_corpus_counts(relative):
    path = corpus_file(relative)
    summary, sink = parse_path(CoberturaXmlParser(), path)
    assert _coverage(summary) == CORPUS[relative]
    assert (sink.findings, sink.components, sink.test_cases) == ([], [], [])
    assert detected_formats(path) == ["cobertura-xml"]


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS_COUNTED))
def test_cobertura_corpus_counted_from_lines_without_root_totals(relative):
    data, removed = _TOTALS.subn(b"", corpus_file(relative).read_bytes(), count=4)
    assert removed == 4
    summary, _ = parse_bytes(CoberturaXmlParser(), data)
    assert (summary.lines_total, summary.lines_covered, summary.branches_total, summary.branches_covered) == (
        CORPUS_COUNTED[relative])  # fmt: skip


def test_empty_report():
    summary, sink = parse_path(CoberturaXmlParser(), DATA / "cobertura" / "empty.xml")
    # 0 of 0 measured: no percentage, so a gate cannot pass on it.
    assert summary.as_dict() == {
        "kind": "coverage",
        "lines_total": 0,
        "lines_covered": 0,
        "line_pct": None,
        "branches_total": 0,
        "branches_covered": 0,
        "branch_pct": None,
    }
    assert (sink.findings, sink.components, sink.test_cases) == ([], [], [])
    assert detected_formats(DATA / "cobertura" / "empty.xml") == ["cobertura-xml"]


def test_one_file_uses_the_root_totals():
    summary, _ = parse_path(CoberturaXmlParser(), DATA / "cobertura" / "one.xml")
    assert _coverage(summary) == (4, 3, 75.0, 0, 0, None)
    assert detected_formats(DATA / "cobertura" / "one.xml") == ["cobertura-xml"]


def test_many_without_root_totals_counts_distinct_lines():
    # Line 12 of Gate.java is in two classes (hit in one): one covered line. <method> lines are not read:
    # line 9 is only there (as Istanbul lists function declarations). Branches: 1/2 (line 10) + 4/4 + 0/2,
    # and "True" is read as true.
    path = DATA / "cobertura" / "many-no-totals.xml"
    summary, _ = parse_path(CoberturaXmlParser(), path)
    assert _coverage(summary) == (10, 5, 50.0, 8, 5, 62.5)
    assert detected_formats(path) == ["cobertura-xml"]


def test_root_totals_win_over_the_lines():
    doc = (
        b'<coverage line-rate="0.5" lines-valid="10" lines-covered="5" branches-valid="4" branches-covered="1">'
        b'<packages><package name="p"><classes><class name="a" filename="a.py"><lines>'
        b'<line number="1" hits="1"/></lines></class></classes></package></packages></coverage>'
    )
    summary, _ = parse_bytes(CoberturaXmlParser(), doc)
    assert _coverage(summary) == (10, 5, 50.0, 4, 1, 25.0)


def test_missing_branch_totals_are_counted_and_none_without_branch_lines():
    doc = (
        b'<coverage line-rate="0.5" lines-valid="10" lines-covered="5">'
        b'<packages><package name="p"><classes><class name="a" filename="a.py"><lines>'
        b'<line number="1" hits="1" branch="false"/></lines></class></classes></package></packages></coverage>'
    )
    summary, _ = parse_bytes(CoberturaXmlParser(), doc)
    assert _coverage(summary) == (10, 5, 50.0, None, None, None)


def test_clover_and_other_coverage_roots_are_not_detected():
    assert detected_formats(DATA / "cobertura" / "clover.xml") == []


def _sample(name: str) -> bytes:
    return (DATA / "cobertura" / name).read_bytes()


def _lines(*lines: str, root: str = 'line-rate="1"') -> bytes:
    body = "".join(lines)
    return (
        f'<coverage {root}><packages><package name="p"><classes><class name="a" filename="a.py"><lines>'
        f"{body}</lines></class></classes></package></packages></coverage>"
    ).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \n", "empty file"),
        (_sample("truncated.xml"), r"truncated Cobertura XML \(unclosed token\) \(at line 6"),
        (_sample("billion-laughs.xml"), "refused unsafe Cobertura XML: it declares the entity 'lol'"),
        (_sample("xxe-passwd.xml"), "entity 'xxe' pointing at file:///etc/passwd"),
        (_sample("clover.xml"), r"this is Clover XML \(<coverage clover=...>\), not Cobertura XML"),
        (b'<report name="x"><counter type="LINE" missed="1" covered="1"/></report>', "root element <report>"),
        (b'{"coverage": 1}', r"cannot read Cobertura XML: not well-formed \(invalid token\) \(at line 1"),
        (b"<coverage/><coverage/>", "junk after document element"),
        (b'<?xml version="1.0" encoding="shift_jis"?><coverage/>', "encoding that cannot be read"),
        (b'<coverage lines-valid="ten" lines-covered="1"/>', "<coverage lines-valid> must be a non-negative integer"),
        (b'<coverage lines-valid="-1" lines-covered="1"/>', "must be a non-negative integer, found '-1'"),
        (b'<coverage lines-valid="1" lines-covered="2"/>', "lines-covered=2, more than lines-valid=1"),
        (_lines('<line number="1" hits="x"/>'), r"hits of <line number=1> in 'a.py' must be a non-negative"),
        (_lines('<line hits="1"/>'), r"<line number> in 'a.py' must be a non-negative integer, found 'None'"),
        (
            _lines('<line number="2" hits="1" branch="true" condition-coverage="half"/>'),
            r"condition-coverage of <line number=2> in 'a.py' is 'half'",
        ),
        (
            _lines('<line number="2" hits="1" branch="true" condition-coverage="300% (3/1)"/>'),
            "has 3 of 1 branches taken",
        ),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(CoberturaXmlParser(), data)


_PREFIX = b'<coverage line-rate="0.5"><packages><package name="p"><classes><class filename="a.py"><lines><line '


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _PREFIX + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _ = parse_bytes(CoberturaXmlParser(), data)
    except ParseError:
        return
    assert summary.kind == "coverage"
