"""SPDX 2.2 / 2.3 JSON documents (``syft -o spdx-json``, ``trivy --format spdx-json``, ...).

``components`` counts every entry of ``packages`` except the document's own subject: the elements it
DESCRIBES, named in ``documentDescribes`` and/or by DESCRIBES relationships from SPDXRef-DOCUMENT (or
the inverse, DESCRIBED_BY relationships pointing at it). Entries of ``files`` and snippets are not
components. Each package becomes one component row; SPDX has no nesting, so nothing else is counted.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from evidence.parsers.base import ComponentRow, Head, ParseError, Parser, RowSink, SbomSummary
from evidence.parsers.jsonstream import MISSING, first, items, seekable

_WHAT = "SPDX JSON"
_VERSIONS = {"SPDX-2.2": "2.2", "SPDX-2.3": "2.3"}
_DOCUMENT = "SPDXRef-DOCUMENT"
# Values meaning "nothing known" in license fields: they say nothing about the package's license.
_NO_LICENSE = {"", "NOASSERTION", "NONE"}


def _purl(package: dict[str, Any]) -> str:
    refs = package.get("externalRefs")
    for ref in refs if isinstance(refs, list) else ():
        if isinstance(ref, dict) and ref.get("referenceType") == "purl":
            return str(ref.get("referenceLocator") or "")
    return ""


def _licenses(package: dict[str, Any]) -> str:
    # The concluded license is the reviewed answer; the declared one is what the package claims.
    for key in ("licenseConcluded", "licenseDeclared"):
        value = str(package.get(key) or "").strip()
        if value not in _NO_LICENSE:
            return value
    return ""


def _component(package: dict[str, Any]) -> ComponentRow:
    return ComponentRow(
        name=str(package.get("name") or ""),
        version=str(package.get("versionInfo") or ""),
        purl=_purl(package),
        licenses=_licenses(package),
        component_type=str(package.get("primaryPackagePurpose") or "").lower(),
    )


def _expect_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(f"{_WHAT}: expected an object in {where}, found {type(value).__name__}")
    return value


class SpdxJsonParser(Parser):
    format = "spdx-json"
    kind = "sbom"
    label = "SPDX JSON"
    producers = "syft -o spdx-json, trivy --format spdx-json, other SPDX 2.2/2.3 JSON writers"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return head.json_root == "object" and "spdxVersion" in head.json_keys

    def parse(self, stream: BinaryIO, sink: RowSink) -> SbomSummary:
        with seekable(stream) as readable:
            return self._parse(readable, sink)

    def _parse(self, stream: BinaryIO, sink: RowSink) -> SbomSummary:
        summary = SbomSummary(spec="spdx")
        version = first(stream, "spdxVersion", what=_WHAT)
        if version is MISSING:
            raise ParseError(f"{_WHAT}: no spdxVersion; this is not an SPDX 2.x JSON document")
        if not isinstance(version, str) or version not in _VERSIONS:
            raise ParseError(f"SPDX version {version!r} is not supported; this reads SPDX-2.2 and SPDX-2.3 JSON")
        summary.spec_version = _VERSIONS[version]
        name = first(stream, "name", what=_WHAT)
        summary.name = "" if name is MISSING else str(name or "")
        # Relationships usually follow the packages: the document's subjects are read in passes of their
        # own first (each in ijson's C code), so the packages then stream straight to the sink and a huge
        # SBOM never has to be held in memory.
        subjects = {str(value) for value in items(stream, "documentDescribes.item", what=_WHAT)}
        for value in items(stream, "relationships.item", what=_WHAT):
            relationship = _expect_object(value, "relationships")
            kind = relationship.get("relationshipType")
            source, target = relationship.get("spdxElementId"), relationship.get("relatedSpdxElement")
            if kind == "DESCRIBES" and source == _DOCUMENT:
                subjects.add(str(target))
            elif kind == "DESCRIBED_BY" and target == _DOCUMENT:
                subjects.add(str(source))
        for value in items(stream, "packages.item", what=_WHAT):
            package = _expect_object(value, "packages")
            if str(package.get("SPDXID") or "") not in subjects:
                summary.components += 1
                sink.component(_component(package))
        return summary
