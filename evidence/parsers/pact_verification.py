"""Pact verification results in the Pact Broker's shape: what a provider verifier publishes to the
Broker, and what the Broker serves back for a verification resource.

The document is {"success": bool, "providerApplicationVersion", "testResults", "verifiedBy":
{"implementation", "version"}}, plus "providerName" and "verificationDate" when served by the Broker.
The Broker stores "testResults" as it was sent; two shapes carry per-interaction results and are read:
- a list of {"interactionId", "success": bool, "interactionDescription"?, "mismatches": [{"description"}]?,
  "exceptions": [{"message"}]?}, one per interaction (pact_verifier, the Rust verifier behind pact-js,
  pact-python and pact-go);
- {"tests" (older) or "examples": [{"testDescription", "interactionDescription", "status", "exception"?,
  "differences"?}], "summary"} from pact-ruby, one entry per RSpec example (several per interaction:
  status, headers, body); as pact-ruby itself decides, a status other than "passed" is a failure.
Any other "testResults" (absent, or free-form like the Broker's own fixture) carries no results.
The JSON written by ``pact_verifier_cli --json`` ({"result", "errors", "output", ...}) is not read: it
names the failing interactions but not the passing ones, and its keys changed between releases.

Counting: one test-case row per result entry (per interaction, or per RSpec example for pact-ruby);
``interactions`` = ``passed`` + ``failed`` = the number of rows.
A verification whose ``success`` is false but that names no failing interaction (results absent,
free-form, or all passing) gets one failed row named "(verification)" so that ``failed`` is never 0
for a failed verification; a successful one with failing interactions (pending pacts) is counted as
written. ``verified`` is True (this is a verification); ``provider`` is "providerName" when present;
the Broker's verification document does not name the consumer, so ``consumer`` stays "".
"""

from __future__ import annotations

from typing import Any, BinaryIO

from evidence.parsers.base import ContractSummary, Head, ParseError, Parser, RowSink, TestCaseRow
from evidence.parsers.jsonstream import expect_dict, expect_list, load_document

_WHAT = "Pact verification result"


def _interaction_results(test_results: Any) -> tuple[list[Any], str]:
    """The per-interaction result entries and where they are, or ([], "") for free-form testResults."""
    if isinstance(test_results, list):
        return test_results, "testResults"
    for key in ("examples", "tests"):
        if isinstance(test_results, dict) and key in test_results:
            where = f"testResults.{key}"
            return expect_list(test_results[key], what=_WHAT, where=where), where
    return [], ""


def _outcome(result: dict[str, Any], where: str) -> str:
    success = result.get("success")
    if isinstance(success, bool):
        return "passed" if success else "failed"
    status = result.get("status")
    if isinstance(status, str):
        return "passed" if status == "passed" else "failed"
    raise ParseError(f'{_WHAT}: {where} has neither a boolean "success" nor a "status"')


def _message(result: dict[str, Any]) -> str:
    """The mismatch and exception descriptions of a failed result, joined: what a person reads first."""
    entries: list[Any] = [result.get("exception")]  # pact-ruby: one {"class", "message"}
    for key in ("mismatches", "exceptions", "differences"):
        listed = result.get(key)
        entries.extend(listed if isinstance(listed, list) else ())
    texts = []
    for entry in entries:
        if isinstance(entry, dict):
            text = entry.get("description") or entry.get("message")
            if isinstance(text, str) and text:
                texts.append(text)
    return "; ".join(texts)[:2000]


def _name(result: dict[str, Any], number: int) -> str:
    # pact-ruby writes one entry per example, so its test description tells the entries of an interaction apart.
    parts = [result.get(key) for key in ("interactionDescription", "testDescription")]
    name = " ".join(part for part in parts if isinstance(part, str) and part)
    interaction_id = result.get("interactionId")
    if not name and isinstance(interaction_id, str) and interaction_id:
        name = interaction_id
    return name[:500] or f"interaction {number}"


class PactVerificationParser(Parser):
    format = "pact-verification"
    kind = "contract"
    label = "Pact verification result"
    producers = "Pact Broker verification results (published by pact verifiers)"

    @classmethod
    def sniff(cls, head: Head) -> bool:
        keys = head.json_keys
        return (
            head.json_root == "object"
            and "success" in keys
            and bool(keys & {"testResults", "providerApplicationVersion", "verifiedBy"})
        )

    def parse(self, stream: BinaryIO, sink: RowSink) -> ContractSummary:
        # One verification of one pact: small by nature, read whole.
        document = expect_dict(load_document(stream, what=_WHAT), what=_WHAT)
        success = document.get("success")
        if not isinstance(success, bool):
            raise ParseError(f'{_WHAT}: "success" must be true or false, found {str(success)[:40]!r}')
        named = document.get("providerName")
        provider = named if isinstance(named, str) else ""
        suite = provider or "pact verification"
        passed = failed = 0
        results, where = _interaction_results(document.get("testResults"))
        for index, value in enumerate(results):
            result = expect_dict(value, what=_WHAT, where=f"{where}[{index}]")
            status = _outcome(result, f"{where}[{index}]")
            if status == "passed":
                passed += 1
            else:
                failed += 1
            interaction_id = result.get("interactionId")
            sink.test_case(
                TestCaseRow(
                    suite=suite,
                    name=_name(result, index + 1),
                    classname=interaction_id if isinstance(interaction_id, str) else "",
                    status=status,
                    message=_message(result) if status == "failed" else "",
                )
            )
        if not success and not failed:
            failed += 1
            sink.test_case(
                TestCaseRow(
                    suite=suite,
                    name="(verification)",
                    status="failed",
                    message="the verifier reported success=false without naming a failing interaction",
                )
            )
        return ContractSummary(
            interactions=passed + failed, passed=passed, failed=failed, provider=provider, verified=True
        )
