"""The people of every video frame as JSON Lines: one line a frame, written atomically.

Each line: ``{"frame": index, "time": seconds, "width": W, "height": H, "people": [...]}``, a person
being ``{"track_id", "score", "bbox" [x, y, w, h], "area", "segmentation" (COCO compressed RLE),
"keypoints" [x, y, v, ...], "num_keypoints", "keypoint_scores", "tracked"}`` (the keypoint fields
where the method gives keypoints; the keypoint names are :data:`~bodyseg.io.people_json.PERSON_CATEGORY`'s).
``track_id`` stays the same for one person across frames (``null`` when people are not tracked);
``tracked`` is true for a person the tracker carried: the segmenter missed them, or did not run on
that frame (a still frame reusing the last result). The masks decode with
:func:`bodyseg.io.coco_rle.decode_mask` (or pycocotools).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import IO, Any

from bodyseg.io.atomic import ClosedOrAborted, atomic_path
from bodyseg.io.people_json import person_annotation
from bodyseg.result import Segmentation

#: Annotation keys left out of a frame's person (they are COCO document bookkeeping).
_DROPPED = ("id", "image_id", "category_id", "iscrowd")


def frame_people(seg: Segmentation, index: int, time: float) -> dict[str, Any]:
    """The JSON record of one frame's people (see the module's description).

    Example:
        >>> import numpy as np
        >>> from bodyseg.result import Person
        >>> m = np.zeros((4, 5), bool); m[1:3, 2:4] = True
        >>> seg = Segmentation(prob=m.astype(np.float32), people=[Person(mask=m, box=(2, 1, 4, 3))],
        ...                    meta={"track_ids": [7]})
        >>> record = frame_people(seg, 3, 0.125)
        >>> record["frame"], record["time"], record["people"][0]["track_id"], record["people"][0]["bbox"]
        (3, 0.125, 7, [2, 1, 2, 2])
    """
    ids = seg.meta.get("track_ids") or [None] * len(seg.people)
    carried = seg.meta.get("tracked_people") or [False] * len(seg.people)
    people = []
    for person, track_id, tracked in zip(seg.people, ids, carried, strict=False):
        annotation = person_annotation(person, 0)
        record = {"track_id": None if track_id is None else int(track_id), "tracked": bool(tracked)}
        record.update((key, value) for key, value in annotation.items() if key not in _DROPPED)
        people.append(record)
    h, w = seg.shape
    return {"frame": int(index), "time": round(float(time), 6), "width": int(w), "height": int(h), "people": people}


class PeopleLinesWriter(ClosedOrAborted):
    """Append one JSON line per frame to a temporary file; renamed onto ``path`` by :meth:`close` only.

    Example:
        >>> with PeopleLinesWriter("dance.people.jsonl") as lines:  # doctest: +SKIP
        ...     for frame, seg in zip(frames, results):
        ...         lines.write(seg, frame.index, frame.time)
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._stack = contextlib.ExitStack()
        self._tmp = self._stack.enter_context(atomic_path(self.path))  # an unwritable place fails now
        self._file: IO[str] = self._stack.enter_context(open(self._tmp, "w", encoding="utf-8"))  # noqa: SIM115
        self.lines = 0

    def write(self, seg: Segmentation, index: int, time: float) -> None:
        """Add the line of one frame."""
        self._file.write(json.dumps(frame_people(seg, index, time), separators=(",", ":")) + "\n")
        self.lines += 1

    def close(self) -> Path:
        """Finish and move the file into place; returns its path."""
        self._stack.close()
        return self.path

    def abort(self) -> None:
        """Drop what was written; the destination stays as it was. Safe to call twice."""
        with contextlib.suppress(Exception):
            self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)
