"""Draw docs/example.jpg: the bundled photo, its mask and each effect, with the default method.

python benchmarks/readme_example.py [--method NAME]
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image

import bodyseg
from bodyseg import effects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default=None)
    parser.add_argument("--out", default="docs/example.jpg")
    args = parser.parse_args()
    rgb = bodyseg.load_image(bodyseg.example_image())
    seg = bodyseg.segment(rgb, method=args.method)
    panels = [
        rgb,
        np.dstack([seg.mask().astype(np.uint8) * 255] * 3),
        effects.blur(rgb, seg),
        effects.replace(rgb, seg, "#2a9df4"),
        effects.overlay(rgb, seg),
        effects.colour_splash(rgb, seg),
    ]
    row = np.hstack([np.asarray(Image.fromarray(p).resize((240, 240), Image.LANCZOS)) for p in panels])
    bodyseg.write_image(args.out, row, quality=85)
    print(f"wrote {args.out} with {seg.meta['method']}")


if __name__ == "__main__":
    main()
