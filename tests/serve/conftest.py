"""A real bodyseg server (uvicorn on a free loopback port, in a thread) for the API and page tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi", reason="the server tests need the serve extra: pip install 'bodyseg[serve]'")
pytest.importorskip("httpx", reason="the server tests need httpx")
uvicorn = pytest.importorskip("uvicorn", reason="the server tests need the serve extra: pip install 'bodyseg[serve]'")

from bodyseg.serve import Settings, create_app  # noqa: E402
from tests.serve.fakes import register_fakes  # noqa: E402


@contextlib.contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """Serve ``create_app(settings)`` on 127.0.0.1 at a free port; yields the base URL."""
    register_fakes()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", timeout_keep_alive=5))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
