"""Reading a learner's file as text: size limits, encodings, column names, and the error they get.

Shared by the ratings loader and the titles reader, so both refuse a file the same way: one
`RatingsFormatError` naming the file, the line and what to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_RATINGS = 2_000_000
_MAX_MB = MAX_FILE_BYTES // (1024 * 1024)
_FIELDS_HINT = "Each line needs user, item, rating (and optionally timestamp)."

# Header names are compared lower-cased with spaces, dashes and underscores removed.
_USER_NAMES = ("user", "userid", "uid", "users", "customer", "customerid", "reviewer", "reviewerid")
_ITEM_NAMES = (
    "item", "itemid", "iid", "items", "movie", "movieid", "product", "productid",
    "film", "filmid", "book", "bookid", "isbn", "asin", "id",
)
_RATING_NAMES = ("rating", "ratings", "score", "stars", "star", "value", "rate", "grade", "bookrating")
_TIME_NAMES = ("timestamp", "time", "ts", "date", "datetime", "unixtime", "unixtimestamp")
_TITLE_NAMES = ("title", "name", "movietitle", "itemtitle", "itemname")
_GENRE_NAMES = ("genres", "genre", "category", "categories")

# MovieLens 100K's u.item genre flag columns (0-based columns 5..23), in file order.
ML100K_GENRES: tuple[str, ...] = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)


class RatingsFormatError(ValueError):
    """A ratings (or titles) file the app cannot use, said so a learner can fix it.

    ``str(error)`` reads ``"u.data, line 17: rating 'abc' is not a number. ..."``; the parts are
    kept as ``source`` (file name), ``line`` (1-based as an editor shows it, or None when the
    problem is the whole file) and ``problem`` (what is wrong and what to do).
    """

    def __init__(self, source: str, problem: str, line: int | None = None):
        self.source = source
        self.line = line
        self.problem = problem
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):  # keep it picklable (caches and worker processes copy exceptions)
        return (type(self), (self.source, self.problem, self.line))


def _normalise_name(name: str) -> str:
    return "".join(ch for ch in name.strip().strip("\"'").lower() if ch not in " _-.")


def _find_column(names: list[str], aliases: tuple[str, ...], fallback_word: str | None) -> int | None:
    """Index of the header column called one of ``aliases`` (else containing ``fallback_word``)."""
    normalised = [_normalise_name(n) for n in names]
    for alias in aliases:
        if alias in normalised:
            return normalised.index(alias)
    if fallback_word is not None:
        for index, name in enumerate(normalised):
            if fallback_word in name:
                return index
    return None


def _read_source(source, name: str | None) -> tuple[str, bytes | str, Path | None]:
    """The file's display name, its raw content and (for paths) where it lives.

    The size is checked before reading so a huge upload is refused without loading it.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        if path.is_dir():  # an unzipped MovieLens folder: use the ratings file inside
            for candidate in ("u.data", "ratings.dat", "ratings.csv"):
                if (path / candidate).is_file():
                    path = path / candidate
                    break
        display = name or path.name
        if not path.is_file():
            raise RatingsFormatError(display, f"no such file ({path}). Check the path and try again.")
        size = path.stat().st_size
        _check_size(display, size)
        return display, path.read_bytes(), path

    display = name or Path(str(getattr(source, "name", "") or "uploaded file")).name
    size = getattr(source, "size", None)
    if size is None and hasattr(source, "seek") and getattr(source, "seekable", lambda: False)():
        position = source.tell()
        size = source.seek(0, 2) - position
        source.seek(position)
    if size is not None:
        _check_size(display, int(size))
    # UploadedFile.getvalue() returns everything however often the page reruns; read() would
    # return nothing once the position has reached the end.
    content = source.getvalue() if hasattr(source, "getvalue") else source.read(MAX_FILE_BYTES + 1)
    _check_size(display, len(content))
    return display, content, None


def _check_size(display: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise RatingsFormatError(
            display,
            f"the file is {size / 1024 / 1024:.1f} MB; the limit is {_MAX_MB} MB. "
            f"Use a sample of it (for example the first million lines).",
        )


def _decode(display: str, content: bytes | str) -> str:
    """Text of the file, or a RatingsFormatError if it is not a text file."""
    if isinstance(content, str):
        text = content
    else:
        head = content[:4]
        if head.startswith(b"PK\x03\x04") or head.startswith(b"\x1f\x8b"):
            raise RatingsFormatError(
                display,
                "this is a compressed archive, not a text file. Unzip it and load the ratings "
                "file inside (u.data, ratings.dat or ratings.csv).",
            )
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16, e.g. Excel's "Unicode text"
            try:
                text = content.decode("utf-16")
            except UnicodeDecodeError:
                text = "\x00"
        else:
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                # MovieLens-1M and many old exports are latin-1; every byte decodes, so the
                # control-character check below is what tells text from binary.
                text = content.decode("latin-1")
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\x0c")
    if "\x00" in sample or controls > max(2, len(sample) // 100):
        raise RatingsFormatError(
            display,
            f"this is not a text file. Save the ratings as plain text (CSV or tab-separated). "
            f"{_FIELDS_HINT}",
        )
    return text


def _lines(text: str) -> tuple[pd.Series, np.ndarray]:
    """Non-blank lines of a (small) text and their 1-based line numbers."""
    raw = pd.Series(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), dtype=object)
    stripped = raw.str.strip()
    keep = (stripped.str.len() > 0).to_numpy()
    return stripped[keep].reset_index(drop=True), np.flatnonzero(keep) + 1
