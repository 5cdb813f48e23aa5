"""Every model file shipped in bodyseg/weights has a card that names it, its digest, its source and licence.

The card schema (``bodyseg-model-card/1``) is the same for our ONNX nets and the third-party
.tflite models fetched by ``tools/fetch_models.py``; :data:`bodyseg.models.card.REQUIRED_KEYS` lists the keys every
card has.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bodyseg.models.card import card_problems

WEIGHTS = Path(str(resources.files("bodyseg") / "weights"))
CARDS = sorted(WEIGHTS.glob("*.json"))
MODEL_SUFFIXES = (".onnx", ".tflite")
FETCH_MODELS = Path(__file__).resolve().parents[2] / "tools" / "fetch_models.py"


def load(card_path: Path) -> dict[str, Any]:
    return json.loads(card_path.read_text(encoding="utf-8"))


def test_the_shipped_models_are_all_there() -> None:
    names = {card.stem for card in CARDS}
    assert {
        "pose_detection",
        "pose_landmark_lite",
        "pose_landmark_full",
        "selfie_segmentation",
        "selfie_segmentation_landscape",
        "face_detection_short_range",
        "person-unet",
        "pose_refiner",
        "part-net-lip",
    } <= names


def test_every_model_file_has_a_card() -> None:
    described = {load(card)["file"] for card in CARDS}
    files = {p.name for p in WEIGHTS.iterdir() if p.suffix in MODEL_SUFFIXES}
    assert files - described == set()


@pytest.mark.parametrize("card_path", CARDS, ids=[c.stem for c in CARDS])
def test_card_has_the_schema_and_matches_its_file(card_path: Path) -> None:
    assert card_problems(card_path) == []


def test_an_altered_model_file_is_caught(tmp_path: Path) -> None:
    card_path = WEIGHTS / "selfie_segmentation.json"
    copy = tmp_path / card_path.name
    shutil.copy(card_path, copy)
    model = shutil.copy(WEIGHTS / load(card_path)["file"], tmp_path)
    assert card_problems(copy) == []
    data = bytearray(Path(model).read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte changed, same size
    Path(model).write_bytes(bytes(data))
    assert [p for p in card_problems(copy) if "sha256" in p] != []


def test_a_card_missing_a_field_is_caught(tmp_path: Path) -> None:
    card_path = WEIGHTS / "pose_landmark_full.json"
    card = load(card_path)
    del card["licence"]
    (tmp_path / card_path.name).write_text(json.dumps(card), encoding="utf-8")
    assert card_problems(tmp_path / card_path.name) == ["no 'licence'"]


def test_fetch_models_check_catches_an_altered_file(tmp_path: Path) -> None:
    for name in ("face_detection_short_range.tflite", "face_detection_short_range.json"):
        shutil.copy(WEIGHTS / name, tmp_path)
    command = [
        sys.executable,
        str(FETCH_MODELS),
        "--check",
        "--only",
        "face_detection_short_range",
        "--out",
        str(tmp_path),
    ]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    model = tmp_path / "face_detection_short_range.tflite"
    model.write_bytes(model.read_bytes()[:-1] + b"\0")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "sha256" in done.stderr


def test_third_party_models_are_listed_in_the_notice() -> None:
    notice = (WEIGHTS / "NOTICE").read_text(encoding="utf-8")
    assert (WEIGHTS / "LICENSE-Apache-2.0.txt").read_text(encoding="utf-8").count("Apache License") >= 1
    for card in map(load, CARDS):
        if card["source"]["registry"] == "bodyseg":
            continue
        assert card["file"] in notice, f"{card['file']} is not in NOTICE"
        assert card["source"]["package"] in notice and card["source"]["version"] in notice
        assert card["licence"] in notice


TFLITE_CARDS = [c for c in CARDS if load(c)["file"].endswith(".tflite")]


@pytest.mark.parametrize("card_path", TFLITE_CARDS, ids=[c.stem for c in TFLITE_CARDS])
def test_tflite_card_describes_the_model_as_the_runtime_sees_it(card_path: Path) -> None:
    """Input name/shape/dtype and the outputs, in the order bodyseg.tflite returns them (sorted by name)."""
    interpreter_module = pytest.importorskip("ai_edge_litert.interpreter")
    card = load(card_path)
    interpreter = interpreter_module.Interpreter(model_path=str(card_path.with_name(card["file"])))
    (model_input,) = interpreter.get_input_details()
    assert (model_input["name"], model_input["shape"].tolist(), model_input["dtype"].__name__) == (
        card["input"]["name"],
        card["input"]["shape"],
        card["input"]["dtype"],
    )
    assert card["input"]["shape"][1:3] == [card["input"]["height"], card["input"]["width"]]
    outputs = sorted(interpreter.get_output_details(), key=lambda d: d["name"])
    assert [(d["name"], d["shape"].tolist(), d["dtype"].__name__) for d in outputs] == [
        (o["name"], o["shape"], o["dtype"]) for o in card["output"]
    ]
    assert all(o["meaning"] for o in card["output"])


def test_tflite_cards_are_not_offered_to_the_onnx_net_segmenter() -> None:
    """The net segmenter lists cards whose input channels are the string "RGB": the .tflite cards use a list."""
    from bodyseg.models.person_net import shipped_weights

    assert all(load(card)["file"].endswith(".onnx") for card in shipped_weights().values())


@pytest.mark.slow
def test_an_exported_net_gets_a_card_with_the_schema(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from bodyseg import nets
    from bodyseg.train.export import export_with_card

    _, card_path = export_with_card(
        nets.create("unet").eval(),
        tmp_path / "tiny.onnx",
        arch="unet",
        data=["test"],
        size=32,
        num_classes=1,
        metrics={},
        made_by="bodyseg train -o RUN",
    )
    assert card_problems(card_path) == []
    assert load(card_path)["made_by"] == "bodyseg train -o RUN"
