"""The page at ``/`` (plain HTML, CSS and JS from ``static/``: no CDN) and the OpenAPI page at ``/docs``, offline."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

log = logging.getLogger(__name__)


def add_pages(app: FastAPI) -> None:
    if (STATIC / "index.html").is_file():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

        @app.get("/", include_in_schema=False)
        async def page() -> FileResponse:
            return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})
    else:  # an install without the package data: the API still works
        log.warning("the page's files are missing from %s (reinstall bodyseg); serving the API only", STATIC)

        @app.get("/", include_in_schema=False)
        async def no_page() -> HTMLResponse:
            return HTMLResponse(
                "<!doctype html><title>bodyseg</title><p>The page is not installed here; "
                "the API is described at <a href='docs'>/docs</a>.</p>"
            )

    assets = _swagger_assets()
    if assets is not None:
        app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        if assets is None:
            return HTMLResponse(_plain_docs(app))
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title="bodyseg API",
            swagger_js_url=f"{root}/docs-assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs-assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs-assets/favicon.png",
        )


def _swagger_assets() -> Path | None:
    """Swagger UI's files from the ``fastapi-offline`` package (no CDN), or None without it."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    folder = Path(fastapi_offline.__file__).parent / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def _plain_docs(app: FastAPI) -> str:
    """A plain page of the endpoints, for installs without Swagger UI's files."""
    rows = []
    for path, operations in app.openapi()["paths"].items():
        for verb, operation in operations.items():
            params = ", ".join(p["name"] for p in operation.get("parameters", []))
            summary = operation.get("summary", "")
            rows.append(f"<li><code>{verb.upper()} {path}</code> {summary} <small>{params}</small></li>")
    return (
        f"<!doctype html><title>bodyseg API</title><h1>bodyseg API</h1><ul>{''.join(rows)}</ul>"
        "<p>The OpenAPI schema is at <a href='/openapi.json'>/openapi.json</a>; install fastapi-offline for the "
        "interactive page.</p>"
    )
