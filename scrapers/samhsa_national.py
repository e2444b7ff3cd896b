"""SAMHSA's national facility lists of 2022, joined into three sources for the embedded default.

Publisher: the Substance Abuse and Mental Health Services Administration (SAMHSA), US
Department of Health and Human Services.

- *National Directory of Drug and Alcohol Use Treatment Facilities 2022* and *National
  Directory of Mental Health Treatment Facilities 2022* (N-SUMHSS workbooks, modified
  2022-05-19), https://www.samhsa.gov/data/data-we-collect/n-sumhss-national-substance-use-and-
  mental-health-services-survey/national-directories/2022 (the SA workbook itself:
  https://www.samhsa.gov/data/sites/default/files/reports/rpt35993/SA%20facilites/SU%20Directory/
  National_Directory_SA_Facilities_2022.xlsx): names, addresses, phones and service codes, but
  no coordinates.
- the Treatment Locator's national substance-use export (recorded no later than 2021-07),
  https://findtreatment.gov/: names, addresses and SAMHSA's own latitude/longitude, used here
  only to place directory rows on the map.
- the Opioid Treatment Program directory (file of 2022-04-25),
  https://www.samhsa.gov/find-help/locators/opioid-treatment-program-directory: program
  name and address, no phones.

Terms: SAMHSA's directories are public domain ("may be reproduced or copied without
permission"). The copies in data/samhsa/national/ come from public GitHub repositories with no
licence of their own (data/README.md), so only SAMHSA's columns are read: the OTP file's
Latitude/Longitude were added by the repository and are ignored.

Cadence: SAMHSA publishes the directories once a year and updates the OTP directory
continuously; these files are fixed copies, rebuilt into data/samhsa/national/snapshots/ by
``locator snapshot-national``.

Placement: a directory row starts at its ZIP centroid (approximate). It takes SAMHSA's own
coordinates from the locator export when that export lists the same name, street and ZIP, or
failing that when the street and ZIP point at one place only. An OTP at the street and ZIP of
a directory site takes that site's key (one site, several listings) and its location; any
other OTP is its own listing, placed the same way as a directory row.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from locator.paths import DATA_DIR
from locator.places.gazetteer import embedded_gazetteer
from locator.places.states import find_state
from locator.text import clean, fold
from scrapers import samhsa_files
from scrapers.base import EmptyFeedError, Rejected
from scrapers.facilities import FacilityRecord, facility_key, merge_facilities, street_key
from scrapers.samhsa_locator import (
    LOCATOR_FILE,
    PlaceIndex,
    csv_rows,
    locator_places,
    zip5,
)

NATIONAL_DIRECTORIES_2022 = (
    "https://www.samhsa.gov/data/data-we-collect/"
    "n-sumhss-national-substance-use-and-mental-health-services-survey/national-directories/2022"
)
OTP_DIRECTORY = "https://www.samhsa.gov/find-help/locators/opioid-treatment-program-directory"
NATIONAL_DIR = DATA_DIR / "samhsa" / "national"
OTP_FILE = "OpioidTreatmentProgram_Geocoded.csv"
OTP_REQUIRED = ("id", "address", "city", "state", "postal")
# Rows of one building geocoded a few metres apart are one place, not a choice between two.
# Words that many program names share and that say nothing about which program it is.
# fmt: off
NAME_STOP_WORDS = frozenset({
    "inc", "llc", "lp", "ltd", "co", "corp", "pc", "pllc", "center", "centers", "clinic",
    "clinics", "treatment", "treatments", "services", "service", "program", "programs", "the",
    "of", "and", "for", "at", "in", "a", "an",
})
# fmt: on
FREELY_ASSOCIATED = {
    "FM": "the Federated States of Micronesia",
    "PW": "Palau",
    "MH": "the Marshall Islands",
}
UNPLACED = "unplaced"
UNPLACED_REASON = (
    "ZIP code {zip} is not in the gazetteer and no directory or locator listing shares the "
    "address; the program cannot be placed on the map"
)
# "824 North 99th Avenue, Suite 108": the OTP file keeps the suite in the street, the
# directories keep it in street2; the building is what matches.
_SUITE = re.compile(r",?\s*\b(suite|ste|unit|room|rm|bldg|building|floor|fl)\b.*$|\s*#.*$", re.I)
_UNKNOWN_STATE = re.compile(r"^unknown state '([A-Za-z]{2})'$")


@dataclass(frozen=True)
class Publication:
    """One SAMHSA file as this project ships it: where it is and what it is called."""

    source: str
    filename: str
    title: str
    url: str
    as_of: date
    vintage: str


SA = Publication(
    "samhsa-sa-2022",
    "National_Directory_SA_Facilities_2022.xlsx",
    "SAMHSA National Directory of Drug and Alcohol Use Treatment Facilities, May 2022",
    NATIONAL_DIRECTORIES_2022,
    date(2022, 5, 19),
    "nsumhss-2022",
)
MH = Publication(
    "samhsa-mh-2022",
    "National_Directory_MH_Facilities_2022.xlsx",
    "SAMHSA National Directory of Mental Health Treatment Facilities, May 2022",
    NATIONAL_DIRECTORIES_2022,
    date(2022, 5, 19),
    "nsumhss-2022",
)
OTP = Publication(
    "samhsa-otp-2022",
    OTP_FILE,
    "SAMHSA Opioid Treatment Program Directory, April 2022",
    OTP_DIRECTORY,
    date(2022, 4, 25),
    "",
)


@dataclass
class NationalSource:
    """One national source, parsed and joined: what the shipped snapshot holds."""

    source: str
    title: str
    url: str
    as_of: date
    vintage: str
    reference: list[dict[str, str]]
    records: list[FacilityRecord]
    rejected: list[Rejected]
    stats: dict[str, int]


def build_national(folder: Path = NATIONAL_DIR) -> list[NationalSource]:
    """Parse and join the national files in ``folder`` into the SA, MH and OTP sources.

    Raises:
        FeedSchemaError: a file lacks the columns it is read by.
    """
    places = locator_places(folder / LOCATOR_FILE)
    directories = [directory_source(pub, folder, places) for pub in (SA, MH)]
    return [*directories, otp_source(folder / OTP_FILE, directories, places)]


# -- the directories -----------------------------------------------------------------------------


def directory_source(pub: Publication, folder: Path, places: PlaceIndex) -> NationalSource:
    """Parse one National Directory workbook and place its rows from the locator export."""
    opened = samhsa_files.open_file(folder / pub.filename, pub.vintage)
    stats: Counter[str] = Counter()
    records: dict[str, FacilityRecord] = {}
    rejected: list[Rejected] = []
    for item in samhsa_files.file_items(opened):
        stats["rows"] += 1
        if isinstance(item, Rejected):
            rejected.append(plain_rejection(item))
            stats["rejected"] += 1
            continue
        placed, how = place(item, places)
        stats[f"placed_{how}"] += 1
        _keep(records, placed)
    stats["records"] = len(records)
    return _source(pub, opened.reference, records, rejected, stats)


def place(record: FacilityRecord, places: PlaceIndex) -> tuple[FacilityRecord, str]:
    """Give a record SAMHSA's coordinates where the locator export knows its site.

    Returns the record and how it was placed: "exact", "by_street" or "zip_centroid".
    """
    how, point = places.find(record.name, record.street1, record.zip[:5])
    if point is None:
        return record, "zip_centroid"
    moved = replace(record, latitude=point[0], longitude=point[1], location_approximate=False)
    return moved, how


def plain_rejection(item: Rejected) -> Rejected:
    """Say in plain words why a row of a freely associated state is left out."""
    found = _UNKNOWN_STATE.match(item.reason)
    code = found.group(1).upper() if found else ""
    if code not in FREELY_ASSOCIATED:
        return item
    return Rejected(
        item.row,
        f"{FREELY_ASSOCIATED[code]} ({code}) is a freely associated state, outside the US "
        "states and territories this directory serves",
    )


# -- the Opioid Treatment Program directory ----------------------------------------------------


@dataclass
class SiteIndex:
    """Directory sites by street+ZIP, each file's sites apart (SA first, then MH)."""

    by_file: list[dict[tuple[str, str], list[FacilityRecord]]]

    @classmethod
    def of(cls, sources: Iterable[NationalSource]) -> SiteIndex:
        by_file = []
        for source in sources:
            sites: defaultdict[tuple[str, str], list[FacilityRecord]] = defaultdict(list)
            for record in source.records:
                sites[(building_key(record.street1), record.zip[:5])].append(record)
            by_file.append(dict(sites))
        return cls(by_file)

    def find(self, name: str, street1: str, zip5: str) -> tuple[int, FacilityRecord] | None:
        """Return the file number and directory site an OTP at this address belongs to."""
        for number, sites in enumerate(self.by_file):
            found = same_site(name, sites.get((building_key(street1), zip5), []))
            if found is not None:
                return number, found
        return None


def building_key(street1: str) -> str:
    """Return street_key of a street without its suite, unit or floor."""
    building = street_key(_SUITE.sub("", street1))
    return building if re.match(r"^\d+\w*[a-z]", building) else street_key(street1)


def same_site(name: str, candidates: list[FacilityRecord]) -> FacilityRecord | None:
    """Pick the one site at an address: the only one, or the only one sharing a name word."""
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    words = name_words(name)
    sharing = [site for site in candidates if words & name_words(site.name)]
    return sharing[0] if len(sharing) == 1 else None


def name_words(name: str) -> frozenset[str]:
    """Return the words of a name that tell one program from another."""
    return frozenset(w for w in fold(name).split() if len(w) > 1 and w not in NAME_STOP_WORDS)


def otp_source(path: Path, directories: list[NationalSource], places: PlaceIndex) -> NationalSource:
    """Parse the OTP directory, joining each program to its directory site where one is."""
    sites = SiteIndex.of(directories)
    stats: Counter[str] = Counter()
    records: dict[str, FacilityRecord] = {}
    rejected: list[Rejected] = []
    for number, row in enumerate(csv_rows(path, OTP_REQUIRED), start=2):
        stats["rows"] += 1
        where = f"{path.name} row {number}"
        item = otp_record(row, where)
        if not isinstance(item, Rejected):
            joined, how = join_otp(item, sites, places)
            if how != UNPLACED:
                stats[how] += 1
                _keep(records, joined)
                continue
            item = Rejected(f"{where} ({item.name})", UNPLACED_REASON.format(zip=item.zip))
        rejected.append(item)
        stats["rejected"] += 1
    stats["otp_matched"] = stats["otp_matched_sa"] + stats["otp_matched_mh"]
    stats["records"] = len(records)
    return _source(OTP, [], records, rejected, stats)


def otp_record(row: dict[str, str], where: str) -> FacilityRecord | Rejected:
    """Turn one OTP row into a record not yet placed (the file's own coordinates unread)."""
    name = clean(row["id"])
    label = f"{where} ({name or 'no name'})"
    if not name:
        return Rejected(label, "no program name")
    state = find_state(clean(row["state"]))
    if state is None:
        return Rejected(label, f"unknown state {clean(row['state'])!r}")
    street1, city, zip_code = clean(row["address"]), clean(row["city"]), zip5(row["postal"])
    return FacilityRecord(
        key=facility_key(name, street1, city, state.code, zip_code),
        name=name,
        state=state.code,
        street1=street1,
        city=city,
        zip=zip_code,
        location_approximate=True,
        facility_types=frozenset({"OTP"}),
        services=frozenset({"OTP"}),
    )


def join_otp(
    record: FacilityRecord, sites: SiteIndex, places: PlaceIndex
) -> tuple[FacilityRecord, str]:
    """Give an OTP its directory site's key and location, or place it as its own listing.

    Returns the record and a stats name: otp_matched_sa/_mh, otp_own_placed_<how>, or
    UNPLACED when neither the locator export nor the gazetteer knows where it is.
    """
    found = sites.find(record.name, record.street1, record.zip)
    if found is not None:
        number, site = found
        joined = replace(
            record,
            key=site.key,
            latitude=site.latitude,
            longitude=site.longitude,
            location_approximate=site.location_approximate,
        )
        return joined, ("otp_matched_sa", "otp_matched_mh")[number]
    placed, how = place(record, places)
    if how == "zip_centroid":
        centroid = embedded_gazetteer().zip(record.zip)
        if centroid is None:
            return record, UNPLACED
        placed = replace(record, latitude=centroid.point.lat, longitude=centroid.point.lon)
    return placed, f"otp_own_placed_{how}"


# -- shared --------------------------------------------------------------------------------------


def _keep(records: dict[str, FacilityRecord], record: FacilityRecord) -> None:
    previous = records.get(record.key)
    records[record.key] = record if previous is None else merge_facilities(previous, record)


def _source(
    pub: Publication,
    reference: list[dict[str, str]],
    records: dict[str, FacilityRecord],
    rejected: list[Rejected],
    stats: Counter[str],
) -> NationalSource:
    if not records:
        raise EmptyFeedError(f"{pub.filename} gave no facility at all.")
    stats["rejected"] += 0  # said even when nothing was rejected
    if pub is OTP:
        stats["otp_own_listing"] = sum(v for k, v in stats.items() if k.startswith("otp_own_"))
    return NationalSource(
        source=pub.source,
        title=pub.title,
        url=pub.url,
        as_of=pub.as_of,
        vintage=pub.vintage,
        reference=reference,
        records=[records[key] for key in sorted(records)],
        rejected=rejected,
        stats=dict(sorted(stats.items())),
    )
