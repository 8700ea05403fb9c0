"""Writes for releases: create, evaluate against evidence, sign off, waive, approve."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from access.roles import RELEASE_MANAGERS, user_actor
from checklists.definitions import Checklist, ChecklistError, builtin_checklist, checklist_parse
from checklists.gates import gate_evaluate
from checklists.models import Release, ReleaseItem, SignOff, Waiver
from evidence.selectors import commit_evidence
from ledger.services import ledger_append
from metrics.flakiness import quarantined_gates
from releases.models import Commit, Service
from releases.services import commit_get_or_create

logger = logging.getLogger(__name__)


class ReleaseError(Exception):
    """A refused release action; ``status`` is the HTTP status an API answers with."""

    def __init__(self, message: str, status: int = 422):
        self.message = message
        self.status = status
        super().__init__(message)


def checklist_resolve(*, service: Service, name: str, commit_sha: str) -> tuple[Checklist, str]:
    """The service's own ``checklists/<name>.md`` at the commit when its repository has one, else the built-in."""
    from checklists.repo import checklist_fetch

    text = checklist_fetch(service=service, name=name, commit_sha=commit_sha)
    if text is not None:
        try:
            return checklist_parse(text, name=name, source=f"{service.repository}@{commit_sha[:12]}"), text
        except ChecklistError as exc:
            raise ReleaseError(f"checklists/{name}.md in {service.repository} is invalid: {exc}") from None
    checklist = builtin_checklist(name)
    if checklist is None:
        raise ReleaseError(
            f"unknown checklist {name!r}: neither built in nor in {service.repository or 'a repository'}"
        )
    from checklists.definitions import BUILTIN_DIR

    return checklist, (BUILTIN_DIR / f"{name}.md").read_text()


@transaction.atomic
def release_create(*, service: Service, version: str, commit_sha: str, checklist_name: str, actor: str):
    """Create a release (idempotent on service + version) and evaluate it. Returns ``(release, created)``."""
    existing = Release.objects.filter(service=service, version=version).select_related("commit").first()
    if existing:
        if existing.commit.sha != commit_sha.lower():
            raise ReleaseError(
                f"release {version} of {service.slug} already exists for commit {existing.commit.sha[:12]}", 409
            )
        return existing, False
    if not version or len(version) > 100:
        raise ReleaseError("version must be 1-100 characters")
    try:
        commit = commit_get_or_create(service=service, sha=commit_sha)
    except Exception:  # a ValidationError from the SHA validator
        raise ReleaseError(f"commit must be a full 40-character lowercase hex SHA, got {commit_sha!r}") from None
    checklist, text = checklist_resolve(service=service, name=checklist_name, commit_sha=commit.sha)
    release = Release.objects.create(
        service=service, version=version, commit=commit, checklist_name=checklist.name,
        checklist_version=checklist.version, checklist_source=checklist.source, checklist_text=text, created_by=actor,
    )  # fmt: skip
    ReleaseItem.objects.bulk_create(
        ReleaseItem(release=release, position=index, item_id=item.id, title=item.title, gate=item.gate,
                    owner_role=item.owner, evidence_link_required=item.evidence_link, soc2=list(item.soc2))
        for index, item in enumerate(checklist.items)
    )  # fmt: skip
    ledger_append(actor=actor, action="release.created", subject_type="release", subject_id=release.pk,
                  data={"service": service.slug, "version": version, "commit": commit.sha,
                        "checklist": f"{checklist.name} ({checklist.source})"})  # fmt: skip
    if not release_evaluate(release=release, actor=actor):
        transaction.on_commit(lambda: _publish_verdict(release.pk))  # a new release is a verdict too
    return release, True


@dataclass(frozen=True)
class ItemChange:
    item_id: str
    before: str
    after: str
    figure: str


def _active_waiver(item: ReleaseItem, now: datetime) -> Waiver | None:
    return item.waivers.filter(approved_at__isnull=False, expires_at__gt=now).order_by("-expires_at").first()


@transaction.atomic
def release_evaluate(*, release: Release, actor: str = "system") -> list[ItemChange]:
    """Re-decide every item from the commit's evidence, sign-offs and waivers; ledger every state change.

    An approved release is frozen: nothing changes (later evidence shows as a new revision instead).
    """
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.is_frozen:
        return []
    now = timezone.now()
    evidence = commit_evidence(release.commit)
    summaries = {kind: merged.summary for kind, merged in evidence.items()}
    quarantined = quarantined_gates(release.service)
    changes: list[ItemChange] = []
    for item in release.items.prefetch_related("waivers", "signoffs"):
        artifacts = []
        if item.gate:
            result = gate_evaluate(item.gate, summaries)
            state, figure = result.state, result.figure
            artifacts = [a for kind in sorted(result.kinds) if kind in evidence for a in evidence[kind].artifacts]
        else:
            signoff = item.signoffs.order_by("-signed_at").first()
            if signoff:
                state, figure = (
                    ReleaseItem.State.PASS,
                    f"signed off by {signoff.user.get_username()}: {signoff.comment}",
                )
            else:
                state, figure = ReleaseItem.State.PENDING, f"waiting for sign-off by {item.owner_role}"
        waiver = _active_waiver(item, now) if state != ReleaseItem.State.PASS else None
        if waiver:
            state = ReleaseItem.State.WAIVED
            figure = f"waived until {waiver.expires_at:%Y-%m-%d %H:%M} UTC: {waiver.reason} (underlying: {figure})"
        # A quarantined gate still runs and records; its failure shows but does not block the release.
        is_quarantined = bool(item.gate) and item.item_id in quarantined
        if is_quarantined != item.quarantined:
            item.quarantined = is_quarantined
            item.save(update_fields=["quarantined", "updated_at"])
        if state != item.state or figure != item.figure:
            if state != item.state:
                changes.append(ItemChange(item.item_id, item.state, state, figure))
                ledger_append(actor=actor, action="release_item.state_changed", subject_type="release",
                              subject_id=release.pk, data={"item": item.item_id, "from": item.state, "to": state,
                                                           "figure": figure,
                                                           "evidence": [a.sha256 for a in artifacts]})  # fmt: skip
            item.state, item.figure = state, figure
            item.save(update_fields=["state", "figure", "updated_at"])
        item.evidence.set(artifacts)
    blocking = release.items.exclude(state__in=["pass", "waived"]).exclude(quarantined=True, state="fail")
    release.status = Release.Status.BLOCKED if blocking.exists() else Release.Status.READY
    release.evaluated_at = now
    release.save(update_fields=["status", "evaluated_at"])
    if changes:
        transaction.on_commit(lambda: _publish_verdict(release.pk))
    return changes


def _publish_verdict(release_id: int) -> None:
    from checklists import jobs

    try:
        jobs.enqueue_status_publish(release_id)
    except Exception as exc:  # Redis down: the status is published on the next evaluation
        logger.warning("could not queue the GitHub status for release %s: %s", release_id, exc)


def _user_roles(user: AbstractBaseUser) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def release_change_authors(release: Release) -> set[str]:
    """Logins/emails of everyone who authored a change in the release (lowercased)."""
    from releases.selectors import change_authors, release_changes

    previous = (
        Release.objects.filter(service=release.service, created_at__lt=release.created_at)
        .exclude(pk=release.pk).select_related("commit").order_by("-created_at").first()
    )  # fmt: skip
    prs = release_changes(service=release.service, from_sha=previous.commit.sha if previous else None,
                          to_sha=release.commit.sha)  # fmt: skip
    authors = {a.lower() for a in change_authors(prs) if a}
    commit_author = Commit.objects.filter(pk=release.commit_id).values_list("author", flat=True).first()
    if commit_author:
        authors.add(commit_author.lower())
    return authors


def _user_identities(user: AbstractBaseUser) -> set[str]:
    names = {user.get_username().lower()}
    email = getattr(user, "email", "")
    if email:
        names |= {email.lower(), email.split("@")[0].lower()}
    return names


def _check_separation_of_duties(release: Release, user: AbstractBaseUser, what: str) -> None:
    if _user_identities(user) & release_change_authors(release):
        raise ReleaseError(f"separation of duties: {user.get_username()} authored a change in this release "
                           f"and may not {what} it", 403)  # fmt: skip


@transaction.atomic
def release_signoff(*, item: ReleaseItem, user: AbstractBaseUser, comment: str, evidence_url: str = "") -> SignOff:
    """Sign off a manual item as someone in its owner role who did not author a change in the release."""
    release = item.release
    if release.is_frozen:
        raise ReleaseError("the release is approved and frozen", 409)
    if not item.is_manual:
        raise ReleaseError("gates are decided by evidence, not signed off; request a waiver instead")
    if item.owner_role not in _user_roles(user) and not user.is_superuser:
        raise ReleaseError(f"only {item.owner_role} may sign off {item.item_id}", 403)
    if not comment.strip():
        raise ReleaseError("a sign-off needs a comment")
    if item.evidence_link_required and not evidence_url:
        raise ReleaseError(f"{item.item_id} needs an evidence link")
    _check_separation_of_duties(release, user, "sign off")
    signoff = SignOff.objects.create(item=item, user=user, comment=comment.strip(), evidence_url=evidence_url)
    ledger_append(actor=user_actor(user), action="release_item.signed_off", subject_type="release",
                  subject_id=release.pk, data={"item": item.item_id, "comment": signoff.comment,
                                               "evidence_url": evidence_url})  # fmt: skip
    release_evaluate(release=release, actor=user_actor(user))
    return signoff


@transaction.atomic
def waiver_request(*, item: ReleaseItem, user: AbstractBaseUser, reason: str, expires_at: datetime) -> Waiver:
    """Ask to waive an item: a reason and an expiry in the future are required; another person approves."""
    if item.release.is_frozen:
        raise ReleaseError("the release is approved and frozen", 409)
    if not reason.strip():
        raise ReleaseError("a waiver needs a reason")
    if expires_at <= timezone.now():
        raise ReleaseError("a waiver's expiry must be in the future")
    waiver = Waiver.objects.create(item=item, requested_by=user, reason=reason.strip(), expires_at=expires_at)
    ledger_append(actor=user_actor(user), action="waiver.requested", subject_type="release",
                  subject_id=item.release_id, data={"item": item.item_id, "reason": waiver.reason,
                                                    "expires_at": expires_at.isoformat()})  # fmt: skip
    return waiver


@transaction.atomic
def waiver_approve(*, waiver: Waiver, user: AbstractBaseUser) -> Waiver:
    """Approve a waiver: a release manager other than the requester, not an author of the release's changes."""
    release = waiver.item.release
    if release.is_frozen:
        raise ReleaseError("the release is approved and frozen", 409)
    if waiver.requested_by_id == user.pk:
        raise ReleaseError("a waiver must be approved by someone other than its requester", 403)
    if RELEASE_MANAGERS not in _user_roles(user) and not user.is_superuser:
        raise ReleaseError("only release managers approve waivers", 403)
    _check_separation_of_duties(release, user, "approve a waiver for")
    waiver.approved_by, waiver.approved_at = user, timezone.now()
    waiver.save(update_fields=["approved_by", "approved_at"])
    ledger_append(actor=user_actor(user), action="waiver.approved", subject_type="release", subject_id=release.pk,
                  data={"item": waiver.item.item_id, "waiver": waiver.pk})  # fmt: skip
    release_evaluate(release=release, actor=user_actor(user))
    return waiver


@transaction.atomic
def release_approve(*, release: Release, user: AbstractBaseUser) -> Release:
    """Approve a release whose every item passes or is waived; freezes its evidence."""
    release_evaluate(release=release, actor=user_actor(user))
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.is_frozen:
        return release
    if RELEASE_MANAGERS not in _user_roles(user) and not user.is_superuser:
        raise ReleaseError("only release managers approve releases", 403)
    blocking = list(
        release.items.exclude(state__in=["pass", "waived"]).exclude(quarantined=True, state="fail")
        .values_list("item_id", flat=True)
    )  # fmt: skip
    if blocking:
        raise ReleaseError(f"not every item passes or is waived: {', '.join(blocking)}", 409)
    _check_separation_of_duties(release, user, "approve")
    release.status, release.approved_by, release.approved_at = Release.Status.APPROVED, user, timezone.now()
    release.save(update_fields=["status", "approved_by", "approved_at"])
    snapshot = {
        item.item_id: {"state": item.state, "figure": item.figure, "evidence": [a.sha256 for a in item.evidence.all()]}
        for item in release.items.prefetch_related("evidence")
    }
    ledger_append(actor=user_actor(user), action="release.approved", subject_type="release", subject_id=release.pk,
                  data={"version": release.version, "commit": release.commit.sha, "items": snapshot})  # fmt: skip
    transaction.on_commit(lambda: _publish_verdict(release.pk))
    return release


def releases_reevaluate_for_commit(*, commit_id: int) -> int:
    """Re-evaluate the open releases of a commit (new evidence arrived). Returns how many."""
    count = 0
    for release in Release.objects.filter(commit_id=commit_id).exclude(status=Release.Status.APPROVED):
        release_evaluate(release=release)
        count += 1
    return count


def releases_reevaluate_expired_waivers() -> int:
    """Re-evaluate releases whose waivers have expired, so the item comes back visibly."""
    now = timezone.now()
    ids = set(
        ReleaseItem.objects.filter(state=ReleaseItem.State.WAIVED, waivers__expires_at__lte=now)
        .exclude(release__status=Release.Status.APPROVED).values_list("release_id", flat=True)
    )  # fmt: skip
    for release in Release.objects.filter(pk__in=ids):
        release_evaluate(release=release)
    return len(ids)
