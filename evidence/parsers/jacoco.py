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
from xml.parsers.expat import errors as expat_errors

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException, EntitiesForbidden

from evidence.parsers.base import CoverageSummary, Head, ParseError, Parser, RowSink

_WHAT = "JaCoCo XML"
_TYPES = ("LINE", "BRANCH")
_NO_ELEMENTS = expat_errors.codes[expat_errors.XML_ERROR_NO_ELEMENTS]
# expat error codes meaning the input stopped early, as opposed to being malformed.
_TRUNCATED = frozenset(
    expat_errors.codes[name]
    for name in (
        expat_errors.XML_ERROR_NO_ELEMENTS,
        expat_errors.XML_ERROR_UNCLOSED_TOKEN,
        expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
        expat_errors.XML_ERROR_PARTIAL_CHAR,
    )
)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _events(stream: BinaryIO) -> Iterator[tuple[str, Any]]:
    """defusedxml's iterparse, with every way it can refuse the input turned into a ParseError."""
    seen_element = False
    try:
        for event, element in SafeET.iterparse(stream, events=("start", "end")):
            seen_element = True
            yield event, element
    except SafeET.ParseError as exc:
        if exc.code == _NO_ELEMENTS and not seen_element:
            raise ParseError(f"empty file: expected a {_WHAT} document") from None
        line, column = exc.position
        position = f"line {line} column {column}"
        reason = str(exc).rpartition(": line ")[0] or str(exc)  # the position is reported separately
        if exc.code in _TRUNCATED:
            raise ParseError(f"truncated {_WHAT} ({reason})", position=position) from None
        raise ParseError(f"cannot read {_WHAT}: {reason}", position=position) from None
    except EntitiesForbidden as exc:
        target = f" pointing at {exc.sysid}" if exc.sysid else ""
        raise ParseError(
            f"refused unsafe {_WHAT}: it declares the entity {exc.name!r}{target}; "
            "coverage reports never need entity declarations"
        ) from None
    except DefusedXmlException as exc:
        raise ParseError(f"refused unsafe {_WHAT}: {exc}") from None
    except (LookupError, ValueError) as exc:
        # An XML declaration naming an encoding expat cannot read (multi-byte ones such as Shift_JIS).
        raise ParseError(f"{_WHAT} in an encoding that cannot be read: {exc}") from None


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
            tag = _local(element.tag)
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
