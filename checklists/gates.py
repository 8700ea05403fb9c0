"""Gates: CEL expressions (cel-python) over the merged evidence summaries of a commit.

An expression names evidence as ``<kind>.<key>[.<subkey>]`` (README "CEL fields"). A gate whose
kinds have no evidence yet is *pending*; one that evaluates true *passes*; false or an evaluation
error (a null figure, say) *fails*, with the figure that decided it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import celpy
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError, CELSyntaxError

from evidence.parsers import base as summaries

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_PATH = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)(\s*\()?")


def _schema() -> dict[str, dict[str, tuple[str, ...] | None]]:
    """kind -> key -> allowed subkeys (None: a scalar or list), from the summary dataclasses."""
    schema: dict[str, dict[str, tuple[str, ...] | None]] = {}
    for cls in summaries.Summary.__subclasses__():
        keys: dict[str, tuple[str, ...] | None] = {}
        for f in dataclasses.fields(cls):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            keys[f.name] = tuple(default) if isinstance(default, dict) else None
        schema[cls.kind] = keys
    return schema


SCHEMA = _schema()


class GateError(Exception):
    pass


@dataclass(frozen=True)
class GateFields:
    kinds: frozenset[str]
    paths: tuple[str, ...]
    unknown: tuple[tuple[str, int], ...]  # (path, column)


def gate_fields(expression: str) -> GateFields:
    """The evidence paths an expression reads, and those that name no known evidence field."""
    text = _STRINGS.sub(lambda m: " " * len(m.group()), expression)
    kinds: set[str] = set()
    paths: list[str] = []
    unknown: list[tuple[str, int]] = []
    for match in _PATH.finditer(text):
        head, rest, call = match.group(1), match.group(2), match.group(3)
        segments = rest.split(".")[1:]
        if call:  # x.y.size(): the last segment is a method, not a field
            segments = segments[:-1]
        path = ".".join([head, *segments])
        keys = SCHEMA.get(head)
        if keys is None or not segments or segments[0] not in keys:
            unknown.append((path, match.start()))
            continue
        subkeys = keys[segments[0]]
        if len(segments) > 1 and (subkeys is None or segments[1] not in subkeys or len(segments) > 2):
            unknown.append((path, match.start()))
            continue
        kinds.add(head)
        paths.append(path)
    return GateFields(frozenset(kinds), tuple(dict.fromkeys(paths)), tuple(unknown))


@lru_cache(maxsize=1)
def _environment() -> celpy.Environment:
    return celpy.Environment()  # builds a Lark parser: done on first use, not at import


@lru_cache(maxsize=512)
def gate_compile(expression: str):
    environment = _environment()
    try:
        return environment.program(environment.compile(expression))
    except (CELParseError, CELSyntaxError) as exc:
        message = str(exc).strip().splitlines()
        raise GateError(f"CEL syntax error: {' '.join(line.strip() for line in message)}") from None


@dataclass(frozen=True)
class GateResult:
    state: str  # pass | fail | pending
    figure: str
    kinds: frozenset[str]


def _lookup(summaries_by_kind: dict[str, dict], path: str) -> Any:
    value: Any = summaries_by_kind
    for segment in path.split("."):
        value = value.get(segment) if isinstance(value, dict) else None
    return value


def gate_evaluate(expression: str, summaries_by_kind: dict[str, dict]) -> GateResult:
    """Evaluate a gate against merged summaries keyed by kind."""
    fields = gate_fields(expression)
    missing = sorted(kind for kind in fields.kinds if kind not in summaries_by_kind)
    if missing:
        return GateResult("pending", f"waiting for {', '.join(missing)} evidence", fields.kinds)
    figure = ", ".join(f"{path} = {_format(_lookup(summaries_by_kind, path))}" for path in fields.paths)
    activation = {kind: celpy.json_to_cel(summaries_by_kind[kind]) for kind in fields.kinds}
    try:
        result = gate_compile(expression).evaluate(activation)
    except (CELEvalError, TypeError, ValueError) as exc:
        return GateResult("fail", f"{figure} (cannot evaluate: {str(exc).splitlines()[0][:160]})", fields.kinds)
    if isinstance(result, CELEvalError):
        return GateResult("fail", f"{figure} (cannot evaluate: {str(result.args[0])[:160]})", fields.kinds)
    if not isinstance(result, celpy.celtypes.BoolType):
        return GateResult("fail", f"{figure} (the gate gave {result!r}, not true/false)", fields.kinds)
    return GateResult("pass" if bool(result) else "fail", figure, fields.kinds)


def _format(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
