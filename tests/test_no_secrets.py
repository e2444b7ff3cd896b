"""No secret in the repository: every tracked file is scanned for keys, tokens and passwords."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Each pattern is built from pieces so this file does not match itself.
PATTERNS: dict[str, re.Pattern[str]] = {
    "private key": re.compile(
        "-----BEGIN " + r"(RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY"
    ),
    "AWS access key": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Stripe key": re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}"),
    "password in a URL": re.compile(r"[a-z+]+://[^/\s:@'\"]+:[^/\s:@'\"{}$<>]{3,}@[\w.-]+"),
    "assigned secret": re.compile(
        r"(?i)\b(secret_key|password|passwd|api_key|apikey|token|secret)\b\s*[=:]\s*"
        r"['\"](?!dev-only-not-secret)[A-Za-z0-9+/_\-]{16,}['\"]"
    ),
}
# Placeholders and test fixtures that look like secrets but are not.
ALLOWED = (
    "postgresql+psycopg://user@host",
    "correct horse battery staple",
)
SKIP_SUFFIXES = (".png", ".jpg", ".ico", ".xlsx", ".pdf", ".zip", ".gz", ".db", ".bin")


def tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return [REPO / name for name in listed.split("\0") if name]


def findings(path: Path, text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if any(allowed in line for allowed in ALLOWED):
            continue
        for name, pattern in PATTERNS.items():
            if pattern.search(line):
                found.append(f"{path}:{number}: {name}")
    return found


def test_no_tracked_file_holds_a_key_token_or_password() -> None:
    found = []
    for path in tracked_files():
        if path.suffix in SKIP_SUFFIXES or not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += findings(path.relative_to(REPO), text)
    assert not found, "\n".join(found)


def test_no_config_file_with_real_settings_is_tracked() -> None:
    names = {p.name for p in tracked_files()}
    assert "config.toml" not in names and ".env" not in names
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8")
    assert "config.toml" in ignored and "instance/" in ignored


@pytest.mark.parametrize(
    "line",
    [
        "-----BEGIN " + "RSA PRIVATE KEY-----",
        "aws = 'AKIA" + "ABCDEFGHIJKLMNOP'",
        "GITHUB = 'ghp_" + "a" * 36 + "'",
        "url = 'postgresql://app:" + "hunter2secret@db.example.org/app'",
        "SECRET_KEY = '" + "9f8e7d6c5b4a39281706f5e4d3c2b1a0" + "'",
        'password: "' + "Sup3rS3cretPassw0rd!!".replace("!", "x") + '"',
    ],
)
def test_the_scan_finds_planted_secrets(line: str) -> None:
    assert findings(Path("planted.py"), line)


def test_the_scan_lets_placeholders_through() -> None:
    for line in (
        'secret_key = "dev-only-not-secret"',
        "# PostgreSQL: postgresql+psycopg://user@host:5432/dbname",
        "LOCATOR_DATABASE_URL=postgresql+psycopg://127.0.0.1:5432/test",
    ):
        assert findings(Path("config.example.toml"), line) == [], line
