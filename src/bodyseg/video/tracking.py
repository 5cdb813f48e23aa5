"""Keep people and their keypoints across frames: flow-moved tracks and a constant-velocity Kalman filter.

Each person found is matched to a track (Hungarian assignment on box IoU after moving every
track along the optical flow). A matched person's keypoints go through the track's Kalman filter
(jitter down, low-visibility points trusted less). A track the detector misses is carried forward
for up to ``max_missed`` frames: its mask moved with the flow, its keypoints moved with the flow
and filtered, its score decayed. The caller marks such results ``meta["tracked"] = True``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bodyseg.geometry import box_iou
from bodyseg.result import Person, box_of_mask
from bodyseg.video.flow import Motion


class KeypointKalman:
    """Constant-velocity Kalman filter on K keypoints, x and y filtered independently (vectorised).

    State per coordinate: position and velocity (pixels, pixels per frame). The process noise is a
    random acceleration of ``acceleration`` pixels per frame squared; a keypoint measured with
    visibility ``v`` has a position noise of ``noise / max(v, 0.05)`` pixels.

    Args:
        keypoints: Kx3 ``(x, y, visibility)`` of the first frame.
        acceleration: standard deviation of the random acceleration.
        noise: standard deviation of a fully visible keypoint's measurement.

    Example:
        >>> kf = KeypointKalman(np.array([[0.0, 0.0, 1.0]]))
        >>> for x in (2.0, 4.0, 6.0, 8.0):  # one predict and one update per frame
        ...     _ = kf.predict(); _ = kf.update(np.array([[x, 0.0, 1.0]]))
        >>> float(kf.predict()[0, 0]) > 9.0  # it has learned the velocity
        True
    """

    def __init__(self, keypoints: np.ndarray, acceleration: float = 6.0, noise: float = 2.0) -> None:
        points = np.asarray(keypoints, np.float64)
        self.position = points[:, :2].copy()
        self.velocity = np.zeros_like(self.position)
        self.visibility = points[:, 2].copy() if points.shape[1] > 2 else np.ones(len(points))
        self.q = float(acceleration) ** 2
        self.noise = float(noise)
        start = (self.noise * 4) ** 2
        self.p00 = np.full_like(self.position, start)
        self.p01 = np.zeros_like(self.position)
        self.p11 = np.full_like(self.position, start)

    def predict(self) -> np.ndarray:
        """Advance one frame; returns the predicted Kx2 positions."""
        self.position = self.position + self.velocity
        p00, p01, p11, q = self.p00, self.p01, self.p11, self.q
        self.p00 = p00 + 2 * p01 + p11 + q / 4
        self.p01 = p01 + p11 + q / 2
        self.p11 = p11 + q
        return self.position

    def update(self, measured: np.ndarray, noise_scale: float = 1.0) -> np.ndarray:
        """Correct with measured Kx3 keypoints; returns the filtered Kx3 ``(x, y, visibility)``."""
        measured = np.asarray(measured, np.float64)
        visibility = measured[:, 2] if measured.shape[1] > 2 else np.ones(len(measured))
        r = (self.noise * noise_scale / np.maximum(visibility, 0.05))[:, None] ** 2
        s = self.p00 + r
        k0, k1 = self.p00 / s, self.p01 / s
        residual = measured[:, :2] - self.position
        self.position = self.position + k0 * residual
        self.velocity = self.velocity + k1 * residual
        self.p11 = self.p11 - k1 * self.p01
        self.p01 = (1 - k0) * self.p01
        self.p00 = (1 - k0) * self.p00
        self.visibility = visibility.copy()
        return self.keypoints()

    def keypoints(self) -> np.ndarray:
        """Current Kx3 float32 ``(x, y, visibility)``."""
        return np.column_stack([self.position, self.visibility]).astype(np.float32)


@dataclass
class Track:
    """One person followed over frames."""

    id: int
    person: Person
    kalman: KeypointKalman | None
    missed: int = 0
    hits: int = 0


def best_assignment(scores: np.ndarray) -> list[tuple[int, int]]:
    """The one-to-one pairs (row, column) of an R x C score matrix with the largest total score
    (the Hungarian method, with potentials; min(R, C) pairs, rows in order).

    Example:
        >>> best_assignment(np.array([[0.9, 0.8], [0.85, 0.1]]))  # 0.8 + 0.85 beats 0.9 + 0.1
        [(0, 1), (1, 0)]
    """
    scores = np.asarray(scores, np.float64)
    transposed = scores.shape[0] > scores.shape[1]
    cost = -(scores.T if transposed else scores)  # rows <= columns, minimise
    rows, cols = cost.shape
    u, v = np.zeros(rows + 1), np.zeros(cols + 1)
    owner = np.zeros(cols + 1, int)  # owner[j]: the row (1-based) given column j; 0: free
    for row in range(1, rows + 1):
        owner[0], column = row, 0
        best = np.full(cols + 1, np.inf)
        came_from = np.zeros(cols + 1, int)
        used = np.zeros(cols + 1, bool)
        while owner[column]:
            used[column] = True
            r = owner[column]
            reduced = cost[r - 1] - u[r] - v[1:]
            better = ~used[1:] & (reduced < best[1:])
            best[1:][better], came_from[1:][better] = reduced[better], column
            free = np.flatnonzero(~used[1:]) + 1
            nxt = free[np.argmin(best[free])]
            delta = best[nxt]
            u[owner[used]] += delta
            v[used] -= delta
            best[~used] -= delta
            column = nxt
        while column:
            owner[column] = owner[came_from[column]]
            column = came_from[column]
    pairs = [(int(owner[j]) - 1, j - 1) for j in range(1, cols + 1) if owner[j]]
    pairs = [(c, r) for r, c in pairs] if transposed else pairs
    return sorted(pairs)


def move_box(box: tuple[int, int, int, int], motion: Motion | None) -> tuple[int, int, int, int]:
    """A box moved along the flow at its centre (its size kept): for matching, without warping a mask.

    Example:
        >>> move_box((10, 20, 30, 60), None)
        (10, 20, 30, 60)
    """
    if motion is None:
        return box
    x0, y0, x1, y1 = box
    ((cx, cy),) = motion.move_points(np.array([[(x0 + x1) / 2, (y0 + y1) / 2]]))
    dx, dy = int(round(cx - (x0 + x1) / 2)), int(round(cy - (y0 + y1) / 2))
    return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)


def move_person(person: Person, motion: Motion | None, score_decay: float = 1.0) -> Person:
    """The person moved onto the current frame along the flow (unchanged without motion)."""
    if motion is None:
        return Person(person.mask, person.box, person.score * score_decay, person.keypoints)
    mask = motion.warp(person.mask) > 0.5
    keypoints = None
    if person.keypoints is not None:
        keypoints = person.keypoints.copy()
        keypoints[:, :2] = motion.move_points(person.keypoints[:, :2])
    return Person(mask, box_of_mask(mask), person.score * score_decay, keypoints)


class PeopleTracker:
    """Follows people over frames and fills in the ones the detector misses.

    Args:
        max_missed: carry a person the detector missed for at most this many frames.
        min_hits: only a person detected in at least this many frames is carried when missed (a
            detector's one-frame false alarms are dropped, not carried on).
        min_iou: a detection continues a track when their boxes overlap at least this much.
        score_decay: a carried person's score is multiplied by this each frame.
        smooth_keypoints: filter detected keypoints with the track's Kalman filter.

    Example:
        >>> tracker = PeopleTracker()
        >>> people, tracked, ids = tracker.update([person], motion=None)  # doctest: +SKIP
        >>> people, tracked, ids = tracker.update([], motion)  # doctest: +SKIP
        >>> tracked  # the missed person was carried forward  # doctest: +SKIP
        [True]
    """

    def __init__(
        self,
        max_missed: int = 5,
        min_hits: int = 3,
        min_iou: float = 0.2,
        score_decay: float = 0.9,
        smooth_keypoints: bool = True,
    ) -> None:
        self.max_missed = max_missed
        self.min_hits = min_hits
        self.min_iou = min_iou
        self.score_decay = score_decay
        self.smooth_keypoints = smooth_keypoints
        self.reset()

    def reset(self) -> None:
        """Drop every track (a new video)."""
        self.tracks: list[Track] = []
        self._next_id = 0

    def update(
        self, people: list[Person], motion: Motion | None, *, detected: bool = True
    ) -> tuple[list[Person], list[bool], list[int]]:
        """Match this frame's people to the tracks; returns ``(people, tracked, track_ids)``.

        ``people`` out holds the detected people (keypoints filtered), then the carried ones;
        ``tracked[i]`` is True for a carried person; ``track_ids[i]`` stays the same for one
        person over the video. With ``detected=False`` (the segmenter did not run on this frame)
        every track is carried without counting as a miss.
        """
        moved_boxes = [move_box(track.person.box, motion) for track in self.tracks]
        for track in self.tracks:
            if track.kalman is not None:
                track.kalman.predict()
        pairs = dict(self._match(moved_boxes, people)) if detected else {}
        by_detection = {d: t for t, d in pairs.items()}
        order: list[tuple[Track, bool]] = []
        for d, person in enumerate(people):
            track = self.tracks[by_detection[d]] if d in by_detection else self._new_track()
            self._continue(track, person)
            order.append((track, False))
        for t, track in enumerate(self.tracks):
            if t in pairs:
                continue
            track.missed += int(detected)
            if track.missed <= self.max_missed and (track.hits >= self.min_hits or not detected):
                track.person = self._carry(
                    track, move_person(track.person, motion, self.score_decay), motion
                )  # masks moved only when carried
                order.append((track, True))
        self.tracks = [track for track, _ in order]
        return [t.person for t, _ in order], [carried for _, carried in order], [t.id for t, _ in order]

    def _match(self, moved_boxes: list[tuple[int, int, int, int]], people: list[Person]) -> list[tuple[int, int]]:
        if not moved_boxes or not people:
            return []
        iou = np.array([[box_iou(m, p.box) for p in people] for m in moved_boxes])
        return [(r, c) for r, c in best_assignment(iou) if iou[r, c] >= self.min_iou]

    def _new_track(self) -> Track:
        track = Track(self._next_id, Person(np.zeros((0, 0), bool), (0, 0, 0, 0)), None)
        self._next_id += 1
        return track

    def _continue(self, track: Track, person: Person) -> None:
        """A detected person continues ``track`` (a new track has no filter yet: it starts one)."""
        track.missed = 0
        track.hits += 1
        if person.keypoints is not None:
            if track.kalman is None or track.kalman.position.shape[0] != len(person.keypoints):
                track.kalman = KeypointKalman(person.keypoints)
            else:
                filtered = track.kalman.update(person.keypoints)
                if self.smooth_keypoints:
                    person = Person(person.mask, person.box, person.score, filtered)
        track.person = person

    def _carry(self, track: Track, moved: Person, motion: Motion | None) -> Person:
        """A missed person: mask moved by the flow; keypoints the flow-moved points, Kalman-filtered."""
        if track.kalman is None or moved.keypoints is None:
            return moved
        keypoints = (
            track.kalman.update(moved.keypoints, noise_scale=3.0) if motion is not None else track.kalman.keypoints()
        )
        return Person(moved.mask, moved.box, moved.score, keypoints)
