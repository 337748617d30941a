"""Ratings data: the container every lesson passes around, and where ratings come from.

The lessons need data whose hidden structure is known, so that the app can show how close a
model comes to the truth; that is what `synthetic` makes. Learners may also bring their own
file; the loaders below turn it into the same `Ratings` container or fail with a
`RatingsFormatError` that names the file, the line and the problem.

Everything here is numpy and pandas: JAX stays inside the models and the training loop.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

GENRES: tuple[str, ...] = (
    "Action",
    "Comedy",
    "Drama",
    "Sci-Fi",
    "Romance",
    "Horror",
    "Documentary",
    "Animation",
)


@dataclass(frozen=True, eq=False)
class PlantedTruth:
    """The structure `synthetic` planted: what a perfect model would learn.

    A rating is drawn as ``global_mean + user_bias[u] + item_bias[i] + user_taste[u] .
    item_genre_vector[i] + noise`` (noise ~ N(0, noise_std)), then rounded and clipped to 1-5.
    """

    global_mean: float
    user_bias: np.ndarray  # (n_users,)
    item_bias: np.ndarray  # (n_items,)
    user_taste: np.ndarray  # (n_users, n_genres): how much each user likes each genre
    item_vector: np.ndarray  # (n_items, n_genres): each item's genre loading
    noise_std: float
    popularity: np.ndarray  # (n_items,): relative chance an item gets rated, sums to 1

    def expected_rating(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The noise-free rating (before rounding) of each (user, item) pair."""
        affinity = np.einsum("ij,ij->i", self.user_taste[users], self.item_vector[items])
        return self.global_mean + self.user_bias[users] + self.item_bias[items] + affinity

    def affinity(self, users: np.ndarray) -> np.ndarray:
        """Taste-only preference (users x items): what a user likes, popularity aside."""
        return self.user_taste[users] @ self.item_vector.T


@dataclass(frozen=True, eq=False)
class Ratings:
    """Explicit ratings as parallel arrays of compact indices.

    ``users[j]`` rated ``items[j]`` with ``ratings[j]``. Indices run 0..n-1 so they can index
    embedding tables directly; ``user_ids`` and ``item_ids`` map them back to the ids in the
    source. Titles, genres and the planted truth are there when the source knows them.
    """

    users: np.ndarray  # int32 (n,)
    items: np.ndarray  # int32 (n,)
    ratings: np.ndarray  # float32 (n,)
    n_users: int
    n_items: int
    user_ids: np.ndarray  # (n_users,) original ids
    item_ids: np.ndarray  # (n_items,) original ids
    timestamps: np.ndarray | None = None  # int64 (n,)
    item_titles: np.ndarray | None = None  # object (n_items,)
    item_genres: tuple[tuple[str, ...], ...] | None = None  # one tuple per item
    truth: PlantedTruth | None = None
    source: str = "ratings"
    rating_scale: tuple[float, float] = (1.0, 5.0)
    notes: tuple[str, ...] = field(default=())  # what loading dropped or changed, and why

    def __len__(self) -> int:
        return int(self.ratings.shape[0])

    @property
    def n_ratings(self) -> int:
        return len(self)

    @property
    def density(self) -> float:
        """Share of the users x items cells that hold a rating."""
        return len(self) / float(self.n_users * self.n_items)

    @property
    def global_mean(self) -> float:
        return float(self.ratings.mean()) if len(self) else 0.0

    def title(self, item: int) -> str:
        """A readable name for item index ``item``."""
        if self.item_titles is not None:
            return str(self.item_titles[item])
        return f"Item {self.item_ids[item]}"

    def genres_of(self, item: int) -> tuple[str, ...]:
        return self.item_genres[item] if self.item_genres is not None else ()

    def to_frame(self) -> pd.DataFrame:
        """One row per rating with original ids (what a learner expects to see)."""
        frame = pd.DataFrame(
            {
                "user": self.user_ids[self.users],
                "item": self.item_ids[self.items],
                "rating": self.ratings,
            }
        )
        if self.timestamps is not None:
            frame["timestamp"] = self.timestamps
        return frame

    def items_frame(self) -> pd.DataFrame:
        """One row per item: id, title, genres, number of ratings, mean rating."""
        counts = np.bincount(self.items, minlength=self.n_items)
        sums = np.bincount(self.items, weights=self.ratings, minlength=self.n_items)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        return pd.DataFrame(
            {
                "item": self.item_ids,
                "title": [self.title(i) for i in range(self.n_items)],
                "genres": [", ".join(self.genres_of(i)) for i in range(self.n_items)],
                "n_ratings": counts,
                "mean_rating": means,
            }
        )

    def subset(self, index: np.ndarray) -> Ratings:
        """The same catalogue restricted to the ratings at ``index`` (a split)."""
        return Ratings(
            users=self.users[index],
            items=self.items[index],
            ratings=self.ratings[index],
            n_users=self.n_users,
            n_items=self.n_items,
            user_ids=self.user_ids,
            item_ids=self.item_ids,
            timestamps=None if self.timestamps is None else self.timestamps[index],
            item_titles=self.item_titles,
            item_genres=self.item_genres,
            truth=self.truth,
            source=self.source,
            rating_scale=self.rating_scale,
            notes=self.notes,
        )


# --- the synthetic catalogue -------------------------------------------------------------

_TITLE_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Action": (("Iron", "Last", "Crimson", "Rogue", "Steel", "Burning"),
               ("Protocol", "Strike", "Vendetta", "Run", "Fury", "Frontier")),
    "Comedy": (("Lucky", "Awkward", "Big", "Silly", "Accidental", "Happy"),
               ("Wedding", "Vacation", "Neighbours", "Roommates", "Holiday", "Mix-up")),
    "Drama": (("Quiet", "Broken", "Distant", "Silent", "Golden", "Long"),
              ("Harbor", "Promise", "Winter", "Letters", "River", "Years")),
    "Sci-Fi": (("Quantum", "Stellar", "Binary", "Orbital", "Neon", "Hidden"),
               ("Horizon", "Signal", "Colony", "Paradox", "Machine", "Nebula")),
    "Romance": (("Sweet", "Paper", "Summer", "Second", "Painted", "Moonlit"),
                ("Hearts", "Kiss", "Serenade", "Chances", "Letters", "Garden")),
    "Horror": (("Hollow", "Cursed", "Dark", "Whispering", "Pale", "Shadow"),
               ("House", "Woods", "Ritual", "Cellar", "Visitor", "Night")),
    "Documentary": (("Inside", "Planet", "Wild", "Deep", "Hidden", "True"),
                    ("Oceans", "Kitchens", "Machines", "Cities", "Forests", "Voices")),
    "Animation": (("Little", "Brave", "Magic", "Tiny", "Flying", "Clever"),
                  ("Dragon", "Robot", "Fox", "Island", "Kingdom", "Penguin")),
}


def _titles(rng: np.random.Generator, first_genre: np.ndarray) -> np.ndarray:
    """Readable, unique titles that hint at each item's first genre."""
    titles: list[str] = []
    seen: set[str] = set()
    for g in first_genre:
        adjectives, nouns = _TITLE_WORDS[GENRES[g]]
        while True:
            base = f"The {adjectives[rng.integers(len(adjectives))]} {nouns[rng.integers(len(nouns))]}"
            title = f"{base} ({int(rng.integers(1960, 2025))})"
            if title not in seen:
                break
        seen.add(title)
        titles.append(title)
    return np.array(titles, dtype=object)


def synthetic(
    n_users: int = 1000,
    n_items: int = 500,
    n_ratings: int = 10_000,
    seed: int = 0,
    noise_std: float = 0.8,
    taste_strength: float = 1.2,
    popularity_skew: float = 1.0,
    like_bias: float = 0.6,
) -> Ratings:
    """A reproducible catalogue with planted structure (same seed, same data).

    Items belong to one or two of `GENRES`; users like some genres and dislike others; a
    rating is bias + taste . genres + noise, rounded to 1-5. Which pairs are rated follows a
    long tail (a few items get most ratings; some users rate far more than others), and users
    rate what they like more often (``like_bias``), as on real sites. The truth is kept in
    ``Ratings.truth`` so lessons can compare what a model learned with what was planted.
    """
    if n_users < 2 or n_items < 2:
        raise ValueError("synthetic data needs at least 2 users and 2 items")
    if not 1 <= n_ratings <= n_users * n_items // 2:
        raise ValueError(
            f"n_ratings must be between 1 and half the matrix ({n_users * n_items // 2:,}); "
            f"got {n_ratings:,}"
        )
    rng = np.random.default_rng(seed)
    n_genres = len(GENRES)

    # Items: one or two genres, a genre vector of unit length plus a little individuality.
    first = rng.integers(n_genres, size=n_items)
    second = np.where(rng.random(n_items) < 0.35, rng.integers(n_genres, size=n_items), first)
    membership = np.zeros((n_items, n_genres))
    membership[np.arange(n_items), first] = 1.0
    membership[np.arange(n_items), second] = 1.0
    item_vector = membership / np.linalg.norm(membership, axis=1, keepdims=True)
    item_vector = item_vector + rng.normal(0.0, 0.15, size=item_vector.shape)
    genres = tuple(
        tuple(GENRES[g] for g in sorted({int(f), int(s)})) for f, s in zip(first, second, strict=True)
    )

    # Users: a taste for every genre, strongest for one or two favourites.
    user_taste = rng.normal(0.0, 0.45, size=(n_users, n_genres))
    favourite = rng.integers(n_genres, size=n_users)
    user_taste[np.arange(n_users), favourite] += 1.0
    user_taste *= taste_strength

    # Popularity: a long tail; popular items are also rated a little higher.
    popularity = rng.pareto(1.2, size=n_items) + 0.05
    popularity = popularity**popularity_skew
    popularity /= popularity.sum()
    log_pop = np.log(popularity * n_items)
    item_bias = 0.15 * (log_pop - log_pop.mean()) + rng.normal(0.0, 0.35, size=n_items)
    user_bias = rng.normal(0.0, 0.4, size=n_users)
    global_mean = 2.92

    truth = PlantedTruth(
        global_mean=global_mean,
        user_bias=user_bias,
        item_bias=item_bias,
        user_taste=user_taste,
        item_vector=item_vector,
        noise_std=noise_std,
        popularity=popularity,
    )

    # Who rates how much: a long tail of activity, every user at least a few ratings.
    activity = rng.lognormal(0.0, 0.8, size=n_users)
    per_user = np.maximum(2, np.round(activity / activity.sum() * n_ratings)).astype(int)
    per_user = np.minimum(per_user, n_items // 2)
    # Nudge the total to exactly n_ratings, keeping every user within [2, n_items // 2].
    diff = n_ratings - int(per_user.sum())
    order = rng.permutation(n_users)
    while diff != 0:
        step = 1 if diff > 0 else -1
        for u in order:
            if diff == 0:
                break
            if 2 <= per_user[u] + step <= n_items // 2:
                per_user[u] += step
                diff -= step

    users_list, items_list = [], []
    affinity = user_taste @ item_vector.T
    for u in range(n_users):
        weights = popularity * np.exp(like_bias * affinity[u])
        weights /= weights.sum()
        chosen = rng.choice(n_items, size=per_user[u], replace=False, p=weights)
        users_list.append(np.full(per_user[u], u, dtype=np.int32))
        items_list.append(chosen.astype(np.int32))
    users = np.concatenate(users_list)
    items = np.concatenate(items_list)

    expected = truth.expected_rating(users, items)
    ratings = np.clip(np.rint(expected + rng.normal(0.0, noise_std, size=len(users))), 1, 5)
    timestamps = (8.8e8 + np.sort(rng.uniform(0, 3e7, size=len(users)))).astype(np.int64)
    shuffle = rng.permutation(len(users))

    return Ratings(
        users=users[shuffle],
        items=items[shuffle],
        ratings=ratings[shuffle].astype(np.float32),
        n_users=n_users,
        n_items=n_items,
        user_ids=np.arange(1, n_users + 1),
        item_ids=np.arange(1, n_items + 1),
        timestamps=timestamps,
        item_titles=_titles(rng, first),
        item_genres=genres,
        truth=truth,
        source=f"synthetic (seed {seed}, {n_users:,} users x {n_items:,} items, {n_ratings:,} ratings)",
    )


# --- loading a ratings file --------------------------------------------------------------
#
# A learner's file can be anything, so the loader's job is as much explaining as parsing: every
# problem becomes one `RatingsFormatError` that names the file, the line (as an editor numbers
# it) and what to do. Parsing is vectorised with pandas (MovieLens-1M, a million lines, loads
# in a couple of seconds); line numbers are kept alongside so the first bad row can be named.

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


# --- titles and genres -------------------------------------------------------------------


def _items_file_beside(path: Path) -> Path | None:
    """The titles file that belongs with a ratings file, if one sits beside it."""
    folder = path.parent
    candidates = []
    if "ratings" in path.name:
        candidates.append(folder / path.name.replace("ratings", "items"))
    by_format = {"u.data": "u.item", "ratings.dat": "movies.dat", "ratings.csv": "movies.csv"}
    if path.name in by_format:
        candidates.append(folder / by_format[path.name])
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


def _read_items(source) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Item id -> (title, genres) from u.item, movies.dat or a CSV with id and title columns."""
    display, content, _ = _read_source(source, None)
    text = _decode(display, content)
    lines, line_numbers = _lines(text)
    if len(lines) == 0:
        raise RatingsFormatError(display, "the titles file is empty.")
    first = lines.iloc[0]
    table: dict[str, tuple[str, tuple[str, ...]]] = {}
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
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
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


def _titles_for(
    item_ids: np.ndarray, table: dict[str, tuple[str, tuple[str, ...]]], notes: list[str]
) -> tuple[np.ndarray, tuple[tuple[str, ...], ...]]:
    titles, genres, missing = [], [], 0
    for item_id in item_ids:
        entry = table.get(_canonical_id(str(item_id)))
        if entry is None:
            missing += 1
            entry = (f"Item {item_id}", ())
        titles.append(entry[0])
        genres.append(entry[1])
    if missing:
        notes.append(f"{missing:,} items have no title in the titles file; shown as 'Item <id>'.")
    return np.array(titles, dtype=object), tuple(genres)


# --- splits --------------------------------------------------------------------------------
#
# A model is judged on ratings it did not train on. Every split keeps the whole catalogue
# (same n_users, n_items, ids and titles) so train and test index the same embedding tables.


def holdout_split(ratings: Ratings, test_fraction: float = 0.2, seed: int = 0) -> tuple[Ratings, Ratings]:
    """A random ``test_fraction`` of the ratings for testing, the rest for training.

    Ratings are drawn one by one (not users), so a test user usually has train ratings too.
    Both parts keep the original order of the ratings.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    n = len(ratings)
    n_test = int(round(n * test_fraction))
    order = np.random.default_rng(seed).permutation(n)
    test = np.sort(order[:n_test])
    train = np.sort(order[n_test:])
    return ratings.subset(train), ratings.subset(test)


def kfold_indices(n_ratings: int, n_folds: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) rating indices per fold, exactly as Surprise's ``KFold`` makes them.

    Matching ``surprise.model_selection.KFold(n_folds, random_state=seed, shuffle=True)``
    index for index lets the app quote Surprise's published numbers as a fair baseline: the
    indices are shuffled once with ``np.random.RandomState(seed)``, fold ``i`` tests on the
    next ``n // k`` of them (one more for the first ``n % k`` folds) and trains on the others,
    in Surprise's order (the shuffled indices before the fold, then those after it).
    """
    if not 2 <= n_folds <= n_ratings:
        raise ValueError(f"n_folds must be between 2 and the number of ratings ({n_ratings}), got {n_folds}")
    indices = np.arange(n_ratings)
    np.random.RandomState(seed).shuffle(indices)
    folds = []
    start = stop = 0
    for fold in range(n_folds):
        start = stop
        stop += n_ratings // n_folds + (1 if fold < n_ratings % n_folds else 0)
        folds.append((np.concatenate((indices[:start], indices[stop:])), indices[start:stop].copy()))
    return folds


def kfold(ratings: Ratings, n_folds: int = 5, seed: int = 0) -> list[tuple[Ratings, Ratings]]:
    """(train, test) `Ratings` per fold; see `kfold_indices` for the protocol."""
    return [(ratings.subset(train), ratings.subset(test)) for train, test in kfold_indices(len(ratings), n_folds, seed)]


def leave_last_out(ratings: Ratings) -> tuple[Ratings, Ratings]:
    """Each user's latest rating is the test set; everything before it trains.

    This is how a recommender is used: predict what someone does next from what they did
    before. Latest means the largest timestamp (ties: the later one in the data), or simply
    the last in the data when there are no timestamps. A user with a single rating keeps it
    in training, since nothing would be left to learn them from.
    """
    n = len(ratings)
    position = np.arange(n)
    time = ratings.timestamps if ratings.timestamps is not None else position
    order = np.lexsort((position, time, ratings.users))  # by user, then time, then position
    sorted_users = ratings.users[order]
    is_last = np.ones(n, dtype=bool)
    is_last[:-1] = sorted_users[:-1] != sorted_users[1:]
    per_user = np.bincount(ratings.users, minlength=ratings.n_users)
    last = order[is_last]
    last = last[per_user[ratings.users[last]] >= 2]
    test_mask = np.zeros(n, dtype=bool)
    test_mask[last] = True
    return ratings.subset(np.flatnonzero(~test_mask)), ratings.subset(np.flatnonzero(test_mask))


# --- the matrix view -----------------------------------------------------------------------
#
# The lessons draw ratings as a users x items matrix with holes. Dense matrices are fine for
# teaching sizes; `MAX_DENSE_CELLS` (MovieLens-1M fits) keeps a big upload from exhausting memory.

MAX_DENSE_CELLS = 25_000_000

FILL_CHOICES: dict[str, str] = {
    "zero": "Treat every missing rating as 0 - as if unseen meant hated.",
    "global_mean": "Fill every missing rating with the average of all ratings.",
    "user_mean": "Fill a user's missing ratings with that user's average rating.",
    "item_mean": "Fill an item's missing ratings with that item's average rating.",
}


def _check_dense(ratings: Ratings) -> None:
    cells = ratings.n_users * ratings.n_items
    if cells > MAX_DENSE_CELLS:
        raise ValueError(
            f"{ratings.n_users:,} users x {ratings.n_items:,} items is {cells:,} cells; a dense "
            f"matrix is limited to {MAX_DENSE_CELLS:,}. Use a smaller sample."
        )


def rating_matrix(ratings: Ratings) -> tuple[np.ndarray, np.ndarray]:
    """The dense users x items matrix (float32, NaN where unrated) and its mask of known cells."""
    _check_dense(ratings)
    matrix = np.full((ratings.n_users, ratings.n_items), np.nan, dtype=np.float32)
    matrix[ratings.users, ratings.items] = ratings.ratings
    return matrix, ~np.isnan(matrix)


def _means(index: np.ndarray, values: np.ndarray, size: int, fallback: float) -> np.ndarray:
    """Mean of ``values`` per ``index``; ``fallback`` where an index has no values."""
    counts = np.bincount(index, minlength=size)
    sums = np.bincount(index, weights=values.astype(np.float64), minlength=size)
    return np.where(counts > 0, sums / np.maximum(counts, 1), fallback)


def fill_missing(ratings: Ratings, how: str) -> Ratings:
    """Every users x items cell as a rating: known ones as rated, missing ones filled.

    Filling is what a naive model does when it treats the matrix as complete; the
    collaborative-filtering lesson trains on the result to show what each choice teaches
    (see `FILL_CHOICES`). A user or item with no ratings gets the global mean for the
    ``user_mean``/``item_mean`` fills. Cells are in row-major order (user 0's items first);
    timestamps are dropped because filled cells never happened.
    """
    if how not in FILL_CHOICES:
        raise ValueError(f"how must be one of {', '.join(FILL_CHOICES)}; got {how!r}")
    matrix, known = rating_matrix(ratings)
    filled = matrix.astype(np.float64)
    global_mean = ratings.global_mean
    if how == "zero":
        fill = np.zeros_like(filled)
    elif how == "global_mean":
        fill = np.full_like(filled, global_mean)
    elif how == "user_mean":
        user_means = _means(ratings.users, ratings.ratings, ratings.n_users, global_mean)
        fill = np.broadcast_to(user_means[:, None], filled.shape)
    else:
        item_means = _means(ratings.items, ratings.ratings, ratings.n_items, global_mean)
        fill = np.broadcast_to(item_means[None, :], filled.shape)
    filled = np.where(known, filled, fill).astype(np.float32)
    users, items = np.divmod(np.arange(filled.size, dtype=np.int64), ratings.n_items)
    low, high = ratings.rating_scale
    n_filled = int((~known).sum())
    return Ratings(
        users=users.astype(np.int32),
        items=items.astype(np.int32),
        ratings=filled.ravel(),
        n_users=ratings.n_users,
        n_items=ratings.n_items,
        user_ids=ratings.user_ids,
        item_ids=ratings.item_ids,
        timestamps=None,
        item_titles=ratings.item_titles,
        item_genres=ratings.item_genres,
        truth=ratings.truth,
        source=ratings.source,
        rating_scale=(min(low, 0.0), high) if how == "zero" else (low, high),
        notes=ratings.notes + (f"{n_filled:,} missing cells filled ({how.replace('_', ' ')}).",),
    )


def matrix_window(ratings: Ratings, n_users: int = 20, n_items: int = 30, by: str = "most_active") -> pd.DataFrame:
    """A corner of the rating matrix for a heatmap: rows are user ids, columns item titles.

    ``by="most_active"`` shows the users with most ratings and the items rated most often
    (the densest corner, where holes and patterns are both visible); ``by="first"`` shows the
    first users and items in id order (what the raw matrix looks like: mostly holes).
    Missing ratings are NaN.
    """
    if by == "most_active":
        user_counts = np.bincount(ratings.users, minlength=ratings.n_users)
        item_counts = np.bincount(ratings.items, minlength=ratings.n_items)
        rows = np.sort(np.argsort(-user_counts, kind="stable")[:n_users])
        cols = np.argsort(-item_counts, kind="stable")[:n_items]
    elif by == "first":
        rows = np.arange(min(n_users, ratings.n_users))
        cols = np.arange(min(n_items, ratings.n_items))
    else:
        raise ValueError(f"by must be 'most_active' or 'first', got {by!r}")
    window = np.full((len(rows), len(cols)), np.nan, dtype=np.float32)
    row_of = np.full(ratings.n_users, -1)
    row_of[rows] = np.arange(len(rows))
    col_of = np.full(ratings.n_items, -1)
    col_of[cols] = np.arange(len(cols))
    inside = (row_of[ratings.users] >= 0) & (col_of[ratings.items] >= 0)
    window[row_of[ratings.users[inside]], col_of[ratings.items[inside]]] = ratings.ratings[inside]
    # Column labels must be unique for a heatmap; real catalogues repeat titles (remakes).
    labels, seen = [], set()
    for item in cols:
        label = ratings.title(int(item))
        if label in seen:
            label = f"{label} [{ratings.item_ids[item]}]"
        seen.add(label)
        labels.append(label)
    return pd.DataFrame(
        window,
        index=pd.Index(ratings.user_ids[rows], name="user"),
        columns=pd.Index(labels, name="item"),
    )


# --- a summary a learner can read ----------------------------------------------------------


def describe(ratings: Ratings) -> dict:
    """Sizes, sparsity, rating distribution and popularity skew of a ratings set.

    Keys: n_users, n_items, n_ratings, density, mean, std, ratings_per_user_median,
    ratings_per_user_max, ratings_per_item_median, ratings_per_item_max, top10_item_share
    (share of all ratings that go to the 10% most-rated items: the long tail in one number),
    histogram ({rating value: count}, whole stars as ints; rounded to whole points when a
    file has more than 21 distinct values).
    """
    per_user = np.bincount(ratings.users, minlength=ratings.n_users)
    per_item = np.bincount(ratings.items, minlength=ratings.n_items)
    n_top = max(1, int(np.ceil(0.1 * ratings.n_items)))
    top_share = float(np.sort(per_item)[::-1][:n_top].sum() / max(len(ratings), 1))
    values = ratings.ratings.astype(np.float64)
    if len(np.unique(values)) > 21:
        values = np.rint(values)
    keys, counts = np.unique(values, return_counts=True)
    histogram = {(int(k) if float(k).is_integer() else float(k)): int(c) for k, c in zip(keys, counts, strict=True)}
    return {
        "n_users": ratings.n_users,
        "n_items": ratings.n_items,
        "n_ratings": len(ratings),
        "density": ratings.density,
        "mean": float(ratings.ratings.mean()) if len(values) else float("nan"),
        "std": float(ratings.ratings.std()) if len(values) else float("nan"),
        "ratings_per_user_median": float(np.median(per_user)),
        "ratings_per_user_max": int(per_user.max()),
        "ratings_per_item_median": float(np.median(per_item)),
        "ratings_per_item_max": int(per_item.max()),
        "top10_item_share": top_share,
        "histogram": histogram,
    }
