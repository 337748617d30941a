"""Titles and genres for items: MovieLens u.item / movies.dat / movies.csv, or any id,title table.

Without titles a learner sees "Item 356" everywhere and cannot judge a recommendation, so the
titles file is read with the same tolerance as the ratings (latin-1, as MovieLens ships it,
line ends, blank and comment lines), and what it tolerated is noted under its own name.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from recsys_core.data.delimited import line_table
from recsys_core.data.text import (
    _GENRE_NAMES,
    _ITEM_NAMES,
    _TITLE_NAMES,
    ML100K_GENRES,
    RatingsFormatError,
    _decode,
    _find_column,
    _in_file,
)

TitlesTable = dict[str, tuple[str, tuple[str, ...]]]  # item id (canonical) -> (title, genres)
# The titles file that comes with each MovieLens ratings file.
TITLES_FOR_RATINGS = {"u.data": "u.item", "ratings.dat": "movies.dat", "ratings.csv": "movies.csv"}


def _items_file_beside(path: Path) -> Path | None:
    """The titles file that belongs with a ratings file, if one sits beside it."""
    folder = path.parent
    candidates = []
    if "ratings" in path.name:
        candidates.append(folder / path.name.replace("ratings", "items"))
    if path.name in TITLES_FOR_RATINGS:
        candidates.append(folder / TITLES_FOR_RATINGS[path.name])
    candidates += [folder / "u.item", folder / "movies.dat", folder / "movies.csv"]
    return next((c for c in candidates if c.is_file() and c != path), None)


def _canonical_id(value: str) -> str:
    """Ids compared as text, with "7", "07" and "7.0" all meaning 7."""
    value = value.strip().strip("\"'")
    if value.isdigit():  # the common case, fast
        return value.lstrip("0") or "0"
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if np.isfinite(number) and number == int(number) else value


def read_titles(display: str, content: bytes | str) -> tuple[TitlesTable, list[str]]:
    """Item id -> (title, genres) from u.item, movies.dat or a CSV with id and title columns.

    Also returns notes on what was tolerated, each naming this file.
    """
    text, notes = _decode(display, content)
    lines_table, line_notes = line_table(text)
    notes = [_in_file(display, note) for note in notes + line_notes]
    lines = [lines_table.line(row) for row in range(len(lines_table.numbers))]
    line_numbers = lines_table.numbers
    if len(lines) == 0:
        raise RatingsFormatError(display, "the titles file is empty.")
    return _titles_table(display, lines, line_numbers), notes


def _titles_table(display: str, lines: list[str], line_numbers: np.ndarray) -> TitlesTable:
    first = lines[0]
    table: TitlesTable = {}
    if "::" in first:  # movies.dat: id::title::genre|genre
        for line, number in zip(lines, line_numbers, strict=True):
            parts = line.split("::")
            if len(parts) < 2:
                raise RatingsFormatError(display, "expected id::title::genres.", line=int(number))
            genres = tuple(g for g in parts[2].split("|") if g) if len(parts) > 2 else ()
            table[_canonical_id(parts[0])] = (parts[1].strip(), genres)
        return table
    if first.count("|") >= 5:  # u.item: id|title|date|video date|url|19 genre flags
        for line, number in zip(lines, line_numbers, strict=True):
            parts = line.split("|")
            if len(parts) < 2:
                raise RatingsFormatError(display, "expected id|title|... as in MovieLens u.item.", line=int(number))
            flags = parts[5 : 5 + len(ML100K_GENRES)]
            genres = tuple(g for g, flag in zip(ML100K_GENRES, flags, strict=False) if flag.strip() == "1")
            table[_canonical_id(parts[0])] = (parts[1].strip(), genres)
        return table
    try:  # movies.csv and friends: a header naming an id column and a title column
        frame = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False, sep=None, engine="python")
    except (pd.errors.ParserError, csv.Error) as error:
        raise RatingsFormatError(display, f"could not read the titles table ({error}).") from error
    names = list(frame.columns)
    id_col = _find_column(names, _ITEM_NAMES, "id")
    title_col = _find_column(names, _TITLE_NAMES, "title")
    if id_col is None or title_col is None:
        raise RatingsFormatError(
            display,
            f"the titles file needs an item id column and a title column (found columns: "
            f"{', '.join(names)}).",
            line=int(line_numbers[0]),
        )
    genre_col = _find_column(names, _GENRE_NAMES, "genre")
    for row in frame.itertuples(index=False):
        genres: tuple[str, ...] = ()
        if genre_col is not None:
            genres = tuple(
                g.strip() for g in str(row[genre_col]).split("|") if g.strip() and g != "(no genres listed)"
            )
        table[_canonical_id(str(row[id_col]))] = (str(row[title_col]).strip(), genres)
    return table


def titles_for(
    item_ids: np.ndarray, table: TitlesTable, display: str, notes: list[str]
) -> tuple[np.ndarray, tuple[tuple[str, ...], ...]]:
    """Each item's title and genres, in item-index order; items the table lacks get 'Item <id>'."""
    titles, genres, missing = [], [], 0
    for item_id in item_ids:
        entry = table.get(_canonical_id(str(item_id)))
        if entry is None:
            missing += 1
            entry = (f"Item {item_id}", ())
        titles.append(entry[0])
        genres.append(entry[1])
    if missing:
        have = "item has" if missing == 1 else "items have"
        notes.append(f"{missing:,} {have} no title in {display}; shown as 'Item <id>'.")
    return np.array(titles, dtype=object), tuple(genres)
