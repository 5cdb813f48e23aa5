"""``bodyseg serve``: the HTTP API and the page, on FastAPI + uvicorn."""

from __future__ import annotations

import argparse
import logging

from bodyseg.errors import MethodError

log = logging.getLogger("bodyseg")

EXAMPLES = """examples:
  bodyseg serve                          # http://127.0.0.1:8000/ (page), /docs (API)
  bodyseg serve --workers 2 --max-megapixels 12
  curl -F file=@photo.jpg 'http://127.0.0.1:8000/v1/blur' -o blurred.jpg
  curl --data-binary @photo.jpg -H 'Content-Type: image/jpeg' 'http://127.0.0.1:8000/v1/segment' -o mask.png"""


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Register ``serve`` on the CLI's sub-command table."""
    from bodyseg.serve.limits import Settings, default_workers

    defaults = Settings(workers=1, preload=())
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP API and a web page to try it",
        description="Serve bodyseg over HTTP: POST /v1/segment, /v1/blur, /v1/replace, /v1/cutout, /v1/parts ..., "
        "a page at / and the API docs at /docs. Uploads, pixels, concurrency and time are bounded; "
        "no URL is ever fetched. There is no authentication: keep it on 127.0.0.1 or behind a proxy "
        "that has it.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s; 0.0.0.0 for every interface)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        metavar="N",
        help="model worker threads, each with its own models (default: the cores, here %(default)s)",
    )
    parser.add_argument(
        "--max-megapixels",
        type=float,
        default=defaults.max_megapixels,
        metavar="MP",
        help="refuse larger images, from their header, before decoding (default %(default)g)",
    )
    parser.add_argument(
        "--max-upload-mb",
        type=float,
        default=defaults.max_upload_mb,
        metavar="MB",
        help="refuse larger request bodies while they stream in (default %(default)g)",
    )
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=None,
        metavar="N",
        help="requests admitted at once (uploading, queued or running); one more gets 503 "
        "with Retry-After (default: 4 per worker)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=defaults.timeout,
        metavar="S",
        help="seconds a request may take, upload, queue and work (default %(default)g)",
    )
    parser.add_argument(
        "--preload",
        nargs="*",
        default=None,
        metavar="METHOD",
        help="methods each worker loads at start (default: the default method; an empty list: none)",
    )
    parser.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Build the app from the options and run it until interrupted."""
    try:
        import uvicorn

        from bodyseg.serve import Settings, create_app
    except ImportError as exc:
        raise MethodError(
            f"serving needs the serve extra ({exc.name} is missing): pip install 'bodyseg[serve]'"
        ) from None
    from bodyseg.segmenters import DEFAULT_METHOD, check_options

    preload = (DEFAULT_METHOD,) if args.preload is None else tuple(args.preload)
    for method in preload:
        check_options(method, {})
    settings = Settings(
        workers=args.workers,
        max_megapixels=args.max_megapixels,
        max_upload_mb=args.max_upload_mb,
        max_concurrent=args.max_concurrent,
        timeout=args.timeout,
        preload=preload,
    )
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s: anyone who reaches it can use it (there is no authentication)", args.host)
    log.warning(
        "bodyseg serve: http://%s:%d/ (page), /docs (API); %d workers, %d requests at once, Ctrl+C to stop",
        args.host,
        args.port,
        settings.workers,
        settings.admitted,
    )
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="warning",
        limit_concurrency=max(64, 4 * settings.admitted),  # connections: a second bound, past the app's own gate
        timeout_keep_alive=5,
    )
    return 0
