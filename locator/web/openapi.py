"""The OpenAPI 3 description of the JSON API (served at /api/v1/openapi.json).

Written by hand next to the views it describes; a schemathesis run in the tests calls every
operation with generated input and checks each answer against this document, so the two
cannot drift apart unnoticed. The state-law operations are described only when the app
registers them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from locator.web.openapi_schemas import (
    FORMATS,
    LAW_PARAM,
    LIST_PARAMS,
    MEDIA,
    PAGE_PARAMS,
    SEARCH_PARAMS,
    STR,
    STR_LIST,
    errors_,
    obj_,
    ok_,
    param_,
    rate_limited_,
    ref_,
    schemas_,
)


def _paths(app: Flask) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/v1/facilities": {
            "get": {
                "summary": "Search facilities near a place, nearest first.",
                "operationId": "searchFacilities",
                "parameters": SEARCH_PARAMS + PAGE_PARAMS,
                "responses": {**ok_(ref_("FacilityPage")), **errors_(400, 503)},
            }
        },
        "/api/v1/facilities/{facility_id}": {
            "get": {
                "summary": "One facility with its services and provenance.",
                "operationId": "getFacility",
                "parameters": [
                    param_(
                        "facility_id",
                        {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                        "Facility id.",
                        "path",
                    )
                ],
                "responses": {
                    **ok_(obj_({"facility": ref_("Facility"), "disclaimer": STR})),
                    **errors_(404),
                },
            }
        },
        "/api/v1/services": {
            "get": {
                "summary": "The service filters the search accepts, grouped.",
                "operationId": "listServices",
                "responses": ok_(
                    obj_(
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
                "responses": ok_(
                    obj_(
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
        param_("mode", {"type": "string", "enum": ["near", "online"]}, "near or online."),
        *SEARCH_PARAMS[:5],
        param_("fellowship", STR, "Fellowships, comma-separated: NA, AA, SMART, ..."),
        param_("day", STR, "Weekdays, comma-separated: 0 = Sunday ... 6 = Saturday."),
        param_("time", STR, "Times of day: morning, afternoon, evening, night."),
        param_("attendance", STR, "in_person, online or hybrid."),
        param_("format", STR, "Format filters, comma-separated."),
        param_("order", {"type": "string", "enum": ["distance", "soon"]}, "Sort order."),
        param_("tz", STR, "The viewer's IANA time zone, e.g. America/New_York."),
        LAW_PARAM,
        param_(
            "time_zone",
            {"type": "string", "enum": ["unknown"]},
            "unknown: only the meetings whose source gives no time zone.",
        ),
        *PAGE_PARAMS,
    ]
    return {
        "/api/v1/meetings": {
            "get": {
                "summary": "Search peer-support meetings near a place or online.",
                "operationId": "searchMeetings",
                "parameters": params,
                "responses": {**ok_(ref_("MeetingPage")), **errors_(400, 503)},
            }
        },
        "/api/v1/meetings/{meeting_id}": {
            "get": {
                "summary": "One meeting with its next start and provenance.",
                "operationId": "getMeeting",
                "parameters": [
                    param_(
                        "meeting_id",
                        {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                        "Meeting id.",
                        "path",
                    ),
                    param_("tz", STR, "The viewer's IANA time zone."),
                ],
                "responses": {
                    **ok_(obj_({"meeting": ref_("Meeting"), "disclaimer": STR})),
                    **errors_(400, 404),
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
    fmt = param_("format", {"type": "string", "enum": FORMATS}, "Export format.")
    fmt["required"] = True
    return {
        "/api/v1/facilities/export": {
            "get": {
                "summary": "Export every facility a search matches (same parameters).",
                "operationId": "exportFacilities",
                "parameters": [fmt, *SEARCH_PARAMS],
                "responses": {**_download("The export, streamed."), **errors_(400, 413, 503)},
            }
        },
        "/api/v1/referrals/export": {
            "get": {
                "summary": "Export a referral list, in order, with notes.",
                "operationId": "exportReferralList",
                "parameters": [fmt, *LIST_PARAMS, *SEARCH_PARAMS[:5]],
                "responses": {**_download("The export, streamed."), **errors_(400, 503)},
            }
        },
        "/api/v1/hsds/services": {
            "get": {
                "summary": "HSDS 3.0 paginated service listing (all, or a search).",
                "operationId": "listHsdsServices",
                "parameters": SEARCH_PARAMS + PAGE_PARAMS,
                "responses": {**ok_(ref_("HsdsServicePage")), **errors_(400, 503)},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document.",
                "operationId": "getOpenApi",
                "responses": ok_({"type": "object"}),
            }
        },
    }


def _law_paths() -> dict[str, Any]:
    disclaimer = {"disclaimer": STR, "federal": {"type": "array", "items": ref_("FederalAction")}}
    return {
        "/api/v1/laws": {
            "get": {
                "summary": "Kratom and 7-OH law status of every state and territory.",
                "operationId": "listLaws",
                "responses": ok_(
                    obj_({"laws": {"type": "array", "items": ref_("Law")}, **disclaimer})
                ),
            }
        },
        "/api/v1/laws/{state}": {
            "get": {
                "summary": "One state's law status, with sources and federal actions.",
                "operationId": "getLaw",
                "parameters": [
                    param_(
                        "state",
                        {"type": "string", "pattern": "^[A-Za-z]{2}$"},
                        "Two-letter state or territory code.",
                        "path",
                    )
                ],
                "responses": {**ok_(obj_({"law": ref_("Law"), **disclaimer})), **errors_(404)},
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
        "paths": rate_limited_(_paths(app)),
        "components": {"schemas": schemas_()},
    }
