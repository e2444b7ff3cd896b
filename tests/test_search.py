"""The search engine: true distances, order, filters, borders, Alaska and the antimeridian."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest
from geopy.distance import geodesic
from sqlalchemy import Engine
from sqlmodel import Session

from locator.errors import BadQueryError
from locator.facilities.search import FacilityQuery, find_nearby, nearest_beyond
from locator.places.geo import EARTH_RADIUS_KM, KM_PER_MILE, Point, haversine_km_raw
from tests.utils.facilities import add_sites, site

CHARLOTTESVILLE = Point(38.0293, -78.4767)


def search(engine: Engine, origin: Point, radius: float | None, **options: object):
    with Session(engine) as session:
        query = FacilityQuery(origin=origin, radius=radius, **options)
        return find_nearby(session=session, query=query, with_codes=True)


def test_embedded_facilities_near_a_zip_come_nearest_first_with_true_distances(
    engine: Engine,
) -> None:
    page = search(engine, CHARLOTTESVILLE, 25)
    assert page.total > 10
    distances = [hit.distance for hit in page.hits]
    assert distances == sorted(distances)
    for hit in page.hits:
        expected = geodesic(
            (CHARLOTTESVILLE.lat, CHARLOTTESVILLE.lon), (hit.latitude, hit.longitude)
        ).miles
        assert hit.distance == pytest.approx(expected, rel=0.005, abs=0.01)
        assert hit.distance <= 25


def test_radius_in_km_gives_km_distances(engine: Engine) -> None:
    miles = search(engine, CHARLOTTESVILLE, 10)
    km = search(engine, CHARLOTTESVILLE, 10 * KM_PER_MILE, unit="km")
    assert [h.id for h in miles.hits] == [h.id for h in km.hits]
    assert km.hits[0].distance == pytest.approx(miles.hits[0].distance * KM_PER_MILE)


def test_residential_filter_keeps_only_residential_facilities(engine: Engine) -> None:
    everything = search(engine, CHARLOTTESVILLE, 50)
    residential = search(engine, CHARLOTTESVILLE, 50, categories=("residential",))
    assert 0 < residential.total < everything.total
    for hit in residential.hits:
        assert set(hit.codes) & {"RES", "RS", "RL", "RD"}


def test_no_embedded_facility_near_charlottesville_lists_detox(engine: Engine) -> None:
    # The 2019 sample rows list no detox program; the search must not invent one.
    assert search(engine, CHARLOTTESVILLE, 100, categories=("detox",)).total == 0


def test_filters_of_different_groups_must_all_match(engine: Engine) -> None:
    both = search(engine, CHARLOTTESVILLE, 50, categories=("outpatient", "medicaid"))
    assert both.total > 0
    for hit in both.hits:
        assert set(hit.codes) & {"OP", "ORT", "OIT", "ODT", "OMB"} and "MD" in hit.codes


def test_several_types_of_care_match_any_of_them(engine: Engine) -> None:
    either = search(engine, CHARLOTTESVILLE, 50, categories=("outpatient", "telehealth"))
    outpatient = search(engine, CHARLOTTESVILLE, 50, categories=("outpatient",))
    telehealth = search(engine, CHARLOTTESVILLE, 50, categories=("telehealth",))
    assert max(outpatient.total, telehealth.total) <= either.total
    assert either.total <= outpatient.total + telehealth.total
    for hit in either.hits:
        assert set(hit.codes) & {"OP", "ORT", "OIT", "ODT", "OMB", "TELE"}


def test_the_nearest_beyond_an_empty_radius_keep_the_filters(engine: Engine) -> None:
    with Session(engine) as session:
        query = FacilityQuery(origin=Point(46.6, -112.0), radius=25, categories=("telehealth",))
        assert find_nearby(session=session, query=query).total == 0  # Helena, MT
        nearest = nearest_beyond(session=session, query=query, with_codes=True)
    assert len(nearest) == 5
    distances = [hit.distance or 0.0 for hit in nearest]
    assert distances == sorted(distances) and all(d > 25 for d in distances)
    assert all("TELE" in hit.codes for hit in nearest)
    with Session(engine) as session:
        nowhere = replace(query, categories=("detox",))
        assert nearest_beyond(session=session, query=nowhere) == []


def test_clonidine_detox_alone_is_not_detox(empty_engine: Engine) -> None:
    add_sites(
        empty_engine,
        [
            site("DLC only", 38.03, -78.47, services={"DLC", "OP"}),
            site("Real detox", 38.04, -78.47, services={"DT"}),
        ],
    )
    names = [h.name for h in search(empty_engine, CHARLOTTESVILLE, 10, categories=("detox",)).hits]
    assert names == ["Test site Real detox"]


def test_unknown_services_never_match_a_filter(empty_engine: Engine) -> None:
    add_sites(
        empty_engine, [site("OTP, services null", 38.03, -78.47, services=None, types=("OTP",))]
    )
    assert search(empty_engine, CHARLOTTESVILLE, 10, categories=("outpatient",)).total == 0
    (hit,) = search(empty_engine, CHARLOTTESVILLE, 10).hits
    assert not hit.services_known


def test_facility_type_filter(engine: Engine) -> None:
    mh = search(engine, CHARLOTTESVILLE, 50, facility_types=("MH",))
    assert mh.total > 0 and all("MH" in h.facility_types for h in mh.hits)


def test_results_cross_state_borders(empty_engine: Engine) -> None:
    # Bluefield sits on the VA/WV line: a search there must find both sides.
    add_sites(
        empty_engine,
        [
            site("Virginia side", 37.2530, -81.2698, state="VA"),
            site("West Virginia side", 37.2696, -81.2223, state="WV"),
        ],
    )
    page = search(empty_engine, Point(37.26, -81.25), 10)
    assert {h.state for h in page.hits} == {"VA", "WV"}


@pytest.mark.parametrize(
    ("origin", "there", "state"),
    [
        (Point(61.2181, -149.9003), (61.32, -149.57), "AK"),  # Anchorage - Eagle River
        (Point(21.3069, -157.8583), (21.40, -157.74), "HI"),  # Honolulu - Kailua
        (Point(18.4655, -66.1057), (18.38, -65.96), "PR"),  # San Juan - Carolina
    ],
)
def test_alaska_hawaii_and_puerto_rico(
    empty_engine: Engine, origin: Point, there: tuple[float, float], state: str
) -> None:
    add_sites(empty_engine, [site(f"in {state}", *there, state=state)])
    (hit,) = search(empty_engine, origin, 25).hits
    assert hit.state == state


def test_a_radius_across_the_180th_meridian_finds_both_sides(empty_engine: Engine) -> None:
    add_sites(
        empty_engine,
        [
            site("Adak", 51.88, -176.66, state="AK"),
            site("Attu", 52.90, 173.20, state="AK"),  # west of 180°: positive longitude
            site("Anchorage", 61.22, -149.90, state="AK"),
        ],
    )
    page = search(empty_engine, Point(51.88, -176.66), 500)
    assert [h.name for h in page.hits] == ["Test site Adak", "Test site Attu"]
    assert page.hits[1].distance == pytest.approx(
        geodesic((51.88, -176.66), (52.90, 173.20)).miles, rel=0.005
    )


def _point_at(origin: Point, bearing: float, miles: float) -> tuple[float, float]:
    d = miles * KM_PER_MILE / EARTH_RADIUS_KM
    phi1, lmb1, theta = map(math.radians, (origin.lat, origin.lon, bearing))
    phi2 = math.asin(math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(theta))
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(d) * math.cos(phi1),
        math.cos(d) - math.sin(phi1) * math.sin(phi2),
    )
    return math.degrees(phi2), (math.degrees(lmb2) + 540) % 360 - 180


@pytest.mark.parametrize("bearing", [84, 90, 96, 264, 270, 276])
def test_a_point_just_inside_the_east_or_west_edge_is_found(
    empty_engine: Engine, bearing: float
) -> None:
    origin = Point(64.84, -147.72)  # Fairbanks: far north, where naive boxes are too narrow
    inside = _point_at(origin, bearing, 99.9)
    outside = _point_at(origin, bearing, 100.1)
    add_sites(
        empty_engine, [site("inside", *inside, state="AK"), site("outside", *outside, state="AK")]
    )
    assert [h.name for h in search(empty_engine, origin, 100).hits] == ["Test site inside"]


def test_paging_splits_the_results_in_order(engine: Engine) -> None:
    whole = search(engine, CHARLOTTESVILLE, 100, per_page=100)
    first = search(engine, CHARLOTTESVILLE, 100, per_page=5)
    second = search(engine, CHARLOTTESVILLE, 100, per_page=5, page=2)
    assert first.total == second.total == whole.total
    assert [h.id for h in first.hits + second.hits] == [h.id for h in whole.hits[:10]]
    assert first.pages == math.ceil(whole.total / 5)


def test_a_page_past_the_end_is_empty_but_keeps_the_total(engine: Engine) -> None:
    past = search(engine, CHARLOTTESVILLE, 100, per_page=5, page=50)
    assert past.hits == [] and past.total > 0


def test_inactive_facilities_are_not_found(empty_engine: Engine) -> None:
    add_sites(empty_engine, [site("stays", 38.03, -78.47), site("goes", 38.04, -78.47)])
    add_sites(empty_engine, [site("stays", 38.03, -78.47)], full_refresh=True)
    assert [h.name for h in search(empty_engine, CHARLOTTESVILLE, 10).hits] == ["Test site stays"]


def test_a_whole_state_search_lists_the_state_from_its_centre_without_distances(
    engine: Engine,
) -> None:
    centre = Point(37.5, -78.8)
    page = search(engine, centre, None, state="VA", per_page=100)
    assert page.total == 23
    assert [h.distance for h in page.hits] == [None] * 23  # "away" from the centre: from nowhere
    away = [haversine_km_raw(37.5, -78.8, h.latitude or 0, h.longitude or 0) for h in page.hits]
    assert away == sorted(away)
    assert search(engine, Point(39.0, -76.7), None, state="MD").total == 0


@pytest.mark.parametrize(
    "options",
    [
        {"radius": 0},
        {"radius": -5},
        {"radius": float("nan")},
        {"radius": float("inf")},
        {"page": 0},
        {"per_page": 0},
        {"categories": ("no-such-service",)},
    ],
)
def test_impossible_queries_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(BadQueryError):
        FacilityQuery(**{"origin": CHARLOTTESVILLE, "radius": 25, **options})


def test_a_radius_search_reads_the_spatial_index_not_the_whole_table(engine: Engine) -> None:
    from sqlalchemy import text

    from locator.facilities.search import HIT_FIELDS, facility_conditions
    from locator.places.spatial import RankedQuery, page_statement

    query = FacilityQuery(origin=CHARLOTTESVILLE, radius=25, categories=("outpatient",))
    conditions, filters = facility_conditions(query)
    sql, values = page_statement(
        engine.dialect.name,
        RankedQuery("facility", conditions, HIT_FIELDS),
        CHARLOTTESVILLE,
        40.0,
        limit=25,
        offset=0,
        params=filters,
    )
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # At 23 rows any index is as good as another; the planner's choice depends on
            # statistics earlier tests left. Give it a national-sized table to choose for.
            _add_distant_rows(conn, 20_000)
            conn.execute(text("ANALYZE facility"))
            plan = conn.exec_driver_sql("EXPLAIN " + sql, values).all()
        else:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, values).all()
    text_plan = " ".join(str(row) for row in plan)
    assert "ix_spatial_facility" in text_plan, "\n".join(str(row[0]) for row in plan)
    assert "SCAN facility" not in text_plan and "Seq Scan on facility" not in text_plan


def _add_distant_rows(conn: Any, count: int) -> None:
    """Insert ``count`` inactive-looking far-away rows (this test's database only)."""
    from datetime import date

    from sqlalchemy import insert

    from locator.models import Facility
    from locator.places.geo import lat_band, unit_vector

    rows = []
    for n in range(count):
        lat, lon = 25.0 + (n % 200) * 0.1, -120.0 + (n // 200) * 0.1
        x, y, z = unit_vector(lat, lon)
        rows.append(
            {
                "id": 1_000_000 + n,
                "source": "test-plan",
                "source_key": f"plan{n}",
                "name": f"Plan row {n}",
                "state": "ZZ",
                "latitude": lat,
                "longitude": lon,
                "lat_band": lat_band(lat),
                "geo_x": x,
                "geo_y": y,
                "geo_z": z,
                "facility_types": ",SA,",
                "first_seen": date(2026, 11, 1),
                "last_seen": date(2026, 11, 1),
                "unmapped_services": [],
                "service_bits_lo": 2,
                "service_bits_hi": 0,
            }
        )
    conn.execute(insert(Facility), rows)


@pytest.mark.parametrize(
    "origin", [Point(46.6, -112.0), Point(38.5, -78.9), Point(21.3, -157.8), Point(61.2, -149.9)]
)
def test_the_widening_rings_give_the_same_nearest_as_ranking_everything(
    engine: Engine, origin: Point
) -> None:
    query = FacilityQuery(origin=origin, radius=1, categories=("outpatient",))
    with Session(engine) as session:
        ringed = nearest_beyond(session=session, query=query)
        everything = find_nearby(
            session=session, query=replace(query, radius=None, per_page=5)
        ).hits
    assert [h.id for h in ringed] == [h.id for h in everything] and len(ringed) == 5
