"""``bodyseg serve``: its options reach the app's settings; bad ones fail before anything listens."""

from __future__ import annotations

import pytest

from bodyseg.cli import main

uvicorn = pytest.importorskip("uvicorn", reason="bodyseg serve needs the serve extra")


def test_options_reach_the_settings_and_uvicorn(monkeypatch):
    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))
    assert (
        main(
            [
                "serve",
                "--port",
                "8123",
                "--workers",
                "3",
                "--max-megapixels",
                "12",
                "--max-upload-mb",
                "8",
                "--max-concurrent",
                "5",
                "--timeout",
                "9",
                "--preload",
            ]
        )
        == 0
    )
    settings = seen["app"].state.settings
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8123)
    assert (settings.workers, settings.max_pixels, settings.max_upload_bytes, settings.admitted, settings.timeout) == (
        3,
        12_000_000,
        8_000_000,
        5,
        9.0,
    )
    assert settings.preload == ()


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["--workers", "0"], "workers must be at least 1"),
        (["--workers", "2", "--max-concurrent", "1"], "max_concurrent (1) must be at least workers (2)"),
        (["--preload", "nope"], "unknown method 'nope'"),
    ],
)
def test_bad_options_exit_2_before_listening(monkeypatch, capsys, args, phrase):
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("must not start"))
    assert main(["serve", *args] + ([] if "--preload" in args else ["--preload"])) == 2
    assert phrase in capsys.readouterr().err
