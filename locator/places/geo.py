"""Points, great-circle distance and the bounding boxes the index prefilter uses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from locator.errors import N_, BadQueryError

Unit = Literal["mi", "km"]

# Mean Earth radius (IUGG). Haversine on this sphere stays within 0.5% of the WGS-84 geodesic.
EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344
# The index boxes are widened by this fraction so float rounding never drops a point that
# lies exactly on the circle; exact distances are computed afterwards anyway.
BOX_MARGIN = 1e-6


@dataclass(frozen=True, slots=True)
class Point:
    """A WGS-84 position in decimal degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and math.isfinite(self.lon)):
            raise BadQueryError(N_("Coordinates must be numbers."), field="lat")
        if not -90.0 <= self.lat <= 90.0:
            raise BadQueryError(N_("Latitude must be between -90 and 90."), field="lat")
        if not -180.0 <= self.lon <= 180.0:
            raise BadQueryError(N_("Longitude must be between -180 and 180."), field="lon")


@dataclass(frozen=True, slots=True)
class Box:
    """A latitude/longitude rectangle that never crosses the 180° meridian."""

    south: float
    west: float
    north: float
    east: float

    def contains(self, point: Point) -> bool:
        return self.south <= point.lat <= self.north and self.west <= point.lon <= self.east


def to_km(value: float, unit: Unit) -> float:
    """Convert a distance in ``unit`` to kilometres."""
    return value * KM_PER_MILE if unit == "mi" else value


def from_km(value: float, unit: Unit) -> float:
    """Convert kilometres to ``unit``."""
    return value / KM_PER_MILE if unit == "mi" else value


# One decimal writes a distance below this as 0.0.
SHOWN_AS_ZERO = 0.05


def at_zip_centre(distance: float | None, approximate: bool, zip_code: str) -> bool:
    """Tell whether a site placed at its ZIP code's centre (its address was never located)
    is where the search started, that ZIP's centre: people read "in ZIP code 85008", since
    "about 0.0 mi away" says nothing. The results page, the printable sheet and the referral
    list all word it so."""
    return approximate and bool(zip_code) and distance is not None and distance < SHOWN_AS_ZERO


def haversine_km(a: Point, b: Point) -> float:
    """Return the great-circle distance between two points in kilometres."""
    return haversine_km_raw(a.lat, a.lon, b.lat, b.lon)


def haversine_km_raw(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km for plain floats (the hot loop of a search)."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# Rows are indexed by latitude band (0.1°, about 7 miles) then longitude: a box is one seek
# per band it spans, each reading a contiguous run of the index.
LAT_BAND_DEGREES = 0.1


def lat_band(lat: float) -> int:
    """Return the index band of a latitude."""
    return math.floor(lat / LAT_BAND_DEGREES)


def lat_bands(box: Box) -> list[int]:
    """Return every band a box touches, south to north."""
    return list(range(lat_band(box.south), lat_band(box.north) + 1))


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """Return the point's position on the unit sphere.

    The dot product of two such vectors is the cosine of the angle between the points, so
    the database can rank and cut candidates by distance with plain arithmetic.
    """
    phi = math.radians(lat)
    lmb = math.radians(lon)
    return (math.cos(phi) * math.cos(lmb), math.cos(phi) * math.sin(lmb), math.sin(phi))


def min_dot(radius_km: float) -> float:
    """Return the smallest dot product of unit vectors within ``radius_km`` of each other."""
    angular = radius_km / EARTH_RADIUS_KM * (1 + BOX_MARGIN)
    return -1.0 if angular >= math.pi else math.cos(angular)


def bounding_boxes(center: Point, radius_km: float) -> list[Box]:
    """Return the boxes (one, or two across the 180° meridian) that hold the whole circle.

    The longitude half-width is the exact spherical one, asin(sin(r/R) / cos(lat)), not
    r / (R cos lat): the naive form is too narrow away from the equator and would miss
    points just inside the circle at its east or west edge.
    """
    angular = radius_km / EARTH_RADIUS_KM * (1 + BOX_MARGIN)
    lat = math.radians(center.lat)
    south = math.degrees(lat - angular)
    north = math.degrees(lat + angular)
    if north >= 90.0 or south <= -90.0 or angular >= math.pi / 2:
        # The circle reaches a pole: every longitude is inside.
        return [Box(max(south, -90.0), -180.0, min(north, 90.0), 180.0)]
    half_width = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(lat))))
    west = center.lon - half_width
    east = center.lon + half_width
    if west < -180.0:
        return [Box(south, west + 360.0, north, 180.0), Box(south, -180.0, north, east)]
    if east > 180.0:
        return [Box(south, west, north, 180.0), Box(south, -180.0, north, east - 360.0)]
    return [Box(south, west, north, east)]
