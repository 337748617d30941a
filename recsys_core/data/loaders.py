"""Loading a learner's ratings file into `Ratings`, or saying exactly why it cannot be used.

A learner's file can be anything, so the loader's job is as much explaining as parsing: every
problem becomes one `RatingsFormatError` that names the file, the line (as an editor numbers
it) and what to do. Parsing is vectorised with pandas (MovieLens-1M, a million lines, loads
in a couple of seconds); line numbers are kept alongside so the first bad row can be named.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.data.ratings import Ratings
from recsys_core.data.text import (
    _FIELDS_HINT,
    _ITEM_NAMES,
    _RATING_NAMES,
    _TIME_NAMES,
    _USER_NAMES,
    MAX_FILE_BYTES,
    MAX_RATINGS,
    RatingsFormatError,
    _decode,
    _find_column,
    _normalise_name,
    _read_source,
)
from recsys_core.data.titles import _items_file_beside, _read_items, _titles_for

__all__ = ["MAX_FILE_BYTES", "MAX_RATINGS", "RatingsFormatError", "load_ratings"]

# Tried in this order; "::" before ":" style separators so ratings.dat is not read as one column.
_SEPARATORS: tuple[tuple[str, str], ...] = (
    ("::", "'::'"),
    ("\t", "tabs"),
    (",", "commas"),
    (";", "semicolons"),
    ("|", "'|'"),
    (" ", "spaces"),
)
_INTERNAL_SEP = "\x1f"  # ASCII unit separator: stands in for "::" so pandas' fast C parser can split


@dataclass(frozen=True, eq=False)
class _LineTable:
    """Where each non-blank line of a big text sits, found with numpy over its UTF-8 bytes.

    Per-line string methods in pandas cost seconds on a million lines; locating bytes with
    numpy and counting them per line with ``searchsorted`` costs milliseconds. Separators,
    quotes and newlines are ASCII, and UTF-8 never reuses ASCII bytes inside a multi-byte
    character, so byte counts per line are exact.
    """

    data: bytes  # the whole text, "\n" line ends, ending with "\n"
    buf: np.ndarray  # uint8 view of data
    starts: np.ndarray  # byte offset of each non-blank line
    ends: np.ndarray  # byte offset of its "\n"
    numbers: np.ndarray  # 1-based line number of each non-blank line
    all_starts: np.ndarray  # byte offset of every line, blank or not
    has_blank_with_spaces: bool  # a blank line holding only spaces/tabs (the C parser would keep it)

    def line(self, row: int) -> str:
        return self.data[self.starts[row] : self.ends[row]].decode("utf-8").strip()

    def per_line(self, positions: np.ndarray) -> np.ndarray:
        """How many of the (sorted) byte ``positions`` fall in each non-blank line."""
        bounds = np.searchsorted(positions, np.append(self.all_starts, len(self.buf)))
        return np.diff(bounds)[self.numbers - 1]


def _line_table(text: str) -> _LineTable:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    data = text.encode("utf-8")
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], newlines[:-1] + 1))
    lengths = newlines - starts
    visible = lengths > 0
    # Only a line that starts with a space or tab can be blank yet not empty; check those few.
    maybe_blank = np.flatnonzero(visible & (buf[np.minimum(starts, len(buf) - 1)] <= 32))
    for index in maybe_blank:
        if not data[starts[index] : newlines[index]].strip():
            visible[index] = False
    return _LineTable(
        data=data,
        buf=buf,
        starts=starts[visible],
        ends=newlines[visible],
        numbers=np.flatnonzero(visible) + 1,
        all_starts=starts,
        has_blank_with_spaces=bool(((lengths > 0) & ~visible).any()),
    )


def _count_fields(line: str, sep: str) -> int:
    if sep == " ":
        return len(line.split())
    if '"' in line:  # separators inside quotes do not count
        line = re.sub(r'"[^"]*"', "", line)
    return line.count(sep) + 1


def _field_counts(table: _LineTable, sep: str) -> np.ndarray:
    """Number of fields on every non-blank line."""
    buf = table.buf
    if sep == " ":
        solid = buf > 32
        starts_field = solid.copy()
        starts_field[1:] &= ~solid[:-1]
        return table.per_line(np.flatnonzero(starts_field))
    if sep == "::":
        marks = np.flatnonzero((buf[:-1] == 58) & (buf[1:] == 58))
    else:
        marks = np.flatnonzero(buf == ord(sep))
    counts = table.per_line(marks) + 1
    quoted = np.flatnonzero(table.per_line(np.flatnonzero(buf == 34)) > 0)
    for row in quoted:  # rare: recount the lines that have quotes, in Python
        counts[row] = _count_fields(table.line(int(row)), sep)
    return counts


def _detect_separator(sample: list[str]) -> tuple[str, str]:
    """The separator that splits the first lines into the same number (>= 3) of fields."""
    best: tuple[str, str] | None = None
    best_share = 0.0
    for sep, described in _SEPARATORS:
        counts = np.array([_count_fields(line, sep) for line in sample])
        values, frequency = np.unique(counts, return_counts=True)
        mode = values[np.argmax(frequency)]
        share = frequency.max() / len(counts)
        if mode >= 3 and share > best_share + 1e-9:
            best, best_share = (sep, described), share
        if best_share == 1.0:
            break
    if best is None:
        return ",", "commas"  # the field-count check then reports the first short line
    return best


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _split_header(line: str, sep: str) -> list[str]:
    if sep == " ":
        return line.split()
    if sep == "::":
        return line.split("::")
    return next(csv.reader([line], delimiter=sep))


def _parse_fields(table: _LineTable, sep: str, n_fields: int, skip_header: bool) -> pd.DataFrame:
    """The data lines as a frame of ``n_fields`` columns (field counts already checked).

    pandas' C parser infers numbers itself, which is several times faster than reading
    strings and converting; columns with anything non-numeric come back as strings.
    """
    data = table.data
    skiprows = int(table.numbers[0]) if skip_header else 0
    if table.has_blank_with_spaces:  # the C parser only skips truly empty lines
        data = b"\n".join(data[s:e] for s, e in zip(table.starts, table.ends, strict=True)) + b"\n"
        skiprows = 1 if skip_header else 0
    if sep == "::":
        data, sep = data.replace(b"::", _INTERNAL_SEP.encode()), _INTERNAL_SEP
    frame = pd.read_csv(
        io.BytesIO(data),
        sep=r"\s+" if sep == " " else sep,
        header=None,
        names=range(n_fields),
        skiprows=skiprows,
        na_filter=False,
        skipinitialspace=True,
        skip_blank_lines=True,
        quoting=csv.QUOTE_MINIMAL if b'"' in data else csv.QUOTE_NONE,
        encoding="utf-8",
        engine="c",
    )
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype(str).str.strip().str.strip("'")
    return frame


def _first_line(mask: np.ndarray, line_numbers: np.ndarray) -> tuple[int, int] | None:
    """(row, line number) of the first True in ``mask``."""
    hits = np.flatnonzero(mask)
    return (int(hits[0]), int(line_numbers[hits[0]])) if len(hits) else None


def _encode_ids(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Compact 0..n-1 codes sorted by original id (numerically when every id is a whole number)."""
    if not pd.api.types.is_integer_dtype(values):
        numeric = pd.to_numeric(values, errors="coerce")
        if not numeric.isna().any() and bool((numeric == np.round(numeric)).all()):
            values = numeric.astype(np.int64)
    codes, uniques = pd.factorize(values.to_numpy(), sort=True)
    return codes.astype(np.int32), np.asarray(uniques)


def _rating_values(raw: pd.Series, line_numbers: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, str]]]:
    """Ratings as float64, and (line, row, problem) for the first bad rating of each kind."""
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.to_numpy(dtype=np.float64)
        literal_nan = np.zeros(len(values), dtype=bool)
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
        literal_nan = raw.str.lower().str.lstrip("+-").eq("nan").to_numpy()
    problems = []
    not_number = np.isnan(values) & ~literal_nan
    not_finite = ~np.isfinite(values) & ~not_number
    out_of_range = np.isfinite(values) & ((values < 0) | (values > 10))
    for mask, say in (
        (not_number, "rating {!r} is not a number."),
        (not_finite, "rating {!r} is not a finite number; ratings must be between 0 and 10."),
        (out_of_range, "rating {} is outside 0-10; ratings must be stars or points between 0 and 10."),
    ):
        found = _first_line(mask, line_numbers)
        if found is not None:
            row, line = found
            problems.append((line, row, say.format(raw.iloc[row])))
    return values, problems


def load_ratings(
    source,
    name: str | None = None,
    items_source=None,
    duplicates: str = "last",
) -> Ratings:
    """Read a ratings file into `Ratings`, or explain precisely why it cannot be used.

    ``source`` is a path (a file, or a MovieLens folder) or a file-like object such as
    Streamlit's UploadedFile. The format is detected: MovieLens ``u.data`` (tabs),
    ``ratings.dat`` (``::``), ``ratings.csv`` (with header), or any comma/tab/semicolon/pipe/
    space-separated file with user, item and rating columns (named in a header, or the first
    three columns). A fourth column (or one named like ``timestamp``) is read as the time of
    the rating; blank lines are skipped.

    Titles come from ``items_source`` or, for a path, from ``u.item``, ``movies.dat``,
    ``movies.csv`` or ``<name with "ratings" replaced by "items">`` beside the file.
    ``duplicates`` says what to do when a user rated an item twice: ``"last"`` keeps the last
    rating, ``"mean"`` averages them, ``"error"`` refuses the file. Anything dropped or changed
    is described in ``Ratings.notes``. Every problem raises `RatingsFormatError`.
    """
    if duplicates not in ("last", "mean", "error"):
        raise ValueError(f"duplicates must be 'last', 'mean' or 'error', not {duplicates!r}")
    display, content, path = _read_source(source, name)
    table = _line_table(_decode(display, content))
    if len(table.numbers) == 0:
        raise RatingsFormatError(display, f"the file is empty. {_FIELDS_HINT}")

    sample = [table.line(row) for row in range(min(50, len(table.numbers)))]
    sep, sep_described = _detect_separator(sample)
    first_fields = [f.strip().strip("\"'") for f in _split_header(sample[0], sep)]
    known_names = set(_USER_NAMES + _ITEM_NAMES + _RATING_NAMES + _TIME_NAMES)
    has_header = bool({_normalise_name(f) for f in first_fields} & known_names) or not any(
        _is_number(f) for f in first_fields
    )

    line_numbers = table.numbers
    counts = _field_counts(table, sep)
    if has_header:
        user_col = _find_column(first_fields, _USER_NAMES, "user")
        item_col = _find_column(first_fields, _ITEM_NAMES, "item")
        rating_col = _find_column(first_fields, _RATING_NAMES, "rating")
        time_col = _find_column(first_fields, _TIME_NAMES, None)
        missing = [kind for kind, col in (("user", user_col), ("item", item_col), ("rating", rating_col)) if col is None]
        if missing:
            raise RatingsFormatError(
                display,
                f"no {' or '.join(missing)} column in the header (found columns: "
                f"{', '.join(first_fields)}). Name the columns user, item, rating (and optionally timestamp).",
                line=int(line_numbers[0]),
            )
        n_fields = len(first_fields)
        line_numbers, counts = line_numbers[1:], counts[1:]
        if len(line_numbers) == 0:
            raise RatingsFormatError(
                display, f"the file has a header but no ratings below it. {_FIELDS_HINT}", line=int(table.numbers[0])
            )
    else:
        user_col, item_col, rating_col = 0, 1, 2
        values, frequency = np.unique(counts[:1000], return_counts=True)
        n_fields = int(values[np.argmax(frequency)])
        time_col = 3 if n_fields >= 4 else None

    if len(line_numbers) > MAX_RATINGS:
        raise RatingsFormatError(
            display,
            f"the file has {len(line_numbers):,} ratings; the limit is {MAX_RATINGS:,}. Use a sample of it.",
            line=int(line_numbers[MAX_RATINGS]),
        )
    quotes = table.per_line(np.flatnonzero(table.buf == 34))[len(table.numbers) - len(line_numbers) :]
    odd_quotes = _first_line(quotes % 2 == 1, line_numbers)
    if odd_quotes is not None:  # an unclosed quote would swallow the lines after it
        raise RatingsFormatError(
            display, f'a quote (") is opened but never closed. {_FIELDS_HINT}', line=odd_quotes[1]
        )
    bad = _first_line(counts != n_fields if n_fields >= 3 else counts >= 0, line_numbers)
    if bad is not None:
        row, line = bad
        raise RatingsFormatError(
            display,
            f"found {counts[row]} field{'s' if counts[row] != 1 else ''} separated by {sep_described} "
            f"but expected {max(n_fields, 3)}. {_FIELDS_HINT}",
            line=line,
        )

    fields = _parse_fields(table, sep, n_fields, skip_header=has_header)
    if len(fields) != len(line_numbers):  # should not happen once field counts agree
        raise RatingsFormatError(display, f"could not split the file into lines of fields. {_FIELDS_HINT}")
    user_raw, item_raw = fields[user_col], fields[item_col]

    rating_raw = fields[rating_col]
    if sep == ";" and not pd.api.types.is_numeric_dtype(rating_raw):
        # Semicolon files usually come from spreadsheets set to a decimal comma ("4,5").
        with_points = rating_raw.str.replace(",", ".", regex=False)
        if pd.to_numeric(with_points, errors="coerce").notna().all():
            rating_raw = with_points

    # Per-row checks; the earliest offending line is reported, whatever the problem.
    rating_values, problems = _rating_values(rating_raw, line_numbers)
    for raw, what in ((user_raw, "user"), (item_raw, "item")):
        if not pd.api.types.is_numeric_dtype(raw):
            found = _first_line(raw.eq("").to_numpy(), line_numbers)
            if found is not None:
                problems.append((found[1], found[0], f"the {what} id is empty."))
    if problems:
        line, _, problem = min(problems)
        raise RatingsFormatError(display, f"{problem} {_FIELDS_HINT}", line=line)

    notes: list[str] = []
    timestamps = _parse_timestamps(fields[time_col], line_numbers, notes) if time_col is not None else None

    users, user_ids = _encode_ids(user_raw)
    items, item_ids = _encode_ids(item_raw)
    ratings = rating_values.astype(np.float32)
    users, items, ratings, timestamps = _resolve_duplicates(
        display, users, items, ratings, timestamps, len(item_ids), line_numbers, user_raw, item_raw, duplicates, notes
    )

    if len(user_ids) < 2 or len(item_ids) < 2:
        raise RatingsFormatError(
            display,
            f"the file has {len(user_ids)} user{'s' if len(user_ids) != 1 else ''} and "
            f"{len(item_ids)} item{'s' if len(item_ids) != 1 else ''}; a recommender needs "
            f"ratings from at least 2 users on at least 2 items.",
        )

    titles, genres = None, None
    if items_source is not None:
        titles, genres = _titles_for(item_ids, _read_items(items_source), notes)
    elif path is not None:
        beside = _items_file_beside(path)
        if beside is not None:
            try:
                titles, genres = _titles_for(item_ids, _read_items(beside), notes)
            except RatingsFormatError as error:  # titles are a nicety: keep the ratings
                notes.append(f"titles not loaded: {error}")

    return Ratings(
        users=users,
        items=items,
        ratings=ratings,
        n_users=len(user_ids),
        n_items=len(item_ids),
        user_ids=user_ids,
        item_ids=item_ids,
        timestamps=timestamps,
        item_titles=titles,
        item_genres=genres,
        source=display,
        rating_scale=(float(ratings.min()), float(ratings.max())),
        notes=tuple(notes),
    )


def _parse_timestamps(raw: pd.Series, line_numbers: np.ndarray, notes: list[str]) -> np.ndarray | None:
    """Seconds since 1970 from numbers or dates; unreadable times are dropped with a note."""
    if pd.api.types.is_numeric_dtype(raw):
        return raw.to_numpy(dtype=np.float64).astype(np.int64)
    if raw.eq("").all():  # a trailing separator on every line, not a time column
        return None
    numeric = pd.to_numeric(raw, errors="coerce")
    if not numeric.isna().any():
        return numeric.to_numpy(dtype=np.float64).astype(np.int64)
    dates = pd.to_datetime(raw, errors="coerce", format="mixed", utc=True)
    if not dates.isna().any():
        # Subtracting the epoch works whatever unit pandas stores datetimes in.
        return ((dates - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
    row, line = _first_line(numeric.isna().to_numpy() & dates.isna().to_numpy(), line_numbers)
    notes.append(f"timestamps ignored: line {line} has {raw.iloc[row]!r}, which is not a time.")
    return None


def _resolve_duplicates(
    display: str,
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    timestamps: np.ndarray | None,
    n_items: int,
    line_numbers: np.ndarray,
    user_raw: pd.Series,
    item_raw: pd.Series,
    policy: str,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Apply the duplicates policy: a pair rated twice would otherwise count twice in training."""
    keys = users.astype(np.int64) * n_items + items
    # Sorting finds repeats several times faster than hashing a million keys.
    order = np.argsort(keys, kind="stable")
    same_as_next = keys[order[:-1]] == keys[order[1:]]
    if not same_as_next.any():
        return users, items, ratings, timestamps
    repeated = np.zeros(len(keys), dtype=bool)  # a pair seen earlier in the file
    repeated[order[1:][same_as_next]] = True
    n_pairs = int((same_as_next & ~np.concatenate(([False], same_as_next[:-1]))).sum())
    if policy == "error":
        row = int(np.flatnonzero(repeated)[0])
        first_row = int(np.flatnonzero(keys == keys[row])[0])
        raise RatingsFormatError(
            display,
            f"user {user_raw.iloc[row]} rated item {item_raw.iloc[row]} again (first on line "
            f"{line_numbers[first_row]}). Remove the repeated line, or load with duplicates "
            f"'last' or 'mean'.",
            line=int(line_numbers[row]),
        )
    plural = "pair" if n_pairs == 1 else "pairs"
    if policy == "last":
        keep = np.ones(len(keys), dtype=bool)  # drop every rating a later one replaces
        keep[order[:-1][same_as_next]] = False
        notes.append(f"{n_pairs:,} duplicate (user, item) {plural}: kept the last rating of each.")
        return users[keep], items[keep], ratings[keep], None if timestamps is None else timestamps[keep]
    # "mean": one row per pair at its first position, holding the mean rating and latest time.
    keep = ~repeated
    keys = pd.Series(keys)
    means = pd.Series(ratings.astype(np.float64)).groupby(keys).transform("mean").to_numpy()
    notes.append(f"{n_pairs:,} duplicate (user, item) {plural}: averaged the ratings of each.")
    new_times = None
    if timestamps is not None:
        new_times = pd.Series(timestamps).groupby(keys).transform("max").to_numpy()[keep]
    return users[keep], items[keep], means[keep].astype(np.float32), new_times
