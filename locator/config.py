"""Settings: declared once in setting_table.py, read from defaults -> config.toml -> LOCATOR_*
env -> test dict, and handed to code as the typed ``Settings``."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from locator.errors import ConfigError
from locator.paths import INSTANCE_DIR, PROJECT_DIR
from locator.setting_table import SETTINGS as SETTINGS
from locator.setting_table import SETTINGS_BY_NAME as SETTINGS_BY_NAME
from locator.setting_table import Setting as Setting

ENV_PREFIX = "LOCATOR_"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every declared setting as a typed attribute, so mypy catches a misspelt name.

    The fields mirror ``SETTINGS`` one for one (a test holds them in step): the same names,
    ``Literal`` types for settings with choices, tuples for lists. Defaults live only in
    ``SETTINGS``; ``from_mapping`` fills them in.
    """

    env: Literal["development", "production"]
    database_url: str
    secret_key: str
    hsts_seconds: int
    max_content_length: int
    public_url: str
    allowed_hosts: tuple[str, ...]
    proxy_hops: int
    session_cookie_secure: bool
    admin_session_hours: float
    ratelimit_enabled: bool
    ratelimit_storage_uri: str
    ratelimit_api: str
    ratelimit_exports: str
    ratelimit_exports_coordinator: str
    ratelimit_login: str
    report_limit_per_sender_per_hour: int
    report_limit_per_hour: int
    geocoder: Literal["offline", "nominatim", "arcgis"]
    geocoder_user_agent: str
    geocoder_domain: str
    geocoder_scheme: Literal["http", "https"]
    geocoder_min_delay_seconds: float
    map_tile_url: str
    map_tile_attribution: str
    map_tile_attribution_url: str
    geocoder_timeout_seconds: float
    default_radius: int
    default_unit: Literal["mi", "km"]
    max_radius: int
    page_size: int
    max_page_size: int
    languages: tuple[str, ...]
    export_max_rows: int
    export_max_pdf_rows: int
    export_pdf_concurrency: int
    export_max_hsds_bytes: int
    referral_max_entries: int
    http_user_agent: str
    http_timeout_seconds: float
    http_max_retries: int
    job_lock_hours: float
    scheduler_timezone: str
    import_niceness: int
    scheduler_run_on_start: bool
    health_stale_factor: float
    serve_workers: int
    serve_threads: int
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]
    serve_bind: str
    serve_timeout_seconds: int
    bmlt_server_list_url: str
    bmlt_extra_servers: tuple[str, ...]
    bmlt_servers: tuple[str, ...]
    bmlt_aggregator_url: str
    meeting_guide_feeds: tuple[str, ...]
    meeting_request_interval_seconds: float
    smart_enabled: bool
    smart_sitemap_url: str
    smart_request_interval_seconds: float
    schedule_bmlt: str
    schedule_meeting_guide: str
    schedule_smart: str
    samhsa_api_url: str
    samhsa_service_type: Literal["SA", "MH", "BOTH"]
    samhsa_page_size: int
    samhsa_request_interval_seconds: float
    samhsa_states: tuple[str, ...]
    refresh_max_retire_share: float
    schedule_samhsa: str
    schedule_laws: str
    law_wikipedia_api_url: str
    law_wikipedia_page: str
    law_wikipedia_section: str
    law_federal_register_url: str
    law_federal_register_terms: tuple[str, ...]
    law_official_pages: tuple[str, ...]
    law_watch_row_sources: bool
    law_request_interval_seconds: float
    law_expiry_warning_days: int

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> Settings:
        """Build from the app's config or a partial dict; keys not given take their defaults.

        Keys may be upper- or lower-case; keys that are not settings (Flask's own, such as
        TESTING) are ignored.

        Raises:
            ConfigError: a given value is of the wrong kind or out of range.
        """
        values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
        values.update({k.lower(): v for k, v in config.items() if k.lower() in SETTINGS_BY_NAME})
        typed: dict[str, Any] = {}
        for name, value in values.items():
            checked = _check(name, value)
            typed[name] = tuple(checked) if isinstance(checked, list) else checked  # frozen
        typed["database_url"] = typed["database_url"] or default_database_url()
        return cls(**typed)


class _App(Protocol):
    """What ``settings_of`` needs of a Flask app (this module does not import Flask)."""

    @property
    def config(self) -> Mapping[str, Any]: ...

    @property
    def extensions(self) -> dict[str, Any]: ...


def settings_of(source: Settings | Mapping[str, Any] | _App) -> Settings:
    """Return the typed settings of an app (built once, kept on its extensions) or a mapping."""
    if isinstance(source, Settings):
        return source
    if isinstance(source, Mapping):
        return Settings.from_mapping(source)
    found = source.extensions.get("settings")
    if not isinstance(found, Settings):
        found = source.extensions["settings"] = Settings.from_mapping(source.config)
    return found


def default_database_url() -> str:
    """Return the URL of the embedded SQLite database under instance/."""
    return f"sqlite:///{INSTANCE_DIR / 'locator.db'}"


def load_config(
    test_config: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> dict[str, Any]:
    """Merge the layers and validate them once.

    Returns:
        Upper-case keys ready for ``app.config.update``.

    Raises:
        ConfigError: a key is unknown or a value is of the wrong kind or out of range.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    values.update(_read_toml(_config_path(environ, config_file)))
    values.update(_read_env(environ))
    values.update({k.lower(): v for k, v in (test_config or {}).items()})
    checked = {name: _check(name, value) for name, value in values.items()}
    if not checked["database_url"]:
        checked["database_url"] = default_database_url()
    return {name.upper(): value for name, value in checked.items()}


def split_test_config(
    test_config: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a test dict into our settings and Flask's own keys (TESTING, SERVER_NAME...)."""
    ours = {k: v for k, v in test_config.items() if k.lower() in SETTINGS_BY_NAME}
    flask_own = {k: v for k, v in test_config.items() if k.lower() not in SETTINGS_BY_NAME}
    return ours, flask_own


def _config_path(environ: Mapping[str, str], config_file: Path | None) -> Path | None:
    if config_file is not None:
        return config_file
    named = environ.get(ENV_PREFIX + "CONFIG")
    if named:
        return Path(named)
    for candidate in (INSTANCE_DIR / "config.toml", PROJECT_DIR / "config.toml"):
        if candidate.exists():
            return candidate
    return None


def _read_toml(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"The configuration file {path} does not exist.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The configuration file {path} is not valid TOML: {exc}") from exc


def _read_env(environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key == ENV_PREFIX + "CONFIG":
            continue
        name = key.removeprefix(ENV_PREFIX).lower()
        setting = SETTINGS_BY_NAME.get(name)
        if setting is None:
            continue  # other programs' LOCATOR_* variables are not ours to reject
        found[name] = _from_text(setting, raw)
    return found


def _from_text(setting: Setting, raw: str) -> Any:
    kind = setting.kind
    try:
        if kind is bool:
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes"}
        if kind is list:
            return [part.strip() for part in raw.split(",") if part.strip()]
        return kind(raw)
    except ValueError as exc:
        raise ConfigError(
            f"{ENV_PREFIX}{setting.name.upper()}={raw!r} is not a valid {kind.__name__}."
        ) from exc


def _check(name: str, value: Any) -> Any:
    setting = SETTINGS_BY_NAME.get(name)
    if setting is None:
        raise ConfigError(f"Unknown setting {name!r}; see config.example.toml for the list.")
    kind = setting.kind
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"Setting {name!r} must be a {kind.__name__}, not {value!r}.")
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"Setting {name!r} must be one of {', '.join(setting.choices)}.")
    if setting.minimum is not None and isinstance(value, int | float) and value < setting.minimum:
        raise ConfigError(f"Setting {name!r} must be at least {setting.minimum}.")
    return value


def example_toml() -> str:
    """Render config.example.toml from the declared settings."""
    lines = [
        "# Settings of the treatment-resource locator.",
        "# Copy to config.toml (or instance/config.toml) and change what you need.",
        "# Every key can also be set as an environment variable: LOCATOR_<KEY>,",
        "# e.g. LOCATOR_DATABASE_URL. Values below are the defaults.",
        "",
    ]
    for setting in SETTINGS:
        lines.append(f"# {setting.help}")
        lines.append(f"{setting.name} = {_toml_value(setting.default)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)
