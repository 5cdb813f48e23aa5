"""Deep supervision: ICNet's cascade label guidance and the hourglass's intermediate losses."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from bodyseg import nets  # noqa: E402
from bodyseg.train.losses import get_loss  # noqa: E402
from bodyseg.train.supervision import deep_supervision_loss, resize_target  # noqa: E402

torch.set_num_threads(1)


def test_icnet_loss_is_lambda_weighted_over_the_cascade() -> None:
    model = nets.create("icnet").train()
    target = (torch.rand(2, 1, 64, 64) > 0.5).float()
    main, aux16, aux8 = model(torch.randn(2, 3, 64, 64))
    bce = get_loss("bce")
    expected = (
        bce(main, target)
        + 0.4 * bce(aux16, resize_target(target, (4, 4)))
        + 0.4 * bce(aux8, resize_target(target, (8, 8)))
    )
    got = deep_supervision_loss((main, aux16, aux8), target, bce, model.aux_weights)
    torch.testing.assert_close(got, expected)


def test_multi_class_targets_are_resized_as_labels() -> None:
    target = torch.arange(16).view(1, 4, 4) % 5
    small = resize_target(target, (2, 2))
    assert small.dtype == torch.long and set(small.unique().tolist()) <= set(target.unique().tolist())
    logits = (torch.randn(1, 5, 4, 4), torch.randn(1, 5, 2, 2))
    assert torch.isfinite(deep_supervision_loss(logits, target, get_loss("ce"), (1.0,)))


def test_plain_logits_and_a_weight_count_mismatch() -> None:
    bce = get_loss("bce")
    target = torch.ones(1, 1, 4, 4)
    torch.testing.assert_close(
        deep_supervision_loss(torch.zeros(1, 1, 4, 4), target, bce), bce(torch.zeros(1, 1, 4, 4), target)
    )
    with pytest.raises(ValueError, match="2 auxiliary outputs but 1 weights"):
        deep_supervision_loss((torch.zeros(1, 1, 4, 4),) * 3, target, bce, (0.4,))
