"""Segmenters: every method behind one interface, created by name.

Example:
    >>> from bodyseg import segmenters
    >>> seg = segmenters.create("mediapipe-selfie")  # doctest: +SKIP
    >>> sorted(segmenters.available())[:2]  # doctest: +SKIP
"""

from bodyseg.segmenters.base import MIN_SIDE, Segmenter
from bodyseg.segmenters.registry import available, check_finds_people, check_options, create, people_methods, register, segmenter_class

#: The method used when none is named.
DEFAULT_METHOD = "bodyseg"

register(
    "bodyseg",
    "bodyseg.segmenters.pipeline:PeopleSegmenter",
    "bodyseg's pipeline: every person found (multi-person pose detector + tiles), a mask and 33 keypoints each, close-ups corrected by our trained refinement net, refined edges",
    people=True,
)
register(
    "mediapipe-selfie",
    "bodyseg.segmenters.mediapipe:SelfieSegmenter",
    "MediaPipe selfie segmentation (general 256x256 or landscape 144x256 model); fast, made for people near the camera",
)
register(
    "mediapipe-pose",
    "bodyseg.segmenters.mediapipe:PoseSegmenter",
    "MediaPipe pose landmarker: mask plus 33 keypoints of one person; better on full bodies",
)
register(
    "net",
    "bodyseg.segmenters.net:NetSegmenter",
    "a net of our zoo trained here, on the whole image (shipped: person-unet, a 1.94 M-parameter U-Net at 160 px with a mirror average; weights=person-unet-composite is it trained on composites too, better beyond portraits); one probability, no people; weights=FILE.onnx runs your own export",
)

__all__ = [
    "DEFAULT_METHOD", "MIN_SIDE", "Segmenter", "available", "check_finds_people", "check_options", "create", "people_methods",
    "register", "segmenter_class",
]

# Classical methods (issue 4): each with prior="pose" (skeleton from the pose model) or "centre".
register(
    "kmeans",
    "bodyseg.segmenters.classical.kmeans:KMeansSegmenter",
    "k-means on Lab colour (optionally + position); clusters voted in by a pose-skeleton or centre prior",
)
register(
    "meanshift",
    "bodyseg.segmenters.classical.meanshift:MeanShiftSegmenter",
    "mean-shift on Lab colour of a down-sampled image, bandwidth estimated per image; regions voted in by a prior",
)
register(
    "grabcut",
    "bodyseg.segmenters.classical.grabcut:GrabCutSegmenter",
    "OpenCV GrabCut from a person box (pose keypoints, centre or given) or from pose-skeleton seeds",
)
register(
    "gmm",
    "bodyseg.segmenters.classical.gmm:GMMSegmenter",
    "person and background colour Gaussian mixtures fitted by EM from a prior; prob is the per-pixel posterior",
)
register(
    "slic-graphcut",
    "bodyseg.segmenters.classical.slic_graphcut:SlicGraphCutSegmenter",
    "SLIC superpixels, colour GMMs from pose-skeleton seeds, min-cut/max-flow (PyMaxflow) on the superpixel graph",
)
