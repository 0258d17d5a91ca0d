"""The HTTP face: a Flask application factory serving the API, the log's files and the home page.

Every response passes the same hooks: a per-client rate limit (429 with
Retry-After), CORS headers for allied web apps, an ETag on every successful
read (so If-None-Match answers 304), and errors in one JSON shape
(api/http/errors.py). The browser's JavaScript modules and the stylesheet (api/static/) are
served at /static/ by Flask's own static route; pages render the templates of api/templates/. `coop serve` runs the app with waitress and starts the
webhook worker (`start_webhooks`).
"""
from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from api import settings as api_settings
from api.git_http import GitHTTP
from api.http import (
    apps,
    device_links,
    errors,
    governance,
    keys,
    ledger,
    members,
    pages,
    projects,
    root,
    statements,
    tiles,
    witness,
)
from api.http.service import EXTENSION, Service
from api.ratelimit import RateLimiter
from api.settings import ApiSettings
from api.webhooks.delivery import open_outbox
from coop.node import REPO_DIR, Node

BLUEPRINTS = (root.bp, members.bp, governance.bp, ledger.bp, tiles.bp, statements.bp, apps.bp, projects.bp, witness.bp, pages.bp, keys.bp,
               device_links.bp)
READS = ("GET", "HEAD", "OPTIONS")
EXPOSED = "ETag, Link, Location, Retry-After"
ALLOWED_HEADERS = "Content-Type, If-None-Match, Coop-Request-Signature"
# Static files have no content hash in their names, so a browser keeps them only a short while: a release reaches
# every page within ten minutes, and asking again costs a 304 (Flask sends an ETag and answers If-None-Match).
STATIC_MAX_AGE = 600


def create_app(node: Node, settings: ApiSettings | None = None) -> Flask:
    """Build the Flask application for an opened node."""
    app = Flask(__name__, static_folder="static")
    app.config["MAX_CONTENT_LENGTH"] = node.config["max_body"]
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = STATIC_MAX_AGE
    chosen = settings or api_settings.load(node.home)
    service = Service(node, chosen, open_outbox(node.home))
    app.extensions[EXTENSION] = service
    app.wsgi_app = GitHTTP(app.wsgi_app, node.home / REPO_DIR)  # type: ignore[method-assign]
    if chosen["proxies"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=chosen["proxies"])  # type: ignore[method-assign]
    errors.init_app(app)
    init_limits(app, chosen)
    init_headers(app, chosen)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app


def start_webhooks(app: Flask) -> None:
    """Start the background worker that turns commits into webhook deliveries."""
    app.extensions[EXTENSION].start_webhooks()


def stop(app: Flask) -> None:
    """Stop the app's background worker."""
    app.extensions[EXTENSION].stop()


def init_limits(app: Flask, settings: ApiSettings) -> None:
    """Refuse a client's requests beyond its per-minute allowance of reads and of writes."""
    reads, writes = RateLimiter(settings["rate_reads"]), RateLimiter(settings["rate_writes"])

    @app.before_request
    def limit() -> None:
        client = request.remote_addr or "unknown"
        if request.method in READS:
            reads.check(client, "reads")
        else:
            writes.check(client, "writes")


def init_headers(app: Flask, settings: ApiSettings) -> None:
    """Add CORS, caching and conditional-request handling to every response."""
    origins = settings.cors_origins()

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        origin = request.headers.get("Origin")
        if origin and ("*" in origins or origin in origins):
            response.headers["Access-Control-Allow-Origin"] = "*" if "*" in origins else origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, PUT, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
        if "*" not in origins:
            response.vary.add("Origin")
        if request.method == "OPTIONS" and response.status_code == 200:
            response.status_code = 204  # the answer is in the headers (Allow, CORS)
            response.set_data(b"")
            del response.headers["Content-Type"]
        if request.method in ("GET", "HEAD") and response.status_code == 200 and not response.direct_passthrough:
            response.headers.setdefault("Cache-Control", "no-cache")
            response.add_etag()
            response.make_conditional(request)
        return response
