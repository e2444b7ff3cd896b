"""Flask's JSON answers written with orjson: every ``jsonify`` of the API and the error twins.

The facility search answer already used orjson (a sixth of its time had gone to the json
module, bench/load.sh); every other ``jsonify`` (facility records, meetings, laws, errors,
health) now does too. The output keeps Flask's own rules (sorted keys,
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
