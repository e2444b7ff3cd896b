"""The OpenAPI 3 description of the JSON API (served at /api/v1/openapi.json).

Written by hand next to the views it describes; a schemathesis run in the tests calls every
operation with generated input and checks each answer against this document, so the two
cannot drift apart unnoticed. The state-law operations are described only when the app
registers them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

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


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "object", "properties": props}
    body["required"] = required if required is not None else list(props)
    return body


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str, schema: dict[str, Any], text: str, where: str = "query") -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": text,
        "schema": schema,
    }


def _errors(*codes: int) -> dict[str, Any]:
    why = {
        400: "A parameter is missing or wrong; the message says what to enter instead.",
        404: "No such record.",
        413: "The export would be larger than the configured cap.",
        429: "Too many requests from this address (rate limit); wait Retry-After seconds.",
        503: "The online geocoder did not answer.",
    }
    return {
        str(code): {
            "description": why[code],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        for code in codes
    }


def _rate_limited(paths: dict[str, Any]) -> dict[str, Any]:
    """Add the 429 answer to every operation: the whole API is rate-limited."""
    too_many = {
        **_errors(429)["429"],
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    }
    for operations in paths.values():
        for operation in operations.values():
            operation["responses"].setdefault("429", too_many)
    return paths


def _ok(schema: dict[str, Any], text: str = "OK") -> dict[str, Any]:
    return {"200": {"description": text, "content": {"application/json": {"schema": schema}}}}


SEARCH_PARAMS = [
    _param("near", STR, "A 5-digit ZIP code, 'City, ST' or a state name."),
    _param("lat", {"type": "number"}, "Latitude of the origin (with lon) instead of near."),
    _param("lon", {"type": "number"}, "Longitude of the origin (with lat)."),
    _param("radius", {"type": "number"}, "Distance from the origin (default from settings)."),
    _param("unit", {"type": "string", "enum": ["mi", "km"]}, "Unit of radius and distances."),
    _param("service", STR, "Service filter keys, comma-separated (see /api/v1/services)."),
    _param("type", STR, "Facility types, comma-separated: SA, MH, OTP, ..."),
]
PAGE_PARAMS = [
    _param("page", {"type": "integer"}, "Page number, from 1."),
    _param("per_page", {"type": "integer"}, "Results per page (at most max_page_size)."),
]
LIST_PARAMS = [
    _param("l", STR, "Entries in order: f<facility id> or m<meeting id>, comma-separated."),
    {
        "name": "n.{entry}",
        "in": "query",
        "required": False,
        "description": "Note of one entry, e.g. n.f12=Call intake first (at most 500 chars).",
        "schema": STR,
    },
]


def _schemas() -> dict[str, Any]:
    source = _obj({"name": STR, "note": STR, "last_seen": {"type": "string", "format": "date"}})
    address = _obj({k: STR for k in ("street1", "street2", "city", "state", "zip")})
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
    }
    return {
        "Error": _obj(
            {
                "error": {
                    "type": "object",
                    "required": ["status", "message"],
                    "properties": {
                        "status": {"type": "integer"},
                        "message": STR,
                        "field": NULL_STR,
                        "suggestions": STR_LIST,
                    },
                }
            }
        ),
        "Links": _obj({"next": NULL_STR, "prev": NULL_STR}),
        "FacilityHit": _obj(
            {"id": {"type": "integer"}, "distance": NULL_NUM, "unit": STR, **listing}
        ),
        "Facility": _obj(
            {
                "id": {"type": "integer"},
                "active": {"type": "boolean"},
                "unmapped_services": {"type": "array", "items": {"type": "object"}},
                "first_seen": STR,
                **listing,
            }
        ),
        "FacilityPage": _obj(
            {
                "origin": _obj(
                    {"label": STR, "kind": STR, "lat": NULL_NUM, "lon": NULL_NUM, "note": NULL_STR}
                ),
                "radius": NULL_NUM,
                "unit": STR,
                "state": NULL_STR,
                "services": STR_LIST,
                "types": STR_LIST,
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "pages": {"type": "integer"},
                "links": _ref("Links"),
                "results": {"type": "array", "items": _ref("FacilityHit")},
                "disclaimer": STR,
            }
        ),
        **_meeting_schemas(),
        **_law_schemas(),
        "HsdsServicePage": _obj(
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
                    "items": _obj(
                        {"id": STR, "name": STR, "status": STR, "organization": {"type": "object"}},
                        ["id", "name", "status"],
                    ),
                },
            }
        ),
    }


def _meeting_schemas() -> dict[str, Any]:
    meeting = _obj(
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
            "online": _obj({"url": NULL_STR, "phone": NULL_STR}),
            "formats": STR_LIST,
            "format_names": STR_LIST,
            "formats_original": STR_LIST,
            "notes": NULL_STR,
            "source": {"type": "object"},
            "url": STR,
            "ics": STR,
        }
    )
    page = _obj(
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
            "links": _ref("Links"),
            "results": {"type": "array", "items": _ref("Meeting")},
            "disclaimer": STR,
        }
    )
    return {"Meeting": meeting, "MeetingPage": page}


def _law_schemas() -> dict[str, Any]:
    law = _obj(
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
                "items": _obj(
                    {"place": NULL_STR, "county": NULL_STR, "kind": STR, "source_url": NULL_STR}
                ),
            },
            "pending_bills": {"type": "array", "items": {}},
            "sources": {
                "type": "array",
                "items": _obj({"url": STR, "title": NULL_STR, "official": {"type": "boolean"}}),
            },
            "verified_on": {**NULL_STR, "format": "date"},
            "confidence": NULL_STR,
            "unconfirmed": {"type": "boolean"},
            "notes": NULL_STR,
        },
        ["state", "state_name", "status", "status_label"],
    )
    federal = _obj(
        {k: NULL_STR for k in ("agency", "action", "date", "status", "citation", "url", "summary")},
        ["agency", "action"],
    )
    return {"Law": law, "FederalAction": federal}


def _paths(app: Flask) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/v1/facilities": {
            "get": {
                "summary": "Search facilities near a place, nearest first.",
                "operationId": "searchFacilities",
                "parameters": SEARCH_PARAMS + PAGE_PARAMS,
                "responses": {**_ok(_ref("FacilityPage")), **_errors(400, 503)},
            }
        },
        "/api/v1/facilities/{facility_id}": {
            "get": {
                "summary": "One facility with its services and provenance.",
                "operationId": "getFacility",
                "parameters": [
                    _param(
                        "facility_id",
                        {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                        "Facility id.",
                        "path",
                    )
                ],
                "responses": {
                    **_ok(_obj({"facility": _ref("Facility"), "disclaimer": STR})),
                    **_errors(404),
                },
            }
        },
        "/api/v1/services": {
            "get": {
                "summary": "The service filters the search accepts, grouped.",
                "operationId": "listServices",
                "responses": _ok(
                    _obj(
                        {
                            "groups": {"type": "array", "items": {"type": "object"}},
                            "services": {"type": "array", "items": {"type": "object"}},
                        }
                    )
                ),
            }
        },
        "/api/v1/coverage": {
            "get": {
                "summary": "What the loaded data covers: counts, states, sources and dates.",
                "operationId": "getCoverage",
                "responses": _ok(
                    _obj(
                        {
                            "facilities": {"type": "integer"},
                            "states": STR_LIST,
                            "sources": {"type": "array", "items": {"type": "object"}},
                        }
                    )
                ),
            }
        },
        **_meeting_paths(),
        **_export_paths(),
    }
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    if "/api/v1/laws" in rules:
        paths.update(_law_paths())
    return paths


def _meeting_paths() -> dict[str, Any]:
    params = [
        _param("mode", {"type": "string", "enum": ["near", "online"]}, "near or online."),
        *SEARCH_PARAMS[:5],
        _param("fellowship", STR, "Fellowships, comma-separated: NA, AA, SMART, ..."),
        _param("day", STR, "Weekdays, comma-separated: 0 = Sunday ... 6 = Saturday."),
        _param("time", STR, "Times of day: morning, afternoon, evening, night."),
        _param("attendance", STR, "in_person, online or hybrid."),
        _param("format", STR, "Format filters, comma-separated."),
        _param("order", {"type": "string", "enum": ["distance", "soon"]}, "Sort order."),
        _param("tz", STR, "The viewer's IANA time zone, e.g. America/New_York."),
        *PAGE_PARAMS,
    ]
    return {
        "/api/v1/meetings": {
            "get": {
                "summary": "Search peer-support meetings near a place or online.",
                "operationId": "searchMeetings",
                "parameters": params,
                "responses": {**_ok(_ref("MeetingPage")), **_errors(400, 503)},
            }
        },
        "/api/v1/meetings/{meeting_id}": {
            "get": {
                "summary": "One meeting with its next start and provenance.",
                "operationId": "getMeeting",
                "parameters": [
                    _param(
                        "meeting_id",
                        {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                        "Meeting id.",
                        "path",
                    ),
                    _param("tz", STR, "The viewer's IANA time zone."),
                ],
                "responses": {
                    **_ok(_obj({"meeting": _ref("Meeting"), "disclaimer": STR})),
                    **_errors(400, 404),
                },
            }
        },
    }


def _download(text: str) -> dict[str, Any]:
    return {
        "200": {
            "description": text,
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}, "x-about": about}
                for media, about in MEDIA.items()
            },
        }
    }


def _export_paths() -> dict[str, Any]:
    fmt = _param("format", {"type": "string", "enum": FORMATS}, "Export format.")
    fmt["required"] = True
    return {
        "/api/v1/facilities/export": {
            "get": {
                "summary": "Export every facility a search matches (same parameters).",
                "operationId": "exportFacilities",
                "parameters": [fmt, *SEARCH_PARAMS],
                "responses": {**_download("The export, streamed."), **_errors(400, 413, 503)},
            }
        },
        "/api/v1/referrals/export": {
            "get": {
                "summary": "Export a referral list, in order, with notes.",
                "operationId": "exportReferralList",
                "parameters": [fmt, *LIST_PARAMS, *SEARCH_PARAMS[:5]],
                "responses": {**_download("The export, streamed."), **_errors(400, 503)},
            }
        },
        "/api/v1/hsds/services": {
            "get": {
                "summary": "HSDS 3.0 paginated service listing (all, or a search).",
                "operationId": "listHsdsServices",
                "parameters": SEARCH_PARAMS + PAGE_PARAMS,
                "responses": {**_ok(_ref("HsdsServicePage")), **_errors(400, 503)},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document.",
                "operationId": "getOpenApi",
                "responses": _ok({"type": "object"}),
            }
        },
    }


def _law_paths() -> dict[str, Any]:
    disclaimer = {"disclaimer": STR, "federal": {"type": "array", "items": _ref("FederalAction")}}
    return {
        "/api/v1/laws": {
            "get": {
                "summary": "Kratom and 7-OH law status of every state and territory.",
                "operationId": "listLaws",
                "responses": _ok(
                    _obj({"laws": {"type": "array", "items": _ref("Law")}, **disclaimer})
                ),
            }
        },
        "/api/v1/laws/{state}": {
            "get": {
                "summary": "One state's law status, with sources and federal actions.",
                "operationId": "getLaw",
                "parameters": [
                    _param(
                        "state",
                        {"type": "string", "pattern": "^[A-Za-z]{2}$"},
                        "Two-letter state or territory code.",
                        "path",
                    )
                ],
                "responses": {**_ok(_obj({"law": _ref("Law"), **disclaimer})), **_errors(404)},
            }
        },
    }


def openapi_document(app: Flask) -> dict[str, Any]:
    """Return the OpenAPI 3 document of the API as registered on ``app``."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Treatment locator API",
            "version": "1",
            "description": (
                "Public treatment facilities, peer-support meetings and state kratom law, "
                "with sources and last-seen dates. Directory information, not medical or "
                "legal advice. In a crisis call or text 988; SAMHSA National Helpline "
                "1-800-662-4357. Every error answers {error: {status, message, ...}}."
            ),
        },
        "paths": _rate_limited(_paths(app)),
        "components": {"schemas": _schemas()},
    }
