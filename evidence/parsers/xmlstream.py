"""XML reading shared by the XML parsers, always through defusedxml, every refusal a ParseError.

Two ways in: ``events`` (defusedxml's streaming iterparse, Elements) for the parsers that want elements,
and ``read`` (defusedxml's guarded expat parser calling a handler, no Elements at all) for the formats whose
reports run to hundreds of megabytes, where building and dropping an Element per tag costs more than
the rest of the ingest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO, Protocol
from xml.parsers.expat import errors as expat_errors

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException, EntitiesForbidden

from evidence.parsers.base import ParseError

_NO_ELEMENTS = expat_errors.codes[expat_errors.XML_ERROR_NO_ELEMENTS]
# expat error codes meaning the input stopped early, as opposed to being malformed.
_TRUNCATED = frozenset(
    expat_errors.codes[name]
    for name in (
        expat_errors.XML_ERROR_NO_ELEMENTS,
        expat_errors.XML_ERROR_UNCLOSED_TOKEN,
        expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
        expat_errors.XML_ERROR_PARTIAL_CHAR,
    )
)
_REFUSED = (SafeET.ParseError, DefusedXmlException, LookupError, ValueError)
_CHUNK = 64 * 1024


def local_name(tag: str) -> str:
    # Both "{uri}name" (ElementTree) and "uri}name" (expat) end in the local name after "}".
    return tag.rpartition("}")[2]


def _refusal(exc: Exception, *, what: str, documents: str, seen_element: bool) -> ParseError:
    """The ParseError for an exception of the XML stack; ``documents`` names what the format holds
    ("test reports", "BOMs") in the message refusing entity declarations."""
    if isinstance(exc, SafeET.ParseError):
        if exc.code == _NO_ELEMENTS and not seen_element:
            return ParseError(f"empty file: expected a {what} document")
        line, column = exc.position
        position = f"line {line} column {column}"  # as expat counts: columns from 0
        reason = str(exc).rpartition(": line ")[0] or str(exc)  # the position is reported separately
        if exc.code in _TRUNCATED:
            return ParseError(f"truncated {what} ({reason})", position=position)
        return ParseError(f"cannot read {what}: {reason}", position=position)
    if isinstance(exc, EntitiesForbidden):
        target = f" pointing at {exc.sysid}" if exc.sysid else ""
        return ParseError(
            f"refused unsafe {what}: it declares the entity {exc.name!r}{target}; "
            f"{documents} never need entity declarations"
        )
    if isinstance(exc, DefusedXmlException):
        return ParseError(f"refused unsafe {what}: {exc}")
    # LookupError, ValueError: an XML declaration naming an encoding expat cannot read (multi-byte ones
    # such as Shift_JIS).
    return ParseError(f"{what} in an encoding that cannot be read: {exc}")


def events(stream: BinaryIO, *, what: str, documents: str) -> Iterator[tuple[str, Any]]:
    """``(event, element)`` for start and end of every element, streamed."""
    seen_element = False
    try:
        for event, element in SafeET.iterparse(stream, events=("start", "end")):
            seen_element = True
            yield event, element
    except _REFUSED as exc:
        raise _refusal(exc, what=what, documents=documents, seen_element=seen_element) from None


class Handler(Protocol):
    """What ``read`` calls. Tags are expat's: "name", or "uri}name" in a namespace (see local_name)."""

    def start(self, tag: str, attributes: dict[str, str]) -> None: ...
    def end(self, tag: str) -> None: ...
    def data(self, text: str) -> None: ...


def read(stream: BinaryIO, handler: Handler, *, what: str, documents: str) -> None:
    """Stream the document through defusedxml's guarded expat parser straight into ``handler``.

    DefusedXMLParser sets up expat with its refusals (entity declarations, external references) and
    ElementTree's refusal of undeclared entities, with ``handler`` as its target; then the element callbacks
    are pointed at the handler itself, so expat calls it directly and no Element is ever built.
    """
    guarded = SafeET.DefusedXMLParser(target=handler)
    expat = guarded.parser
    expat.ordered_attributes = False  # attributes as a dict, built in C
    seen_element = False

    def first_start(tag: str, attributes: dict[str, str]) -> None:
        # Notes that the document has an element (for the empty-file message), then steps aside.
        nonlocal seen_element
        seen_element = True
        expat.StartElementHandler = handler.start
        handler.start(tag, attributes)

    expat.StartElementHandler = first_start
    expat.EndElementHandler = handler.end
    try:
        while chunk := stream.read(_CHUNK):
            guarded.feed(chunk)
        guarded.close()
    except _REFUSED as exc:
        if seen_element and isinstance(exc, (LookupError, ValueError)):
            raise  # a bug in the handler: expat settles the encoding before the first element
        raise _refusal(exc, what=what, documents=documents, seen_element=seen_element) from None
