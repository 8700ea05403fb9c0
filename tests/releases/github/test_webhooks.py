"""POST /hooks/github with the real example payloads from the corpus, signed with a test secret."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory

from ledger.models import LedgerEntry
from releases.github import webhooks
from releases.github.views import github_webhook
from releases.github.webhooks import EVENT_HANDLERS, register_handler
from releases.models import CheckRun, Commit, PullRequest, Review, WebhookDelivery
from releases.selectors import pull_request_approval
from releases.services import service_create
from tests.corpus import corpus_file
from tests.releases.github.conftest import data

pytestmark = pytest.mark.django_db

SECRET = "It's a Secret to Everybody"
HELLO_HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def payload(name: str) -> dict:
    return json.loads(corpus_file(f"github-webhooks/{name}.json").read_text())


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(event: str, body: dict | bytes, *, delivery: str | None = None, signature: str | None = None, **extra):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4())}
    headers["X-Hub-Signature-256"] = sign(raw) if signature is None else signature
    if not headers["X-Hub-Signature-256"]:
        del headers["X-Hub-Signature-256"]
    content_type = extra.pop("content_type", "application/json")
    return Client().post("/hooks/github", raw, content_type=content_type, headers=headers, **extra)


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET


@pytest.fixture
def handlers():
    """The registry, restored after a test that registers handlers the way the metrics app will."""
    saved = dict(EVENT_HANDLERS)
    yield EVENT_HANDLERS
    EVENT_HANDLERS.clear()
    EVENT_HANDLERS.update(saved)


@pytest.fixture
def hello(db):
    return service_create(slug="hello", name="Hello", repository="Codertocat/Hello-World")


def test_the_example_signature_from_githubs_documentation():
    # docs.github.com "Validating webhook deliveries": this secret and body give this signature.
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert webhooks.signature_valid(secret=SECRET, body=b"Hello, World!", signature=expected)
    assert not webhooks.signature_valid(secret=SECRET, body=b"Hello, World?", signature=expected)


def test_a_missing_or_invalid_signature_is_refused_and_nothing_is_stored(hello, settings):
    body = payload("pull_request.closed.merged-googleapis")
    assert post("pull_request", body, signature="").status_code == 401
    assert post("pull_request", body, signature="sha256=" + "0" * 64).status_code == 401
    assert post("pull_request", body, signature=sign(json.dumps(body).encode(), "wrong")).status_code == 401
    assert post("pull_request", body, signature="sha1=abc").status_code == 401
    settings.GITHUB_WEBHOOK_SECRET = ""
    response = post("pull_request", body, signature=sign(json.dumps(body).encode(), ""))
    assert response.status_code == 401 and "GITHUB_WEBHOOK_SECRET" in response.json()["error"]
    assert WebhookDelivery.objects.count() == 0 and PullRequest.objects.count() == 0


def test_a_merged_pull_request_is_stored_and_audited(hello):
    response = post("pull_request", payload("pull_request.closed.merged-googleapis"), delivery="d-merged")
    assert response.status_code == 200 and response.json() == {"status": "processed", "delivery": "d-merged"}
    delivery = WebhookDelivery.objects.get(delivery_id="d-merged")
    assert (delivery.event, delivery.action, delivery.error) == ("pull_request", "closed", "")
    assert delivery.processed_at is not None and delivery.payload["number"] == 2
    pr = PullRequest.objects.get(service=hello, number=2)
    assert pr.merged_at == datetime(2019, 5, 15, 15, 20, 33, tzinfo=UTC)
    assert (pr.author, pr.state, pr.head_sha, pr.base_ref) == ("Codertocat", "closed", HELLO_HEAD, "master")
    # This fixture was edited upstream: merge_commit_sha "abc123" is not a SHA and merged_by is null.
    assert (pr.merge_commit_sha, pr.merged_by) == ("", "")
    entry = LedgerEntry.objects.get(action="pull_request.synced")
    assert (entry.actor, entry.subject_id, entry.data["created"]) == ("github-webhook", "hello#2", True)


def test_a_closed_unmerged_pull_request_from_enterprise_server(hello):
    post("pull_request", payload("pull_request.closed.unmerged-ghes-3.5"))
    pr = PullRequest.objects.get(number=2)
    assert pr.state == "closed" and pr.merged_at is None
    assert pr.merge_commit_sha == ""  # a test-merge SHA of an unmerged PR is not kept


def test_a_repeated_delivery_is_acknowledged_and_not_processed_again(hello, monkeypatch):
    calls = []
    handler = EVENT_HANDLERS["pull_request"]
    monkeypatch.setitem(EVENT_HANDLERS, "pull_request", lambda d, s: (calls.append(d.delivery_id), handler(d, s)))
    body = payload("pull_request.closed.merged-googleapis")
    assert post("pull_request", body, delivery="same").status_code == 200
    body["pull_request"]["title"] = "changed in the repeat"
    response = post("pull_request", body, delivery="same")
    assert response.status_code == 200 and response.json()["status"] == "duplicate"
    assert calls == ["same"]
    assert (
        WebhookDelivery.objects.count() == 1 and LedgerEntry.objects.filter(action="pull_request.synced").count() == 1
    )
    assert PullRequest.objects.get().title == "Update the README with new information."


def test_a_failed_handler_is_stored_with_its_error_and_replayable(hello, monkeypatch, capsys):
    def broken(delivery, service):
        CheckRun.objects.create(service=service, external_id=1, head_sha=HELLO_HEAD, name="half", status="queued")
        raise RuntimeError("database said no")

    monkeypatch.setitem(EVENT_HANDLERS, "check_run", broken)
    response = post("check_run", payload("check_run.completed-octokit"), delivery="d-fail")
    assert response.status_code == 202 and response.json()["status"] == "failed"
    delivery = WebhookDelivery.objects.get(delivery_id="d-fail")
    assert delivery.error == "RuntimeError: database said no" and delivery.processed_at is None
    assert CheckRun.objects.count() == 0  # the handler's partial work was rolled back

    monkeypatch.undo()  # the bug is fixed
    call_command("github_webhook_replay", "--failed")
    assert "d-fail check_run.completed: processed" in capsys.readouterr().out
    delivery.refresh_from_db()
    assert delivery.error == "" and delivery.processed_at is not None
    run = CheckRun.objects.get(service=hello)
    assert (run.external_id, run.name, run.status, run.conclusion) == (
        128620228,
        "Octocoders-linter",
        "completed",
        "success",
    )
    assert run.head_sha == HELLO_HEAD


def test_the_replay_command_by_id_and_its_refusals(hello, capsys):
    post("check_run", payload("check_run.completed-octokit"), delivery="d-1")
    call_command("github_webhook_replay", "d-1")
    assert "replayed 1 deliveries: 1 processed" in capsys.readouterr().out
    assert CheckRun.objects.count() == 1
    with pytest.raises(CommandError, match="no stored delivery with id nope"):
        call_command("github_webhook_replay", "d-1", "nope")
    with pytest.raises(CommandError, match="--failed or --pending"):
        call_command("github_webhook_replay")


def test_an_unknown_repository_is_stored_and_ignored_with_a_note(db, capsys):
    response = post("check_run", payload("check_run.completed-octokit"), delivery="d-unknown")
    assert response.status_code == 202
    assert response.json()["status"] == "stored" and "Codertocat/Hello-World" in response.json()["note"]
    delivery = WebhookDelivery.objects.get(delivery_id="d-unknown")
    assert delivery.error == "ignored: no service has repository 'Codertocat/Hello-World'"
    assert CheckRun.objects.count() == 0
    # Once the service exists, replaying the failed (ignored) deliveries processes them.
    service_create(slug="hello", repository="Codertocat/Hello-World")
    call_command("github_webhook_replay", "--failed")
    assert CheckRun.objects.count() == 1


def test_reviews_are_stored_and_the_authors_own_approval_does_not_count(hello):
    body = payload("pull_request_review.submitted.commented-octokit")
    assert post("pull_request_review", body).status_code == 200
    review = Review.objects.get()
    assert (review.reviewer, review.state, review.commit_id) == ("Codertocat", "COMMENTED", HELLO_HEAD)
    pr = PullRequest.objects.get(number=2)
    assert pr.author == "Codertocat" and pr.head_sha == HELLO_HEAD

    # The same author approving their own PR on its head commit.
    body["review"] |= {"id": body["review"]["id"] + 1, "state": "approved", "submitted_at": "2019-05-15T15:21:00Z"}
    post("pull_request_review", body)
    approval = pull_request_approval(pr)
    assert not approval.approved and approval.approved_by == [] and approval.approved_on_head == []
    assert "Codertocat approved their own pull request; that does not count" in approval.reasons


def test_a_review_payload_does_not_overwrite_what_the_pull_request_event_recorded(hello):
    post("pull_request", payload("pull_request.closed.merged-googleapis"))
    merged = PullRequest.objects.get(number=2)
    post("pull_request_review", payload("pull_request_review.submitted.commented-octokit"))
    assert PullRequest.objects.get(number=2).merged_at == merged.merged_at is not None


def test_a_review_from_go_scm_testdata(db):
    service_create(slug="testrepo", repository="shivamnegi94/testrepo")
    post("pull_request_review", payload("pull_request_review.submitted-go-scm"))
    review = Review.objects.get(external_id=3060633379)
    assert (review.pull_request.number, review.reviewer, review.state) == (205, "shivamnegi94", "COMMENTED")
    assert review.submitted_at == datetime(2025, 7, 28, 6, 35, 59, tzinfo=UTC)


def test_a_push_records_its_commits(hello):
    assert post("push", data("push.json")).status_code == 200
    first = Commit.objects.get(sha="6113728f27ae82c7b1a177c8d03f9e96e0adf246")
    assert (first.author, first.message) == ("Codertocat", "Update README.md")
    assert first.authored_at == datetime(2019, 5, 15, 20, 20, 30, tzinfo=UTC)
    head = Commit.objects.get(sha="0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c")
    assert head.author == "Jane Doe"  # no GitHub account matched: the git name
    assert Commit.objects.count() == 2


def test_a_push_whose_head_is_not_listed(hello):
    body = data("push.json")
    body["commits"] = []
    post("push", body)
    assert list(Commit.objects.values_list("sha", flat=True)) == ["0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"]


def test_check_suites_are_recorded_as_their_own_rows(hello):
    suite = payload("check_suite.completed-octokit")
    post("check_suite", suite)
    row = CheckRun.objects.get(service=hello)
    assert (row.external_id, row.name, row.conclusion) == (-118578147, "check suite: octocoders-linter", "success")
    # A re-requested suite is pending again; an app's queued suite that never ran gets no row.
    suite["check_suite"] |= {"status": "queued", "conclusion": None}
    post("check_suite", suite)
    row.refresh_from_db()
    assert (row.status, row.conclusion) == ("queued", "")
    suite["check_suite"]["id"] = 1
    post("check_suite", suite)
    assert CheckRun.objects.count() == 1


def test_ping(db):
    response = post("ping", {"zen": "Design for failure.", "hook_id": 1})
    assert response.status_code == 200 and response.json()["status"] == "pong"


@pytest.mark.parametrize(
    ("event", "name"),
    [("deployment_status", "deployment_status.created-octokit"), ("workflow_run", "workflow_run.completed-octokit")],
)
def test_events_for_the_metrics_app_are_stored_and_replayed_once_a_handler_registers(
    hello, handlers, capsys, event, name
):
    handlers.pop(event, None)  # as before the metrics app registers its handler
    response = post(event, payload(name), delivery=f"d-{event}")
    assert response.status_code == 202 and response.json()["status"] == "stored"
    delivery = WebhookDelivery.objects.get(delivery_id=f"d-{event}")
    assert delivery.processed_at is None and delivery.error == ""

    seen = []
    register_handler(event, lambda d, service: seen.append((d.delivery_id, service.slug)))
    call_command("github_webhook_replay", "--pending")
    if event == "workflow_run":  # octo-org/octo-repo: no service uses it
        assert seen == [] and "ignored" in capsys.readouterr().out
    else:
        assert seen == [(f"d-{event}", "hello")]
        delivery.refresh_from_db()
        assert delivery.processed_at is not None


def test_registering_a_second_handler_for_an_event_is_an_error():
    with pytest.raises(ValueError, match="already registered"):
        register_handler("pull_request", lambda delivery, service: None)
    register_handler("pull_request", EVENT_HANDLERS["pull_request"])  # the same one again is fine


def test_an_unhandled_event_is_stored(db):
    response = post("star", {"action": "created", "repository": {"full_name": "Codertocat/Hello-World"}})
    assert response.status_code == 202 and WebhookDelivery.objects.get().event == "star"


def test_malformed_requests(db):
    assert post("pull_request", b"{not json").status_code == 400
    assert post("pull_request", b"[1, 2]").status_code == 400
    assert post("pull_request", b"\xff\xfe").status_code == 400
    raw = b"{}"
    response = Client().post("/hooks/github", raw, content_type="application/json",
                             headers={"X-GitHub-Event": "ping", "X-Hub-Signature-256": sign(raw)})  # fmt: skip
    assert response.status_code == 400 and "X-GitHub-Delivery" in response.json()["error"]
    assert Client().get("/hooks/github").status_code == 405
    assert WebhookDelivery.objects.count() == 0


def test_a_form_encoded_delivery(hello):
    raw = urlencode({"payload": json.dumps(payload("check_run.completed-octokit"))}).encode()
    response = post("check_run", raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and CheckRun.objects.count() == 1


def test_a_body_larger_than_github_sends_is_refused(db, monkeypatch):
    response = post("ping", {"zen": "x"}, CONTENT_LENGTH=str(25 * 1024 * 1024 + 1))
    assert response.status_code == 413
    monkeypatch.setattr(webhooks, "MAX_BODY_BYTES", 10)
    assert post("ping", {"zen": "Design for failure."}).status_code == 413
    # A server that gives no length (ASGI, chunked): the limit is enforced while reading.
    request = RequestFactory().post("/hooks/github", b"", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)
    request._stream = io.BytesIO(b"x" * 11)
    assert github_webhook(request).status_code == 413
    assert WebhookDelivery.objects.count() == 0


def test_the_payload_is_stored_before_processing(hello, monkeypatch):
    stored_first = []

    def spy(delivery, service):
        stored_first.append(WebhookDelivery.objects.filter(delivery_id=delivery.delivery_id).exists())

    monkeypatch.setitem(EVENT_HANDLERS, "check_run", spy)
    post("check_run", payload("check_run.completed-octokit"), delivery="d-spy")
    assert stored_first == [True]


def test_a_late_delivery_from_before_the_merge_does_not_unmerge(hello):
    merged = payload("pull_request.closed.merged-googleapis")
    post("pull_request", merged)
    opened = json.loads(json.dumps(merged))
    opened["action"] = "opened"
    opened["pull_request"] |= {"state": "open", "merged": False, "merged_at": None, "closed_at": None,
                               "title": "an older title"}  # fmt: skip
    assert post("pull_request", opened).status_code == 200
    pr = PullRequest.objects.get(number=2)
    assert pr.merged_at is not None and pr.state == "closed" and pr.title == "Update the README with new information."
    assert LedgerEntry.objects.filter(action="pull_request.synced").count() == 1
