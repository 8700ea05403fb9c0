"""LCOV tracefiles (lcov.info), written by lcov/geninfo, Istanbul's lcov reporter, coverlet, c8 and grcov.

A tracefile is UTF-8 text, one ``KEY:value`` record per line; each source file is a block from ``SF:path``
to ``end_of_record``. Counting rules, per block, summed over the blocks:

* Lines: the block's LF (lines found) and LH (lines hit) summary records when both are present, as the
  tool reported them; otherwise its DA:line,hits records, each line number once (hits > 0 on any copy
  is hit), which is how lcov itself summarises a block.
* Branches: likewise BRF/BRH, else BRDA:line,block,branch,taken records, each (line, block, branch)
  once, taken when the count is a number above 0 ("-" means the branch's block never ran).
* A tracefile with no BRF, BRH or BRDA record at all has no branch data: the branch fields are None.
* A file listed in several blocks (tracefiles concatenated without `lcov -a`) counts once per block:
  LF/LH are per block and cannot be merged.

Other records (TN, FN, FNDA, FNF, FNH, VER, ...) are skipped. The file is read one line at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from evidence.parsers.base import CoverageSummary, Head, ParseError, Parser, RowSink

_WHAT = "LCOV tracefile"
# No real record comes near this; a longer line would have to be held whole in memory.
_MAX_LINE = 1024 * 1024
_RECORD = re.compile(r"([A-Z]+):(.*)")
_BRANCH_RECORDS = ("BRF", "BRH", "BRDA")
# Detection: a tracefile starts with a test name or a source file record, and a block shows early on.
_STARTS = re.compile(r"\A\s*(?:TN|SF):")
_SOURCE = re.compile(r"^SF:", re.MULTILINE)
_BODY = re.compile(r"^(?:end_of_record|DA:\d)", re.MULTILINE)


def _number(text: str, what: str, line_number: int) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit():
        raise ParseError(
            f"{_WHAT}: {what} must be a non-negative integer, found {value[:40]!r}", position=f"line {line_number}"
        )
    return int(value)


def _hits(text: str, line_number: int) -> int:
    """An execution count; gcov writes negative counts on counter overflow, which are read as not hit."""
    value = text.strip()
    try:
        return int(value)
    except ValueError:
        raise ParseError(
            f"{_WHAT}: execution count {value[:40]!r} is not a number", position=f"line {line_number}"
        ) from None


class _Block:
    """What one SF ... end_of_record block has said so far."""

    def __init__(self, source: str, line_number: int) -> None:
        self.source = source
        self.line_number = line_number
        self.summary: dict[str, int] = {}  # LF, LH, BRF, BRH
        self.lines: dict[int, bool] = {}  # line number -> hit
        self.branches: dict[tuple[str, str, str], bool] = {}  # (line, block, branch) -> taken

    def record(self, key: str, value: str, line_number: int) -> None:
        if key in ("LF", "LH", "BRF", "BRH"):
            self.summary[key] = _number(value, key, line_number)
        elif key == "DA":
            fields = value.split(",")
            if len(fields) < 2:
                raise ParseError(
                    f"{_WHAT}: DA record {value[:60]!r} is not DA:line,hits", position=f"line {line_number}"
                )
            source_line = _number(fields[0], "DA line number", line_number)
            self.lines[source_line] = self.lines.get(source_line, False) or _hits(fields[1], line_number) > 0
        elif key == "BRDA":
            fields = value.split(",")
            if len(fields) != 4:
                raise ParseError(
                    f"{_WHAT}: BRDA record {value[:60]!r} is not BRDA:line,block,branch,taken",
                    position=f"line {line_number}",
                )
            taken = fields[3].strip()
            branch = (fields[0].strip(), fields[1].strip(), fields[2].strip())
            self.branches[branch] = self.branches.get(branch, False) or (taken != "-" and _hits(taken, line_number) > 0)

    def counts(self, found: str, hit: str, detail: Mapping[Any, bool]) -> tuple[int, int]:
        if found in self.summary and hit in self.summary:
            whole, part = self.summary[found], self.summary[hit]
            if part > whole:
                raise ParseError(
                    f"{_WHAT}: {hit}:{part} is more than {found}:{whole} for {self.source!r}",
                    position=f"line {self.line_number}",
                )
            return whole, part
        return len(detail), sum(detail.values())


def _lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line, decoded as UTF-8 without its line ending."""
    line_number = 0
    while chunk := stream.readline(_MAX_LINE + 1):
        line_number += 1
        if len(chunk) > _MAX_LINE:
            raise ParseError(f"{_WHAT}: a line longer than {_MAX_LINE} bytes", position=f"line {line_number}")
        if line_number == 1 and chunk.startswith(b"\xef\xbb\xbf"):
            chunk = chunk[3:]
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"{_WHAT} is not valid UTF-8 (byte {exc.start + 1} of the line)", position=f"line {line_number}"
            ) from None
        yield line_number, text.rstrip("\r\n")


class LcovParser(Parser):
    format = "lcov"
    kind = "coverage"
    label = "LCOV tracefile"
    producers = "lcov/geninfo, Istanbul lcov reporter, coverlet, c8, grcov"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        if head.json_root or head.xml_root:
            return False
        text = head.text
        return bool(_STARTS.match(text) and _SOURCE.search(text) and _BODY.search(text))

    def parse(self, stream: BinaryIO, sink: RowSink) -> CoverageSummary:
        lines_total = lines_covered = branches_total = branches_covered = 0
        has_branches = False
        blocks = 0
        records = 0
        block: _Block | None = None
        for line_number, text in _lines(stream):
            stripped = text.strip()
            if not stripped:
                continue
            records += 1
            if stripped == "end_of_record":
                if block is None:
                    raise ParseError(
                        f"{_WHAT}: end_of_record without an SF record before it", position=f"line {line_number}"
                    )
                found, hit = block.counts("LF", "LH", block.lines)
                lines_total += found
                lines_covered += hit
                found, hit = block.counts("BRF", "BRH", block.branches)
                branches_total += found
                branches_covered += hit
                blocks += 1
                block = None
                continue
            match = _RECORD.fullmatch(stripped)
            if match is None:
                raise ParseError(
                    f"{_WHAT}: {stripped[:60]!r} is not an LCOV record (KEY:value)", position=f"line {line_number}"
                )
            key, value = match[1], match[2]
            if key == "SF":
                if block is not None:
                    raise ParseError(
                        f"{_WHAT}: SF record before the end_of_record of {block.source!r}",
                        position=f"line {line_number}",
                    )
                block = _Block(value.strip(), line_number)
            elif block is not None:
                has_branches = has_branches or key in _BRANCH_RECORDS
                block.record(key, value, line_number)
            elif key not in ("TN", "VER"):
                # Only the test name and format version may stand outside a block; a DA there has no file.
                raise ParseError(
                    f"{_WHAT}: {key} record outside an SF ... end_of_record block", position=f"line {line_number}"
                )
        if block is not None:
            raise ParseError(f"truncated {_WHAT}: the block of {block.source!r} has no end_of_record")
        if records == 0:
            raise ParseError(f"empty file: expected an {_WHAT}")
        if blocks == 0:
            raise ParseError(f"{_WHAT}: no SF ... end_of_record block; nothing was measured")
        if not has_branches:
            return CoverageSummary.from_counts(lines_total, lines_covered, None, None)
        return CoverageSummary.from_counts(lines_total, lines_covered, branches_total, branches_covered)
