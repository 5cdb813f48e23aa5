"""Edge refinement of probability maps at full resolution."""

from bodyseg.refine.guided import guided_filter

__all__ = ["guided_filter"]
