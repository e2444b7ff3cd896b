"""The crisis lines and the not-advice notes: one home, marked for translation, used everywhere.

Pages show them through the base template, the API and exports put them in every answer and
file, and the law pages add the legal note. Each text is an ``N_`` message: a view translates
it for the request's language (``gettext(text)``).
"""

from __future__ import annotations

from locator.errors import N_

CRISIS_LINES = (
    {
        "name": N_("988 Suicide & Crisis Lifeline"),
        "number": "988",
        "tel": "988",
        "note": N_("Call or text 988, any time."),
    },
    {
        "name": N_("SAMHSA National Helpline"),
        "number": "1-800-662-4357",
        "tel": "+18006624357",
        "note": N_("Free, confidential treatment referral, 24/7, in English and Spanish."),
    },
)

# Every API answer carries it.
API_DISCLAIMER = N_(
    "Directory information, not medical advice. Listings can be out of date: call before "
    "going. In a crisis call or text 988; SAMHSA National Helpline 1-800-662-4357."
)

# Printed on every exported sheet, beside the crisis lines.
EXPORT_NOTICE = N_(
    "Directory information from public sources, not medical or legal advice. Listings can be "
    "out of date: call before going."
)

# Every kratom-law page and answer carries it.
LAW_DISCLAIMER = N_(
    "Informational only, not legal advice. Laws change often; cities and counties may be "
    "stricter. Check the cited official source."
)

# What a search that found nothing nearby says to do next, after the nearest matches.
FINDTREATMENT_URL = "https://findtreatment.gov/"
NO_RESULTS_ADVICE = (
    N_(
        "Call SAMHSA's National Helpline, 1-800-662-4357: free, confidential help finding "
        "treatment, 24/7, in English and Spanish."
    ),
    N_("Check FindTreatment.gov for current listings: this copy of the directory can be behind."),
    N_(
        "Ask about telehealth: some programs treat people anywhere in their state "
        "by video or phone."
    ),
)
