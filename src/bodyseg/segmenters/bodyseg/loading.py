"""The models the default method runs, loaded from the package (or given as stand-ins): one bundle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bodyseg.errors import MethodError
from bodyseg.models.card import shipped_card
from bodyseg.models.face_detector import FaceDetector
from bodyseg.models.nanodet import NanoDetPersons
from bodyseg.models.part_net import PartNet
from bodyseg.models.pose_detector import PoseDetector
from bodyseg.models.pose_landmarks import LandmarkModel
from bodyseg.models.refiner import SHIPPED, PoseRefiner
from bodyseg.models.selfie import SelfieModel
from bodyseg.segmenters.options import check_int


@dataclass
class PipelineModels:
    """The models the pipeline runs; any may be a stand-in with the same call (tests, your own models).

    Attributes:
        detector: finds people (``detect(rgb) -> list[Detection]``).
        landmarks: keypoints and a mask per person (``run(rgb, roi) -> LandmarkResult``); None in the fast mode.
        faces: finds faces (``detect(rgb) -> list``), to look again at close-ups; None: never.
        selfie: the whole-frame selfie model (``selfie(rgb) -> probability``); None when nothing needs it.
        refiner: our refinement net; None: masks as the landmark model gives them.
        finder: a face-free person finder (``look(rgb) -> NanoDetView``: the people it sees and its class
            scores) for the people the pose detector misses (turned away, upside down, small) and the
            animals it confirms; None: none.
        parts: our part net (``probabilities(crop) -> LIP classes x H x W``); None: no parts.
    """

    detector: Any
    landmarks: Any = None
    faces: Any = None
    selfie: Callable[[np.ndarray], np.ndarray] | None = None
    refiner: Any = None
    finder: Any = None
    parts: Any = None

    @classmethod
    def load(
        cls,
        *,
        min_score: float,
        face_min_score: float | None,
        refiner: str | None,
        finder_min_score: float | None = None,
        landmarks: str | None = "full",
        threads: int = 1,
        parts: bool = False,
        selfie_flip: bool = False,
        selfie: bool = False,
    ) -> PipelineModels:
        """The shipped models: a face detector when ``face_min_score`` is given, the refiner of
        :func:`load_refiner` (``refiner``), the selfie model when the faces or the refiner need it
        (always with ``selfie``),
        NanoDet when ``finder_min_score`` is given, our part net when ``parts``; the selfie model
        averaged with its run on the mirrored image when ``selfie_flip``."""
        threads = check_int("threads", threads, 1, 64)  # 1.0 typed on a command line becomes 1
        faces = FaceDetector(min_score=face_min_score, threads=threads) if face_min_score is not None else None
        net = load_refiner(refiner, threads)
        finder = NanoDetPersons(min_score=finder_min_score, threads=threads) if finder_min_score is not None else None
        return cls(
            detector=PoseDetector(min_score=min_score, threads=threads),
            landmarks=LandmarkModel(threads=threads, variant=landmarks) if landmarks else None,
            faces=faces,
            selfie=SelfieModel(threads, flip=selfie_flip) if selfie or faces is not None or net is not None else None,
            refiner=net,
            finder=finder,
            parts=PartNet.load(threads=threads) if parts else None,
        )


def load_refiner(refiner: str | None, threads: int = 1) -> PoseRefiner | None:
    """Our refinement net: ``"auto"`` the shipped one (None if this build ships none), ``"none"``
    (or None) no refiner, else the path of a refiner's model card (``.json``).

    Example:
        >>> load_refiner("none") is None and load_refiner(None) is None
        True
    """
    if refiner in (None, "none"):
        return None
    if refiner == "auto":
        return PoseRefiner.load(threads=threads) if shipped_card(SHIPPED) is not None else None
    path = Path(str(refiner))
    if path.suffix != ".json":
        raise MethodError(f"refiner must be auto, none or a refiner's model card (.json), got {refiner!r}")
    return PoseRefiner.load(path, threads)
