"""The image endpoints under ``/v1``: one image in (multipart ``file`` or a raw image body), the method and
its options in the query, an image or JSON out; the limits apply while the upload streams."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import Response

from bodyseg import effects
from bodyseg.errors import MethodError
from bodyseg.segmenters import (
    DEFAULT_METHOD,
    check_finds_people,
    check_options,
)
from bodyseg.segmenters.registry import parse_option_pairs
from bodyseg.serve.limits import (
    Problem,
    Settings,
    check_server_options,
    read_upload,
)
from bodyseg.serve.work import Answer, Task, run_task
from bodyseg.serve.workers import Busy, JobTimeout, Segmenters, WorkerPool

#: The OpenAPI description of the body every POST takes (read by hand, so the limits apply while it streams).
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The image: the multipart field `file` (with `background` for /v1/replace), or the raw body "
        "with Content-Type image/*. JPEG, PNG, WebP, BMP, TIFF, GIF or PPM.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "background": {
                            "type": "string",
                            "format": "binary",
                            "description": "/v1/replace: the new background",
                        },
                    },
                }
            },
            "image/*": {"schema": {"type": "string", "format": "binary"}},
        },
    },
}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": 'bad image or option: `{"error": code, "message": what to do}`'},
    408: {"description": "the upload took longer than the server's timeout"},
    413: {"description": "the upload (bytes) or the image (pixels) is over the server's limit"},
    415: {"description": "the body is not an image (Content-Type)"},
    422: {"description": "the image is too small to find a person in"},
    503: {"description": "the server is full or the request timed out; retry after `Retry-After` seconds"},
}


QUERY_HELP = {
    "method": "the segmenter (GET /v1/methods); default: the best measured",
    "option": "a method option KEY=VALUE, repeatable, e.g. option=model=landscape",
}


@dataclass(frozen=True)
class MethodChoice:
    """The method a request names and its options, checked."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


def method_choice(
    method: Annotated[str | None, Query(description=QUERY_HELP["method"])] = None,
    option: Annotated[list[str] | None, Query(description=QUERY_HELP["option"])] = None,
) -> MethodChoice:
    """The request's method and options, or a 400 naming what exists (runs in a thread: the first
    use of a method imports its module)."""
    name = method or DEFAULT_METHOD
    try:
        options = parse_option_pairs(option or [])
        check_options(name, options)
    except MethodError as exc:
        raise Problem(400, "bad_method", str(exc)) from None
    check_server_options(name, options)
    return MethodChoice(name, options)


def json_value(value: Any) -> Any:
    if value is inspect.Parameter.empty:
        return None
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


# The query parameters of the image endpoints, each with its range and help.
SegmentOutput = Annotated[
    Literal["mask", "soft", "json"],
    Query(
        description="mask: 0/255 PNG; soft: 8-bit probability PNG; json: people as COCO RLE + keypoints "
        "(a method that finds each person)"
    ),
]


Threshold = Annotated[float, Query(ge=0.0, le=1.0, description="probability above which a pixel is person")]


WithParts = Annotated[bool, Query(description="output=json: add the body parts (a method that gives them)")]


Strength = Annotated[
    float | None,
    Query(ge=0.0, le=500.0, description="background blur, Gaussian sigma in pixels (default 1.5% of the diagonal)"),
]


Feather = Annotated[
    float | None,
    Query(
        ge=0.0,
        le=50.0,
        description="edge softness, Gaussian sigma in pixels (default 0.3% of the diagonal; 0 for a hard edge)",
    ),
]


ImageFormat = Annotated[
    Literal["jpeg", "png", "webp"] | None,
    Query(description="the answer's format; default: the input's (JPEG, PNG or WebP), else PNG"),
]


BackgroundColour = Annotated[
    str | None,
    Query(
        max_length=64,
        description="a colour: white, #00ff00 or 0,255,0 (or send an image as the multipart field background)",
    ),
]


MaskColour = Annotated[
    str | None, Query(max_length=64, description="one colour for the mask (default: one per person)")
]


Opacity = Annotated[float, Query(ge=0.0, le=1.0, description="mask opacity")]


Method = Annotated[MethodChoice, Depends(method_choice)]


def add_image_routes(app: FastAPI, settings: Settings, pool: WorkerPool) -> None:
    """POST /v1/segment, /v1/parts and one route per effect."""

    async def answer(request: Request, task: Task) -> Response:
        """Check the query, admit, read the upload, run the task on a worker, answer."""
        allowed = query_names(request.scope["endpoint"])
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise Problem(
                400,
                "bad_parameter",
                f"unknown parameter {', '.join(unknown)}; {request.url.path} takes: "
                f"{', '.join(sorted(allowed))} (method options go in option=KEY=VALUE)",
            )
        try:
            ticket = pool.admit()
        except Busy:
            raise Problem(
                503,
                "busy",
                f"the server is busy ({settings.admitted} requests in progress); retry shortly",
                {"Retry-After": str(pool.retry_after())},
            ) from None
        try:
            clock = asyncio.get_running_loop().time
            started = clock()
            try:
                upload = await asyncio.wait_for(read_upload(request, settings.max_upload_bytes), settings.timeout)
            except asyncio.TimeoutError:
                raise Problem(
                    408,
                    "upload_timeout",
                    f"the upload took longer than {settings.timeout:g} s; "
                    "send a smaller file or use a faster connection",
                ) from None
            _check_background(task, upload.background is not None)
            remaining = max(0.001, settings.timeout - (clock() - started))

            def job(segmenters: Segmenters) -> Answer:
                return run_task(task, upload, segmenters, max_pixels=settings.max_pixels)

            try:
                result = await pool.run(ticket, job, remaining)
            except JobTimeout as exc:
                where = "its work" if exc.started else "the queue"
                raise Problem(
                    503,
                    "timeout",
                    f"the request took longer than this server's limit of "
                    f"{settings.timeout:g} s (stopped in {where}); retry later, send a smaller image or "
                    "choose a faster method (e.g. method=mediapipe-selfie)",
                    {"Retry-After": str(pool.retry_after())},
                ) from None
        finally:
            ticket.release()
        return Response(result.body, media_type=result.media_type, headers=result.headers)

    def route(path: str, summary: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return app.post(
            path, summary=summary, response_class=Response, openapi_extra=UPLOAD_BODY, responses=ERROR_RESPONSES
        )

    @route("/v1/segment", "person mask (PNG 0/255), soft mask (8-bit PNG) or people as JSON (COCO RLE, keypoints)")
    async def segment(
        request: Request,
        choice: Method,
        output: SegmentOutput = "mask",
        threshold: Threshold = 0.5,
        parts: WithParts = False,
    ) -> Response:
        if output == "json":
            try:
                check_finds_people(choice.name, "output=json")
            except MethodError as exc:
                raise Problem(400, "bad_method", str(exc)) from None
        elif parts:
            raise Problem(
                400, "bad_parameter", "parts=true goes with output=json; for a PNG of the parts use POST /v1/parts"
            )
        options = {} if output == "soft" else {"threshold": threshold}
        return await answer(request, Task(output, choice.name, choice.options, options, with_parts=parts))

    @route("/v1/blur", "portrait mode: the background blurred, people sharp")
    async def blur(
        request: Request, choice: Method, strength: Strength = None, feather: Feather = None, format: ImageFormat = None
    ) -> Response:
        task = Task("blur", choice.name, choice.options, {"strength": strength, "feather": feather}, format)
        return await answer(request, task)

    @route("/v1/replace", "people on a new background: a colour (background=) or an image (form field background)")
    async def replace(
        request: Request,
        choice: Method,
        background: BackgroundColour = None,
        feather: Feather = None,
        format: ImageFormat = None,
    ) -> Response:
        if background is not None:
            effects.parse_colour(background)  # a bad colour fails now, before the upload
        task = Task("replace", choice.name, choice.options, {"background": background, "feather": feather}, format)
        return await answer(request, task)

    @route("/v1/cutout", "RGBA PNG: people opaque, background transparent")
    async def cutout(request: Request, choice: Method, feather: Feather = None) -> Response:
        return await answer(request, Task("cutout", choice.name, choice.options, {"feather": feather}))

    @route("/v1/overlay", "the mask coloured over the photo (one colour per person), for review")
    async def overlay(
        request: Request,
        choice: Method,
        colour: MaskColour = None,
        opacity: Opacity = 0.5,
        threshold: Threshold = 0.5,
        format: ImageFormat = None,
    ) -> Response:
        if colour is not None:
            effects.parse_colour(colour)
        options = {"colour": colour, "opacity": opacity, "threshold": threshold}
        return await answer(request, Task("overlay", choice.name, choice.options, options, format))

    @route("/v1/splash", "colour splash: people in colour, the rest grey")
    async def splash(request: Request, choice: Method, feather: Feather = None, format: ImageFormat = None) -> Response:
        return await answer(request, Task("splash", choice.name, choice.options, {"feather": feather}, format))

    @route("/v1/parts", "body-part label ids as a PNG (names in the X-Bodyseg-Part-Names header)")
    async def parts(request: Request, choice: Method) -> Response:
        return await answer(request, Task("parts", choice.name, choice.options))


@functools.cache
def query_names(endpoint: Callable[..., Any]) -> frozenset[str]:
    """The query parameters an endpoint takes: its own, plus ``method`` and ``option``."""
    own = {name for name in inspect.signature(endpoint).parameters if name not in ("request", "choice")}
    return frozenset(own | set(inspect.signature(method_choice).parameters))


def _check_background(task: Task, has_image: bool) -> None:
    """``replace`` needs exactly one background; other effects take none."""
    colour = task.effect_options.get("background")
    if task.effect == "replace" and has_image == (colour is not None):
        raise Problem(
            400,
            "bad_background",
            "replace needs one background: a colour (background=white) or an image "
            "(the multipart form field background), not both and not neither",
        )
    if task.effect != "replace" and has_image:
        raise Problem(400, "bad_field", "only /v1/replace takes a background image")
