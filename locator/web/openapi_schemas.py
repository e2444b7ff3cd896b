"""The OpenAPI document's building blocks: shared parameters, error answers and schemas."""

from __future__ import annotations

from typing import Any

from locator.facilities.search import TOTAL_CAP

NULL_STR = {"type": "string", "nullable": True}
NULL_NUM = {"type": "number", "nullable": True}
NULL_INT = {"type": "integer", "nullable": True}
STR = {"type": "string"}
STR_LIST = {"type": "array", "items": STR}
FORMATS = ["csv", "xlsx", "pdf", "hsds-json", "hsds-zip"]
MEDIA = {
    "text/csv": "CSV, UTF-8 with a byte-order mark; one row per facility or meeting.",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook.",
    "application/pdf": "Printable referral sheet with the crisis lines.",
    "application/json": "Open Referral HSDS 3.0: an array of fully nested services.",
    "application/zip": "HSDS 3.0 tabular data package: one CSV per table and datapackage.json.",
}
LAW_STATUSES = [
    "banned",
    "temporary_ban",
    "regulated_kcpa",
    "restricted",
    "age_limit_only",
    "unregulated",
    "unknown",
]


def obj_(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "object", "properties": props}
    body["required"] = required if required is not None else list(props)
    return body


def ref_(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def param_(name: str, schema: dict[str, Any], text: str, where: str = "query") -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": text,
        "schema": schema,
    }


def errors_(*codes: int) -> dict[str, Any]:
    why = {
        400: "A parameter is missing or wrong; the message says what to enter instead.",
        404: "No such record.",
        413: "The export would be larger than the configured cap.",
        429: "Too many requests (rate limit); the message and Retry-After say how long to wait.",
        503: "The online geocoder did not answer.",
    }
    return {
        str(code): {
            "description": why[code],
            "content": {"application/json": {"schema": ref_("Error")}},
        }
        for code in codes
    }


def rate_limited_(paths: dict[str, Any]) -> dict[str, Any]:
    """Add the 429 answer to every operation: the whole API is rate-limited."""
    too_many = {
        **errors_(429)["429"],
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    }
    for operations in paths.values():
        for operation in operations.values():
            operation["responses"].setdefault("429", too_many)
    return paths


def ok_(schema: dict[str, Any], text: str = "OK") -> dict[str, Any]:
    return {"200": {"description": text, "content": {"application/json": {"schema": schema}}}}


LAW_PARAM = param_(
    "law",
    {"type": "array", "items": {"type": "string", "enum": LAW_STATUSES}},
    "Only results in states whose kratom-law status is one of these (repeat the parameter "
    "or separate with commas): banned, temporary_ban, regulated_kcpa, restricted, "
    "age_limit_only, unregulated, unknown. The status describes kratom itself; a 7-OH rule "
    "does not make a state banned.",
)
SEARCH_PARAMS = [
    param_(
        "near",
        STR,
        "A 5-digit ZIP code, 'City, ST', a one-word city (the biggest of that name, the "
        "others in origin.others), a common name such as NYC, LA or DC, or a state name.",
    ),
    param_("lat", {"type": "number"}, "Latitude of the origin (with lon) instead of near."),
    param_("lon", {"type": "number"}, "Longitude of the origin (with lat)."),
    param_("radius", {"type": "number"}, "Distance from the origin (default from settings)."),
    param_("unit", {"type": "string", "enum": ["mi", "km"]}, "Unit of radius and distances."),
    {
        **param_(
            "service",
            {"type": "array", "items": STR},
            "Service filter keys (see /api/v1/services), repeated (service=outpatient&"
            "service=intensive_outpatient) or comma-separated. Several keys of the type-of-care "
            "group, or of the medication group, match a facility offering any of them; keys "
            "of different groups (and of the other groups) must all match.",
        ),
        "style": "form",
        "explode": True,
    },
    param_("type", STR, "Facility types, comma-separated: SA, MH, OTP, ..."),
    LAW_PARAM,
    param_(
        "confirmed",
        {"type": "integer", "minimum": 1, "maximum": 3650},
        "Only facilities a coordinator confirmed by phone in the last N days (e.g. 90).",
    ),
]
PAGE_PARAMS = [
    param_("page", {"type": "integer"}, "Page number, from 1."),
    param_("per_page", {"type": "integer"}, "Results per page (at most max_page_size)."),
]
LIST_PARAMS = [
    param_("l", STR, "Entries in order: f<facility id> or m<meeting id>, comma-separated."),
    {
        "name": "n.{entry}",
        "in": "query",
        "required": False,
        "description": "Note of one entry, e.g. n.f12=Call intake first (at most 500 chars).",
        "schema": STR,
    },
]


def schemas_() -> dict[str, Any]:
    source = obj_({"name": STR, "note": STR, "last_seen": {"type": "string", "format": "date"}})
    address = obj_({k: STR for k in ("street1", "street2", "city", "state", "zip")})
    listing = {
        "name": STR,
        "name2": STR,
        "address": address,
        "phone": NULL_STR,
        "intake_phone": NULL_STR,
        "hotline_phone": NULL_STR,
        "website": NULL_STR,
        "latitude": NULL_NUM,
        "longitude": NULL_NUM,
        "location_approximate": {"type": "boolean"},
        "facility_types": STR_LIST,
        "services_known": {"type": "boolean"},
        "services": STR_LIST,
        "categories": STR_LIST,
        "source": source,
        "url": STR,
        "last_confirmation": {
            **obj_(
                {
                    "date": {"type": "string", "format": "date"},
                    "outcome": STR,
                    "wait_days": NULL_INT,
                    "services_confirmed": STR_LIST,
                }
            ),
            "nullable": True,
        },
    }
    return {
        "Error": obj_(
            {
                "error": {
                    "type": "object",
                    "required": ["status", "message"],
                    "properties": {
                        "status": {"type": "integer"},
                        "message": STR,
                        "field": NULL_STR,
                        "retry_after": {"type": "integer"},
                        "suggestions": STR_LIST,
                    },
                }
            }
        ),
        "Links": obj_({"next": NULL_STR, "prev": NULL_STR}),
        "FacilityHit": obj_(
            {"id": {"type": "integer"}, "distance": NULL_NUM, "unit": STR, **listing}
        ),
        "Facility": obj_(
            {
                "id": {"type": "integer"},
                "active": {"type": "boolean"},
                "unmapped_services": {"type": "array", "items": {"type": "object"}},
                "first_seen": STR,
                **listing,
            }
        ),
        "FacilityPage": obj_(
            {
                "origin": obj_(
                    {
                        "label": STR,
                        "kind": STR,
                        "lat": NULL_NUM,
                        "lon": NULL_NUM,
                        "note": NULL_STR,
                        "others": STR_LIST,
                    }
                ),
                "radius": NULL_NUM,
                "unit": STR,
                "state": NULL_STR,
                "services": STR_LIST,
                "types": STR_LIST,
                "total": {"type": "integer"},
                "total_exact": {
                    "type": "boolean",
                    "description": "False when more than `total` facilities match (totals are "
                    f"counted up to {TOTAL_CAP}; `pages` is then a lower bound).",
                },
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "pages": {"type": "integer"},
                "links": ref_("Links"),
                "results": {"type": "array", "items": ref_("FacilityHit")},
                "nearest_outside_radius": {
                    "type": "array",
                    "items": ref_("FacilityHit"),
                    "description": "When total is 0: up to 5 nearest matches of the same "
                    "filters anywhere in the loaded data (outside the state, for a state "
                    "search), nearest first; empty when none exists anywhere. Empty when "
                    "total is above 0.",
                },
                "none_anywhere": {
                    "type": "boolean",
                    "description": "total is 0 and no facility anywhere matches the filters.",
                },
                "larger_radius": {
                    **NULL_NUM,
                    "description": "A radius (at most the largest allowed) that would find "
                    "the nearest match; null when none would.",
                },
                "advice": {**STR_LIST, "description": "When total is 0: what else to do."},
                "findtreatment_url": STR,
                "disclaimer": STR,
            }
        ),
        **meeting_schemas_(),
        **law_schemas_(),
        "HsdsServicePage": obj_(
            {
                "total_items": {"type": "integer"},
                "total_pages": {"type": "integer"},
                "page_number": {"type": "integer"},
                "size": {"type": "integer"},
                "first_page": {"type": "boolean"},
                "last_page": {"type": "boolean"},
                "empty": {"type": "boolean"},
                "contents": {
                    "type": "array",
                    "description": "HSDS 3.0 service_list objects.",
                    "items": obj_(
                        {"id": STR, "name": STR, "status": STR, "organization": {"type": "object"}},
                        ["id", "name", "status"],
                    ),
                },
            }
        ),
    }


def meeting_schemas_() -> dict[str, Any]:
    meeting = obj_(
        {
            "id": {"type": "integer"},
            "name": STR,
            "fellowship": STR,
            "weekday": NULL_INT,
            "start_time": NULL_STR,
            "duration_minutes": NULL_INT,
            "time_zone": NULL_STR,
            "time_zone_inferred": {"type": "boolean"},
            "schedule_note": NULL_STR,
            "next_start": {"type": "object", "nullable": True},
            "attendance": STR,
            "distance": NULL_NUM,
            "unit": NULL_STR,
            "location": {"type": "object"},
            "online": obj_({"url": NULL_STR, "phone": NULL_STR}),
            "formats": STR_LIST,
            "format_names": STR_LIST,
            "formats_original": STR_LIST,
            "notes": NULL_STR,
            "source": {"type": "object"},
            "url": STR,
            "ics": STR,
        }
    )
    page = obj_(
        {
            "mode": STR,
            "origin": {"type": "object", "nullable": True},
            "radius": NULL_NUM,
            "unit": STR,
            "order": STR,
            "viewer_time_zone": NULL_STR,
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
            "links": ref_("Links"),
            "results": {"type": "array", "items": ref_("Meeting")},
            "disclaimer": STR,
        }
    )
    return {"Meeting": meeting, "MeetingPage": page}


def law_schemas_() -> dict[str, Any]:
    law = obj_(
        {
            "state": STR,
            "state_name": STR,
            "status": {"type": "string", "enum": LAW_STATUSES},
            "status_label": STR,
            "law_name": NULL_STR,
            "citation": NULL_STR,
            "enacted_on": {**NULL_STR, "format": "date"},
            "effective_on": {**NULL_STR, "format": "date"},
            "expires_on": {**NULL_STR, "format": "date"},
            "minimum_age": NULL_INT,
            "covers": STR_LIST,
            "seven_oh": {"type": "object", "nullable": True},
            "local_restrictions": {
                "type": "array",
                "items": obj_(
                    {"place": NULL_STR, "county": NULL_STR, "kind": STR, "source_url": NULL_STR}
                ),
            },
            "pending_bills": {"type": "array", "items": {}},
            "sources": {
                "type": "array",
                "items": obj_({"url": STR, "title": NULL_STR, "official": {"type": "boolean"}}),
            },
            "verified_on": {**NULL_STR, "format": "date"},
            "confidence": NULL_STR,
            "unconfirmed": {"type": "boolean"},
            "notes": NULL_STR,
        },
        ["state", "state_name", "status", "status_label"],
    )
    federal = obj_(
        {k: NULL_STR for k in ("agency", "action", "date", "status", "citation", "url", "summary")},
        ["agency", "action"],
    )
    return {"Law": law, "FederalAction": federal}
