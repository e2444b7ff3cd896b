"""The API contract: /api/v1/openapi.json describes every API route, and the live app keeps it.

schemathesis calls every operation of the document through the app's WSGI interface (no
network) with generated parameters and checks: no 500, every status and content type is
documented, and every JSON body matches its schema. The state-law operations join the run on
their own once their routes are registered: the document describes them only then.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
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
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:
        _exercise(operation)


def _exercise(operation: object) -> None:
    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
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
