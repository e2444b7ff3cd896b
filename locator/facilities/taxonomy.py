"""User-facing service categories and the SAMHSA service codes each one stands for.

A facility matches a category when it offers ANY of the category's codes; several chosen
categories must ALL match, except within the type-of-care and medication groups, where a
facility matching any of the chosen ones matches (facilities/search.ANY_OF_GROUPS).
The code sets follow SAMHSA's own filter definitions and the
pitfalls in shared/sources/samhsa.md §7.4:

- detox is DT, HID, RD or OD — the withdrawal-medication codes (DLC lofexidine/clonidine,
  DB buprenorphine, DM methadone) alone do not make a detox program;
- telehealth is TELE only; CT is "computerized treatment", not telehealth;
- the sliding fee scale is SS, never the whole PYAS "payment assistance" category;
- methadone, buprenorphine and naltrexone are separate filters, and a federally certified
  Opioid Treatment Program (OTP) is its own filter too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache


@dataclass(frozen=True, slots=True)
class Category:
    """A filter a person can choose, e.g. "Detox", backed by a set of service codes."""

    key: str
    label: str
    group: str
    codes: frozenset[str]
    help: str = ""
    facility_types: frozenset[str] = frozenset()  # e.g. OTP: listed as an OTP facility


@dataclass(frozen=True, slots=True)
class Group:
    """A heading under which categories are offered, e.g. "Type of care"."""

    key: str
    label: str
    multiple: bool = True


GROUPS: tuple[Group, ...] = (
    Group("care", "Type of care"),
    Group("medication", "Medications for opioid use disorder"),
    Group("approach", "Treatment approaches"),
    Group("payment", "Payment"),
    Group("age", "Age group"),
    Group("language", "Language"),
    Group("program", "Special programs"),
)


def _c(key: str, label: str, group: str, codes: str, help: str = "", types: str = "") -> Category:
    return Category(key, label, group, frozenset(codes.split()), help, frozenset(types.split()))


CATEGORIES: tuple[Category, ...] = (
    _c(
        "detox",
        "Detox (medically supervised withdrawal)",
        "care",
        "DT HID RD OD",
        "A program that manages withdrawal: hospital inpatient, residential or outpatient.",
    ),
    _c(
        "outpatient",
        "Outpatient",
        "care",
        "OP ORT OIT ODT OMB",
        "Visits while living at home: regular, intensive or day treatment.",
    ),
    _c(
        "intensive_outpatient",
        "Intensive outpatient",
        "care",
        "OIT",
        "Several hours of treatment on several days each week.",
    ),
    _c(
        "partial_hospitalization",
        "Day treatment / partial hospitalization",
        "care",
        "ODT",
        "Treatment most of the day, going home at night.",
    ),
    _c(
        "residential",
        "Residential",
        "care",
        "RES RS RL RD",
        "Living at the facility, short term or long term.",
    ),
    _c(
        "hospital_inpatient",
        "Hospital inpatient",
        "care",
        "HI HIT HID",
        "Treatment while admitted to a hospital.",
    ),
    _c(
        "telehealth",
        "Telehealth",
        "care",
        "TELE",
        "Treatment by video or phone (telemedicine/telehealth).",
    ),
    _c("transitional_housing", "Transitional housing / sober home", "care", "HH"),
    _c("co_occurring", "Substance use and mental health together", "care", "SUMH CO"),
    _c(
        "moud",
        "Any medication for opioid use disorder",
        "medication",
        "MU BU NU METH BWN BWON BERI BSDM NXN VTRL OTP BUM MM UB UN RPN",
        "Methadone, buprenorphine or naltrexone.",
    ),
    _c(
        "methadone",
        "Methadone",
        "medication",
        "MU METH MM",
        "Methadone is given only by certified Opioid Treatment Programs.",
    ),
    _c(
        "buprenorphine",
        "Buprenorphine",
        "medication",
        "BU BUM UB BWN BWON BERI BSDM",
        "Buprenorphine (for example Suboxone or Sublocade) can be prescribed in an office.",
    ),
    _c(
        "naltrexone",
        "Naltrexone",
        "medication",
        "NU UN RPN NXN VTRL",
        "Naltrexone (for example Vivitrol) blocks opioids; it starts after withdrawal.",
    ),
    _c(
        "otp",
        "Opioid Treatment Program (federally certified)",
        "medication",
        "OTP",
        "Listed with the OTP certification, or as an OTP facility.",
        types="OTP",
    ),
    _c("cbt", "Cognitive behavioral therapy", "approach", "CBT"),
    _c("motivational_interviewing", "Motivational interviewing", "approach", "MOTI"),
    _c("dbt", "Dialectical behavior therapy", "approach", "DBT"),
    _c("contingency_management", "Contingency management", "approach", "CMI"),
    _c("relapse_prevention", "Relapse prevention", "approach", "RELP"),
    _c("trauma_counseling", "Trauma-related counseling", "approach", "TRC"),
    _c("twelve_step", "12-step facilitation", "approach", "TWFA"),
    _c("medicaid", "Medicaid", "payment", "MD"),
    _c("medicare", "Medicare", "payment", "MC"),
    _c("private_insurance", "Private health insurance", "payment", "PI"),
    _c("military_insurance", "Military insurance (TRICARE)", "payment", "MI"),
    _c("state_insurance", "State health insurance other than Medicaid", "payment", "SI"),
    _c("cash", "Cash or self-payment", "payment", "SF"),
    _c(
        "sliding_fee",
        "Sliding fee scale",
        "payment",
        "SS",
        "The fee depends on income; other payment assistance does not count here.",
    ),
    _c("payment_assistance", "Payment assistance", "payment", "PA"),
    _c("free_care", "Free care (no payment accepted)", "payment", "NP"),
    _c("ihs_tribal", "IHS/Tribal/Urban (ITU) funds", "payment", "ITU"),
    _c("children", "Children and adolescents", "age", "CHLD"),
    _c("young_adults", "Young adults", "age", "YAD"),
    _c("adults", "Adults", "age", "ADLT"),
    _c("seniors", "Seniors", "age", "SNR"),
    _c("spanish", "Spanish", "language", "SP"),
    _c("sign_language", "Sign language (deaf and hard of hearing)", "language", "AH"),
    _c(
        "native_languages",
        "American Indian or Alaska Native languages",
        "language",
        "NX N13 N18 N23 N24 N40",
    ),
    _c("arabic", "Arabic", "language", "F4"),
    _c("chinese", "Chinese", "language", "F17"),
    _c("creole", "Creole", "language", "F19"),
    _c("farsi", "Farsi", "language", "F25"),
    _c("french", "French", "language", "F28"),
    _c("german", "German", "language", "F30"),
    _c("greek", "Greek", "language", "F31"),
    _c("hebrew", "Hebrew", "language", "F35"),
    _c("hindi", "Hindi", "language", "F36"),
    _c("hmong", "Hmong", "language", "F37"),
    _c("italian", "Italian", "language", "F42"),
    _c("japanese", "Japanese", "language", "F43"),
    _c("korean", "Korean", "language", "F47"),
    _c("polish", "Polish", "language", "F66"),
    _c("portuguese", "Portuguese", "language", "F67"),
    _c("russian", "Russian", "language", "F70"),
    _c("tagalog", "Tagalog", "language", "F81"),
    _c("vietnamese", "Vietnamese", "language", "F92"),
    _c("veterans", "Veterans", "program", "VET"),
    _c("active_duty", "Active duty military", "program", "ADM"),
    _c("military_families", "Military families", "program", "MF"),
    _c("pregnant", "Pregnant or postpartum women", "program", "PW"),
    _c("women", "Women", "program", "WN"),
    _c("men", "Men", "program", "MN"),
    _c("lgbtq", "LGBTQ people", "program", "GL"),
    _c("adolescents", "Adolescents", "program", "AD"),
    _c("transition_age", "Young adults (transition age)", "program", "TAY"),
    _c("older_adults", "Older adults", "program", "SE"),
    _c("criminal_justice", "People involved with the justice system", "program", "CJ"),
    _c("trauma", "People who have experienced trauma", "program", "TRMA"),
    _c("domestic_violence", "People who have experienced domestic violence", "program", "DV"),
    _c("hiv", "People with HIV or AIDS", "program", "HV"),
    _c("dui", "DUI/DWI program", "program", "DU DUO"),
)

FACILITY_TYPES: dict[str, str] = {
    "SA": "Substance use treatment",
    "MH": "Mental health treatment",
    "OTP": "Opioid Treatment Program",
    "HRSA": "Health center (HRSA)",
}


@cache
def categories_by_key() -> dict[str, Category]:
    """Return every category keyed by its URL key."""
    return {c.key: c for c in CATEGORIES}


def category(key: str) -> Category | None:
    """Return the category with this key, or None."""
    return categories_by_key().get(key)


def categories_in(group: str) -> list[Category]:
    """Return the categories offered under one group heading."""
    return [c for c in CATEGORIES if c.group == group]


def categories_for_bits(lo: int, hi: int, group: str | None = None) -> list[str]:
    """Return the labels of the categories whose bits are set (see service_bits)."""
    return list(_labels_for_bits(lo, hi, group))


def category_labels(lo: int, hi: int) -> tuple[str, ...]:
    """Return the labels of every category whose bits are set, shared and never to be changed.

    For JSON answers (a tuple is written as a list): no copy per listing.
    """
    return _labels_for_bits(lo, hi, None)


@lru_cache(maxsize=8192)
def _labels_for_bits(lo: int, hi: int, group: str | None) -> tuple[str, ...]:
    # Facilities share a few thousand service combinations; a results page asks twice per
    # result, so remember them (bench/pages.py).
    # Visit only the set bits (a few of ~130), lowest first, so labels keep CATEGORIES' order.
    labels = []
    for column, bits in enumerate((lo, hi)):
        while bits:
            lowest = bits & -bits
            bits ^= lowest
            index = column * BITS_PER_COLUMN + lowest.bit_length() - 1
            found = CATEGORIES[index] if index < len(CATEGORIES) else None
            if found is not None and (group is None or found.group == group):
                labels.append(found.label)
    return tuple(labels)


# The order service categories are listed in on a facility page: what people choose by
# first (care, setting, medication, payment), administrative detail last.
CATEGORY_ORDER: tuple[str, ...] = (
    "TC",
    "SET",
    "FT",
    "HOSP",
    "DETOX",
    "OM",
    "OT",
    "PHR",
    "TAP",
    "PAY",
    "PYAS",
    "AGE",
    "GN",
    "SG",
    "SL",
    "OL",
    "AIL",
    "EXCL",
    "EMS",
    "ASSES",
    "SCR",
    "TRSRV",
    "AS",
    "ECS",
    "EDU",
    "RSS",
    "TOBAC",
    "OTHR",
    "SMP",
    "FVP",
    "FOP",
    "LCA",
)


# Each category is one bit of Facility.service_bits_lo/hi (63 bits per signed BIGINT), so a
# search filters candidates with one AND per chosen category, inside the spatial index. The
# bits are derived data: when a category is added or its codes change, the fingerprint
# changes and scrapers.facilities.ensure_service_bits recomputes every facility's bits.
BITS_PER_COLUMN = 63
assert len(CATEGORIES) <= 2 * BITS_PER_COLUMN, "add a third service_bits column"


@cache
def _bit_positions() -> dict[str, int]:
    return {c.key: index for index, c in enumerate(CATEGORIES)}


def category_mask(key: str) -> tuple[str, int]:
    """Return the column ("service_bits_lo" or "_hi") and the bit mask of a category."""
    column, bit = divmod(_bit_positions()[key], BITS_PER_COLUMN)
    return ("service_bits_hi" if column else "service_bits_lo"), 1 << bit


def service_bits(codes: Iterable[str], facility_types: Iterable[str] = ()) -> tuple[int, int]:
    """Return (lo, hi): the bits of every category the codes or facility types match."""
    code_set, type_set = set(codes), set(facility_types)
    lo = hi = 0
    for index, found in enumerate(CATEGORIES):
        if found.codes & code_set or found.facility_types & type_set:
            column, bit = divmod(index, BITS_PER_COLUMN)
            if column:
                hi |= 1 << bit
            else:
                lo |= 1 << bit
    return lo, hi


def joined_codes(codes: Iterable[str]) -> str:
    """Return a facility's service codes as ``facility.service_codes`` keeps them: sorted
    and comma-joined ("BU,DT,OP"; "" for none), beside the rows of FacilityService."""
    return ",".join(sorted(codes))


def split_codes(joined: str | None) -> tuple[str, ...]:
    """Return the sorted codes of a ``facility.service_codes`` value (() for "" or None)."""
    return tuple(joined.split(",")) if joined else ()


@cache
def taxonomy_fingerprint() -> str:
    """Identify the category definitions the stored service bits were computed with."""
    parts = [
        f"{c.key}={','.join(sorted(c.codes))}/{','.join(sorted(c.facility_types))}"
        for c in CATEGORIES
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
