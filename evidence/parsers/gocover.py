"""Go cover profiles, written by `go test -coverprofile` in its three modes (set, count, atomic).

The first line is "mode: set|count|atomic"; every other line is one basic block,
``file:startLine.startCol,endLine.endCol numStatements count``. Counting rules, those of `go tool cover`:

* Go measures statements, not lines: lines_total is the number of statements and lines_covered the
  statements in blocks that ran (count > 0), which gives the percentage `go test -cover` prints.
* The same block (file and start/end position) can appear more than once, in profiles merged from
  several packages or runs: it counts once, as run when any copy ran. Copies that disagree on the
  number of statements are an error, as in `go tool cover`.
* Concatenated profiles repeat the mode line; a repeat naming the same mode is skipped, another mode is
  an error (set counts cannot be merged with count/atomic ones).
* Go profiles have no branch data: the branch fields are None.

The file is read one line at a time; memory is bounded by the number of distinct blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from evidence.parsers.base import CoverageSummary, Head, ParseError, Parser, RowSink

_WHAT = "Go cover profile"
# Longer than any real block line (a path plus five numbers); a longer line would be held whole in memory.
_MAX_LINE = 64 * 1024
_MODE = re.compile(r"mode: (set|count|atomic)")
# The file name may itself hold ':' (Windows drives), so the position is anchored at the end of the line.
_BLOCK = re.compile(r"(.+):(\d+)\.(\d+),(\d+)\.(\d+) (\d+) (\d+)")
_SNIFF = re.compile(r"\Amode: (?:set|count|atomic)[ \t]*\r?$", re.MULTILINE)


def _lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line, decoded as UTF-8 without its line ending."""
    line_number = 0
    while chunk := stream.readline(_MAX_LINE + 1):
        line_number += 1
        if len(chunk) > _MAX_LINE:
            raise ParseError(f"{_WHAT}: a line longer than {_MAX_LINE} bytes", position=f"line {line_number}")
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"{_WHAT} is not valid UTF-8 (byte {exc.start + 1} of the line)", position=f"line {line_number}"
            ) from None
        yield line_number, text.rstrip("\r\n")


class GoCoverProfileParser(Parser):
    format = "go-coverprofile"
    kind = "coverage"
    label = "Go cover profile"
    producers = "go test -coverprofile (set, count, atomic modes)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return bool(_SNIFF.match(head.text))

    def parse(self, stream: BinaryIO, sink: RowSink) -> CoverageSummary:
        mode = ""
        # file -> (start line, start column, end line, end column) -> (statements, ran)
        blocks: dict[str, dict[tuple[int, int, int, int], tuple[int, bool]]] = {}
        for line_number, text in _lines(stream):
            line = text.strip()
            if not line:
                continue
            if not mode:
                match = _MODE.fullmatch(line)
                if match is None:
                    raise ParseError(
                        f'{_WHAT}: the first line must be "mode: set", "mode: count" or "mode: atomic", '
                        f"found {line[:60]!r}",
                        position=f"line {line_number}",
                    )
                mode = match[1]
                continue
            if line.startswith("mode:"):
                if line != f"mode: {mode}":
                    raise ParseError(f"{_WHAT}: {line[:40]!r} after mode: {mode}", position=f"line {line_number}")
                continue
            match = _BLOCK.fullmatch(line)
            if match is None:
                raise ParseError(
                    f"{_WHAT}: {line[:80]!r} is not a block (file:line.col,line.col statements count)",
                    position=f"line {line_number}",
                )
            position = (int(match[2]), int(match[3]), int(match[4]), int(match[5]))
            statements, ran = int(match[6]), int(match[7]) > 0
            per_file = blocks.setdefault(match[1], {})
            seen = per_file.get(position)
            if seen is not None:
                if seen[0] != statements:
                    raise ParseError(
                        f"{_WHAT}: block {match[1]}:{position[0]}.{position[1]} has {seen[0]} statements in one "
                        f"copy and {statements} in another",
                        position=f"line {line_number}",
                    )
                ran = ran or seen[1]
            per_file[position] = (statements, ran)
        if not mode:
            raise ParseError(f'empty file: expected a {_WHAT} starting "mode: "')
        total = covered = 0
        for per_file in blocks.values():
            for statements, ran in per_file.values():
                total += statements
                covered += statements if ran else 0
        return CoverageSummary.from_counts(total, covered, None, None)
