"""Below the ORM: PostgreSQL refuses to change or delete ledger entries, checkpoints and raw artifact rows."""

import pytest
from django.db import IntegrityError, connection, transaction

from evidence.models import Artifact
from ledger.models import LedgerCheckpoint, LedgerEntry
from ledger.services import ledger_checkpoint_create, ledger_record
from tests.checklists.test_releases import _upload
from tests.evidence.parsers.helpers import DATA


def _refused(action, match="refused"):
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        action()


def _sql(statement):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(statement)

    return run


@pytest.mark.django_db
def test_ledger_entries_cannot_be_updated_or_deleted():
    ledger_record(actor="test", action="thing.done", subject_type="thing", subject_id=1, data={"i": 1})
    entry = LedgerEntry.objects.get()
    _refused(lambda: LedgerEntry.objects.filter(pk=entry.pk).update(actor="mallory"), "UPDATE on ledger_ledgerentry")
    _refused(lambda: LedgerEntry.objects.filter(pk=entry.pk).delete(), "DELETE on ledger_ledgerentry")
    _refused(entry.delete)
    entry.data = {"i": 2}
    _refused(entry.save)
    _refused(_sql("UPDATE ledger_ledgerentry SET data = '{}'"))
    _refused(_sql("DELETE FROM ledger_ledgerentry"))
    entry.refresh_from_db()
    assert entry.data == {"i": 1} and entry.actor == "test"


@pytest.mark.django_db
def test_checkpoints_cannot_be_updated_or_deleted():
    ledger_record(actor="test", action="thing.done", subject_type="thing", subject_id=1)
    checkpoint = ledger_checkpoint_create()
    _refused(lambda: LedgerCheckpoint.objects.update(count=99))
    _refused(_sql("DELETE FROM ledger_ledgercheckpoint"))
    assert LedgerCheckpoint.objects.get().count == checkpoint.count == 1


@pytest.mark.django_db
def test_raw_artifact_rows_are_immutable_but_parse_status_moves(api):
    _upload(api, DATA / "trivy" / "one-vuln.json")
    artifact = Artifact.objects.get()
    # The parser's own columns still change (this is what artifact_parse writes).
    Artifact.objects.filter(pk=artifact.pk).update(status="parsed", error="", parse_attempts=1)
    artifact.refresh_from_db()
    artifact.save()  # a full save rewriting identical values is not a change
    for column, value in [("sha256", "0" * 64), ("size", 1), ("original_name", "x.json"), ("uploader", "mallory"),
                          ("kind", "sbom"), ("format", "spdx-json")]:  # fmt: skip
        _refused(lambda c=column, v=value: Artifact.objects.filter(pk=artifact.pk).update(**{c: v}),
                 f"UPDATE of evidence_artifact.{column} is refused")  # fmt: skip
    _refused(_sql("UPDATE evidence_artifact SET received_at = now()"), "evidence_artifact.received_at")
    _refused(_sql("UPDATE evidence_artifact SET commit_id = commit_id + 1"), "evidence_artifact.commit_id")
    _refused(lambda: Artifact.objects.filter(pk=artifact.pk).delete(), "DELETE on evidence_artifact")
    _refused(_sql("DELETE FROM evidence_artifact"), "DELETE on evidence_artifact")
    artifact.refresh_from_db()
    assert artifact.status == "parsed" and artifact.size > 1
