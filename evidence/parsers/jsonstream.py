"""JSON reading helpers shared by the JSON parsers: whole-document for small files, streaming otherwise."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import ijson
import orjson

from evidence.parsers.base import ParseError

# Small reports are read whole (orjson is the fastest path); above this, parsers stream.
WHOLE_DOCUMENT_LIMIT = 8 * 1024 * 1024
# No real report nests this deep; ijson's memory grows with the square of the depth, so a hostile
# upload of 100k "[" must be stopped early rather than parsed.
MAX_DEPTH = 256
_OPEN = frozenset(("start_map", "start_array"))
_VALUE_TYPES = {"start_array": "array", "start_map": "object", "string": "string", "integer": "number",
                "double": "number", "number": "number", "boolean": "boolean", "null": "null"}  # fmt: skip
_CLOSE = frozenset(("end_map", "end_array"))


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")


def nesting_depth(data: bytes) -> int:
    """Deepest bracket nesting in a JSON fragment, strings ignored (cheap: for heads, not whole files)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b"", data)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def too_deep(what: str) -> ParseError:
    return ParseError(f"JSON nested more than {MAX_DEPTH} levels deep; this is not a {what} document")


def load_document(stream: BinaryIO, *, what: str) -> Any:
    """Decode a whole JSON document, turning every decoding problem into a ParseError with a position."""
    data = stream.read()
    if not data.strip():
        raise ParseError(f"empty file: expected a {what} JSON document")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ParseError(
            f"not valid JSON for {what}: {exc.msg}", position=f"line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:  # pragma: no cover - orjson limits depth itself
        raise ParseError(f"JSON nested too deeply for {what}") from None


def walk(
    stream: BinaryIO, prefixes: Iterable[str], *, what: str, opened: Iterable[str] = ()
) -> Iterator[tuple[str, Any]]:
    """Stream ``(prefix, value)`` for every complete value found at one of ``prefixes`` (ijson syntax).

    Containers are built one at a time, so memory is bounded by the largest single item, not the file.
    For each prefix in ``opened`` it also yields ``(prefix, TYPE)`` when that value starts, TYPE being
    ``"array"``, ``"object"``, ``"string"``, ``"number"``, ``"boolean"`` or ``"null"``: a parser can check
    the type of a huge array without building it.
    """
    wanted = frozenset(prefixes)
    watched = frozenset(opened)
    if getattr(stream, "seekable", lambda: False)():
        stream.seek(0)
    builder: ijson.ObjectBuilder | None = None
    depth = 0
    current = ""
    saw_any = False
    nesting = 0
    try:
        # Small reads bound how many events (and how deep) ijson produces before the depth check runs.
        for prefix, event, value in ijson.parse(stream, use_float=True, buf_size=4096):
            saw_any = True
            if event in _OPEN:
                nesting += 1
                if nesting > MAX_DEPTH:
                    raise too_deep(what)
            elif event in _CLOSE:
                nesting -= 1
            if prefix in watched and builder is None and event not in ("map_key", "end_map", "end_array"):
                yield prefix, _VALUE_TYPES[event]
            if builder is not None:
                builder.event(event, value)
                if event in ("start_map", "start_array"):
                    depth += 1
                elif event in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 0:
                        yield current, builder.value
                        builder = None
                continue
            if prefix in wanted and event not in ("map_key", "end_map", "end_array"):
                if event in ("start_map", "start_array"):
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                    depth = 1
                    current = prefix
                else:
                    yield prefix, value
    except ijson.IncompleteJSONError as exc:
        if not saw_any:
            raise ParseError(f"empty file: expected a {what} JSON document") from None
        raise ParseError(f"truncated or malformed JSON for {what}: {_clean(exc)}") from None
    except ijson.JSONError as exc:
        raise ParseError(f"not valid JSON for {what}: {_clean(exc)}") from None
    except RecursionError:
        raise ParseError(f"JSON nested too deeply for {what}") from None
    if not saw_any:
        raise ParseError(f"empty file: expected a {what} JSON document")


def _clean(exc: Exception) -> str:
    """The parser's own words only: yajl appends the offending document text after a newline, and that
    text may be a secret or personal data, so it never reaches a message."""
    message = exc.args[0] if exc.args else ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", errors="replace")
    first = str(message).replace("\\n", "\n").strip().split("\n", 1)[0].strip()
    return first[:300] or exc.__class__.__name__


def expect_dict(value: Any, *, what: str, where: str = "document") -> dict:
    if not isinstance(value, dict):
        raise ParseError(f"{what}: expected a JSON object at {where}, found {type(value).__name__}")
    return value


def expect_list(value: Any, *, what: str, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{what}: expected a JSON array at {where}, found {type(value).__name__}")
    return value


# ---- C-speed reading for large reports -------------------------------------------------------------
# ``walk`` builds values in Python event by event; for the bulk of a big report (50k vulnerabilities,
# 100k components) ijson's C backend builds them several times faster. These helpers read a *seekable*
# stream once per call, so a parser may make a few passes (header values, then the bulk array).

MISSING = object()
# Net unclosed brackets in the raw bytes beyond which a document is refused before ijson's C code sees
# it (its memory grows with the square of the depth). Brackets inside strings count too, so the limit
# is far above any real report's nesting rather than exactly MAX_DEPTH.
RAW_DEPTH_LIMIT = 5000
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


class _DepthGuard:
    """A file wrapper that refuses input whose brackets nest absurdly deep, counted per chunk in C."""

    def __init__(self, stream: BinaryIO, what: str):
        self.stream = stream
        self.what = what
        self.depth = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        # One pass keeping only the brackets, then four counts over that (short) remainder: a third of
        # the time of four counts over the whole chunk.
        brackets = data.translate(None, _NOT_BRACKETS)
        self.depth += brackets.count(b"[") + brackets.count(b"{") - brackets.count(b"]") - brackets.count(b"}")
        if self.depth > RAW_DEPTH_LIMIT:
            raise too_deep(self.what)
        return data


def items(stream: BinaryIO, prefix: str, *, what: str) -> Iterator[Any]:
    """Every value at ``prefix`` (ijson syntax), built by ijson's C backend; reads from the start."""
    stream.seek(0)
    if not stream.read(64).strip():
        raise ParseError(f"empty file: expected a {what} JSON document")
    stream.seek(0)
    try:
        yield from ijson.items(_DepthGuard(stream, what), prefix, use_float=True)
    except ijson.IncompleteJSONError as exc:
        raise ParseError(f"truncated or malformed JSON for {what}: {_clean(exc)}") from None
    except ijson.JSONError as exc:
        raise ParseError(f"not valid JSON for {what}: {_clean(exc)}") from None
    except RecursionError:
        raise too_deep(what) from None


def first(stream: BinaryIO, prefix: str, *, what: str) -> Any:
    """The first value at ``prefix``, or MISSING; stops reading as soon as it is found."""
    return next(items(stream, prefix, what=what), MISSING)


def value_type(stream: BinaryIO, prefix: str, *, what: str) -> str | None:
    """The JSON type at ``prefix`` ("array", "object", "string", ...) without building the value; None if absent."""
    for found, value in walk(stream, (), what=what, opened={prefix}):
        if found == prefix:
            return value
    return None


@contextmanager
def seekable(stream: BinaryIO) -> Iterator[BinaryIO]:
    """The stream itself when it can seek; otherwise (inflated gzip, re-encoded UTF-16) a spooled copy."""
    if stream.seekable():
        yield stream
        return
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as spool:
        shutil.copyfileobj(stream, spool, 1024 * 1024)
        spool.seek(0)
        yield spool
