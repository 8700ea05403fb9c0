"""JaCoCo XML coverage reports, written by the JaCoCo report task of Maven (jacoco:report) and Gradle.

The root is <report>; <group>/<package>/<class>/<method>/<sourcefile> elements each carry
<counter type= missed= covered=> totals for their own subtree. Counting rules:

* Only the report-level counters are read: the <counter> elements that are direct children of <report>,
  written last, after every package. They are JaCoCo's own totals for the whole report.
* lines_total = missed + covered of type LINE; branches likewise from type BRANCH.
* JaCoCo writes a counter only when its total is above zero, so a missing LINE or BRANCH counter means
  0 measured (percentages are then None), not that the format lacks branch data: JaCoCo always
  measures branches.

The file is streamed through defusedxml's iterparse and each element is dropped once it has been read.
JaCoCo's own <!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"> is allowed and never
fetched; entity declarations are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from evidence.parsers import xmlstream
from evidence.parsers.base import CoverageSummary, Head, ParseError, Parser, RowSink

_WHAT = "JaCoCo XML"
_TYPES = ("LINE", "BRANCH")


def _events(stream: BinaryIO) -> Iterator[tuple[str, Any]]:
    return xmlstream.events(stream, what=_WHAT, documents="coverage reports")


def _count(element: Any, attribute: str, kind: str) -> int:
    value = element.get(attribute)
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        raise ParseError(
            f"{_WHAT}: {attribute} of the report-level {kind} counter must be a non-negative integer, "
            f"found {str(value)[:40]!r}"
        )
    return int(text)


class JacocoXmlParser(Parser):
    format = "jacoco-xml"
    kind = "coverage"
    label = "JaCoCo XML"
    producers = "JaCoCo report (Maven/Gradle)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        # <report> is a common root name: require one of the marks every JaCoCo report has near its start.
        text = head.text
        return head.xml_root == "report" and ("JACOCO" in text or "<counter" in text or "<sessioninfo" in text)

    def parse(self, stream: BinaryIO, sink: RowSink) -> CoverageSummary:
        totals: dict[str, tuple[int, int]] = {}  # counter type -> (missed, covered)
        path: list[Any] = []  # the open elements, root first
        for event, element in _events(stream):
            tag = xmlstream.local_name(element.tag)
            if event == "start":
                if not path and tag != "report":
                    raise ParseError(f"root element <{tag}> is not {_WHAT}: expected <report>")
                path.append(element)
                continue
            path.pop()
            # len(path) == 1: the element's parent is <report>, so this is a report-level counter.
            if tag == "counter" and len(path) == 1:
                kind = element.get("type") or ""
                if kind in _TYPES:
                    if kind in totals:
                        raise ParseError(f"{_WHAT}: <report> has two {kind} counters")
                    totals[kind] = (_count(element, "missed", kind), _count(element, "covered", kind))
            # Children end before their parent: dropping each one keeps the tree no bigger than the path.
            element.clear()
            if path:
                path[-1].remove(element)
        lines_missed, lines_covered = totals.get("LINE", (0, 0))
        branches_missed, branches_covered = totals.get("BRANCH", (0, 0))
        return CoverageSummary.from_counts(
            lines_missed + lines_covered, lines_covered, branches_missed + branches_covered, branches_covered
        )
