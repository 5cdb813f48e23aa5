"""The training loop: overfitting a few images, resume, part maps, curves, checkpoints and export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bodyseg import nets  # noqa: E402
from bodyseg.datasets import open_dataset  # noqa: E402
from bodyseg.errors import InputError  # noqa: E402
from bodyseg.train.augment import WholeView  # noqa: E402
from bodyseg.train.config import TrainConfig, TrainData, lr_factor  # noqa: E402
from bodyseg.train.data import SegmentationDataset  # noqa: E402
from bodyseg.train.export import export_best  # noqa: E402
from bodyseg.train.loop import evaluate, train  # noqa: E402

torch.set_num_threads(1)


def figure_data(folder: Path, size: int = 64) -> TrainData:
    """The same few synthetic photos for training and validation (letterboxed, no augmentation)."""
    samples = open_dataset(str(folder))
    return TrainData(
        train=SegmentationDataset([samples], "mask", WholeView(size)),
        val={"figures": SegmentationDataset([samples], "mask", WholeView(size))},
        kind="mask",
        num_classes=1,
    )


def config(out: Path, **changes) -> TrainConfig:
    base = dict(
        arch="unet",
        data=("figures",),
        size=64,
        epochs=2,
        batch_size=4,
        lr=3e-3,
        loss="bce",
        composite=False,
        augment=False,
        out=out,
        steps_per_epoch=3,
        warmup_steps=0,
        progress=False,
    )
    base.update(changes)
    return TrainConfig(**base)


def test_overfits_four_images(figures, tmp_path) -> None:
    data = figure_data(figures())
    torch.manual_seed(0)
    start = evaluate(
        nets.create("unet"),
        torch.utils.data.DataLoader(data.val["figures"], batch_size=4),
        torch.nn.functional.binary_cross_entropy_with_logits,
        1,
    )
    result = train(config(tmp_path / "run", epochs=2, steps_per_epoch=20, lr=1e-2), data=data)
    end = result.history[-1]["per_source"]["figures"]
    assert end["loss"] < 0.3 * start["loss"]
    assert end["iou"] > 0.8
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_resume_continues_epochs_and_weights_exactly(figures, tmp_path) -> None:
    folder = figures()
    straight = train(config(tmp_path / "straight"), data=figure_data(folder))
    first = train(config(tmp_path / "sliced"), data=figure_data(folder), until=1)
    assert [h["epoch"] for h in first.history] == [1]
    state = torch.load(tmp_path / "sliced" / "last.pt", weights_only=False)
    assert (
        state["epoch"] == 0
        and set(state["rng"]) == {"python", "numpy", "torch"}
        and "scheduler" in state
        and "optimizer" in state
    )
    resumed = train(config(tmp_path / "sliced"), data=figure_data(folder), resume=True)
    assert [h["epoch"] for h in resumed.history] == [1, 2]
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=False):
        torch.testing.assert_close(a, b, msg=f"{name} differs after resume")
    assert resumed.history[-1]["train_loss"] == pytest.approx(straight.history[-1]["train_loss"])


def test_run_folder_holds_checkpoints_history_and_curves(figures, tmp_path) -> None:
    run = tmp_path / "run"
    train(config(run, epochs=1, steps_per_epoch=1), data=figure_data(figures()))
    assert {p.name for p in run.iterdir()} >= {"last.pt", "best.pt", "history.json", "curves.png"}
    history = json.loads((run / "history.json").read_text())
    assert history[0]["epoch"] == 1 and "iou" in history[0]["per_source"]["figures"] and history[0]["images_per_s"] > 0
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resume_without_checkpoint_and_runs_inside_the_repo_are_refused(tmp_path) -> None:
    with pytest.raises(InputError, match="no checkpoint"):
        train(config(tmp_path / "empty"), resume=True, data=object())  # type: ignore[arg-type]
    repo = Path(__file__).resolve().parents[2]
    with pytest.raises(InputError, match="put runs in its runs/ folder or outside it"):
        train(config(repo / "tests" / "x"))  # inside the checkout, outside its git-ignored runs/


def test_schedules_decay_to_the_floor() -> None:
    assert lr_factor(0, 100, "cosine", warmup=10) == pytest.approx(0.1)
    assert lr_factor(100, 100, "cosine") == pytest.approx(0.01)
    assert lr_factor(99, 100, "poly") < 0.02
    with pytest.raises(InputError):
        lr_factor(1, 10, "step")


@pytest.mark.parametrize("arch", ["icnet", "hourglass"])
def test_deeply_supervised_nets_train_with_their_aux_losses(arch, figures, tmp_path) -> None:
    result = train(config(tmp_path / arch, arch=arch, epochs=1, steps_per_epoch=2), data=figure_data(figures()))
    assert np.isfinite(result.history[0]["train_loss"]) and np.isfinite(result.history[0]["val_loss"])


def test_export_writes_onnx_and_a_model_card_that_matches(figures, tmp_path) -> None:
    ort = pytest.importorskip("onnxruntime")
    from bodyseg.models.card import sha256_of

    run = tmp_path / "run"
    result = train(config(run, epochs=1, steps_per_epoch=2), data=figure_data(figures()))
    onnx_path, card_path = export_best(run)
    card = json.loads(card_path.read_text())
    assert card["architecture"] == "unet" and card["sha256"] == sha256_of(onnx_path)
    assert card["input"]["height"] == 64 and card["input"]["normalisation"]["mean"] == [0.485, 0.456, 0.406]
    assert card["parameters"] == 1_942_577 and "figures:val" in card["metrics"] and card["data"] == ["figures:train"]
    x = np.random.default_rng(0).normal(size=(1, 3, 64, 64)).astype(np.float32)
    best = torch.load(run / "best.pt", weights_only=False)
    model = nets.create("unet")
    model.load_state_dict(best["model"])
    with torch.no_grad():
        expected = model.eval()(torch.from_numpy(x)).numpy()
    got = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert result.best_epoch == 1
    assert card["test_time"] == {"flip": False} and card["recipe"]["size"] == 64
    # exported for a larger input than it was trained on, with test-time flip
    big_path, big_card_path = export_best(run, tmp_path / "big.onnx", size=96, flip=True)
    big_card = json.loads(big_card_path.read_text())
    assert (big_card["input"]["height"], big_card["recipe"]["size"], big_card["test_time"]) == (96, 64, {"flip": True})
    x96 = np.zeros((1, 3, 96, 96), np.float32)
    assert ort.InferenceSession(str(big_path), providers=["CPUExecutionProvider"]).run(None, {"image": x96})[
        0
    ].shape == (1, 1, 96, 96)


def test_part_segmentation_trains_on_ccp_part_maps(datasets, tmp_path) -> None:
    cfg = config(
        tmp_path / "parts",
        data=("ccp-parts",),
        loss="ce",
        class_weighting="exponential",
        epochs=1,
        steps_per_epoch=3,
        batch_size=2,
        train_limit=6,
        val_limit=2,
        augment=True,
        composite=True,
        data_root=datasets,
    )
    from bodyseg.train.loop import build_data

    data = build_data(cfg)
    assert len(data.train) == 6 and data.train.compositor is not None
    assert data.kind == "parts" and data.num_classes == 59 and data.class_names[19] == "hair"
    result = train(cfg, data=data)
    record = result.history[0]
    assert np.isfinite(record["train_loss"]) and 0.0 <= record["per_source"]["ccp-parts"]["iou"] <= 1.0
    assert result.model.state_dict()["head.weight"].shape[0] == 59


def test_export_of_the_last_epoch_carries_its_weights_and_figures(figures, tmp_path) -> None:
    ort = pytest.importorskip("onnxruntime")
    run = tmp_path / "run"
    train(config(run, epochs=2, steps_per_epoch=2), data=figure_data(figures()))
    onnx_path, card_path = export_best(run, tmp_path / "last.onnx", checkpoint="last")
    card = json.loads(card_path.read_text())
    last = torch.load(run / "last.pt", weights_only=False)
    assert card["recipe"]["last_epoch"] == 2 and "best_epoch" not in card["recipe"]
    assert card["metrics"]["figures:val"]["iou"] == last["history"][-1]["per_source"]["figures"]["iou"]
    model = nets.create("unet")
    model.load_state_dict(last["model"])
    x = np.random.default_rng(1).normal(size=(1, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = model.eval()(torch.from_numpy(x)).numpy()
    got = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4)
    with pytest.raises(InputError, match="'best' or 'last'"):
        export_best(run, checkpoint="newest")


def test_validation_iou_reads_soft_targets_at_one_half() -> None:
    import torch

    from bodyseg.train.loop import evaluate
    from bodyseg.train.losses import get_loss

    class Constant(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, :1] * 10 - 5  # logit > 0 where the first channel is 1

    x = torch.zeros(1, 3, 2, 2)
    x[0, 0, 0] = 1.0  # predicts the top row
    target = torch.tensor([[[[0.8, 0.6], [0.3, 0.0]]]])  # soft: the top row is person at 0.5
    loader = [(x, target)]
    assert evaluate(Constant(), loader, get_loss("bce"), num_classes=1, channels_last=False)["iou"] == pytest.approx(
        1.0
    )
