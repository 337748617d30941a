"""Biased MF model functions: predictions, the loss on known cells, traces and scores."""

import jax
import jax.numpy as jnp
import numpy as np
from numpy.testing import assert_allclose

from recsys_core.models.mf import MFParams, init_mf, mf_loss, mf_scores, mf_trace, predict_mf

USERS = jnp.array([0, 1, 2, 2, 4], jnp.int32)
ITEMS = jnp.array([1, 0, 3, 1, 2], jnp.int32)
RATINGS = jnp.array([4.0, 2.0, 5.0, 3.0, 1.0], jnp.float32)


def _params() -> MFParams:
    params = init_mf(0, n_users=5, n_items=4, k=3, global_mean=3.2, init_scale=0.5)
    biases = jax.random.normal(jax.random.PRNGKey(1), (9,)) * 0.3
    return params._replace(user_bias=biases[:5], item_bias=biases[5:])


def test_init_gives_zero_biases_small_factors_and_the_requested_shapes():
    params = init_mf(0, 7, 5, 4, global_mean=3.5, init_scale=0.1)
    assert params.user_factors.shape == (7, 4) and params.item_factors.shape == (5, 4)
    assert float(params.global_mean) == 3.5
    assert not np.any(np.asarray(params.user_bias)) and not np.any(np.asarray(params.item_bias))
    assert 0.02 < float(jnp.std(params.user_factors)) < 0.3


def test_prediction_is_global_mean_plus_biases_plus_dot_product():
    p = jax.tree.map(np.asarray, _params())
    expected = (
        p.global_mean + p.user_bias[USERS] + p.item_bias[ITEMS]
        + np.sum(p.user_factors[USERS] * p.item_factors[ITEMS], axis=1)
    )
    assert_allclose(np.asarray(predict_mf(_params(), USERS, ITEMS)), expected, rtol=1e-6)


def test_loss_is_mean_squared_error_on_known_cells_plus_l2_on_the_rows_they_use():
    p = jax.tree.map(np.asarray, _params())
    err = np.asarray(predict_mf(_params(), USERS, ITEMS)) - np.asarray(RATINGS)
    penalty = (
        p.user_bias[USERS] ** 2 + p.item_bias[ITEMS] ** 2
        + np.sum(p.user_factors[USERS] ** 2, 1) + np.sum(p.item_factors[ITEMS] ** 2, 1)
    )
    expected = np.mean(err**2 + 0.05 * penalty)
    assert_allclose(float(mf_loss(_params(), USERS, ITEMS, RATINGS, 0.05)), expected, rtol=1e-6)


def test_loss_gradient_matches_central_finite_differences():
    params = _params()
    grads = jax.grad(mf_loss)(params, USERS, ITEMS, RATINGS, 0.05)
    eps = 1e-2
    for name in ("user_bias", "item_bias", "user_factors", "item_factors"):
        table = np.asarray(getattr(params, name))
        numeric = np.zeros_like(table)
        for index in np.ndindex(table.shape):
            for sign in (1, -1):
                moved = table.copy()
                moved[index] += sign * eps
                loss = float(mf_loss(params._replace(**{name: jnp.asarray(moved)}), USERS, ITEMS, RATINGS, 0.05))
                numeric[index] += sign * loss / (2 * eps)
        assert_allclose(np.asarray(getattr(grads, name)), numeric, rtol=2e-2, atol=2e-3, err_msg=name)


def test_rows_nobody_rated_get_no_gradient_from_the_data():
    grads = jax.grad(mf_loss)(_params(), USERS, ITEMS, RATINGS, 0.0)
    assert not np.any(np.asarray(grads.user_factors[3]))  # user 3 rated nothing here


def test_trace_terms_add_up_to_the_prediction():
    params = _params()
    trace = mf_trace(params, 2, 3)
    assert_allclose(trace["products"], trace["user_vector"] * trace["item_vector"], rtol=1e-6)
    assert_allclose(trace["dot"], trace["products"].sum(), rtol=1e-5)
    total = trace["global_mean"] + trace["user_bias"] + trace["item_bias"] + trace["dot"]
    assert_allclose(trace["prediction"], total, rtol=1e-6)
    assert_allclose(trace["prediction"], float(predict_mf(params, jnp.array([2]), jnp.array([3]))[0]), rtol=1e-5)
    assert 1.0 <= trace["prediction_clipped"] <= 5.0


def test_trace_clips_a_prediction_above_the_scale_to_five():
    params = _params()._replace(global_mean=jnp.float32(9.0))
    trace = mf_trace(params, 0, 0)
    assert trace["prediction"] > 5 and trace["prediction_clipped"] == 5.0


def test_scores_rate_every_item_for_one_user_as_predict_does():
    params = _params()
    scores = mf_scores(params, 1)
    assert isinstance(scores, np.ndarray) and scores.shape == (4,)
    expected = predict_mf(params, jnp.full((4,), 1, jnp.int32), jnp.arange(4, dtype=jnp.int32))
    assert_allclose(scores, np.asarray(expected), rtol=1e-5)
