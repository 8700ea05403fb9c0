from django.db import migrations

# A bundle vouches for raw artifacts "exactly as uploaded", so the rows describing them must not change
# under it. The parser legitimately updates status, error, parsed_at and parse_attempts; everything set at
# receive time (evidence.services._artifact_record) is protected, and no artifact row is ever deleted.
IMMUTABLE_COLUMNS = [
    "sha256", "size", "media_type", "content_encoding", "original_name", "kind", "format", "service_id",
    "commit_id", "build_id", "environment_id", "uploaded_by_id", "uploader", "idempotency_key", "received_at",
]  # fmt: skip

PROTECT = (
    "CREATE TRIGGER evidence_artifact_immutable BEFORE UPDATE OR DELETE ON evidence_artifact "
    "FOR EACH ROW EXECUTE FUNCTION gatehouse_refuse_change({});".format(
        ", ".join(f"'{column}'" for column in IMMUTABLE_COLUMNS)
    )
)
UNPROTECT = "DROP TRIGGER IF EXISTS evidence_artifact_immutable ON evidence_artifact;"


class Migration(migrations.Migration):
    dependencies = [
        ("bundles", "0001_initial"),
        ("evidence", "0002_detail_rows_without_fk_triggers"),
        ("ledger", "0002_checkpoints_append_only"),
    ]
    operations = [migrations.RunSQL(PROTECT, UNPROTECT)]
