"""Splitting a big delimited text into lines and fields with numpy, keeping editor line numbers.

Per-line string methods in pandas or Python cost seconds on a million lines; locating bytes
with numpy and counting them per line with ``searchsorted`` costs milliseconds. So the whole
text is one uint8 array, and every question the loader asks of it (which lines are blank or
comments, how many fields each line has, which separators sit inside quotes, which lines end in
a stray separator or pad fields with spaces) is answered for all lines at once. Separators,
quotes, ``#`` and newlines are ASCII, and UTF-8 never reuses ASCII bytes inside a multi-byte
character, so byte positions per line are exact.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.data.text import _lines_note

# Tried in this order; "::" before ":" style separators so ratings.dat is not read as one column.
SEPARATORS: tuple[tuple[str, str], ...] = (
    ("::", "'::'"),
    ("\t", "tabs"),
    (",", "commas"),
    (";", "semicolons"),
    ("|", "'|'"),
    (" ", "spaces"),
)
# One separator, as a note names it ("line 3: trailing tab ignored.").
_SEPARATOR_NAMES = {"::": "'::'", "\t": "tab", ",": "comma", ";": "semicolon", "|": "'|'"}
_INTERNAL_SEP = "\x1f"  # ASCII unit separator: stands in for "::" so pandas' fast C parser can split
_NEWLINE, _TAB, _SPACE, _QUOTE, _HASH, _COLON = 10, 9, 32, 34, 35, 58


@dataclass(frozen=True, eq=False)
class LineTable:
    """Where each data line of a text sits: not blank and not a ``#`` comment."""

    data: bytes  # the whole text, "\n" line ends, ending with "\n"
    buf: np.ndarray  # uint8 view of data
    starts: np.ndarray  # byte offset of each data line
    ends: np.ndarray  # byte offset of its "\n"
    numbers: np.ndarray  # 1-based line number of each data line
    all_starts: np.ndarray  # byte offset of every line, data or not
    hidden_starts: np.ndarray  # byte offset of every blank or comment line
    hidden_ends: np.ndarray  # just past its "\n"
    hides_text: bool  # some hidden line is not empty (pandas would read spaces or a comment as a row)

    def line(self, row: int) -> str:
        return self.data[self.starts[row] : self.ends[row]].decode("utf-8").strip()

    def per_line(self, positions: np.ndarray) -> np.ndarray:
        """How many of the (sorted) byte ``positions`` fall in each data line."""
        bounds = np.searchsorted(positions, np.append(self.all_starts, len(self.buf)))
        return np.diff(bounds)[self.numbers - 1]


def _is_any(values: np.ndarray, codes: tuple[int, ...]) -> np.ndarray:
    hit = values == codes[0]
    for code in codes[1:]:
        hit |= values == code
    return hit


def _walk_blanks(buf: np.ndarray, positions: np.ndarray, limits: np.ndarray, step: int,
                 blanks: tuple[int, ...]) -> np.ndarray:
    """Each position moved by ``step`` past blank bytes, stopping at its limit.

    One numpy pass per blank byte skipped (a handful), over only the lines still moving.
    """
    positions = positions.copy()
    moving = np.flatnonzero(_is_any(buf[positions], blanks) & (positions != limits))
    while len(moving):
        positions[moving] += step
        at = positions[moving]
        moving = moving[_is_any(buf[at], blanks) & (at != limits[moving])]
    return positions


def _plain_line_ends(data: bytes, notes: list[str]) -> bytes:
    """``data`` with Windows (CRLF) and old Mac (CR) line ends made "\\n", and a note saying so."""
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == _NEWLINE)
    crlf = np.flatnonzero((newlines > 0) & (buf[np.maximum(newlines - 1, 0)] == 13))
    if len(crlf):
        notes.append(_lines_note(
            crlf + 1, len(newlines),
            one="line {line}: Windows line end (CRLF) read as an ordinary one.",
            some="Windows line ends (CRLF) on {count} lines (first: line {line}) read as ordinary ones.",
            every="Windows line ends (CRLF) on every line read as ordinary ones.",
        ))
        data = data.replace(b"\r\n", b"\n")
    if b"\r" in data:
        notes.append("old Mac line ends (CR alone) read as ordinary ones.")
        data = data.replace(b"\r", b"\n")
    return data


def line_table(text: str) -> tuple[LineTable, list[str]]:
    """The data lines of ``text``, and notes on the line ends, blank and comment lines skipped."""
    notes: list[str] = []
    data = text.encode("utf-8")
    if b"\r" in data:
        data = _plain_line_ends(data, notes)
    if not data.endswith(b"\n"):
        data += b"\n"
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == _NEWLINE)
    starts = np.concatenate(([0], newlines[:-1] + 1))
    first_solid = _walk_blanks(buf, starts, newlines, 1, (_SPACE, _TAB))
    blank = first_solid == newlines
    # A comment is a line that starts with "#"; a "#" later on a line is data (ids can hold one).
    comment = ~blank & (buf[first_solid] == _HASH)
    for mask, one, some in (
        (comment, "line {line}: comment line (starting with #) skipped.",
         "{count} comment lines (starting with #) skipped (first: line {line})."),
        (blank, "line {line}: blank line skipped.", "{count} blank lines skipped (first: line {line})."),
    ):
        if mask.any():
            notes.append(_lines_note(np.flatnonzero(mask) + 1, len(newlines), one=one, some=some))
    visible = ~blank & ~comment
    hidden = np.flatnonzero(~visible)
    return LineTable(
        data=data,
        buf=buf,
        starts=starts[visible],
        ends=newlines[visible],
        numbers=np.flatnonzero(visible) + 1,
        all_starts=starts,
        hidden_starts=starts[hidden],
        hidden_ends=newlines[hidden] + 1,
        hides_text=bool((newlines[hidden] > starts[hidden]).any()),
    ), notes


def _count_fields(line: str, sep: str) -> int:
    if sep == " ":
        return len(line.split())
    if '"' in line:  # separators inside quotes do not count
        line = re.sub(r'"[^"]*"', "", line)
    return line.count(sep) + 1


def _separator_marks(buf: np.ndarray, sep: str) -> np.ndarray:
    """Byte offset of every separator in the text (for "::", of its first colon)."""
    if sep == "::":
        return np.flatnonzero((buf[:-1] == _COLON) & (buf[1:] == _COLON))
    return np.flatnonzero(buf == ord(sep))


def _unquoted(table: LineTable, positions: np.ndarray) -> np.ndarray:
    """The (sorted) byte positions that are not inside quotes.

    A position is inside quotes when an odd number of quotes precede it on its line; an escaped
    quote ("") adds two, so the parity holds across it.
    """
    quotes = np.flatnonzero(table.buf == _QUOTE)
    if len(quotes) == 0:
        return positions
    line_starts = table.all_starts[np.searchsorted(table.all_starts, positions, side="right") - 1]
    before = np.searchsorted(quotes, positions) - np.searchsorted(quotes, line_starts)
    return positions[before % 2 == 0]


def field_counts(table: LineTable, sep: str) -> np.ndarray:
    """Number of fields on every data line (separators inside quotes do not count)."""
    buf = table.buf
    if sep == " ":
        solid = buf > _SPACE
        starts_field = solid.copy()
        starts_field[1:] &= ~solid[:-1]
        return table.per_line(np.flatnonzero(starts_field))
    return table.per_line(_unquoted(table, _separator_marks(buf, sep))) + 1


def _most_common(counts: np.ndarray) -> int:
    """The most common count; on a tie the larger, so the shorter lines are the ones named as short."""
    values, frequency = np.unique(counts, return_counts=True)
    return int(values[frequency == frequency.max()].max())


def detect_separator(sample: list[str]) -> tuple[str, str]:
    """The separator that splits the first lines into the same number (>= 3) of fields."""
    best: tuple[str, str] | None = None
    best_share = 0.0
    for sep, described in SEPARATORS:
        counts = np.array([_count_fields(line, sep) for line in sample])
        mode = _most_common(counts)
        share = float(np.mean(counts == mode))
        if mode >= 3 and share > best_share + 1e-9:
            best, best_share = (sep, described), share
        if best_share == 1.0:
            break
    if best is None:
        return ",", "commas"  # the field-count check then reports the first short line
    return best


def split_header(line: str, sep: str) -> list[str]:
    if sep == " ":
        return line.split()
    if sep == "::":
        return line.split("::")
    return next(csv.reader([line], delimiter=sep))


def trailing_separators(table: LineTable, sep: str) -> tuple[np.ndarray, np.ndarray]:
    """Which data lines end with a separator (spaces after it aside), and where it starts.

    Whether that separator is stray (Surprise ignores it; pandas refuses the line) or closes
    an empty last field depends on how many fields the line should have, so the caller decides.
    """
    if sep == " ":
        return np.zeros(len(table.starts), dtype=bool), table.ends
    blanks = (_SPACE,) if sep == "\t" else (_SPACE, _TAB)
    last = _walk_blanks(table.buf, table.ends - 1, table.starts, -1, blanks)
    if sep == "::":
        at = np.maximum(last - 1, 0)
        ends_with = (last > table.starts) & (table.buf[last] == _COLON) & (table.buf[at] == _COLON)
        return ends_with, at
    return table.buf[last] == ord(sep), last


def trailing_note(lines: np.ndarray, n_lines: int, sep: str) -> str:
    name = _SEPARATOR_NAMES[sep]
    return _lines_note(
        lines, n_lines,
        one=f"line {{line}}: trailing {name} ignored.",
        some=f"trailing {name} ignored on {{count}} lines (first: line {{line}}).",
        every=f"trailing {name} ignored on every line.",
    )


def padded_lines(table: LineTable, sep: str) -> np.ndarray:
    """Which data lines have spaces around a field (pandas and the loader strip them)."""
    if sep == " ":
        return np.zeros(len(table.starts), dtype=bool)
    buf = table.buf
    blank = _is_any(buf, (_SPACE,) if sep == "\t" else (_SPACE, _TAB))
    marks = _unquoted(table, _separator_marks(buf, sep))  # "x, y" in quotes is one field, not padding
    touching = blank[np.maximum(marks - 1, 0)] | blank[np.minimum(marks + len(sep), len(buf) - 1)]
    padded = table.per_line(marks[touching]) > 0
    return padded | blank[table.starts] | blank[table.ends - 1]


def padded_note(lines: np.ndarray, n_lines: int) -> str:
    return _lines_note(
        lines, n_lines,
        one="line {line}: spaces around fields ignored.",
        some="spaces around fields ignored on {count} lines (first: line {line}).",
        every="spaces around fields ignored on every line.",
    )


def _without(buf: np.ndarray, cut_starts: np.ndarray, cut_ends: np.ndarray) -> bytes:
    """The bytes of ``buf`` outside the (non-overlapping) ranges [cut_starts, cut_ends)."""
    order = np.argsort(cut_starts, kind="stable")
    bounds = np.empty(2 * len(order) + 2, dtype=np.int64)
    bounds[0], bounds[-1] = 0, len(buf)
    bounds[1:-1:2], bounds[2:-1:2] = cut_starts[order], cut_ends[order]
    keep = np.tile(np.array([True, False]), len(order) + 1)[:-1]  # keep, cut, keep, ..., keep
    return buf[np.repeat(keep, np.diff(bounds))].tobytes()


def parse_fields(table: LineTable, sep: str, n_fields: int, skip_header: bool,
                 cut_from: np.ndarray) -> pd.DataFrame:
    """The data lines as a frame of ``n_fields`` columns (field counts already checked).

    ``cut_from`` holds, per data line after the header, the byte offset where a stray trailing
    separator starts (or -1). Blank and comment lines and those separators are cut out of the
    bytes in one vectorised step so pandas' C parser, which infers numbers itself and is several
    times faster than converting strings, sees one clean row per data line.
    """
    data = table.data
    skiprows = int(table.numbers[0]) if skip_header else 0
    stray = cut_from >= 0
    if table.hides_text or stray.any():
        ends = table.ends[len(table.ends) - len(cut_from):]
        data = _without(
            table.buf,
            np.concatenate((table.hidden_starts, cut_from[stray])),
            np.concatenate((table.hidden_ends, ends[stray])),
        )
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
