"""Speed of every net of the zoo: parameters, training images/s, onnxruntime inference ms.

Prints a Markdown table. Training: Adam steps on random batches in channels-last (forward,
loss, backward, step), the median over ``--repeats`` timed steps after one warm-up step.
Inference: the net exported to ONNX at each size, run by onnxruntime on one image, the median
of ``--repeats`` runs after one warm-up run. One thread each (``--threads``), as in training.

Usage:
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/nets_speed.py
    python benchmarks/nets_speed.py --archs unet,deeplabv3plus --train-sizes 128 --infer-sizes 256 --repeats 3
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from bodyseg import nets
from bodyseg.train.export import export_onnx

log = logging.getLogger("nets_speed")


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``run()`` over ``repeats`` calls, after one warm-up call."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def training_images_per_second(arch: str, size: int, batch: int, repeats: int) -> float:
    """Images per second of full training steps at ``size`` x ``size``."""
    model = nets.create(arch).train().to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 3, size, size).contiguous(memory_format=torch.channels_last)
    target = (torch.rand(batch, 1, size, size) > 0.5).float()

    def step() -> None:
        output = nets.main_output(model(x))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(output, target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return batch / median_seconds(step, repeats)


def onnx_inference_ms(arch: str, size: int, repeats: int, threads: int, folder: Path) -> float:
    """Milliseconds of one ``size`` x ``size`` image through the exported net in onnxruntime."""
    path = export_onnx(nets.create(arch), folder / f"{arch}-{size}.onnx", size=size)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    image = np.random.default_rng(0).normal(size=(1, 3, size, size)).astype(np.float32)
    return 1000 * median_seconds(lambda: session.run(None, {"image": image}), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", default=",".join(nets.available()), help="comma-separated (default: all)")
    parser.add_argument("--train-sizes", default="128,192,256")
    parser.add_argument("--infer-sizes", default="256,512")
    parser.add_argument("--batch", type=int, default=4, help="training batch size (default %(default)s)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed runs per figure; the median is printed (default %(default)s)"
    )
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("bodyseg").setLevel(logging.WARNING)  # not a line per exported file
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    archs = [a for a in args.archs.split(",") if a]
    train_sizes = [int(s) for s in args.train_sizes.split(",") if s]
    infer_sizes = [int(s) for s in args.infer_sizes.split(",") if s]
    header = ["arch", "params"] + [f"train img/s @{s}" for s in train_sizes] + [f"ort ms @{s}" for s in infer_sizes]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for arch in archs:
            row = [arch, f"{nets.count_parameters(nets.create(arch)) / 1e6:.2f} M"]
            row += [f"{training_images_per_second(arch, s, args.batch, args.repeats):.1f}" for s in train_sizes]
            row += [f"{onnx_inference_ms(arch, s, args.repeats, args.threads, Path(folder)):.0f}" for s in infer_sizes]
            log.info("%s", " | ".join(row))
            rows.append(row)
    print(
        f"\n{args.threads} thread(s), training batch {args.batch}, median of {args.repeats} runs, torch "
        f"{torch.__version__}, "
        f"onnxruntime {ort.__version__}\n"
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
