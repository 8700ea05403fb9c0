"""Placeholder: being written."""

from evidence.parsers.base import Parser


class InTotoParser(Parser):
    format = "intoto-dsse"
    kind = "attestation"
    label = "in-toto attestation (DSSE envelope or Statement)"

    @classmethod
    def sniff(cls, head):
        return False
