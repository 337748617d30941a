"""MovieLens as downloaded: the ratings file and its titles file, found in a zip or a selection.

Learners get MovieLens as a zip from GroupLens (``ml-100k/u.data`` with ``ml-100k/u.item``,
``ml-1m/ratings.dat`` with ``movies.dat``, ``ml-latest-small/ratings.csv`` with
``movies.csv``), or select the two files together after unzipping. This module only decides
which bytes are the ratings and which the titles; parsing is elsewhere. A zip is read in memory
and only the two known members are opened, each counted against the same size limit as a file
as it decompresses, so a zip bomb is refused at the limit instead of filling memory.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from recsys_core.data.text import RatingsFormatError, _check_size, _is_archive, _read_limited
from recsys_core.data.titles import TITLES_FOR_RATINGS

_TITLES_NAMES = frozenset(TITLES_FOR_RATINGS.values())
_LOOKED_FOR = "u.data (ml-100k), ratings.dat (ml-1m) or ratings.csv (ml-latest-small)"
_SELECT_INSTEAD = "Unzip it and select the ratings file and its titles file together."
_OR_SELECT = "or unzip it and select the ratings file and its titles file together."


@dataclass(frozen=True)
class NamedFile:
    """A file's bytes and the name messages give it (for a zip member, ``"a.zip: a/u.data"``)."""

    name: str
    content: bytes | str  # str when code passed a text stream (io.StringIO)


@dataclass(frozen=True)
class ChosenFiles:
    """The ratings file of an upload, its titles file if any, and how firmly titles were asked for.

    Titles the learner selected themselves must load or the upload fails; titles that merely came
    in the zip are a nicety, so if they cannot be read the ratings load with a note.
    """

    ratings: NamedFile
    titles: NamedFile | None = None
    titles_optional: bool = False


def choose_files(files: Sequence[tuple[str, bytes]]) -> ChosenFiles:
    """Which of the selected ``(name, bytes)`` files hold the ratings and the titles.

    One zip (MovieLens as downloaded), one ratings file, or a ratings file and its titles file in
    either order. Every file is checked against the size limit before anything is parsed.
    """
    named = [NamedFile(posixpath.basename(str(name).replace("\\", "/")) or "uploaded file", content)
             for name, content in files]
    if not named:
        raise RatingsFormatError("upload", "no file was selected. Select a ratings file, or a MovieLens zip.")
    for file in named:
        _check_size(file.name, len(file.content))
    zips = [file for file in named if _is_archive(file.content)]
    if zips and len(named) > 1:
        raise RatingsFormatError(
            zips[0].name, "select the zip on its own: it already holds the ratings and the titles."
        )
    if zips:
        return read_movielens_zip(zips[0].name, zips[0].content)
    if len(named) == 1:
        if _role(named[0].name) == "titles":
            raise RatingsFormatError(
                named[0].name,
                f"this is a titles file, not ratings. Select it together with its ratings file "
                f"({_ratings_name_for(named[0].name)}).",
            )
        return ChosenFiles(named[0])
    if len(named) > 2:
        raise RatingsFormatError(
            ", ".join(file.name for file in named),
            "select at most two files: the ratings file and its titles file (or one MovieLens zip).",
        )
    first, second = named
    roles = (_role(first.name), _role(second.name))
    if roles in (("ratings", "titles"), ("ratings", None), (None, "titles")):
        return ChosenFiles(first, second)
    if roles in (("titles", "ratings"), (None, "ratings"), ("titles", None)):
        return ChosenFiles(second, first)
    raise RatingsFormatError(
        f"{first.name}, {second.name}",
        "cannot tell which file holds the ratings and which the titles. Name them as MovieLens does "
        "(u.data and u.item, ratings.dat and movies.dat, ratings.csv and movies.csv), or put "
        "'ratings' in the name of the ratings file and 'movies' or 'items' in the other.",
    )


def _role(name: str) -> str | None:
    """"ratings", "titles" or None (cannot tell), from a file name."""
    name = name.lower()
    if name in TITLES_FOR_RATINGS:
        return "ratings"
    if name in _TITLES_NAMES:
        return "titles"
    if "rating" in name:
        return "ratings"
    if any(word in name for word in ("movie", "item", "title")):
        return "titles"
    return None


def _ratings_name_for(titles_name: str) -> str:
    by_titles = {titles: ratings for ratings, titles in TITLES_FOR_RATINGS.items()}
    return by_titles.get(titles_name.lower(), "the ratings file")


def _is_hidden(member: str) -> bool:
    # macOS's Archive Utility adds __MACOSX/ and "._u.data" resource forks beside the real files.
    return member.startswith("__MACOSX/") or posixpath.basename(member).startswith(".")


def read_movielens_zip(zip_name: str, content: bytes) -> ChosenFiles:
    """The ratings member of a MovieLens zip and the titles member beside it, read in memory."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise RatingsFormatError(
            zip_name, f"this zip is damaged and cannot be opened ({error}). Download it again, {_OR_SELECT}"
        ) from error
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir() and not _is_hidden(info.filename)]
        names = [info.filename for info in members]
        if "[Content_Types].xml" in names:
            raise RatingsFormatError(
                zip_name,
                "this is an Excel (or other Office) document, not ratings. Save it as CSV "
                "(in Excel: File > Save As > CSV) and load that.",
            )
        ratings = [info for info in members if posixpath.basename(info.filename).lower() in TITLES_FOR_RATINGS]
        if not ratings:
            shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
            raise RatingsFormatError(
                zip_name,
                f"no MovieLens ratings file in this zip. Looked for {_LOOKED_FOR}, at the top or in a "
                f"folder; found {shown or 'nothing'}. {_SELECT_INSTEAD}",
            )
        if len(ratings) > 1:
            raise RatingsFormatError(
                zip_name,
                f"this zip holds {len(ratings)} ratings files ({', '.join(i.filename for i in ratings)}). "
                f"Zip one data set at a time, {_OR_SELECT}",
            )
        info = ratings[0]
        folder = posixpath.dirname(info.filename)
        wanted = posixpath.join(folder, TITLES_FOR_RATINGS[posixpath.basename(info.filename).lower()]).lower()
        titles = next((member for member in members if member.filename.lower() == wanted), None)
        return ChosenFiles(
            ratings=_read_member(archive, zip_name, info),
            titles=None if titles is None else _read_member(archive, zip_name, titles),
            titles_optional=True,
        )


def _read_member(archive: zipfile.ZipFile, zip_name: str, info: zipfile.ZipInfo) -> NamedFile:
    """One member's bytes, refused by its declared size first and its actual size as it unpacks."""
    display = f"{zip_name}: {info.filename}"
    base = posixpath.basename(info.filename)
    titles = TITLES_FOR_RATINGS.get(base.lower())
    advice = (
        f"Unzip it and select a sample of {base} (for example its first million lines)"
        + (f" together with {titles}." if titles else ".")
    )
    _check_size(display, info.file_size, advice=advice, unzipped=True)
    try:
        with archive.open(info) as member:
            content = _read_limited(member, display, advice)
    # zipfile stops at the declared size and then checks the CRC, so a member that lies about
    # its size ends here as damaged; encrypted members and unsupported compressions too.
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as error:
        raise RatingsFormatError(
            display, f"could not be unzipped ({error}). {_SELECT_INSTEAD}"
        ) from error
    return NamedFile(display, content)
