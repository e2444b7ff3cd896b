"""Flask's JSON answers written with orjson: every ``jsonify`` of the API and the error twins.

Measured on the search API (bench/request_profile.py): the json module spent more time encoding a
page of 25 results than the search took. The output keeps Flask's own rules (sorted keys,
compact); what orjson does not know (a Decimal, a set) goes through Flask's default first.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


class OrjsonProvider(DefaultJSONProvider):
    """Dump with orjson; load with orjson too (request bodies are small and rare)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=self.default, option=OPTIONS).decode("utf-8")

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        body = orjson.dumps(obj, default=self.default, option=OPTIONS)
        return Response(body, mimetype=self.mimetype)
