"""Open Referral HSDS 3.0 output: nested service JSON and the tabular data package (zip).

How a facility maps: the listing's provider is an ``organization``; its treatment offer is one
``service`` (status active/inactive from the directory); the site is a ``location`` with one
physical ``address``, linked by a ``service_at_location``; the phone numbers are ``phone``
rows of the service; in the tabular package each SAMHSA service code is an ``attribute``
pointing at a ``taxonomy_term`` of the "SAMHSA treatment service codes" ``taxonomy``. The
nested JSON says each link once (a child inside its parent carries no parent id) and lists
the codes as the value of one attribute, so a facility takes ~2-3 KB, not ~53 KB.

Identifiers are UUIDs derived (uuid5) from a project namespace, the source and the source's
own key, so the same facility keeps the same ids across exports and machines. Provenance:
the location's external identifier is the source key, the service's ``last_modified`` is the
day the source last listed it, and both descriptions name the source.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from functools import cache
from typing import IO, Any

import orjson

from locator.exports.writers import CHUNK_BYTES, ExportRow, file_chunks
from locator.paths import DATA_DIR

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:treatment-locator:hsds")
TAXONOMY_NAME = "SAMHSA treatment service codes"
TABULAR = (
    "organization",
    "service",
    "location",
    "address",
    "service_at_location",
    "phone",
    "attribute",
    "taxonomy_term",
    "taxonomy",
)


def stable_id(kind: str, *parts: str) -> str:
    """Return the UUID (version 5) of one HSDS object, the same on every export.

    Equal to ``uuid.uuid5(NAMESPACE, "kind:part:...")``, computed without building UUID
    objects: an export derives about ten per facility.
    """
    name = ":".join((kind, *parts)).encode("utf-8")
    h = hashlib.sha1(_NS_BYTES + name, usedforsecurity=False).hexdigest()
    # Version 5 in the 13th hex digit, the RFC 4122 variant (10xx) in the 17th.
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
_NS_BYTES = NAMESPACE.bytes


@cache
def taxonomy() -> dict[str, Any]:
    """Return the taxonomy object of the SAMHSA service codes."""
    return {
        "id": stable_id("taxonomy", "samhsa-service-codes"),
        "name": TAXONOMY_NAME,
        "description": "Service codes of SAMHSA's FindTreatment.gov locator and N-SUMHSS survey.",
        "uri": "https://findtreatment.gov/",
    }


@cache
def taxonomy_term(code: str, name: str) -> dict[str, Any]:
    """Return the taxonomy term of one SAMHSA service code."""
    return {
        "id": stable_id("taxonomy_term", "samhsa", code),
        "code": code,
        "name": name,
        "description": name,
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": taxonomy()["id"],
    }


def web_address(value: str) -> str | None:
    """Return an absolute http(s) URL for a website as listed, or None when there is none."""
    value = value.strip()
    if not value or " " in value:
        return None
    if value.lower().startswith(("http://", "https://")):
        return value
    return "http://" + value  # directories list bare host names: www.example.org


def service(row: ExportRow) -> dict[str, Any]:
    """Return the fully nested HSDS service of one facility."""
    source, key = row.source, row.source_key
    ids = {
        "organization": stable_id("organization", source, key),
        "service": stable_id("service", source, key),
        "location": stable_id("location", source, key),
    }
    seen = row.last_seen.isoformat() if row.last_seen else "unknown"
    provenance = f"Source: {row.source_note or row.source}. Last seen in the source: {seen}."
    website = web_address(row.website) if row.website else None
    organization = {
        "id": ids["organization"],
        "name": row.name,
        "description": f"Treatment provider listed in a public directory. {provenance}",
    }
    if row.name2:
        organization["alternate_name"] = row.name2
    if website:
        organization["website"] = website
    body: dict[str, Any] = {
        "id": ids["service"],
        "organization_id": ids["organization"],
        "name": row.name,
        "alternate_name": row.name2 or None,
        "description": _service_description(row, provenance),
        "url": website,
        "status": "active" if row.active else "inactive",
        "last_modified": _datetime(row),
        "phones": _phones(row, ids["service"]),
        "service_at_locations": [_service_at_location(row, ids)],
        "organization": organization,
        "attributes": _attributes(row, ids["service"]),
    }
    return _compact(body)


def _compact(item: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None: HSDS leaves an unknown optional field out."""
    return {k: v for k, v in item.items() if v is not None}


def _service_description(row: ExportRow, provenance: str) -> str:
    offered = f"Services: {row.categories}. " if row.categories else ""
    return f"{offered}{provenance} Call before going: services and hours change."


def _datetime(row: ExportRow) -> str | None:
    if row.last_seen is None:
        return None
    return f"{row.last_seen.isoformat()}T00:00:00+00:00"  # the day it was seen, UTC


def _phones(row: ExportRow, service_id: str) -> list[dict[str, Any]]:
    found = []
    for label, number in (
        ("Main", row.phone),
        ("Intake", row.intake_phone),
        ("Hotline", row.hotline_phone),
    ):
        if number:
            found.append(
                {
                    "id": stable_id("phone", row.source, row.source_key, label),
                    "service_id": service_id,
                    "number": number,
                    "type": "voice",
                    "description": label,
                }
            )
    return found


def _service_at_location(row: ExportRow, ids: dict[str, str]) -> dict[str, Any]:
    location = _compact(
        {
            "id": ids["location"],
            "location_type": "physical",
            "organization_id": ids["organization"],
            "name": row.name,
            "latitude": row.latitude,
            "longitude": row.longitude,
            "external_identifier": row.source_key,
            "external_identifier_type": row.source,
            "addresses": [
                _compact(
                    {
                        "id": stable_id("address", row.source, row.source_key),
                        "location_id": ids["location"],
                        "address_1": row.street1,
                        "address_2": row.street2 or None,
                        "city": row.city,
                        "state_province": row.state,
                        "postal_code": row.zip,
                        "country": "US",
                        "address_type": "physical",
                    }
                )
            ],
        }
    )
    return {
        "id": stable_id("service_at_location", row.source, row.source_key),
        "service_id": ids["service"],
        "location_id": ids["location"],
        "location": location,
    }


def _attributes(row: ExportRow, service_id: str) -> list[dict[str, Any]]:
    attributes = []
    for code, name in row.services:
        term = taxonomy_term(code, name)
        attributes.append(
            {
                "id": stable_id("attribute", row.source, row.source_key, code),
                "link_id": service_id,
                "link_type": "service_code",
                "link_entity": "service",
                "taxonomy_term_id": term["id"],
                "taxonomy_term": term,
            }
        )
    return attributes


CODES_TERM = "samhsa-service-codes"


@cache
def codes_term() -> dict[str, Any]:
    """Return the taxonomy term whose attribute value lists a service's SAMHSA codes."""
    return {
        "id": stable_id("taxonomy_term", CODES_TERM),
        "code": "SAMHSA",
        "name": "SAMHSA service codes",
        "description": "The service's SAMHSA service codes, separated by spaces; each code "
        "is a term of the taxonomy (see the HSDS data package export for their names).",
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": taxonomy()["id"],
    }


def nested_service(row: ExportRow) -> dict[str, Any]:
    """Return the service of one facility for the JSON export: what nesting says, said once.

    The full service (``service``) repeated each parent's id in every child and carried one
    attribute, with its whole taxonomy term, per SAMHSA code: ~53 KB per facility, 99 MB for
    2,502 facilities. Here the links nesting already gives are left out and the codes are
    one attribute's value; the tabular package (``zip_chunks``) keeps one row per code.
    """
    body = service(row)
    at = body["service_at_locations"][0]
    location = at["location"]
    location.pop("organization_id", None)
    for address in location["addresses"]:
        address.pop("location_id", None)
    at.pop("service_id", None)
    at.pop("location_id", None)
    body.pop("organization_id", None)
    for phone in body["phones"]:
        phone.pop("service_id", None)
    codes = " ".join(code for code, _name in row.services)
    body["attributes"] = (
        [
            {
                "id": stable_id("attribute", row.source, row.source_key, CODES_TERM),
                "taxonomy_term_id": codes_term()["id"],
                "value": codes,
            }
        ]
        if codes
        else []
    )
    return body


def json_chunks(rows: Iterable[ExportRow]) -> Iterator[bytes]:
    """Yield a JSON array of nested HSDS services, a few hundred services per chunk."""
    parts = [b"["]
    for count, row in enumerate(rows):
        parts.append((b"," if count else b"") + orjson.dumps(nested_service(row)))
        if len(parts) >= 200:
            yield b"".join(parts)
            parts = []
    parts.append(b"]")
    yield b"".join(parts)


@cache
def descriptor() -> dict[str, Any]:
    """Return the official HSDS 3.0 tabular descriptor, cut to the resources we write."""
    official = json.loads((DATA_DIR / "hsds-3.0" / "datapackage.json").read_text("utf-8"))
    resources = [r for r in official["resources"] if r["name"] in TABULAR]
    for resource in resources:
        keys = resource["schema"].get("foreignKeys", [])
        resource["schema"]["foreignKeys"] = [
            k for k in keys if k["reference"]["resource"] in TABULAR
        ]
    kept = {k: v for k, v in official.items() if k != "resources"}
    return {
        **kept,
        "name": "treatment_locator_hsds_export",
        "title": "Treatment facilities in Open Referral HSDS 3.0",
        "resources": resources,
    }


def tabular_rows(service_body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Flatten one nested service into rows of the tabular resources (terms deduplicated later)."""
    at = service_body["service_at_locations"][0]
    location = at["location"]
    flat = {k: v for k, v in service_body.items() if not isinstance(v, list | dict)}
    return {
        "organization": [service_body["organization"]],
        "service": [flat],
        "location": [{k: v for k, v in location.items() if k != "addresses"}],
        "address": location["addresses"],
        "service_at_location": [{k: v for k, v in at.items() if k != "location"}],
        "phone": service_body["phones"],
        "attribute": [
            {k: v for k, v in a.items() if k != "taxonomy_term"} for a in service_body["attributes"]
        ],
    }


def zip_chunks(rows: Iterable[ExportRow]) -> Iterator[bytes]:
    """Yield a zip of one CSV per HSDS table plus datapackage.json, built on disk."""
    package = descriptor()
    columns = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in package["resources"]}
    paths = {r["name"]: r["path"] for r in package["resources"]}
    with ExitStack() as stack:
        files: dict[str, IO[str]] = {
            name: stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", newline=""))
            for name in TABULAR
        }
        writers = {name: csv.writer(files[name]) for name in TABULAR}
        for name in TABULAR:
            writers[name].writerow(columns[name])
        terms: dict[str, dict[str, Any]] = {}
        for row in rows:
            body = service(row)
            for name, items in tabular_rows(body).items():
                for item in items:
                    writers[name].writerow(_cells(item, columns[name]))
            for attribute in body["attributes"]:
                terms.setdefault(attribute["taxonomy_term_id"], attribute["taxonomy_term"])
        terms.setdefault(codes_term()["id"], codes_term())  # the JSON export's codes term
        for term in terms.values():
            writers["taxonomy_term"].writerow(_cells(term, columns["taxonomy_term"]))
        writers["taxonomy"].writerow(_cells(taxonomy(), columns["taxonomy"]))
        yield from _zipped(package, files, paths)


def _cells(item: dict[str, Any], columns: list[str]) -> list[str]:
    return ["" if item.get(c) is None else str(item[c]) for c in columns]


def _zipped(
    package: dict[str, Any], files: dict[str, IO[str]], paths: dict[str, str]
) -> Iterator[bytes]:
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK_BYTES) as out:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("datapackage.json", json.dumps(package, indent=2))
            for name, handle in files.items():
                handle.seek(0)
                with archive.open(paths[name], "w") as member:
                    wrapper = io.TextIOWrapper(member, encoding="utf-8", newline="")
                    while chunk := handle.read(CHUNK_BYTES):
                        wrapper.write(chunk)
                    wrapper.flush()
                    wrapper.detach()
        out.seek(0)
        yield from file_chunks(out)
