"""Static files: fingerprinted names cached for a year, compressed once, plain names revalidated."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from flask.testing import FlaskClient

from locator.paths import STATIC_DIR
from locator.web.static import read_assets


def _page_assets(client: FlaskClient) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', client.get("/").text)


def test_pages_link_static_files_by_fingerprinted_names(client: FlaskClient) -> None:
    linked = _page_assets(client)
    assert any(re.fullmatch(r"/static/style\.[0-9a-f]{12}\.css", url) for url in linked), linked
    assert all(re.search(r"\.[0-9a-f]{12}\.\w+$", url) for url in linked), linked


def test_a_fingerprinted_file_is_cached_for_a_year_and_sent_gzipped(client: FlaskClient) -> None:
    url = next(u for u in _page_assets(client) if "/style." in u)
    response = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == (STATIC_DIR / "style.css").read_bytes()
    again = client.get(
        url, headers={"If-None-Match": response.headers["ETag"], "Accept-Encoding": "gzip"}
    )
    assert again.status_code == 304


def test_a_client_without_gzip_gets_the_plain_bytes(client: FlaskClient) -> None:
    url = next(u for u in _page_assets(client) if "/style." in u)
    response = client.get(url)
    assert "Content-Encoding" not in response.headers
    assert response.data == (STATIC_DIR / "style.css").read_bytes()


def test_plain_names_still_work_but_are_revalidated(client: FlaskClient) -> None:
    response = client.get("/static/vendor/leaflet-1.9.4/images/marker-icon.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert client.get("/static/no-such-file.css").status_code == 404


def test_a_changed_file_gets_a_new_name(tmp_path: Path) -> None:
    (tmp_path / "app.js").write_text("one();")
    first = read_assets(tmp_path).fingerprinted["app.js"]
    (tmp_path / "app.js").write_text("two();")
    second = read_assets(tmp_path).fingerprinted["app.js"]
    assert first != second and first.startswith("app.") and first.endswith(".js")
