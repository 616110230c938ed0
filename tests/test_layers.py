"""The layers of docs/design.md hold: every import, at the top of a module or inside a function."""

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).parents[1] / "src" / "kuzbass"

FORBIDDEN = {
    "linalg": ("kuzbass.economy", "kuzbass.planning", "kuzbass.platform", "django"),
    "economy": ("kuzbass.planning", "kuzbass.platform", "django"),
    "planning": ("kuzbass.platform", "django"),
    "democracy": ("kuzbass.platform", "django"),
    "ledger": ("kuzbass.platform", "django"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    wrong = [
        f"{path.relative_to(SOURCE)}:{line} imports {module}"
        for path in sorted((SOURCE / layer).rglob("*.py"))
        for line, module in _imports(path)
        if any(module == f or module.startswith(f + ".") for f in FORBIDDEN[layer])
    ]
    assert not wrong, "\n".join(wrong)
