"""What the server accepts: its settings (every limit in one place), the errors it answers with,
the upload reader that counts bytes while they stream in, and the rule that keeps requests from
naming files on the server.

Example:
    >>> settings = Settings(workers=2, max_megapixels=12)
    >>> settings.max_pixels, settings.admitted
    (12000000, 8)
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bodyseg.errors import InputError
from bodyseg.segmenters import DEFAULT_METHOD

if TYPE_CHECKING:
    from starlette.requests import Request

#: Image formats the server decodes (Pillow names): the common photo formats, nothing exotic
#: (JPEG covers the MPO files some cameras write).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "PPM")
#: Form fields a POST may carry: the image and, for ``replace``, a background image.
FORM_FIELDS = ("file", "background")
#: How a client sends an image; repeated in every error about the request body.
HOW_TO_SEND = "send the image as the multipart form field 'file' or as the raw request body with Content-Type image/*"
#: Option values a request may give a method: words and numbers, never paths.
_WORD = re.compile(r"[A-Za-z0-9_-]{1,64}")


def default_workers() -> int:
    """One model worker per CPU core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """The server's limits.

    Attributes:
        workers: model worker threads, each with its own segmenters (default: one per core).
        max_megapixels: images with more pixels are refused from their header, before decoding.
        max_upload_mb: request bodies over this many megabytes are refused while they stream in.
        max_concurrent: requests admitted at once (running, waiting for a worker, or uploading);
            one more gets 503 with Retry-After. Default: 4 per worker.
        timeout: seconds a request may take from admission to answer (upload, queue and work).
        preload: methods each worker loads at start, so the first request does not pay for it.
        segmenters_per_worker: segmenters (method + options) a worker keeps loaded; the least
            recently used one is closed when a request needs another.

    Example:
        >>> Settings(workers=0)
        Traceback (most recent call last):
        ...
        bodyseg.errors.InputError: workers must be at least 1, got 0
    """

    workers: int = field(default_factory=default_workers)
    max_megapixels: float = 25.0
    max_upload_mb: float = 32.0
    max_concurrent: int | None = None
    timeout: float = 60.0
    preload: tuple[str, ...] = (DEFAULT_METHOD,)
    segmenters_per_worker: int = 3

    def __post_init__(self) -> None:
        for name, value, least in (
            ("workers", self.workers, 1),
            ("max_megapixels", self.max_megapixels, 0.0001),
            ("max_upload_mb", self.max_upload_mb, 0.001),
            ("timeout", self.timeout, 0.001),
            ("segmenters_per_worker", self.segmenters_per_worker, 1),
        ):
            if value < least:
                raise InputError(f"{name} must be at least {least:g}, got {value}")
        if self.max_concurrent is not None and self.max_concurrent < self.workers:
            raise InputError(f"max_concurrent ({self.max_concurrent}) must be at least workers ({self.workers})")

    @property
    def max_pixels(self) -> int:
        return int(self.max_megapixels * 1e6)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1e6)

    @property
    def admitted(self) -> int:
        """Requests admitted at once: ``max_concurrent`` or 4 per worker."""
        return self.max_concurrent if self.max_concurrent is not None else 4 * self.workers


class Problem(Exception):
    """An answer other than success: an HTTP status, a short error code and a message that says
    what to do. The app turns it into ``{"error": code, "message": message}``.

    Example:
        >>> Problem(413, "too_large", "the upload is over 32 MB; send a smaller file").status
        413
    """

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def upload_too_large(size: int | None, limit: int) -> Problem:
    got = f" ({size / 1e6:.1f} MB)" if size is not None else ""
    return Problem(
        413,
        "upload_too_large",
        f"the upload{got} is over this server's limit of {limit / 1e6:g} MB; "
        "send a smaller file (resize the photo or save it as JPEG)",
    )


def check_server_options(method: str, options: dict[str, Any]) -> None:
    """Refuse method options a request may not set on a shared server: ``threads`` (the server
    sizes its own pool) and any value that is not a plain word or number (no file names or
    paths: the server loads only the models it ships).

    Example:
        >>> check_server_options("net", {"weights": "person-unet-composite", "flip": True})
        >>> check_server_options("net", {"weights": "/tmp/evil.onnx"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bodyseg.serve.limits.Problem: option weights='/tmp/evil.onnx': a server request takes words ...
    """
    if "threads" in options:
        raise Problem(
            400,
            "bad_option",
            "option threads is set by the server (one thread per worker); drop it "
            "(the operator sets the number of workers with --workers)",
        )
    for key, value in options.items():
        if isinstance(value, str) and (not _WORD.fullmatch(value) or Path(value).exists()):
            raise Problem(
                400,
                "bad_option",
                f"option {key}={value!r}: a server request takes words and numbers "
                "only, never a file name or path (it runs only the models it ships); see GET /v1/methods "
                f"for {method}'s options",
            )


@dataclass
class Upload:
    """The bytes of a request's image (and, for ``replace``, of its background image)."""

    image: bytes
    name: str = "upload"
    background: bytes | None = None


Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


def counting_receive(receive: Receive, limit: int) -> Receive:
    """An ASGI ``receive`` that raises a 413 :class:`Problem` as soon as the body passes ``limit`` bytes."""
    total = 0

    async def receive_counted() -> MutableMapping[str, Any]:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > limit:
                raise upload_too_large(None, limit)
        return message

    return receive_counted


async def read_upload(request: Request, max_bytes: int) -> Upload:
    """The image of a POST: the multipart field ``file`` (and ``background``), or the raw body
    when its Content-Type is ``image/*`` (or ``application/octet-stream``); never a URL.

    The Content-Length is checked before anything is read; the bytes are counted as they stream
    in (a body without a length, or one that lies, stops at the limit).
    """
    from starlette.requests import Request  # here, so the CLI can read the settings without the serve extra

    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise upload_too_large(int(declared), max_bytes)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limited = Request(request.scope, counting_receive(request.receive, max_bytes))
    if kind == "multipart/form-data":
        return await _read_form(limited)
    if kind.startswith("image/") or kind == "application/octet-stream":
        data = bytearray()
        async for chunk in limited.stream():
            data += chunk
        return Upload(bytes(data))
    if not kind and declared in ("", "0"):
        raise Problem(400, "no_image", f"the request has no image; {HOW_TO_SEND} (no URLs: the server fetches nothing)")
    raise Problem(415, "unsupported_media_type", f"Content-Type {kind or 'missing'} is not an image; {HOW_TO_SEND}")


async def _read_form(request: Request) -> Upload:
    from starlette.datastructures import UploadFile

    form = await request.form(max_files=len(FORM_FIELDS), max_fields=len(FORM_FIELDS))
    try:
        unknown = sorted(set(form.keys()) - set(FORM_FIELDS))
        if unknown:
            raise Problem(
                400,
                "bad_field",
                f"unknown form field {', '.join(map(repr, unknown))}; the form takes "
                f"{' and '.join(FORM_FIELDS)} (files); options go in the query string",
            )
        image = form.get("file")
        if image is None:
            raise Problem(400, "no_image", f"the form has no field 'file'; {HOW_TO_SEND}")
        background = form.get("background")
        for key, value in (("file", image), ("background", background)):
            if value is not None and not isinstance(value, UploadFile):
                raise Problem(
                    400,
                    "bad_field",
                    f"form field {key!r} must be a file upload, not text (no URLs: the server fetches nothing)",
                )
        name = safe_name(image.filename or "upload")  # type: ignore[union-attr]
        return Upload(await image.read(), name, None if background is None else await background.read())  # type: ignore[union-attr]
    finally:
        await form.close()


def safe_name(name: str) -> str:
    """A client's file name reduced to letters, digits, ``.``, ``-`` and ``_`` (at most 80), for
    messages, JSON and the download name.

    Example:
        >>> safe_name("../../etc/passwd"), safe_name("Ünïcode photo.JPG")
        ('passwd', 'n_code_photo.JPG')
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")[:80]
    return cleaned or "upload"
