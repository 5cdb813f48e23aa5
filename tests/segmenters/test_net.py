"""The net segmenter: runs an exported ONNX net with its model card, checks the card, maps back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bodyseg.errors import MethodError
from bodyseg.segmenters.net import NetSegmenter
from tests.conftest import ccp_val_pairs, mean_iou_on

torch = pytest.importorskip("torch", reason="exporting a test net needs torch (pip install -e '.[dev]')")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small random U-Net exported at 64 px, with its card, and the torch model."""
    from bodyseg import nets
    from bodyseg.train.export import export_with_card

    torch.manual_seed(0)
    model = nets.create("unet").eval()
    folder = tmp_path_factory.mktemp("weights")
    onnx_path, card_path = export_with_card(
        model, folder / "tiny.onnx", arch="unet", data=["test"], size=64, num_classes=1, metrics={}
    )
    return model, onnx_path, card_path


def test_matches_torch_on_a_square_image(exported):
    model, onnx_path, _ = exported
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    seg = NetSegmenter(weights=str(onnx_path)).segment(rgb)
    x = (
        torch.from_numpy(rgb).float().permute(2, 0, 1)[None] / 255 - torch.tensor([0.485, 0.456, 0.406])[:, None, None]
    ) / torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    with torch.no_grad():
        expected = torch.sigmoid(model(x))[0, 0].numpy()
    assert seg.prob.shape == (64, 64)
    assert np.abs(seg.prob - expected).max() < 1e-4


def test_other_sizes_come_back_at_their_own_resolution(exported):
    _, onnx_path, _ = exported
    seg = NetSegmenter(weights=str(onnx_path)).segment(np.zeros((90, 40, 3), np.uint8))
    assert seg.prob.shape == (90, 40) and seg.meta["weights"] == "tiny.onnx"


def test_a_damaged_file_is_refused(exported, tmp_path):
    _, onnx_path, card_path = exported
    copy = tmp_path / "tiny.onnx"
    copy.write_bytes(onnx_path.read_bytes()[:-10] + b"0123456789")
    (tmp_path / "tiny.json").write_text(card_path.read_text())
    with pytest.raises(MethodError, match="does not match its card"):
        NetSegmenter(weights=str(copy))


def test_missing_card_and_broken_card(tmp_path, exported):
    _, onnx_path, _ = exported
    lonely = tmp_path / "lonely.onnx"
    lonely.write_bytes(onnx_path.read_bytes())
    with pytest.raises(MethodError, match="no model card lonely.json"):
        NetSegmenter(weights=str(lonely))
    (tmp_path / "lonely.json").write_text(json.dumps({"file": "lonely.onnx"}))
    with pytest.raises(MethodError, match="not a bodyseg model card"):
        NetSegmenter(weights=str(lonely))


def test_flip_averages_the_image_and_its_mirror(exported):
    model, onnx_path, _ = exported
    rgb = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    plain = NetSegmenter(weights=str(onnx_path), flip=False)
    assert plain.flip is False  # the card says nothing: no flip
    flipped = NetSegmenter(weights=str(onnx_path), flip=True)
    mirror_logits = plain.net.logits(rgb[:, ::-1].copy())[0][0]
    expected_logits = (plain.net.logits(rgb)[0][0] + mirror_logits[:, ::-1]) / 2
    assert np.abs(flipped.net.logits(rgb, flip=flipped.flip)[0][0] - expected_logits).max() < 1e-4


def test_the_card_can_ask_for_flip(exported, tmp_path):
    _, onnx_path, card_path = exported
    card = json.loads(card_path.read_text())
    card["test_time"] = {"flip": True}
    (tmp_path / "tiny.onnx").write_bytes(onnx_path.read_bytes())
    (tmp_path / "tiny.json").write_text(json.dumps(card))
    assert NetSegmenter(weights=str(tmp_path / "tiny.onnx")).flip is True
    assert NetSegmenter(weights=str(tmp_path / "tiny.onnx"), flip=False).flip is False


def test_only_whole_image_nets_count_as_shipped_weights():
    from bodyseg.models.person_net import shipped_weights

    assert "pose_refiner" not in shipped_weights()  # the pipeline's refiner takes 7 channels, not an image


def test_the_shipped_net_is_the_default_weights_and_says_what_it_measured():
    from bodyseg.segmenters import create

    with create("net") as segmenter:
        card = segmenter.net.card
    assert card["file"] == "person-unet.onnx" and card["architecture"] == "unet" and card["input"]["height"] == 160
    assert segmenter.flip is True  # the card asks for the mirror average
    assert not any(
        source.startswith(("ccp:val", "ccp-val")) for source in card["data"]
    )  # never trained on what it is scored on
    assert card["metrics"]["ccp-val:net"]["iou"] >= 0.90 and card["metrics"]["pfcn-val:net"]["dice"] >= 0.95


@pytest.mark.slow
def test_the_shipped_net_on_ccp_val_subset():
    """Every 4th ccp val photo (50); the shipped U-Net measured 0.909 on all 200 (mediapipe-selfie 0.924)."""
    assert mean_iou_on("net", ccp_val_pairs()[::4]) >= 0.88


def test_the_composite_weights_are_shipped_beside_and_say_how_they_were_trained():
    from bodyseg.models.person_net import shipped_weights

    assert {"person-unet", "person-unet-composite"} <= set(shipped_weights())
    segmenter = NetSegmenter(weights="person-unet-composite")
    assert segmenter.net.card["recipe"]["composite"] is True and len(segmenter.net.card["recipe"]["stages"]) == 2
    assert segmenter.net.card["metrics"]["pfcn-val:net"]["dice"] >= 0.95
