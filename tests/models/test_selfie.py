"""The selfie model run directly: its mirror averaging."""

from __future__ import annotations

import numpy as np

from bodyseg import example_image
from bodyseg.io import read_image
from bodyseg.models.selfie import SelfieModel


def test_flip_averages_the_image_and_its_mirror_mirrored_back():
    rgb = read_image(example_image())
    once, flipped = SelfieModel(), SelfieModel(flip=True)
    mirrored = once(np.ascontiguousarray(rgb[:, ::-1]))
    np.testing.assert_allclose(flipped(rgb), (once(rgb) + mirrored[:, ::-1]) / 2, atol=1e-6)
    assert np.abs(flipped(rgb) - once(rgb)).max() > 1e-3  # the mirror's view differs somewhere
    assert flipped(rgb).shape == once(rgb).shape == once.size
