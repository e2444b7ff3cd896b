"""Static files from memory: fingerprinted names cached for a year, gzip made once.

At start-up every file under locator/static is read once, hashed and, when it is text
(CSS, JS, SVG), gzip-compressed once. ``url_for("static", filename="style.css")`` then
writes ``/static/style.<hash>.css``: a new version of a file is a new name, so the name can
be cached for a year (``immutable``) and browsers never ask again. The plain names keep
working (a CSS file's relative image URLs, old pages) with revalidation by ETag.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, request

YEAR = 365 * 24 * 3600
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".md", ".html"}


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file as served."""

    body: bytes
    gzipped: bytes | None
    mimetype: str
    etag: str


@dataclass(frozen=True, slots=True)
class Assets:
    """Every static file by its plain and its fingerprinted name."""

    files: dict[str, Asset]
    fingerprinted: dict[str, str]  # plain name -> fingerprinted name
    plain: dict[str, str]  # fingerprinted name -> plain name


def read_assets(folder: Path) -> Assets:
    """Read, hash and compress every file under ``folder``."""
    files: dict[str, Asset] = {}
    fingerprinted: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:12]
        zipped = None
        if path.suffix in COMPRESSIBLE:
            zipped = gzip.compress(body, compresslevel=9, mtime=0)
            zipped = zipped if len(zipped) < len(body) else None
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        files[name] = Asset(body, zipped, mimetype, digest)
        fingerprinted[name] = str(Path(name).with_suffix(f".{digest}{path.suffix}"))
    plain = {hashed: name for name, hashed in fingerprinted.items()}
    return Assets(files, fingerprinted, plain)


def init_app(app: Flask) -> None:
    """Serve ``app``'s static folder from memory and fingerprint its URLs."""
    if not app.static_folder:
        return
    assets = read_assets(Path(app.static_folder))
    app.extensions["static_assets"] = assets

    def fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = assets.fingerprinted.get(values["filename"], values["filename"])

    def serve(filename: str) -> Response:
        return static_response(assets, filename)

    app.url_defaults(fingerprint)
    app.view_functions["static"] = serve


def static_response(assets: Assets, filename: str) -> Response:
    """Answer one static file: a year of caching under its fingerprinted name."""
    name = assets.plain.get(filename)
    immutable = name is not None
    asset = assets.files.get(name or filename)
    if asset is None:
        abort(404)
    body = asset.body
    zipped = asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    if zipped and asset.gzipped is not None:
        body = asset.gzipped
    response = Response(body, mimetype=asset.mimetype)
    if asset.gzipped is not None:
        response.vary.add("Accept-Encoding")
    if zipped:
        response.content_encoding = "gzip"
    response.set_etag(asset.etag + ("-gz" if zipped else ""))
    if immutable:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
    response.make_conditional(request)
    return response
