"""Segmenters: every method behind one interface, created by name from one registry.

Example:
    >>> from bodyseg import segmenters
    >>> "bodyseg" in segmenters.available() and "grabcut" in segmenters.available()
    True
"""

from bodyseg.segmenters.base import MIN_SIDE, Segmenter, require_min_side
from bodyseg.segmenters.registry import (
    available,
    check_finds_people,
    check_options,
    create,
    method_options,
    people_methods,
    register,
    segmenter_class,
)

#: The method used when none is named, and its fast mode (``--fast``).
DEFAULT_METHOD = "bodyseg"
FAST_METHOD = "bodyseg-fast"

_METHODS = (
    # (name, "module:Class", summary, finds each person)
    (
        "bodyseg",
        "bodyseg.segmenters.bodyseg:PeopleSegmenter",
        "the default: every person found, a mask and 33 keypoints each, close-ups corrected by our refinement net",
        True,
    ),
    (
        "bodyseg-fast",
        "bodyseg.segmenters.bodyseg:FastPeopleSegmenter",
        "the default's fast mode: the selfie model kept only inside the people the pose detector finds; no keypoints",
        True,
    ),
    (
        "mediapipe-selfie",
        "bodyseg.segmenters.mediapipe:SelfieSegmenter",
        "MediaPipe selfie segmentation (reference): fast, made for people near the camera",
        False,
    ),
    (
        "mediapipe-pose",
        "bodyseg.segmenters.mediapipe:PoseSegmenter",
        "MediaPipe pose landmarker (reference): mask and 33 keypoints of one person",
        False,
    ),
    (
        "net",
        "bodyseg.segmenters.net:NetSegmenter",
        "one of our trained whole-image nets (shipped: person-unet, person-unet-composite; or weights=FILE.onnx)",
        False,
    ),
    # classical methods, each from a pose-skeleton or centre prior
    (
        "kmeans",
        "bodyseg.segmenters.classical.kmeans:KMeansSegmenter",
        "k-means on Lab colour (optionally + position); clusters voted in by a prior",
        False,
    ),
    (
        "meanshift",
        "bodyseg.segmenters.classical.meanshift:MeanShiftSegmenter",
        "mean-shift on Lab colour, bandwidth estimated per image; regions voted in by a prior",
        False,
    ),
    (
        "grabcut",
        "bodyseg.segmenters.classical.grabcut:GrabCutSegmenter",
        "OpenCV GrabCut from a person box (pose keypoints, centre or given) or from pose-skeleton seeds",
        False,
    ),
    (
        "gmm",
        "bodyseg.segmenters.classical.gmm:GMMSegmenter",
        "person and background colour Gaussian mixtures fitted by EM from a prior; prob is the posterior",
        False,
    ),
    (
        "slic-graphcut",
        "bodyseg.segmenters.classical.slic_graphcut:SlicGraphCutSegmenter",
        "SLIC superpixels, colour GMMs from pose-skeleton seeds, min-cut on the superpixel graph (PyMaxflow)",
        False,
    ),
)
for _name, _target, _summary, _people in _METHODS:
    register(_name, _target, _summary, people=_people)

__all__ = [
    "DEFAULT_METHOD",
    "FAST_METHOD",
    "MIN_SIDE",
    "Segmenter",
    "available",
    "require_min_side",
    "check_finds_people",
    "check_options",
    "create",
    "method_options",
    "people_methods",
    "register",
    "segmenter_class",
]
