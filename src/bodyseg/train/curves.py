"""Loss and IoU curves of a run, drawn to a PNG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bodyseg.io.images import atomic_path


def plot_curves(history: Sequence[Mapping[str, Any]], path: Path) -> Path:
    """Loss (train and validation) and validation IoU per epoch, per source, drawn to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_iou) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], "o-", label="train")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], "o-", label="validation (mean of sources)")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    for source in history[-1]["per_source"] if history else []:
        ax_iou.plot(
            epochs, [h["per_source"].get(source, {}).get("iou", float("nan")) for h in history], "o-", label=source
        )
    ax_iou.set(xlabel="epoch", ylabel="IoU", title="validation IoU")
    for ax in (ax_loss, ax_iou):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    with atomic_path(path) as temp:
        fig.savefig(temp, format="png", dpi=100)
    plt.close(fig)
    return path
