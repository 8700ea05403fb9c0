"""The human- and machine-readable documents inside a bundle: checklists, approvals, access, controls, index."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.template.loader import render_to_string

from access.roles import RELEASE_MANAGERS
from checklists.bundles.selectors import BundlePlan, ReleasePart, SampledChange, artifact_path
from ledger.signing import signing_key_fingerprint
from releases.models import CheckRun, PullRequest
from releases.selectors import ApprovalEvidence

CRITERIA = {
    "CC8.1": ("Change management", "Changes are authorised, tested, approved and recorded before release."),
    "CC7.1": ("Vulnerability management", "Vulnerability scans and SBOMs of what was released."),
    "CC6.8": ("Signatures and provenance", "Signed build provenance, and this bundle's own signature and ledger."),
    "CC5.3": ("Policy as code", "Policy results and the checklist gates, evaluated by code, exactly as run."),
    "CC6.1": ("Logical access", "Who could approve at export time, and who approved each release and change."),
}
_KINDS_FOR = {"CC7.1": {"vulnerabilities", "sbom"}, "CC6.8": {"attestation"}, "CC5.3": {"policy"}}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _user(user) -> str | None:
    return user.get_username() if user else None


def release_document(part: ReleasePart) -> dict[str, Any]:
    """A release's checklist with every item's state, deciding figure, evidence, sign-offs and waivers."""
    release = part.release
    return {
        "id": release.pk, "service": release.service.slug, "version": release.version, "commit": release.commit.sha,
        "checklist": {"name": release.checklist_name, "version": release.checklist_version,
                      "source": release.checklist_source, "file": f"{part.folder}/checklist.md"},
        "status": release.status, "created_by": release.created_by, "created_at": _iso(release.created_at),
        "evaluated_at": _iso(release.evaluated_at), "approved_by": _user(release.approved_by),
        "approved_at": _iso(release.approved_at),
        "items": [{
            "id": item.item_id, "title": item.title, "gate": item.gate, "manual": item.is_manual,
            "owner_role": item.owner_role, "soc2": item.soc2, "state": item.state, "figure": item.figure,
            "evidence": [{"artifact_id": a.pk, "sha256": a.sha256, "kind": a.kind, "path": artifact_path(a)}
                         for a in item.evidence.all()],
            "signoffs": [{"by": _user(s.user), "at": _iso(s.signed_at), "comment": s.comment,
                          "evidence_url": s.evidence_url} for s in item.signoffs.all()],
            "waivers": [{"requested_by": _user(w.requested_by), "requested_at": _iso(w.requested_at),
                         "approved_by": _user(w.approved_by), "approved_at": _iso(w.approved_at),
                         "reason": w.reason, "expires_at": _iso(w.expires_at)} for w in item.waivers.all()],
        } for item in part.items],
    }  # fmt: skip


def pull_request_document(pr: PullRequest, approval: ApprovalEvidence) -> dict[str, Any]:
    """A PR's approval evidence: the verdict, every review and the check runs on its head and merge commits."""
    shas = [sha for sha in (pr.head_sha, pr.merge_commit_sha) if sha]
    checks = CheckRun.objects.filter(service_id=pr.service_id, head_sha__in=shas).order_by("external_id")
    return {
        "service": pr.service.slug, "number": pr.number, "title": pr.title, "author": pr.author,
        "created_at": _iso(pr.created_at), "merged_at": _iso(pr.merged_at), "merged_by": pr.merged_by,
        "head_sha": pr.head_sha, "merge_commit_sha": pr.merge_commit_sha, "base_ref": pr.base_ref,
        "is_revert": pr.is_revert, "is_hotfix": pr.is_hotfix, "approval": asdict(approval),
        "reviews": [{"reviewer": r.reviewer, "state": r.state, "commit": r.commit_id,
                     "submitted_at": _iso(r.submitted_at)} for r in pr.reviews.order_by("submitted_at", "external_id")],
        "commits": [{"sha": c.sha, "author": c.author, "authored_at": _iso(c.authored_at)} for c in pr.commits.all()],
        "check_runs": [{"name": c.name, "commit": c.head_sha, "status": c.status, "conclusion": c.conclusion,
                        "completed_at": _iso(c.completed_at)} for c in checks],
    }  # fmt: skip


def sample_document(change: SampledChange, plan: BundlePlan) -> dict[str, Any]:
    """One sampled change's evidence: the population row, its approval, the releases and artifacts of its commit."""
    population = plan.population
    pr = population.pull_requests.get(change.row["change_id"])
    by_release = {part.release.pk: part for part in plan.releases}
    return {
        "population_row": change.position + 1, "change": change.row,
        "pull_request": pull_request_document(pr, population.approvals[change.row["change_id"]]) if pr else None,
        "releases": [{"service": r.service.slug, "version": r.version, "status": r.status,
                      "approved_by": _user(r.approved_by), "approved_at": _iso(r.approved_at),
                      "checklist": f"{by_release[r.pk].folder}/checklist.json" if r.pk in by_release else None}
                     for r in change.releases],
        "artifacts": [{"artifact_id": a.pk, "sha256": a.sha256, "kind": a.kind, "format": a.format,
                       "received_at": _iso(a.received_at), "uploader": a.uploader, "path": artifact_path(a)}
                      for a in change.artifacts],
    }  # fmt: skip


def access_document() -> dict[str, Any]:
    """CC6.1: everyone who could approve releases and waivers when the bundle was made."""
    users = get_user_model().objects.filter(Q(groups__name=RELEASE_MANAGERS) | Q(is_superuser=True)).distinct()
    return {
        "rule": "releases and waivers are approved by release managers (or superusers); nobody approves a release "
                "containing a change they authored, and a waiver needs someone other than its requester",
        "could_approve": [{"username": u.get_username(), "active": u.is_active, "superuser": u.is_superuser,
                           "groups": sorted(u.groups.values_list("name", flat=True)),
                           "date_joined": _iso(u.date_joined), "last_login": _iso(u.last_login)}
                          for u in users.order_by("username")],
    }  # fmt: skip


def _release_approvals(plan: BundlePlan) -> list[dict[str, Any]]:
    approvals = []
    for part in plan.releases:
        release = part.release
        approvals.append(
            {
                "release": f"{release.service.slug} {release.version}",
                "approved_by": _user(release.approved_by),
                "approved_at": _iso(release.approved_at),
                "waivers_approved_by": sorted(
                    {_user(w.approved_by) for i in part.items for w in i.waivers.all() if w.approved_by}
                ),
                "pull_requests": {f"#{pr.number}": a.approved_on_head for pr, a in part.changes},
            }
        )
    return approvals  # fmt: skip


def controls_document(plan: BundlePlan, files: list[str]) -> dict[str, Any]:
    """controls.json: each SOC 2 criterion with the bundle files that evidence it."""
    evidence: dict[str, list[str]] = {criterion: [] for criterion in CRITERIA}
    by_path = {artifact_path(a): a for a in plan.artifacts}
    for criterion, kinds in _KINDS_FOR.items():
        evidence[criterion] += [path for path, artifact in by_path.items() if artifact.kind in kinds]
    for part in plan.releases:
        evidence["CC8.1"] += [f"{part.folder}/checklist.json", f"{part.folder}/pull-requests.json"]
        evidence["CC5.3"].append(f"{part.folder}/checklist.md")
        for item in part.items:
            for criterion in item.soc2:
                evidence.setdefault(criterion, []).extend(artifact_path(a) for a in item.evidence.all())
    period = [p for p in files if p.startswith("period/") and p.count("/") == 1]
    evidence["CC8.1"] += period
    evidence["CC6.8"] += ["manifest.sig", "public_key.pem", "ledger/entries.jsonl", "ledger/checkpoints.json"]
    evidence["CC6.1"] += ["access.json"] + [f"{part.folder}/pull-requests.json" for part in plan.releases]
    return {
        "criteria": [{"criterion": criterion, "title": CRITERIA.get(criterion, (criterion, ""))[0],
                      "description": CRITERIA.get(criterion, ("", "from the checklist's soc2 tags"))[1],
                      "evidence": sorted(set(paths))} for criterion, paths in evidence.items()],
        "approvals": _release_approvals(plan),
    }  # fmt: skip


def index_html(plan: BundlePlan, *, manifest_head: dict[str, Any], controls: dict[str, Any]) -> bytes:
    """index.html: the offline summary an auditor reads first (no scripts, no external assets)."""
    context = {
        "plan": plan, "head": manifest_head, "controls": controls["criteria"],
        "releases": [(part, release_document(part)) for part in plan.releases],
        "population": plan.population, "sample": plan.sample, "emergency": plan.emergency,
        "artifact_count": len(plan.artifacts),
        "fingerprint": signing_key_fingerprint(),
    }  # fmt: skip
    return render_to_string("bundles/index.html", context).encode()


def checklist_html(part: ReleasePart) -> bytes:
    return render_to_string("bundles/checklist.html", {"part": part, "doc": release_document(part)}).encode()
