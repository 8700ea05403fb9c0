"""Ingest one file through the CLI path in a fresh process; prints seconds and peak RSS as JSON."""

from __future__ import annotations

import io
import json
import os
import resource
import secrets
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def peak_rss_mb() -> float:
    """This process's own peak RSS. Linux carries ru_maxrss across fork and exec, so it would report the
    benchmark's memory at the fork (its earlier baselines) whenever that was larger; VmHWM starts afresh."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(path: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command, load_command_class

    from releases.services import service_create

    # Start-up is not timed, as the baseline's imports (orjson, lxml, psycopg) are not: the command's
    # modules (every parser, the storage, the sink) are loaded here, the ingest itself is timed below.
    load_command_class("evidence", "ingest")

    service_create(slug="bench", repository="gatehouse/bench")
    out = io.StringIO()
    started = time.perf_counter()
    call_command("ingest", path, service="bench", commit=secrets.token_hex(20), stdout=out)
    seconds = time.perf_counter() - started
    result = json.loads(out.getvalue())
    rss_mb = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "summary": result["summary"]}))


if __name__ == "__main__":
    main(sys.argv[1])
