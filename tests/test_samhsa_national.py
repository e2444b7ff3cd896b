"""The national SA, MH and OTP sources built from SAMHSA's real 2022 files in data/."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from locator.places.gazetteer import embedded_gazetteer
from scrapers.cli import snapshot_national
from scrapers.facilities import FacilityRecord
from scrapers.samhsa_national import NATIONAL_DIR
from scrapers.snapshot import SNAPSHOT_DIR, read_snapshot, snapshot_records

SOURCES = ("samhsa-sa-2022", "samhsa-mh-2022", "samhsa-otp-2022")


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the snapshots once for the module, through the command an operator runs."""
    out = tmp_path_factory.mktemp("national")
    result = CliRunner().invoke(snapshot_national, ["--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def sources(rebuilt: Path) -> dict[str, dict[str, Any]]:
    """The rebuilt snapshots as read back: stats and rejected rows of each source."""
    return {name: read_snapshot(rebuilt / f"{name}.json.gz") for name in SOURCES}


@pytest.fixture(scope="module")
def shipped() -> dict[str, list[FacilityRecord]]:
    return {
        name: list(snapshot_records(read_snapshot(SNAPSHOT_DIR / f"{name}.json.gz")))
        for name in SOURCES
    }


def _at(records: list[FacilityRecord], name: str, street: str) -> Iterator[FacilityRecord]:
    return (r for r in records if name in r.name and r.street1 == street)


def test_shipped_files_are_samhsas_bytes_as_provenance_records() -> None:
    for line in (NATIONAL_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((NATIONAL_DIR / name).read_bytes()).hexdigest() == digest, name


def test_rebuilding_the_national_snapshots_gives_the_shipped_bytes(rebuilt: Path) -> None:
    for name in SOURCES:
        built = (rebuilt / f"{name}.json.gz").read_bytes()
        assert built == (SNAPSHOT_DIR / f"{name}.json.gz").read_bytes(), name


def test_snapshot_says_where_the_rows_came_from_and_what_was_left_out() -> None:
    data = read_snapshot(SNAPSHOT_DIR / "samhsa-sa-2022.json.gz")
    assert data["source_note"].startswith("SAMHSA National Directory of Drug and Alcohol")
    assert data["as_of"] == "2022-05-19"
    assert data["sample"] is False
    assert data["vintage"] == "nsumhss-2022"
    assert {"DT", "OTP", "TELE"} <= {row["service_code"] for row in data["reference"]}
    assert len(data["rejected"]) == data["stats"]["rejected"] == 2


def test_community_bridges_phoenix_detox_is_listed_at_its_zip_centroid(
    shipped: dict[str, list[FacilityRecord]],
) -> None:
    # The 2021 locator export has no row at 2770 E Van Buren, so the site stays approximate.
    (site,) = _at(shipped["samhsa-sa-2022"], "Community Bridges", "2770 East Van Buren Street")
    assert site.city == "Phoenix"
    assert site.services is not None
    assert {"DT", "OTP"} <= site.services
    assert site.location_approximate
    centroid = embedded_gazetteer().zip("85008")
    assert centroid is not None
    assert (site.latitude, site.longitude) == (centroid.point.lat, centroid.point.lon)


def test_community_bridges_pima_street_takes_samhsas_own_coordinates(
    shipped: dict[str, list[FacilityRecord]],
) -> None:
    (site,) = _at(shipped["samhsa-sa-2022"], "Community Bridges", "1520 East Pima Street")
    assert not site.location_approximate
    assert (site.latitude, site.longitude) == (33.4335964, -112.0501851)


def test_most_substance_use_rows_get_samhsas_coordinates(
    sources: dict[str, dict[str, Any]],
) -> None:
    stats = sources["samhsa-sa-2022"]["stats"]
    placed = stats["placed_exact"] + stats["placed_by_street"]
    assert stats["rows"] == 12176
    assert placed / stats["rows"] >= 0.85
    assert stats["placed_exact"] > stats["placed_by_street"]


def test_opioid_program_at_a_directory_site_takes_that_sites_key(
    shipped: dict[str, list[FacilityRecord]],
) -> None:
    (site,) = _at(shipped["samhsa-sa-2022"], "Community Bridges", "1520 East Pima Street")
    (otp,) = _at(shipped["samhsa-otp-2022"], "Community Bridges", "1520 East Pima Street")
    assert otp.key == site.key
    assert otp.facility_types == frozenset({"OTP"})
    assert otp.services == frozenset({"OTP"})
    assert (otp.latitude, otp.longitude) == (site.latitude, site.longitude)


def test_opioid_program_with_no_directory_site_is_its_own_approximate_listing(
    shipped: dict[str, list[FacilityRecord]],
) -> None:
    directory = {r.key for name in SOURCES[:2] for r in shipped[name]}
    (otp,) = _at(shipped["samhsa-otp-2022"], "Abilene Absolute", "429 North Judge Ely Blvd")
    assert otp.key not in directory
    assert otp.phone == otp.intake_phone == ""
    assert otp.location_approximate


def test_most_opioid_programs_join_a_directory_site(sources: dict[str, dict[str, Any]]) -> None:
    stats = sources["samhsa-otp-2022"]["stats"]
    assert stats["otp_matched"] + stats["otp_own_listing"] + stats["rejected"] == stats["rows"]
    assert stats["otp_matched"] / stats["rows"] >= 0.6


def test_micronesia_and_palau_are_left_out_in_plain_words(
    sources: dict[str, dict[str, Any]],
) -> None:
    reasons = [item["reason"] for item in sources["samhsa-sa-2022"]["rejected"]]
    assert any(r.startswith("the Federated States of Micronesia (FM)") for r in reasons)
    assert any(r.startswith("Palau (PW)") for r in reasons)
    assert all("outside the US states and territories" in r for r in reasons)


def test_puerto_rico_and_other_territories_are_kept(
    shipped: dict[str, list[FacilityRecord]],
) -> None:
    sa_states = {r.state for r in shipped["samhsa-sa-2022"]}
    mh_states = {r.state for r in shipped["samhsa-mh-2022"]}
    assert {"PR", "GU", "MP"} <= sa_states
    assert {"PR", "VI", "AS"} <= mh_states


def test_records_are_sorted_by_key_and_unique(shipped: dict[str, list[FacilityRecord]]) -> None:
    for name, records in shipped.items():
        keys = [r.key for r in records]
        assert keys == sorted(set(keys)), name
