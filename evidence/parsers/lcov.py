"""Placeholder: being written."""

from evidence.parsers.base import Parser


class LcovParser(Parser):
    format = "lcov"
    kind = "coverage"
    label = "LCOV tracefile"

    @classmethod
    def sniff(cls, head):
        return False
