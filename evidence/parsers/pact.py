"""Placeholder: being written."""

from evidence.parsers.base import Parser


class PactFileParser(Parser):
    format = "pact"
    kind = "contract"
    label = "Pact file"

    @classmethod
    def sniff(cls, head):
        return False
