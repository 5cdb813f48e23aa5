"""Body parts: part schemes (names, colours, left/right pairs) and what is drawn from them.

Example:
    >>> from bodyseg.parts import get_scheme
    >>> get_scheme("lip").names[13]
    'face'
"""

from bodyseg.parts.schemes import BODY, LIP, SCHEMES, PartScheme, available, check_labels, get_scheme

__all__ = ["BODY", "LIP", "SCHEMES", "PartScheme", "available", "check_labels", "get_scheme"]
