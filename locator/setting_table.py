"""Every setting, declared once: name, default, help text, allowed values (read by config.py).

``config.example.toml`` is generated from this table (`locator config-example`), and a test
keeps the typed ``Settings`` in locator/config.py field for field in step with it.
"""

from __future__ import annotations

from dataclasses import dataclass


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
        "public_url",
        "",
        "The site's own address, e.g. https://locator.example.org: every absolute URL (share "
        "links, exports, API url fields, calendar files) is built from it, never from the "
        'request\'s Host header. Required with env = "production"; empty in development '
        "means the request's host.",
    ),
    Setting(
        "allowed_hosts",
        [],
        "Host names the site answers for besides public_url's own (e.g. www.example.org); a "
        "request for any other Host is refused with 400 in production.",
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
        "ratelimit_exports_coordinator",
        "30 per minute;600 per hour",
        "Exports one signed-in coordinator or admin may ask for, counted per account instead of "
        "per address (an office behind one address shares nothing).",
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
        "export_pdf_concurrency",
        1,
        "PDF sheets one worker process draws at a time; one more is answered 503 with "
        "Retry-After. Drawing holds a CPU, so more than one per worker slows every page of "
        "that worker.",
        minimum=1,
    ),
    Setting(
        "export_max_hsds_bytes",
        25_000_000,
        "Largest HSDS JSON export, in bytes; a larger one is refused (413) before any byte is "
        "sent, with the advice to narrow the search.",
        minimum=10_000,
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
        "import_niceness",
        10,
        "CPU priority of imports (`locator import`, `locator scheduler`): the Unix nice value "
        "they run at, so searches keep the CPU while a national file loads; 0 leaves it as is.",
        minimum=0,
    ),
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
        "log_level",
        "INFO",
        "Level of the app's log (and gunicorn's error log) on stderr: DEBUG, INFO, WARNING, ERROR.",
        ("DEBUG", "INFO", "WARNING", "ERROR"),
    ),
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
