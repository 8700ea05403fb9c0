"""Placeholder: being written."""

from evidence.parsers.base import Parser


class GoCoverProfileParser(Parser):
    format = "go-coverprofile"
    kind = "coverage"
    label = "Go cover profile"

    @classmethod
    def sniff(cls, head):
        return False
