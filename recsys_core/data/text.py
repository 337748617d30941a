"""Reading a learner's file as text: size limits, encodings, column names, and the error they get.

Shared by the ratings parser, the titles reader and the zip reader, so all of them refuse a
file the same way (one `RatingsFormatError` naming the file, the line and what to do) and
describe what they tolerated the same way (short notes a learner can read).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_RATINGS = 2_000_000
_FIELDS_HINT = "Each line needs user, item, rating (and optionally timestamp)."
_SAMPLE_ADVICE = "Load a sample of it instead, for example its first million lines."

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

# Control characters no text file holds (tab, newline, carriage return and form feed are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


class RatingsFormatError(ValueError):
    """A ratings (or titles) file the app cannot use, said so a learner can fix it.

    ``str(error)`` reads ``"u.data, line 17: rating 'abc' is not a number. ..."``; the parts are
    kept as ``source`` (file name, for a zip member ``"ml-100k.zip: ml-100k/u.data"``), ``line``
    (1-based as an editor shows it, or None when the problem is the whole file) and ``problem``
    (what is wrong and what to do).
    """

    def __init__(self, source: str, problem: str, line: int | None = None):
        self.source = source
        self.line = line
        self.problem = problem
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):  # keep it picklable (caches and worker processes copy exceptions)
        return (type(self), (self.source, self.problem, self.line))


class FileTooLargeError(RatingsFormatError):
    """A file (or a zip member, unzipped) over `MAX_FILE_BYTES`: no line of it can help, so the
    upload page drops it from the uploader instead of keeping it beside the next file chosen."""


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


def _is_archive(content: bytes | str) -> bool:
    """A zip (MovieLens as downloaded, or an Office document) rather than a text file."""
    return isinstance(content, bytes) and content[:4] in (b"PK\x03\x04", b"PK\x05\x06")


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
        _check_size(display, path.stat().st_size)
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


def _check_size(display: str, size: int, advice: str = _SAMPLE_ADVICE, unzipped: bool = False) -> None:
    if size > MAX_FILE_BYTES:
        raise FileTooLargeError(display, _size_problem(f"{size / 2**20:.1f} MB", advice, unzipped))


def _size_problem(size: str, advice: str, unzipped: bool) -> str:
    # MAX_FILE_BYTES is read here, not at import, so the stated limit is the one applied.
    unpacked = "unzipped, " if unzipped else ""
    return f"{unpacked}the file is {size}; the limit is {MAX_FILE_BYTES / 2**20:g} MB. {advice}"


def _read_limited(stream: BinaryIO, display: str, advice: str, chunk_bytes: int = 1 << 20) -> bytes:
    """All of ``stream``, read in chunks and abandoned as soon as it passes the size limit.

    A zip member's declared size can lie; counting what actually comes out means a zip bomb
    costs at most the limit in memory, never what it would expand to.
    """
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(chunk_bytes):
        total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise FileTooLargeError(
                display, _size_problem(f"over {MAX_FILE_BYTES / 2**20:g} MB", advice, unzipped=True)
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(display: str, content: bytes | str) -> tuple[str, list[str]]:
    """Text of the file and notes on how it was read, or a RatingsFormatError if it is not text."""
    notes: list[str] = []
    if isinstance(content, str):
        text = content
        if text.startswith("\ufeff"):
            text = text[1:]
            notes.append("line 1: invisible byte-order mark (BOM) at the start ignored.")
    else:
        head = content[:4]
        if _is_archive(content) or head.startswith(b"\x1f\x8b"):
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
            notes.append("read as UTF-16 text (as Excel saves \"Unicode text\").")
        else:
            if content.startswith(b"\xef\xbb\xbf"):
                notes.append("line 1: invisible byte-order mark (BOM) at the start ignored.")
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                # MovieLens' u.item and movies.dat are latin-1, as are many old exports; every
                # byte decodes, so the control-character check below tells text from binary.
                text = content.decode("latin-1")
                line = content.count(b"\n", 0, error.start) + 1
                notes.append(f"line {line}: not UTF-8, so the file was read as Latin-1.")
    sample = text[:65536]
    first = _CONTROL.search(sample)
    # A stray control character or two is a typo; a NUL or many of them is a binary file.
    if first is not None and ("\x00" in sample or len(_CONTROL.findall(sample)) > max(2, len(sample) // 100)):
        raise RatingsFormatError(
            display,
            f"this is not a text file (it holds the control character {ord(first.group()):#04x}). "
            f"Save the ratings as plain text (CSV or tab-separated). {_FIELDS_HINT}",
            line=sample.count("\n", 0, first.start()) + 1,
        )
    return text, notes


def _lines_note(lines: Sequence[int], n_lines: int, one: str, some: str, every: str | None = None) -> str:
    """A note saying where something was tolerated: the line, or how many lines and the first.

    ``one`` and ``some`` are formatted with ``line`` (the first line number) and ``count``;
    ``every`` is used when all ``n_lines`` lines had it.
    """
    count, first = len(lines), int(lines[0])
    if count == 1:
        return one.format(line=first, count=1)
    if every is not None and count == n_lines:
        return every
    return some.format(line=first, count=f"{count:,}")


def _in_file(display: str, note: str) -> str:
    """A note about a second file (the titles), prefixed like an error message names its file."""
    return f"{display}, {note}" if note.startswith("line ") else f"{display}: {note}"
