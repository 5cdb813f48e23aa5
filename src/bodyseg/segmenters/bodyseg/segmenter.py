"""The default method, ``bodyseg``: the pipeline's stages put together (its fast mode is in :mod:`.fast`).

```
find people (pose detector: whole frame, tiles, zoomed-out views; people.py)
  -> the people only NanoDet sees (finder.py)
  -> per person: landmarks + mask (landmark model), our refinement net on the chosen ones (masks.py)
  -> drop duplicates, each pixel to the most probable person
  -> edges refined on the union (refine.edges)
video: the next frame follows the people handed on (following.py)
```

The models come in one :class:`PipelineModels` bundle, loaded from the package by default; pass
your own (or stand-ins in tests) with ``models=``.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import numpy as np

from bodyseg.errors import MethodError
from bodyseg.models.nanodet import NanoDetView
from bodyseg.models.pose_detector import Detection
from bodyseg.models.pose_landmarks import LANDMARK_VARIANTS, LandmarkResult
from bodyseg.result import Segmentation, box_of_mask
from bodyseg.segmenters.bodyseg.finder import (
    ISOLATE_MARGIN,
    MAX_IOU,
    SELFIE_MIN_FILL,
    SELFIE_MIN_SCORE,
    find_unseen_people,
    look_in_tiles,
)
from bodyseg.segmenters.bodyseg.following import FOLLOW_KEY, REDETECT_ON, follow_entries, follow_people
from bodyseg.segmenters.bodyseg.loading import PipelineModels
from bodyseg.segmenters.bodyseg.masks import (
    REFINER_PEOPLE,
    SELFIE_FOUND,
    confirm_detections,
    correct_masks,
    drop_duplicates,
    nobody,
    paste_people,
)
from bodyseg.segmenters.bodyseg.parts import PART_OPTIONS, add_parts, check_net_classes
from bodyseg.segmenters.bodyseg.people import (
    ZOOM_OUT_WHEN,
    locate_people,
    looks_like_animal,
)
from bodyseg.segmenters.bodyseg.shared import PipelineSegmenter
from bodyseg.segmenters.options import check_bool, check_choice, check_float

#: ``Segmentation.meta`` key of what found each person, in ``people`` order (``"pose"``, ``"nanodet"``
#: or :data:`~bodyseg.segmenters.bodyseg.finder.SELFIE_FOUND`).
FOUND_BY_KEY = "found_by"


#: Face-free person finders the default method can add (``finder=``).
FINDERS = ("nanodet", "none")


class PeopleSegmenter(PipelineSegmenter):
    """bodyseg's own pipeline: every person, with keypoints, a mask each and refined edges.

    Args:
        min_score: person detector threshold.
        min_presence: the landmark model's threshold that a crop holds a person (0.7: against
            0.5, person-free scenes 1.12% -> 0.75% of pixels called person, backgrounds-val
            2.07% -> 1.25%, for coco -0.003 and davis -0.002 IoU; ccp and portraits unchanged).
        max_people: at most this many people (best first).
        tiles: look for small people on overlapping tiles too: ``"empty"`` (default) only when
            the whole frame shows nobody the landmark model accepts (a frame whose only detection
            is a rejected animal or statue is searched again: coco 0.459 -> 0.469, person-free
            scenes unchanged), ``True`` always (finds more people in crowds, 2-3x slower on large
            images), ``False`` never.
        tile_min_score: detector threshold on tiles (stricter: tiles invent more people).
        zoom_out: when the frame shows nobody, look again on zoomed-out views, which finds the
            close-up portraits the body detector misses: ``"face"`` (default) only when the face
            detector sees a face scoring ``face_min_score`` or more (pfcn-val 0.926 -> 0.952,
            picsart-val 0.936 -> 0.951, person-free scenes unchanged), ``"always"`` (as much
            recall, but 4.3% of person-free pixels called person instead of 1.1%) or ``"off"``.
            With ``"face"``, a frame where a face is seen but no body is found even zoomed out
            gets the selfie model's whole-frame mask (5 of 554 training portraits of pfcn, IoU
            0.83-0.97 each instead of 0; none of the person-free scenes).
        face_min_score: face detector threshold for ``zoom_out="face"`` (on 400 training
            portraits of each set the close-ups the body detector missed scored 0.71-0.95; on the
            84 person-free scenes no face scored above 0.67).
        second_pass: re-run each person on the region its landmarks suggest.
        finder: look for the people the pose detector misses with a face-free person detector too:
            ``"nanodet"`` or ``"none"``; each box it finds that the people already found do not cover
            is checked by the landmark model (upright, then upside down).
        finder_min_score: the face-free detector's threshold.
        finder_selfie: a face-free box that the landmark model rejects both ways but NanoDet scores at
            least :attr:`finder_selfie_min_score` (0.4) gets the selfie model's mask inside the box, run on the
            box's square (:func:`~bodyseg.segmenters.bodyseg.people.selfie_in_box`): people the
            landmark model cannot read, lying on the floor, tiny, cut by the frame (davis 0.683 ->
            0.692, camvid 0.377 -> 0.393, coco 0.571 -> 0.574, person-free scenes unchanged). Such a
            person has no keypoints (``Person.keypoints`` None) and is not followed in video.
        finder_isolate: the landmark model checks each face-free box on a copy of the image greyed
            outside the box (grown by :attr:`finder_isolate_margin`, 0.2), so that it locks onto the
            person in the box, not onto a neighbour in the same crop: crowds, small pedestrians, an
            audience (camvid 0.305 -> 0.377, coco 0.562 -> 0.571 and mask AP50 0.287 -> 0.314, davis
            0.681 -> 0.684; ccp -0.002: bystanders it now finds that ccp leaves unlabelled).
        finder_tiles: when nobody found (or seen by NanoDet) is this share of the image's height or
            taller, NanoDet also looks at 2 x 2 overlapping tiles of the image, each at its full
            416 px (:func:`~bodyseg.segmenters.bodyseg.finder.look_in_tiles`): scenes of small
            people, whom the whole-image view misses under about 60 pixels (coco 0.5745 -> 0.581, camvid
            0.394 -> 0.415, person-free scenes 0.23% -> 0.30%: a model railway's figurines; street scenes
            cost more, every small passer-by being read); 0: never.
        finder_min_height: when the pose detector found someone, a person only the face-free detector
            sees is kept if their box is at least this fraction of the tallest person's height (smaller
            ones are bystanders: the audience around a dancer, passers-by behind a portrait); anyone it
            sees is kept when the pose detector found nobody.
        finder_subject_height: the ``finder_min_height`` rule holds only when the tallest person the
            pose detector found is a main subject, at least this fraction of the image tall; when
            everyone found is smaller (a street, a plaza: coco and camvid label every passer-by), every
            person the face-free detector sees is kept. 0: the rule always holds. 0.5 (default): coco
            0.5745 -> 0.587, camvid 0.394 -> 0.403, davis -0.0001 (a breakdancer seen 0.4-0.7 of the
            frame tall: 0.6 costs davis 0.0016); ccp (main person 0.84 of the image tall or more), pfcn,
            picsart and the person-free scenes unchanged.
        drop_animals: with the finder, drop a person in whose box NanoDet sees an animal and no person
            (:func:`~bodyseg.segmenters.bodyseg.people.looks_like_animal`): the cows, camels and dogs
            the pose models confirm as people.
        landmarks: the landmark model: ``"full"`` or ``"lite"`` (faster).
        refiner: our trained refinement net (:mod:`bodyseg.models.refiner`) correcting people's
            masks: ``"auto"`` (default: the shipped weights), ``"none"``, or the path of a
            refiner's model card (``.json``).
        refiner_people: who the refiner corrects: ``"close-up"`` (default: only people whose hips
            are out of view, where it gains most and the landmark model is weakest) or ``"all"``.
        refiner_min_side: only people whose refinement crop spans at least this many image pixels
            are refined (the net was trained on people seen large).
        refiner_min_keep: a refined person keeps the landmark model's mask when the net's mask keeps
            less than this share of its area (the net corrects edges; when it erases most of someone
            it is wrong: people turned away, blurred or tiny).
        selfie_share: the selfie model's share in a refined close-up's mask, blended inside the
            person's crop (0 = the refiner's mask alone). 0.7, chosen on the refiner's hold-out
            training portraits: pfcn-val 0.955 -> 0.958, picsart-val 0.955 -> 0.956, coco -0.001,
            the other sets unchanged.
        selfie_share_body: the selfie model's share in the mask of each person seen whole or half-body
            (not a close-up) and at least 0.4 of the image tall, blended inside their box where the
            two models' masks agree there (IoU 0.85 or more; :func:`blend_selfie_into_large`): 0.3,
            chosen on ccp's training photos (0.9315 -> 0.9340; 0.5: 0.9345, 0.7: 0.9319); ccp val
            0.933 -> 0.936, davis -0.0005 (the two disagree on dancers in motion). 0 = off, the
            default in video (:attr:`video_defaults`).
        selfie_flip: the selfie model (the refiner's input, the blend, the close-up fallback) also
            sees the image mirrored, and the two are averaged: one more run of a 5 ms model when it
            runs at all (docs/pipeline.md has what it gains).
        edges: edge refinement of the union: ``"guided"`` (default: fast guided filter), ``"crf"``
            (dense CRF, pydensecrf2: +0.004-0.008 IoU and sharper boundaries for ~300-450 ms more
            per image; docs/bench/crf.md) or ``"none"``.
        threads: threads each model may use (default 1: batch jobs run one image per core; on an
            idle 2-core machine 2 threads take the landmark model from 25 to 14 ms, but in video,
            where other stages run beside it, they gained nothing measurable).
        parts: body parts per person from our part net: ``"none"`` (default), ``"lip"`` (LIP's 20
            classes) or ``"body"`` (head, neck, torso, arms, hands, legs, feet); left/right by the
            person's landmarks; ``parts > 0`` is exactly the person mask (docs/parts.md).
        parts_flip: the part net also sees each person's crop mirrored, and the two are averaged
            (twice the part net's cost; docs/parts.md has what it gains).
        redetect_on: video (:meth:`segment_next`): when following people from the last frame loses
            someone, ``"everyone-lost"`` (default) drops the lost person and goes on with the others
            (the video's tracker carries the lost one's mask; the next scheduled full run finds them
            again), a full run coming early only when nobody is left; ``"anyone-lost"`` runs in full
            at once (in crowds, nearly every other frame: breakdance's audience).
        follow_bystanders: video: follow between full runs the bystanders too (people only the
            face-free finder sees, shorter than ``finder_min_height`` times the tallest person found:
            kept when the pose detector found nobody, e.g. the audience around an upside-down dancer);
            off by default: they are found again by each full run and the video's tracker carries
            their mask in between (a landmark run per bystander per frame saved).
        carry_still: video: between full runs, a followed person whose box did not change since the
            last frame (a 16 x 16 grey thumbnail within 2 grey levels) is carried over as it was,
            without a landmark run, at most 2 frames in a row
            (:func:`~bodyseg.segmenters.bodyseg.following.looks_still`): the still audience around
            a dancer costs a landmark run every third frame instead of every frame (breakdance 8.9 ->
            11.7 frames/s, video IoU -0.001). On by default in video (:attr:`video_defaults`), off for photos.
        models: (Python only) the models to run instead of the shipped ones, see :class:`PipelineModels`.

    Fails on: people whose hips and shoulders are both hidden; heavy crowds (one mask per
    detection, at most ``max_people``). Cost: one detector run (plus, when nobody is found, a
    face check and tiles) and one landmark run per person (two with ``second_pass``); in video,
    between full runs, only the landmark runs (:meth:`segment_next`).

    Example:
        >>> seg = PeopleSegmenter().segment("team.jpg")  # doctest: +SKIP
        >>> len(seg.people)  # doctest: +SKIP
        5
    """

    name = "bodyseg"
    #: The face-free finder's fixed rules (their measurements: :mod:`~bodyseg.segmenters.bodyseg.finder`).
    finder_max_iou = MAX_IOU
    finder_isolate_margin = ISOLATE_MARGIN
    finder_selfie_min_score = SELFIE_MIN_SCORE
    finder_selfie_min_fill = SELFIE_MIN_FILL
    #: In video the selfie model's share of large people's edges costs a selfie run a frame (a
    #: one-dancer clip 34 -> 27 frames/s) for 0.002 less IoU on lucia: off. Still people are carried
    #: over between frames (``carry_still``) in video only: a photo's result need not keep its people's
    #: landmark results.
    video_defaults: ClassVar[dict[str, Any]] = {"selfie_share_body": 0.0, "carry_still": True}

    def __init__(
        self,
        min_score: float = 0.5,
        min_presence: float = 0.7,
        max_people: int = 20,
        tiles: bool | str = "empty",
        tile_min_score: float = 0.75,
        zoom_out: str | bool = "face",
        face_min_score: float = 0.75,
        second_pass: bool = False,
        finder: str = "nanodet",
        finder_min_score: float = 0.35,
        finder_min_height: float = 0.7,
        finder_subject_height: float = 0.5,
        finder_isolate: bool = True,
        finder_tiles: float = 0.3,
        finder_selfie: bool = True,
        drop_animals: bool = True,
        landmarks: str = "full",
        refiner: str = "auto",
        refiner_people: str = "close-up",
        refiner_min_side: float = 160.0,
        refiner_min_keep: float = 0.6,
        selfie_share: float = 0.7,
        selfie_share_body: float = 0.3,
        selfie_flip: bool = True,
        edges: str = "guided",
        threads: int = 1,
        parts: str = "none",
        parts_flip: bool = True,
        redetect_on: str = "everyone-lost",
        follow_bystanders: bool = False,
        carry_still: bool = False,
        models: PipelineModels | None = None,
    ) -> None:
        self.parts = check_choice("parts", parts, PART_OPTIONS)
        self.parts_flip = check_bool("parts_flip", parts_flip)
        self.redetect_on = check_choice("redetect_on", redetect_on, REDETECT_ON)
        self.follow_bystanders = check_bool("follow_bystanders", follow_bystanders)
        self.carry_still = check_bool("carry_still", carry_still)
        self.min_presence = check_float("min_presence", min_presence, 0.0, 1.0)
        self.tiles = check_choice("tiles", tiles, (True, False, "empty"))
        self.tile_min_score = check_float("tile_min_score", tile_min_score, 0.0, 1.0)
        # "off" on the command line arrives as False (a boolean word)
        zoom_out = {True: "always", False: "off"}.get(zoom_out, zoom_out) if isinstance(zoom_out, bool) else zoom_out
        self.zoom_out = check_choice("zoom_out", zoom_out, ZOOM_OUT_WHEN)
        self.second_pass = check_bool("second_pass", second_pass)
        self.finder = check_choice("finder", finder, FINDERS)
        self.finder_min_height = check_float("finder_min_height", finder_min_height, 0.0, 1.0)
        self.finder_subject_height = check_float("finder_subject_height", finder_subject_height, 0.0, 1.0)
        self.finder_isolate = check_bool("finder_isolate", finder_isolate)
        self.finder_tiles = check_float("finder_tiles", finder_tiles, 0.0, 1.0)
        self.finder_selfie = check_bool("finder_selfie", finder_selfie)
        self.drop_animals = check_bool("drop_animals", drop_animals)
        self.refiner_people = check_choice("refiner_people", refiner_people, REFINER_PEOPLE)
        self.refiner_min_side = check_float("refiner_min_side", refiner_min_side, 0.0)
        self.refiner_min_keep = check_float("refiner_min_keep", refiner_min_keep, 0.0, 1.0)
        self.selfie_share = check_float("selfie_share", selfie_share, 0.0, 1.0)
        self.selfie_share_body = check_float("selfie_share_body", selfie_share_body, 0.0, 1.0)
        if models is None:
            models = PipelineModels.load(
                min_score=check_float("min_score", min_score, 0.0, 1.0),
                refiner=refiner,
                threads=threads,
                landmarks=check_choice("landmarks", landmarks, LANDMARK_VARIANTS),
                finder_min_score=check_float("finder_min_score", finder_min_score, 0.0, 1.0)
                if self.finder != "none"
                else None,
                face_min_score=check_float("face_min_score", face_min_score, 0.0, 1.0) if zoom_out == "face" else None,
                parts=self.parts != "none",
                selfie_flip=check_bool("selfie_flip", selfie_flip),
                selfie=self.selfie_share_body > 0 or (self.finder_selfie and self.finder != "none"),
            )
        if self.parts != "none":
            if models.parts is None:
                raise MethodError(f"parts={self.parts!r} needs a part net: give models with parts=PartNet(...)")
            check_net_classes(models.parts)
        super().__init__(models, edges, max_people)

    def _with_parts(self, rgb: np.ndarray, seg: Segmentation | None) -> Segmentation | None:
        """``seg`` with its part maps when the ``parts`` option asks for them."""
        if seg is None or self.parts == "none":
            return seg
        return add_parts(rgb, seg, self.models.parts, self.parts, self.parts_flip)

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        return self._with_parts(rgb, self._segment_people(rgb))

    def _segment_people(self, rgb: np.ndarray) -> Segmentation:
        sees_face = functools.cache(functools.partial(self._sees_face, rgb))  # asked at most once per image
        found = locate_people(
            rgb,
            self.models.detector,
            tiles=self.tiles,
            tile_min_score=self.tile_min_score,
            zoom_out=self.zoom_out,
            sees_face=sees_face,
            confirm=functools.partial(self.confirm, rgb),
        )
        if not found and sees_face():
            return self._close_up_selfie(rgb)
        if self.models.finder is None:
            return self._assemble(rgb, found)
        view = look_in_tiles(rgb, found, self.models.finder.look(rgb), self.models.finder, self.finder_tiles)
        everyone = found + self._find_more(rgb, found, view)
        if self.drop_animals:
            everyone = [(s, p) for s, p in everyone if not looks_like_animal(view, box_of_mask(p.prob > 0.5))]
        return self._assemble(rgb, everyone)

    def _find_more(
        self, rgb: np.ndarray, found: list[tuple[float, LandmarkResult]], view: NanoDetView
    ) -> list[tuple[float, LandmarkResult]]:
        """(score, person) of the people the face-free finder sees where nobody was found yet
        (:func:`~bodyseg.segmenters.bodyseg.finder.find_unseen_people` with this method's options)."""
        return find_unseen_people(
            rgb,
            found,
            view,
            self.models.landmarks,
            min_presence=self.min_presence,
            min_height=self.finder_min_height,
            max_iou=self.finder_max_iou,
            subject_height=self.finder_subject_height,
            isolate_margin=self.finder_isolate_margin if self.finder_isolate else None,
            selfie=self._selfie_once if self.finder_selfie and self.models.selfie is not None else None,
            selfie_min_score=self.finder_selfie_min_score,
            selfie_min_fill=self.finder_selfie_min_fill,
        )

    def _selfie_once(self, rgb: np.ndarray) -> np.ndarray:
        """The selfie model's probability from one run (no mirror averaging: half the cost)."""
        model = self.models.selfie
        return getattr(model, "once", model)(rgb)

    def confirm(self, rgb: np.ndarray, detections: list[Detection]) -> list[tuple[float, LandmarkResult]]:
        """(score, person) of the detections the landmark model is sure hold a person."""
        return confirm_detections(
            rgb,
            detections,
            self.models.landmarks,
            limit=self.max_people * 2,
            min_presence=self.min_presence,
            second_pass=self.second_pass,
        )

    def _segment_next(self, rgb: np.ndarray, previous: Segmentation) -> Segmentation | None:
        """Video: the landmark model on the regions the previous frame's landmarks suggest, without the
        detector (MediaPipe's tracking), parts too when asked. None when nobody was followed or someone is lost."""
        return self._with_parts(rgb, self._follow(rgb, previous))

    def _follow(self, rgb: np.ndarray, previous: Segmentation) -> Segmentation | None:
        found = follow_people(
            rgb, previous, self.models.landmarks, self.min_presence, self.redetect_on, carry_still=self.carry_still
        )
        return None if found is None else self._assemble(rgb, found)

    def _refined(
        self, rgb: np.ndarray, found: list[tuple[float, LandmarkResult]]
    ) -> list[tuple[float, LandmarkResult]]:
        """``found`` with the masks of the people read on this frame corrected (:func:`correct_masks`: not
        those the selfie model found, nor those carried over, already corrected, from the last frame)."""
        read = [i for i, (_, person) in enumerate(found) if person.found_by != SELFIE_FOUND and not person.carried]
        people = correct_masks(
            rgb,
            [found[i][1] for i in read],
            self.models.refiner,
            self.models.selfie,
            self._selfie_once,
            min_side=self.refiner_min_side,
            who=self.refiner_people,
            min_keep=self.refiner_min_keep,
            selfie_share=self.selfie_share,
            share_body=self.selfie_share_body,
        )
        changed = list(found)
        for i, person in zip(read, people, strict=True):
            changed[i] = (found[i][0], person)
        return changed

    def _assemble(self, rgb: np.ndarray, found: list[tuple[float, LandmarkResult]]) -> Segmentation:
        """Refine, drop duplicates, paste together and refine edges; ``found`` holds (score, person)."""
        found = drop_duplicates(self._refined(rgb, found))[: self.max_people]
        if not found:
            return nobody(rgb.shape[:2])
        union, people = paste_people(rgb, found, self.edges)
        follow = follow_entries(
            found,
            people,
            follow_bystanders=self.follow_bystanders,
            min_height=self.finder_min_height,
            subject_height=self.finder_subject_height,
            rgb=rgb if self.carry_still else None,
        )
        found_by = [person.found_by for _, person in found]
        return Segmentation(prob=union, people=people, meta={FOLLOW_KEY: follow, FOUND_BY_KEY: found_by})
