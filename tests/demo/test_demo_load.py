import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from evidence.models import Artifact


@pytest.mark.django_db
def test_demo_loads_real_reports_through_the_intake_path(capsys):
    call_command("demo_load", "--if-empty")
    out = capsys.readouterr().out
    assert "0 failed" in out, out
    assert set(User.objects.values_list("username", flat=True)) >= {"admin", "alice", "bob", "carol"}
    own = Artifact.objects.filter(service__slug="gatehouse")
    assert own.count() == 2 and set(own.values_list("status", flat=True)) == {"parsed"}
    parsed_before = Artifact.objects.filter(status="parsed").count()
    call_command("demo_load", "--if-empty")
    assert "nothing loaded" in capsys.readouterr().out
    assert Artifact.objects.filter(status="parsed").count() == parsed_before
