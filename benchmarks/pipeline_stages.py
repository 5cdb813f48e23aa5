"""Draw docs/pipeline_stages.jpg: the bundled photo through each stage of the default pipeline.

Panels: the photo; the BlazePose landmark model's mask alone (no refinement net, no edge filter);
after our refinement net; after the guided filter (the default output); the people with their
keypoints over the photo. Each mask panel is titled with how many pixels changed from the
previous one.

    python benchmarks/pipeline_stages.py [--out docs/pipeline_stages.jpg]
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np
from PIL import Image, ImageDraw

import bodyseg
from bodyseg import effects
from bodyseg.segmenters import create

PANEL = 240


def grey(prob: np.ndarray) -> np.ndarray:
    return np.dstack([(np.clip(prob, 0, 1) * 255).astype(np.uint8)] * 3)


def titled(image: np.ndarray, title: str) -> np.ndarray:
    panel = Image.fromarray(image).resize((PANEL, PANEL), Image.LANCZOS)
    canvas = Image.new("RGB", (PANEL, PANEL + 22), "white")
    canvas.paste(panel, (0, 22))
    ImageDraw.Draw(canvas).text((4, 4), title, fill="black")
    return np.asarray(canvas)


def with_keypoints(rgb: np.ndarray, seg: bodyseg.Segmentation) -> np.ndarray:
    out = effects.overlay(rgb, seg)
    radius = max(2, rgb.shape[0] // 150)
    for person in seg.people:
        if person.keypoints is None:
            continue
        for x, y, visibility in person.keypoints:
            if visibility > 0.5:
                cv2.circle(out, (int(x), int(y)), radius, (255, 255, 0), -1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs/pipeline_stages.jpg")
    args = parser.parse_args()
    rgb = bodyseg.load_image(bodyseg.example_image())
    landmark = create("bodyseg", refiner="none", edges="none").segment(rgb)
    refined = create("bodyseg", edges="none").segment(rgb)
    final = create("bodyseg").segment(rgb)

    def changed(a: bodyseg.Segmentation, b: bodyseg.Segmentation) -> str:
        return f"{np.mean(a.mask() != b.mask()) * 100:.1f}% px changed"

    panels = [
        titled(rgb, "photo"),
        titled(grey(landmark.prob), "landmark model mask"),
        titled(grey(refined.prob), f"+ refinement net: {changed(landmark, refined)}"),
        titled(grey(final.prob), f"+ guided filter: {changed(refined, final)}"),
        titled(with_keypoints(rgb, final), "people + keypoints"),
    ]
    bodyseg.write_image(args.out, np.hstack(panels), quality=88)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
