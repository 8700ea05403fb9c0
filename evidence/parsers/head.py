"""Reading the head of an upload: what format detection is allowed to look at."""

from __future__ import annotations

import io

import ijson
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from evidence.parsers.base import Head
from evidence.parsers.jsonstream import MAX_DEPTH, nesting_depth

HEAD_BYTES = 64 * 1024
_BOMS = (b"\xef\xbb\xbf",)


def _json_shape(raw: bytes) -> tuple[str, frozenset[str]]:
    """Root type and top-level keys (of the object, or of the first item of an array) from a head."""
    stripped = raw.lstrip()
    if not stripped or stripped[:1] not in (b"{", b"["):
        return "", frozenset()
    root = "object" if stripped[:1] == b"{" else "array"
    if nesting_depth(stripped) > MAX_DEPTH:
        return root, frozenset()  # hostile nesting: ijson would need memory quadratic in the depth
    target = "" if root == "object" else "item"
    keys: set[str] = set()
    depth = 0
    try:
        # use_float: ijson's C backend crashes on huge integers otherwise (it raises with it).
        for prefix, event, value in ijson.parse(io.BytesIO(stripped), use_float=True):
            if event in ("start_map", "start_array"):
                depth += 1
                if depth > MAX_DEPTH:
                    break
            elif event in ("end_map", "end_array"):
                depth -= 1
            if event == "map_key" and prefix == target:
                keys.add(value)
            elif event == "end_map" and prefix == target:
                break
    except Exception:  # noqa: S110 - a head cut mid-document, or garbage: keep the keys seen so far
        pass
    return root, frozenset(keys)


def _xml_root(raw: bytes) -> tuple[str, str]:
    stripped = raw.lstrip()
    if not stripped.startswith(b"<") and stripped[:2] not in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 XML
        return "", ""
    try:
        for _event, element in SafeET.iterparse(io.BytesIO(raw), events=("start",)):
            tag = element.tag
            if tag.startswith("{"):
                namespace, _, local = tag[1:].partition("}")
                return local, namespace
            return tag, ""
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        pass
    return "", ""


def read_head(stream: io.BufferedIOBase, size: int = HEAD_BYTES) -> Head:
    raw = stream.read(size + 1)
    complete = len(raw) <= size
    raw = raw[:size]
    for bom in _BOMS:
        if raw.startswith(bom):
            raw = raw[len(bom) :]
    json_root, json_keys = _json_shape(raw)
    xml_root, xml_namespace = ("", "") if json_root else _xml_root(raw)
    return Head(
        raw=raw,
        complete=complete,
        json_keys=json_keys,
        json_root=json_root,
        xml_root=xml_root,
        xml_namespace=xml_namespace,
    )


def describe_head(head: Head) -> str:
    """What the head looked like, for error messages."""
    if head.json_root:
        keys = ", ".join(sorted(head.json_keys)[:12]) or "no keys"
        return f"a JSON {head.json_root} with top-level keys: {keys}"
    if head.xml_root:
        ns = f" in namespace {head.xml_namespace}" if head.xml_namespace else ""
        return f"XML with root element <{head.xml_root}>{ns}"
    if not head.raw.strip():
        return "an empty file"
    first_line = head.raw.split(b"\n", 1)[0][:80]
    if b"\x00" in head.raw[:512]:
        return "binary data"
    return f"text starting {first_line.decode('utf-8', 'replace')!r}"
