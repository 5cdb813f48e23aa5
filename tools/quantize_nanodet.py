"""Quantize NanoDet's convolutions to int8 (ONNX Runtime static quantization), calibrated on training photos.

    python tools/quantize_nanodet.py [--source runs/nanodet-float/nanodet.onnx] [--out src/bodyseg/weights]
        [--per-source 20] [--write-card]

The float model (made by ``tools/convert_tfjs.py``, with its card) is pre-processed
(shape inference), then every Conv is quantized to int8 weights (per channel) and uint8 activations
in QDQ form; the head's other ops stay float (quantizing them too lost every detection). The
activation ranges come from ``--per-source`` photos of each training split (ccp, pfcn, picsart: never
their validation splits) and the training part of the person-free backgrounds, fed exactly as the
runtime feeds them (:func:`bodyseg.models.nanodet.nanodet_input`). With ``--write-card`` the output
gets a model card: the float model's, with this file's sha256, size and how it was made.
A development-time tool: it needs onnxruntime's quantization module (in the core install) and the
data sets (``$BODYSEG_DATASETS`` or ``../shared/datasets``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def calibration_inputs(per_source: int) -> Iterator[np.ndarray]:
    """NanoDet inputs of training photos only, spread evenly over each split."""
    from bodyseg.io.images import read_image
    from bodyseg.models.nanodet import nanodet_input
    from bodyseg.train.refiner_crops import background_paths
    from bodyseg.train.sources import open_source

    for name in ("ccp", "pfcn", "picsart"):
        split, _ = open_source(name, "train")
        for i in range(0, len(split), max(1, len(split) // per_source))[:per_source]:
            yield nanodet_input(split[i].load_image())[0]
    for path in background_paths()[:per_source]:  # the training part only
        yield nanodet_input(read_image(path))[0]


def quantize(source: Path, out: Path, per_source: int) -> Path:
    """The int8 model of ``source`` written to ``out``/nanodet.onnx."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.inputs = calibration_inputs(per_source)

        def get_next(self) -> dict[str, np.ndarray] | None:
            x = next(self.inputs, None)
            return None if x is None else {"input_1:0": x}

    out.mkdir(parents=True, exist_ok=True)
    prepared = out / "prepared.onnx"
    quant_pre_process(str(source), str(prepared))
    target = out / "nanodet.onnx"
    quantize_static(
        str(prepared),
        str(target),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["Conv"],
    )
    prepared.unlink()
    return target


def write_card(source_card: Path, model: Path, per_source: int) -> Path:
    """The float model's card, rewritten for the quantized file."""
    from bodyseg.models.card import read_card, sha256_of, write_card

    card = read_card(source_card)
    card.update(
        sha256=sha256_of(model),
        bytes=model.stat().st_size,
        made_by=[
            card["made_by"] if isinstance(card["made_by"], str) else " && ".join(card["made_by"]),
            "python tools/quantize_nanodet.py --source runs/nanodet-float/nanodet.onnx --out src/bodyseg/weights "
            f"--per-source {per_source} --write-card",
        ],
        quantization=(
            "onnxruntime static quantization, QDQ: Conv weights int8 per channel, activations uint8; "
            f"calibrated on {per_source} training photos each of ccp, pfcn, picsart and of the backgrounds' "
            "training part"
        ),
    )
    return write_card(card, model.with_suffix(".json"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=Path("runs/nanodet-float/nanodet.onnx"),
        help="the float model and its card (tools/convert_tfjs.py)",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/nanodet-int8"), help="folder to write nanodet.onnx into")
    parser.add_argument("--per-source", type=int, default=20, help="calibration photos per training split (default 20)")
    parser.add_argument(
        "--write-card", action="store_true", help="write nanodet.json beside it (the float model's card, updated)"
    )
    args = parser.parse_args()
    model = quantize(args.source, args.out, args.per_source)
    print(model)
    if args.write_card:
        print(write_card(args.source.with_suffix(".json"), model, args.per_source))


if __name__ == "__main__":
    main()
