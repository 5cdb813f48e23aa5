"""``bodyseg train``: the options, the help text, and a short run through the command."""

from __future__ import annotations

import argparse
import json

import pytest

from bodyseg.cli import train as train_cli
from bodyseg.errors import InputError


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="bodyseg")
    train_cli.add_parsers(root.add_subparsers())
    return root


def test_help_lists_every_architecture_and_teaches_resume(capsys) -> None:
    pytest.importorskip("torch")
    from bodyseg import nets

    with pytest.raises(SystemExit):
        parser().parse_args(["train", "--help"])
    text = capsys.readouterr().out
    for name in nets.available():
        assert name in text
    assert "--resume" in text and "--no-composite" in text and "outside the repository" in text


def test_options_become_a_config(tmp_path) -> None:
    pytest.importorskip("torch")
    args = parser().parse_args(
        [
            "train",
            "--arch",
            "deeplabv3plus",
            "--arch-option",
            "output_stride=8",
            "--data",
            "ccp-parts",
            "--no-composite",
            "--out",
            str(tmp_path),
            "--size",
            "128",
        ]
    )
    config = train_cli.config_from_args(args)
    assert (
        config.loss == "ce"
        and config.arch_options == {"output_stride": 8}
        and not config.composite
        and config.size == 128
    )
    with pytest.raises(InputError, match="multiple of 32"):
        train_cli.config_from_args(parser().parse_args(["train", "--size", "100"]))


def test_a_short_run_through_the_command_exports(figures, tmp_path, capsys) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    folder = figures(count=8)
    out = tmp_path / "run"
    args = parser().parse_args(
        [
            "train",
            "--arch",
            "unet",
            "--data",
            str(folder),
            "--size",
            "64",
            "--epochs",
            "1",
            "--steps-per-epoch",
            "1",
            "--batch-size",
            "2",
            "--out",
            str(out),
            "--no-composite",
            "--export",
        ]
    )
    from bodyseg.train.sources import is_validation

    assert any(is_validation(f"{i:03d}") for i in range(8))  # the folder has a validation split (001)
    assert args.run(args) == 0
    assert json.loads((out / "unet.json").read_text())["architecture"] == "unet"
    assert "resume with the same command plus --resume" in capsys.readouterr().out
