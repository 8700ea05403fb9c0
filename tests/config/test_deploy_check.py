import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy():
    env = {**os.environ, "GATEHOUSE_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(60),
           "ALLOWED_HOSTS": "gatehouse.example.com"}  # fmt: skip
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' Playwright fixture, not production
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=BASE,
                            env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
