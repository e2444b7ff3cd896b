"""A raw-socket HTTP server that answers like a source, then fails the way sources fail.

pytest_httpserver cannot drop a connection after the headers promised more bytes than were
sent; this server can, and makes the other faults too, so one fault matrix covers every
importer. Each connection answers one request (``Connection: close``).

``answer(target)`` gives the normal JSON body of a request target (path and query). While
``fault`` is set, every request whose target contains ``fault_on`` fails that way instead.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

Answer = Callable[[str], bytes]

# What each fault sends. "drop" and "truncated" reuse the normal body.
FAULTS = ("drop", "truncated", "429", "500", "502", "503", "html")


@dataclass
class FaultServer:
    """Serves ``answer`` bodies; requests matching ``fault_on`` get ``fault`` while it is set."""

    answer: Answer
    fault: str = ""
    fault_on: str = ""
    fault_times: int = 0  # how many matching requests fail; 0: all of them
    requests: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def respond(self, connection: socket.socket) -> None:
        target = _read_request_target(connection)
        if target is None:
            return
        self.requests.append(target)
        fault = self.fault if self.fault and self.fault_on in target else ""
        if fault and self.fault_times:
            self.fault_times -= 1
            if not self.fault_times:
                self.fault = ""
        body = self.answer(target)
        if fault in ("429", "500", "502", "503"):
            _send(connection, fault, b"busy", "text/plain", {"Retry-After": "0"})
        elif fault == "html":
            page = b"<html><body><h1>Down for maintenance</h1></body></html>"
            _send(connection, "200", page, "text/html")
        elif fault == "truncated":
            # Honest headers for a body that was cut short at the source (a full disk, a
            # proxy that gave up): the client gets every byte promised, and broken JSON.
            _send(connection, "200", body[: len(body) // 2], "application/json")
        elif fault == "drop":
            # The headers promise the whole body; half of it arrives, then the line dies.
            head = _head("200", len(body), "application/json", {})
            connection.sendall(head + body[: len(body) // 2])
            connection.shutdown(socket.SHUT_RDWR)
        else:
            _send(connection, "200", body, "application/json")


def _head(status: str, length: int, content_type: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {'OK' if status == '200' else 'Error'}",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _send(
    connection: socket.socket,
    status: str,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> None:
    connection.sendall(_head(status, len(body), content_type, headers or {}) + body)


def _read_request_target(connection: socket.socket) -> str | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    parts = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
    return parts[1] if len(parts) >= 2 else None


def json_bytes(value: object) -> bytes:
    return json.dumps(value).encode()


@contextmanager
def fault_server(answer: Answer) -> Iterator[FaultServer]:
    """Run a FaultServer on 127.0.0.1 for the duration of the block."""
    server = FaultServer(answer=answer)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    server.port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                with suppress(OSError):
                    server.respond(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
