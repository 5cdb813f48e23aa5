"""The package's layers (docs/architecture.md): an import never runs back up them, and there are no import circles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "bodyseg"

#: Sub-packages and modules by layer, from the ground up; a module may import its own layer and those below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "geometry", "result", "version"),
    ("pose",),
    ("io", "metrics", "models", "datasets"),
    ("refine", "parts", "effects", "nets"),
    ("segmenters",),
    ("video", "bench", "train"),
    ("serve", "batch", "cli", "__init__"),
)
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}


def top_package(module: str) -> str:
    """``bodyseg.models.card`` -> ``models``; ``bodyseg`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    relative = path.relative_to(SRC.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    path = SRC.parent / dotted.replace(".", "/")
    return path.is_dir() or path.with_suffix(".py").is_file()


def imports_of(path: Path) -> set[str]:
    """The bodyseg modules a file imports, at module level or inside functions (``from bodyseg import x``
    is ``bodyseg.x`` when x is a module, else the package itself)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("bodyseg"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if is_module(submodule) else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("bodyseg"))
    return found


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def test_every_package_has_a_layer():
    assert {top_package(m) for m in MODULES} - set(LAYER_OF) == set()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_stay_in_their_layer_or_below(module):
    own = LAYER_OF[top_package(module)]
    upward = sorted(i for i in imports_of(MODULES[module]) if LAYER_OF.get(top_package(i), -1) > own)
    assert upward == [], f"{module} (layer {own}) imports from above: {upward}"


def test_no_import_circles_between_packages():
    """Within a layer, packages may import each other, but never both ways round."""
    edges = {(top_package(m), top_package(i)) for m, path in MODULES.items() for i in imports_of(path)}
    edges = {(a, b) for a, b in edges if a != b}
    assert sorted((a, b) for a, b in edges if (b, a) in edges) == []


def test_a_module_that_imports_upward_is_caught(tmp_path):
    """The check itself: a models/ file importing segmenters/ is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from bodyseg.segmenters.registry import create\n", encoding="utf-8")
    upward = [i for i in imports_of(bad) if LAYER_OF[top_package(i)] > LAYER_OF["models"]]
    assert upward == ["bodyseg.segmenters.registry"]
