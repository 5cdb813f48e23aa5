"""The architecture zoo: registry, output shapes, parameter counts, aux outputs, channels_last, ONNX."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from bodyseg import nets  # noqa: E402
from bodyseg.errors import MethodError  # noqa: E402

torch.set_num_threads(1)
NAMES = sorted(nets.available())
#: Nets that return (main, *aux) in training mode.
DEEPLY_SUPERVISED = {"icnet": 2, "hourglass": 1}


def randomised(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """The model in eval mode with random batch-norm statistics, so outputs are not near-constant."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
    return model.eval()


def test_registry_lists_every_architecture_of_the_issue() -> None:
    assert set(NAMES) == {
        "unet",
        "unet-aspp",
        "fcn32s",
        "fcn16s",
        "fcn8s",
        "deeplabv3plus",
        "segnet",
        "icnet",
        "hourglass",
        "gcn",
        "ksac",
        "part-unet",
    }


def test_unknown_name_and_option_say_what_to_do() -> None:
    with pytest.raises(MethodError, match="choose one of"):
        nets.create("resnet-9000")
    with pytest.raises(MethodError, match="its options are: .*base"):
        nets.create("unet", bogus=1)
    with pytest.raises(MethodError, match="no option stride"):
        nets.create("fcn8s", stride=32)  # fixed by the registered name


def test_part_unet_is_half_the_width_cost_of_a_unet_and_sized_for_shipping() -> None:
    part = nets.create("part-unet", num_classes=20)
    assert nets.count_parameters(part) == 1_094_948  # the docstring's figure; float32 ONNX < 5 MB
    assert part.stem[0].stride == (2, 2)


def test_reduced_unet_has_a_sixteenth_of_the_original_parameters() -> None:
    assert nets.count_parameters(nets.create("unet")) == 1_942_577  # ~1.94 M, as docs/training.md states


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [(64, 64), (96, 128)])
def test_logits_at_input_resolution(name: str, size: tuple[int, int]) -> None:
    model = nets.create(name, num_classes=3).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, *size))
    assert out.shape == (2, 3, *size)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", ["unet", "deeplabv3plus", "segnet", "gcn", "icnet"])
def test_odd_sizes_are_padded_and_cropped(name: str) -> None:
    with torch.no_grad():
        assert nets.create(name).eval()(torch.randn(1, 3, 37, 53)).shape == (1, 1, 37, 53)


@pytest.mark.parametrize("name", NAMES)
def test_channels_last_gives_the_same_logits(name: str) -> None:
    torch.manual_seed(0)  # weights and input independent of the tests run before (segnet's max-pool ties could differ)
    model = randomised(nets.create(name))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = model(x)
        got = model.to(memory_format=torch.channels_last)(x.to(memory_format=torch.channels_last))
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_training_mode_output_and_backward(name: str) -> None:
    model = nets.create(name).train()
    out = model(torch.randn(2, 3, 64, 64))
    expected_aux = DEEPLY_SUPERVISED.get(name, 0)
    if expected_aux:
        assert isinstance(out, tuple) and len(out) == 1 + expected_aux
        assert len(model.aux_weights) == expected_aux
        assert out[0].shape == (2, 1, 64, 64)
    else:
        assert isinstance(out, torch.Tensor)
    assert nets.main_output(out).shape == (2, 1, 64, 64)
    sum(o.mean() for o in (out if isinstance(out, tuple) else (out,))).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_icnet_cascade_outputs_are_at_1_16_and_1_8() -> None:
    main, aux16, aux8 = nets.create("icnet").train()(torch.randn(2, 3, 64, 96))
    assert main.shape[-2:] == (64, 96) and aux16.shape[-2:] == (4, 6) and aux8.shape[-2:] == (8, 12)


def test_deeplab_output_stride_changes_resolution_not_weights() -> None:
    coarse, fine = nets.create("deeplabv3plus", output_stride=16), nets.create("deeplabv3plus", output_stride=8)
    assert nets.count_parameters(coarse) == nets.count_parameters(fine)
    x = torch.zeros(1, 3, 64, 64)
    assert coarse.backbone(x)[1].shape[-1] == 4 and fine.backbone(x)[1].shape[-1] == 8
    assert fine.context.branches[1][0][0].dilation == (12, 12)  # rates doubled at output stride 8


@pytest.mark.parametrize("separable", [True, False])
def test_ksac_shares_one_kernel_across_rates_and_saves_parameters(separable: bool) -> None:
    from bodyseg.nets.blocks import ASPP
    from bodyseg.nets.ksac import KernelSharingAtrous

    aspp, ksac = ASPP(160, 128, separable=separable), KernelSharingAtrous(160, 128, separable=separable)
    atrous_aspp = sum(nets.count_parameters(b) for b in aspp.branches[1:4])
    atrous_ksac = nets.count_parameters(ksac) - sum(
        nets.count_parameters(m) for m in (ksac.point, ksac.pooling, ksac.fuse)
    )
    batch_norm = sum(
        p.numel() for m in ksac.modules() if isinstance(m, torch.nn.BatchNorm2d) for p in m.parameters()
    ) - sum(
        p.numel()
        for m in (ksac.point, ksac.pooling, ksac.fuse)
        for n in m.modules()
        if isinstance(n, torch.nn.BatchNorm2d)
        for p in n.parameters()
    )
    assert (atrous_ksac - batch_norm) * 3 == atrous_aspp - batch_norm  # one kernel instead of three
    assert nets.count_parameters(ksac) < 0.8 * nets.count_parameters(aspp)
    if separable:  # the same head style as our DeepLabv3+, so the whole net is smaller too
        assert nets.count_parameters(nets.create("ksac")) < nets.count_parameters(nets.create("deeplabv3plus"))


def test_segnet_unpools_into_the_max_positions_and_exports_as_onnx_max_unpool(tmp_path) -> None:
    pytest.importorskip("onnx")
    import onnx

    from bodyseg.nets.segnet import max_pool_with_indices, max_unpool
    from bodyseg.train.export import export_onnx

    x = torch.randn(2, 4, 6, 10)
    pooled, indices = max_pool_with_indices(x)
    restored = max_unpool(pooled, indices)
    assert restored.shape == x.shape and torch.equal(restored[restored != 0], x[restored != 0])
    assert int((restored != 0).sum()) == pooled.numel()
    graph = onnx.load(str(export_onnx(nets.create("segnet"), tmp_path / "segnet.onnx", size=64))).graph
    kinds = [node.op_type for node in graph.node]
    assert kinds.count("MaxUnpool") == 5 and "ScatterElements" not in kinds


def test_fcn_upsampling_starts_bilinear_and_is_learned() -> None:
    model = nets.create("fcn32s")
    up = model.up_final
    assert up.weight.requires_grad and up.stride == (32, 32)
    ones = torch.ones(1, 1, 2, 2)
    assert torch.allclose(up(ones)[..., 16:48, 16:48], torch.ones(1, 1, 32, 32))  # bilinear of a flat map is flat


@pytest.mark.parametrize("name", NAMES)
def test_onnx_export_matches_torch(name: str, tmp_path) -> None:
    pytest.importorskip("onnx")
    from bodyseg.train.export import export_onnx

    model = randomised(nets.create(name, num_classes=2))
    path = export_onnx(model, tmp_path / f"{name}.onnx", size=(64, 96))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        expected = model(x).numpy()
    got = session.run(None, {"image": x.numpy()})[0]
    assert got.shape == expected.shape == (2, 2, 64, 96)
    assert expected.std() > 1e-3  # a real comparison, not of two near-constant maps
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("name", NAMES)
def test_docstring_states_the_measured_parameter_count(name: str) -> None:
    import re

    doc = nets.net_class(name).__doc__ or ""
    match = re.search(rf"{re.escape(name)} ([\d,]+)", doc) or re.search(r"Parameters \(measured\): ([\d,]+)", doc)
    assert match, f"{name}: the class docstring gives no 'Parameters (measured): N'"
    assert int(match.group(1).replace(",", "")) == nets.count_parameters(nets.create(name))
