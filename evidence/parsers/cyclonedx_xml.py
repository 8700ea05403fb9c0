"""CycloneDX XML BOMs, spec 1.0 to 1.7: the root <bom> in namespace http://cyclonedx.org/schema/bom/1.x.

Producers: cyclonedx-maven-plugin, cyclonedx-php-composer, ``grype -o cyclonedx`` and other CycloneDX
XML writers. ``spec_version`` is read from the namespace (the XML schemas carry no specVersion element);
``name`` is the name of ``metadata/component``, the BOM's subject.

Counting rules, the same as for CycloneDX JSON: ``components`` counts every <component> of the top-level
<components> and, recursively, every <component> in a counted component's own <components>.
``metadata/component`` (and anything in it) is the subject and is not counted; neither are components
anywhere else (pedigree ancestors, formulation) nor elements of other namespaces, such as the 1.0
vulnerability extension grype 0.11 put inside components. Licenses are ``licenses/license/id`` or ``name``
and ``licenses/expression``, each mentioned once.

The file is streamed through defusedxml's iterparse; each element is dropped once read, so memory is
bounded by the depth of the document, not its size. Entity declarations are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from evidence.parsers import xmlstream
from evidence.parsers.base import ComponentRow, Head, ParseError, Parser, RowSink, SbomSummary

_WHAT = "CycloneDX XML"
_NAMESPACE = "http://cyclonedx.org/schema/bom/"
_VERSIONS = frozenset({"1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"})
_FIELDS = frozenset({"name", "version", "purl"})


@dataclass(slots=True)
class _Component:
    """What has been read of one open, counted <component>."""

    depth: int  # its index in the path of open elements
    component_type: str
    fields: dict[str, str] = field(default_factory=dict)  # name, version, purl
    licenses: list[str] = field(default_factory=list)
    emitted: bool = False

    def add_license(self, text: str) -> None:
        # Producers repeat a license once per source that declared it; one mention is enough.
        if text and text not in self.licenses:
            self.licenses.append(text)

    def row(self) -> ComponentRow:
        return ComponentRow(
            name=self.fields.get("name", ""),
            version=self.fields.get("version", ""),
            purl=self.fields.get("purl", ""),
            licenses=", ".join(self.licenses),
            component_type=self.component_type,
        )


def _events(stream: BinaryIO) -> Iterator[tuple[str, Any]]:
    return xmlstream.events(stream, what=_WHAT, documents="BOMs")


def _spec_version(tag: str) -> str:
    """The spec version named by the root element's namespace, or a ParseError saying what is wrong."""
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if local != "bom":
        raise ParseError(f"root element <{local}> is not {_WHAT}: expected <bom>")
    if not namespace.startswith(_NAMESPACE):
        found = f"namespace {namespace}" if namespace else "no namespace"
        raise ParseError(f"{_WHAT}: <bom> has {found}, expected {_NAMESPACE}1.x")
    version = namespace.removeprefix(_NAMESPACE)
    if version not in _VERSIONS:
        raise ParseError(f"CycloneDX XML namespace {namespace} is not supported; this reads CycloneDX 1.0 to 1.7")
    return version


class CycloneDxXmlParser(Parser):
    format = "cyclonedx-xml"
    kind = "sbom"
    label = "CycloneDX XML"
    producers = "cyclonedx-maven-plugin, cyclonedx-php-composer, grype -o cyclonedx, other CycloneDX XML writers"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        return head.xml_root == "bom" and "cyclonedx.org/schema/bom" in head.xml_namespace

    def parse(self, stream: BinaryIO, sink: RowSink) -> SbomSummary:
        summary = SbomSummary(spec="cyclonedx")
        prefix = ""  # "{namespace}" of the BOM: elements of other namespaces never match a BOM tag
        path: list[Any] = []  # the open elements, root first
        tags: list[str] = []  # their local names, or their full tag when in another namespace
        containers: list[int] = []  # depths of the open <components> whose children are counted
        components: list[_Component] = []  # the open counted components, outermost first
        for event, element in _events(stream):
            if event == "start":
                if not path:
                    summary.spec_version = _spec_version(element.tag)
                    prefix = element.tag.rpartition("}")[0] + "}"
                depth = len(path)
                tag = element.tag.removeprefix(prefix)
                if tag == "components" and (depth == 1 or (components and components[-1].depth == depth - 1)):
                    containers.append(depth)
                    # A component's own fields precede its nested components in every schema version,
                    # so emitting it now keeps the rows in document order.
                    if components and not components[-1].emitted:
                        sink.component(components[-1].row())
                        components[-1].emitted = True
                elif tag == "component" and containers and containers[-1] == depth - 1:
                    components.append(_Component(depth=depth, component_type=element.get("type") or ""))
                    summary.components += 1
                path.append(element)
                tags.append(tag)
                continue
            depth = len(path) - 1
            tag = tags[-1]
            owner = components[-1].depth if components else -1
            text = (element.text or "").strip()
            if tag == "component" and owner == depth:
                done = components.pop()
                if not done.emitted:
                    sink.component(done.row())
            elif tag == "components" and containers and containers[-1] == depth:
                containers.pop()
            elif tag in _FIELDS and owner == depth - 1:
                components[-1].fields.setdefault(tag, text)
            elif tag in ("id", "name") and owner == depth - 3 and tags[-3:-1] == ["licenses", "license"]:
                components[-1].add_license(text)  # the schemas allow one of id or name per license
            elif tag == "expression" and owner == depth - 2 and tags[-2] == "licenses":
                components[-1].add_license(text)
            elif tag == "name" and tags == ["bom", "metadata", "component", "name"]:
                summary.name = text
            path.pop()
            tags.pop()
            # Children end before their parent, so dropping each element here keeps the tree no bigger
            # than the current path. clear() alone would leave an empty element behind per component.
            element.clear()
            if path:
                path[-1].remove(element)
        return summary
