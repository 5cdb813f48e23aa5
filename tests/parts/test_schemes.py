"""Part schemes: ids, colours, and the left/right swap of a horizontal flip."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.errors import InputError
from bodyseg.parts import BODY, LIP, get_scheme
from tests.conftest import dataset_path


def test_lip_ids_match_the_viton_label_file():
    lines = dataset_path("viton_parts", "labels.txt").read_text().splitlines()
    expected = tuple(line.split()[1] for line in lines if line.strip())
    assert LIP.names == expected


def test_lip_colours_match_the_palette_of_the_data_files_within_rounding():
    from PIL import Image

    first = sorted(dataset_path("viton_parts", "val", "parts").iterdir())[0]
    palette = np.array(Image.open(first).getpalette()[:60]).reshape(20, 3)
    assert np.abs(palette - LIP.palette().astype(int)).max() <= 2


def test_body_scheme_has_the_study_grouping_and_unique_colours():
    assert BODY.names[:4] == ("background", "head", "neck", "torso")
    assert BODY.num_classes == 16
    assert len(set(BODY.colours)) == BODY.num_classes
    assert len(set(LIP.colours)) == LIP.num_classes


@pytest.mark.parametrize("scheme", [LIP, BODY])
def test_flip_pairs_swap_left_for_right_by_name(scheme):
    for left, right in scheme.flip_pairs:
        assert scheme.names[left].startswith("left-")
        assert scheme.names[right] == "right-" + scheme.names[left][len("left-") :]
    unpaired = [n for i, n in enumerate(scheme.names) if i not in {x for p in scheme.flip_pairs for x in p}]
    assert not [n for n in unpaired if n.startswith(("left", "right"))]


def test_flip_labels_mirrors_and_swaps_and_twice_is_identity():
    labels = np.array([[0, 14, 16], [18, 2, 15]], np.uint8)
    flipped = LIP.flip_labels(labels)
    assert flipped.tolist() == [[17, 15, 0], [14, 2, 19]]
    assert flipped.dtype == np.uint8
    assert np.array_equal(LIP.flip_labels(flipped), labels)


def test_colourize_and_bad_labels():
    assert BODY.colourize(np.array([[3]])).tolist() == [[list(BODY.colours[3])]]
    with pytest.raises(InputError, match="0-15"):
        BODY.colourize(np.array([[16]]))
    with pytest.raises(InputError, match="integers"):
        LIP.flip_labels(np.zeros((2, 2), np.float32))


def test_get_scheme_names_the_choices():
    assert get_scheme("body") is BODY
    assert get_scheme(LIP) is LIP
    with pytest.raises(InputError, match="lip, body"):
        get_scheme("coco")
    with pytest.raises(InputError, match="no part 'tail'"):
        LIP.id_of("tail")
