"""Batch jobs on Dask: many photos and videos in parallel, resumable, with a report.

The pieces, each usable alone: :mod:`~bodyseg.batch.inputs` (folders, globs, manifests),
:mod:`~bodyseg.batch.outputs` (naming, finished outputs, stale temporary files),
:mod:`~bodyseg.batch.tasks` (what a worker does with a chunk of inputs; no Dask needed),
:mod:`~bodyseg.batch.plugin` (the model loaded once per Dask worker), :mod:`~bodyseg.batch.run`
(the client: cluster, chunks, progress) and :mod:`~bodyseg.batch.report`.

Example:
    >>> from pathlib import Path
    >>> from bodyseg.batch import BatchSpec, run_batch
    >>> spec = BatchSpec.for_method("mask", "mediapipe-selfie")
    >>> outcome = run_batch(["shots/"], Path("masks"), spec, workers=2)  # doctest: +SKIP
    >>> outcome.exit_code, outcome.report_csv  # doctest: +SKIP
    (0, PosixPath('masks/batch-report.csv'))
"""

from bodyseg.batch.report import ItemResult
from bodyseg.batch.tasks import BatchSpec


def run_batch(*args, **kwargs):  # noqa: ANN002, ANN003 - the signature is bodyseg.batch.run.run_batch's
    """See :func:`bodyseg.batch.run.run_batch` (imported on first use: it needs Dask)."""
    from bodyseg.batch.run import run_batch as run

    return run(*args, **kwargs)


__all__ = ["BatchSpec", "ItemResult", "run_batch"]
