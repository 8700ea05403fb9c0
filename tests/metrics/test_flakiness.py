"""Gate and test flakiness, quarantines, and the other dashboard selectors (trend, queue time, canaries)."""

import itertools
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from evidence.models import Artifact, Evidence
from evidence.models import TestCase as JUnitCase
from ledger.models import LedgerEntry
from metrics.dora import dora_trend
from metrics.flakiness import gate_flakiness, gate_runs_for, junit_test_flakiness, quarantine_list, quarantined_gates
from metrics.jobs import metrics_refresh
from metrics.selectors import canary_summary, ci_queue_time, gate_counts
from metrics.services import EventError, gate_run_record, quarantine_create, quarantine_expire
from releases.models import Environment
from releases.services import commit_get_or_create
from tests.metrics.conftest import at, deploy, sha

pytestmark = pytest.mark.django_db
_ids = itertools.count(1)


def run(
    service,
    gate: str,
    commit: str,
    status: str,
    hour: float,
    *,
    attempt: int = 1,
    duration: float = 60,
    queue: float | None = None,
):
    gate_run_record(
        service=service,
        external_id=f"r{next(_ids)}",
        gate=gate,
        sha=sha(commit),
        status=status,
        started_at=at(hour),
        duration_s=duration,
        attempt=attempt,
        queue_s=queue,
        actor="test",
    )


@pytest.fixture
def gate_history(service):
    # unit: c1 fail then pass on retry (flaky); c2 pass; c3 fail, fail, pass (flaky); c4 pass.
    run(service, "unit", "c1", "fail", 1, duration=100)
    run(service, "unit", "c1", "pass", 2, attempt=2)
    run(service, "unit", "c2", "pass", 3)
    run(service, "unit", "c3", "fail", 4, duration=30)
    run(service, "unit", "c3", "fail", 5, attempt=2, duration=40)
    run(service, "unit", "c3", "pass", 6, attempt=3)
    run(service, "unit", "c4", "pass", 7)
    # e2e: fails everywhere (broken); lint: passes everywhere; sast: one real failure (c2), never flaky.
    for hour, commit in ((1, "c1"), (3, "c2"), (4, "c3")):
        run(service, "e2e", commit, "fail", hour)
        run(service, "lint", commit, "pass", hour, queue=hour * 10)
    run(service, "sast", "c1", "pass", 1)
    run(service, "sast", "c2", "fail", 3)
    run(service, "sast", "c3", "pass", 4)


def test_gate_flakiness(service, gate_history):
    gates = {g["gate"]: g for g in gate_flakiness(service=service, start=at(0), end=at(24))}
    unit = gates["unit"]
    assert unit["state"] == "flaky" and (unit["runs"], unit["passes"], unit["fails"]) == (7, 4, 3)
    # flaky commits c1, c3 of 4 commits -> 0.5
    assert (unit["flaky_commits"], unit["commits"], unit["flaky_rate"]) == (2, 4, 0.5)
    # verdicts in time order F P P F F P P: changes at 2, 4, 6 -> 3 flips / 6 pairs = 0.5
    assert unit["flips"] == 3 and unit["flip_rate"] == 0.5
    # first run failed on c1 and c3, both passed later -> 2 / 2
    assert unit["pass_on_retry_rate"] == 1.0
    # time lost: the failed runs on commits that passed in the end: 100 + 30 + 40 = 170 s
    assert unit["time_lost_s"] == 170.0
    assert gates["e2e"]["state"] == "broken" and gates["e2e"]["flaky_rate"] == 0.0
    assert gates["lint"]["state"] == "healthy" and gates["lint"]["flip_rate"] == 0.0
    assert gates["sast"]["state"] == "failing" and gates["sast"]["pass_on_retry_rate"] == 0.0
    assert [r["status"] for r in gate_runs_for(service=service, gate="unit", start=at(0), end=at(24))][:2] == [
        "fail",
        "pass",
    ]


def test_quarantine(service, gate_history):
    assert quarantined_gates(service) == set()
    quarantine = quarantine_create(
        service=service,
        gate="unit",
        owner="bob",
        reason="flaky since the runner upgrade",
        expires_at=timezone.now() + timedelta(days=7),
        actor="user:bob",
    )
    assert quarantined_gates(service) == {"unit"}
    gates = {g["gate"]: g for g in gate_flakiness(service=service, start=at(0), end=at(24))}
    assert gates["unit"]["quarantined"] and not gates["e2e"]["quarantined"]
    # quarantining again extends the one active quarantine
    again = quarantine_create(
        service=service,
        gate="unit",
        owner="carol",
        reason="still flaky",
        expires_at=timezone.now() + timedelta(days=14),
        actor="user:carol",
    )
    assert again.pk == quarantine.pk and again.owner == "carol"
    # it comes back when it expires (visibly: in the list, and once in the ledger)
    later = timezone.now() + timedelta(days=15)
    assert quarantined_gates(service, at=later) == set()
    assert [q["state"] for q in quarantine_list(service, at=later)] == ["expired"]
    assert metrics_refresh()["quarantines_expired"] == 0  # not yet expired now
    quarantine_expire(quarantine=again, actor="user:alice")
    assert quarantined_gates(service) == set() and quarantine_list(service)[0]["state"] == "lifted"
    assert LedgerEntry.objects.filter(action__startswith="quarantine.").count() == 3


def test_quarantine_refusals_and_expiry_record(service):
    with pytest.raises(EventError, match="expires_at"):
        quarantine_create(
            service=service,
            gate="unit",
            owner="bob",
            reason="x",
            expires_at=timezone.now() - timedelta(hours=1),
            actor="t",
        )
    with pytest.raises(EventError, match="reason"):
        quarantine_create(
            service=service,
            gate="unit",
            owner="bob",
            reason=" ",
            expires_at=timezone.now() + timedelta(hours=1),
            actor="t",
        )
    q = quarantine_create(
        service=service,
        gate="unit",
        owner="bob",
        reason="flaky",
        expires_at=timezone.now() + timedelta(hours=1),
        actor="t",
    )
    type(q).objects.filter(pk=q.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert metrics_refresh()["quarantines_expired"] == 1
    assert metrics_refresh()["quarantines_expired"] == 0  # recorded once
    assert quarantine_list(service)[0]["state"] == "expired"
    assert LedgerEntry.objects.filter(action="quarantine.expired").count() == 1


def junit_run(service, commit: str, hour: float, cases: list[tuple[str, str, float]]):
    """One parsed JUnit report: ``cases`` are (name, status, duration)."""
    commit_row = commit_get_or_create(service=service, sha=sha(commit))
    artifact = Artifact.objects.create(
        sha256=f"{next(_ids):064x}",
        size=1,
        service=service,
        commit=commit_row,
        kind="tests",
        format="junit",
        uploader="test",
        status="parsed",
    )
    evidence = Evidence.objects.create(
        artifact=artifact, service=service, commit=commit_row, kind="tests", format="junit", summary={}
    )
    Evidence.objects.filter(pk=evidence.pk).update(created_at=at(hour))
    JUnitCase.objects.bulk_create(
        JUnitCase(
            evidence=evidence,
            suite="s",
            classname="com.acme.CheckoutTest",
            name=name,
            status=status,
            duration_s=duration,
        )
        for name, status, duration in cases
    )


def test_test_flakiness_from_junit_history(service):
    junit_run(service, "c1", 1, [("testRetry", "failed", 2.0), ("testStable", "passed", 1), ("testBroken", "error", 1)])
    junit_run(
        service, "c1", 2, [("testRetry", "passed", 1.0), ("testStable", "passed", 1), ("testBroken", "failed", 1)]
    )
    junit_run(
        service,
        "c2",
        3,
        [
            ("testRetry", "passed", 1.0),
            ("testSurefire", "flaky", 3),
            ("testBroken", "failed", 1),
            ("testSkipped", "skipped", 0),
        ],
    )
    tests = {t["name"]: t for t in junit_test_flakiness(service=service, start=at(0), end=at(24))}
    assert set(tests) == {"testRetry", "testSurefire", "testBroken"}  # only tests that ever failed
    retry = tests["testRetry"]
    # c1: failed then passed -> flaky; c2: passed -> 1 flaky commit of 2; flips F P P -> 1 of 2 pairs
    assert (retry["state"], retry["flaky_rate"], retry["flip_rate"], retry["pass_on_retry_rate"]) == (
        "flaky",
        0.5,
        0.5,
        1.0,
    )
    assert retry["time_lost_s"] == 2.0
    # a Surefire flaky result failed then passed inside one run: flaky by itself
    assert tests["testSurefire"]["state"] == "flaky" and tests["testSurefire"]["pass_on_retry_rate"] == 1.0
    assert tests["testBroken"]["state"] == "broken" and tests["testBroken"]["flaky_rate"] == 0.0


def test_dashboard_selectors(service):
    production = Environment.objects.get_or_create(name="production")[0]
    deploy(service, "D1", "a1", at(0), canary=[(20, at(-0.5), at(-0.25)), (100, at(-0.25), at(0))])
    deploy(
        service, "D2", "b2", at(days=1), status="rolled_back", canary=[(20, at(23.5), at(24), "error rate 7%", True)]
    )
    deploy(service, "D3", "b3", at(days=2), commits=[("b3", at(40))])
    trend = dora_trend(service=service, environment=production, start=at(-1), end=at(days=3), bucket="day")
    assert [(row["deployments"], row["failed"]) for row in trend] == [(1, 0), (1, 1), (1, 0)]
    # D2 (rolled back at h24) recovers at D3, the next success (h48): 24 h; D3, exactly 24 h after the
    # failed D2, is rework (the window is inclusive); D3's one change: 48 - 40 = 8 h.
    assert trend[1]["recovery_p50_s"] == 24 * 3600.0 and trend[2]["recovery_p50_s"] is None
    assert trend[2]["lead_time_p50_s"] == 8 * 3600.0 and trend[2]["rework"] == 1
    canaries = canary_summary(service=service, environment=production, start=at(-1), end=at(days=3))
    # D1 ran 30 min, D2 30 min and aborted: 1 of 2 aborted; mean 1800 s (labelled a mean)
    assert canaries["aborted"] == {"aborted": 1, "total": 2, "rate": 0.5}
    assert canaries["duration_s"]["p50"] == 1800.0 and canaries["mean_duration_s"] == 1800.0
    run(service, "lint", "c1", "pass", 1, queue=10)
    run(service, "lint", "c2", "fail", 2, queue=30)
    assert ci_queue_time(service=service, start=at(0), end=at(24)) == {"p50": 20.0, "p75": 25.0, "p90": 28.0, "n": 2}
    counts = gate_counts(service=service, start=at(0), end=at(24))
    assert [(c["gate"], c["passed"], c["failed"]) for c in counts] == [("lint", 1, 1)]
    with pytest.raises(ValueError):
        gate_counts(service=service, start=at(0), end=at(24), bucket="hour")


def test_recompute_command(service, capsys):
    deploy(service, "D1", "a1", at(0))
    call_command("metrics_recompute")
    call_command("metrics_recompute", "--since", "2025-03-01T00:00:00Z")
    assert "recomputed 1" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("metrics_recompute", "--since", "yesterday")
    with pytest.raises(CommandError):
        call_command("metrics_recompute", "--since", "2025-03-01T00:00:00")
    with pytest.raises(CommandError):
        call_command("metrics_event_replay")
