"""Loading a learner's ratings file into `Ratings`: the ratings parsed, then titles beside them.

Parsing lives in `parse` (one file's bytes to `Ratings`) and titles in `titles`; this module
finds the files and puts the two together, keeping every note. Every problem raises
`RatingsFormatError`.
"""

from __future__ import annotations

from dataclasses import replace

from recsys_core.data.parse import parse_ratings
from recsys_core.data.ratings import Ratings
from recsys_core.data.text import MAX_FILE_BYTES, MAX_RATINGS, RatingsFormatError, _read_source
from recsys_core.data.titles import _items_file_beside, read_titles, titles_for

__all__ = ["MAX_FILE_BYTES", "MAX_RATINGS", "RatingsFormatError", "load_ratings"]


def load_ratings(
    source,
    name: str | None = None,
    items_source=None,
    duplicates: str = "last",
) -> Ratings:
    """Read a ratings file into `Ratings`, or explain precisely why it cannot be used.

    ``source`` is a path (a file, or a MovieLens folder) or a file-like object such as
    Streamlit's UploadedFile. The format is detected (see `parse_ratings`).

    Titles come from ``items_source`` (which must then load), or for a path from ``u.item``,
    ``movies.dat``, ``movies.csv`` or ``<name with "ratings" replaced by "items">`` beside the
    file (a bad one is skipped with a note). ``duplicates`` says what to do when a user rated an
    item twice: ``"last"`` keeps the last rating, ``"mean"`` averages them, ``"error"`` refuses
    the file. What was tolerated, dropped or changed is in ``Ratings.notes``.
    """
    display, content, path = _read_source(source, name)
    ratings = parse_ratings(display, content, duplicates)
    titles_source, optional = items_source, False
    if titles_source is None and path is not None:
        titles_source, optional = _items_file_beside(path), True
    if titles_source is None:
        return ratings
    try:
        titles_name, titles_content, _ = _read_source(titles_source, None)
        table, titles_notes = read_titles(titles_name, titles_content)
    except RatingsFormatError as error:
        if not optional:
            raise
        return replace(ratings, notes=(*ratings.notes, f"titles not loaded: {error}"))
    notes = [*ratings.notes, *titles_notes]
    titles, genres = titles_for(ratings.item_ids, table, titles_name, notes)
    return replace(ratings, item_titles=titles, item_genres=genres, notes=tuple(notes))
