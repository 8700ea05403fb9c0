"""Cobertura XML coverage reports, written by coverage.py (`coverage xml`), Istanbul's cobertura reporter,
coverlet, gcovr and cobertura-maven.

The root is <coverage>; <package>/<class> elements hold <line number= hits= branch= condition-coverage=>
elements, repeated under <method> by most producers. Counting rules:

* The root attributes ``lines-valid``/``lines-covered`` and ``branches-valid``/``branches-covered`` are
  used whenever the pair is present: they are the totals the tool itself reported, and Istanbul writes
  its branch counts only there (its <line> elements all say branch="false"). coverage.py run without
  --branch writes branches-valid="0": 0 measured, so the branch percentage is None.
* A pair missing from the root (cobertura-maven 1.x writes only the rates) is counted from the
  <class><lines><line> elements instead. <method><lines> is skipped: coverlet repeats class lines there,
  and Istanbul lists function declaration lines there that are not statements. Each (class filename,
  line number) counts once, because a file's lines repeat under each of its classes in some producers'
  output: a line is covered when any of its copies has hits > 0. Branches come from ``branch="true"``
  lines, "50% (1/2)" meaning 1 of 2 taken; a report with no such line has no branch data (None).
* <line> elements are not read when the root carries both pairs.

The file is streamed through defusedxml's iterparse and each element is dropped once it has been read,
so memory is bounded by the distinct lines being counted, not the file. Entity declarations are refused;
a <!DOCTYPE> naming the Cobertura DTD is allowed and never fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from evidence.parsers import xmlstream
from evidence.parsers.base import CoverageSummary, Head, ParseError, Parser, RowSink

_WHAT = "Cobertura XML"
# condition-coverage="50% (1/2)": the counts in brackets are what matters, the percentage is rounded.
_CONDITIONS = re.compile(r"\(\s*(\d+)\s*/\s*(\d+)\s*\)")
# The start tag of the root, to tell Cobertura from Clover, whose root is also <coverage>.
_ROOT_TAG = re.compile(r"<coverage\b([^>]*)>")


def _events(stream: BinaryIO) -> Iterator[tuple[str, Any]]:
    return xmlstream.events(stream, what=_WHAT, documents="coverage reports")


def _count(value: str | None, where: str) -> int:
    """A non-negative integer attribute; anything else means the report cannot be trusted for a gate."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        raise ParseError(f"{_WHAT}: {where} must be a non-negative integer, found {str(value)[:40]!r}")
    return int(text)


def _header_pair(root: Any, valid: str, covered: str) -> tuple[int, int] | None:
    """(total, covered) from two root attributes, or None when either is missing."""
    if root.get(valid) is None or root.get(covered) is None:
        return None
    whole = _count(root.get(valid), f"<coverage {valid}>")
    part = _count(root.get(covered), f"<coverage {covered}>")
    if part > whole:
        raise ParseError(f"{_WHAT}: <coverage> says {covered}={part}, more than {valid}={whole}")
    return whole, part


class _LineCounts:
    """Distinct (file, line number) seen in <line> elements, merged over their repeated copies."""

    def __init__(self) -> None:
        self.covered: dict[tuple[str, int], bool] = {}
        self.branches: dict[tuple[str, int], tuple[int, int]] = {}  # (taken, total) of the best copy

    def add(self, filename: str, element: Any) -> None:
        number = _count(element.get("number"), f"<line number> in {filename!r}")
        where = f"<line number={number}> in {filename!r}"
        key = (filename, number)
        hits = _count(element.get("hits"), f"hits of {where}")
        self.covered[key] = self.covered.get(key, False) or hits > 0
        if (element.get("branch") or "").strip().lower() != "true":
            return
        condition = element.get("condition-coverage")
        if condition is None:
            return  # a branch line without counts: nothing to add, not an error
        match = _CONDITIONS.search(condition)
        if match is None:
            raise ParseError(f'{_WHAT}: condition-coverage of {where} is {condition[:40]!r}, expected "50% (1/2)"')
        taken, total = int(match[1]), int(match[2])
        if taken > total:
            raise ParseError(f"{_WHAT}: condition-coverage of {where} has {taken} of {total} branches taken")
        # Copies of one line should agree; if not, keep the one that measured most branches (then most taken).
        self.branches[key] = max(self.branches.get(key, (0, 0)), (taken, total), key=lambda pair: (pair[1], pair[0]))

    def lines(self) -> tuple[int, int]:
        return len(self.covered), sum(self.covered.values())

    def branch_counts(self) -> tuple[int, int] | None:
        if not self.branches:
            return None
        return sum(total for _, total in self.branches.values()), sum(taken for taken, _ in self.branches.values())


class CoberturaXmlParser(Parser):
    format = "cobertura-xml"
    kind = "coverage"
    label = "Cobertura XML"
    producers = "coverage.py `coverage xml`, Istanbul cobertura reporter, coverlet, gcovr, cobertura-maven"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        # JaCoCo's root is <report>, so the root name alone excludes it; Clover's root is also <coverage>
        # but carries a "clover" version attribute and none of Cobertura's required rate attributes.
        if head.xml_root != "coverage" or head.xml_namespace:
            return False
        match = _ROOT_TAG.search(head.text)
        attributes = match[1] if match else ""
        return "clover=" not in attributes and ("line-rate=" in attributes or "lines-valid=" in attributes)

    def parse(self, stream: BinaryIO, sink: RowSink) -> CoverageSummary:
        lines: tuple[int, int] | None = None
        branches: tuple[int, int] | None = None
        counts = _LineCounts()
        count_lines = False  # set when the root lacks a pair
        path: list[Any] = []  # the open elements, root first
        filenames: list[str] = []  # filename of each open <class>
        for event, element in _events(stream):
            tag = xmlstream.local_name(element.tag)
            if event == "start":
                if not path:
                    if tag != "coverage":
                        raise ParseError(f"root element <{tag}> is not {_WHAT}: expected <coverage>")
                    if element.get("clover") is not None:
                        raise ParseError(f"this is Clover XML (<coverage clover=...>), not {_WHAT}")
                    lines = _header_pair(element, "lines-valid", "lines-covered")
                    branches = _header_pair(element, "branches-valid", "branches-covered")
                    count_lines = lines is None or branches is None
                elif tag == "class":
                    filenames.append(element.get("filename") or element.get("name") or "")
                path.append(element)
                continue
            path.pop()
            if tag == "class":
                filenames.pop()
            elif (
                tag == "line"
                and count_lines
                and [xmlstream.local_name(parent.tag) for parent in path[-2:]] == ["class", "lines"]
            ):
                counts.add(filenames[-1], element)
            # Children end before their parent: dropping each one keeps the tree no bigger than the path.
            element.clear()
            if path:
                path[-1].remove(element)
        lines_total, lines_covered = lines if lines is not None else counts.lines()
        if branches is None:
            branches = counts.branch_counts()
        if branches is None:
            return CoverageSummary.from_counts(lines_total, lines_covered, None, None)
        return CoverageSummary.from_counts(lines_total, lines_covered, branches[0], branches[1])
