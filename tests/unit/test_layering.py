"""The library's layers: data <- models <- training <- evaluation <- lessons, imports only pointing down,
no Streamlit anywhere in recsys_core, and no jax.jit written in a page (it would recompile every rerun)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "recsys_core"
LAYERS = ("data", "models", "training", "evaluation", "lessons")  # bottom to top
MAX_LINES = 600


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def layer_of(module: str) -> int | None:
    """The layer index of a recsys_core module name; top-level modules (plots, quiz, ...) are above all."""
    parts = module.split(".")
    if parts[0] != "recsys_core" or len(parts) == 1:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else len(LAYERS)


CORE_FILES = sorted(CORE.rglob("*.py"))


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_library_module_imports_only_from_its_own_layer_or_the_layers_below(path):
    own = layer_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
    above = sorted(m for m in imported_modules(path) if (layer := layer_of(m)) is not None and own is not None
                   and layer > own and m.split(".")[1] in LAYERS)
    assert not above, f"{path.name} ({LAYERS[own] if own < len(LAYERS) else 'top'}) imports from above: {above}"


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_never_imports_streamlit(path):
    assert not {m for m in imported_modules(path) if m.split(".")[0] == "streamlit"}


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_library_module_is_over_600_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


PAGES = sorted((ROOT / "app_pages").glob("[a-z]*.py"))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_a_page_is_thin_and_writes_no_jit(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert "jax.jit" not in text and "@jit" not in text


def test_the_layer_test_would_catch_an_import_from_above(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from recsys_core.lessons import notes\n")
    assert layer_of(next(iter(m for m in imported_modules(bad) if m.startswith("recsys_core.lessons")))) == 4
    assert layer_of("recsys_core.data.ratings") == 0 and layer_of("recsys_core.plots") == len(LAYERS)
