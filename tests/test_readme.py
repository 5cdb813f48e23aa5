"""The README's Python snippet runs as written, and its links point at files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.slow
def test_the_python_snippet_runs_as_written(tmp_path, monkeypatch, capsys):
    (snippet,) = python_blocks(README.read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert (tmp_path / "blurred.jpg").stat().st_size > 10_000
    assert printed[0].startswith("(512, 512) ") and 0.1 < float(printed[0].split()[-1]) < 0.9
    assert [line.split()[0] for line in printed[2:]] == ["0", "1", "2"]  # one line per video frame


def test_the_links_point_at_files_that_exist():
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#]+)\)", text)
    assert targets, "the README links to its docs"
    missing = [t for t in targets if not t.startswith("http") and not (README.parent / t).exists()]
    assert missing == []


def test_the_readme_fits_a_screen_or_two():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 150
