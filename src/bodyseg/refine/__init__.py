"""Pure post-processing of probability maps on their image: guided filter (default), dense CRF
(needs pydensecrf2), and :func:`refine_edges`, the one entry point the methods call."""

from bodyseg.refine.crf import dense_crf
from bodyseg.refine.edges import EDGE_REFINERS, refine_edges
from bodyseg.refine.guided import guided_filter

__all__ = ["EDGE_REFINERS", "dense_crf", "guided_filter", "refine_edges"]
