"""`make run`: start the data services, migrate, load the demo, then the worker, the cron and the web.

Ctrl-C (or SIGTERM) stops everything this script started, including an embedded PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, BASE_DIR)

from config import dataservices  # noqa: E402


def manage(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, check=True, **kwargs)


def wait_healthy(url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def main() -> int:
    embedded_db = not os.environ.get("DATABASE_URL")
    embedded_redis = not os.environ.get("REDIS_URL")
    os.environ["DATABASE_URL"] = dataservices.database_url()
    os.environ["REDIS_URL"] = dataservices.redis_url()
    port = os.environ.get("PORT", "8000")
    children: list[subprocess.Popen] = []

    def stop(*_args) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded_redis:
            dataservices.stop_embedded_redis()
        if embedded_db:
            dataservices.stop_embedded_postgres()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        manage("migrate", "--noinput", stdout=subprocess.DEVNULL)
        manage("demo_load", "--if-empty")
        python = sys.executable
        children.append(subprocess.Popen([python, "manage.py", "rqworker", "ingest", "default", "--with-scheduler"],
                                         cwd=BASE_DIR))  # fmt: skip
        children.append(subprocess.Popen([python, "manage.py", "rqcron", "config/cron.py"], cwd=BASE_DIR))
        children.append(
            subprocess.Popen(
                [python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                 "--timeout", "300", "--access-logfile", "-"],
                cwd=BASE_DIR,
            )
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}/"
        if not wait_healthy(url + "healthz"):
            print("Gatehouse did not become healthy; see the output above.", file=sys.stderr)
            stop()
            return 1
        print(
            f"\n  Gatehouse is running at {url}\n"
            "  Demo logins (password: gatehouse-demo):\n"
            "    alice  release manager   bob    engineer   carol  auditor   admin  superuser\n"
            "  Ctrl-C stops the web server, the worker and the data services started here.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a Gatehouse process exited; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
