"""Signed checkpoints: written once per head, verified by ledger_verify, and they catch what the chain alone cannot."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ledger.chain import GENESIS_HASH, link_hash
from ledger.jobs import ledger_checkpoint
from ledger.models import LedgerCheckpoint, LedgerEntry
from ledger.selectors import ledger_entry_body, ledger_verify
from ledger.services import LedgerTampered, ledger_checkpoint_create, ledger_record
from ledger.signing import signature_valid, signing_key_fingerprint


def _append(n, start=0):
    for i in range(start, start + n):
        ledger_record(actor="test", action="thing.done", subject_type="thing", subject_id=i, data={"i": i})


def _tamper(*statements):
    """Run SQL as a superuser who switched the append-only trigger off (inside this test's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_ledgerentry DISABLE TRIGGER ledger_entry_append_only")
        cursor.execute("ALTER TABLE ledger_ledgercheckpoint DISABLE TRIGGER ledger_checkpoint_append_only")
        for statement in statements:
            cursor.execute(*statement) if isinstance(statement, tuple) else cursor.execute(statement)


def _rehash_from(seq):
    """Recompute every hash from ``seq`` on, as someone covering their tracks would."""
    prev = LedgerEntry.objects.get(seq=seq - 1).entry_hash if seq > 1 else GENESIS_HASH
    statements = []
    for entry in LedgerEntry.objects.filter(seq__gte=seq).order_by("seq"):
        new_hash = link_hash(prev, ledger_entry_body(entry))
        statements.append(("UPDATE ledger_ledgerentry SET prev_hash = %s, entry_hash = %s WHERE seq = %s",
                           [prev, new_hash, entry.seq]))  # fmt: skip
        prev = new_hash
    _tamper(*statements)


@pytest.fixture
def checkpointed(db):
    """Six entries with checkpoints at seq 3 and 6."""
    _append(3)
    assert ledger_checkpoint() == 3
    _append(3, start=3)
    ledger_checkpoint_create()
    assert list(LedgerCheckpoint.objects.values_list("seq", "count")) == [(3, 3), (6, 6)]


@pytest.mark.django_db
def test_checkpoint_is_signed_once_per_head(checkpointed, capsys):
    latest = LedgerCheckpoint.objects.get(seq=6)
    assert ledger_checkpoint_create() == latest  # nothing new: no second checkpoint
    assert latest.key_fingerprint == signing_key_fingerprint() and len(latest.head_hash) == 64
    assert latest.head_hash == LedgerEntry.objects.get(seq=6).entry_hash
    report = ledger_verify()
    assert report.ok and report.entries == 6 and report.checkpoints == 2
    call_command("ledger_verify")
    assert capsys.readouterr().out.startswith("OK: 6 entries, 2 signed checkpoints")


@pytest.mark.django_db
def test_empty_ledger_has_no_checkpoint():
    assert ledger_checkpoint_create() is None and ledger_verify().ok


def test_signature_check_refuses_garbage(signing_key_file):
    assert not signature_valid(b"x", "not base64!")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        # modified: the chain catches it at once
        (["UPDATE ledger_ledgerentry SET data = '{\"i\": 99}' WHERE seq = 2"],
         ["ledger broken at seq 2: entry content does not match its hash"]),
        # deleted: a gap in the chain, and the later checkpoint counts one entry too few
        (["DELETE FROM ledger_ledgerentry WHERE seq = 5"],
         ["ledger broken at seq 6: expected seq 5, found 6", "checkpoint at seq 6: 5 entries lead to it now, 6"]),
        # reordered: two entries swap places
        (["UPDATE ledger_ledgerentry SET seq = -2 WHERE seq = 2", "UPDATE ledger_ledgerentry SET seq = 2 WHERE seq = 3",
          "UPDATE ledger_ledgerentry SET seq = 3 WHERE seq = -2"],
         ["ledger broken at seq 2: prev_hash does not match the previous entry",
          "checkpoint at seq 3: the entry there hashes to"]),
        # the last entry removed: the newest checkpoint points at nothing
        (["DELETE FROM ledger_ledgerentry WHERE seq = 6"], ["checkpoint at seq 6: no entry with that seq exists"]),
        # a checkpoint edited: its signature no longer matches
        (["UPDATE ledger_ledgercheckpoint SET count = 2 WHERE seq = 3"],
         ["checkpoint at seq 3: the signature does not match", "checkpoint at seq 3: 3 entries lead to it now, 2"]),
    ],
    ids=["modified", "deleted", "reordered", "truncated", "checkpoint-edited"],
)  # fmt: skip
def test_tampering_in_sql_is_detected(checkpointed, statements, expected):
    _tamper(*statements)
    report = ledger_verify()
    assert not report.ok
    for fragment in expected:
        assert any(fragment in problem for problem in report.problems), (fragment, report.problems)
    with pytest.raises(CommandError) as excinfo:
        call_command("ledger_verify")
    assert expected[0] in str(excinfo.value)


@pytest.mark.django_db
def test_a_full_rewrite_keeps_the_chain_but_not_the_signed_checkpoints(checkpointed):
    _tamper("UPDATE ledger_ledgerentry SET actor = 'mallory' WHERE seq = 2")
    _rehash_from(2)
    report = ledger_verify()
    assert report.chain_break is None  # every link recomputed: the chain alone looks fine
    assert [p[:30] for p in report.problems] == ["checkpoint at seq 3: the entry", "checkpoint at seq 6: the entry"]


@pytest.mark.django_db
@pytest.mark.parametrize(("seq", "message"), [(7, "seq 7: entry content"), (6, "seq 6 no longer matches")])
def test_no_checkpoint_is_signed_over_a_broken_chain(checkpointed, seq, message):
    _append(1, start=10)
    _tamper(f"UPDATE ledger_ledgerentry SET actor = 'mallory' WHERE seq = {seq}")
    with pytest.raises(LedgerTampered, match=message):
        ledger_checkpoint_create()
    assert LedgerCheckpoint.objects.count() == 2


@pytest.mark.django_db
def test_checkpoint_from_another_key_is_reported(checkpointed, settings, tmp_path):
    settings.GATEHOUSE_SIGNING_KEY_FILE = tmp_path / "other.pem"
    report = ledger_verify()
    assert len(report.problems) == 2 and "not the configured key" in report.problems[0]


@pytest.mark.django_db
def test_production_refuses_to_invent_a_key(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    settings.PRODUCTION = True
    settings.GATEHOUSE_SIGNING_KEY_FILE = tmp_path / "missing.pem"
    with pytest.raises(ImproperlyConfigured, match="production needs"):
        signing_key_fingerprint()
    assert not (tmp_path / "missing.pem").exists()
