"""Placeholder: being written."""

from evidence.parsers.base import Parser


class PactVerificationParser(Parser):
    format = "pact-verification"
    kind = "contract"
    label = "Pact verification result"

    @classmethod
    def sniff(cls, head):
        return False
