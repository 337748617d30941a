"""Turning the bytes of one ratings file into `Ratings`, or saying exactly why they cannot be used.

A learner's file can be anything, so parsing is as much explaining as reading. The harmless
quirks of files as people have them (a byte-order mark, Windows line ends, blank and comment
lines, a stray trailing separator, spaces around fields, latin-1) are tolerated and each gets a
short note saying where; what would make the numbers wrong (a rating that is not a number or
not on a 0-10 scale, a missing column, a binary file) is one `RatingsFormatError` naming the
file, the line (as an editor numbers it) and what to do. Every check runs over all lines at once
with numpy and pandas, so MovieLens-1M (a million lines) parses in well under a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.data.delimited import (
    _most_common,
    detect_separator,
    field_counts,
    line_table,
    padded_lines,
    padded_note,
    parse_fields,
    split_header,
    trailing_note,
    trailing_separators,
)
from recsys_core.data.ratings import Ratings
from recsys_core.data.text import (
    _FIELDS_HINT,
    _ITEM_NAMES,
    _RATING_NAMES,
    _SAMPLE_ADVICE,
    _TIME_NAMES,
    _USER_NAMES,
    MAX_RATINGS,
    RatingsFormatError,
    _decode,
    _find_column,
    _normalise_name,
)

DUPLICATE_POLICIES = ("last", "mean", "error")
# Scales a learner would recognise, tried in order; the first that holds every rating wins.
_NAMED_SCALES: tuple[tuple[float, float, float, str | None], ...] = (
    # (low, high, step, note)
    (1.0, 5.0, 1.0, None),
    (0.0, 5.0, 1.0, "ratings run from 0 to 5."),
    (1.0, 10.0, 1.0, "ratings run from 1 to 10."),
    (0.5, 5.0, 0.5, "ratings run from 0.5 to 5 in half stars."),
)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


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


def rating_scale(ratings: np.ndarray) -> tuple[tuple[float, float], str | None]:
    """The scale the ratings are on, read from the data, and a note when it is not 1-5.

    A file of 3s and 4s is still on a 1-5 scale (predictions may go to 1 or 5), so the named
    scales are tried first: whole stars 1-5, 0-5, 1-10, then half stars 0.5-5. Anything else
    runs from its lowest to its highest rating.
    """
    low, high = float(ratings.min()), float(ratings.max())
    for scale_low, scale_high, step, note in _NAMED_SCALES:
        steps = (ratings.astype(np.float64) - scale_low) / step
        if scale_low <= low and high <= scale_high and bool((steps == np.round(steps)).all()):
            return (scale_low, scale_high), note
    return (low, high), f"ratings run from {low:g} to {high:g}."


def parse_ratings(display: str, content: bytes | str, duplicates: str = "last") -> Ratings:
    """The ratings in one file's ``content`` (titles are added by the caller).

    The format is detected: MovieLens ``u.data`` (tabs), ``ratings.dat`` (``::``),
    ``ratings.csv`` (with header), or any comma/tab/semicolon/pipe/space-separated text with
    user, item and rating columns (named in a header, or the first three columns). A fourth
    column (or one named like ``timestamp``) is read as the time of the rating.
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be 'last', 'mean' or 'error', not {duplicates!r}")
    text, notes = _decode(display, content)
    table, line_notes = line_table(text)
    notes += line_notes
    if len(table.numbers) == 0:
        raise RatingsFormatError(display, f"the file is empty. {_FIELDS_HINT}")

    sample = [table.line(row) for row in range(min(50, len(table.numbers)))]
    sep, sep_described = detect_separator(sample)
    first_fields = [f.strip().strip("\"'") for f in split_header(sample[0], sep)]
    known_names = set(_USER_NAMES + _ITEM_NAMES + _RATING_NAMES + _TIME_NAMES)
    has_header = bool({_normalise_name(f) for f in first_fields} & known_names) or not any(
        _is_number(f) for f in first_fields
    )

    line_numbers = table.numbers
    counts = field_counts(table, sep)
    ends_with_sep, sep_at = trailing_separators(table, sep)
    header_stray = has_header and bool(ends_with_sep[0]) and len(first_fields) > 3 and first_fields[-1] == ""
    if has_header:
        if header_stray:
            first_fields = first_fields[:-1]
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
        line_numbers, counts, ends_with_sep, sep_at = line_numbers[1:], counts[1:], ends_with_sep[1:], sep_at[1:]
        if len(line_numbers) == 0:
            raise RatingsFormatError(
                display, f"the file has a header but no ratings below it. {_FIELDS_HINT}", line=int(table.numbers[0])
            )
    else:
        user_col, item_col, rating_col = 0, 1, 2
        # Counted without a trailing separator, so a stray one on every line is not a column.
        n_fields = _most_common((counts - ends_with_sep)[:1000])
        time_col = 3 if n_fields >= 4 else None

    if len(line_numbers) > MAX_RATINGS:
        raise RatingsFormatError(
            display,
            f"the file has {len(line_numbers):,} ratings; the limit is {MAX_RATINGS:,}. {_SAMPLE_ADVICE}",
            line=int(line_numbers[MAX_RATINGS]),
        )
    quotes = table.per_line(np.flatnonzero(table.buf == 34))[len(table.numbers) - len(line_numbers) :]
    odd_quotes = _first_line(quotes % 2 == 1, line_numbers)
    if odd_quotes is not None:  # an unclosed quote would swallow the lines after it
        raise RatingsFormatError(
            display, f'a quote (") is opened but never closed. {_FIELDS_HINT}', line=odd_quotes[1]
        )
    # A separator at the end of a line with one field too many is stray; with the right number
    # of fields it closes an empty last field, which is data (an empty timestamp, say).
    stray = ends_with_sep & (counts == n_fields + 1) & (n_fields >= 3)
    counts = counts - stray
    bad = _first_line(counts != n_fields if n_fields >= 3 else counts >= 0, line_numbers)
    if bad is not None:
        row, line = bad
        raise RatingsFormatError(
            display,
            f"found {counts[row]} field{'s' if counts[row] != 1 else ''} separated by {sep_described} "
            f"but expected {max(n_fields, 3)}. {_FIELDS_HINT}",
            line=line,
        )
    if stray.any() or header_stray:
        stray_lines = np.concatenate((table.numbers[:1] if header_stray else [], line_numbers[stray]))
        notes.append(trailing_note(stray_lines.astype(np.int64), len(table.numbers), sep))
    padded = padded_lines(table, sep)
    if padded.any():
        notes.append(padded_note(table.numbers[padded], len(table.numbers)))

    fields = parse_fields(table, sep, n_fields, skip_header=has_header, cut_from=np.where(stray, sep_at, -1))
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

    timestamps = _parse_timestamps(fields[time_col], line_numbers, notes) if time_col is not None else None

    users, user_ids = _encode_ids(user_raw)
    items, item_ids = _encode_ids(item_raw)
    ratings = rating_values.astype(np.float32)
    # Read before duplicates are averaged: a mean of 3 and 4 does not put 3.5 on the scale.
    scale, scale_note = rating_scale(ratings)
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
    if scale_note is not None:
        notes.append(scale_note)

    return Ratings(
        users=users,
        items=items,
        ratings=ratings,
        n_users=len(user_ids),
        n_items=len(item_ids),
        user_ids=user_ids,
        item_ids=item_ids,
        timestamps=timestamps,
        source=display,
        rating_scale=scale,
        notes=tuple(notes),
    )


def _parse_timestamps(raw: pd.Series, line_numbers: np.ndarray, notes: list[str]) -> np.ndarray | None:
    """Seconds since 1970 from numbers or dates; unreadable times are dropped with a note."""
    if pd.api.types.is_numeric_dtype(raw):
        return raw.to_numpy(dtype=np.float64).astype(np.int64)
    if raw.eq("").all():  # an empty time column
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
