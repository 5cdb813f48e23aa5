"""Fixed validation splits for data sets without a split file, by hash of the sample id.

A sample is validation when the first 8 hex digits of ``sha1("bodyseg-val:" + id)``, read as a
fraction of 2**32, fall below 0.15. It does not depend on the order of files or on which other
files exist, so adding photos never moves old ones between splits. Training
(:mod:`bodyseg.train.sources`) and evaluation (the ``pfcn-val``, ``picsart-val`` and
``backgrounds-val`` names) use the same function, so nothing trained on is ever scored.
"""

from __future__ import annotations

import hashlib

#: Fraction of a source without a split file that goes to validation.
VAL_FRACTION = 0.15
#: Salt of the validation hash: changing it would reshuffle every hash split.
SPLIT_SALT = "bodyseg-val:"


def is_validation(sample_id: str, fraction: float = VAL_FRACTION) -> bool:
    """Whether a sample of a source without a split file belongs to the validation split.

    Example:
        >>> is_validation("00001"), is_validation("00003")
        (False, False)
        >>> sum(is_validation(f"{i:05d}") for i in range(10000)) / 10000
        0.1495
    """
    digest = hashlib.sha1((SPLIT_SALT + sample_id).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) / 2**32 < fraction
