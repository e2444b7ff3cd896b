"""Property: every parser, fed arbitrary or damaged input, yields records and rejected rows or
raises the project's own error (FeedSchemaError, FetchError: LocatorError) — nothing else.

Two kinds of input: arbitrary JSON (or text), and the recorded payloads with some keys removed
or their values replaced by arbitrary JSON, which reach much deeper into the parsers.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from locator.config import Settings
from locator.errors import LocatorError
from scrapers import bmlt, kratom_law, meeting_guide, samhsa, samhsa_files, smart
from scrapers.base import Rejected
from scrapers.facilities import FacilityRecord
from scrapers.meetings import MeetingRecord
from tests.conftest import FIXTURES
from tests.utils.laws import load as load_law
from tests.utils.meetings import BMLT, SMART, TSML, bmlt_search, full_dump_rows, load
from tests.utils.samhsa import v2_pages, v2_rows

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def damaged(
    draw: st.DrawFn, base: Mapping[str, Any], values: st.SearchStrategy[Any] = json_values
) -> dict[str, Any]:
    """Draw ``base`` with a few keys removed or given arbitrary values."""
    row = copy.deepcopy(dict(base))
    keys = sorted(row)
    for key in draw(st.lists(st.sampled_from(keys), max_size=5)):
        if draw(st.booleans()):
            row.pop(key, None)
        else:
            row[key] = draw(values)
    return row


def _consume(items: Iterable[Any], kinds: tuple[type, ...]) -> None:
    """Drain a parser, letting only the project's own errors out."""
    try:
        for item in items:
            assert isinstance(item, (*kinds, Rejected)), type(item)
            if isinstance(item, Rejected):
                assert item.reason.strip()
    except LocatorError:
        pass


def _call(parse: Callable[[], Any]) -> None:
    with contextlib.suppress(LocatorError):
        parse()


# -- FindTreatment.gov: API pages and rows, site exports, National Directory rows -------------

SAMHSA_ROWS = v2_rows()


@given(row=st.sampled_from(SAMHSA_ROWS).flatmap(damaged))
def test_samhsa_parse_row_survives_damaged_rows(row: dict[str, Any]) -> None:
    _consume((samhsa.parse_row(row, where="fuzz") for _ in (1,)), (FacilityRecord,))


@given(pages=st.lists(json_values, max_size=3))
def test_samhsa_parse_pages_survives_arbitrary_json(pages: list[Any]) -> None:
    _consume(samhsa.parse_pages(pages), (FacilityRecord,))


@given(rows=st.lists(st.sampled_from(SAMHSA_ROWS).flatmap(damaged), min_size=1, max_size=4))
def test_samhsa_parse_pages_survives_a_page_of_damaged_rows(rows: list[dict[str, Any]]) -> None:
    page = {**v2_pages(SAMHSA_ROWS)[1], "rows": rows}
    _consume(samhsa.parse_pages([page]), (FacilityRecord,))


def _export_row() -> dict[str, Any]:
    path = FIXTURES / "feeds" / "samhsa" / "locatorExcel_row_2018_worcester_md.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.DictReader(handle))


cells = st.none() | st.text(max_size=20) | st.integers() | st.floats() | st.dates()


@given(row=damaged(_export_row(), cells))
def test_samhsa_export_rows_survive_damaged_cells(row: dict[str, Any]) -> None:
    _consume(samhsa_files.export_items([row], "fuzz.csv"), (FacilityRecord,))


DIRECTORY_ROW = {
    "name1": "Test site",
    "name2": "",
    "street1": "1 Test Street",
    "city": "Charlottesville",
    "state": "VA",
    "zip": "22903",
    "phone": "434-555-0100",
    "service_code_info": "SA DT OP HH",
}


@given(row=damaged(DIRECTORY_ROW, cells))
def test_national_directory_rows_survive_damaged_cells(row: dict[str, Any]) -> None:
    _consume(
        samhsa_files.directory_items([row], "fuzz.xlsx", {"SA", "DT", "OP", "HH"}),
        (FacilityRecord,),
    )


# -- meetings: BMLT, Meeting Guide, SMART -------------------------------------------------------

BMLT_ROWS = full_dump_rows()
FORMATS = bmlt.parse_formats(load(BMLT / "formats.json"), "https://fuzz.test/main_server")


@given(rows=st.lists(st.sampled_from(BMLT_ROWS).flatmap(damaged) | json_values, max_size=4))
def test_bmlt_parse_server_survives_damaged_meetings(rows: list[Any]) -> None:
    server = bmlt.ServerData("https://fuzz.test/main_server", FORMATS, rows)
    _consume(bmlt.parse_server(server), (MeetingRecord,))


@given(data=json_values | st.builds(lambda r: {**bmlt_search(), "meetings": r}, json_values))
def test_bmlt_answers_survive_arbitrary_json(data: Any) -> None:
    url = "https://fuzz.test/main_server"
    _call(lambda: bmlt.meetings_and_formats(data, url))
    _call(lambda: bmlt.parse_formats(data, url))
    _call(lambda: bmlt.parse_service_bodies(data, url))


@given(formats=st.lists(st.sampled_from(load(BMLT / "formats.json")).flatmap(damaged), max_size=4))
def test_bmlt_formats_survive_damaged_rows(formats: list[dict[str, Any]]) -> None:
    _call(lambda: bmlt.parse_formats(formats, "https://fuzz.test/main_server"))


GUIDE_ROWS = load(TSML)


@given(feed=st.lists(st.sampled_from(GUIDE_ROWS).flatmap(damaged), min_size=1, max_size=4))
def test_meeting_guide_feed_survives_damaged_meetings(feed: list[dict[str, Any]]) -> None:
    _consume(meeting_guide.parse_feed(feed, "https://fuzz.test/feed", "AA"), (MeetingRecord,))


@given(data=json_values)
def test_meeting_guide_feed_survives_arbitrary_json(data: Any) -> None:
    _consume(meeting_guide.parse_feed(data, "https://fuzz.test/feed", "AA"), (MeetingRecord,))


def _smart_csv() -> tuple[list[str], list[dict[str, str]]]:
    with (SMART / "smart_agreement_export.csv").open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


SMART_HEADER, SMART_ROWS = _smart_csv()


def _as_csv(rows: list[dict[str, Any]]) -> list[str]:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SMART_HEADER, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().splitlines(keepends=True)


text_cells = st.text(max_size=30)


@given(
    rows=st.lists(st.sampled_from(SMART_ROWS).flatmap(lambda r: damaged(r, text_cells)), max_size=4)
)
def test_smart_csv_survives_damaged_cells(rows: list[dict[str, Any]]) -> None:
    _consume(smart.parse_csv(_as_csv(rows), "fuzz.csv"), (MeetingRecord,))


@given(text=st.text(max_size=400))
def test_smart_csv_survives_arbitrary_text(text: str) -> None:
    _consume(smart.parse_csv(text.splitlines(keepends=True), "fuzz.csv"), (MeetingRecord,))


SMART_PAGES = [
    (SMART / name).read_text(encoding="utf-8")
    for name in ("meeting_in_person.html", "meeting_online.html", "meeting_not_weekly.html")
]


@st.composite
def damaged_html(draw: st.DrawFn) -> str:
    page = draw(st.sampled_from(SMART_PAGES))
    start = draw(st.integers(0, len(page)))
    end = draw(st.integers(start, min(len(page), start + 400)))
    return page[:start] + draw(st.text(max_size=40)) + page[end:]


@given(html=damaged_html() | st.text(max_size=300))
def test_smart_meeting_pages_survive_damage(html: str) -> None:
    url = "https://meetings.smartrecovery.org/meetings/4242/"
    _consume([smart.parse_page(html, url)], (MeetingRecord,))
    _call(lambda: smart.sitemap_urls(html))


# -- kratom law: MediaWiki and Federal Register answers --------------------------------------


class Answers:
    """Hands the parser the answers a source sent, as the HTTP client would have decoded them."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)

    def get_json(self, _url: str, _params: Any = None) -> Any:
        return self.answers.pop(0)


LAW_CONFIG = Settings.from_mapping(
    {
        "LAW_WIKIPEDIA_API_URL": "https://fuzz.test/w/api.php",
        "LAW_WIKIPEDIA_PAGE": "Kratom",
        "LAW_WIKIPEDIA_SECTION": "United States",
        "LAW_FEDERAL_REGISTER_URL": "https://fuzz.test/api/v1/documents.json",
        "LAW_FEDERAL_REGISTER_TERMS": ["7-hydroxymitragynine"],
    }
)
SECTIONS = load_law("wikipedia_sections.json")
SECTION = load_law("wikipedia_section_us.json")
FEDERAL = load_law("federal_register_7oh.json")


@given(
    sections=json_values
    | st.lists(
        st.sampled_from(SECTIONS["parse"]["sections"]).flatmap(damaged) | json_values, max_size=4
    ).map(lambda listed: {"parse": {"sections": listed}}),
    answer=json_values | st.just(SECTION["parse"]).flatmap(damaged).map(lambda p: {"parse": p}),
)
def test_wikipedia_answers_survive_damage(sections: Any, answer: Any) -> None:
    client: Any = Answers(sections, answer)
    _call(lambda: kratom_law.fetch_wikipedia(client, LAW_CONFIG))


@given(
    answer=json_values
    | st.lists(st.sampled_from(FEDERAL["results"]).flatmap(damaged) | json_values, max_size=3).map(
        lambda results: {**FEDERAL, "results": results}
    )
)
def test_federal_register_answers_survive_damage(answer: Any) -> None:
    client: Any = Answers(answer)
    _call(lambda: list(kratom_law.federal_documents(client, LAW_CONFIG)))


@given(body=st.text(max_size=300))
def test_official_page_text_survives_any_body(body: str) -> None:
    assert isinstance(kratom_law.page_text(body), str)


def test_the_recorded_payloads_the_damage_starts_from_parse_whole() -> None:
    """The properties start from real payloads; those parse into records as they are."""
    assert all(isinstance(samhsa.parse_row(r, where="-"), FacilityRecord) for r in SAMHSA_ROWS)
    server = bmlt.ServerData("https://fuzz.test/main_server", FORMATS, BMLT_ROWS)
    assert all(isinstance(m, MeetingRecord) for m in bmlt.parse_server(server))
    feed = list(meeting_guide.parse_feed(GUIDE_ROWS, "https://fuzz.test/feed", "AA"))
    assert feed and all(isinstance(m, MeetingRecord) for m in feed)
    assert list(smart.parse_csv(_as_csv(SMART_ROWS), "fuzz.csv"))
    client: Any = Answers(SECTIONS, SECTION)
    assert kratom_law.fetch_wikipedia(client, LAW_CONFIG).fingerprint
    assert list(kratom_law.federal_documents(Answers(FEDERAL), LAW_CONFIG))
