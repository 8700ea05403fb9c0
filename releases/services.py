"""Writes for services, environments, commits and builds."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from ledger.services import ledger_append
from releases.models import Build, Commit, Environment, Service, repo_validator, sha_validator


@transaction.atomic
def service_create(
    *, slug: str, name: str = "", repository: str = "", cosign_public_key: str = "", actor: str = "system"
) -> Service:
    """Create a service, or return the existing one with that slug unchanged."""
    existing = Service.objects.filter(slug=slug).first()
    if existing:
        return existing
    if repository:
        repo_validator(repository)
    service = Service(slug=slug, name=name or slug, repository=repository, cosign_public_key=cosign_public_key)
    service.full_clean()
    service.save()
    ledger_append(
        actor=actor,
        action="service.created",
        subject_type="service",
        subject_id=service.slug,
        data={"name": service.name, "repository": service.repository},
    )
    return service


def environment_get_or_create(*, name: str, actor: str = "system") -> Environment:
    """The environment with that name, created (and recorded in the ledger) the first time it is named."""
    environment = Environment.objects.filter(name=name).first()
    if environment:
        return environment
    with transaction.atomic():
        environment, created = Environment.objects.get_or_create(
            name=name, defaults={"is_production": name in {"prod", "production"}}
        )
        if created:
            ledger_append(actor=actor, action="environment.created", subject_type="environment", subject_id=name)
    return environment


def commit_get_or_create(*, service: Service, sha: str) -> Commit:
    sha = sha.lower()
    sha_validator(sha)
    commit, _ = Commit.objects.get_or_create(service=service, sha=sha)
    return commit


def build_get_or_create(*, service: Service, commit: Commit, external_id: str, provider: str = "ci") -> Build:
    if not external_id or len(external_id) > 200:
        raise ValidationError("build id must be 1-200 characters")
    build, _ = Build.objects.get_or_create(
        service=service, provider=provider, external_id=external_id, defaults={"commit": commit}
    )
    return build
