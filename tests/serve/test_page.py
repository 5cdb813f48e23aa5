"""The page at / in Debian's chromium, driven by Playwright: upload a photo, pick blur, see the
result, download it, and see the error of a bad file. Screenshots go to $BODYSEG_ARTIFACTS (or
the test's temporary folder).

Chromium is Debian's (``apt-get install chromium``), started from its path: Playwright's own
browser download is never used.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bodyseg
from bodyseg.serve import Settings
from tests.serve.conftest import running_server

playwright_api = pytest.importorskip("playwright.sync_api", reason="the page tests need the playwright package")

CHROMIUM = Path(os.environ.get("BODYSEG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


#: True once a result is on the page and no request is running.
RESULT_SHOWN = (
    "document.querySelector('#result').naturalWidth > 0 && !document.querySelector('#download').hidden "
    "&& document.querySelector('#progress').hidden"
)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    """Where screenshots are kept: $BODYSEG_ARTIFACTS, else a temporary folder."""
    given = os.environ.get("BODYSEG_ARTIFACTS")
    folder = Path(given) if given else tmp_path_factory.mktemp("artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A chromium page (fresh profile) on a server running the default method and the fast one."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip(f"the page tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    executable = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    settings = Settings(workers=1, max_megapixels=2.0, preload=("bodyseg",))
    profile = tmp_path_factory.mktemp("chromium-profile")
    with running_server(settings) as url, playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        try:
            tab = browser.new_page()
            tab.goto(url + "/")
            tab.wait_for_function("document.querySelectorAll('#method option').length > 2")  # the methods loaded
            yield tab
        finally:
            browser.close()


def test_upload_pick_blur_see_the_result_and_download_it(page, artifacts, tmp_path):
    photo = tmp_path / "astronaut.jpg"
    shutil.copyfile(bodyseg.example_image(), photo)
    page.select_option("#effect", "blur")  # before the photo: a change after it would start a second request
    page.set_input_files("#file", str(photo))
    page.wait_for_function(RESULT_SHOWN, timeout=30_000)
    size = page.evaluate("(r => [r.naturalWidth, r.naturalHeight])(document.querySelector('#result'))")
    assert size == [512, 512]
    status = page.inner_text("#status-text")
    assert "bodyseg" in status and "1 person" in status and page.is_hidden("#error")
    page.fill("#slider", "30")
    page.screenshot(path=str(artifacts / "page-blur.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("#download")
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.name == "astronaut.blur.jpg"
    blurred = np.asarray(Image.open(saved))
    original = np.asarray(Image.open(photo))
    assert blurred.shape == original.shape and np.abs(blurred.astype(int) - original).mean() > 1


def test_a_bad_file_shows_the_servers_message(page, artifacts, tmp_path):
    notes = tmp_path / "notes.jpg"
    notes.write_text("this is not a photo")
    page.set_input_files("#file", str(notes))
    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    message = page.inner_text("#error")
    assert "not an image" in message and "notes.jpg" in message
    assert page.is_hidden("#result") and page.is_hidden("#download")
    page.screenshot(path=str(artifacts / "page-error.png"), full_page=True)


def test_a_second_effect_and_a_photo_over_the_limit(page, artifacts, tmp_path):
    big = tmp_path / "big.png"
    Image.new("RGB", (2000, 1500), (40, 40, 40)).save(big)
    page.set_input_files("#file", str(big))
    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    assert "over the limit of 2.0" in page.inner_text("#error")
    photo = tmp_path / "me.png"
    Image.open(bodyseg.example_image()).save(photo)
    page.select_option("#effect", "cutout")
    page.set_input_files("#file", str(photo))
    page.wait_for_function(
        f"{RESULT_SHOWN} && document.querySelector('#download').download === 'me.cutout.png'", timeout=30_000
    )
    assert page.is_hidden("#error")
    png = page.evaluate(
        "fetch(document.querySelector('#result').src).then(r => r.arrayBuffer())"
        ".then(b => Array.from(new Uint8Array(b)))"
    )
    assert Image.open(io.BytesIO(bytes(png))).mode == "RGBA"
    page.screenshot(path=str(artifacts / "page-cutout.png"), full_page=True)
