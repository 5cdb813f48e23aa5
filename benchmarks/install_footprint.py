"""What a plain ``pip install .`` costs: wall time, size of the environment, and ``import bodyseg`` time.

    python benchmarks/install_footprint.py [--python python3.13] [--runs 15] [--keep runs/footprint-venv]

Creates a fresh virtual environment with the given Python, installs this checkout into it (not
editable, no extras, as a user would), measures the folder's size and the largest packages, then
times ``import bodyseg`` in new processes: the median over ``--runs`` of (time of ``import bodyseg``)
minus (time of an empty interpreter start), both measured in the same loop, so machine load cancels out
as far as it can. Needs the package registry (or a local mirror) for the first step.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def folder_size(path: Path) -> int:
    """Bytes of every file under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def largest_packages(site: Path, count: int = 8) -> list[tuple[str, int]]:
    """The ``count`` largest top-level entries of a site-packages folder, by size."""
    sizes = [(p.name, folder_size(p) if p.is_dir() else p.stat().st_size) for p in site.iterdir()]
    return sorted(sizes, key=lambda item: -item[1])[:count]


def interpreter_ms(python: Path, code: str) -> float:
    start = time.perf_counter()
    subprocess.run([str(python), "-c", code], check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "0"})
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the interpreter to build the environment with")
    parser.add_argument("--runs", type=int, default=15, help="timed imports (default %(default)s)")
    parser.add_argument(
        "--keep", type=Path, help="build the environment here and keep it (default: a temporary folder)"
    )
    args = parser.parse_args()
    venv = args.keep or Path(tempfile.mkdtemp()) / "venv"
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([args.python, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    start = time.perf_counter()
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)], check=True)
    install_s = time.perf_counter() - start
    version = subprocess.run([str(python), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    site = next((venv / "lib").glob("python3*/site-packages"))
    interpreter_ms(python, "import bodyseg")  # compile the bytecode once
    pairs = [(interpreter_ms(python, "pass"), interpreter_ms(python, "import bodyseg")) for _ in range(args.runs)]
    print(f"{version}: pip install . took {install_s:.1f} s; the environment is {folder_size(venv) / 1e6:.0f} MB")
    print("largest packages: " + ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in largest_packages(site)))
    print(
        f"import bodyseg: {statistics.median(b - a for a, b in pairs):.0f} ms (median of {args.runs}, an empty "
        f"interpreter's start subtracted: {statistics.median(a for a, _ in pairs):.0f} ms); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    if args.keep is None:
        shutil.rmtree(venv.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
