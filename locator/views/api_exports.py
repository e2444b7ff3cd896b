"""The API's exports, its HSDS service listing and its OpenAPI document."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import func, select
from sqlmodel import col

from locator.errors import N_, BadQueryError
from locator.exports import hsds
from locator.exports.formats import choose_format
from locator.exports.rows import facility_rows, search_rows
from locator.facilities.search import MAX_PAGE, count_matches
from locator.models import Facility
from locator.web.export_responses import absolute_url, referral_export, search_export
from locator.web.openapi import openapi_document
from locator.web.params import int_param, parse_search
from locator.web.session import current_settings, get_session

bp = Blueprint("api_exports", __name__, url_prefix="/api/v1")


@bp.get("/facilities/export")
def facilities_export() -> Response:
    """Export a facility search: the search's parameters plus format=csv|xlsx|pdf|hsds-*."""
    return search_export(request.args, choose_format(request.args.get("format")))


@bp.get("/referrals/export")
def referrals_export() -> Response:
    """Export a referral list (l=f12,m7 and n.<entry> notes) in format=..."""
    return referral_export(request.args, choose_format(request.args.get("format")))


@bp.get("/hsds/services")
def hsds_services() -> Response:
    """List services HSDS-style: a page of one-to-one service fields with the organization.

    With near (or lat/lon) the listing is the facility search, nearest first; without, every
    active facility in a stable order.
    """
    session = get_session()
    settings = current_settings()
    page = int_param(request.args, "page", default=1, what="page number")
    per_page = int_param(request.args, "per_page", default=settings.page_size, what="page size")
    if request.args.get("near") or request.args.get("lat"):
        found = parse_search(request.args, settings, current_app.extensions["geocoder"], session)
        page, per_page = found.query.page, found.query.per_page
        rows = list(
            search_rows(
                session=session,
                query=found.query,
                url_for=absolute_url,
                batch=per_page,
                only_page=page,
            )
        )
        total = count_matches(session=session, query=found.query)
    else:
        _check_page(page, per_page, settings.max_page_size)
        total = session.scalar(select(func.count()).where(col(Facility.active))) or 0
        ids = session.scalars(
            select(col(Facility.id))
            .where(col(Facility.active))
            .order_by(col(Facility.id))
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        found_ids = [i for i in ids if i is not None]
        rows = list(facility_rows(session=session, ids=found_ids, url_for=absolute_url))
    return jsonify(_page(rows, total=total, page=page, per_page=per_page))


def _check_page(page: int, per_page: int, most: int) -> None:
    if not 1 <= per_page <= most:
        raise BadQueryError(
            N_("The page size must be between 1 and %(most)d."), field="per_page", most=most
        )
    if not 1 <= page <= MAX_PAGE:
        raise BadQueryError(
            N_("The page must be between 1 and %(most)d."), field="page", most=MAX_PAGE
        )


def _page(rows: list[Any], *, total: int, page: int, per_page: int) -> dict[str, Any]:
    pages = max(1, math.ceil(total / per_page))
    listed = ("phones", "service_at_locations", "attributes")
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(rows),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": total == 0,
        "contents": [
            {k: v for k, v in hsds.service(row).items() if k not in listed} for row in rows
        ],
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """Describe every API endpoint, parameter and error body (OpenAPI 3)."""
    return jsonify(openapi_document(current_app))
