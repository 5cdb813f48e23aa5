"""What a worker does with a chunk, run here without Dask: outputs, skips, bad inputs, parts, people, video."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bodyseg import effects
from bodyseg.batch.outputs import BatchItem
from bodyseg.batch.tasks import BatchSpec, SegmenterPool, effect_options, process_items
from bodyseg.io import read_image, write_image
from bodyseg.segmenters import create
from tests.batch.fakes import Brightness, TwoPeople, WithParts, make_photos, register_fakes

register_fakes()


def items_for(paths: list[Path], out: Path, tag: str, ext: str = ".png") -> list[BatchItem]:
    return [BatchItem(p, out / f"{p.stem}.{tag}{ext}", "video" if p.suffix == ".mp4" else "image") for p in paths]


def test_each_input_gets_its_output_and_bad_ones_fail_alone_in_order(tmp_path):
    photos = make_photos(tmp_path / "in", 3)
    bad = tmp_path / "in" / "bad.jpg"
    bad.write_text("not a JPEG")
    tiny = write_image(tmp_path / "in" / "tiny.png", np.zeros((8, 8, 3), np.uint8))
    inputs = [photos[0], bad, photos[1], tmp_path / "in" / "gone.jpg", tiny, photos[2]]
    items = items_for(inputs, tmp_path / "out", "mask")
    results = process_items(items, BatchSpec("mask", "fake-brightness"), Brightness(), {})
    assert [r.input for r in results] == [str(p) for p in inputs]
    assert [r.status for r in results] == ["done", "failed", "done", "failed", "failed", "done"]
    assert "bad.jpg: not an image bodyseg can read" in results[1].error
    assert "gone.jpg" in results[3].error and "at least 16x16" in results[4].error
    for photo, item in zip(photos, [items[0], items[2], items[5]], strict=True):
        expected = (read_image(photo)[..., 0] > 127.5).astype(np.uint8) * 255  # prob = red / 255 > 0.5
        np.testing.assert_array_equal(np.asarray(Image.open(item.target)), expected)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        i.target.name for i in [items[0], items[2], items[5]]
    )


def test_finished_outputs_are_skipped_empty_ones_redone_and_overwrite_redoes_all(tmp_path):
    photos = make_photos(tmp_path, 3)
    items = items_for(photos, tmp_path / "out", "mask")
    (tmp_path / "out").mkdir()
    items[0].target.write_bytes(b"finished by an earlier run")
    items[1].target.write_bytes(b"")  # not finished: empty
    results = process_items(items, BatchSpec("mask", "fake-brightness"), Brightness(), {})
    assert [r.status for r in results] == ["skipped", "done", "done"]
    assert items[0].target.read_bytes() == b"finished by an earlier run" and items[1].target.stat().st_size > 100
    again = process_items(items, BatchSpec("mask", "fake-brightness", overwrite=True), Brightness(), {})
    assert [r.status for r in again] == ["done"] * 3 and items[0].target.read_bytes().startswith(b"\x89PNG")


def test_an_unexpected_error_of_the_segmenter_fails_that_input_with_its_type(tmp_path):
    class Flaky(Brightness):
        calls = 0

        def _segment(self, rgb):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise ZeroDivisionError("the model fell over")
            return super()._segment(rgb)

    items = items_for(make_photos(tmp_path, 2), tmp_path / "out", "mask")
    results = process_items(items, BatchSpec("mask", "fake-brightness"), Flaky(), {})
    assert [r.status for r in results] == ["failed", "done"]
    assert results[0].error == f"{items[0].source}: unexpected ZeroDivisionError: the model fell over"


def test_parts_fail_clearly_for_a_method_without_parts_and_are_label_ids_otherwise(tmp_path):
    items = items_for(make_photos(tmp_path, 1), tmp_path / "out", "parts")
    [result] = process_items(items, BatchSpec("parts", "fake-brightness"), create("fake-brightness"), {})
    assert result.status == "failed" and "method fake-brightness gives no body parts" in result.error
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    [result] = process_items(items, BatchSpec("parts", "fake-parts"), WithParts(), {})
    assert result.status == "done"
    labels = np.asarray(Image.open(items[0].target))
    rgb = read_image(items[0].source)
    person = rgb[..., 0] > 127.5
    assert labels.dtype == np.uint8 and set(np.unique(labels)) == {0, 1, 2}
    np.testing.assert_array_equal(labels > 0, person)
    assert (labels[24:] != 1).all() and (labels[:24] != 2).all()


def test_people_writes_a_mask_per_person_then_the_coco_json(tmp_path):
    photo = make_photos(tmp_path, 1)[0]
    item = BatchItem(photo, tmp_path / "out" / f"{photo.stem}.people.json")
    [result] = process_items([item], BatchSpec("people", "fake-people"), TwoPeople(), {})
    assert result.status == "done", result.error
    files = sorted(p.name for p in item.target.parent.iterdir())
    assert files == [f"{photo.stem}.people.json", f"{photo.stem}.person01.png", f"{photo.stem}.person02.png"]
    doc = json.loads(item.target.read_text())
    assert len(doc["annotations"]) == 2 and doc["images"][0]["file_name"] == photo.name
    left = np.asarray(Image.open(item.target.parent / f"{photo.stem}.person01.png")) > 0
    assert left.any() and not left[:, 32:].any()


def test_replace_reads_a_background_image_once_and_draws_with_it(tmp_path):
    background = write_image(tmp_path / "bg.png", np.full((10, 10, 3), (0, 200, 0), np.uint8))
    spec = BatchSpec("replace", "fake-brightness", effect_options={"background": str(background), "feather": 0})
    options = effect_options(spec)
    assert isinstance(options["background"], np.ndarray)
    items = items_for(make_photos(tmp_path, 1), tmp_path / "out", "replace")
    [result] = process_items(items, spec, Brightness(), options)
    assert result.status == "done"
    rgb = read_image(items[0].source)
    expected = effects.replace(rgb, Brightness().segment(rgb), np.full((48, 64, 3), (0, 200, 0), np.uint8), feather=0)
    np.testing.assert_array_equal(read_image(items[0].target), expected)
    assert (expected[rgb[..., 0] == 0] == (0, 200, 0)).all()  # no person there: all background


def test_a_video_is_one_item_written_whole(tmp_path):
    pytest.importorskip("av")
    from bodyseg.io.video import VideoReader, VideoWriter

    clip = tmp_path / "in" / "clip.mp4"
    clip.parent.mkdir()
    rng = np.random.default_rng(1)
    with VideoWriter(clip, fps=10) as writer:
        for _ in range(6):
            writer.write(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    items = [
        BatchItem(clip, tmp_path / "out" / "clip.blur.mp4", "video"),
        BatchItem(clip, tmp_path / "out" / "clip.people.mp4", "video"),
    ]
    results = process_items(items[:1], BatchSpec("blur", "fake-brightness"), Brightness(), {})
    assert results[0].status == "done", results[0].error
    with VideoReader(items[0].target) as reader:
        assert (reader.info.width, reader.info.height) == (64, 48) and len(list(reader)) == 6
    [people] = process_items(items[1:], BatchSpec("people", "fake-people"), TwoPeople(), {})
    assert people.status == "failed" and "for videos use mask, soft, blur, replace or cutout" in people.error
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["clip.blur.mp4"]


def test_the_pool_makes_one_segmenter_per_thread_that_uses_one_at_once():
    made = []
    pool = SegmenterPool(lambda: made.append(Brightness()) or made[-1])
    pool.preload()
    for _ in range(3):
        with pool.lend():
            pass
    assert len(made) == 1  # one thread: the preloaded one, every time
    inside = threading.Barrier(2)

    def borrow():
        with pool.lend():
            inside.wait(timeout=5)  # both hold one at once

    threads = [threading.Thread(target=borrow) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 2 and len(pool.made) == 2
    pool.close()
    assert pool.made == []
