"""Placeholder: being written."""

from evidence.parsers.base import Parser


class GrypeJsonParser(Parser):
    format = "grype-json"
    kind = "vulnerabilities"
    label = "Grype JSON"

    @classmethod
    def sniff(cls, head):
        return False
