"""Output naming, the finished check, and the temporary files a killed run leaves."""

from __future__ import annotations

from pathlib import Path

import pytest

from bodyseg.batch.outputs import (
    BATCH_EFFECTS,
    is_finished,
    is_temporary,
    looks_like_output,
    output_suffix,
    plan_items,
    remove_stale_temporaries,
)
from bodyseg.cli import batch as cli_batch
from bodyseg.errors import OutputError
from bodyseg.io.images import atomic_path, write_text


def test_outputs_mirror_sub_folders_and_are_named_after_their_input(tmp_path):
    found = [(Path("in/a.jpg"), Path("in")), (Path("in/x/y/b.png"), Path("in")), (Path("clips/d.mov"), Path("clips"))]
    items, clashes = plan_items(found, tmp_path / "out", "blur")
    assert clashes == []
    assert [i.target.relative_to(tmp_path).as_posix() for i in items] == [
        "out/a.blur.jpg",
        "out/x/y/b.blur.png",
        "out/d.blur.mov",
    ]
    assert [i.kind for i in items] == ["image", "image", "video"]


@pytest.mark.parametrize(
    ("name", "effect", "suffix"),
    [
        ("a.JPG", "mask", ".mask.png"),
        ("a.webp", "soft", ".soft.png"),
        ("a.JPG", "blur", ".blur.jpg"),
        ("a.bmp", "replace", ".replace.png"),
        ("a.jpg", "cutout", ".cutout.png"),
        ("a.jpg", "people", ".people.json"),
        ("a.jpg", "parts", ".parts.png"),
        ("d.mp4", "mask", ".mask.mp4"),
        ("d.mp4", "cutout", ".cutout.webm"),
    ],
)
def test_output_suffix(name, effect, suffix):
    assert output_suffix(Path(name), effect) == suffix


def test_an_output_file_name_is_refused_for_the_output_folder(tmp_path):
    with pytest.raises(OutputError, match="batch writes into a folder"):
        plan_items([(Path("in/a.jpg"), Path("in"))], tmp_path / "out.png", "mask")


def test_two_inputs_with_one_output_name_fail_the_second_only(tmp_path):
    found = [(Path("in/a.jpg"), Path("in")), (Path("in/a.png"), Path("in")), (Path("in/b.png"), Path("in"))]
    items, clashes = plan_items(found, tmp_path, "mask")
    assert [i.source.name for i in items] == ["a.jpg", "b.png"]
    assert len(clashes) == 1 and clashes[0][0] == Path("in/a.png") and "rename one of them" in clashes[0][1]


def test_only_a_non_empty_file_is_finished(tmp_path):
    path = tmp_path / "a.mask.png"
    assert not is_finished(path)
    path.write_bytes(b"")
    assert not is_finished(path)  # an empty file is not a finished output
    path.write_bytes(b"x")
    assert is_finished(path)
    assert not is_finished(tmp_path)  # nor is a folder


def test_a_temporary_name_is_never_a_finished_output_and_is_removed_after_a_kill(tmp_path):
    target = tmp_path / "sub" / "photo.mask.png"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"half a PNG")
        names = [p.name for p in target.parent.iterdir()]
        finished_while_written = is_finished(target)
    # while it is written, only the temporary name exists: not the final one, not an output's name
    assert names == [tmp.name] and is_temporary(tmp.name) and not looks_like_output(tmp.name)
    assert not finished_while_written and is_finished(target)
    # a kill (no rename, no clean-up) leaves such a file: plant one, next to things to keep
    stale = target.parent / tmp.name
    stale.write_bytes(b"half a PNG")
    report_tmp = tmp_path / ".batch-report.csv.abcd1234.part"
    report_tmp.write_text("x")
    keep = [tmp_path / ".notes.txt.abcd1234.part", tmp_path / "photo.mask.png.part", target]
    for path in keep:
        path.write_text("keep")
    assert sorted(remove_stale_temporaries(tmp_path)) == sorted([stale, report_tmp])
    assert all(path.exists() for path in keep)


def test_write_text_leaves_no_temporary_on_failure(tmp_path):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), atomic_path(tmp_path / "a.mask.png") as tmp:
        tmp.write_bytes(b"partial")
        raise Boom
    assert list(tmp_path.iterdir()) == []
    write_text(tmp_path / "a.people.json", "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["a.people.json"]


def test_the_cli_lists_the_effects_batch_knows():
    assert cli_batch.BATCH_EFFECTS == BATCH_EFFECTS
