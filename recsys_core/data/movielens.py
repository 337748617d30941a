"""Synthetic ratings calibrated to MovieLens: same shape, rating shares and popularity curve.

MovieLens cannot be downloaded here, yet it is what published accuracy figures are quoted on.
`synthetic` plants clean structure for the lessons, so models score far better on it than on
real ratings and settings tuned on it do not carry over. `movielens_like` is built to be as
hard as the real thing: its size, rating shares, ratings-per-user and per-item curves follow
MovieLens' published statistics, and its noise and taste structure are set so that Surprise's
BaselineOnly and SVD score (5-fold) what they score on real MovieLens-100K.

How a catalogue is made:
- Activity: ratings per user from a lognormal excess over the minimum of 20, capped at the
  real maximum, nudged to the exact total.
- Popularity: log item weights from a mirrored Gumbel (a light right tail, so the hits bunch
  below a ceiling as MovieLens' do: its top film has 583 ratings, not thousands) plus an
  exponential left tail of rarely rated films. Each user rates the top-n items by weighted
  popularity + taste + Gumbel noise (the Gumbel-top-k trick: a weighted sample without
  replacement), so users mostly rate what they like, as on real sites (that missing-not-at-
  random choice is what SVD++ feeds on); heavy raters follow popularity less. An item left
  unrated takes over one rating of a much-rated item, since MovieLens lists only rated items.
- Ratings: a latent score = user bias + item bias (higher for popular items) + taste (a
  low-rank part whose dimensions fade in strength) + noise, cut into 1-5 stars at the latent
  quantiles that give MovieLens' rating shares exactly. Quantile cuts, not rounding, are what
  make the shares (and so the mean and spread) match; the noise and taste strength set how
  well models can do (tuned against Surprise's published scores, see bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.data.ratings import Ratings


@dataclass(frozen=True)
class MovieLensShape:
    """A MovieLens release's published statistics, and the generator settings that match them.

    ``user_spread`` is the lognormal sigma of activity and ``popularity_spread`` the scale of
    the (mirrored Gumbel) log item weights; the rest up to ``like_bias`` shape who rates what,
    the others the latent score (in star-like units) before the quantile cut.
    """

    name: str
    n_users: int
    n_items: int
    n_ratings: int
    shares: tuple[float, float, float, float, float]  # of ratings 1-5
    min_per_user: int = 20
    max_per_user: int = 737
    user_spread: float = 1.2
    popularity_spread: float = 1.85
    popularity_skew: float = 0.5  # an exponential left tail on log popularity: more rarely rated items
    exploration: float = 0.15  # heavy raters follow popularity less: its weight ~ activity ** -exploration
    like_bias: float = 0.6  # how strongly taste steers which items a user rates
    user_bias_std: float = 0.45
    item_bias_std: float = 0.4
    popularity_bias: float = 0.12  # item bias per unit of log popularity
    taste_std: float = 0.56  # std of the taste term p_u . q_i
    taste_rank: int = 20
    taste_decay: float = 0.8  # dimension j's share of taste falls like j ** -decay
    noise_std: float = 0.74


ML_100K = MovieLensShape(
    name="movielens-like", n_users=943, n_items=1682, n_ratings=100_000,
    shares=(0.061, 0.114, 0.271, 0.342, 0.212), max_per_user=737,
)
ML_1M = MovieLensShape(
    name="movielens-like-1m", n_users=6040, n_items=3706, n_ratings=1_000_209,
    shares=(0.056, 0.108, 0.261, 0.349, 0.226), max_per_user=2314,
    user_spread=1.12, popularity_spread=1.9, popularity_skew=0.35,
)
PRESETS = {ML_100K.name: ML_100K, ML_1M.name: ML_1M}


def _activity(rng: np.random.Generator, shape: MovieLensShape) -> np.ndarray:
    """Ratings per user: min + lognormal excess, capped, summing exactly to n_ratings."""
    z = rng.standard_normal(shape.n_users)
    room = shape.n_ratings - shape.min_per_user * shape.n_users
    cap = min(shape.max_per_user, int(0.7 * shape.n_items)) - shape.min_per_user
    low, high = -20.0, 20.0
    for _ in range(100):  # bisection on the log-scale so the capped excess sums to `room`
        mid = (low + high) / 2
        total = np.minimum(np.exp(mid + shape.user_spread * z), cap).sum()
        low, high = (mid, high) if total < room else (low, mid)
    excess = np.minimum(np.exp(low + shape.user_spread * z), cap)
    counts = np.floor(excess).astype(np.int64)
    short = room - int(counts.sum())
    remainder = np.where(counts < cap, excess - counts, -1.0)
    counts[np.argsort(-remainder, kind="stable")[:short]] += 1  # largest remainders get the rest
    return counts + shape.min_per_user


def movielens_like(seed: int = 0, shape: MovieLensShape = ML_100K) -> Ratings:
    """A MovieLens-shaped catalogue (``ML_100K`` or ``ML_1M``); same seed, same data.

    No `PlantedTruth` is attached: the planted scores live on a latent scale before the
    quantile cut, so comparing them with stars would mislead a lesson.
    """
    rng = np.random.default_rng(seed)
    n_users, n_items = shape.n_users, shape.n_items
    per_user = _activity(rng, shape)

    log_pop = -shape.popularity_spread * rng.gumbel(size=n_items) - shape.popularity_skew * rng.exponential(size=n_items)
    strength = np.arange(1, shape.taste_rank + 1, dtype=np.float64) ** -shape.taste_decay
    strength *= shape.taste_std / np.sqrt(np.sum(strength**2))
    user_taste = rng.standard_normal((n_users, shape.taste_rank)) * np.sqrt(strength)
    item_vector = rng.standard_normal((n_items, shape.taste_rank)) * np.sqrt(strength)
    centred_pop = (log_pop - log_pop.mean()) / max(log_pop.std(), 1e-9)
    item_bias = shape.popularity_bias * centred_pop + shape.item_bias_std * rng.standard_normal(n_items)
    user_bias = shape.user_bias_std * rng.standard_normal(n_users)

    # Each user rates the per_user[u] items with the highest popularity + taste + Gumbel score:
    # the Gumbel-top-k trick, a weighted sample without replacement, for all users at once.
    users_list, items_list = [], []
    median_activity = np.median(per_user)
    for start in range(0, n_users, 512):  # a block of users at a time: bounded memory at 1M ratings
        block = slice(start, min(start + 512, n_users))
        affinity = user_taste[block] @ item_vector.T
        follow = (per_user[block, None] / median_activity) ** -shape.exploration
        score = follow * log_pop + shape.like_bias * affinity / max(shape.taste_std, 1e-9)
        score = score + rng.gumbel(size=score.shape)
        ranked = np.argsort(-score, axis=1)
        for row, u in enumerate(range(block.start, block.stop)):
            users_list.append(np.full(per_user[u], u, np.int32))
            items_list.append(ranked[row, : per_user[u]].astype(np.int32))
    users = np.concatenate(users_list)
    items = np.concatenate(items_list)
    # A MovieLens catalogue lists only rated items: hand each unrated item one rating taken
    # from a random rating of an item with plenty (so no user or total count changes).
    counts = np.bincount(items, minlength=n_items)
    unrated = np.flatnonzero(counts == 0)
    donors = rng.choice(np.flatnonzero(counts[items] >= 10), size=len(unrated), replace=False)
    items[donors] = unrated

    taste = np.einsum("nk,nk->n", user_taste[users], item_vector[items])
    latent = user_bias[users] + item_bias[items] + taste
    latent = latent + shape.noise_std * rng.standard_normal(len(users))
    cuts = np.quantile(latent, np.cumsum(shape.shares)[:-1])
    ratings = (np.searchsorted(cuts, latent) + 1).astype(np.float32)

    order = rng.permutation(len(users))
    timestamps = (8.8e8 + np.sort(rng.uniform(0, 3e7, size=len(users)))).astype(np.int64)
    return Ratings(
        users=users[order], items=items[order], ratings=ratings[order],
        n_users=n_users, n_items=n_items,
        user_ids=np.arange(1, n_users + 1), item_ids=np.arange(1, n_items + 1),
        timestamps=timestamps,
        source=f"{shape.name} (seed {seed}, {n_users:,} users x {n_items:,} items, {len(users):,} ratings)",
    )
