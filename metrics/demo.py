"""A seeded generator of 90 realistic days of delivery events for the demo services.

``demo_metrics_plan`` is pure (same seed and end -> the same plan); ``demo_metrics_load`` inserts a plan in
bulk and then runs ``metrics_recompute`` per service and environment, so every derived figure comes from
the same rules the ingestion services apply. Pull requests (with commits and reviews) merge through the day;
staging deploys what merged, production follows staging with canary steps; some deployments fail or roll
back, incidents follow some of them (a few with an explicit caused-by), kill switches are flipped, and
gates run on every merge, one of them flaky and one broken.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from metrics.derive import metrics_recompute
from metrics.models import CanaryStep, Deployment, FlagFlip, GateRun, Incident
from releases.models import Commit, Environment, PullRequest, PullRequestCommit, Review, Service

DEMO_SERVICES = ("payments", "checkout", "gatehouse")
ENVIRONMENTS = ("staging", "production")
GATES = ("lint", "unit-tests", "integration-tests", "sast", "e2e-browser")
FLAKY_GATE = "e2e-browser"
BROKEN_GATE = ("checkout", "perf-budget")
PREFIX = "demo-"


def _sha(*parts: Any) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


@dataclass
class Plan:
    prs: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    flips: list[dict[str, Any]] = field(default_factory=list)
    gate_runs: list[dict[str, Any]] = field(default_factory=list)


def _service_prs(rng: random.Random, slug: str, start: datetime, end: datetime, per_day: float) -> list[dict]:
    prs, number, moment = [], 100, start
    while True:
        moment += timedelta(hours=rng.expovariate(per_day / 24))
        if moment >= end:
            return prs
        if moment.weekday() >= 5 and rng.random() < 0.8:  # quiet weekends
            continue
        number += 1
        coding = timedelta(hours=rng.lognormvariate(1.5, 1.0))
        pickup = timedelta(hours=rng.lognormvariate(0.8, 1.1))
        review = timedelta(hours=rng.lognormvariate(0.5, 1.0))
        created = moment - review - pickup
        first_commit = created - coding
        commits = [(_sha(slug, number, c), first_commit + (created - first_commit) * c / 3) for c in range(3)]
        prs.append({
            "service": slug, "number": number, "created_at": created, "merged_at": moment,
            "first_review_at": created + pickup, "merge_sha": _sha(slug, number, "merge"), "commits": commits,
            "title": ("Revert " if rng.random() < 0.03 else "") + f"change {number}",
            "hotfix": rng.random() < 0.04, "author": rng.choice(["bob", "erin", "frank", "grace"]),
        })  # fmt: skip


def _deployments(rng: random.Random, slug: str, prs: list[dict], end: datetime, plan: Plan) -> None:
    """Staging deploys the merges of every few hours; production follows a staging success with a canary."""
    merged = sorted(prs, key=lambda p: p["merged_at"])
    count = {"staging": 0, "production": 0}
    live: dict[str, list[str]] = {"staging": [], "production": []}
    position = 0
    moment = merged[0]["merged_at"] if merged else end
    while position < len(merged):
        moment += timedelta(hours=rng.uniform(3, 14))
        batch = []
        while position < len(merged) and merged[position]["merged_at"] <= moment:
            batch.append(merged[position])
            position += 1
        if not batch or moment >= end:
            continue
        head = batch[-1]["merge_sha"]
        listed = [{"sha": p["merge_sha"], "authored_at": p["commits"][0][1].isoformat()} for p in batch]
        for env, delay in (("staging", timedelta(minutes=20)), ("production", timedelta(hours=rng.uniform(2, 20)))):
            finished = moment + delay
            if finished >= end:
                break
            roll = rng.random()
            status = "failed" if roll < 0.06 else "rolled_back" if roll < 0.10 else "success"
            count[env] += 1
            external_id = f"{PREFIX}{slug}-{env}-{count[env]}"
            canary = []
            if env == "production":
                step_start = finished - timedelta(minutes=45)
                for index, weight in enumerate((5, 25, 50, 100)):
                    aborted = status != "success" and index == 1
                    step_end = step_start + timedelta(minutes=rng.uniform(5, 12))
                    canary.append({"position": index, "weight": weight, "started_at": step_start,
                                   "finished_at": step_end, "aborted": aborted,
                                   "analysis": "error rate above 1%" if aborted else "passed"})  # fmt: skip
                    step_start = step_end
                    if aborted:
                        break
            plan.deployments.append({
                "service": slug, "environment": env, "external_id": external_id, "commit": head,
                "started_at": finished - timedelta(minutes=50), "finished_at": finished, "status": status,
                "listed_commits": listed, "build": f"build-{slug}-{count[env]}", "canary": canary,
            })  # fmt: skip
            if status == "success":
                live[env].append(head)
            if env == "production" and status == "success" and rng.random() < 0.07:
                _incident(rng, slug, plan, finished, external_id, explicit=rng.random() < 0.5)
            if env == "production" and status == "success" and len(live[env]) > 2 and rng.random() < 0.04:
                # an engineer redeploys the previous SHA: rollback detection finds it without a status
                count[env] += 1
                back = finished + timedelta(minutes=rng.uniform(20, 90))
                plan.deployments.append({
                    "service": slug, "environment": env, "external_id": f"{PREFIX}{slug}-{env}-{count[env]}",
                    "commit": live[env][-2], "started_at": back - timedelta(minutes=10), "finished_at": back,
                    "status": "success", "listed_commits": [], "build": "redeploy", "canary": [],
                })  # fmt: skip
                live[env].append(live[env][-2])
            if status != "success":
                break  # a failed staging deployment is not promoted


def _incident(rng: random.Random, slug: str, plan: Plan, after: datetime, deployment: str, explicit: bool) -> None:
    opened = after + timedelta(minutes=rng.uniform(10, 240))
    detected = opened + timedelta(minutes=rng.uniform(1, 30))
    number = len(plan.incidents) + 1
    plan.incidents.append({
        "service": slug, "environment": "production", "external_id": f"{PREFIX}{slug}-INC-{number}",
        "opened_at": opened, "detected_at": detected,
        "resolved_at": detected + timedelta(minutes=rng.lognormvariate(4.0, 0.8)),
        "severity": rng.choice(["sev1", "sev2", "sev2", "sev3"]), "title": f"{slug} error rate spike",
        "caused_by_deployment_ref": deployment if explicit else "",
    })  # fmt: skip
    if rng.random() < 0.4:
        plan.flips.append({
            "service": slug, "environment": "production", "external_id": f"{PREFIX}{slug}-flip-k{number}",
            "flag_key": f"{slug}-new-path", "flipped_at": detected + timedelta(minutes=rng.uniform(2, 15)),
            "enabled": False, "kill_switch": True, "comment": "kill switch during incident",
        })  # fmt: skip


def _gate_runs(rng: random.Random, slug: str, prs: list[dict], end: datetime, plan: Plan) -> None:
    gates = [*GATES, *([BROKEN_GATE[1]] if slug == BROKEN_GATE[0] else [])]
    for pr in prs:
        for gate in gates:
            started = pr["merged_at"] - timedelta(minutes=rng.uniform(5, 40))
            duration = {"lint": 40, "unit-tests": 240, "integration-tests": 600, "sast": 180}.get(gate, 900)
            outcomes = ["pass"]
            if gate == FLAKY_GATE and rng.random() < 0.18:
                outcomes = ["fail", "pass"]
            elif gate == BROKEN_GATE[1]:
                outcomes = ["fail"] if pr["merged_at"] > end - timedelta(days=21) else ["pass"]
            elif rng.random() < 0.02:
                outcomes = ["fail", "fail", "pass"] if gate == "integration-tests" else ["fail"]
            for attempt, status in enumerate(outcomes, start=1):
                plan.gate_runs.append({
                    "service": slug, "gate": gate, "sha": pr["merge_sha"], "attempt": attempt, "status": status,
                    "started_at": started, "duration_s": duration * rng.uniform(0.7, 1.4),
                    "queue_s": rng.expovariate(1 / 45), "run_id": f"run-{pr['number']}-{attempt}",
                    "external_id": f"{PREFIX}{pr['number']}-{gate}-{attempt}",
                })  # fmt: skip
                started += timedelta(seconds=duration * 1.5)


def demo_metrics_plan(
    *, seed: int = 7, end: datetime | None = None, days: int = 90, services=DEMO_SERVICES, per_day: float = 4.0
) -> Plan:
    """The events of ``days`` days before ``end`` (default: today 00:00 UTC) for ``services``: pure, seeded."""
    end = end or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    plan = Plan()
    for slug in services:
        rng = random.Random(f"{seed}:{slug}")
        prs = _service_prs(rng, slug, start, end, per_day)
        plan.prs.extend(prs)
        _deployments(rng, slug, prs, end, plan)
        _gate_runs(rng, slug, prs, end, plan)
        for number in range(days // 6):  # routine flag flips (not kill switches)
            plan.flips.append({
                "service": slug, "environment": rng.choice(ENVIRONMENTS),
                "external_id": f"{PREFIX}{slug}-flip-{number}",
                "flag_key": f"{slug}-{rng.choice(['beta-ui', 'new-path', 'fast-retry'])}",
                "flipped_at": start + timedelta(hours=rng.uniform(0, days * 24)), "enabled": rng.random() < 0.5,
                "kill_switch": False, "comment": "",
            })  # fmt: skip
    return plan


@transaction.atomic
def demo_metrics_load(plan: Plan) -> dict[str, int]:
    """Insert a plan (skipping services that already hold demo deployments) and recompute what derives from it."""
    slugs = sorted({pr["service"] for pr in plan.prs} | {d["service"] for d in plan.deployments})
    services = {s.slug: s for s in Service.objects.filter(slug__in=slugs)}
    loaded = {slug for slug, s in services.items()
              if not Deployment.objects.filter(service=s, external_id__startswith=PREFIX).exists()}  # fmt: skip
    envs = {name: Environment.objects.get_or_create(name=name, defaults={"is_production": name == "production"})[0]
            for name in ENVIRONMENTS}  # fmt: skip
    prs = [p for p in plan.prs if p["service"] in loaded]
    shas = {(p["service"], p["merge_sha"]): p for p in prs}
    Commit.objects.bulk_create(
        [Commit(service=services[s], sha=sha, message=p["title"], author=p["author"], authored_at=p["commits"][0][1],
                committed_at=p["merged_at"]) for (s, sha), p in shas.items()],
        ignore_conflicts=True,
    )  # fmt: skip
    commits = {
        (c.service.slug, c.sha): c for c in Commit.objects.filter(service__slug__in=loaded).select_related("service")
    }
    pr_rows = PullRequest.objects.bulk_create(
        [PullRequest(service=services[p["service"]], number=p["number"], title=p["title"], author=p["author"],
                     state="closed", created_at=p["created_at"], merged_at=p["merged_at"], merged_by="alice",
                     head_sha=p["commits"][-1][0], merge_commit_sha=p["merge_sha"], base_ref="main",
                     is_revert=p["title"].startswith("Revert"), is_hotfix=p["hotfix"]) for p in prs]
    )  # fmt: skip
    PullRequestCommit.objects.bulk_create(
        [PullRequestCommit(pull_request=row, sha=sha, author=p["author"], authored_at=at)
         for row, p in zip(pr_rows, prs, strict=True) for sha, at in p["commits"]]
    )  # fmt: skip
    Review.objects.bulk_create(
        [Review(pull_request=row, external_id=row.service_id * 1_000_000 + p["number"], reviewer="dave",
                state="APPROVED", commit_id=p["commits"][-1][0], submitted_at=p["first_review_at"])
         for row, p in zip(pr_rows, prs, strict=True)]
    )  # fmt: skip
    deployments = [d for d in plan.deployments if d["service"] in loaded]
    rows = Deployment.objects.bulk_create(
        [Deployment(service=services[d["service"]], environment=envs[d["environment"]], external_id=d["external_id"],
                    commit=commits[(d["service"], d["commit"])], build=d["build"], started_at=d["started_at"],
                    finished_at=d["finished_at"], status=d["status"], listed_commits=d["listed_commits"])
         for d in deployments]
    )  # fmt: skip
    CanaryStep.objects.bulk_create(
        [CanaryStep(deployment=row, **step) for row, d in zip(rows, deployments, strict=True) for step in d["canary"]]
    )
    by_ref = {(d["service"], d["external_id"]): row for row, d in zip(rows, deployments, strict=True)}
    incidents = [i for i in plan.incidents if i["service"] in loaded]
    Incident.objects.bulk_create(
        [Incident(service=services[i["service"]], environment=envs[i["environment"]],
                  **{k: v for k, v in i.items() if k not in ("service", "environment")},
                  caused_by_deployment=by_ref.get((i["service"], i["caused_by_deployment_ref"])))
         for i in incidents]
    )  # fmt: skip
    flips = [f for f in plan.flips if f["service"] in loaded]
    FlagFlip.objects.bulk_create(
        [FlagFlip(service=services[f["service"]], environment=envs[f["environment"]],
                  **{k: v for k, v in f.items() if k not in ("service", "environment")}) for f in flips]
    )  # fmt: skip
    runs = [r for r in plan.gate_runs if r["service"] in loaded]
    GateRun.objects.bulk_create(
        [GateRun(service=services[r["service"]], **{k: v for k, v in r.items() if k != "service"}) for r in runs],
        batch_size=2000,
    )
    for slug in loaded:
        for env in envs.values():
            metrics_recompute(service_id=services[slug].pk, environment_id=env.pk)
    return {"deployments": len(rows), "incidents": len(incidents), "flag_flips": len(flips), "gate_runs": len(runs),
            "pull_requests": len(pr_rows)}  # fmt: skip


def demo_metrics(*, seed: int = 7, end: datetime | None = None) -> dict[str, int]:
    """Generate and load the demo's 90 days (idempotent per service)."""
    return demo_metrics_load(demo_metrics_plan(seed=seed, end=end))
