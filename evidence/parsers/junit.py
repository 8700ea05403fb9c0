"""JUnit XML test reports, the de-facto format of pytest, jest-junit, Maven Surefire and the Go converters.

The root is <testsuites> or <testsuite>; suites may nest at any depth and test cases are <testcase>
elements inside them. Counting rules:

* ``tests`` counts <testcase> elements. The ``tests``/``failures`` attributes of suites are never read:
  producers disagree on them (Surefire counts every rerun, gotestsum writes 0 for a failing TestMain).
* A case's status comes from its direct children, in this order: <failure> -> failures,
  <error> -> errors, <skipped> -> skipped, otherwise passed.
* Surefire reruns (``-Dsurefire.rerunFailingTestsCount``): <flakyFailure>/<flakyError> on a case with
  no <failure>/<error>/<skipped> means it failed and then passed on a rerun, so it is counted in
  ``flaky`` only. <rerunFailure>/<rerunError> accompany a <failure>/<error>: the case stays failed.
  Either way attempts = 1 + the number of those rerun children.
* ``duration_s`` sums the cases' ``time`` attributes ("1,234.5" is read as 1234.5; unreadable -> 0).

The file is streamed through defusedxml's guarded expat parser into callbacks that build no elements, so
memory is bounded by the largest single message, not the file. Entity declarations are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import BinaryIO

from evidence.parsers import xmlstream
from evidence.parsers.base import Head, ParseError, Parser, RowSink, TestCaseRow, TestsSummary

_WHAT = "JUnit XML"
_ROOTS = frozenset({"testsuites", "testsuite"})
_FLAKY = frozenset({"flakyFailure", "flakyError"})
_RERUNS = _FLAKY | {"rerunFailure", "rerunError"}
_OUTCOMES = frozenset({"failure", "error", "skipped"})
_CHILDREN = _OUTCOMES | _RERUNS  # the children of a <testcase> that count
_MESSAGE_LIMIT = 1000


def _seconds(value: str | None) -> float:
    """A ``time`` attribute in seconds; some producers write thousands separators, a few write junk."""
    try:
        seconds = float((value or "0").replace(",", ""))
    except ValueError:
        return 0.0
    # "nan", "inf" and negative values parse as floats but would poison the total.
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _message(attribute: str | None, text: list[str] | None) -> str:
    return (attribute or "".join(text or ())).strip()[:_MESSAGE_LIMIT]


@dataclass(slots=True)
class _Children:
    """What the outcome and rerun children of one <testcase> said (most cases have none)."""

    outcomes: dict[str, str] = field(default_factory=dict)  # outcome tag -> message of its first element
    flaky_message: str | None = None
    reruns: int = 0
    # The open child: its message attribute and, without one, its text so far.
    attribute: str | None = None
    text: list[str] | None = None

    def end(self, tag: str) -> None:
        message = _message(self.attribute, self.text)
        self.attribute = self.text = None
        if tag in _OUTCOMES:
            self.outcomes.setdefault(tag, message)
        else:
            self.reruns += 1
            if tag in _FLAKY and self.flaky_message is None:
                self.flaky_message = message

    def settle(self, row: TestCaseRow) -> None:
        """Status, message and attempts of the case, from its children."""
        outcomes = self.outcomes
        if "failure" in outcomes:
            row.status, row.message = "failed", outcomes["failure"]
        elif "error" in outcomes:
            row.status, row.message = "error", outcomes["error"]
        elif "skipped" in outcomes:
            row.status = "skipped"
        elif self.flaky_message is not None:
            # The message of the first failed attempt says why the test is flaky.
            row.status, row.message = "flaky", self.flaky_message
        row.attempts = 1 + self.reruns


class _Reader:
    """The xmlstream handler: follows the open elements and writes each test case's row as it ends.

    It runs for every element of reports with millions of them, so a case's row is made once, when the
    case opens (passed, one attempt), and the children's bookkeeping only for cases that have children.
    """

    def __init__(self, sink: RowSink):
        self.sink = sink
        self.statuses = dict.fromkeys(("passed", "failed", "error", "skipped", "flaky"), 0)
        self.duration = 0.0
        self.path: list[str] = []  # local names of the open elements, root first
        self.suites: list[str] = []  # names of the open <testsuite> elements
        # The open <testcase> elements (lists only because XML allows nesting them) and their children.
        self.cases: list[TestCaseRow] = []
        self.children: list[_Children | None] = []
        self.collecting: list[str] | None = None  # where text goes, while it is an open child's message

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        tag = xmlstream.local_name(tag)
        path = self.path
        if not path and tag not in _ROOTS:
            raise ParseError(f"root element <{tag}> is not {_WHAT}: expected <testsuites> or <testsuite>")
        self.collecting = None  # a message is the text before the child's own first child
        if tag == "testcase":
            self.cases.append(
                TestCaseRow(
                    suite=self.suites[-1] if self.suites else "",
                    name=attributes.get("name") or "",
                    classname=attributes.get("classname") or "",
                    duration_s=_seconds(attributes.get("time")),
                )
            )
            self.children.append(None)
        elif tag == "testsuite":
            self.suites.append(attributes.get("name") or "")
        elif path and path[-1] == "testcase" and tag in _CHILDREN:
            children = self.children[-1]
            if children is None:
                children = self.children[-1] = _Children()
            children.attribute = attributes.get("message")
            if not children.attribute:
                self.collecting = children.text = []
        path.append(tag)

    def data(self, text: str) -> None:
        if self.collecting is not None:
            self.collecting.append(text)

    def end(self, tag: str) -> None:
        tag = xmlstream.local_name(tag)
        path = self.path
        path.pop()
        self.collecting = None
        if tag == "testcase":
            row = self.cases.pop()
            children = self.children.pop()
            if children is not None:
                children.settle(row)
            self.sink.test_case(row)
            self.statuses[row.status] += 1
            self.duration += row.duration_s
        elif tag == "testsuite":
            self.suites.pop()
        elif path and path[-1] == "testcase" and tag in _CHILDREN:
            self.children[-1].end(tag)

    def summary(self) -> TestsSummary:
        statuses = self.statuses
        return TestsSummary(
            tests=sum(statuses.values()),
            passed=statuses["passed"],
            failures=statuses["failed"],
            errors=statuses["error"],
            skipped=statuses["skipped"],
            flaky=statuses["flaky"],
            duration_s=round(self.duration, 6),
        )


class JUnitXmlParser(Parser):
    format = "junit-xml"
    kind = "tests"
    label = "JUnit XML"
    producers = "pytest --junitxml, jest-junit, Maven Surefire, go-junit-report, gotestsum"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return head.xml_root in _ROOTS

    def parse(self, stream: BinaryIO, sink: RowSink) -> TestsSummary:
        reader = _Reader(sink)
        xmlstream.read(stream, reader, what=_WHAT, documents="test reports")
        return reader.summary()
