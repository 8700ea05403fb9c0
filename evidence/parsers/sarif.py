"""Placeholder: being written."""

from evidence.parsers.base import Parser


class SarifParser(Parser):
    format = "sarif"
    kind = "sast"
    label = "SARIF 2.1.0"

    @classmethod
    def sniff(cls, head):
        return False
