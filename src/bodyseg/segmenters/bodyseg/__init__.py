"""The default method, ``bodyseg``, and its fast mode ``bodyseg-fast``: find every person, a mask each, refined edges.

Modules, in the order a picture goes through them: :mod:`.people` (find people), :mod:`.finder`
(the people only the face-free finder sees), :mod:`.masks` (a mask per person, our refiner),
:mod:`.parts` (part maps), :mod:`.segmenter` (the default method put together), :mod:`.fast` (its
fast mode), :mod:`.following` (video: the next frame from the last); :mod:`.shared` holds what both
methods share, :mod:`.loading` bundles the models they run.

Example:
    >>> from bodyseg.segmenters.bodyseg import PeopleSegmenter
    >>> seg = PeopleSegmenter().segment("photo.jpg")  # doctest: +SKIP
"""

from bodyseg.segmenters.bodyseg.fast import FastPeopleSegmenter
from bodyseg.segmenters.bodyseg.loading import PipelineModels, load_refiner
from bodyseg.segmenters.bodyseg.segmenter import FOLLOW_KEY, PeopleSegmenter

__all__ = ["FOLLOW_KEY", "FastPeopleSegmenter", "PeopleSegmenter", "PipelineModels", "load_refiner"]
