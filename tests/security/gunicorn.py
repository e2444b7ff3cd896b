"""Start the production shape for a probe: `locator serve --prod`, optionally behind nginx."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from locator.paths import PROJECT_DIR
from tests.utils.processes import answers, free_port, start_locator, stop, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_CONF = PROJECT_DIR / "deploy" / "nginx.conf"
SECRET = secrets.token_hex(32)  # a fresh key per run, never a literal in the repo


def production_env(public_url: str, **extra: str) -> dict[str, str]:
    return {
        "LOCATOR_ENV": "production",
        "LOCATOR_SECRET_KEY": SECRET,
        "LOCATOR_PUBLIC_URL": public_url,
        **extra,
    }


@contextmanager
def serve_prod(db_url: str, tmp_path: Path, public_url: str = "", **env: str) -> Iterator[str]:
    """Run gunicorn (2 workers x 4 threads, production settings); yield its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / f"gunicorn-{port}.log"
    server = start_locator(
        ["serve", "--prod", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        db_url,
        log,
        **production_env(public_url or base, **env),
    )
    try:
        wait_until(lambda: answers(base + "/healthz"), 60, f"gunicorn on {base}")
        yield base
    finally:
        stop(server)


@contextmanager
def behind_nginx(upstream: str, tmp_path: Path) -> Iterator[str]:
    """Run nginx on the shipped deploy/nginx.conf in front of ``upstream``; yield its URL."""
    port = free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    conf = NGINX_CONF.read_text()
    for shipped, ours in (
        ("server 127.0.0.1:8000;", f"server {upstream.removeprefix('http://')};"),
        ("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};"),
    ):
        assert shipped in conf, f"deploy/nginx.conf no longer holds {shipped!r}"
        conf = conf.replace(shipped, ours)
    (prefix / "nginx.conf").write_text(conf)
    log = (prefix / "nginx.log").open("wb")
    args = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"]
    proxy = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(base + "/healthz"), 30, f"nginx on {base}")
        yield base
    finally:
        stop(proxy)
        log.close()
