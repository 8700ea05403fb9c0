import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from checklists.models import Release
from evidence.models import Artifact
from tests.corpus import CORPUS_DIR


@pytest.mark.django_db
def test_demo_loads_real_reports_through_the_intake_path(capsys):
    call_command("demo_load", "--if-empty")
    out = capsys.readouterr().out
    assert "0 failed" in out, out
    assert set(User.objects.values_list("username", flat=True)) >= {"admin", "alice", "bob", "carol"}
    own = Artifact.objects.filter(service__slug="gatehouse")
    assert sorted(own.values_list("kind", flat=True)) == ["coverage", "sbom", "tests"]
    assert set(own.values_list("status", flat=True)) == {"parsed"}
    assert Release.objects.filter(service__slug="gatehouse", version="0.1.0").exists()
    parsed_before = Artifact.objects.filter(status="parsed").count()
    call_command("demo_load", "--if-empty")
    assert "nothing loaded" in capsys.readouterr().out
    if CORPUS_DIR.is_dir():
        # release-v1 evaluated end to end from real reports, manual items signed off by demo users.
        approved = Release.objects.get(service__slug="payments", version="1.4.0")
        assert approved.status == "approved", list(approved.items.values_list("item_id", "state", "figure"))
        assert approved.approved_by.username == "dave"
        assert set(approved.items.values_list("state", flat=True)) == {"pass"}
        blocked = Release.objects.get(service__slug="payments", version="1.5.0")
        assert blocked.status == "blocked"
        assert blocked.items.get(item_id="image-scan").state == "fail"
    assert Artifact.objects.filter(status="parsed").count() == parsed_before
