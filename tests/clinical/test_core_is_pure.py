"""The clinical core imports nothing from Django or the apps (DESIGN.md: plain Python that
can be used as a library); read from the source, so a lazy import inside a function counts
too."""

from __future__ import annotations

import ast
from pathlib import Path

import ketacare.clinical

CORE = Path(ketacare.clinical.__file__).parent


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_clinical_imports_no_framework_and_no_app() -> None:
    offending = {
        f"{path.relative_to(CORE)}: {name}"
        for path in sorted(CORE.rglob("*.py"))
        for name in imported(path)
        if name.split(".")[0] == "django"
        or (name.startswith("ketacare.") and not name.startswith("ketacare.clinical"))
    }
    assert not offending
