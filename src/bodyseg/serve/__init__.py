"""``bodyseg serve``: the HTTP API and the page to try it, with bounded uploads, pixels, workers and time.

FastAPI and uvicorn (the ``serve`` extra) are imported only when the app is made, so the rest of
bodyseg, its CLI included, works without them.

Example:
    >>> from bodyseg.serve import Settings, create_app  # doctest: +SKIP
    >>> app = create_app(Settings(workers=2, max_megapixels=12))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from bodyseg.serve.limits import Settings

__all__ = ["Settings", "create_app"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """The FastAPI app (see :func:`bodyseg.serve.app.create_app`); needs the ``serve`` extra."""
    from bodyseg.errors import missing_package

    try:
        from bodyseg.serve.app import create_app as make
    except ModuleNotFoundError as exc:
        raise missing_package(exc, "bodyseg serve") from None
    return make(*args, **kwargs)
