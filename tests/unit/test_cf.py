"""The collaborative-filtering lesson's claims, measured: what each preprocessing does, neighbours, maps.

The preprocessing figures are measured on `synthetic()`'s default catalogue (1000 x 500, 10,000
ratings, seed 0) with the lesson's defaults (rank 20, 15 epochs; filled variants 3 epochs):
held-out RMSE keep-the-mask 1.030, fill-with-mean 1.100, fill-with-zeros 2.807, guess-the-mean
1.111 stars. The margins below are wide enough for float noise and narrow enough to fail if a
claim in the lesson text stopped being true.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from recsys_core.data import Ratings, holdout_split, synthetic
from recsys_core.lessons import collaborative_filtering as cf
from recsys_core.training.mf import MFConfig


@pytest.fixture(scope="module")
def split():
    return holdout_split(synthetic())


@pytest.fixture(scope="module")
def experiment(split):
    train, val = split
    config = MFConfig(k=20, epochs=15)
    return {choice: cf.run_preprocessing(train, val, choice, config) for choice in cf.PREPROCESSING}


def tiny(users, items, ratings, n_users, n_items, genres=None) -> Ratings:
    return Ratings(
        users=np.asarray(users, np.int32), items=np.asarray(items, np.int32), ratings=np.asarray(ratings, np.float32),
        n_users=n_users, n_items=n_items, user_ids=np.arange(1, n_users + 1), item_ids=np.arange(1, n_items + 1),
        item_genres=genres,
    )


# --- the preprocessing experiment -----------------------------------------------------------------

def test_keeping_the_mask_beats_filling_with_zeros_on_held_out_ratings_by_a_wide_margin(experiment):
    mask, zero = experiment["mask"].val_rmse, experiment["zero"].val_rmse
    assert_allclose(mask, 1.030, atol=0.02)
    assert_allclose(zero, 2.807, atol=0.1)
    assert zero > mask + 1.5


def test_filling_with_the_mean_is_barely_better_than_guessing_the_mean_and_worse_than_the_mask(split, experiment):
    baseline = cf.mean_baseline_rmse(*split)
    assert 1.0 < baseline < 1.25  # measured 1.129: the spread of the held-out ratings around the mean
    mean = experiment["mean"].val_rmse
    assert abs(mean - baseline) < 0.03
    assert experiment["mask"].val_rmse < mean - 0.04


def test_filling_with_zeros_pulls_predictions_for_unrated_cells_far_below_the_mean(split, experiment):
    train_mean = split[0].global_mean
    zero, mask = experiment["zero"], experiment["mask"]
    assert zero.unrated_mean_raw < 0.3 < train_mean - 3.0  # measured 0.05 vs a mean rating of 3.56
    assert zero.unrated_mean < 1.05  # clipped to the scale: the 1-star floor
    assert abs(mask.unrated_mean - train_mean) < 0.2  # measured 3.51


def test_filling_with_the_mean_flattens_predictions_so_everyone_gets_the_same_list(experiment):
    assert experiment["mean"].unrated_std < 0.05  # measured 0.02
    assert experiment["mask"].unrated_std > 0.3  # measured 0.41


def test_filled_variants_train_on_every_cell_with_the_shorter_schedule(split, experiment):
    train, _ = split
    assert experiment["mask"].training_cells == train.n_ratings
    assert experiment["zero"].training_cells == train.n_users * train.n_items == 500_000
    assert len(experiment["zero"].history) == cf.FILLED_EPOCHS + 1  # epoch 0 (untrained) first
    assert experiment["zero"].config.batch_size == cf.FILLED_BATCH_SIZE
    assert len(experiment["mask"].history) == 16


def test_findings_state_the_measured_numbers(split, experiment):
    text = cf.experiment_findings(experiment, cf.mean_baseline_rmse(*split), split[0].global_mean)
    assert text.startswith("**Keep the mask** gave the lowest held-out RMSE")
    assert f"{experiment['zero'].val_rmse:.3f}" in text and "unseen means disliked" in text
    assert cf.best_choice(experiment) == "mask"


def test_the_stage_table_follows_the_seed_and_the_chosen_preprocessing(split, experiment):
    train, val = split
    names = ["Raw user-item ratings", "Data preprocessing", "Matrix factorization", "Model training", "Prediction"]
    mask_stages = cf.cf_stages(train, val, experiment["mask"], 0)
    zero_stages = cf.cf_stages(train, val, experiment["zero"], 0)
    assert [s["stage"] for s in mask_stages] == names
    assert mask_stages[2]["output"] == "User features: 1,000 x 20, Item features: 500 x 20"
    assert "(8,000 training cells)" in mask_stages[1]["output"]
    assert "(500,000 training cells)" in zero_stages[1]["output"]
    assert "replaced with 0.00" in zero_stages[1]["example"]
    assert mask_stages[4]["input"] == "User features: 1 x 20, Item features: 1 x 20"


def test_preprocess_rejects_unknown_choices_and_matrices_too_big_to_fill():
    small = tiny([0], [0], [4.0], 2, 2)
    with pytest.raises(ValueError, match="choice must be one of"):
        cf.preprocess(small, "median")
    huge = tiny([0], [0], [4.0], 2_000, 1_001)
    assert cf.preprocess(huge, "mask") is huge
    with pytest.raises(ValueError, match="fills at most"):
        cf.preprocess(huge, "zero")


def test_filled_window_shows_the_matrix_as_each_choice_sees_it():
    import pandas as pd

    window = pd.DataFrame([[4.0, np.nan], [np.nan, 2.0]])
    assert cf.filled_window(window, "mask", 3.5).isna().sum().sum() == 2
    assert_allclose(cf.filled_window(window, "zero", 3.5).to_numpy(), [[4, 0], [0, 2]])
    assert_allclose(cf.filled_window(window, "mean", 3.5).to_numpy(), [[4, 3.5], [3.5, 2]])


# --- neighbours and the map ----------------------------------------------------------------------

def test_cosine_neighbours_rank_by_direction_not_length_and_skip_the_row_itself():
    vectors = np.array([[1.0, 0.0], [10.0, 0.5], [0.0, 1.0], [-1.0, 0.0]])
    order, sims = cf.cosine_neighbours(vectors, 0, k=3)
    assert order.tolist() == [1, 2, 3]
    assert_allclose(sims, [10 / np.hypot(10, 0.5), 0.0, -1.0], atol=1e-12)


def test_similar_items_and_users_report_the_genres_they_share():
    genres = (("Action",), ("Action", "Drama"), ("Comedy",))
    ratings = tiny([0, 0, 1, 1, 2], [0, 1, 0, 2, 2], [5, 4, 5, 2, 5], 3, 3, genres)
    item_factors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    items = cf.similar_items(ratings, item_factors, 0, k=2)
    assert items["Item"].tolist() == ["Item 2", "Item 3"]
    assert items["Shared genres"].tolist() == ["Action", "—"]
    assert items["Ratings"].tolist() == [1, 2]
    user_factors = np.array([[1.0, 0.0], [0.8, 0.2], [0.0, 1.0]])
    users = cf.similar_users(ratings, user_factors, 0, k=2)
    assert users["User"].tolist() == ["User 2", "User 3"]
    assert cf.liked_genres(ratings, 0) == ("Action", "Drama")
    assert users["Shared liked genres"].tolist() == ["Action", "—"]  # user 2 rated the comedy 2 stars


def test_genre_agreement_is_perfect_for_genre_aligned_features_and_compares_with_chance():
    genres = (("A",), ("A",), ("B",), ("B",))
    ratings = tiny([0, 1, 2, 3], [0, 1, 2, 3], [4, 4, 4, 4], 4, 4, genres)
    aligned = np.array([[1.0, 0.0], [0.9, 0.1], [0.1, 0.9], [0.0, 1.0]])
    found = cf.genre_agreement(ratings, aligned, k=1)
    assert found["neighbour_share"] == 1.0
    assert_allclose(found["random_share"], 1 / 3)  # each item shares its genre with 1 of the 3 others
    assert cf.genre_agreement(tiny([0], [0], [4], 1, 2), aligned[:2]) is None


def test_pca_finds_the_direction_of_largest_spread_and_its_variance_share():
    rng = np.random.default_rng(0)
    base = np.column_stack([rng.normal(0, 3.0, 500), rng.normal(0, 1.0, 500), np.zeros(500)])
    rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    coords, share = cf.pca_2d(base @ rotation.T + 5.0)
    assert_allclose(np.abs(np.corrcoef(coords[:, 0], base[:, 0])[0, 1]), 1.0, atol=1e-6)
    assert_allclose(share.sum(), 1.0, atol=1e-9)
    assert share[0] > 0.85
    line, line_share = cf.pca_2d(np.arange(6, dtype=float)[:, None])  # rank 1 still gives two columns
    assert line.shape == (6, 2) and line_share[1] == 0.0
