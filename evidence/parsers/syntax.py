"""A syntax check of a whole (small) upload, so malformed content is refused at upload time."""

from __future__ import annotations

import orjson
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from evidence.parsers.base import Head


def syntax_error(head: Head) -> str | None:
    """Why the complete file in ``head`` is not well-formed JSON/XML, or None. Only for complete heads."""
    if not head.complete:
        return None
    if head.json_root:
        try:
            orjson.loads(head.raw)
        except orjson.JSONDecodeError as exc:
            return f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    elif head.xml_root:
        try:
            SafeET.fromstring(head.raw)
        except SafeET.ParseError as exc:
            line, column = exc.position
            return f"not well-formed XML: {exc.msg if hasattr(exc, 'msg') else exc} at line {line} column {column}"
        except DefusedXmlException as exc:
            return f"refused unsafe XML: {exc}"
    return None
