"""Helpers for tests that run `locator` commands as real processes (gunicorn, schedulers)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import requests

LOCATOR = str(Path(sys.executable).parent / "locator")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_locator(args: Sequence[str], db_url: str, log: Path, **env: str) -> subprocess.Popen:
    """Start `locator ARGS` on ``db_url`` with its output in ``log``."""
    environment = {**os.environ, "LOCATOR_DATABASE_URL": db_url, **env}
    with log.open("wb") as out:
        return subprocess.Popen(
            [LOCATOR, *args], env=environment, stdout=out, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen, timeout: float = 20) -> int:
    """Send SIGTERM and wait for a clean exit; kill it if it hangs and fail."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"process {process.pid} did not stop within {timeout} s") from None


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until it is true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def answers(url: str) -> bool:
    """Tell whether ``url`` answers at all (any status)."""
    try:
        requests.get(url, timeout=2)
    except (requests.ConnectionError, requests.Timeout):  # not listening, or still booting
        return False
    return True
