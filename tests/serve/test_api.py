"""The HTTP API through httpx against the real app on a loopback port: every endpoint, every bad input.

Most requests use the fast ``mediapipe-selfie`` method or a fake registered in ``fakes.py``; the
default method runs twice (the mask of a request with no parameters, and the people JSON).
"""

from __future__ import annotations

import dataclasses
import io
import json
import threading
import time

import httpx
import numpy as np
import pytest
from PIL import Image

import bodyseg
from bodyseg.io.coco_rle import decode_mask
from bodyseg.segmenters import registry
from bodyseg.serve import Settings
from tests.serve.conftest import running_server
from tests.serve.fakes import PART_NAMES, centre_box, centre_parts

FAST = {"method": "mediapipe-selfie"}
PHOTO = bodyseg.example_image().read_bytes()  # 512x512 JPEG, one astronaut
#: The limits of the main test server: small, so the bad inputs stay small.
LIMITS = Settings(workers=2, max_megapixels=2.0, max_upload_mb=1.0, timeout=30.0, preload=())


@pytest.fixture(scope="module")
def client():
    with running_server(LIMITS) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def pixels(response: httpx.Response) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(response.content)))


def post(client: httpx.Client, path: str, data: bytes = PHOTO, **params) -> httpx.Response:
    """POST ``data`` as the multipart field ``file``."""
    return client.post(path, files={"file": ("photo.jpg", data)}, params=params)


def test_segment_without_parameters_answers_a_binary_mask_of_the_input_size(client):
    response = client.post("/v1/segment", files={"file": ("astronaut.jpg", PHOTO)})  # the default method
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    mask = pixels(response)
    assert mask.shape == (512, 512) and set(np.unique(mask)) == {0, 255}
    assert 0.1 < (mask == 255).mean() < 0.9
    assert response.headers["x-bodyseg-method"] == "bodyseg" and response.headers["x-bodyseg-people"] == "1"
    assert 'filename="astronaut.mask.png"' in response.headers["content-disposition"]


def test_segment_json_gives_each_person_as_coco_rle_with_keypoints(client):
    response = post(client, "/v1/segment", output="json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["images"][0] == {"id": 1, "file_name": "photo.jpg", "width": 512, "height": 512}
    (person,) = document["annotations"]
    person_mask = decode_mask(person["segmentation"])
    assert person_mask.shape == (512, 512) and person["area"] == int(person_mask.sum()) > 10_000
    assert len(person["keypoints"]) == 33 * 3 and person["num_keypoints"] > 10
    whole = decode_mask(document["mask"])
    assert (person_mask & ~whole).sum() < 0.02 * person_mask.sum()  # the person lies inside the whole mask
    assert document["method"] == "bodyseg" and "parts" not in document


def test_segment_soft_is_a_grey_probability(client):
    response = post(client, "/v1/segment", output="soft", **FAST)
    soft = pixels(response)
    assert response.status_code == 200 and soft.shape == (512, 512)
    assert len(np.unique(soft)) > 10  # grey levels, not a 0/255 mask


def test_raw_body_and_multipart_give_the_same_mask(client):
    raw = client.post("/v1/segment", content=PHOTO, headers={"content-type": "image/jpeg"}, params=FAST)
    form = post(client, "/v1/segment", **FAST)
    assert raw.status_code == form.status_code == 200
    assert np.array_equal(pixels(raw), pixels(form))


def test_threshold_changes_the_mask(client):
    low, high = (pixels(post(client, "/v1/segment", threshold=t, **FAST)) for t in (0.05, 0.95))
    assert (low == 255).sum() > (high == 255).sum()


def test_blur_keeps_the_format_and_blurs_only_the_background(client):
    response = post(client, "/v1/blur", strength=12, method="test-serve-parts")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    out, original = pixels(response).astype(int), np.asarray(Image.open(io.BytesIO(PHOTO))).astype(int)
    person = centre_box((512, 512))
    change = np.abs(out - original).mean(axis=2)
    inner = np.zeros_like(person)
    inner[160:352, 160:352] = True  # well inside the person, away from the feathered edge
    assert change[inner].mean() < 3 < change[~person].mean()
    as_png = post(client, "/v1/blur", format="png", **FAST)
    assert as_png.headers["content-type"] == "image/png" and pixels(as_png).shape == (512, 512, 3)


def test_replace_with_a_colour_or_an_uploaded_image(client):
    green = post(client, "/v1/replace", background="#00ff00", feather=0, method="test-serve-parts")
    assert green.status_code == 200
    assert np.abs(pixels(green)[5, 5].astype(int) - (0, 255, 0)).max() <= 8  # JPEG: near the colour
    red = png(np.full((50, 80, 3), (255, 0, 0), np.uint8))
    grey = png(np.full((64, 64, 3), 90, np.uint8))
    response = client.post(
        "/v1/replace",
        files={"file": ("p.png", grey), "background": ("bg.png", red)},
        params={"method": "test-serve-parts", "feather": 0},
    )
    out = pixels(response)
    assert response.headers["content-type"] == "image/png"  # PNG in, PNG out
    assert tuple(out[2, 2]) == (255, 0, 0) and tuple(out[32, 32]) == (90, 90, 90)


def test_cutout_is_rgba_with_the_mask_as_alpha(client):
    response = post(client, "/v1/cutout", feather=0, method="test-serve-parts")
    rgba = pixels(response)
    assert response.headers["content-type"] == "image/png" and rgba.shape == (512, 512, 4)
    assert np.array_equal(rgba[..., 3] == 255, centre_box((512, 512)))


@pytest.mark.parametrize("path", ["/v1/overlay", "/v1/splash"])
def test_overlay_and_splash(client, path):
    response = post(client, path, **FAST)
    out = pixels(response)
    assert response.status_code == 200 and out.shape == (512, 512, 3)
    assert np.abs(out.astype(int) - np.asarray(Image.open(io.BytesIO(PHOTO))).astype(int)).mean() > 2


def test_parts_answers_the_label_ids_and_their_names(client):
    response = post(client, "/v1/parts", method="test-serve-parts")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert np.array_equal(pixels(response), centre_parts((512, 512)))
    assert response.headers["x-bodyseg-part-names"] == ",".join(PART_NAMES)


def test_parts_of_a_method_without_parts_is_a_clear_400(client):
    response = post(client, "/v1/parts", **FAST)
    assert response.status_code == 400
    assert response.json()["error"] == "no_parts" and "gives no body parts" in response.json()["message"]


def test_segment_json_with_parts(client, monkeypatch):
    info = registry._METHODS["test-serve-parts"]
    monkeypatch.setitem(registry._METHODS, "test-serve-parts", dataclasses.replace(info, people=True))  # for this test
    document = post(client, "/v1/segment", output="json", parts="true", method="test-serve-parts").json()
    assert document["parts"]["names"] == list(PART_NAMES)
    labels = {entry["name"]: decode_mask(entry["segmentation"]) for entry in document["parts"]["labels"]}
    assert np.array_equal(labels["head"], centre_parts((512, 512)) == 1)


def test_the_default_method_with_parts_answers_lip_ids_and_per_person_parts(client):
    """The default method's ``parts`` option through /v1/parts and the people JSON."""
    from bodyseg.parts import LIP

    response = post(client, "/v1/parts", method="bodyseg", option="parts=lip")
    assert response.status_code == 200 and response.headers["x-bodyseg-part-names"] == ",".join(LIP.names)
    labels = pixels(response)
    assert labels.shape == (512, 512) and 0.1 < (labels > 0).mean() < 0.9 and labels.max() < LIP.num_classes
    document = post(client, "/v1/segment", output="json", parts="true", method="bodyseg", option="parts=lip").json()
    (person,) = document["annotations"]
    pieces = [decode_mask(entry["segmentation"]) for entry in person["parts"]["labels"]]
    assert np.array_equal(np.logical_or.reduce(pieces), decode_mask(person["segmentation"]))
    assert np.array_equal(decode_mask(document["parts"]["labels"][0]["segmentation"]), labels == 0)


def bad_inputs() -> dict[str, tuple[dict, int, str]]:
    """name -> (httpx request arguments, status, a phrase the message must contain)."""
    jpeg, image = "image/jpeg", "image/png"
    noise = png(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    return {
        "not an image": ({"files": {"file": ("notes.jpg", b"hello, not a photo")}}, 400, "not an image"),
        "empty file": ({"files": {"file": ("empty.png", b"")}}, 400, "empty"),
        "empty raw body": ({"content": b"", "headers": {"content-type": jpeg}}, 400, "empty"),
        "truncated jpeg": ({"files": {"file": ("cut.jpg", PHOTO[: len(PHOTO) // 2])}}, 400, "truncated"),
        "truncated png": ({"content": noise[:2000], "headers": {"content-type": image}}, 400, "truncated"),
        "upload over the byte limit": (
            {"content": PHOTO * 15, "headers": {"content-type": jpeg}},
            413,
            "over this server's limit of 1 MB",
        ),
        "over the pixel limit": (
            {"files": {"file": ("big.png", png(np.zeros((1500, 2000, 3), np.uint8)))}},
            413,
            "over the limit of 2.0",
        ),
        "too small": ({"files": {"file": ("dot.png", png(np.zeros((1, 1, 3), np.uint8)))}}, 422, "at least 16x16"),
        "wrong content type": (
            {"content": b"{}", "headers": {"content-type": "application/json"}},
            415,
            "multipart form field 'file'",
        ),
        "no body at all": ({}, 400, "has no image"),
        "broken multipart": (
            {"content": b"--x\r\nnonsense", "headers": {"content-type": "multipart/form-data"}},
            400,
            "boundary",
        ),
        "form without file": ({"files": {"photo": ("a.jpg", PHOTO)}}, 400, "unknown form field"),
        "a URL instead of a file": (
            {"files": {"file": (None, b"http://example.com/a.jpg")}},
            400,
            "must be a file upload",
        ),
        "unknown method": ({"params": {"method": "nope"}}, 400, "unknown method 'nope'"),
        "option without value": ({"params": {"option": "k"}}, 400, "KEY=VALUE"),
        "unknown method option": ({"params": {**FAST, "option": "k=3"}}, 400, "has no option k"),
        "option naming a file": (
            {"params": {"method": "net", "option": "weights=/etc/passwd"}},
            400,
            "never a file name or path",
        ),
        "option threads": ({"params": {"option": "threads=64"}}, 400, "option threads is set by the server"),
        "unknown parameter": ({"params": {"colour": "red"}}, 400, "unknown parameter colour"),
        "threshold out of range": ({"params": {"threshold": "5"}}, 400, "threshold='5'"),
        "threshold not a number": ({"params": {"threshold": "high"}}, 400, "valid number"),
        "json with a one-mask method": ({"params": {**FAST, "output": "json"}}, 400, "finds each person"),
        "unknown output": ({"params": {"output": "svg"}}, 400, "output='svg'"),
    }


@pytest.mark.parametrize("case", list(bad_inputs()))
def test_every_bad_input_gets_a_4xx_json_error_that_says_what_to_do(client, case):
    arguments, status, phrase = bad_inputs()[case]
    if not {"files", "content"} & set(arguments) and case != "no body at all":
        arguments["files"] = {"file": ("photo.jpg", PHOTO)}  # a good photo: the parameters are what is wrong
    response = client.post("/v1/segment", **arguments)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"} and phrase in body["message"]
    assert len(body["message"]) > 30  # a sentence, not a bare code


@pytest.mark.parametrize(
    "path, params, phrase",
    [
        ("/v1/replace", {}, "needs one background"),
        ("/v1/replace", {"background": "not-a-colour"}, "not a colour"),
        ("/v1/blur", {"strength": "-1"}, "greater than or equal to 0"),
        ("/v1/blur", {"feather": "1e9"}, "less than or equal to 50"),
        ("/v1/overlay", {"colour": "mauvish"}, "not a colour"),
        ("/v1/cutout", {"format": "jpeg"}, "unknown parameter format"),
    ],
)
def test_bad_effect_options_are_400(client, path, params, phrase):
    response = post(client, path, **FAST, **params)
    assert response.status_code == 400 and phrase in response.json()["message"]


def test_background_image_only_for_replace(client):
    response = client.post("/v1/blur", files={"file": ("a.jpg", PHOTO), "background": ("b.jpg", PHOTO)}, params=FAST)
    assert response.status_code == 400 and "only /v1/replace" in response.json()["message"]


def test_unknown_path_and_wrong_verb_are_json_4xx(client):
    missing = client.get("/v2/segment")
    assert missing.status_code == 404 and "/v1" in missing.json()["message"]
    wrong = client.get("/v1/blur")
    assert wrong.status_code == 405 and wrong.json()["error"] == "http_405"


def test_healthz_methods_and_docs(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["workers"] == 2 and health["inside"] == 0
    info = client.get("/v1/methods").json()
    selfie = next(m for m in info["methods"] if m["name"] == "mediapipe-selfie")
    assert selfie["options"] == {"model": "general"} and not selfie["people"]
    assert info["default"] == "bodyseg" and set(info["effects"]) >= {"blur", "replace", "cutout"}
    assert info["limits"]["max_megapixels"] == 2.0
    schema = client.get("/openapi.json").json()
    paths = {"/v1/segment", "/v1/blur", "/v1/replace", "/v1/cutout", "/v1/parts", "/v1/methods", "/healthz"}
    assert paths <= set(schema["paths"])
    assert "image/*" in schema["paths"]["/v1/blur"]["post"]["requestBody"]["content"]
    docs = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in docs and "cdn" not in docs
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_the_page_and_its_files_need_no_other_site(client):
    page = client.get("/")
    assert page.status_code == 200 and "static/app.js" in page.text
    for path in ("/", "/static/app.js", "/static/style.css"):
        response = client.get(path)
        assert response.status_code == 200
        assert "http://" not in response.text and "https://" not in response.text and "//cdn" not in response.text


def test_a_full_server_answers_503_with_retry_after_and_recovers():
    settings = Settings(workers=1, max_concurrent=2, timeout=30, preload=())
    slow = {"method": "test-serve-slow", "option": "seconds=1.0"}
    with running_server(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        answers: list[int] = []

        def send() -> None:
            answers.append(post(client, "/v1/segment", **slow).status_code)

        threads = [threading.Thread(target=send) for _ in range(2)]  # one runs, one waits: both slots taken
        for thread in threads:
            thread.start()
        time.sleep(0.4)
        refused = post(client, "/v1/segment", **slow)
        assert refused.status_code == 503 and refused.json()["error"] == "busy"
        assert int(refused.headers["retry-after"]) >= 1
        for thread in threads:
            thread.join()
        assert answers == [200, 200]
        assert post(client, "/v1/segment", **slow).status_code == 200  # the slots were given back
        assert client.get("/healthz").json()["inside"] == 0


def test_a_request_over_the_timeout_gets_503_and_its_slot_is_held_until_the_work_ends():
    settings = Settings(workers=1, max_concurrent=1, timeout=0.5, preload=())
    with running_server(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        response = post(client, "/v1/segment", method="test-serve-slow", option="seconds=1.5")
        assert response.status_code == 503 and response.json()["error"] == "timeout"
        assert "limit of 0.5 s" in response.json()["message"] and "retry-after" in response.headers
        assert client.get("/healthz").json()["inside"] == 1  # the worker still runs it: the bound holds
        assert post(client, "/v1/segment", method="test-serve-parts").json()["error"] == "busy"
        deadline = time.monotonic() + 10
        while client.get("/healthz").json()["inside"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert post(client, "/v1/segment", method="test-serve-parts").status_code == 200


def test_a_url_is_never_fetched(client):
    """A URL sent as the body, as the file field or as a parameter is refused with a 4xx."""
    url = "http://127.0.0.1:9/x.jpg"
    for arguments in (
        {"content": url.encode(), "headers": {"content-type": "text/uri-list"}},
        {"files": {"file": (None, url.encode())}},
        {"params": {"url": url}, "files": {"file": ("a.jpg", PHOTO)}},
    ):
        response = client.post("/v1/segment", **arguments)
        assert 400 <= response.status_code < 500 and json.loads(response.text)["message"]
