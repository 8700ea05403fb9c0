"""SPDX 2.2 / 2.3 tag-value documents (``syft -o spdx``, spdx-tools, other SPDX 2.x tag-value writers).

The format is line-oriented: ``Tag: value`` lines, ``#`` comments and blank lines. A value may be a
``<text>...</text>`` block spanning lines; whatever it holds (license texts, comments that may contain
``PackageName:`` lines) is never read as tags.

A package starts at ``PackageName:``, and the ``SPDXID``, ``PackageVersion``, ``PrimaryPackagePurpose``,
``PackageLicenseConcluded``/``Declared`` and ``ExternalRef: PACKAGE-MANAGER purl <purl>`` lines that
follow belong to it until a file (``FileName:``), snippet (``SnippetSPDXID:``) or extracted license
(``LicenseID:``) starts. Counting rules, the same as for SPDX JSON: ``components`` counts every package
except the document's own subject, the elements named by ``Relationship: SPDXRef-DOCUMENT DESCRIBES
<id>`` (or ``<id> DESCRIBED_BY SPDXRef-DOCUMENT``); files and snippets are not components.

The file is read one line at a time, twice: relationships usually come after the packages, so a first
pass finds the document's subjects and a second streams the packages to the sink (nothing per package is
held, however large the SBOM).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from evidence.parsers.base import ComponentRow, Head, ParseError, Parser, RowSink, SbomSummary
from evidence.parsers.jsonstream import seekable

_WHAT = "SPDX tag-value"
_VERSIONS = {"SPDX-2.2": "2.2", "SPDX-2.3": "2.3"}
_DOCUMENT = "SPDXRef-DOCUMENT"
# Values meaning "nothing known" in license fields: they say nothing about the package's license.
_NO_LICENSE = frozenset({"", "NOASSERTION", "NONE"})
_TAG = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):\s*(.*)")
_SNIFF = re.compile(rb"^SPDXVersion:[ \t]*SPDX-", re.MULTILINE)
# Tags that end the current package: what follows them describes another kind of element.
_OTHER_ELEMENTS = frozenset({"FileName", "SnippetSPDXID", "LicenseID"})
# Tags whose values are used: only their <text> blocks are kept (license texts can be long).
_READ = frozenset({"SPDXVersion", "DocumentName", "PackageName", "SPDXID", "PackageVersion", "PrimaryPackagePurpose",
                   "PackageLicenseConcluded", "PackageLicenseDeclared", "ExternalRef", "Relationship"})  # fmt: skip
# No line of a real document comes near this; a longer one means the upload is not tag-value text.
_MAX_LINE = 1024 * 1024
_OPEN_TEXT, _CLOSE_TEXT = "<text>", "</text>"


@dataclass(slots=True)
class _Package:
    spdx_id: str = ""
    name: str = ""
    version: str = ""
    purl: str = ""
    concluded: str = ""
    declared: str = ""
    purpose: str = ""

    def row(self) -> ComponentRow:
        # The concluded license is the reviewed answer; the declared one is what the package claims.
        licenses = next((value for value in (self.concluded, self.declared) if value not in _NO_LICENSE), "")
        return ComponentRow(
            name=self.name,
            version=self.version,
            purl=self.purl,
            licenses=licenses,
            component_type=self.purpose.lower(),
        )


def _lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(line number, text) for every line, a long line refused before it can fill the memory."""
    number = 0
    while raw := stream.readline(_MAX_LINE + 1):
        number += 1
        if len(raw) > _MAX_LINE:
            raise ParseError(f"{_WHAT}: line {number} is longer than {_MAX_LINE} bytes; this is not tag-value text")
        # Real documents are UTF-8; a stray byte in a package comment must not cost the whole SBOM.
        yield number, raw.decode("utf-8", errors="replace").removeprefix("\ufeff" if number == 1 else "")


def _purl(reference: str) -> str:
    """The locator of an ``ExternalRef: <category> <type> <locator>`` value when it is a purl."""
    parts = reference.split(None, 2)
    # Tag-value spells the category PACKAGE-MANAGER; some writers use the JSON spelling PACKAGE_MANAGER.
    if len(parts) == 3 and parts[0].upper().replace("_", "-") == "PACKAGE-MANAGER" and parts[1] == "purl":
        return parts[2]
    return ""


def _tags(stream: BinaryIO) -> Iterator[tuple[str, str]]:
    """(tag, value) of every tag line, a ``<text>`` block joined into its value (kept only for read tags)."""
    text_tag = ""  # the tag whose <text> block is open
    text_start = 0
    text_parts: list[str] = []
    seen_any = False
    for number, line in _lines(stream):
        if text_tag:
            before, closed, _ = line.partition(_CLOSE_TEXT)
            if text_tag in _READ:
                text_parts.append(before)
            if not closed:
                continue
            tag, value, text_tag = text_tag, "".join(text_parts).strip(), ""
        else:
            stripped = line.strip()
            seen_any = seen_any or bool(stripped)
            if not stripped or stripped.startswith("#"):
                continue
            match = _TAG.fullmatch(stripped)
            if match is None:
                raise ParseError(f"{_WHAT}: line {number} is not a 'Tag: value' line: {stripped[:80]!r}")
            tag, value = match.groups()
            if value.startswith(_OPEN_TEXT):
                before, closed, _ = value[len(_OPEN_TEXT) :].partition(_CLOSE_TEXT)
                if not closed:
                    text_tag, text_start, text_parts = tag, number, [before + "\n"]
                    continue
                value = before.strip()
        yield tag, value
    if text_tag:
        raise ParseError(f"truncated {_WHAT}: the <text> value of {text_tag} opened at line {text_start} never ends")
    if not seen_any:
        raise ParseError(f"empty file: expected an {_WHAT} document")


def _describe(stream: BinaryIO, summary: SbomSummary) -> set[str]:
    """The first pass: the version and name into ``summary``; returns the document's subjects."""
    subjects: set[str] = set()
    for tag, value in _tags(stream):
        if tag == "SPDXVersion":
            if summary.spec_version:
                continue
            if value not in _VERSIONS:
                raise ParseError(f"SPDX version {value!r} is not supported; this reads SPDX-2.2 and SPDX-2.3")
            summary.spec_version = _VERSIONS[value]
        elif tag == "DocumentName" and not summary.name:
            summary.name = value
        elif tag == "Relationship":
            parts = value.split()
            if len(parts) == 3 and parts[1] == "DESCRIBES" and parts[0] == _DOCUMENT:
                subjects.add(parts[2])
            elif len(parts) == 3 and parts[1] == "DESCRIBED_BY" and parts[2] == _DOCUMENT:
                subjects.add(parts[0])
    if not summary.spec_version:
        raise ParseError(f"{_WHAT}: no SPDXVersion line; this is not an SPDX 2.x tag-value document")
    return subjects


def _packages(stream: BinaryIO) -> Iterator[_Package]:
    """The second pass: each package, once the lines describing it have ended."""
    package: _Package | None = None  # the package the current lines describe
    for tag, value in _tags(stream):
        if tag == "PackageName" or tag in _OTHER_ELEMENTS:
            if package is not None:
                yield package
            package = _Package(name=value) if tag == "PackageName" else None
        elif package is not None:
            if tag == "SPDXID" and not package.spdx_id:
                package.spdx_id = value
            elif tag == "PackageVersion":
                package.version = value
            elif tag == "PrimaryPackagePurpose":
                package.purpose = value
            elif tag == "PackageLicenseConcluded":
                package.concluded = value
            elif tag == "PackageLicenseDeclared":
                package.declared = value
            elif tag == "ExternalRef" and not package.purl:
                package.purl = _purl(value)
    if package is not None:
        yield package


class SpdxTagValueParser(Parser):
    format = "spdx-tag-value"
    kind = "sbom"
    label = "SPDX tag-value"
    producers = "syft -o spdx, spdx-tools, other SPDX 2.x tag-value writers"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return not head.json_root and not head.xml_root and _SNIFF.search(head.raw) is not None

    def parse(self, stream: BinaryIO, sink: RowSink) -> SbomSummary:
        summary = SbomSummary(spec="spdx")
        with seekable(stream) as readable:
            subjects = _describe(readable, summary)
            readable.seek(0)
            for package in _packages(readable):
                if package.spdx_id not in subjects:
                    summary.components += 1
                    sink.component(package.row())
        return summary
