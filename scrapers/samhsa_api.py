"""Live import from the FindTreatment.gov API v2 (``/locator/exportsAsJson/v2``), state by state.

National coverage comes from one distance-limited sweep per state or territory: the search
centre (``sAddr``, latitude first) is the state's centre in the embedded gazetteer and the
radius (``limitType=2``, ``limitValue`` in metres) reaches its farthest ZIP centroid. The
circle also catches neighbouring states' facilities; only rows of the swept state are kept, so
every site comes from exactly one sweep. Paging asks ``pageSize`` rows (at most 2000) per page
until a page is empty or ``totalPages`` is reached.

Traps handled (shared/sources/samhsa.md §3-5): a longitude-first ``sAddr`` silently returns no
rows, so a state or DC sweep that finds none fails the run instead of emptying the state; errors
can come back as text or HTML with status 200 (HttpClient raises FetchError); a page without
the documented keys, or whose rows (nearly) all lack one, raises FeedSchemaError, while one
odd row is rejected and the rest of its page kept (scrapers/samhsa.py). Any failure leaves
the stored data as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator.config import Settings, settings_of
from locator.models import FacilitySource
from locator.places.gazetteer import embedded_gazetteer
from locator.places.states import State, all_states, find_state
from locator.text import clean
from scrapers.base import FeedSchemaError, ImportReport, Rejected, run_import
from scrapers.facilities import FacilityRecord
from scrapers.facility_writer import FacilityWriter
from scrapers.http import HttpClient, client_from_config
from scrapers.runs import failures_recorded
from scrapers.samhsa import PAGE_KEYS, SOURCE, SOURCE_URL, check_page_rows, parse_row

MAX_PAGE_SIZE = 2000
MAX_PAGES = 500  # 1,000,000 rows at the largest page size: a runaway paging loop, not data
SERVICE_TYPES = ("SA", "MH", "BOTH")
METRES_PER_KM = 1000.0
# The circle is widened a little past the farthest ZIP centroid: a facility can sit a few
# kilometres beyond the centroid of its own ZIP.
RADIUS_MARGIN = 1.05
RADIUS_EXTRA_KM = 25.0


@dataclass(frozen=True, slots=True)
class Sweep:
    """One state's search: a centre and a radius that covers the state."""

    state: State
    lat: float
    lon: float
    radius_m: int

    def params(self, service_type: str, page_size: int, page: int) -> dict[str, Any]:
        return {
            "sType": service_type,
            "sAddr": f"{self.lat:.6f},{self.lon:.6f}",
            "limitType": 2,
            "limitValue": self.radius_m,
            "pageSize": page_size,
            "page": page,
            "sort": 0,
        }


def plan_sweeps(codes: Iterable[str] = ()) -> list[Sweep]:
    """Return the sweeps for these state codes (every state and territory when empty).

    Raises:
        ValueError: a code that names no state or territory (the message says which).
    """
    wanted: list[State] = []
    for code in codes:
        state = find_state(code)
        if state is None:
            raise ValueError(f"{code!r} is not a US state, DC or territory code.")
        wanted.append(state)
    gazetteer = embedded_gazetteer()
    sweeps = []
    for state in wanted or list(all_states()):
        extent = gazetteer.state_extent(state)
        if extent is None:
            raise ValueError(f"The embedded gazetteer has no ZIP codes for {state.name}.")
        centre, radius_km = extent
        radius_m = round((radius_km * RADIUS_MARGIN + RADIUS_EXTRA_KM) * METRES_PER_KM)
        sweeps.append(Sweep(state, centre.point.lat, centre.point.lon, radius_m))
    return sweeps


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """What to ask the API: its URL, the care type and the page size."""

    url: str
    service_type: str = "BOTH"
    page_size: int = MAX_PAGE_SIZE

    def __post_init__(self) -> None:
        if self.service_type not in SERVICE_TYPES:
            raise ValueError(f"sType must be one of {', '.join(SERVICE_TYPES)}.")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"The page size must be between 1 and {MAX_PAGE_SIZE}.")

    @classmethod
    def from_config(cls, settings: Settings) -> ApiOptions:
        return cls(
            url=settings.samhsa_api_url,
            service_type=settings.samhsa_service_type,
            page_size=settings.samhsa_page_size,
        )


def fetch_pages(client: HttpClient, options: ApiOptions, sweep: Sweep) -> Iterator[dict[str, Any]]:
    """Yield the result pages of one sweep, checking each page's shape.

    Raises:
        FetchError: the API did not answer, or answered with text/HTML instead of JSON.
        FeedSchemaError: a page lacks the documented keys, (nearly) all its rows lack one,
            or a state finds no facility. A few odd rows are left to parse_row to reject.
    """
    page = 1
    while True:
        data = client.get_json(
            options.url, sweep.params(options.service_type, options.page_size, page)
        )
        where = f"{sweep.state.code} page {page}"
        if not isinstance(data, dict) or not data.keys() >= PAGE_KEYS:
            shown = sorted(data)[:8] if isinstance(data, dict) else type(data).__name__
            raise FeedSchemaError(
                f"{where} is not a FindTreatment.gov result page (expected keys "
                f"{sorted(PAGE_KEYS)}, got {shown}); the API changed shape."
            )
        rows, total_pages = data["rows"], data["totalPages"]
        if not isinstance(rows, list) or not isinstance(total_pages, int):
            raise FeedSchemaError(f"{where}: 'rows' or 'totalPages' has an unexpected type.")
        if page == 1 and not rows and sweep.state.kind != "territory":
            raise FeedSchemaError(
                f"The sweep of {sweep.state.name} found no facility at all (recordCount "
                f"{data['recordCount']!r}). Every state has some, so the API misread the "
                "query (sAddr must be 'latitude,longitude'); nothing was changed."
            )
        check_page_rows(rows, where=where)
        yield data
        if not rows or page >= total_pages:
            return
        page += 1
        if page > MAX_PAGES:
            raise FeedSchemaError(f"{sweep.state.code}: more than {MAX_PAGES} pages; stopping.")


def live_items(
    client: HttpClient,
    options: ApiOptions,
    sweeps: Iterable[Sweep],
    on_sweep: Callable[[Sweep, int], None] | None = None,
) -> Iterator[FacilityRecord | Rejected]:
    """Yield the parsed rows of every sweep that belong to the swept state.

    ``on_sweep(sweep, rows_kept)`` is called after each sweep (for a progress bar).
    """
    for sweep in sweeps:
        kept = 0
        for page in fetch_pages(client, options, sweep):
            for index, row in enumerate(page["rows"], start=1):
                if _other_state(row, sweep.state):
                    continue
                kept += 1
                yield parse_row(row, where=f"{sweep.state.code} page {page['page']} row {index}")
        if on_sweep is not None:
            on_sweep(sweep, kept)


def _other_state(row: Any, state: State) -> bool:
    """Tell whether a row clearly belongs to another state (the circle overlaps neighbours)."""
    if not isinstance(row, dict) or "state" not in row:
        return False  # let the parser report the broken row
    found = find_state(clean(row["state"]))
    return found is not None and found.code != state.code


def import_live(
    engine: Engine,
    config: Settings | Mapping[str, Any],
    *,
    states: Iterable[str] = (),
    client: HttpClient | None = None,
    on_sweep: Callable[[Sweep, int], None] | None = None,
    progress: Callable[[int], None] | None = None,
    force: bool = False,
) -> ImportReport:
    """Sweep the states (all of them by default) and store what the API lists.

    The sweep of a state lists every facility the API has there, so stored facilities of
    those states that it no longer lists become inactive (kept, with their last-seen date).
    """
    with failures_recorded(engine, SOURCE):
        settings = settings_of(config)
        sweeps = plan_sweeps(list(states) or settings.samhsa_states)
        options = ApiOptions.from_config(settings)
    client = client or client_from_config(
        settings, min_interval=settings.samhsa_request_interval_seconds
    )
    swept = frozenset(s.state.code for s in sweeps)
    national = swept >= {state.code for state in all_states()}
    writer = FacilityWriter(
        source=SOURCE,
        source_note=(
            f"SAMHSA FindTreatment.gov API v2 (sType={options.service_type}), "
            f"imported {date.today().isoformat()}."
        ),
        source_url=SOURCE_URL,
        family=SOURCE,
        scope_states=swept,
        retires=directory_sources(engine, options.service_type) if national else (),
    )
    return run_import(
        engine,
        source=SOURCE,
        items=live_items(client, options, sweeps, on_sweep),
        writer=writer,
        seen_on=date.today(),
        full_refresh=True,
        progress=progress,
        max_retire_share=settings.refresh_max_retire_share,
        force=force,
    )


# Which published directories a complete sweep of each sType stands in for.
_SWEEP_COVERS = {"SA": ("sa", "otp"), "MH": ("mh",), "BOTH": ("sa", "mh", "otp")}


def directory_sources(engine: Engine, service_type: str) -> tuple[str, ...]:
    """Name the stored directory sources a complete national sweep of ``service_type`` replaces.

    The sweep lists every facility FindTreatment.gov has now, so a site it no longer lists
    loses the old directories' contribution too; a site only another kind of directory lists
    (an MH-only sweep and the SA directory) keeps it.
    """
    kinds = _SWEEP_COVERS[service_type]
    with Session(engine) as session:
        names = session.scalars(select(col(FacilitySource.source)).distinct())
        return tuple(
            sorted(n for n in names if n.startswith(f"{SOURCE}-") and n.split("-")[1] in kinds)
        )


def import_configured_states(
    engine: Engine, config: Settings | Mapping[str, Any], notify: Callable[[str], None]
) -> ImportReport:
    """Sweep the configured states (all by default), saying how many rows each one kept."""

    def swept(sweep: Sweep, kept: int) -> None:
        notify(f"{sweep.state.code}: {kept} rows")

    return import_live(engine, config, on_sweep=swept)


def scheduled_samhsa(engine: Engine, config: Settings | Mapping[str, Any]) -> ImportReport:
    """The scheduler's weekly job: a live sweep of the configured states (all by default)."""
    return import_live(engine, config)
