"""CycloneDX JSON BOMs, specVersion 1.2 to 1.7 (syft, trivy, cdxgen, the CycloneDX build plugins).

``components`` counts every entry of the top-level ``components`` array and, recursively, every
component nested in an entry's own ``components``. ``metadata.component`` is the BOM's subject and is
not counted (nor is anything nested under it); services, tools and vulnerabilities are not components.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from evidence.parsers.base import ComponentRow, Head, ParseError, Parser, RowSink, SbomSummary
from evidence.parsers.jsonstream import MISSING, expect_list, first, items, seekable, value_type

_WHAT = "CycloneDX JSON"
_VERSIONS = frozenset({"1.2", "1.3", "1.4", "1.5", "1.6", "1.7"})
_HEADER = frozenset({"bomFormat", "specVersion", "metadata.component.name"})


def _licenses(component: dict[str, Any]) -> str:
    found: list[str] = []
    for entry in expect_list(component.get("licenses"), what=_WHAT, where="licenses"):
        if not isinstance(entry, dict):
            continue
        license_ = entry.get("license")
        if isinstance(license_, dict):
            text = license_.get("id") or license_.get("name")
        else:
            text = entry.get("expression")
        # Producers repeat a license once per source file that declared it; one mention is enough.
        if text and str(text) not in found:
            found.append(str(text))
    return ", ".join(found)


def _emit_tree(component: Any, sink: RowSink) -> int:
    """Send a component and everything nested in it to the sink, depth first; return how many."""
    count = 0
    stack = [component]
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            raise ParseError(f"{_WHAT}: expected an object in components, found {type(item).__name__}")
        name = str(item.get("name") or "")
        sink.component(
            ComponentRow(
                name=name,
                version=str(item.get("version") or ""),
                purl=str(item.get("purl") or ""),
                licenses=_licenses(item),
                component_type=str(item.get("type") or ""),
            )
        )
        count += 1
        children = expect_list(item.get("components"), what=_WHAT, where=f"components of {name!r}")
        stack.extend(reversed(children))  # reversed so rows come out in document order
    return count


class CycloneDxJsonParser(Parser):
    format = "cyclonedx-json"
    kind = "sbom"
    label = "CycloneDX JSON"
    producers = "syft -o cyclonedx-json, trivy --format cyclonedx, cdxgen, CycloneDX Maven/npm/Gradle plugins"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = head.json_keys
        if head.json_root != "object":
            return False
        if "bomFormat" in keys:
            return "CycloneDX" in head.text
        # Key order is free: cyclonedx-py, for one, writes bomFormat and specVersion last, after a
        # components array longer than the head. "bom-ref" is CycloneDX's own identifier key.
        if "specVersion" in keys and bool(keys & {"components", "metadata"}) and "cyclonedx" in head.text.lower():
            return True
        return bool(keys & {"components", "metadata", "dependencies"}) and '"bom-ref"' in head.text

    def parse(self, stream: BinaryIO, sink: RowSink) -> SbomSummary:
        # Header values first (writers put them anywhere, cyclonedx-py at the very end), then the
        # components array, each pass in ijson's C code.
        with seekable(stream) as readable:
            return self._parse(readable, sink)

    def _parse(self, stream: BinaryIO, sink: RowSink) -> SbomSummary:
        summary = SbomSummary(spec="cyclonedx")
        bom_format = first(stream, "bomFormat", what=_WHAT)
        is_cyclonedx = bom_format is not MISSING
        if is_cyclonedx and bom_format != "CycloneDX":
            raise ParseError(f'{_WHAT}: bomFormat is {bom_format!r}, expected "CycloneDX"')
        spec_version = first(stream, "specVersion", what=_WHAT)
        if is_cyclonedx and spec_version is not MISSING:
            if str(spec_version) not in _VERSIONS:
                raise ParseError(
                    f"CycloneDX specVersion {spec_version!r} is not supported; this reads specVersion 1.2 to 1.7"
                )
            summary.spec_version = str(spec_version)
        name = first(stream, "metadata.component.name", what=_WHAT)
        summary.name = "" if name is MISSING else str(name or "")
        found = value_type(stream, "components", what=_WHAT)
        # null is tolerated as "no components", as expect_list does for nested arrays.
        if found not in (None, "array", "null"):
            raise ParseError(f"{_WHAT}: expected a JSON array at components, found {found}")
        if found == "array" and is_cyclonedx and summary.spec_version:
            for component in items(stream, "components.item", what=_WHAT):
                summary.components += _emit_tree(component, sink)
        if not is_cyclonedx:
            raise ParseError(f'{_WHAT}: no bomFormat "CycloneDX"; this is not a CycloneDX BOM')
        if not summary.spec_version:
            raise ParseError(f"{_WHAT}: no specVersion")
        return summary
