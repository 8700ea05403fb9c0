"""XML reading shared by the XML parsers: defusedxml's streaming iterparse, every refusal a ParseError."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO
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


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def events(stream: BinaryIO, *, what: str, documents: str) -> Iterator[tuple[str, Any]]:
    """``(event, element)`` for start and end of every element, streamed; ``documents`` names what the
    format holds ("test reports", "BOMs") in the message refusing entity declarations."""
    seen_element = False
    try:
        for event, element in SafeET.iterparse(stream, events=("start", "end")):
            seen_element = True
            yield event, element
    except SafeET.ParseError as exc:
        if exc.code == _NO_ELEMENTS and not seen_element:
            raise ParseError(f"empty file: expected a {what} document") from None
        line, column = exc.position
        position = f"line {line} column {column}"  # as expat counts: columns from 0
        reason = str(exc).rpartition(": line ")[0] or str(exc)  # the position is reported separately
        if exc.code in _TRUNCATED:
            raise ParseError(f"truncated {what} ({reason})", position=position) from None
        raise ParseError(f"cannot read {what}: {reason}", position=position) from None
    except EntitiesForbidden as exc:
        target = f" pointing at {exc.sysid}" if exc.sysid else ""
        raise ParseError(
            f"refused unsafe {what}: it declares the entity {exc.name!r}{target}; "
            f"{documents} never need entity declarations"
        ) from None
    except DefusedXmlException as exc:
        raise ParseError(f"refused unsafe {what}: {exc}") from None
    except (LookupError, ValueError) as exc:
        # An XML declaration naming an encoding expat cannot read (multi-byte ones such as Shift_JIS).
        raise ParseError(f"{what} in an encoding that cannot be read: {exc}") from None
