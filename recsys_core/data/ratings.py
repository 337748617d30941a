"""The container every lesson passes around: explicit ratings, plus what a source knows about them.

Everything in `recsys_core` speaks `Ratings`: loaders produce it, splits cut it, models train on
its index arrays. Synthetic data also carries its `PlantedTruth`, so lessons can compare what a
model learned with what was planted. numpy and pandas only: JAX stays inside the models.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def expected_matrix(self) -> np.ndarray:
        """`expected_rating` of every (user, item) cell at once, as one matrix product (users x items)."""
        return (self.global_mean + self.user_bias[:, None] + self.item_bias[None, :]
                + self.user_taste @ self.item_vector.T)

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
    def has_genres(self) -> bool:
        """Whether any item carries a genre (MovieLens with its items file; the synthetic catalogue)."""
        return self.item_genres is not None and any(len(g) for g in self.item_genres)

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
