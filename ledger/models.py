from django.db import models


class LedgerEntry(models.Model):
    """One append-only audit record; ``entry_hash`` covers ``prev_hash`` and the canonical JSON."""

    seq = models.BigIntegerField(unique=True)
    recorded_at = models.DateTimeField()
    actor = models.CharField(max_length=200, help_text="user:<name>, token:<prefix> or system")
    action = models.CharField(max_length=100, db_index=True)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=100)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.subject_type}:{self.subject_id}"


class LedgerCheckpoint(models.Model):
    """A signed statement that the chain had ``count`` entries ending in ``head_hash`` at ``seq``.

    A rewrite that recomputes every hash after a change still keeps the chain internally consistent;
    the signature over an earlier head is what it cannot reproduce without the signing key.
    """

    seq = models.BigIntegerField(unique=True)
    head_hash = models.CharField(max_length=64)
    count = models.BigIntegerField()
    created_at = models.DateTimeField()
    key_fingerprint = models.CharField(max_length=64)
    signature = models.CharField(max_length=100, help_text="Ed25519 over ledger.chain.checkpoint_message, base64")

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"checkpoint #{self.seq} {self.head_hash[:12]}"
