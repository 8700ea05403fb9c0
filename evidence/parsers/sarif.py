"""SARIF 2.1.0 (any tool, any number of runs), read as a stream.

Counting:
- ``findings`` is the number of results that report a problem. Not counted, and not emitted as rows:
  results of kind ``pass`` or ``notApplicable`` (the rule found nothing or did not apply), and
  suppressed results: a non-empty ``suppressions`` array whose every entry is accepted (``status``
  absent or ``"accepted"``). A suppression that is ``rejected`` or still ``underReview`` does not hide
  the result, so a gate never passes on a suppression nobody approved.
- ``rules`` is the number of distinct rule ids among the counted results (results naming no rule add none).
- ``tool`` is the runs' ``tool.driver.name`` values, each once, joined with ", ".

Severity of a result (a stable contract):
1. ``properties["security-severity"]`` of the result, else of its rule (a number or a numeric string;
   anything else is ignored): >= 9.0 critical, >= 7.0 high, >= 4.0 medium, > 0 low, 0 info.
2. Otherwise the SARIF level: error -> high, warning -> medium, note -> low, none -> info. An absent level
   resolves as SARIF 3.27.10 says: "none" when the result's kind is not "fail", else the rule's
   ``defaultConfiguration.level``, else "warning".

The rule of a result is found by index (``ruleIndex`` or ``rule.index``, within the driver or within
the extension named by ``rule.toolComponent.index``), else by id (``ruleId`` or ``rule.id``) among the
run's rules.

Streaming and rule order: each run's ``tool`` object is built whole (it holds the rule catalogue, which
grows with the tool, not with the scan) and reduced at once to a small map of rule -> (default level,
security-severity); results are read one at a time. ``walk`` does not show where one run ends and the
next begins, so which run a result belongs to is told by the order of the first tool and the first
result in the file, which a serializer keeps for every run: tool first (most tools) means a result
belongs to the tool read before it; results first (Semgrep, or any writer that sorts keys) means results
wait, as small rows, until their run's tool arrives. Only in the second layout does memory grow with the
results of one run. The one shape this cannot tell apart: a multi-run, results-first file whose first run
has no results is read as tool-first, so a later run's results may be matched to the rules of the run
before (their count is right; a severity may fall back to the result's own level).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, BinaryIO

from evidence.parsers.base import FindingRow, Head, ParseError, Parser, RowSink, SastSummary
from evidence.parsers.jsonstream import expect_dict, expect_list, walk

_WHAT = "SARIF"
_VERSION = "2.1.0"
_LEVEL_SEVERITY = {"error": "high", "warning": "medium", "note": "low", "none": "info"}
_NOT_PROBLEMS = frozenset({"pass", "notApplicable"})
_PREFIXES = ("version", "runs.item.tool", "runs.item.results.item")


@dataclass(frozen=True, slots=True)
class _Rule:
    id: str
    level: str | None  # defaultConfiguration.level, when a valid SARIF level
    score: float | None  # properties["security-severity"], when numeric


@dataclass(slots=True)
class _RunRules:
    components: list[list[_Rule]]  # [driver rules, extension 0 rules, ...] for index lookups
    by_id: dict[str, _Rule]

    def find(self, index: Any, component: Any, rule_id: str) -> _Rule | None:
        # component is the extension's position in tool.extensions; absent means the driver
        position = 0 if component is None else component + 1 if _is_int(component) and component >= 0 else -1
        if _is_int(index) and 0 <= position < len(self.components):
            rules = self.components[position]
            if 0 <= index < len(rules):
                return rules[index]
        return self.by_id.get(rule_id) if rule_id else None


_NO_RULES = _RunRules(components=[], by_id={})


@dataclass(slots=True)
class _Result:
    """What a result needs to be counted once its rule is known; the row fields are already capped."""

    rule_id: str
    rule_index: Any
    component: Any
    level: str | None
    score: float | None
    title: str
    location: str
    line: int | None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _score(value: Any) -> float | None:
    """security-severity as a CVSS-like number; tools write it as a number or a string."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # OverflowError: a huge integer from a pure-Python ijson backend
        return None  # e.g. Semgrep OSS 1.69 writes "MEDIUM": not a score
    return number if math.isfinite(number) and number >= 0 else None


def _score_severity(score: float) -> str:
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low" if score > 0 else "info"


def _level(value: Any) -> str | None:
    return value if isinstance(value, str) and value in _LEVEL_SEVERITY else None


def _properties(obj: dict) -> dict:
    properties = obj.get("properties")
    return properties if isinstance(properties, dict) else {}


def _run_rules(tool: Any) -> tuple[str, _RunRules]:
    tool = expect_dict(tool, what=_WHAT, where="runs[].tool")
    driver = expect_dict(tool.get("driver"), what=_WHAT, where="runs[].tool.driver")
    extensions = expect_list(tool.get("extensions"), what=_WHAT, where="runs[].tool.extensions")
    components: list[list[_Rule]] = []
    by_id: dict[str, _Rule] = {}
    for position, component in enumerate((driver, *extensions)):
        where = "runs[].tool.driver" if position == 0 else "runs[].tool.extensions[]"
        component = expect_dict(component, what=_WHAT, where=where)
        rules: list[_Rule] = []
        for rule in expect_list(component.get("rules"), what=_WHAT, where=f"{where}.rules"):
            rule = expect_dict(rule, what=_WHAT, where=f"{where}.rules[]")
            configuration = rule.get("defaultConfiguration")
            level = _level(configuration.get("level")) if isinstance(configuration, dict) else None
            score = _score(_properties(rule).get("security-severity"))
            entry = _Rule(id=str(rule.get("id") or ""), level=level, score=score)
            rules.append(entry)
            by_id.setdefault(entry.id, entry)  # the driver's rule wins over an extension's of the same id
        components.append(rules)
    return str(driver.get("name") or ""), _RunRules(components=components, by_id=by_id)


def _suppressed(result: dict) -> bool:
    suppressions = expect_list(result.get("suppressions"), what=_WHAT, where="runs[].results[].suppressions")
    for suppression in suppressions:
        status = expect_dict(suppression, what=_WHAT, where="runs[].results[].suppressions[]").get("status")
        if status not in (None, "accepted"):
            return False
    return bool(suppressions)


def _first_physical_location(result: dict) -> tuple[str, int | None]:
    for location in expect_list(result.get("locations"), what=_WHAT, where="runs[].results[].locations"):
        physical = location.get("physicalLocation") if isinstance(location, dict) else None
        if not isinstance(physical, dict):
            continue  # a logical-only location (a function, a module): look further
        artifact = physical.get("artifactLocation")
        region = physical.get("region")
        uri = artifact.get("uri") if isinstance(artifact, dict) else None
        line = region.get("startLine") if isinstance(region, dict) else None
        return str(uri or ""), line if _is_int(line) else None
    return "", None


def _read_result(value: Any) -> _Result | None:
    """The countable part of a result, or None for one that is not a finding."""
    result = expect_dict(value, what=_WHAT, where="runs[].results[]")
    kind = result.get("kind") if isinstance(result.get("kind"), str) else None
    if kind in _NOT_PROBLEMS or _suppressed(result):
        return None
    reference = result.get("rule")
    reference = reference if isinstance(reference, dict) else {}
    component = reference.get("toolComponent")
    level = _level(result.get("level"))
    if level is None and kind is not None and kind != "fail":
        level = "none"  # SARIF 3.27.10: review, open and informational results default to level none
    message = result.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    location, line = _first_physical_location(result)
    return _Result(
        rule_id=str(result.get("ruleId") or reference.get("id") or ""),
        rule_index=result.get("ruleIndex", reference.get("index")),
        component=component.get("index") if isinstance(component, dict) else None,
        level=level,
        score=_score(_properties(result).get("security-severity")),
        title=str(text or "")[:500],
        location=location,
        line=line,
    )


class SarifParser(Parser):
    format = "sarif"
    kind = "sast"
    label = "SARIF 2.1.0"
    producers = (
        "CodeQL, Semgrep --sarif, gosec, bandit, ESLint, Trivy, Grype, Gitleaks, SpotBugs, Flawfinder, dependency-check"
    )

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = head.json_keys
        if head.json_root != "object" or "runs" not in keys:
            return False
        # "version" may sit after a long "runs" (key-sorted writers), beyond the head: then the $schema
        # URL or any mention of SARIF in the head decides.
        return bool(keys & {"version", "$schema"}) or "sarif" in head.text.lower()

    def parse(self, stream: BinaryIO, sink: RowSink) -> SastSummary:
        summary = SastSummary()
        rule_ids: set[str] = set()
        tools: dict[str, None] = {}  # ordered set of driver names
        version: Any = None
        saw_run = False
        results_first: bool | None = None  # decided by whichever of tool and result comes first
        current = _NO_RULES  # tool-first: the rules of the run being read
        waiting: list[_Result] = []  # results-first: the results of a run whose tool is still ahead

        def count(result: _Result, rules: _RunRules) -> None:
            rule = rules.find(result.rule_index, result.component, result.rule_id)
            score = result.score if result.score is not None else rule.score if rule else None
            if score is not None:
                severity = _score_severity(score)
            else:
                severity = _LEVEL_SEVERITY[result.level or (rule.level if rule else None) or "warning"]
            rule_id = result.rule_id or (rule.id if rule else "")
            summary.findings += 1
            summary.by_severity[severity] += 1
            if rule_id:
                rule_ids.add(rule_id)
            sink.finding(
                FindingRow(
                    category="sast",
                    severity=severity,
                    rule_id=rule_id,
                    title=result.title,
                    location=result.location,
                    line=result.line,
                )
            )

        for prefix, value in walk(stream, _PREFIXES, what=_WHAT):
            if prefix == "version":
                version = value
                if value != _VERSION:
                    raise ParseError(f"SARIF version {value!r} is not supported: SARIF {_VERSION} expected")
            elif prefix == "runs.item.tool":
                saw_run = True
                name, rules = _run_rules(value)
                if name:
                    tools[name] = None
                if results_first is None:
                    results_first = False
                if results_first:
                    for result in waiting:
                        count(result, rules)
                    waiting.clear()
                else:
                    current = rules
            else:
                saw_run = True
                result = _read_result(value)
                if results_first is None:
                    results_first = True
                if result is None:
                    continue
                if results_first:
                    waiting.append(result)
                else:
                    count(result, current)
        if version is None:
            raise ParseError(f'{_WHAT}: no "version" property; SARIF {_VERSION} expected')
        if not saw_run:
            raise ParseError(f"{_WHAT}: the log has no runs (runs is missing, null, empty or not an array)")
        for result in waiting:  # results after the last tool: a run without a tool, counted without rules
            count(result, _NO_RULES)
        summary.rules = len(rule_ids)
        summary.tool = ", ".join(tools)
        return summary
