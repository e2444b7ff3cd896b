"""Distances and the bounding boxes the spatial prefilter uses."""

from __future__ import annotations

import math

import pytest
from geopy.distance import geodesic

from locator.errors import BadQueryError
from locator.places.geo import (
    EARTH_RADIUS_KM,
    Point,
    bounding_boxes,
    haversine_km,
    min_dot,
    unit_vector,
)

PAIRS = [
    (Point(38.0293, -78.4767), Point(37.5407, -77.4360)),  # Charlottesville - Richmond
    (Point(61.2181, -149.9003), Point(64.8378, -147.7164)),  # Anchorage - Fairbanks
    (Point(21.3069, -157.8583), Point(19.7241, -155.0868)),  # Honolulu - Hilo
    (Point(18.4655, -66.1057), Point(18.2013, -67.1397)),  # San Juan - Mayagüez
    (Point(51.8800, -176.6581), Point(52.2100, 174.2000)),  # Adak - Attu, across 180°
    (Point(25.7617, -80.1918), Point(47.6062, -122.3321)),  # Miami - Seattle
]


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_haversine_is_within_half_a_percent_of_the_geodesic(a: Point, b: Point) -> None:
    expected = geodesic((a.lat, a.lon), (b.lat, b.lon)).km
    assert haversine_km(a, b) == pytest.approx(expected, rel=0.005)


def test_distance_across_the_antimeridian_is_short() -> None:
    adak, attu = PAIRS[4]
    assert haversine_km(adak, attu) < 800


def test_impossible_coordinates_are_a_bad_query() -> None:
    with pytest.raises(BadQueryError):
        Point(91, 0)
    with pytest.raises(BadQueryError):
        Point(0, -181)
    with pytest.raises(BadQueryError):
        Point(float("nan"), 0)


def _destination(start: Point, bearing_deg: float, km: float) -> Point:
    d = km / EARTH_RADIUS_KM
    phi1, lmb1, theta = math.radians(start.lat), math.radians(start.lon), math.radians(bearing_deg)
    phi2 = math.asin(math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(theta))
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(d) * math.cos(phi1),
        math.cos(d) - math.sin(phi1) * math.sin(phi2),
    )
    lon = (math.degrees(lmb2) + 540) % 360 - 180
    return Point(math.degrees(phi2), lon)


@pytest.mark.parametrize("lat", [0.0, 38.0, 61.2, 70.0])
@pytest.mark.parametrize("bearing", [0, 45, 80, 90, 100, 180, 270, 280])
def test_every_point_just_inside_the_circle_is_inside_a_box(lat: float, bearing: float) -> None:
    centre = Point(lat, -100.0)
    radius = 200.0
    edge = _destination(centre, bearing, radius * 0.99999)
    assert haversine_km(centre, edge) <= radius
    assert any(box.contains(edge) for box in bounding_boxes(centre, radius))


def test_the_widest_point_of_a_high_latitude_circle_is_inside_the_box() -> None:
    # The circle's easternmost point is north of due east; the naive r/cos(lat) box misses it.
    centre = Point(64.0, -150.0)
    radius = 500.0
    widest = max(
        (_destination(centre, b / 10, radius * 0.999999) for b in range(600, 1200)),
        key=lambda p: p.lon,
    )
    naive_half_width = math.degrees(radius / EARTH_RADIUS_KM) / math.cos(math.radians(centre.lat))
    assert widest.lon > centre.lon + naive_half_width
    assert any(box.contains(widest) for box in bounding_boxes(centre, radius))


def test_a_circle_across_the_antimeridian_becomes_two_boxes() -> None:
    boxes = bounding_boxes(Point(51.88, -176.66), 800)
    assert len(boxes) == 2
    assert any(box.contains(Point(52.21, 174.2)) for box in boxes)
    assert all(-180 <= b.west <= b.east <= 180 for b in boxes)


def test_a_circle_over_the_pole_covers_every_longitude() -> None:
    (box,) = bounding_boxes(Point(89.5, 10), 200)
    assert (box.west, box.east, box.north) == (-180.0, 180.0, 90.0)


def test_dot_product_threshold_matches_the_radius() -> None:
    a, b = PAIRS[0]
    km = haversine_km(a, b)
    dot = sum(
        x * y for x, y in zip(unit_vector(a.lat, a.lon), unit_vector(b.lat, b.lon), strict=True)
    )
    assert dot >= min_dot(km * 1.0001)
    assert dot < min_dot(km * 0.9999)
