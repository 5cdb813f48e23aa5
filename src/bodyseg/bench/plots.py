"""The benchmark plot: accuracy against milliseconds per image, one panel per data set."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bodyseg.bench.summary import headline
from bodyseg.io.images import atomic_path

#: Panels per row of the plot.
PANELS_PER_ROW = 4


def write_plot(path: Path, summaries: list[dict[str, Any]]) -> Path:
    """Draw accuracy vs median ms per image (log x), one labelled point per method, one panel per
    data set; person-free sets plot the share of pixels called person (lower is better).

    Example:
        >>> write_plot(Path("bench-out/results.png"), summaries)  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(s["dataset"] for s in summaries))
    columns = min(PANELS_PER_ROW, max(1, len(datasets)))
    rows = math.ceil(len(datasets) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.6 * rows), squeeze=False)
    ms = [s["ms_median"] for s in summaries if s.get("ms_median")]
    limits = (min(ms) / 1.6, max(ms) * 1.6) if ms else (1.0, 1000.0)
    colours = {m: f"C{i % 10}" for i, m in enumerate(dict.fromkeys(s["method"] for s in summaries))}
    for ax, name in zip(axes.flat, datasets, strict=False):
        _draw_panel(ax, name, [s for s in summaries if s["dataset"] == name], limits, colours)
    for ax in list(axes.flat)[len(datasets) :]:
        ax.set_visible(False)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110)
    plt.close(figure)
    return path


def _draw_panel(
    ax: Any, name: str, summaries: list[dict[str, Any]], limits: tuple[float, float], colours: dict[str, str]
) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    label = headline(summaries[0])[1]
    for summary in summaries:
        value, ms = headline(summary)[0], summary.get("ms_median")
        if value is None or not ms:
            continue
        ax.scatter([ms], [value], s=36, color=colours[summary["method"]])
        text = f"{summary['method']} {100 * value:.2f}%" if label == "person px" else f"{summary['method']} {value:.3f}"
        ax.annotate(text, (ms, value), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(*limits)
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.margins(y=0.25)
    ax.set_title(name, fontsize=10)
    ax.set_xlabel("ms per image (median, log scale)")
    ax.set_ylabel("share of pixels called person (lower is better)" if label == "person px" else "IoU (mean per image)")
    ax.grid(True, which="both", alpha=0.3)
