"""``bodyseg serve``: the HTTP API and the page to try it, with bounded uploads, pixels, workers and time.

Example:
    >>> from bodyseg.serve import Settings, create_app  # doctest: +SKIP
    >>> app = create_app(Settings(workers=2, max_megapixels=12))  # doctest: +SKIP
"""

from bodyseg.serve.app import create_app
from bodyseg.serve.limits import Settings

__all__ = ["Settings", "create_app"]
