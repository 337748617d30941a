"""A reproducible catalogue with planted structure: genres, tastes, a popularity long tail, noise.

The lessons need data whose hidden structure is known, so that the app can show how close a
model comes to the truth; that is what `synthetic` makes.
"""

from __future__ import annotations

import numpy as np

from recsys_core.data.ratings import GENRES, PlantedTruth, Ratings

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


N_USERS, N_ITEMS = 1000, 500  # the catalogue every lesson's synthetic data comes from


def synthetic(
    n_users: int = N_USERS,
    n_items: int = N_ITEMS,
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

    # Which items each user rates: per_user[u] draws without replacement, each item with weight
    # popularity x exp(like_bias x affinity). The Gumbel top-k trick gives exactly that distribution
    # (Efraimidis & Spirakis 2006; Vieira 2014) for all users in a few whole-matrix operations: a
    # per-user loop of weighted draws was a thousand small numpy calls, cheap alone (~65 ms) but
    # slow in a server where 30 learners' scripts share one interpreter lock.
    log_weights = np.log(popularity)[None, :] + like_bias * (user_taste @ item_vector.T)
    keys = log_weights + rng.gumbel(size=log_weights.shape)
    ranked = np.argsort(-keys, axis=1, kind="stable")
    take = np.arange(n_items)[None, :] < per_user[:, None]
    users = np.broadcast_to(np.arange(n_users, dtype=np.int32)[:, None], ranked.shape)[take]
    items = ranked[take].astype(np.int32)

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
