"""CCP mapped to LIP (tools/ccp_to_lip.py), the ``ccp-lip`` training source and fine-tuning with ``--init``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bodyseg import nets  # noqa: E402
from bodyseg.errors import InputError  # noqa: E402
from bodyseg.parts.pose_parts import standing_keypoints  # noqa: E402
from bodyseg.parts.schemes import LIP  # noqa: E402
from bodyseg.train.loop import start_from  # noqa: E402
from bodyseg.train.sources import open_source, source_folder  # noqa: E402

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[2]


def load_tool():
    spec = importlib.util.spec_from_file_location("ccp_to_lip", ROOT / "tools" / "ccp_to_lip.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CCP_NAMES = ("null", "skin", "boots", "belt", "pants", "tights", "hair", "glasses", "cardigan", "romper")


def lip_id(name: str) -> int:
    return LIP.names.index(name)


def test_garments_map_by_name_and_the_rules_by_pose() -> None:
    tool = load_tool()
    table, rules = tool.lip_lookup(CCP_NAMES, LIP.names)
    ccp = np.zeros((80, 80), np.uint8)
    ccp[5:8, 39:42] = 1  # skin at the nose
    ccp[43:46, 69:72] = 1  # skin at the left wrist (a frontal person: the image's right)
    ccp[59:62, 50:53] = 1  # skin at the left knee
    ccp[59:62, 28:31] = 5  # tights at the right knee
    ccp[73:76, 50:53] = 2  # boots at the left ankle
    ccp[73:76, 28:31] = 2  # boots at the right ankle
    ccp[45:51, 35:46] = 4  # trousers ...
    ccp[47, 40] = 3  # ... with a belt pixel inside
    ccp[0:3, 30:35] = 6  # hair
    ccp[20:23, 38:42] = 8  # cardigan
    lip = tool.ccp_to_lip(ccp, standing_keypoints(80.0, 80.0), table, rules)
    assert lip[6, 40] == lip_id("face")
    assert lip[44, 70] == lip_id("left-arm")
    assert lip[60, 51] == lip_id("left-leg")
    assert lip[60, 29] == lip_id("right-leg")
    assert lip[74, 51] == lip_id("left-shoe")
    assert lip[74, 29] == lip_id("right-shoe")
    assert lip[47, 40] == lip_id("pants")  # the belt takes the label around it
    assert lip[1, 32] == lip_id("hair")
    assert lip[21, 40] == lip_id("coat")
    assert lip[40, 10] == 0
    assert lip.max() < LIP.num_classes


def test_named_classes_and_an_accessory_alone() -> None:
    tool = load_tool()
    table, _ = tool.lip_lookup(CCP_NAMES, LIP.names)
    assert table[7] == lip_id("sunglasses") and table[9] == lip_id("jumpsuit") and table[0] == 0
    lip = np.zeros((4, 4), np.uint8)
    holes = np.zeros((4, 4), bool)
    holes[1, 1] = True
    assert tool.fill_accessories(lip, holes, lip_id("upper-clothes"))[1, 1] == lip_id("upper-clothes")
    with pytest.raises(ValueError, match="no LIP mapping"):
        tool.lip_lookup(("null", "cloak"), LIP.names)


def test_every_ccp_label_has_a_lip_mapping(datasets) -> None:
    names = [line.split(maxsplit=1)[1] for line in (datasets / "ccp" / "part_labels.txt").read_text().splitlines()]
    assert len(names) == 59
    assert not set(names) - set(load_tool().CCP_TO_LIP)


def test_the_ccp_lip_source_reads_the_tools_folder_and_its_split(tmp_path, monkeypatch) -> None:
    from bodyseg.io.images import write_image, write_label_png

    folder = tmp_path / "ccp-lip"
    for sub in ("images", "parts"):
        (folder / sub).mkdir(parents=True)
    (folder / "labels.txt").write_text("".join(f"{i} {n}\n" for i, n in enumerate(LIP.names)))
    for stem in ("0001", "0002", "0003"):
        write_image(folder / "images" / f"{stem}.png", np.zeros((8, 8, 3), np.uint8))
        write_label_png(folder / "parts" / f"{stem}.png", np.full((8, 8), 5, np.uint8))
    (folder / "split.txt").write_text("0001 train\n0002 val\n0003 train\n")
    monkeypatch.setenv("BODYSEG_CCP_LIP", str(folder))
    assert source_folder("ccp-lip") == folder
    train, kind = open_source("ccp-lip", "train")
    val, _ = open_source("ccp-lip", "val")
    assert kind == "parts" and train.ids() == ["0001", "0003"] and val.ids() == ["0002"]
    assert train.part_names == LIP.names
    monkeypatch.setenv("BODYSEG_CCP_LIP", str(tmp_path / "missing"))
    with pytest.raises(InputError, match="ccp_to_lip.py"):
        open_source("ccp-lip", "train")


def test_init_loads_another_runs_weights_and_refuses_misfits(tmp_path) -> None:
    torch.manual_seed(0)
    trained = nets.create("part-unet", num_classes=20)
    path = tmp_path / "best.pt"
    torch.save({"config": {"arch": "part-unet"}, "model": trained.state_dict(), "epoch": 3}, path)
    fresh = nets.create("part-unet", num_classes=20)
    start_from(fresh, path, "part-unet")
    for a, b in zip(trained.state_dict().values(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    with pytest.raises(InputError, match="--arch"):
        start_from(fresh, path, "unet")
    with pytest.raises(InputError, match="do not fit"):
        start_from(nets.create("part-unet", num_classes=5), path, "part-unet")
    with pytest.raises(InputError, match="no such checkpoint"):
        start_from(fresh, tmp_path / "nothing.pt", "part-unet")


def test_the_tool_refuses_to_overwrite_and_needs_its_own_output_to_crop(tmp_path, capsys) -> None:
    tool = load_tool()
    (tmp_path / "done" / "parts").mkdir(parents=True)
    assert tool.main(["--out", str(tmp_path / "done"), "--crop-from", str(tmp_path / "nothing")]) == 2
    assert "run this tool with --out" in capsys.readouterr().err
    (tmp_path / "src" / "parts").mkdir(parents=True)
    assert tool.main(["--out", str(tmp_path / "done"), "--crop-from", str(tmp_path / "src")]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert tool.main(["--out", str(tmp_path / "done"), "--picture", str(tmp_path / "p.jpg"), "0001"]) == 2
    assert not (tmp_path / "p.jpg").exists()


def test_crop_folder_cuts_each_photo_to_its_person_with_the_margin(tmp_path) -> None:
    from bodyseg.datasets.files import read_label_map
    from bodyseg.io.images import read_image, write_image, write_label_png

    tool = load_tool()
    src = tmp_path / "src"
    for sub in ("images", "masks", "parts"):
        (src / sub).mkdir(parents=True)
    (src / "labels.txt").write_text("".join(f"{i} {n}\n" for i, n in enumerate(LIP.names)))
    (src / "split.txt").write_text("0001 train\n")
    parts = np.zeros((100, 80), np.uint8)
    parts[20:70, 30:50] = 5  # a person 50 px tall: the crop grows by 4 px (8% of 50) each way
    write_image(src / "images" / "0001.png", np.zeros((100, 80, 3), np.uint8))
    write_image(src / "masks" / "0001.png", (parts > 0).astype(np.uint8) * 255)
    write_label_png(src / "parts" / "0001.png", parts)
    assert tool.crop_folder(src, tmp_path / "out") == 1
    cut = read_label_map(tmp_path / "out" / "parts" / "0001.png")
    assert cut.shape == (58, 28) and (cut[4:-4, 4:-4] == 5).all() and cut[:4].max() == 0
    assert read_image(tmp_path / "out" / "images" / "0001.jpg").shape[:2] == (58, 28)


def test_class_shares_count_person_pixels_of_one_split(tmp_path) -> None:
    from bodyseg.io.images import write_label_png

    tool = load_tool()
    (tmp_path / "parts").mkdir()
    (tmp_path / "split.txt").write_text("a train\nb val\n")
    write_label_png(tmp_path / "parts" / "a.png", np.array([[0, 5, 5, 13]], np.uint8))
    write_label_png(tmp_path / "parts" / "b.png", np.array([[7, 7, 7, 7]], np.uint8))
    shares = tool.class_shares(tmp_path, "train")
    assert shares["upper-clothes"] == pytest.approx(2 / 3) and shares["face"] == pytest.approx(1 / 3)
    assert shares["coat"] == 0 and "background" not in shares
