"""Face detection with MediaPipe's BlazeFace (short range).

The pose detector was made for bodies: a face and shoulders filling the frame (a selfie, a
portrait) often goes unseen. The face detector finds exactly those, and it rarely fires on the
animals and objects of person-free scenes, so the pipeline uses it to decide when a frame where
no body was found deserves a second look (:func:`bodyseg.segmenters.bodyseg.people.locate_people`).

``face_detection_short_range.tflite``: 128x128 letterboxed input in [-1, 1], 896 anchors
(strides 8, 16, 16, 16), each a face box and 6 keypoints (eyes, nose tip, mouth, ear tragions).
Decoded and merged by the same :class:`~bodyseg.models.pose_detector.SsdDetector` as the pose detector.
"""

from __future__ import annotations

from bodyseg.models.pose_detector import SsdDetector

FACE_SIZE = 128
#: MediaPipe's SsdAnchorsCalculator strides for the short-range face detector.
FACE_ANCHOR_STRIDES = (8, 16, 16, 16)


class FaceDetector(SsdDetector):
    """Find faces in an image (BlazeFace short range + weighted NMS).

    Args:
        min_score: detection threshold.
        iou_threshold: boxes overlapping more than this are merged.
        threads: threads of the model runtime.

    :meth:`detect` returns :class:`~bodyseg.models.pose_detector.Detection` objects whose ``face_box``
    is the face and whose ``keypoints`` are 6x2: right eye, left eye, nose tip, mouth, right ear,
    left ear.

    Example:
        >>> faces = FaceDetector().detect(rgb)  # doctest: +SKIP
        >>> faces[0].face_box  # (x0, y0, x1, y1) in pixels  # doctest: +SKIP
    """

    model = "face_detection_short_range"
    input_size = FACE_SIZE
    strides = FACE_ANCHOR_STRIDES
