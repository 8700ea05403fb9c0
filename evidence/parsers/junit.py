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

The file is streamed through defusedxml's iterparse and each element is dropped once it has been read,
so memory is bounded by the largest single test case, not the file. Entity declarations are refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from evidence.parsers import xmlstream
from evidence.parsers.base import Head, ParseError, Parser, RowSink, TestCaseRow, TestsSummary

_WHAT = "JUnit XML"
_ROOTS = frozenset({"testsuites", "testsuite"})
_FLAKY = frozenset({"flakyFailure", "flakyError"})
_RERUNS = _FLAKY | {"rerunFailure", "rerunError"}
_OUTCOMES = frozenset({"failure", "error", "skipped"})
_MESSAGE_LIMIT = 1000


def _seconds(value: str | None) -> float:
    """A ``time`` attribute in seconds; some producers write thousands separators, a few write junk."""
    try:
        seconds = float((value or "0").replace(",", ""))
    except ValueError:
        return 0.0
    # "nan", "inf" and negative values parse as floats but would poison the total.
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _message(element: Any) -> str:
    return (element.get("message") or element.text or "").strip()[:_MESSAGE_LIMIT]


@dataclass(slots=True)
class _Case:
    """What has been seen of one open <testcase> so far."""

    suite: str
    name: str
    classname: str
    duration_s: float
    outcomes: dict[str, str] = field(default_factory=dict)  # outcome tag -> message of its first element
    flaky_message: str | None = None
    reruns: int = 0

    def child(self, tag: str, element: Any) -> None:
        if tag in _OUTCOMES:
            self.outcomes.setdefault(tag, _message(element))
        elif tag in _RERUNS:
            self.reruns += 1
            if tag in _FLAKY and self.flaky_message is None:
                self.flaky_message = _message(element)

    def row(self) -> TestCaseRow:
        if "failure" in self.outcomes:
            status, message = "failed", self.outcomes["failure"]
        elif "error" in self.outcomes:
            status, message = "error", self.outcomes["error"]
        elif "skipped" in self.outcomes:
            status, message = "skipped", ""
        elif self.flaky_message is not None:
            # The message of the first failed attempt says why the test is flaky.
            status, message = "flaky", self.flaky_message
        else:
            status, message = "passed", ""
        return TestCaseRow(
            suite=self.suite,
            name=self.name,
            classname=self.classname,
            status=status,
            duration_s=self.duration_s,
            attempts=1 + self.reruns,
            message=message,
        )


def _events(stream: BinaryIO) -> Iterator[tuple[str, Any]]:
    return xmlstream.events(stream, what=_WHAT, documents="test reports")


class JUnitXmlParser(Parser):
    format = "junit-xml"
    kind = "tests"
    label = "JUnit XML"
    producers = "pytest --junitxml, jest-junit, Maven Surefire, go-junit-report, gotestsum"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return head.xml_root in _ROOTS

    def parse(self, stream: BinaryIO, sink: RowSink) -> TestsSummary:
        summary = TestsSummary()
        duration = 0.0
        path: list[Any] = []  # the open elements, root first
        suites: list[str] = []  # names of the open <testsuite> elements
        cases: list[_Case] = []  # open <testcase> elements (a list only because XML allows nesting them)
        for event, element in _events(stream):
            tag = xmlstream.local_name(element.tag)
            if event == "start":
                if not path and tag not in _ROOTS:
                    raise ParseError(f"root element <{tag}> is not {_WHAT}: expected <testsuites> or <testsuite>")
                path.append(element)
                if tag == "testsuite":
                    suites.append(element.get("name") or "")
                elif tag == "testcase":
                    cases.append(
                        _Case(
                            suite=suites[-1] if suites else "",
                            name=element.get("name") or "",
                            classname=element.get("classname") or "",
                            duration_s=_seconds(element.get("time")),
                        )
                    )
                continue
            path.pop()
            if tag == "testsuite":
                suites.pop()
            elif tag == "testcase":
                row = cases.pop().row()
                sink.test_case(row)
                summary.tests += 1
                duration += row.duration_s
                if row.status == "failed":
                    summary.failures += 1
                elif row.status == "error":
                    summary.errors += 1
                elif row.status == "skipped":
                    summary.skipped += 1
                elif row.status == "flaky":
                    summary.flaky += 1
                else:
                    summary.passed += 1
            elif path and xmlstream.local_name(path[-1].tag) == "testcase":
                cases[-1].child(tag, element)
            # Children end before their parent, so dropping each element here keeps the tree no bigger
            # than the current path. clear() alone would leave an empty element behind per test case.
            element.clear()
            if path:
                path[-1].remove(element)
        summary.duration_s = round(duration, 6)
        return summary
