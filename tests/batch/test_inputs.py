"""Batch inputs: folders, globs, manifests; never the batch's own outputs."""

from __future__ import annotations

from pathlib import Path

from bodyseg.batch.inputs import expand_batch_inputs, read_manifest


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def names(found, base: Path) -> list[tuple[str, str]]:
    return [(p.relative_to(base).as_posix(), r.relative_to(base).as_posix()) for p, r in found]


def test_a_folder_gives_images_and_videos_but_not_outputs_or_the_output_folder(tmp_path):
    shots = tmp_path / "shots"
    for name in (
        "a.jpg",
        "b/c.PNG",
        "d.mp4",
        "notes.txt",
        "a.mask.png",
        "a.soft.png",
        "a.parts.png",
        "a.person01.png",
        "out/x.jpg",
    ):
        touch(shots / name)
    found, missing = expand_batch_inputs([str(shots)], shots / "out")
    assert missing == []
    assert names(found, tmp_path) == [("shots/a.jpg", "shots"), ("shots/b/c.PNG", "shots"), ("shots/d.mp4", "shots")]


def test_globs_files_and_what_matches_nothing(tmp_path):
    touch(tmp_path / "a" / "x.jpg")
    touch(tmp_path / "b" / "y.jpg")
    found, missing = expand_batch_inputs(
        [f"{tmp_path}/*/*.jpg", str(tmp_path / "a" / "x.jpg"), f"{tmp_path}/*.gif"], tmp_path / "out"
    )
    assert names(found, tmp_path) == [("a/x.jpg", "a"), ("b/y.jpg", "b")]  # x.jpg once
    assert len(missing) == 1 and "matches no file" in missing[0][1]


def test_text_manifest_relative_to_its_folder_mirrors_from_it(tmp_path):
    touch(tmp_path / "data" / "a" / "x.jpg")
    touch(tmp_path / "data" / "b.png")
    manifest = tmp_path / "data" / "list.txt"
    manifest.write_text("# photos\na/x.jpg\n\n b.png \nmissing.jpg\n")
    found, missing = expand_batch_inputs([str(manifest)], tmp_path / "out")
    assert names(found, tmp_path) == [("data/a/x.jpg", "data"), ("data/b.png", "data"), ("data/missing.jpg", "data")]
    assert missing == []  # a missing file is the reader's to report, in the report


def test_csv_manifest_takes_the_path_column_and_files_outside_mirror_from_their_common_folder(tmp_path):
    touch(tmp_path / "far" / "p" / "x.jpg")
    touch(tmp_path / "far" / "q" / "x.jpg")
    manifest = tmp_path / "lists" / "m.csv"
    manifest.parent.mkdir()
    manifest.write_text(f"id,Path,label\n1,{tmp_path}/far/p/x.jpg,a\n2,{tmp_path}/far/q/x.jpg,b\n")
    assert read_manifest(manifest) == [f"{tmp_path}/far/p/x.jpg", f"{tmp_path}/far/q/x.jpg"]
    found, _ = expand_batch_inputs([str(manifest)], tmp_path / "out")
    assert names(found, tmp_path) == [("far/p/x.jpg", "far"), ("far/q/x.jpg", "far")]  # p/x and q/x do not collide


def test_csv_without_a_known_header_uses_the_first_column_and_input_is_a_known_header(tmp_path):
    headless = tmp_path / "m.csv"
    headless.write_text("a.jpg,3\nb.jpg,4\n")
    assert read_manifest(headless) == ["a.jpg", "b.jpg"]
    report = tmp_path / "batch-report.csv"
    report.write_text("input,output,status,error,seconds,worker\nin/a.jpg,out/a.mask.png,failed,bad,0.1,\n")
    assert read_manifest(report) == ["in/a.jpg"]


def test_an_empty_manifest_is_reported(tmp_path):
    manifest = tmp_path / "empty.txt"
    manifest.write_text("# nothing\n")
    found, missing = expand_batch_inputs([str(manifest)], tmp_path / "out")
    assert found == [] and "lists no path" in missing[0][1]
