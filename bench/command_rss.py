"""Run one `manage.py` command in this process, then print its own peak RSS as JSON on the last line.

A child's ru_maxrss (wait4) starts from its parent's peak at the fork, so after the ingest baselines the
benchmark's own memory would be reported; VmHWM is this process's alone (see ``ingest_one``).
"""

from __future__ import annotations

import json
import os
import sys

from bench.ingest_one import peak_rss_mb

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *sys.argv[1:]])
    print(json.dumps({"rss_mb": peak_rss_mb()}), flush=True)
