"""Dense CRF (Krähenbühl and Koltun, 2011): a person probability snapped to the photo's edges.

The unary term is the probability itself (``-log p`` and ``-log(1 - p)``, clipped to
[1e-4, 1 - 1e-4]); two pairwise terms pull pixels to the same label: a Gaussian on position
(removes speckle and thin spurs) and a bilateral one on position and colour (pixels of like
colour nearby agree, so the boundary moves to colour edges). Mean-field inference runs
``iterations`` steps.

Large images run at a reduced size: the photo and the probability are shrunk (area averaging)
so the longer side is at most ``max_side`` (512 by default), the CRF runs there, and its person
marginal is brought back to the input's size by bilinear interpolation. So the cost is bounded
(about as much per image as a 512 px CRF) and the spatial widths, given in pixels of a 512 px
image, mean the same fraction of the picture at any size; the price is that edges are placed to
about one working pixel (2-4 input pixels on a 12 MP photo).

Needs the ``pydensecrf2`` package (``pip install pydensecrf2`` or ``pip install 'bodyseg[crf]'``;
it builds from source with a C++ compiler and imports as ``pydensecrf``).
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from bodyseg.errors import InputError, MethodError
from bodyseg.geometry import downscale, upscale_prob

#: The spatial widths (``*_sxy``) are in pixels of an image whose longer side is this long.
REFERENCE_SIDE = 512
#: The unary term clips the probability to [PROB_CLIP, 1 - PROB_CLIP].
PROB_CLIP = 1e-4


def import_densecrf() -> ModuleType:
    """The ``pydensecrf.densecrf`` module, or a :class:`MethodError` that says how to install it."""
    try:
        import pydensecrf.densecrf as densecrf
    except ImportError:
        raise MethodError(
            "dense CRF refinement needs pydensecrf2: run `pip install pydensecrf2` (or `pip install 'bodyseg[crf]'`); "
            "it builds from source, so a C++ compiler (gcc or clang) and the Python headers must be installed"
        ) from None
    return densecrf


def crf_unary(prob: np.ndarray) -> np.ndarray:
    """2xN float32 unary energies (background, person) of an HxW probability, clipped.

    Example:
        >>> crf_unary(np.array([[0.5, 1.0]], np.float32)).astype(float).round(3).tolist()
        [[0.693, 9.21], [0.693, 0.0]]
    """
    p = np.clip(np.asarray(prob, np.float32), PROB_CLIP, 1.0 - PROB_CLIP).reshape(1, -1)
    return np.ascontiguousarray(-np.log(np.concatenate([1.0 - p, p])), dtype=np.float32)


def check_crf_inputs(rgb: np.ndarray, prob: np.ndarray, iterations: int, max_side: int) -> None:
    """Raise :class:`InputError` unless ``rgb`` is HxWx3 uint8 and ``prob`` HxW of the same size."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InputError(
            f"dense_crf needs an HxWx3 RGB uint8 image, got {rgb.dtype} of shape {rgb.shape}; convert it with "
            "bodyseg.io.load_image"
        )
    if prob.shape != rgb.shape[:2]:
        raise InputError(
            f"dense_crf: prob is {prob.shape} but the image is {rgb.shape[:2]}; give the probability at the image's "
            "size"
        )
    if iterations < 1 or max_side < 8:
        raise InputError(f"dense_crf needs iterations >= 1 and max_side >= 8, got {iterations} and {max_side}")


def dense_crf(
    rgb: np.ndarray,
    prob: np.ndarray,
    *,
    iterations: int = 5,
    max_side: int = 512,
    smooth_sxy: float = 3.0,
    smooth_weight: float = 3.0,
    bilateral_sxy: float = 50.0,
    bilateral_srgb: float = 13.0,
    bilateral_weight: float = 5.0,
) -> np.ndarray:
    """Refine a person probability with a fully connected CRF on the photo's colours.

    Args:
        rgb: HxWx3 RGB uint8 photo.
        prob: HxW person probability in [0, 1] at the photo's size.
        iterations: mean-field steps (5 is the usual choice; more changes little).
        max_side: the CRF runs with the longer side at most this many pixels; the result is
            interpolated back to HxW.
        smooth_sxy: width of the Gaussian (position-only) term, in pixels at a 512 px side.
        smooth_weight: weight of the Gaussian term.
        bilateral_sxy: spatial width of the bilateral term, in pixels at a 512 px side.
        bilateral_srgb: colour width of the bilateral term, in 0..255 RGB levels.
        bilateral_weight: weight of the bilateral term.

    Returns:
        HxW float32 person probability (the CRF's marginal), same shape as ``prob``.

    Raises:
        MethodError: pydensecrf2 is not installed.
        InputError: shapes or types that do not fit.

    Example:
        >>> import cv2
        >>> rgb = np.zeros((64, 64, 3), np.uint8); rgb[16:48, 16:48] = 255
        >>> square = np.zeros((64, 64), np.float32); square[16:48, 16:48] = 1
        >>> rough = cv2.GaussianBlur(np.roll(square, 4, axis=1), (0, 0), 4)  # blurred, 4 px right
        >>> out = dense_crf(rgb, rough)
        >>> int(((rough > 0.5) != square).sum()), int(((out > 0.5) != square).sum())
        (260, 61)
    """
    rgb, prob = np.asarray(rgb), np.asarray(prob, np.float32)
    check_crf_inputs(rgb, prob, iterations, max_side)
    densecrf = import_densecrf()
    small_rgb, _ = downscale(rgb, max_side)
    small_prob, _ = downscale(prob, max_side)
    sh, sw = small_prob.shape
    scale = max(sh, sw) / REFERENCE_SIDE
    crf = densecrf.DenseCRF2D(sw, sh, 2)
    crf.setUnaryEnergy(crf_unary(small_prob))
    crf.addPairwiseGaussian(sxy=max(0.5, smooth_sxy * scale), compat=smooth_weight)
    # pydensecrf wants a C-contiguous, writeable image (decoded images may be read-only views)
    crf.addPairwiseBilateral(
        sxy=max(1.0, bilateral_sxy * scale),
        srgb=bilateral_srgb,
        rgbim=np.require(small_rgb, requirements="CW"),
        compat=bilateral_weight,
    )
    person = np.asarray(crf.inference(iterations), np.float32)[1].reshape(sh, sw)
    return upscale_prob(person, prob.shape)
