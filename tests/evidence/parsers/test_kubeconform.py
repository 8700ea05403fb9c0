import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ParseError, PolicySummary
from evidence.parsers.head import read_head
from evidence.parsers.kubeconform import KubeconformJsonParser
from evidence.parsers.registry import detect
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (resources, valid, invalid, errors, skipped, findings), counted from the files with a separate
# json-module script; SOURCES.md agrees: resources=1 by status={'INVALID': 1}, summary invalid=1
CORPUS = {
    "kubeconform/kubeconform-readme-json-output-invalid.json": (1, 0, 1, 0, 0, 1),
}


def _detect_bytes(data: bytes) -> list[str]:
    return [parser.format for parser in detect(read_head(io.BytesIO(data)))]


def _counts(summary: PolicySummary) -> tuple[int, ...]:
    return summary.resources, summary.valid, summary.invalid, summary.errors, summary.skipped


@pytest.mark.corpus
def test_every_corpus_kubeconform_file_is_counted():
    found = corpus_glob("kubeconform", "*.json")
    if not found:
        pytest.skip(SKIP_REASON)
    assert found == sorted(CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_kubeconform_corpus_counts(relative):
    path = corpus_file(relative)
    *counts, findings = CORPUS[relative]
    summary, sink = parse_path(KubeconformJsonParser(), path)
    assert _counts(summary) == tuple(counts)
    assert summary.failures == summary.invalid + summary.errors
    assert summary.tool == "kubeconform"
    assert len(sink.findings) == findings
    assert detected_formats(path) == ["kubeconform-json"]


def test_one_invalid_with_summary_counts_the_unlisted_valid_ones():
    summary, sink = parse_path(KubeconformJsonParser(), DATA / "kubeconform" / "one.json")
    assert summary.as_dict() == {
        "kind": "policy",
        "tool": "kubeconform",
        "failures": 1,
        "warnings": 0,
        "successes": 0,
        "exceptions": 0,
        # 3 valid resources are not listed without -verbose, but the summary counts them
        "resources": 4,
        "valid": 3,
        "invalid": 1,
        "errors": 0,
        "skipped": 0,
    }
    [row] = sink.findings
    assert (row.category, row.severity, row.rule_id, row.location) == (
        "policy", "high", "Deployment/payments", "manifests/payments.yaml")  # fmt: skip
    assert row.title.startswith("problem validating schema")
    assert detected_formats(DATA / "kubeconform" / "one.json") == ["kubeconform-json"]


def test_many_verbose_every_status():
    summary, sink = parse_path(KubeconformJsonParser(), DATA / "kubeconform" / "many-verbose.json")
    # the empty document (status "") is no resource
    assert _counts(summary) == (5, 2, 1, 1, 1)
    assert summary.failures == 2
    assert [(r.rule_id, r.title) for r in sink.findings] == [
        ("Deployment/worker", "missing properties: 'selector'"),
        ("Widget/w1", "could not find schema for Widget"),
    ]


def test_old_statuses_without_summary_count_the_listed_resources():
    summary, sink = parse_path(KubeconformJsonParser(), DATA / "kubeconform" / "old-status-no-summary.json")
    assert _counts(summary) == (3, 1, 1, 0, 1)
    assert summary.failures == 1
    assert [r.rule_id for r in sink.findings] == ["ReplicationController/bob"]
    assert detected_formats(DATA / "kubeconform" / "old-status-no-summary.json") == ["kubeconform-json"]


def test_empty_listing_without_summary_is_a_clean_report():
    # What kubeconform -output json prints when nothing is invalid (valid ones are listed only with -verbose).
    summary, sink = parse_path(KubeconformJsonParser(), DATA / "kubeconform" / "empty.json")
    assert _counts(summary) == (0, 0, 0, 0, 0)
    assert summary.failures == 0 and sink.findings == []
    # no "status" and no "summary" in the head: accepted when chosen, not detected
    assert detected_formats(DATA / "kubeconform" / "empty.json") == []


def test_name_is_left_out_of_the_rule_when_absent():
    doc = b'{"resources": [{"filename": "x.yaml", "kind": "Pod", "status": "statusError", "msg": "boom"}]}'
    _summary, sink = parse_bytes(KubeconformJsonParser(), doc)
    assert sink.findings[0].rule_id == "Pod"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b'{"resources": [{"filename": "a.yaml", "status": "statusInv', "truncated or malformed"),
        (b'{"hello": "world"}', "not a kubeconform report"),
        (b'{"resources": "none"}', "not a kubeconform report"),
        (b"[]", "not a kubeconform report"),
        (b'{"resources": [], "extra": "' + b"x" * 5000 + b'"}', "not a kubeconform report"),
        (b'{"resources": ["a.yaml"]}', r"expected a JSON object at resources\[0\], found str"),
        (b'{"resources": [{"status": "statusBroken"}]}', r"resources\[0\] has unknown status 'statusBroken'"),
        (b'{"resources": [{"status": 3}]}', r"resources\[0\] has unknown status '3'"),
        (b'{"resources": [], "summary": [0, 0, 0, 0]}', "expected a JSON object at summary, found list"),
        (b'{"resources": [], "summary": {"valid": 1, "invalid": 0, "errors": 0}}', "summary.skipped must be"),
        (b'{"resources": [], "summary": {"valid": "1", "invalid": 0, "errors": 0, "skipped": 0}}', "summary.valid"),
        (
            b'{"resources": [], "summary": {"valid": 0, "invalid": 2, "errors": 0, "skipped": 0}}',
            "summary.invalid is 2 but resources lists 0",
        ),
        (
            b'{"resources": [{"status": "statusValid"}, {"status": "statusValid"}],'
            b' "summary": {"valid": 1, "invalid": 0, "errors": 0, "skipped": 0}}',
            "summary.valid is 1 but resources lists 2",
        ),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(KubeconformJsonParser(), data)


@pytest.mark.parametrize(
    ("data", "formats"),
    [
        (b'{"resources": [], "summary": {"valid": 0, "invalid": 0, "errors": 0, "skipped": 0}}', ["kubeconform-json"]),
        (b'{"resources": [{"filename": "a.yaml", "status": "statusInvalid"}]}', ["kubeconform-json"]),
        (b'{"resources": [{"name": "a"}]}', []),
        (b'{"Resources": [{"status": "x"}], "summary": {}}', []),
    ],
)  # fmt: skip
def test_sniff(data, formats):
    assert _detect_bytes(data) == formats


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_a_parse_error(data):
    try:
        summary, _sink = parse_bytes(KubeconformJsonParser(), data)
    except ParseError:
        return
    assert isinstance(summary, PolicySummary)


_OPENING = b'{"resources": [{"filename": "a.yaml", "kind": "Pod", "name": "p", "status": "statusInvalid", "msg": "'


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_after_a_valid_opening_give_a_summary_or_a_parse_error(tail):
    try:
        summary, _sink = parse_bytes(KubeconformJsonParser(), _OPENING + tail)
    except ParseError:
        return
    assert isinstance(summary, PolicySummary)


_STATUSES = st.sampled_from(("statusValid", "statusInvalid", "statusError", "statusSkipped", "", "VALID", "INVALID"))


@settings(max_examples=200, deadline=None)
@given(statuses=st.lists(_STATUSES, max_size=12), with_summary=st.booleans())
def test_counts_add_up_for_any_listing(statuses, with_summary):
    doc: dict = {"resources": [{"filename": "a.yaml", "kind": "Pod", "status": status} for status in statuses]}
    if with_summary:
        doc["summary"] = {
            "valid": statuses.count("statusValid") + statuses.count("VALID") + 5,
            "invalid": statuses.count("statusInvalid") + statuses.count("INVALID"),
            "errors": statuses.count("statusError"),
            "skipped": statuses.count("statusSkipped"),
        }
    summary, sink = parse_bytes(KubeconformJsonParser(), json.dumps(doc).encode())
    assert summary.resources == summary.valid + summary.invalid + summary.errors + summary.skipped
    assert summary.failures == len(sink.findings) == summary.invalid + summary.errors
    assert summary.resources == len(statuses) - statuses.count("") + (5 if with_summary else 0)
