"""The framework's floor for bench/load.sh: a bare Flask app, no database, no templates files.

``/json`` answers a 12 kB JSON body (25 results shaped like the search API's, synthetic text)
through Flask's own ``jsonify``; ``/html`` a 12 kB HTML page rendered from an inline Jinja
template. bench/load.sh serves it with the same gunicorn settings as ``locator serve --prod``
and hits it with the same wrk run, so the project's req/s and p99 read as shares of what
Flask and gunicorn alone manage on this machine in the same minute.
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.wrappers import Response

RESULTS = [
    {
        "id": n,
        "distance": 1.25 * n,
        "name": f"Synthetic facility {n}",
        "street": f"{100 + n} Example Street",
        "city": "Exampleville",
        "state": "ZZ",
        "zip": "00000",
        "phone": "000-000-0000",
        "services": ["Outpatient", "Detox", "Telehealth", "Medication for opioid use"],
        "source": {"name": "synthetic", "last_seen": "2026-11-01"},
        "url": f"http://127.0.0.1/facility/{n}",
        "note": "Synthetic row of the benchmark floor; it describes no real place. " * 2,
    }
    for n in range(25)
]
PAGE = """<!doctype html><html lang="en"><head><title>Floor</title></head><body><ol>
{% for r in results %}<li><h3>{{ r.name }}</h3><p>{{ r.street }}, {{ r.city }}, {{ r.state }}
{{ r.zip }} &middot; {{ "%.1f"|format(r.distance) }} mi &middot; {{ r.phone }}</p>
<p>{{ r.services|join(", ") }}</p><p>{{ r.note }} {{ r.note }}</p></li>{% endfor %}
</ol><p>{{ query }}</p></body></html>"""

app = Flask(__name__)
TEMPLATE = app.jinja_env.from_string(PAGE)  # compiled once, as Flask does for template files


@app.get("/json")
def json_body() -> Response:
    """The API's shape: origin, paging and 25 results (about 12 kB)."""
    return jsonify({"query": request.args.to_dict(), "total": 25, "results": RESULTS})


@app.get("/html")
def html_page() -> str:
    """A results page's shape: 25 items rendered by Jinja (about 12 kB)."""
    return TEMPLATE.render(results=RESULTS, query=request.args.to_dict())
