import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ledger.chain import GENESIS_HASH
from ledger.models import LedgerEntry
from ledger.selectors import ledger_head, ledger_verify_chain
from ledger.services import ledger_append, ledger_record


def _append(n):
    for i in range(n):
        ledger_record(actor="test", action="thing.done", subject_type="thing", subject_id=i, data={"i": i})


@pytest.mark.django_db
def test_entries_chain_from_genesis():
    _append(3)
    entries = list(LedgerEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].entry_hash and entries[2].prev_hash == entries[1].entry_hash
    report = ledger_verify_chain()
    assert report.ok and report.checked == 3 and report.head_hash == ledger_head().entry_hash


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        ledger_append(actor="x", action="y", subject_type="z", subject_id=1)


@pytest.mark.django_db
def test_rolled_back_change_leaves_no_entry():
    with pytest.raises(ValueError), transaction.atomic():
        ledger_append(actor="x", action="y", subject_type="z", subject_id=1)
        raise ValueError("the change failed")
    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE ledger_ledgerentry SET data = '{\"i\": 99}' WHERE seq = 2", "content does not match"),
        ("DELETE FROM ledger_ledgerentry WHERE seq = 2", "expected seq 2"),
        ("UPDATE ledger_ledgerentry SET prev_hash = repeat('1', 64) WHERE seq = 3", "prev_hash"),
    ],
)
def test_tampering_is_reported_at_the_first_broken_link(sql, reason, capsys):
    _append(4)
    with connection.cursor() as cursor:
        # As a database superuser could: the append-only trigger is switched off inside this test's transaction.
        cursor.execute("ALTER TABLE ledger_ledgerentry DISABLE TRIGGER ledger_entry_append_only")
        cursor.execute(sql)
    report = ledger_verify_chain()
    assert not report.ok and reason in report.reason
    with pytest.raises(CommandError, match="ledger broken at seq"):
        call_command("ledger_verify")


@pytest.mark.django_db
def test_ledger_verify_command_ok(capsys):
    _append(2)
    call_command("ledger_verify")
    assert capsys.readouterr().out.startswith("OK: 2 entries")
