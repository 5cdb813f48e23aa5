"""Edge refinement of probability maps: guided filter (default), dense CRF (needs pydensecrf2)."""

from bodyseg.refine.crf import dense_crf
from bodyseg.refine.guided import guided_filter

__all__ = ["dense_crf", "guided_filter"]
