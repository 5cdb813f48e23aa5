"""Part schemes: the label names, colours and left/right pairs of a part map, by name.

Two schemes ship:

- ``lip``: the 20 classes of LIP (Look Into Person, Gong et al., CVPR 2017), ids 0-19 as in LIP and
  in ``viton_parts/labels.txt``, with LIP's palette colours;
- ``body``: anatomical parts close to the multi-part body segmentation study's grouping (head, neck,
  torso, left/right upper arm, lower arm, hand, upper leg, lower leg, foot).

Left and right are the person's own (a frontal person's left arm is on the image's right). A
horizontal flip of a picture turns a left arm into a right one, so flipping a label map must also
swap every pair of :attr:`PartScheme.flip_pairs` (:meth:`PartScheme.flip_labels`).

Example:
    >>> scheme = get_scheme("lip")
    >>> scheme.num_classes, scheme.names[14], scheme.colours[13]
    (20, 'left-arm', (0, 0, 255))
    >>> sorted(available())
    ['body', 'lip']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bodyseg.errors import InputError

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class PartScheme:
    """A named set of part labels: id ``i`` is ``names[i]``, drawn in ``colours[i]`` (RGB).

    Attributes:
        name: what the CLI and cards call it (``"lip"``, ``"body"``).
        names: label names by id; id 0 is always ``"background"``.
        colours: one RGB colour per id.
        flip_pairs: ``(left id, right id)`` pairs that trade places on a horizontal flip.
        summary: one line for help texts and docs.
    """

    name: str
    names: tuple[str, ...]
    colours: tuple[Colour, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    summary: str

    def __post_init__(self) -> None:
        if len(self.names) != len(self.colours):
            raise ValueError(f"scheme {self.name!r}: {len(self.names)} names but {len(self.colours)} colours")
        if self.names[0] != "background":
            raise ValueError(f"scheme {self.name!r}: id 0 must be 'background', got {self.names[0]!r}")
        for left, right in self.flip_pairs:
            if not (0 < left < self.num_classes and 0 < right < self.num_classes):
                raise ValueError(f"scheme {self.name!r}: flip pair ({left}, {right}) is outside the ids")

    @property
    def num_classes(self) -> int:
        """How many labels, background included."""
        return len(self.names)

    def id_of(self, name: str) -> int:
        """The id of a label name.

        Example:
            >>> get_scheme("body").id_of("torso")
            3
        """
        try:
            return self.names.index(name)
        except ValueError:
            raise InputError(f"scheme {self.name!r} has no part {name!r}; it has: {', '.join(self.names)}") from None

    def flip_lookup(self) -> np.ndarray:
        """A ``num_classes`` uint8 table mapping each id to its mirror id (itself if unpaired).

        Example:
            >>> get_scheme("lip").flip_lookup()[[0, 14, 15, 18]].tolist()
            [0, 15, 14, 19]
        """
        table = np.arange(self.num_classes, dtype=np.uint8)
        for left, right in self.flip_pairs:
            table[left], table[right] = right, left
        return table

    def flip_labels(self, labels: np.ndarray) -> np.ndarray:
        """Mirror a HxW label map left-right and swap left/right ids, as a horizontal flip of the photo does.

        Example:
            >>> get_scheme("lip").flip_labels(np.array([[14, 0, 2]])).tolist()
            [[2, 0, 15]]
        """
        labels = np.asarray(labels)
        check_labels(labels, self)
        return self.flip_lookup()[labels[:, ::-1]].astype(labels.dtype)

    def palette(self) -> np.ndarray:
        """``num_classes x 3`` uint8 RGB colours, row ``i`` for id ``i``."""
        return np.array(self.colours, dtype=np.uint8)

    def colourize(self, labels: np.ndarray) -> np.ndarray:
        """HxWx3 uint8 RGB picture of a label map in the scheme's colours.

        Example:
            >>> get_scheme("lip").colourize(np.array([[0, 2]])).tolist()
            [[[0, 0, 0], [255, 0, 0]]]
        """
        labels = np.asarray(labels)
        check_labels(labels, self)
        return self.palette()[labels]


def check_labels(labels: np.ndarray, scheme: PartScheme) -> None:
    """Raise :class:`InputError` unless ``labels`` holds integer ids of ``scheme``."""
    if labels.dtype.kind not in "iu":
        raise InputError(f"part labels must be integers, got dtype {labels.dtype}; cast with .astype(np.uint8)")
    if labels.size and (labels.min() < 0 or labels.max() >= scheme.num_classes):
        raise InputError(
            f"part labels run from {labels.min()} to {labels.max()} but scheme {scheme.name!r} has ids "
            f"0-{scheme.num_classes - 1}; use the scheme the map was made with"
        )


#: LIP's 20 labels and palette (the colours of LIP's and VITON's palette PNGs).
LIP = PartScheme(
    name="lip",
    names=(
        "background",
        "hat",
        "hair",
        "glove",
        "sunglasses",
        "upper-clothes",
        "dress",
        "coat",
        "socks",
        "pants",
        "jumpsuit",
        "scarf",
        "skirt",
        "face",
        "left-arm",
        "right-arm",
        "left-leg",
        "right-leg",
        "left-shoe",
        "right-shoe",
    ),
    colours=(
        (0, 0, 0),
        (128, 0, 0),
        (255, 0, 0),
        (0, 85, 0),
        (170, 0, 51),
        (255, 85, 0),
        (0, 0, 85),
        (0, 119, 221),
        (85, 85, 0),
        (0, 85, 85),
        (85, 51, 0),
        (52, 86, 128),
        (0, 128, 0),
        (0, 0, 255),
        (51, 170, 221),
        (0, 255, 255),
        (85, 255, 170),
        (170, 255, 85),
        (255, 255, 0),
        (255, 170, 0),
    ),
    flip_pairs=((14, 15), (16, 17), (18, 19)),
    summary="the 20 LIP classes: clothes, hair, face, left/right arms, legs and shoes",
)

#: Anatomical parts, close to the multi-part study's grouping (without its fingers, toes, shoulders).
BODY = PartScheme(
    name="body",
    names=(
        "background",
        "head",
        "neck",
        "torso",
        "left-upper-arm",
        "right-upper-arm",
        "left-lower-arm",
        "right-lower-arm",
        "left-hand",
        "right-hand",
        "left-upper-leg",
        "right-upper-leg",
        "left-lower-leg",
        "right-lower-leg",
        "left-foot",
        "right-foot",
    ),
    colours=(
        (0, 0, 0),
        (230, 25, 75),
        (245, 130, 48),
        (255, 225, 25),
        (60, 180, 75),
        (0, 130, 200),
        (70, 240, 240),
        (145, 30, 180),
        (240, 50, 230),
        (210, 245, 60),
        (250, 190, 212),
        (0, 128, 128),
        (220, 190, 255),
        (170, 110, 40),
        (128, 0, 0),
        (170, 255, 195),
    ),
    flip_pairs=((4, 5), (6, 7), (8, 9), (10, 11), (12, 13), (14, 15)),
    summary="anatomical parts: head, neck, torso, left/right upper and lower arms, hands, upper and lower legs, feet",
)

#: The schemes by name.
SCHEMES: dict[str, PartScheme] = {scheme.name: scheme for scheme in (LIP, BODY)}


def available() -> dict[str, str]:
    """Scheme names with their one-line summaries."""
    return {name: scheme.summary for name, scheme in SCHEMES.items()}


def get_scheme(name: str | PartScheme) -> PartScheme:
    """The scheme called ``name`` (a scheme is returned as it is).

    Raises:
        InputError: no scheme has that name; the message lists the names.

    Example:
        >>> get_scheme("body").names[:4]
        ('background', 'head', 'neck', 'torso')
    """
    if isinstance(name, PartScheme):
        return name
    try:
        return SCHEMES[name]
    except KeyError:
        raise InputError(f"unknown part scheme {name!r}; choose one of: {', '.join(SCHEMES)}") from None
