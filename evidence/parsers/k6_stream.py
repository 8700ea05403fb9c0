"""Placeholder: being written."""

from evidence.parsers.base import Parser


class K6JsonStreamParser(Parser):
    format = "k6-json-stream"
    kind = "load"
    label = "k6 --out json stream"

    @classmethod
    def sniff(cls, head):
        return False
