"""Placeholder: being written."""

from evidence.parsers.base import Parser


class SpdxTagValueParser(Parser):
    format = "spdx-tag-value"
    kind = "sbom"
    label = "SPDX tag-value"

    @classmethod
    def sniff(cls, head):
        return False
