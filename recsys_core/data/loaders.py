"""The two ways a learner's ratings come in: `load_ratings` (a path or one file) and `load_upload`.

``load_ratings`` serves code and the command line (a file, an unzipped MovieLens folder or a
zip); ``load_upload`` serves the upload page, where a learner selects one zip or a ratings file
with its titles file. Both end in `_load`: the ratings parsed, then titles and genres from the
titles file that came with them, every note kept. Every problem raises `RatingsFormatError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from recsys_core.data.archives import ChosenFiles, NamedFile, choose_files, read_movielens_zip
from recsys_core.data.parse import parse_ratings
from recsys_core.data.ratings import Ratings
from recsys_core.data.text import (
    MAX_FILE_BYTES,
    MAX_RATINGS,
    FileTooLargeError,
    RatingsFormatError,
    _is_archive,
    _read_source,
)
from recsys_core.data.titles import _items_file_beside, read_titles, titles_for

__all__ = ["MAX_FILE_BYTES", "MAX_RATINGS", "FileTooLargeError", "RatingsFormatError", "load_ratings", "load_upload"]


def load_ratings(
    source,
    name: str | None = None,
    items_source=None,
    duplicates: str = "last",
) -> Ratings:
    """Read a ratings file into `Ratings`, or explain precisely why it cannot be used.

    ``source`` is a path (a file, an unzipped MovieLens folder or a MovieLens zip) or a
    file-like object such as Streamlit's UploadedFile. The format is detected: MovieLens
    ``u.data`` (tabs), ``ratings.dat`` (``::``), ``ratings.csv`` (with header), or any
    comma/tab/semicolon/pipe/space-separated file with user, item and rating columns (named in a
    header, or the first three columns). A fourth column (or one named like ``timestamp``) is
    read as the time of the rating.

    Titles come from ``items_source`` (which must then load), or else from the zip, or for a
    path from ``u.item``, ``movies.dat``, ``movies.csv`` or ``<name with "ratings" replaced by
    "items">`` beside the file (a bad one is skipped with a note). ``duplicates`` says what to do
    when a user rated an item twice: ``"last"`` keeps the last rating, ``"mean"`` averages them,
    ``"error"`` refuses the file. What was tolerated, dropped or changed is in ``Ratings.notes``.
    """
    display, content, path = _read_source(source, name)
    if _is_archive(content):
        chosen = read_movielens_zip(display, content)
    else:
        chosen = ChosenFiles(NamedFile(display, content))
    problems: tuple[str, ...] = ()
    if items_source is not None:
        titles_name, titles_content, _ = _read_source(items_source, None)
        chosen = ChosenFiles(chosen.ratings, NamedFile(titles_name, titles_content))
    elif path is not None and chosen.titles is None and (beside := _items_file_beside(path)) is not None:
        try:
            titles_name, titles_content, _ = _read_source(beside, None)
        except RatingsFormatError as error:  # titles are a nicety: keep the ratings
            problems = (f"titles not loaded: {error}",)
        else:
            chosen = ChosenFiles(chosen.ratings, NamedFile(titles_name, titles_content), titles_optional=True)
    ratings = _load(chosen, duplicates)
    return replace(ratings, notes=ratings.notes + problems) if problems else ratings


def load_upload(files: Sequence[tuple[str, bytes]], duplicates: str = "last") -> Ratings:
    """What a learner selected, as ``(file name, bytes)`` pairs, read into `Ratings`.

    Accepted: one MovieLens zip as downloaded (ml-100k, ml-1m, ml-latest-small; only its
    ratings file and the titles file beside it are read), one ratings file, or a ratings file
    and its titles file in either order (``u.data`` + ``u.item``, ``ratings.dat`` +
    ``movies.dat``, ``ratings.csv`` + ``movies.csv``; other names work when the ratings file's
    name holds "rating" or the other's "movie", "item" or "title"). Messages name the file, for a
    zip member as ``"ml-100k.zip: ml-100k/u.data, line 3: ..."``.
    """
    return _load(choose_files(files), duplicates)


def _load(chosen: ChosenFiles, duplicates: str) -> Ratings:
    """The chosen ratings with their titles, notes from both files kept in reading order."""
    ratings = parse_ratings(chosen.ratings.name, chosen.ratings.content, duplicates)
    if chosen.titles is None:
        return ratings
    try:
        table, titles_notes = read_titles(chosen.titles.name, chosen.titles.content)
    except RatingsFormatError as error:
        if not chosen.titles_optional:
            raise
        return replace(ratings, notes=(*ratings.notes, f"titles not loaded: {error}"))
    notes = [*ratings.notes, *titles_notes]
    titles, genres = titles_for(ratings.item_ids, table, chosen.titles.name, notes)
    return replace(ratings, item_titles=titles, item_genres=genres, notes=tuple(notes))
