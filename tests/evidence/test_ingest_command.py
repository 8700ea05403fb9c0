import gzip
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evidence.models import Artifact
from tests.corpus import corpus_file
from tests.evidence.parsers.helpers import DATA

SHA = "c" * 40


@pytest.mark.django_db
def test_ingest_prints_one_json_object(service, capsys):
    call_command("ingest", str(DATA / "trivy" / "one-vuln.json"), service="payments", commit=SHA, build="77")
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0
    result = json.loads(out)
    assert result["kind"] == "vulnerabilities" and result["format"] == "trivy-json"
    assert result["summary"]["findings"] == 1
    assert Artifact.objects.get().status == "parsed"


@pytest.mark.django_db
def test_ingest_real_trivy_report(service, capsys):
    call_command("ingest", str(corpus_file("trivy/trivy-image-ecr-realworld.json")), service="payments", commit=SHA)
    assert json.loads(capsys.readouterr().out)["summary"]["findings"] == 29


@pytest.mark.django_db
def test_ingest_unparseable_exits_2_and_keeps_bytes(service, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"SchemaVersion": 3, "ArtifactName": "x", "Results": []}' + b" " * 70000)
    with pytest.raises(CommandError) as excinfo:
        call_command("ingest", str(bad), service="payments", commit=SHA)
    assert excinfo.value.returncode == 2 and "SchemaVersion 3" in str(excinfo.value)
    artifact = Artifact.objects.get()
    assert artifact.status == "failed" and "SchemaVersion 3" in artifact.error


@pytest.mark.django_db
def test_ingest_refused_format_exits_2(service, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("just some notes")
    with pytest.raises(CommandError) as excinfo:
        call_command("ingest", str(bad), service="payments", commit=SHA)
    assert excinfo.value.returncode == 2 and "raw bytes kept" in str(excinfo.value)


@pytest.mark.django_db
def test_ingest_missing_file(service):
    with pytest.raises(CommandError, match="no such file"):
        call_command("ingest", "/nonexistent/report.json", service="payments", commit=SHA)


@pytest.mark.django_db
def test_ingest_truncated_gzip_fails_cleanly(service, tmp_path):
    packed = gzip.compress((DATA / "trivy" / "one-vuln.json").read_bytes() * 1)
    path = tmp_path / "cut.json.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(CommandError) as excinfo:
        call_command("ingest", str(path), service="payments", commit=SHA)
    assert excinfo.value.returncode == 2
