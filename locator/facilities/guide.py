"""The care guide: plain-language pages on the kinds of help, each with its sources.

The words live in templates/guide/topics/<slug>.html (so they can be translated); this module
holds what the pages need around them: titles, the pre-filtered search each links to, the
public-health sources they were checked against and the date of that check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# The day the pages were last checked against their sources (not a clinical review).
REVIEWED_ON = date(2026, 11, 23)


@dataclass(frozen=True)
class Source:
    """A public-health publication a guide page was checked against."""

    publisher: str
    title: str
    url: str


@dataclass(frozen=True)
class SearchLink:
    """A starting search: the facility form with a care type chosen, or the meeting search."""

    label: str
    endpoint: str
    args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Topic:
    """One guide page."""

    slug: str
    title: str
    summary: str
    searches: tuple[SearchLink, ...]
    sources: tuple[Source, ...]


def _facilities(label: str, service: str) -> SearchLink:
    return SearchLink(label, "search.home", {"service": service})


def _meetings(label: str, fellowship: str = "") -> SearchLink:
    return SearchLink(label, "meetings.search", {"fellowship": fellowship} if fellowship else {})


NIDA_KRATOM = Source("NIDA", "Kratom", "https://nida.nih.gov/research-topics/kratom")
FDA_KRATOM = Source(
    "U.S. Food and Drug Administration",
    "FDA and Kratom",
    "https://www.fda.gov/news-events/public-health-focus/fda-and-kratom",
)
TIP_45 = Source(
    "SAMHSA",
    "TIP 45: Detoxification and Substance Abuse Treatment",
    "https://store.samhsa.gov/product/tip-45-detoxification-and-substance-abuse-treatment/sma15-4131",
)
TIP_63 = Source(
    "SAMHSA",
    "TIP 63: Medications for Opioid Use Disorder",
    "https://store.samhsa.gov/product/tip-63-medications-opioid-use-disorder/pep21-02-01-002",
)
TIP_35 = Source(
    "SAMHSA",
    "TIP 35: Enhancing Motivation for Change in Substance Use Disorder Treatment",
    "https://store.samhsa.gov/product/tip-35-enhancing-motivation-change-substance-use-disorder-treatment/pep19-02-01-003",
)
TELEHEALTH = Source(
    "SAMHSA",
    "Telehealth for the Treatment of Serious Mental Illness and Substance Use Disorders",
    "https://store.samhsa.gov/product/telehealth-treatment-serious-mental-illness-and-substance-use-disorders/pep21-06-02-001",
)
NIDA_PRINCIPLES = Source(
    "NIDA",
    "Principles of Drug Addiction Treatment: A Research-Based Guide (Third Edition)",
    "https://nida.nih.gov/publications/principles-drug-addiction-treatment-research-based-guide-third-edition",
)
MEDLINEPLUS_WITHDRAWAL = Source(
    "MedlinePlus (U.S. National Library of Medicine)",
    "Opiate and opioid withdrawal",
    "https://medlineplus.gov/ency/article/000949.htm",
)
FDA_LOFEXIDINE = Source(
    "U.S. Food and Drug Administration",
    "FDA approves the first non-opioid treatment for management of opioid withdrawal "
    "symptoms in adults (2018)",
    "https://www.fda.gov/news-events/press-announcements/fda-approves-first-non-opioid-treatment-management-opioid-withdrawal-symptoms-adults",
)
SAMHSA_HELPLINE = Source(
    "SAMHSA",
    "National Helpline",
    "https://www.samhsa.gov/find-help/helplines/national-helpline",
)
LIFELINE = Source("988 Suicide & Crisis Lifeline", "988 Lifeline", "https://988lifeline.org/")
NA = Source("Narcotics Anonymous World Services", "Narcotics Anonymous", "https://na.org/")
SMART = Source("SMART Recovery", "SMART Recovery", "https://smartrecovery.org/")

TOPICS: tuple[Topic, ...] = (
    Topic(
        "detox",
        "Medically supervised detox",
        "Stopping with medical staff watching over withdrawal, in a hospital, a residential "
        "program or as an outpatient.",
        (_facilities("Find detox near you", "detox"),),
        (TIP_45, MEDLINEPLUS_WITHDRAWAL, NIDA_PRINCIPLES),
    ),
    Topic(
        "tapering",
        "Tapering with a clinician",
        "Cutting down step by step on a plan made with a doctor or nurse, instead of stopping "
        "all at once.",
        (
            _facilities("Find outpatient care", "outpatient"),
            _facilities("Find telehealth care", "telehealth"),
        ),
        (TIP_45, NIDA_KRATOM),
    ),
    Topic(
        "outpatient",
        "Outpatient and intensive outpatient",
        "Treatment visits while you live at home: a few hours a week, or several hours on "
        "several days a week (intensive outpatient).",
        (
            _facilities("Find outpatient care", "outpatient"),
            _facilities("Find intensive outpatient care", "intensive_outpatient"),
        ),
        (NIDA_PRINCIPLES, TIP_45),
    ),
    Topic(
        "residential",
        "Residential treatment",
        "Living at a treatment facility for a time, short term or long term.",
        (_facilities("Find residential treatment", "residential"),),
        (NIDA_PRINCIPLES,),
    ),
    Topic(
        "telehealth",
        "Telehealth",
        "Treatment by video or phone, from home.",
        (_facilities("Find telehealth care", "telehealth"),),
        (TELEHEALTH,),
    ),
    Topic(
        "medications",
        "Medications: buprenorphine, methadone, naltrexone, and clonidine for withdrawal",
        "Medicines that treat opioid use disorder, and medicines that ease withdrawal symptoms.",
        (
            _facilities("Find buprenorphine", "buprenorphine"),
            _facilities("Find methadone (opioid treatment programs)", "methadone"),
            _facilities("Find naltrexone", "naltrexone"),
        ),
        (TIP_63, MEDLINEPLUS_WITHDRAWAL, FDA_LOFEXIDINE),
    ),
    Topic(
        "counseling",
        "Counseling: cognitive behavioral therapy and motivational interviewing",
        "Talking therapies that help change patterns of use and build reasons and plans to change.",
        (
            _facilities("Find cognitive behavioral therapy", "cbt"),
            _facilities("Find motivational interviewing", "motivational_interviewing"),
        ),
        (NIDA_PRINCIPLES, TIP_35),
    ),
    Topic(
        "meetings",
        "Meetings: NA, SMART Recovery and others",
        "Free peer-support groups, in person or online.",
        (
            _meetings("Find a Narcotics Anonymous meeting", "NA"),
            _meetings("Find a SMART Recovery meeting", "SMART"),
            _meetings("Find any meeting"),
        ),
        (NA, SMART, NIDA_PRINCIPLES),
    ),
    Topic(
        "aftercare",
        "Aftercare: staying well after treatment",
        "What helps after detox or a program ends: continuing care, meetings and a plan "
        "for hard days.",
        (
            _facilities("Find outpatient care", "outpatient"),
            _meetings("Find a meeting"),
        ),
        (NIDA_PRINCIPLES, SAMHSA_HELPLINE),
    ),
    Topic(
        "kratom-withdrawal",
        "Kratom withdrawal: what it can look like, and when to get help now",
        "Common symptoms when someone who uses kratom often stops, and the signs that need "
        "medical help right away.",
        (
            _facilities("Find detox near you", "detox"),
            _facilities("Find telehealth care", "telehealth"),
        ),
        (NIDA_KRATOM, FDA_KRATOM, LIFELINE, SAMHSA_HELPLINE),
    ),
)

_BY_SLUG = {t.slug: t for t in TOPICS}


def find_topic(slug: str) -> Topic | None:
    """Return the guide page with this slug, or None."""
    return _BY_SLUG.get(slug)
