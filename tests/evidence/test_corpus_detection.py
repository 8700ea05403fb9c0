"""Every real report in ../shared/corpus is recognised as exactly one format and ingests end to end."""

import json

import pytest
from django.core.management import call_command

from tests.corpus import CORPUS_DIR, SKIP_REASON
from tests.evidence.parsers.helpers import detected_formats

# Folders that hold GitHub API/webhook payloads, not CI artifacts.
NOT_ARTIFACTS = {"github-api", "github-webhooks"}
REPORTS = sorted(
    str(path.relative_to(CORPUS_DIR))
    for path in (CORPUS_DIR.rglob("*") if CORPUS_DIR.is_dir() else [])
    if path.is_file() and path.parent.name not in NOT_ARTIFACTS and path.name != "SOURCES.md"
)


@pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason=SKIP_REASON)
def test_the_corpus_has_reports():
    assert len(REPORTS) >= 75


@pytest.mark.corpus
@pytest.mark.django_db
@pytest.mark.parametrize("relative", REPORTS)
def test_each_report_is_one_format_and_ingests(relative, service, capsys):
    path = CORPUS_DIR / relative
    formats = detected_formats(path)
    assert len(formats) == 1, f"{relative} detected as {formats}"
    call_command("ingest", str(path), service="payments", commit="f" * 40)
    result = json.loads(capsys.readouterr().out)
    assert result["format"] == formats[0]
    assert result["summary"]["kind"] == result["kind"]
