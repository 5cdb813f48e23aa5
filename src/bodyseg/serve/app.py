"""The HTTP API and the page: ``create_app(settings)`` builds the FastAPI app.

Every POST under ``/v1`` takes one image (multipart field ``file``, or the raw body with
Content-Type ``image/*``), the method and its options in the query string, and answers an image
(or JSON). Every refusal is ``{"error": code, "message": what to do}`` with a 4xx status, or 503
with Retry-After when the server is full; nothing is fetched from a URL.

Example:
    >>> app = create_app(Settings(workers=2))  # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from bodyseg import __version__, effects
from bodyseg.errors import BodysegError
from bodyseg.segmenters import (
    DEFAULT_METHOD,
    available,
    people_methods,
    segmenter_class,
)
from bodyseg.serve.limits import (
    ACCEPTED_FORMATS,
    HOW_TO_SEND,
    Problem,
    Settings,
)
from bodyseg.serve.pages import add_pages
from bodyseg.serve.routes import add_image_routes, json_value
from bodyseg.serve.workers import WorkerPool

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The bodyseg server: the ``/v1`` API, ``/healthz``, the page at ``/`` and ``/docs``.

    The worker threads start (and load ``settings.preload``) when the app starts, and stop with it.

    Example:
        >>> from fastapi.testclient import TestClient  # doctest: +SKIP
        >>> with TestClient(create_app(Settings(workers=1, preload=()))) as client:  # doctest: +SKIP
        ...     client.get("/healthz").json()["status"]
        'ok'
    """
    settings = settings or Settings()
    pool = WorkerPool(settings.workers, settings.admitted, settings.segmenters_per_worker, settings.preload)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(pool.start)
        log.info("bodyseg serve: %d workers, %d requests admitted at once", settings.workers, settings.admitted)
        try:
            yield
        finally:
            await asyncio.to_thread(pool.close)

    app = FastAPI(
        title="bodyseg",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Segment people in photos: masks, background blur or replacement, cut-outs, body parts. Every "
        "POST takes one image (multipart field `file` or raw image body) and answers an image or JSON.",
    )
    app.state.settings = settings
    app.state.pool = pool
    _add_error_handlers(app)
    add_pages(app)
    _add_info_routes(app, settings, pool)
    add_image_routes(app, settings, pool)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)

    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> JSONResponse:
        return error(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for item in exc.errors():
            name = ".".join(str(p) for p in item.get("loc", ())[1:]) or "request"
            parts.append(f"{name}={request.query_params.get(name, '')!r}: {item.get('msg', 'invalid')}")
        return error(400, "bad_parameter", "; ".join(parts) + " (see /docs for each endpoint's parameters)")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        advice = {
            400: f" ({HOW_TO_SEND})",
            404: "; the API is under /v1 (see /docs)",
            405: "; see /docs for each path's methods",
        }
        message = f"{exc.detail}{advice.get(exc.status_code, '')}"
        return error(exc.status_code, f"http_{exc.status_code}", message, getattr(exc, "headers", None))

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        log.info("client left during the upload of %s", request.url.path)  # nobody reads this answer
        return error(400, "client_disconnected", "the client closed the connection before the upload ended")

    @app.exception_handler(BodysegError)
    async def bodyseg_error(request: Request, exc: BodysegError) -> JSONResponse:
        return error(400, "bad_request", str(exc))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error(500, "internal", "the server failed on this request; its log has the details")


def _add_info_routes(app: FastAPI, settings: Settings, pool: WorkerPool) -> None:
    @app.get("/healthz", summary="is the server up, and how busy")
    async def healthz() -> JSONResponse:
        alive = pool.alive()
        body = {"status": "ok" if alive else "down", "version": __version__, **pool.stats()}
        return JSONResponse(body, status_code=200 if alive else 503)

    catalogue: dict[str, Any] = {}

    @app.get("/v1/methods", summary="the methods, effects and limits")
    def methods() -> dict[str, Any]:
        if not catalogue:
            catalogue.update(method_catalogue(settings))
        return catalogue


def method_catalogue(settings: Settings) -> dict[str, Any]:
    """What ``GET /v1/methods`` answers: each method (summary, finds people, options with their
    defaults), each effect (options), and the server's limits."""
    people = set(people_methods())
    methods = []
    for name, summary in available().items():
        entry: dict[str, Any] = {
            "name": name,
            "summary": summary,
            "people": name in people,
            "default": name == DEFAULT_METHOD,
        }
        try:
            parameters = inspect.signature(segmenter_class(name).__init__).parameters
            entry["options"] = {
                p.name: json_value(p.default)
                for p in parameters.values()
                if p.name not in ("self", "threads") and p.kind is p.POSITIONAL_OR_KEYWORD
            }
        except Exception as exc:  # a method whose module cannot load here is listed, marked unusable
            entry["options"], entry["unavailable"] = {}, str(exc)
        methods.append(entry)
    return {
        "default": DEFAULT_METHOD,
        "methods": methods,
        "effects": {
            name: {"summary": e.summary, "options": list(e.options()), "lossless": e.lossless}
            for name, e in effects.EFFECTS.items()
        },
        "limits": {
            "max_megapixels": settings.max_megapixels,
            "max_upload_mb": settings.max_upload_mb,
            "timeout_seconds": settings.timeout,
            "formats": list(ACCEPTED_FORMATS),
        },
    }
