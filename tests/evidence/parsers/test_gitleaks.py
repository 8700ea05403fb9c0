import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import FindingRow, ParseError, SecretsSummary
from evidence.parsers.gitleaks import GitleaksJsonParser
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# The corpus holds gitleaks SARIF only (the SARIF parser's); these samples follow the fields of gitleaks 8
# `detect --report-format json`. Every secret in them is fake (AWS's documented example key included).
SAMPLES = DATA / "gitleaks"


def _secrets(path) -> set[str]:
    return {text for leak in json.loads(path.read_text()) for text in (leak["Secret"], leak["Match"])}


def test_empty_array_is_a_clean_report():
    summary, sink = parse_path(GitleaksJsonParser(), SAMPLES / "empty.json")
    assert summary.as_dict() == {"kind": "secrets", "findings": 0, "rules": 0}
    assert sink.findings == []
    # "[]" says nothing about its producer: detection cannot claim it (an explicit kind must).
    assert detected_formats(SAMPLES / "empty.json") == []


def test_one_leak():
    path = SAMPLES / "one.json"
    summary, sink = parse_path(GitleaksJsonParser(), path)
    assert summary.as_dict() == {"kind": "secrets", "findings": 1, "rules": 1}
    assert sink.findings == [
        FindingRow(
            category="secret",
            severity="high",
            rule_id="aws-access-token",
            title="Identified a pattern that may indicate AWS credentials, risking unauthorized cloud resource "
            "access and data breaches on AWS platforms.",
            location="deploy/terraform/providers.tf",
            line=14,
        )
    ]
    assert detected_formats(path) == ["gitleaks-json"]


def test_many_leaks():
    path = SAMPLES / "many.json"
    summary, sink = parse_path(GitleaksJsonParser(), path)
    # The same AWS key in two commits is two findings of one rule.
    assert summary.as_dict() == {"kind": "secrets", "findings": 5, "rules": 4}
    assert [(row.rule_id, row.location, row.line) for row in sink.findings] == [
        ("aws-access-token", "deploy/terraform/providers.tf", 14),
        ("aws-access-token", "deploy/terraform/providers.tf", 12),
        ("generic-api-key", "services/billing/settings.py", 31),
        ("private-key", "ops/keys/staging.pem", 1),
        ("slack-webhook-url", "docs/alerts.md", 8),
    ]
    assert {row.severity for row in sink.findings} == {"high"}
    assert detected_formats(path) == ["gitleaks-json"]


@pytest.mark.parametrize("name", ["one.json", "many.json"])
def test_secret_and_match_are_never_stored(name):
    path = SAMPLES / name
    summary, sink = parse_path(GitleaksJsonParser(), path)
    stored = json.dumps([dataclasses.asdict(row) for row in sink.findings]) + json.dumps(summary.as_dict())
    for secret in _secrets(path):
        for part in secret.splitlines():
            assert part not in stored


SECRET = "fake0nly9Qm2Zt7Lw4Hx8Ck1Vb5Nr3Jp6Sd"


@pytest.mark.parametrize(
    "data",
    [
        f'[{{"RuleID": "generic-api-key", "Secret": "{SECRET}'.encode(),  # cut inside the secret
        f'[{{"RuleID": "generic-api-key", "Secret": "{SECRET}\\q"}}]'.encode(),  # invalid escape
        f'[{{"RuleID": "generic-api-key", "Secret": "{SECRET}\x01"}}]'.encode(),  # control character
        f'[{{"RuleID": "generic-api-key", "Secret": "{SECRET}'.encode() + b'\xff"}]',  # invalid UTF-8
        f'[{{"RuleID": "generic-api-key", "Secret": "{SECRET}" "Match": "{SECRET}"}}]'.encode(),  # no comma
        f'[{{"RuleID": "generic-api-key", "Secret": "{SECRET}"}}, "{SECRET}"]'.encode(),  # not an object
    ],
)
def test_error_messages_never_quote_the_secret(data):
    with pytest.raises(ParseError) as caught:
        parse_bytes(GitleaksJsonParser(), data)
    message = str(caught.value)
    assert not any(SECRET[start : start + 6] in message for start in range(len(SECRET) - 5))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \n\t", "empty file"),
        (b'[{"RuleID": "aws-access-token", "File": "a.tf", "StartLi', "truncated or malformed JSON for gitleaks"),
        (b"{}", "expected a JSON array of findings at the top level, found a JSON object"),
        (b'{"RuleID": "aws-access-token"}', "found a JSON object"),
        (b'"RuleID"', "found no JSON array"),
        (b"[1, 2]", "expected a JSON object at finding 1, found int"),
        (b'[{"Target": "alpine:3.10", "Vulnerabilities": []}]', "finding 1 has no RuleID; this is not a gitleaks"),
        (
            b'[{"line": "k = x", "lineNumber": 3, "offender": "x", "rule": "AWS Access Key", "file": "a"}]',
            "finding 1 is in the gitleaks 7 format, which is not supported; re-run with gitleaks 8",
        ),
        (b"[" * 300 + b"]" * 300, "nested more than 256 levels"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(GitleaksJsonParser(), data)


def test_odd_values_are_tolerated():
    doc = b'[{"RuleID": "jwt", "Description": null, "File": "a.txt", "StartLine": true}]'
    summary, sink = parse_bytes(GitleaksJsonParser(), doc)
    assert (summary.findings, summary.rules) == (1, 1)
    assert (sink.findings[0].title, sink.findings[0].line) == ("", None)


_OPENING = b'[{"RuleID": "generic-api-key", "Description": "Detected a Generic API Key", "StartLine": '


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _OPENING + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _sink = parse_bytes(GitleaksJsonParser(), data)
    except ParseError:
        return
    assert isinstance(summary, SecretsSummary)
