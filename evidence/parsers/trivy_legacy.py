"""Placeholder: being written."""

from evidence.parsers.base import Parser


class TrivyLegacyParser(Parser):
    format = "trivy-legacy-json"
    kind = "vulnerabilities"
    label = "Trivy JSON (pre-2021 list format)"

    @classmethod
    def sniff(cls, head):
        return False
