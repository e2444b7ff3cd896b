"""Locate the project's folders, so nothing depends on the working directory."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
DATA_DIR = PROJECT_DIR / "data"
TEMPLATES_DIR = PROJECT_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
INSTANCE_DIR = PROJECT_DIR / "instance"
