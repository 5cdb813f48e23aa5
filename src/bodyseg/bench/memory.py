"""Peak memory of a stretch of code, native allocations included.

``tracemalloc`` sees only Python's allocator, not what ONNX Runtime, TFLite or OpenCV allocate, so
the process's resident set size (RSS) is measured instead. On Linux the kernel's high-water mark
(``VmHWM`` in ``/proc/self/status``) is reset at the start (``/proc/self/clear_refs``) and read at
the end: an exact peak, no sampling. Elsewhere ``resource.getrusage().ru_maxrss`` is used, whose
delta only shows growth beyond the process's earlier peak (a lower bound).
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


class PeakMemory:
    """Context manager: ``peak_mb`` is the peak RSS above the RSS at entry, in MB.

    ``method`` says how it was measured (``"VmHWM"`` or ``"ru_maxrss"``).

    Example:
        >>> with PeakMemory() as memory:
        ...     block = bytearray(50_000_000)
        >>> memory.peak_mb > 40  # doctest: +SKIP
        True
    """

    def __init__(self) -> None:
        self.method = "VmHWM" if _can_reset_peak() else "ru_maxrss"
        self.start_mb = 0.0
        self.peak_mb = 0.0

    def __enter__(self) -> PeakMemory:
        if self.method == "VmHWM":
            _CLEAR_REFS.write_text("5")  # resets VmHWM to the current RSS
            self.start_mb = _status_mb("VmRSS")
        else:
            self.start_mb = _maxrss_mb()
        return self

    def __exit__(self, *exc: object) -> None:
        end = _status_mb("VmHWM") if self.method == "VmHWM" else _maxrss_mb()
        self.peak_mb = max(0.0, end - self.start_mb)


def _can_reset_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
        return _status_mb("VmHWM") > 0
    except OSError:
        return False


def _status_mb(field: str) -> float:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0  # kB
    raise OSError(f"{_STATUS} has no {field}")


def _maxrss_mb() -> float:
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024.0 * 1024.0) if sys.platform == "darwin" else maxrss / 1024.0  # bytes on macOS, kB elsewhere
