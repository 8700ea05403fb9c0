"""Demo data for a first `make run`: people in every role, services, and real reports by real tools.

Artifacts go through the real intake path (artifact_receive + artifact_parse). Gatehouse's own
reports ship in demo/samples/; the shared corpus of public reports is added when it sits beside the clone.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.db import transaction

from access.roles import AUDITORS, ENGINEERS, RELEASE_MANAGERS
from evidence.services import IntakeError, Upload, artifact_parse, artifact_receive
from evidence.storage import iter_stream
from releases.models import Service
from releases.services import service_create

logger = logging.getLogger(__name__)

SAMPLES = Path(__file__).resolve().parent / "samples"
CORPUS = Path(os.environ.get("GATEHOUSE_CORPUS_DIR", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
PASSWORD = "gatehouse-demo"  # noqa: S105 - the documented demo password

USERS = [
    ("admin", None, True),
    ("alice", RELEASE_MANAGERS, False),
    ("dave", RELEASE_MANAGERS, False),
    ("bob", ENGINEERS, False),
    ("erin", ENGINEERS, False),
    ("carol", AUDITORS, False),
]

# service slug -> (repository, [(commit label, [files])]); corpus paths are relative to the corpus folder.
SERVICES: dict[str, tuple[str, list[tuple[str, list[str]]]]] = {
    "gatehouse": ("gatehouse/gatehouse", [("v0.1.0", ["samples:gatehouse-sbom.cdx.json",
                                                      "samples:gatehouse-junit.xml",
                                                      "samples:gatehouse-coverage.xml"])]),
    "payments": ("acme/payments", [
        ("payments-1", ["corpus:coverage/istanbul-coverage-summary-ngx-bdir.json",
                        "corpus:junit/jest-junit-dorny.xml",
                        "corpus:semgrep/semgrep-json-1.30.0.json",
                        "corpus:trivy/trivy-image-alpine-310.json",
                        "corpus:sbom-spdx/syft-0.57.0-spdx-2.2-alpine.json",
                        "corpus:signing/dsse-envelope-intoto-oci.json",
                        "corpus:conftest/conftest-json-clean.json",
                        "corpus:pact/pact-verification-result-fixture.json"]),
        ("payments-2", ["corpus:junit/pytest-junit-fail.xml",
                        "corpus:trivy/trivy-image-ecr-realworld.json",
                        "corpus:sbom-cyclonedx/syft-0.58.0-cdx-1.4-alpine.json",
                        "corpus:sarif/codeql-2.5.4.sarif"]),
    ]),
    "checkout": ("acme/checkout", [
        ("checkout-1", ["corpus:junit/surefire-apache-pulsar.xml",
                        "corpus:trivy/trivy-0.69.3-repo-juiceshop-large-listallpkgs.json",
                        "corpus:semgrep/semgrep-json-many-vulns.json",
                        "corpus:sbom-cyclonedx/cyclonedx-maven-plugin-2.7.1-quarkus.json"]),
    ]),
}  # fmt: skip


def demo_sha(label: str) -> str:
    return hashlib.sha1(label.encode(), usedforsecurity=False).hexdigest()


def _resolve(ref: str) -> Path | None:
    source, _, relative = ref.partition(":")
    path = (SAMPLES if source == "samples" else CORPUS) / relative
    return path if path.is_file() else None


@transaction.atomic
def demo_users() -> None:
    for username, role, superuser in USERS:
        if User.objects.filter(username=username).exists():
            continue
        if superuser:
            User.objects.create_superuser(username, f"{username}@example.com", PASSWORD)
            continue
        user = User.objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=False)
        user.groups.add(Group.objects.get(name=role))


def demo_load() -> dict[str, int]:
    """Load everything; returns counts. Safe to run twice (uploads are idempotent)."""
    demo_users()
    counts = {"services": 0, "artifacts": 0, "failed": 0, "missing": 0}
    for slug, (repository, commits) in SERVICES.items():
        service_create(slug=slug, name=slug.capitalize(), repository=repository, actor="demo")
        counts["services"] += 1
        for label, refs in commits:
            for ref in refs:
                path = _resolve(ref)
                if path is None:
                    counts["missing"] += 1
                    continue
                upload = Upload(service=slug, commit=demo_sha(label), build=f"demo-{label}",
                                environment="staging", original_name=path.name)  # fmt: skip
                try:
                    with path.open("rb") as stream:
                        artifact, _ = artifact_receive(upload=upload, chunks=iter_stream(stream), actor="demo")
                except IntakeError as exc:
                    logger.warning("demo: %s refused: %s", path.name, exc.message)
                    counts["failed"] += 1
                    continue
                artifact = artifact_parse(artifact_id=artifact.pk)
                counts["artifacts"] += 1
                if artifact.status == artifact.Status.FAILED:
                    logger.warning("demo: %s failed to parse: %s", path.name, artifact.error)
                    counts["failed"] += 1
    counts["releases"] = demo_releases()
    demo_auditor_grant()
    from metrics.demo import demo_metrics

    counts |= demo_metrics()
    return counts


# (service, version, commit label, [(item, signer, comment)], approver): evaluated from the reports above.
RELEASES = [
    ("gatehouse", "0.1.0", "v0.1.0", [], None),
    ("payments", "1.4.0", "payments-1", [
        ("canary-plan", "alice", "5% -> 25% -> 50% -> 100%, error-rate and p95 analysis between steps"),
        ("rollback-validated", "erin", "argo rollouts undo and the payments-v2 kill switch exercised in staging"),
        ("dba-expand", "alice", "expand-only migration 0042 reviewed"),
    ], "dave"),
    ("payments", "1.5.0", "payments-2", [("canary-plan", "dave", "same plan as 1.4.0")], None),
]  # fmt: skip


def demo_releases() -> int:
    """Create the demo releases through the real services: gates evaluate, demo users sign off and approve."""
    from checklists.models import Release
    from checklists.services import ReleaseError, release_approve, release_create, release_signoff

    created = 0
    for slug, version, label, signoffs, approver in RELEASES:
        service = Service.objects.get(slug=slug)
        release, new = release_create(service=service, version=version, commit_sha=demo_sha(label),
                                      checklist_name="release-v1", actor="demo")  # fmt: skip
        created += new
        for item_id, username, comment in signoffs:
            item = release.items.get(item_id=item_id)
            if item.state != "pass":
                release_signoff(item=item, user=User.objects.get(username=username), comment=comment,
                                evidence_url=f"https://wiki.example.com/{slug}/{version}/{item_id}")  # fmt: skip
        release.refresh_from_db()
        if approver and release.status == Release.Status.READY:
            try:
                release_approve(release=release, user=User.objects.get(username=approver))
            except ReleaseError as exc:
                logger.warning("demo: %s %s not approved: %s", slug, version, exc.message)
    return created


def demo_auditor_grant() -> None:
    """carol (auditor) may read every demo service's last 90 days, for 30 days."""
    from datetime import timedelta

    from django.utils import timezone

    from access.models import AuditorGrant

    carol = User.objects.get(username="carol")
    if AuditorGrant.objects.filter(user=carol).exists():
        return
    today = timezone.localdate()
    grant = AuditorGrant.objects.create(user=carol, window_from=today - timedelta(days=90), window_to=today,
                                        expires_at=timezone.now() + timedelta(days=30))  # fmt: skip
    grant.services.set(Service.objects.all())


def demo_is_loaded() -> bool:
    return Service.objects.exists()
