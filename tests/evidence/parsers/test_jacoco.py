import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError
from evidence.parsers.head import read_head
from evidence.parsers.jacoco import JacocoXmlParser
from evidence.parsers.registry import detect
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (lines_total, lines_covered, line_pct, branches_total, branches_covered, branch_pct) from the
# <counter> children of <report> (LINE missed=12 covered=26, BRANCH missed=3 covered=1), read with plain
# xml.etree; its INSTRUCTION counter (96 of 161) matches the SOURCES.md note.
CORPUS = {
    "coverage/jacoco-0.8.3.xml": (38, 26, 68.42, 4, 1, 25.0),
}


def _coverage(summary) -> tuple:
    return (summary.lines_total, summary.lines_covered, summary.line_pct,
            summary.branches_total, summary.branches_covered, summary.branch_pct)  # fmt: skip


def test_corpus_expectations_cover_every_jacoco_file():
    files = corpus_glob("coverage", "jacoco-*.xml")
    if not files:
        pytest.skip(SKIP_REASON)
    assert sorted(CORPUS) == files


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_jacoco_corpus_counts(relative):
    path = corpus_file(relative)
    summary, sink = parse_path(JacocoXmlParser(), path)
    assert _coverage(summary) == CORPUS[relative]
    assert (sink.findings, sink.components, sink.test_cases) == ([], [], [])
    assert detected_formats(path) == ["jacoco-xml"]


def test_empty_report_has_no_percentages():
    # JaCoCo writes a counter only when it measured something: no counters is 0 of 0, never 0% or 100%.
    path = DATA / "jacoco" / "empty.xml"
    summary, sink = parse_path(JacocoXmlParser(), path)
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
    assert detected_formats(path) == ["jacoco-xml"]


def test_one_class_without_branches():
    path = DATA / "jacoco" / "one.xml"
    summary, _ = parse_path(JacocoXmlParser(), path)
    assert _coverage(summary) == (4, 3, 75.0, 0, 0, None)
    assert detected_formats(path) == ["jacoco-xml"]


def test_many_groups_read_only_the_report_level_counters():
    path = DATA / "jacoco" / "many-groups.xml"
    summary, _ = parse_path(JacocoXmlParser(), path)
    assert _coverage(summary) == (50, 30, 60.0, 20, 10, 50.0)
    assert detected_formats(path) == ["jacoco-xml"]


def test_report_level_counters_anywhere_among_the_children():
    doc = (
        b'<report name="r"><counter type="LINE" missed="1" covered="3"/>'
        b'<package name="p"><counter type="LINE" missed="100" covered="0"/></package>'
        b'<counter type="BRANCH" missed="1" covered="1"/></report>'
    )
    summary, _ = parse_bytes(JacocoXmlParser(), doc)
    assert _coverage(summary) == (4, 3, 75.0, 2, 1, 50.0)


def test_other_report_roots_are_not_detected():
    head = read_head(io.BytesIO(b'<?xml version="1.0"?><report><title>Weekly</title></report>'))
    assert JacocoXmlParser not in detect(head)


def _sample(name: str) -> bytes:
    return (DATA / "jacoco" / name).read_bytes()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \n", "empty file"),
        (_sample("truncated.xml"), r"truncated JaCoCo XML \(unclosed token\) \(at line 6"),
        (_sample("billion-laughs.xml"), "refused unsafe JaCoCo XML: it declares the entity 'lol'"),
        (_sample("xxe-passwd.xml"), "entity 'xxe' pointing at file:///etc/passwd"),
        (b'<coverage line-rate="1"/>', r"root element <coverage> is not JaCoCo XML: expected <report>"),
        (b'{"report": 1}', r"cannot read JaCoCo XML: not well-formed \(invalid token\) \(at line 1"),
        (b"<report/><report/>", "junk after document element"),
        (b'<?xml version="1.0" encoding="shift_jis"?><report/>', "encoding that cannot be read"),
        (
            b'<report><counter type="LINE" missed="many" covered="1"/></report>',
            "missed of the report-level LINE counter must be a non-negative integer, found 'many'",
        ),
        (
            b'<report><counter type="BRANCH" missed="1"/></report>',
            "covered of the report-level BRANCH counter must be a non-negative integer, found 'None'",
        ),
        (
            b'<report><counter type="LINE" missed="1" covered="1"/><counter type="LINE" missed="1" covered="1"/>'
            b"</report>",
            "<report> has two LINE counters",
        ),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(JacocoXmlParser(), data)


_PREFIX = (
    b'<?xml version="1.0"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">'
    b'<report name="r"><counter type="LINE" '
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _PREFIX + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _ = parse_bytes(JacocoXmlParser(), data)
    except ParseError:
        return
    assert summary.kind == "coverage"
