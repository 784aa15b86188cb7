"""analytics and interop depend one way: interop (the research export) builds on the
registry tables of analytics, and nothing in analytics imports interop."""

from __future__ import annotations

import ast
from pathlib import Path

import ketacare.analytics

ANALYTICS = Path(ketacare.analytics.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_analytics_imports_nothing_from_interop() -> None:
    offenders = {
        str(path.relative_to(ANALYTICS)): sorted(
            m for m in _imported_modules(path) if m.startswith("ketacare.interop")
        )
        for path in ANALYTICS.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_registry_mapping_lives_in_one_analytics_module() -> None:
    from ketacare.analytics import registry
    from ketacare.interop import research

    assert research.registry_with_ids is registry.registry_with_ids
    assert not hasattr(research, "build_tables")
    assert {"build_tables", "live_tables"} <= set(vars(registry))
