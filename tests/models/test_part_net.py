"""Our shipped part net: its card, its classes, its outputs on a crop."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.errors import MethodError
from bodyseg.models.card import shipped_card
from bodyseg.models.part_net import PartNet, crop_probabilities, resolve_part_card, softmax
from bodyseg.parts import LIP


@pytest.fixture(scope="module")
def net() -> PartNet:
    return PartNet.load()


def test_the_shipped_part_net_speaks_lip_and_is_small(net):
    assert net.names == LIP.names and net.size == 192
    card = net.card
    assert card["architecture"] == "part-unet" and card["data"] == ["viton-parts:train", "ccp-lip:train"]
    assert card["bytes"] < 5_000_000
    assert any("bodyseg train --arch part-unet" in command for command in card["made_by"])


def test_crop_logits_cover_the_crop_at_the_nets_scale(net):
    logits, scale = net.crop_logits(np.zeros((384, 192, 3), np.uint8))
    assert logits.shape == (20, 192, 96) and scale == 0.5
    prob = net.probabilities(np.zeros((100, 60, 3), np.uint8))
    assert prob.shape == (20, 100, 60) and np.allclose(prob.sum(axis=0), 1.0, atol=1e-4)


def test_softmax_and_crop_probabilities_by_hand():
    assert softmax(np.array([[0.0], [np.log(3.0)]]))[:, 0].tolist() == pytest.approx([0.25, 0.75])
    from bodyseg.geometry import Letterbox

    box = Letterbox.fit((4, 2), 4)  # a 4x2 crop in a 4x4 square: columns 1-2 are the crop
    logits = np.zeros((2, 4, 4), np.float32)
    logits[1, :, 1:3] = 10.0
    prob = crop_probabilities(logits, box)
    assert prob.shape == (2, 4, 2) and (prob[1] > 0.99).all()


def test_a_person_net_card_is_refused_as_a_part_net():
    with pytest.raises(MethodError, match="not a part net"):
        PartNet.load(shipped_card("person-unet"))
    with pytest.raises(MethodError, match="no part net card"):
        resolve_part_card("no-such-net")
