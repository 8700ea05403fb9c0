"""A loopback GitHub: replays recorded GitHub API responses to the real PyGithub client.

Routes come from PyGithub's ReplayData files (10-line blocks: protocol, verb, host, _port, url, request
headers, request body, status, response headers, response body) and from JSON bodies. The server
answers under a GitHub Enterprise style prefix (/api/v3), rewriting api.github.com links to itself.
"""

from __future__ import annotations

import ast
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "/api/v3"
_KEPT_HEADERS = {"link", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used"}


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def replay_blocks(path: Path) -> list[dict[str, Any]]:
    """The exchanges of one PyGithub ReplayData file."""
    lines = path.read_text().split("\n")
    blocks, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        protocol, verb, host, _port, url, _req_headers, _req_body, status, headers, body = lines[i : i + 10]
        blocks.append(
            {
                "protocol": protocol,
                "method": verb,
                "host": host,
                "url": url,
                "status": int(status),
                "headers": dict(ast.literal_eval(headers)),
                "body": body,
            }
        )
        i += 10
    return blocks


class FakeGitHub:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Reply] = {}
        self.seen: list[Seen] = []
        self.rate_remaining = 4999
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- routes --------------------------------------------------------------------------------

    def add(self, path: str, body: Any, *, status: int = 200, method: str = "GET", headers=None) -> None:
        """Answer ``method path`` (with or without its query) with ``body`` (JSON-encoded unless a str)."""
        text = body if isinstance(body, str) else json.dumps(body)
        self.routes[(method, path)] = Reply(status, text, dict(headers or {}))

    def add_replay(self, path: Path) -> None:
        for block in replay_blocks(path):
            kept = {k: str(v) for k, v in block["headers"].items() if k.lower() in _KEPT_HEADERS}
            self.add(block["url"], block["body"], status=block["status"], method=block["method"], headers=kept)

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if urlsplit(seen.path).path == path]

    # --- serving ---------------------------------------------------------------------------------

    def _reply_for(self, method: str, path: str) -> Reply:
        if not path.startswith(PREFIX + "/"):
            return Reply(404, json.dumps({"message": f"not under {PREFIX}"}))
        path = path[len(PREFIX) :]
        reply = self.routes.get((method, path)) or self.routes.get((method, urlsplit(path).path))
        return reply or Reply(404, json.dumps({"message": "Not Found", "documentation_url": "https://docs.github.com"}))

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
                reply = fake._reply_for(self.command, self.path)
                base = fake.base_url
                payload = reply.body.replace("https://api.github.com", base).encode()
                headers = {
                    "x-ratelimit-limit": "5000",
                    "x-ratelimit-remaining": str(fake.rate_remaining),
                    "x-ratelimit-reset": str(int(time.time()) + 3600),
                }
                headers.update({k.lower(): v.replace("https://api.github.com", base) for k, v in reply.headers.items()})
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = _answer

            def log_message(self, *args) -> None:  # quiet test output
                pass

        return Handler
