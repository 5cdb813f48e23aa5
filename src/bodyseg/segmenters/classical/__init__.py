"""Classical segmentation methods: k-means, mean-shift, GrabCut, SLIC + graph cut, colour GMMs.

Each is a :class:`~bodyseg.segmenters.base.Segmenter` created by name
(``bodyseg.segmenters.create("grabcut", prior="pose")``). None learns from data: they split the
image by colour and decide what is person with a prior, the skeleton of the person the pose model
finds (``prior="pose"``, the default) or a centred ellipse (``prior="centre"``); see
:mod:`~bodyseg.segmenters.classical.priors` and :class:`~.base.ClassicalSegmenter`.
"""
