"""The fixed click dataset of "Experiment: fixing overfitting", derived from the synthetic catalogue.

The lesson's seed asks the learner to close an overfitting gap by changing only the model and
its training, never the data. So the data is fixed per seed, and because its true click
probabilities are known the page can show the ceiling no model can beat. It is small and wide
enough that a big unregularised network memorises it while a regularised one generalises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.data.ratings import GENRES
from recsys_core.data.synthetic import synthetic


@dataclass(frozen=True, eq=False)
class ClickData:
    """A fixed click dataset: features, labels and the truth that generated the labels.

    Each row is one impression: user ``users[j]`` was shown item ``items[j]`` and clicked
    (1) or not (0). ``p_train``/``p_val`` are the true click probabilities the labels were drawn
    from; ``bayes_val_accuracy`` is what predicting with them scores on this validation set —
    the ceiling, because the labels themselves are coin flips around those probabilities.
    """

    X_train: np.ndarray  # float32 (n_train, n_features), standardised with training statistics
    y_train: np.ndarray  # float32 (n_train,) 1 = click
    X_val: np.ndarray  # float32 (n_val, n_features)
    y_val: np.ndarray  # float32 (n_val,)
    feature_names: tuple[str, ...]
    p_train: np.ndarray  # float64 (n_train,) true click probability of each training impression
    p_val: np.ndarray  # float64 (n_val,)
    bayes_val_accuracy: float  # accuracy of the true probabilities on the validation labels
    users_train: np.ndarray  # int32 (n_train,) user index of each impression
    items_train: np.ndarray  # int32 (n_train,)
    users_val: np.ndarray  # int32 (n_val,)
    items_val: np.ndarray  # int32 (n_val,)
    item_titles: np.ndarray  # object (n_items,) readable names for the prediction trace
    seed: int
    description: str

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def n_val(self) -> int:
        return int(self.X_val.shape[0])


def click_dataset(
    seed: int = 0,
    n_train: int = 4000,
    n_val: int = 4000,
    n_context: int = 0,
    flip_rate: float = 0.15,
    sharpness: float = 20.0,
    profile_noise: float = 0.03,
) -> ClickData:
    """The lesson's fixed click dataset, derived from the synthetic catalogue of seed ``seed``.

    Impressions pair a random user with an item drawn by popularity. Whether the user *likes*
    the item is planted: its taste-genre affinity (``PlantedTruth``), standardised over the
    whole catalogue, is above the median. People still click by accident and scroll past
    things they like, so the click is that preference flipped with probability ``flip_rate``:
    ``p = flip_rate + (1 - 2 flip_rate) * sigmoid(sharpness * z)``. That noise caps every
    model near ``1 - flip_rate`` (85%), and it is exactly what a network that memorises its
    training impressions learns by heart: each memorised accidental click is a wrong answer
    for the similar impressions it meets later, which is why "Before" drops to the low 70s.

    The model sees what a site would know: the user's taste profile (the planted taste plus
    ``profile_noise``), activity, the item's genre loadings and popularity, the taste match of
    the two, and ``n_context`` irrelevant context signals (none by default; the lesson's
    claim is measured without them). The same seed always gives the same data.
    """
    catalogue = synthetic(seed=seed)
    truth = catalogue.truth
    assert truth is not None  # synthetic data always carries its truth
    rng = np.random.default_rng([seed, 2])
    n_users, n_items = catalogue.n_users, catalogue.n_items
    n = n_train + n_val

    users = rng.integers(n_users, size=n).astype(np.int32)
    shown = np.sqrt(truth.popularity)  # sites show popular items more, but not only those
    items = rng.choice(n_items, size=n, p=shown / shown.sum()).astype(np.int32)

    all_affinity = truth.user_taste @ truth.item_vector.T
    affinity = np.einsum("ij,ij->i", truth.user_taste[users], truth.item_vector[items])
    z = (affinity - np.median(all_affinity)) / all_affinity.std()  # half of all pairs are liked
    p_click = flip_rate + (1 - 2 * flip_rate) / (1.0 + np.exp(-sharpness * z))
    clicks = (rng.random(n) < p_click).astype(np.float32)

    profile = truth.user_taste + rng.normal(0.0, profile_noise, size=truth.user_taste.shape)
    user_activity = np.log1p(np.bincount(catalogue.users, minlength=n_users))
    item_popularity = np.log1p(np.bincount(catalogue.items, minlength=n_items))
    context = rng.normal(0.0, 1.0, size=(n, n_context))
    taste_match = np.einsum("ij,ij->i", profile[users], truth.item_vector[items])
    columns = [
        profile[users],
        user_activity[users, None],
        truth.item_vector[items],
        item_popularity[items, None],
        taste_match[:, None],
        context,
    ]
    names = [f"user likes {g}" for g in GENRES] + ["user activity (log #ratings)"]
    names += [f"item is {g}" for g in GENRES] + ["item popularity (log #ratings)", "taste match (profile . genres)"]
    names += [f"context {k + 1}" for k in range(n_context)]
    features = np.concatenate(columns, axis=1)

    # Standardise with training statistics only: the validation set stays unseen.
    mean = features[:n_train].mean(axis=0)
    std = features[:n_train].std(axis=0) + 1e-6
    features = ((features - mean) / std).astype(np.float32)

    p_val = p_click[n_train:]
    bayes = float(np.mean((p_val > 0.5) == (clicks[n_train:] > 0.5)))
    return ClickData(
        X_train=features[:n_train],
        y_train=clicks[:n_train],
        X_val=features[n_train:],
        y_val=clicks[n_train:],
        feature_names=tuple(names),
        p_train=p_click[:n_train],
        p_val=p_val,
        bayes_val_accuracy=bayes,
        users_train=users[:n_train],
        items_train=items[:n_train],
        users_val=users[n_train:],
        items_val=items[n_train:],
        item_titles=catalogue.item_titles,
        seed=seed,
        description=(
            f"{n_train:,} training and {n_val:,} validation impressions, {features.shape[1]} "
            f"features ({n_context} of them irrelevant context), click rate {clicks.mean():.0%}"
        ),
    )
