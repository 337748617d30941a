"""Every number a lesson writes in prose comes from the data and run, or is a marked quotation of the seed.

The scan covers the prose in `assets/` (lesson texts, quiz banks) and the string literals of the lesson
modules (`recsys_core/lessons/`) and of the pages (`app.py`, `app_pages/`). A numeral there must be one of:
- inside a template field (``{n_ratings:,}`` in a text, an f-string's ``{...}``), filled from live numbers;
- inside a quotation marked as the seed's, “between curly quotes”, whose words occur in a seed document;
- a numbered label (stage 3, layer 2, lesson 1, question 4, epoch 0, component 2, a "3 · " step heading, a
  "2." list item), a dimension (2-D) or a dataset's name (ml-100k): an ordinal or a name, not a quantity;
- a bare 0 or 1 used as structure, not measurement: a binary label (clicked (1) or not (0)), a zero start,
  one output unit, ids numbered from 0. A result that happens to be 0 or 1 is still written by its field.
Docstrings are not prose the learner reads and are not scanned.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The four lesson documents the app is built from (copies of ../shared/seeds, so that any clone can
# check a quotation against them; the last test keeps the copies equal to the originals).
SEED_COPIES = ROOT / "tests" / "fixtures" / "seeds"
SEED_ORIGINALS = ROOT.parent / "shared" / "seeds"
SEEDS = " ".join(re.sub(r"\s+", " ", p.read_text(encoding="utf-8")).lower() for p in sorted(SEED_COPIES.glob("*.txt")))
NUMERAL = re.compile(r"(?<![\w.{])\d+(?:[.,]\d+)*")
STRUCTURAL = {"0", "1"}
LABEL = re.compile(r"\b(?:stage|stages|layer|layers|lesson|lessons|question|epoch|component)\s+\d+(?:\s*[-–]\s*\d+)?"
                   r"|(?m:^\s*\d+(?: ·|\.) )|\b\d-D\b|\bml-\d+\w*", re.I)
QUOTE = re.compile(r"“([^”]*)”")
FIELD = re.compile(r"\{[^{}]*\}")
QUIZ_KEYS = ("prompt", "options", "explanation", "experiment_label")


def _unmarked(text: str) -> list[str]:
    """Numerals in ``text`` outside template fields, seed quotations (checked) and numbered labels."""
    problems = []
    for quoted in QUOTE.findall(text):
        if re.sub(r"\s+", " ", FIELD.sub("", quoted)).strip().lower() not in SEEDS:
            problems.append(f"“{quoted}” is marked as the seed's but no seed says it")
    text = LABEL.sub(" ", QUOTE.sub(" ", FIELD.sub(" ", text)))
    return problems + [f"{m.group()} in …{text[max(0, m.start() - 40):m.end() + 30]}…" for m in NUMERAL.finditer(text)
                       if m.group() not in STRUCTURAL]


def _asset_texts() -> list[tuple[str, str]]:
    texts = [(f"lessons.json:{lesson}.{field}", value)
             for lesson, fields in json.loads((ROOT / "assets" / "lessons.json").read_text(encoding="utf-8")).items()
             for field, value in fields.items()]
    for path in sorted((ROOT / "assets" / "quizzes").glob("*.json")):
        bank = json.loads(path.read_text(encoding="utf-8"))
        for q in [*bank["questions"], *bank.get("replacements", {}).values()]:
            for key in QUIZ_KEYS:
                values = q.get(key, [])
                for value in values if isinstance(values, list) else [values]:
                    texts.append((f"{path.name}:{q.get('id', 'replacement')}.{key}", value))
    return texts


def _module_texts(path: Path) -> list[tuple[str, str]]:
    """Prose string literals of a module: constants with a space in them, f-string parts, no docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(f"{path.name}:{node.lineno}", node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and " " in node.value.strip()]


def test_lesson_texts_and_quiz_banks_write_no_number_that_is_not_computed_or_quoted():
    problems = [f"{where}: {p}" for where, text in _asset_texts() for p in _unmarked(text)]
    assert not problems, "\n".join(problems)


def test_lesson_modules_write_no_number_in_prose_that_is_not_computed_or_quoted():
    problems = [f"{where}: {p}" for path in sorted((ROOT / "recsys_core" / "lessons").glob("*.py"))
                for where, text in _module_texts(path) for p in _unmarked(text)]
    assert not problems, "\n".join(problems)


def test_pages_write_no_number_in_prose_that_is_not_computed_or_quoted():
    paths = [ROOT / "app.py", *sorted((ROOT / "app_pages").rglob("*.py"))]
    problems = [f"{path.relative_to(ROOT)}:{where.split(':')[1]}: {p}" for path in paths
                for where, text in _module_texts(path) for p in _unmarked(text)]
    assert not problems, "\n".join(problems)


def test_the_scan_catches_a_bare_number_and_a_false_seed_quotation_and_allows_the_marked_ones():
    assert _unmarked("Accuracy climbs to 85% here.")
    assert _unmarked("Predict within ±0.5 stars, 1.5x chance, 10 neighbours.")
    assert _unmarked("The seed says “accuracy climbs to 99%”.")
    assert not _unmarked("The seed says “with 90% accuracy on training data”.")
    assert not _unmarked("Validation reached {val:.1%} at stage 3 after epoch 12.")
    assert not _unmarked("3 · Your top {k}") and not _unmarked("Steps:\n2. Train it") and not _unmarked("ml-100k, 2-D")


def test_the_seed_copies_are_the_four_lesson_documents():
    copies = sorted(SEED_COPIES.glob("*.txt"))
    assert len(copies) == 4 and all(p.stat().st_size > 1000 for p in copies)
    if SEED_ORIGINALS.is_dir():  # beside the originals (the developers' checkout): the copies match them
        originals = sorted(SEED_ORIGINALS.glob("*.txt"))
        assert [p.name for p in originals] == [p.name for p in copies]
        assert all(o.read_bytes() == c.read_bytes() for o, c in zip(originals, copies, strict=True))
