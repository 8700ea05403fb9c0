import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError
from evidence.parsers.junit import JUnitXmlParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import (
    DATA,
    CountingSink,
    GeneratedStream,
    detected_formats,
    parse_bytes,
    parse_path,
)

# file: (tests, passed, failures, errors, skipped, flaky, duration_s, total attempts), counted from the
# files with plain xml.etree (testcase elements and their direct children), not with this parser.
CORPUS = {
    "junit/go-junit-report-030.xml": (17, 8, 9, 0, 0, 0, 0.0, 17),
    "junit/gotestsum-junitxml.xml": (60, 42, 13, 0, 5, 0, 0.06, 60),
    "junit/jest-junit-dorny.xml": (6, 1, 4, 0, 1, 0, 0.007, 6),
    "junit/jest-junit-facebook-jest-large.xml": (4239, 4207, 2, 0, 30, 0, 592.588, 4239),
    "junit/pytest-horovod-gloo-standalone.xml": (97, 80, 0, 0, 17, 0, 203.847, 97),
    "junit/pytest-junit-fail.xml": (5, 3, 1, 0, 1, 0, 21.908, 5),
    "junit/surefire-3.0.2-always-fail-reruns.xml": (1, 0, 1, 0, 0, 0, 0.001, 4),
    "junit/surefire-apache-pulsar.xml": (808, 793, 1, 0, 14, 0, 2126.531, 808),
    "junit/surefire-flaky-rerun.xml": (2, 1, 0, 0, 0, 1, 0.035, 6),
}  # fmt: skip


def _counts(summary) -> tuple[int, ...]:
    return (summary.tests, summary.passed, summary.failures, summary.errors, summary.skipped, summary.flaky)


def test_corpus_expectations_cover_every_junit_file():
    files = corpus_glob("junit")
    if not files:
        pytest.skip(SKIP_REASON)
    assert sorted(CORPUS) == files


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_junit_corpus_counts(relative):
    path = corpus_file(relative)
    tests, passed, failures, errors, skipped, flaky, duration, attempts = CORPUS[relative]
    summary, sink = parse_path(JUnitXmlParser(), path)
    assert _counts(summary) == (tests, passed, failures, errors, skipped, flaky)
    assert summary.duration_s == pytest.approx(duration, abs=1e-6)
    assert len(sink.test_cases) == tests
    assert sum(row.attempts for row in sink.test_cases) == attempts
    assert detected_formats(path) == ["junit-xml"]


@pytest.mark.corpus
def test_corpus_surefire_rerun_cases():
    _, flaky_sink = parse_path(JUnitXmlParser(), corpus_file("junit/surefire-flaky-rerun.xml"))
    flaky = flaky_sink.test_cases[0]
    assert (flaky.suite, flaky.name, flaky.status, flaky.attempts) == (
        "org.acme.FlakyTest", "testFlaky", "flaky", 5)  # fmt: skip
    assert flaky.message == "expected: <1> but was: <0>"
    _, failed_sink = parse_path(JUnitXmlParser(), corpus_file("junit/surefire-3.0.2-always-fail-reruns.xml"))
    failed = failed_sink.test_cases[0]
    assert (failed.status, failed.attempts, failed.message) == ("failed", 4, "built to fail")


def test_empty_suite():
    summary, sink = parse_path(JUnitXmlParser(), DATA / "junit" / "empty-suite.xml")
    assert summary.as_dict() == {
        "kind": "tests",
        "tests": 0,
        "passed": 0,
        "failures": 0,
        "errors": 0,
        "skipped": 0,
        "flaky": 0,
        "duration_s": 0.0,
    }
    assert sink.test_cases == []


def test_one_test():
    summary, sink = parse_path(JUnitXmlParser(), DATA / "junit" / "one-test.xml")
    assert (summary.tests, summary.passed, summary.duration_s) == (1, 1, pytest.approx(0.412))
    [row] = sink.test_cases
    assert (row.suite, row.classname, row.name, row.status, row.attempts, row.message) == (
        "pytest", "tests.test_release", "test_gate_passes", "passed", 1, "")  # fmt: skip
    assert row.duration_s == pytest.approx(0.412)


def test_mixed_statuses_count_cases_not_suite_attributes():
    summary, sink = parse_path(JUnitXmlParser(), DATA / "junit" / "mixed-statuses.xml")
    assert _counts(summary) == (8, 4, 2, 1, 1, 0)
    # "1,234.5" reads as 1234.5; "n/a" and a missing time read as 0.
    assert summary.duration_s == pytest.approx(1236.75)
    rows = {row.name: row for row in sink.test_cases}
    assert rows["test_partial_refund"].status == "failed"
    assert rows["test_partial_refund"].message == "expected 10 but was 7"  # the attribute wins over the text
    assert rows["test_partial_refund"].duration_s == pytest.approx(1234.5)
    assert rows["test_currency"].status == "error"
    assert rows["test_currency"].message == "could not reach the ledger"  # no message attribute: the text
    assert (rows["test_legacy"].status, rows["test_legacy"].duration_s) == ("skipped", 0.0)
    assert rows["test_rotation"].message == "assert token != old_token"
    assert rows["test_rotation"].suite == "auth"
    assert rows["test_audit_log"].status == "passed"  # system-out/system-err do not change the status


def test_nested_suites_name_the_innermost_suite():
    summary, sink = parse_path(JUnitXmlParser(), DATA / "junit" / "nested-suites.xml")
    assert (summary.tests, summary.passed, summary.skipped) == (4, 3, 1)
    assert summary.duration_s == pytest.approx(1.0)
    assert [(row.name, row.suite) for row in sink.test_cases] == [
        ("test_outer", "packages/api"),
        ("test_deep", "packages/api/routes/v2"),
        ("test_after_inner", "packages/api/routes"),
        ("test_button", "packages/web/components"),
    ]


def test_surefire_reruns():
    summary, sink = parse_path(JUnitXmlParser(), DATA / "junit" / "surefire-reruns.xml")
    assert _counts(summary) == (4, 1, 1, 1, 0, 1)
    assert [(row.name, row.status, row.attempts) for row in sink.test_cases] == [
        ("testFlakyTwice", "flaky", 3),
        ("testAlwaysFails", "failed", 3),
        ("testAlwaysErrors", "error", 2),
        ("testStable", "passed", 1),
    ]
    assert sink.test_cases[0].message == "timed out after 100ms"


def test_namespaced_report_and_long_message():
    doc = (
        '<testsuite xmlns="urn:example:junit" name="ns"><testcase name="t">'
        f'<failure message="{"x" * 5000}"/></testcase></testsuite>'
    )
    summary, sink = parse_bytes(JUnitXmlParser(), doc.encode())
    assert summary.failures == 1
    assert sink.test_cases[0].message == "x" * 1000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<failure>  first <detail>inner</detail> tail</failure>", "first"),  # the text before the first child
        ("<failure>a<!-- note -->b<![CDATA[ & c]]></failure>", "ab & c"),
        ('<failure message="">from the text</failure>', "from the text"),
        ("<failure><testcase name='inner'/>after</failure>", ""),
    ],
)
def test_message_is_the_text_before_the_first_child(body, message):
    doc = f'<testsuite name="s"><testcase name="t">{body}</testcase></testsuite>'
    _, sink = parse_bytes(JUnitXmlParser(), doc.encode())
    assert sink.test_cases[-1].name == "t" and sink.test_cases[-1].message == message


def test_a_case_nested_in_a_failure_keeps_both_messages():
    doc = (
        '<testsuite name="s"><testcase name="outer"><failure>outer text<testcase name="inner">'
        '<error message="inner message"/></testcase></failure></testcase></testsuite>'
    )
    _, sink = parse_bytes(JUnitXmlParser(), doc.encode())
    assert [(row.name, row.status, row.message) for row in sink.test_cases] == [
        ("inner", "error", "inner message"),
        ("outer", "failed", "outer text"),
    ]


def _generated_report(cases: int) -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><testsuites><testsuite name="big">'
    for index in range(cases):
        yield b'<testcase classname="big.Case" name="test_%d" time="0.001">' % index
        yield b"<system-out>%s</system-out></testcase>" % (b"o" * 50)
    yield b"</testsuite></testsuites>"


def test_memory_stays_bounded_on_a_large_report():
    cases = 60_000  # about 8 MB of XML
    tracemalloc.start()
    try:
        sink = CountingSink()
        summary = JUnitXmlParser().parse(GeneratedStream(_generated_report(cases)), sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.tests == sink.count == cases
    # Cleared but still attached elements alone would peak near 5 MB here; streaming stays well under 1 MB.
    assert peak < 2 * 1024 * 1024


def _sample(name: str) -> bytes:
    return (DATA / "junit" / name).read_bytes()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \n", "empty file"),
        (_sample("truncated.xml"), r"truncated JUnit XML \(unclosed token\) \(at line 5"),
        (_sample("billion-laughs.xml"), "refused unsafe JUnit XML: it declares the entity 'lol'"),
        (_sample("xxe-passwd.xml"), "entity 'xxe' pointing at file:///etc/passwd"),
        (_sample("wrong-root.xml"), "root element <coverage> is not JUnit XML"),
        (b"<testcase/>", "root element <testcase> is not JUnit XML"),
        (
            b'<!DOCTYPE testsuite SYSTEM "junit.dtd"><testsuite><testcase name="t">&nope;</testcase></testsuite>',
            "cannot read JUnit XML: undefined entity &nope;",
        ),
        (
            b'{"testsuites": []}',
            r"cannot read JUnit XML: not well-formed \(invalid token\) \(at line 1 column 0\)",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "cannot read JUnit XML"),
        (b"<testsuites/><testsuites/>", "cannot read JUnit XML: junk after document element"),
        (b'<?xml version="1.0" encoding="shift_jis"?><testsuites/>', "encoding that cannot be read"),
        (b'<?xml version="1.0" encoding="no-such-codec"?><testsuites/>', "encoding that cannot be read"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(JUnitXmlParser(), data)


_PREFIX = b'<testsuites><testsuite name="s"><testcase name="t" time="'


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _PREFIX + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _ = parse_bytes(JUnitXmlParser(), data)
    except ParseError:
        return
    assert summary.kind == "tests"
