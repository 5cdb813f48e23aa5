"""Fuzz the command line with damaged files: many mutated videos and images, each run through
``bodyseg`` in its own process with a timeout, and a table of what came out.

Seeds are synthesised (tests/reliability/media.py: H.264 with audio, VP9, 10-bit, odd sizes,
rotation, variable frame rate, MPEG-4 in AVI, GIF; JPEG, PNG, WebP, TIFF, animated GIF/WebP,
multi-page TIFF), then damaged (truncated, bits flipped, bytes zeroed, tail reversed, a chunk
duplicated or dropped, header only). Videos go through ``bodyseg video``, images through
``bodyseg blur``. The promises (docs/reliability.md): exit 0 or 2 only; on 2 one line naming the file;
no traceback; no hang; no output for a failed input; no temporary file left behind.

Example (from the project root; the figures in docs/reliability.md)::

    OMP_NUM_THREADS=1 PYTHONPATH=src:. nice -n 10 python benchmarks/fuzz_inputs.py --videos 150 --images 150
    OMP_NUM_THREADS=1 PYTHONPATH=src:. python benchmarks/fuzz_inputs.py --videos 10 --images 10 --seed 1
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tests.reliability.media

from tests.reliability.media import (  # noqa: E402
    MUTATIONS,
    VIDEO_SEEDS,
    frames,
    image_command,
    mutate,
    run_bodyseg,
    save_animation,
    video_command,
)


def image_seeds(folder: Path) -> list[Path]:
    """One still image per format, plus the animated and multi-page ones (224x160: a real decode)."""
    rgb = np.asarray(Image.fromarray(frames(1)[0]).resize((224, 160)))
    paths = []
    for name in ("still.jpg", "still.png", "still.webp", "still.tif", "still.bmp"):
        Image.fromarray(rgb).save(folder / name)
        paths.append(folder / name)
    paths += [save_animation(folder / n) for n in ("anim.gif", "anim.webp", "pages.tif")]
    return paths


def fuzz(kind: str, seeds: list[Path], count: int, rng: np.random.Generator, folder: Path, timeout: float):
    """Run ``count`` mutated copies of ``seeds``; yield (mutation, seed, outcome, problems)."""
    for i in range(count):
        seed = seeds[i % len(seeds)]
        mutation = MUTATIONS[int(rng.integers(len(MUTATIONS)))]
        bad = folder / f"{kind}{i:04d}-{mutation}{seed.suffix}"
        bad.write_bytes(mutate(seed.read_bytes(), mutation, rng))
        output = folder / "out" / f"{bad.stem}.out{'.mp4' if kind == 'video' else '.png'}"
        command = video_command(bad, output) if kind == "video" else image_command(bad, output)
        outcome = run_bodyseg(command, timeout=timeout)
        yield mutation, seed.name, outcome, outcome.problems(bad, output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=100, help="mutated videos to run (default %(default)s)")
    parser.add_argument("--images", type=int, default=100, help="mutated images to run (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the mutations")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a run counts as a hang")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(prefix="bodyseg-fuzz-") as tmp:
        folder = Path(tmp)
        (folder / "out").mkdir()
        seeds_dir = folder / "seeds"
        seeds_dir.mkdir()
        video_seeds = [make(seeds_dir) for make in VIDEO_SEEDS.values()]
        rows = []
        for kind, seeds, count in (("video", video_seeds, args.videos), ("image", image_seeds(seeds_dir), args.images)):
            for mutation, seed, outcome, problems in fuzz(kind, seeds, count, rng, folder, args.timeout):
                rows.append((kind, mutation, outcome, problems))
                if problems:
                    print(f"PROBLEM {kind} {mutation} of {seed}: {problems}: {outcome.stderr.strip()[-400:]}")
    print_table(rows)


def print_table(rows: list) -> None:
    """Files tried, exit codes, tracebacks, hangs and other broken promises, per kind and in all."""
    print(
        "| inputs | files tried | exit 0 | exit 2 | other exit | tracebacks | hangs | broken promises | slowest run |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in ("video", "image", "all"):
        chosen = [r for r in rows if kind in ("all", r[0])]
        codes = collections.Counter(r[2].code for r in chosen)
        other = sum(n for code, n in codes.items() if code not in (0, 2, None))
        print(
            f"| {kind} | {len(chosen)} | {codes[0]} | {codes[2]} | {other} | {sum(r[2].traceback for r in chosen)} | "
            f"{sum(r[2].hung for r in chosen)} | {sum(bool(r[3]) for r in chosen)} | "
            f"{max((r[2].seconds for r in chosen), default=0):.1f} s |"
        )
    by_mutation = collections.Counter((r[0], r[1], r[2].code) for r in rows)
    print(
        "\nexit codes by mutation: "
        + ", ".join(f"{k} {m} exit {c}: {n}" for (k, m, c), n in sorted(by_mutation.items(), key=str))
    )


if __name__ == "__main__":
    main()
