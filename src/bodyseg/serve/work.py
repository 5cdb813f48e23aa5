"""What one request computes on a worker: decode the upload, segment, draw, encode the answer.

No HTTP here: the load benchmark's in-process baseline runs exactly :func:`run_task`, so the
difference it measures is the server's own cost.

Example:
    >>> task = Task(effect="blur", method="mediapipe-selfie")
    >>> answer = run_task(task, Upload(photo_bytes, "me.jpg"), Segmenters(), max_pixels=25_000_000)  # doctest: +SKIP
    >>> answer.media_type  # doctest: +SKIP
    'image/jpeg'
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from bodyseg import effects
from bodyseg.errors import InputError
from bodyseg.io.coco_rle import encode_mask
from bodyseg.io.images import TooManyPixelsError, read_image_bytes
from bodyseg.io.people_json import part_rles, people_document
from bodyseg.result import Segmentation
from bodyseg.segmenters import MIN_SIDE
from bodyseg.serve.limits import ACCEPTED_FORMATS, Problem, Upload
from bodyseg.serve.workers import Segmenters

log = logging.getLogger(__name__)

#: Image formats an answer can be written in, with their media types.
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
#: What a request's ``output`` may ask of ``/v1/segment``: an effect's image, or the people as JSON.
SEGMENT_OUTPUTS = ("mask", "soft", "json")


@dataclass(frozen=True)
class Task:
    """What to compute for one request.

    Attributes:
        effect: an :data:`bodyseg.effects.EFFECTS` name, ``"json"`` (people as COCO JSON) or
            ``"parts"`` (a PNG of part label ids).
        method: the segmenter; ``method_options`` its options (already checked).
        effect_options: the effect's keyword options (``strength``, ``feather``, ``background``...).
        image_format: ``png``/``jpeg``/``webp`` for effects that may be lossy; None keeps the
            input's format (JPEG, PNG or WebP, else PNG). Masks, cut-outs and parts are always PNG.
        with_parts: ``json`` only: add the body parts (an error when the method gives none).
    """

    effect: str
    method: str
    method_options: Mapping[str, Any] = field(default_factory=dict)
    effect_options: Mapping[str, Any] = field(default_factory=dict)
    image_format: str | None = None
    with_parts: bool = False


@dataclass
class Answer:
    """The response of a request: its body, media type and headers."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


def run_task(task: Task, upload: Upload, segmenters: Segmenters, *, max_pixels: int) -> Answer:
    """Decode ``upload``, segment it with the worker's segmenter, draw and encode ``task``'s answer.

    Raises:
        Problem: the upload is not a usable image (400, 413 or 422), or the method gives no parts.
    """
    image = decode_upload(upload.image, upload.name, max_pixels)
    seg = segmenters.get(task.method, dict(task.method_options)).segment(image)
    headers = result_headers(seg)
    stem = upload.name.rsplit(".", 1)[0] if "." in upload.name else upload.name
    if task.effect == "json":
        threshold = task.effect_options.get("threshold")
        document = people_json(seg, upload.name, threshold=threshold, with_parts=task.with_parts)
        body = json.dumps(document, separators=(",", ":")).encode()
        return Answer(body, "application/json", headers | download_name(f"{stem}.people.json"))
    if task.effect == "parts":
        labels, names = part_labels(seg)
        headers["X-Bodyseg-Part-Names"] = ",".join(ascii_text(name) for name in names)
        return Answer(encode_image(labels, "png"), MEDIA_TYPES["png"], headers | download_name(f"{stem}.parts.png"))
    options = dict(task.effect_options)
    if upload.background is not None:
        options["background"] = decode_upload(upload.background, "background", max_pixels)
    drawn = effects.render(task.effect, image, seg, **options)
    fmt = "png" if effects.EFFECTS[task.effect].lossless else task.image_format or sniff_format(upload.image)
    extension = "jpg" if fmt == "jpeg" else fmt
    headers |= download_name(f"{stem}.{task.effect}.{extension}")
    return Answer(encode_image(drawn, fmt), MEDIA_TYPES[fmt], headers)


def decode_upload(data: bytes, name: str, max_pixels: int) -> np.ndarray:
    """RGB uint8 of uploaded bytes, or a :class:`Problem` saying what is wrong with them."""
    advice = "send a smaller image (resize it), or ask the server's operator to raise --max-megapixels"
    try:
        image = read_image_bytes(data, max_pixels=max_pixels, name=name, formats=ACCEPTED_FORMATS, advice=advice)
    except TooManyPixelsError as exc:
        raise Problem(413, "too_many_pixels", str(exc)) from None
    except InputError as exc:
        raise Problem(400, "bad_image", str(exc)) from None
    except Exception as exc:  # a decoder tripped on hostile or odd bytes: the bytes' fault, not the server's
        log.info("decoding %s failed: %r", name, exc)
        raise Problem(
            400, "bad_image", f"{name}: the image cannot be decoded ({type(exc).__name__}); re-export it as JPEG or PNG"
        ) from None
    if min(image.shape[:2]) < MIN_SIDE:
        raise Problem(
            422,
            "too_small",
            f"{name}: the image is {image.shape[1]}x{image.shape[0]}; bodyseg needs at "
            f"least {MIN_SIDE}x{MIN_SIDE} pixels to find a person; send a larger image",
        )
    return image


def people_json(
    seg: Segmentation, name: str, *, threshold: float | None = None, with_parts: bool = False
) -> dict[str, Any]:
    """The CLI's people document (COCO: one annotation per person with its RLE mask, box, score and
    keypoints) plus ``method``, ``ms``, ``warnings``, the whole ``mask`` as an RLE and, when asked,
    ``parts`` (the label names and one RLE per label present)."""
    document = people_document(seg, name)
    document["method"] = seg.meta.get("method")
    document["ms"] = round(float(seg.meta.get("ms", 0.0)), 1)
    document["warnings"] = list(seg.warnings)
    document["mask"] = encode_mask(seg.mask(0.5 if threshold is None else threshold))
    if with_parts:
        labels, names = part_labels(seg)
        document["parts"] = part_rles(labels, names)
    return document


def part_labels(seg: Segmentation) -> tuple[np.ndarray, tuple[str, ...]]:
    """The part label map (uint8, or uint16 past 255 labels) and names; a 400 when the method gives none."""
    if seg.parts is None:
        method = seg.meta.get("method", "this method")
        raise Problem(
            400,
            "no_parts",
            f"{method} gives no body parts; choose a method that does (GET /v1/methods "
            "lists each method's outputs) or ask for the mask",
        )
    labels = np.asarray(seg.parts.labels)
    kind = np.uint8 if labels.max(initial=0) < 256 else np.uint16
    return labels.astype(kind), tuple(seg.parts.names)


def encode_image(array: np.ndarray, fmt: str) -> bytes:
    """PNG, JPEG (quality 90) or WebP (quality 90) bytes of an HxW, HxWx3 or HxWx4 uint8 (or
    HxW uint16, PNG only) array; a JPEG of an RGBA image drops the alpha (asked for explicitly).

    Example:
        >>> encode_image(np.zeros((2, 2), np.uint8), "png")[:4]
        b'\\x89PNG'
    """
    if array.dtype == np.uint16:
        pil = Image.fromarray(array.astype(np.int32)).convert("I;16")
    else:
        pil = Image.fromarray(array)
    if fmt == "jpeg" and pil.mode == "RGBA":
        pil = pil.convert("RGB")
    options = {"compress_level": 3} if fmt == "png" else {"quality": 90}
    buffer = io.BytesIO()
    pil.save(buffer, format=fmt.upper(), **options)
    return buffer.getvalue()


def sniff_format(data: bytes) -> str:
    """``jpeg``, ``png`` or ``webp`` from an upload's first bytes; ``png`` for anything else.

    Example:
        >>> sniff_format(b"\\xff\\xd8\\xff\\xe0..."), sniff_format(b"RIFF\\x00\\x00\\x00\\x00WEBPVP8 ")
        ('jpeg', 'webp')
        >>> sniff_format(b"BM..")
        'png'
    """
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "png"


def result_headers(seg: Segmentation) -> dict[str, str]:
    """``X-Bodyseg-*`` headers of a result: method, milliseconds, people found, warnings (JSON)."""
    return {
        "X-Bodyseg-Method": ascii_text(str(seg.meta.get("method", ""))),
        "X-Bodyseg-Ms": f"{float(seg.meta.get('ms', 0.0)):.0f}",
        "X-Bodyseg-People": str(len(seg.people)),
        "X-Bodyseg-Warnings": json.dumps(seg.warnings)[:1000],
    }


def download_name(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'inline; filename="{ascii_text(name)}"'}


def ascii_text(text: str) -> str:
    """Header-safe text: printable ASCII, no quotes or commas.

    Example:
        >>> ascii_text('left "arm", é')
        'left arm ?'
    """
    return "".join(c if 32 <= ord(c) < 127 and c not in '",' else "?" if ord(c) >= 127 else "" for c in text).strip()
