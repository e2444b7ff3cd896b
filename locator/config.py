"""Settings: declared once here, read from defaults -> config.toml -> LOCATOR_* env -> test dict."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from locator.errors import ConfigError
from locator.paths import INSTANCE_DIR, PROJECT_DIR

ENV_PREFIX = "LOCATOR_"


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, help text and allowed values."""

    name: str
    default: str | int | float | bool | list[str]
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None

    @property
    def kind(self) -> type:
        return type(self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting("env", "development", "development or production.", ("development", "production")),
    Setting(
        "database_url",
        "",
        "SQLAlchemy URL. Empty means the embedded SQLite file instance/locator.db. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/dbname",
    ),
    Setting(
        "secret_key",
        "dev-only-not-secret",
        "Flask secret key (signs sessions and CSRF tokens): a long random string of your own, "
        'e.g. python -c "import secrets; print(secrets.token_hex(32))". With env = '
        '"production" the app refuses to start with this default or an empty key.',
    ),
    Setting(
        "hsts_seconds",
        0,
        "Strict-Transport-Security max-age in seconds; 0 sends no HSTS header. Turn it on "
        "(e.g. 31536000) only once the site is served over HTTPS.",
        minimum=0,
    ),
    Setting(
        "max_content_length",
        1_000_000,
        "Largest request body accepted, in bytes; a larger one is answered 413.",
        minimum=1024,
    ),
    Setting(
        "proxy_hops",
        0,
        "Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0 when "
        "the app faces the internet itself). Rate limits count per client address.",
        minimum=0,
    ),
    Setting(
        "session_cookie_secure",
        True,
        "Send the session cookie (admin login, form tokens) over HTTPS only. Browsers also "
        "accept it from http://localhost and http://127.0.0.1 during development.",
    ),
    Setting("admin_session_hours", 8.0, "How long an admin login lasts.", minimum=0.1),
    Setting(
        "ratelimit_enabled",
        True,
        "Apply the rate limits below (per client address).",
    ),
    Setting(
        "ratelimit_storage_uri",
        "memory://",
        "Where rate-limit counters live: memory:// (each worker counts alone) or "
        "redis://host:6379/0 (shared by every worker). If Redis is unreachable, requests are "
        "served unlimited and the error is logged.",
    ),
    Setting(
        "ratelimit_api",
        "120 per minute;2000 per hour",
        "Requests one client may make to /api/... (limits syntax: N per second/minute/hour/day, "
        "several separated by ;).",
    ),
    Setting(
        "ratelimit_exports",
        "10 per minute;100 per hour",
        "Exports (CSV, Excel, PDF, HSDS; pages and API) one client may ask for.",
    ),
    Setting(
        "ratelimit_login",
        "5 per minute;20 per hour",
        "Failed admin logins one client may make before it must wait.",
    ),
    Setting(
        "report_limit_per_sender_per_hour",
        5,
        "Problem reports one sender (a daily salted hash of the address) may send in an hour.",
        minimum=1,
    ),
    Setting(
        "report_limit_per_hour",
        200,
        "Problem reports accepted from everyone together in an hour; beyond it, people are "
        "asked to try later (a flood is refused, not stored).",
        minimum=1,
    ),
    Setting(
        "geocoder",
        "offline",
        "offline uses only the embedded US ZIP/place gazetteer; nominatim or arcgis also "
        "look up full addresses online (rate-limited, cached in the database).",
        ("offline", "nominatim", "arcgis"),
    ),
    Setting(
        "geocoder_user_agent",
        "treatment-locator/0.1 (directory service)",
        "User-Agent sent to the online geocoder (Nominatim's policy requires one).",
    ),
    Setting(
        "geocoder_domain",
        "",
        "Host of the online geocoder; empty means the provider's public host.",
    ),
    Setting(
        "geocoder_scheme", "https", "http or https for the online geocoder.", ("http", "https")
    ),
    Setting(
        "geocoder_min_delay_seconds",
        1.0,
        "Least time between two online geocoder requests.",
        minimum=0.0,
    ),
    Setting(
        "map_tile_url",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "Map tiles for the results map, fetched by the visitor's browser ({z}/{x}/{y}); "
        "respect the provider's usage policy. /static/img/blank-tile.png shows no map "
        "detail and loads nothing from elsewhere. Empty hides the map.",
    ),
    Setting(
        "map_tile_attribution",
        "© OpenStreetMap contributors",
        "Attribution shown on the map, as the tile provider requires.",
    ),
    Setting(
        "map_tile_attribution_url",
        "https://www.openstreetmap.org/copyright",
        "Where the attribution links to.",
    ),
    Setting(
        "geocoder_timeout_seconds", 5.0, "Timeout of one online geocoder request.", minimum=0.1
    ),
    Setting("default_radius", 25, "Radius of a search when none is given.", minimum=1),
    Setting("default_unit", "mi", "Unit of the default radius: mi or km.", ("mi", "km")),
    Setting("max_radius", 500, "Largest radius a search accepts, in its own unit.", minimum=1),
    Setting("page_size", 25, "Results per page when none is asked for.", minimum=1),
    Setting("max_page_size", 100, "Largest page size the API accepts.", minimum=1),
    Setting(
        "languages",
        ["en", "es"],
        "Interface languages offered in the language switch; the first is the default.",
    ),
    Setting(
        "export_max_rows",
        5000,
        "Most facilities one export (CSV, Excel, PDF, HSDS) may hold; a larger search is "
        "refused with a message asking for a smaller area or more filters.",
        minimum=1,
    ),
    Setting(
        "export_max_pdf_rows",
        500,
        "Most facilities one printable PDF sheet may hold (a PDF is drawn whole, not "
        "streamed); larger searches are pointed to CSV or Excel.",
        minimum=1,
    ),
    Setting(
        "referral_max_entries",
        100,
        "Most facilities and meetings one referral list may hold.",
        minimum=1,
    ),
    Setting(
        "http_user_agent",
        "treatment-locator/0.1 (public-health directory importer)",
        "User-Agent of every importer request; add a contact URL or e-mail for your site.",
    ),
    Setting("http_timeout_seconds", 30.0, "Timeout of one importer request.", minimum=1.0),
    Setting(
        "http_max_retries",
        4,
        "Retries (exponential backoff) after a timeout, 429 or 5xx before a run fails.",
        minimum=0,
    ),
    Setting(
        "job_lock_hours",
        6.0,
        "How long a scheduler job's lock row (SQLite) is honoured if its holder died.",
        minimum=0.1,
    ),
    Setting("scheduler_timezone", "UTC", "Time zone the scheduler's cron expressions are read in."),
    Setting(
        "scheduler_run_on_start",
        False,
        "Also run every scheduled job once as soon as `locator scheduler` starts (e.g. to fill "
        "a new database); the job locks still keep a second scheduler from running it twice.",
    ),
    Setting(
        "health_stale_factor",
        2.0,
        "/healthz calls a source stale when its last successful import is older than this "
        "many times the interval of its schedule.",
        minimum=1.0,
    ),
    Setting(
        "serve_workers",
        2,
        "Gunicorn worker processes of `locator serve --prod` (about one per CPU core).",
        minimum=1,
    ),
    Setting("serve_threads", 4, "Threads per gunicorn worker (gthread).", minimum=1),
    Setting(
        "serve_bind",
        "127.0.0.1:8000",
        "Address gunicorn listens on (host:port); put a TLS proxy in front of it.",
    ),
    Setting(
        "serve_timeout_seconds",
        30,
        "Gunicorn kills and replaces a worker silent for this long.",
        minimum=1,
    ),
    Setting(
        "bmlt_server_list_url",
        "https://raw.githubusercontent.com/bmlt-enabled/aggregator/main/serverList.json",
        "The BMLT aggregator's list of NA root servers ([{id, name, url}]) to import.",
    ),
    Setting(
        "bmlt_extra_servers",
        ["https://bmlt.virtual-na.org/main_server/"],
        "BMLT root servers imported besides the list (Virtual NA is not in it).",
    ),
    Setting(
        "bmlt_servers",
        [],
        "If not empty, import exactly these BMLT root servers instead of the list and extras.",
    ),
    Setting(
        "bmlt_aggregator_url",
        "https://aggregator.bmltenabled.org/main_server/",
        "The BMLT aggregator, asked for the meetings around one place on demand.",
    ),
    Setting(
        "meeting_guide_feeds",
        [],
        'Meeting Guide JSON feeds, each "FELLOWSHIP URL", e.g. "AA https://example.org/'
        'wp-admin/admin-ajax.php?action=meetings".',
    ),
    Setting(
        "meeting_request_interval_seconds",
        1.0,
        "Least time between two requests of the BMLT and Meeting Guide importers.",
        minimum=0.0,
    ),
    Setting(
        "smart_enabled",
        False,
        "Crawl SMART Recovery's public meeting pages (no API; check its terms first).",
    ),
    Setting(
        "smart_sitemap_url",
        "https://meetings.smartrecovery.org/sitemap.xml",
        "The sitemap listing SMART Recovery's meeting pages.",
    ),
    Setting(
        "smart_request_interval_seconds",
        2.0,
        "Least time between two SMART page requests (never below 2 s).",
        minimum=2.0,
    ),
    Setting("schedule_bmlt", "30 3 * * *", "Cron line of the NA (BMLT) refresh; empty = off."),
    Setting(
        "schedule_meeting_guide",
        "0 4 * * *",
        "Cron line of the Meeting Guide feeds refresh; empty = off.",
    ),
    Setting(
        "schedule_smart",
        "0 5 * * 0",
        "Cron line of the SMART crawl (weekly: ~1,250 pages at 2 s each); runs only when "
        "smart_enabled.",
    ),
    Setting(
        "samhsa_api_url",
        "https://findtreatment.gov/locator/exportsAsJson/v2",
        "FindTreatment.gov API v2 endpoint of the live SAMHSA import.",
    ),
    Setting(
        "samhsa_service_type",
        "BOTH",
        "sType of the live import: SA (substance use), MH (mental health) or BOTH.",
        ("SA", "MH", "BOTH"),
    ),
    Setting(
        "samhsa_page_size", 2000, "Rows per API page (the API allows at most 2000).", minimum=1
    ),
    Setting(
        "samhsa_request_interval_seconds",
        1.0,
        "Least time between two FindTreatment.gov requests.",
        minimum=0.0,
    ),
    Setting(
        "samhsa_states",
        [],
        'States the live import sweeps, e.g. ["VA", "MD"]; empty = every state and territory.',
    ),
    Setting(
        "refresh_max_retire_share",
        0.2,
        "Largest share (0-1) of a source's active listings a full refresh may retire; a refresh "
        "that would retire more is refused, nothing changed, unless run with --force.",
        minimum=0.0,
    ),
    Setting(
        "schedule_samhsa",
        "0 2 * * 1",
        "Cron line of the weekly FindTreatment.gov refresh; empty = off.",
    ),
    Setting(
        "schedule_laws",
        "15 6 * * *",
        "Cron line of the daily kratom-law change check (proposals for review); empty = off.",
    ),
    Setting(
        "law_wikipedia_api_url",
        "https://en.wikipedia.org/w/api.php",
        "MediaWiki Action API the kratom-law check reads the watched article section from.",
    ),
    Setting("law_wikipedia_page", "Kratom", "Wikipedia article watched for kratom-law changes."),
    Setting(
        "law_wikipedia_section",
        "United States",
        "Text of the heading of the watched section (first heading containing it).",
    ),
    Setting(
        "law_federal_register_url",
        "https://www.federalregister.gov/api/v1/documents.json",
        "Federal Register documents search API (no key needed).",
    ),
    Setting(
        "law_federal_register_terms",
        ["kratom", "mitragynine", "7-hydroxymitragynine"],
        "Terms searched in the Federal Register; a document not on file becomes a proposal.",
    ),
    Setting(
        "law_official_pages",
        [],
        'Official pages checked by content hash, each "ST URL", e.g. "ND https://www.governor.'
        'nd.gov/news/...". A change becomes a proposal for review.',
    ),
    Setting(
        "law_watch_row_sources",
        True,
        "Also check the official sources cited by every state's reviewed row.",
    ),
    Setting(
        "law_request_interval_seconds",
        1.0,
        "Least time between two requests of the kratom-law check.",
        minimum=0.0,
    ),
    Setting(
        "law_expiry_warning_days",
        30,
        "Days before a temporary ban's expiry date when it becomes a review item.",
        minimum=0,
    ),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


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
    proxy_hops: int
    session_cookie_secure: bool
    admin_session_hours: float
    ratelimit_enabled: bool
    ratelimit_storage_uri: str
    ratelimit_api: str
    ratelimit_exports: str
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
    referral_max_entries: int
    http_user_agent: str
    http_timeout_seconds: float
    http_max_retries: int
    job_lock_hours: float
    scheduler_timezone: str
    scheduler_run_on_start: bool
    health_stale_factor: float
    serve_workers: int
    serve_threads: int
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
