"""The API contract: /api/v1/openapi.json describes every API route, and the live app keeps it.

schemathesis calls every operation of the document through the app's WSGI interface (no
network) with generated parameters and checks: no 500, every status and content type is
documented, and every JSON body matches its schema. The state-law operations join the run on
their own once their routes are registered: the document describes them only then.

Two more passes look for a 500 where the happy path does not go: parameters that break the
document's own rules (negative generation: wrong types, values outside the enums and
ranges), which must get a documented 4xx with the JSON error body, and the whole API on an
empty database (before the first import), which must answer as documented too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_app


@pytest.fixture
def api_app(db_url: str) -> Iterator[Flask]:
    app = make_app(db_url, RATELIMIT_ENABLED=False)  # the contract run, not the limits
    yield app
    app.extensions["engine"].dispose()


CHECKS = (status_code_conformance, content_type_conformance, response_schema_conformance)


def test_the_api_keeps_its_documented_contract(api_app: Flask) -> None:
    operations = _operations(api_app)
    assert len(operations) >= 9
    for operation in operations:
        _exercise(operation)


def test_parameters_that_break_the_documented_rules_get_a_json_400_not_a_500(
    api_app: Flask,
) -> None:
    # Operations without parameters have no rule to break.
    with_parameters = [
        op
        for op in _operations(api_app)
        if len(op.query) + len(op.path_parameters)  # type: ignore[attr-defined]
    ]
    assert len(with_parameters) >= 7
    for operation in with_parameters:
        _exercise(operation, GenerationMode.NEGATIVE)


def test_the_api_on_an_empty_database_keeps_its_contract(empty_db_url: str) -> None:
    app = make_app(empty_db_url, RATELIMIT_ENABLED=False)
    try:
        for operation in _operations(app):
            _exercise(operation)
    finally:
        app.extensions["engine"].dispose()


def _operations(app: Flask) -> list[object]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _exercise(operation: object, mode: GenerationMode = GenerationMode.POSITIVE) -> None:
    @given(case=operation.as_strategy(mode))  # type: ignore[attr-defined]
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call()
        assert response.status_code < 500, f"{case.path}: {response.text[:300]}"
        if mode is GenerationMode.NEGATIVE and response.status_code >= 400:
            error = response.json()["error"]
            assert error["status"] == response.status_code and error["message"].strip()
        case.validate_response(response, checks=CHECKS)

    run()


def test_every_api_route_is_documented(client: FlaskClient, app: Flask) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = set(document["paths"])
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<id:{name}>", "{" + name + "}")
            path = path.replace(f"<{name}>", "{" + name + "}")
        assert path in documented, f"{path} is not in the OpenAPI document"
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["status", "message"]


def test_the_document_describes_repeated_services_and_the_nearest_outside(
    client: FlaskClient,
) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    search = document["paths"]["/api/v1/facilities"]["get"]["parameters"]
    service = next(p for p in search if p["name"] == "service")
    assert service["schema"]["type"] == "array" and service["explode"] is True
    assert "any of them" in service["description"]
    page = document["components"]["schemas"]["FacilityPage"]["properties"]
    assert page["nearest_outside_radius"]["items"] == page["results"]["items"]
    assert "others" in page["origin"]["properties"]
