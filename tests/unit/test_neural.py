"""The neural recommender: it learns, its gradients are right, and sliders never recompile."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from recsys_core.data import synthetic
from recsys_core.lessons.engagement import neural_trace
from recsys_core.models import neural
from recsys_core.training import neural as training
from recsys_core.training.batching import weighted_batches
from recsys_core.training.loop import COMPLETED, DIVERGED, EARLY_STOPPED
from recsys_core.training.optimisers import adam_init


def _split(ratings, test_fraction=0.2, seed=0):
    perm = np.random.default_rng(seed).permutation(len(ratings))
    n_test = int(round(len(ratings) * test_fraction))
    return ratings.subset(perm[n_test:]), ratings.subset(perm[:n_test])


# One tiny architecture for every small test, so they share one compiled epoch.
TINY = {"embedding_dim": 4, "hidden": 8, "batch_size": 32}


@pytest.fixture(scope="module")
def tiny():
    return _split(synthetic(n_users=40, n_items=30, n_ratings=400, seed=3))


def _tiny_batch(ratings, n=24):
    return neural.Batch(
        users=jnp.asarray(ratings.users[:n]),
        items=jnp.asarray(ratings.items[:n]),
        ratings=jnp.asarray(ratings.ratings[:n]),
        weight=jnp.ones((n,), jnp.float32),
    )


def _batches(users, items, ratings, batch_size) -> neural.Batch:
    grid = weighted_batches({"users": np.asarray(users, np.int32), "items": np.asarray(items, np.int32),
                             "ratings": np.asarray(ratings, np.float32)}, batch_size)
    return neural.Batch(*(jnp.asarray(grid[k]) for k in ("users", "items", "ratings", "weight")))


def test_loss_falls_every_epoch_and_held_out_accuracy_rises_with_the_defaults():
    train, val = _split(synthetic())
    run = training.fit_neural(train, val, training.NeuralConfig())
    train_losses = [r.train_loss for r in run.history]
    val_losses = [r.val_loss for r in run.history]
    assert len(run.history) == 6 and run.stop_reason == COMPLETED  # epoch 0 (untrained) and 5 epochs
    assert all(b < a for a, b in zip(train_losses, train_losses[1:], strict=False)), train_losses
    assert all(b < a for a, b in zip(val_losses, val_losses[1:], strict=False)), val_losses
    assert run.history[-1].val_metric > run.history[0].val_metric + 0.01
    assert run.history[-1].train_metric > run.history[0].train_metric + 0.03


@pytest.mark.parametrize("scorer", ["mlp", "dot"])
def test_gradients_match_central_finite_differences_in_float64(tiny, scorer):
    train, _ = tiny
    params = neural.init_neural(jax.random.PRNGKey(0), train.n_users, train.n_items, 4, 8, scorer, 3.5)
    with jax.enable_x64(True):
        params = jax.tree_util.tree_map(lambda x: x.astype(jnp.float64), params)
        # Non-zero biases so their gradients are not trivially symmetric.
        params = params._replace(item_bias=0.1 * jnp.arange(train.n_items, dtype=jnp.float64) / train.n_items)
        batch = _tiny_batch(train)
        batch = batch._replace(ratings=batch.ratings.astype(jnp.float64), weight=batch.weight.astype(jnp.float64))
        l2, n = jnp.float64(3.0), jnp.float64(len(train))

        flat, unravel = ravel_pytree(params)
        eps = 1e-6

        def loss(flat_params):
            return neural.neural_loss(unravel(flat_params), batch, l2, n)

        @jax.jit  # one compiled program for the gradient and every finite difference
        def gradient_and_differences(flat_params, steps):
            numeric = (jax.vmap(loss)(flat_params + steps) - jax.vmap(loss)(flat_params - steps)) / (2 * eps)
            return jax.grad(loss)(flat_params), numeric

        rng = np.random.default_rng(0)
        coords = rng.choice(flat.shape[0] - 1, size=40, replace=False) + 1  # index 0 is the fixed mean
        steps = np.zeros((len(coords), flat.shape[0]))
        steps[np.arange(len(coords)), coords] = eps
        flat_grad, numeric = gradient_and_differences(flat, jnp.asarray(steps))
        np.testing.assert_allclose(np.asarray(flat_grad)[coords], np.asarray(numeric), rtol=1e-5, atol=1e-8)


def test_jitted_and_unjitted_epoch_agree():
    # 8 users and 8 items with 4-d embeddings and 8 hidden units, so most parameters share a
    # shape: eager dispatch compiles every operation once per shape, and that is what is slow.
    # Two scan steps (carrying Adam state from one to the next) of 8 ratings each; what matters
    # is that the same program runs, not its size.
    params = neural.init_neural(jax.random.PRNGKey(1), 8, 8, 4, 8, "mlp", 3.5)
    state = adam_init(params)
    rng = np.random.default_rng(1)
    users, items = rng.integers(8, size=16), rng.integers(8, size=16)
    batches = _batches(users, items, rng.integers(1, 6, size=16).astype(np.float32), 8)
    hyper = training.Hyper(jnp.float32(0.01), jnp.float32(2.0), jnp.float32(16))
    jitted = training.neural_epoch(params, state, batches, hyper)
    with jax.disable_jit():
        eager = training.neural_epoch(params, state, batches, hyper)
    for a, b in zip(jax.tree_util.tree_leaves(jitted), jax.tree_util.tree_leaves(eager), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)


def test_changing_learning_rate_or_l2_does_not_recompile_the_epoch(tiny):
    train, val = tiny
    base = training.NeuralConfig(**TINY, epochs=1)
    training.fit_neural(train, val, base)
    compiled = training.neural_epoch._cache_size()
    for lr, l2 in [(0.1, 0.0), (0.0001, 7.5), (0.02, 100.0)]:
        training.fit_neural(train, val, training.NeuralConfig(**{**base.__dict__, "learning_rate": lr, "l2": l2}))
    assert training.neural_epoch._cache_size() == compiled


def test_splits_differing_by_a_few_ratings_share_one_compiled_epoch(tiny):
    train, val = tiny
    config = training.NeuralConfig(**TINY, epochs=1)
    training.fit_neural(train, val, config)
    compiled = training.neural_epoch._cache_size()
    training.fit_neural(train.subset(np.arange(len(train) - 3)), val, config)
    assert training.neural_epoch._cache_size() == compiled


def test_padding_steps_leave_parameters_and_adam_state_untouched(tiny):
    train, _ = tiny
    params = neural.init_neural(jax.random.PRNGKey(2), train.n_users, train.n_items, TINY["embedding_dim"], TINY["hidden"])
    state = adam_init(params)
    # The shape of a TINY training epoch (compiled once for every small test), all padding.
    batches = training.rating_batches(train, TINY["batch_size"])
    empty = batches._replace(weight=jnp.zeros_like(batches.weight))
    hyper = training.Hyper(jnp.float32(0.01), jnp.float32(1.0), jnp.float32(10))
    new_params, new_state = training.neural_epoch(params, state, empty, hyper)
    for a, b in zip(jax.tree_util.tree_leaves((params, state)), jax.tree_util.tree_leaves((new_params, new_state)), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("scorer", ["mlp", "dot"])
def test_all_scores_equals_pairwise_predictions(tiny, scorer):
    train, _ = tiny
    params = neural.init_neural(jax.random.PRNGKey(4), train.n_users, train.n_items, 4, 8, scorer, 3.5)
    params = params._replace(user_bias=jnp.linspace(-1, 1, train.n_users))
    users = np.repeat(np.arange(train.n_users), train.n_items)
    items = np.tile(np.arange(train.n_items), train.n_users)
    expected = neural.predict_neural(params, users, items).reshape(train.n_users, train.n_items)
    np.testing.assert_allclose(neural.all_scores(params), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(neural.neural_scores(params, 7)[1], expected[7], rtol=1e-5, atol=1e-5)


def test_prediction_trace_shows_four_layers_and_recommends_only_unseen_items(tiny):
    train, _ = tiny
    run = training.fit_neural(train, None, training.NeuralConfig(**TINY, epochs=2))
    user = int(train.users[0])
    seen = set(train.items[train.users == user].tolist())
    trace = neural_trace(run.params, user, k=5, seen=seen)
    assert trace["user_embedding"].shape == (4,)
    assert trace["item_embeddings"].shape == (train.n_items, 4)
    assert trace["similarity"].shape == trace["scores"].shape == (train.n_items,)
    assert not seen & set(trace["top_items"].tolist()) and len(trace["top_items"]) == 5
    assert np.all(np.isneginf(trace["masked_scores"][sorted(seen)]))
    unseen_best = np.sort(np.delete(trace["scores"], sorted(seen)))[::-1][:5]
    np.testing.assert_allclose(trace["top_scores"], unseen_best)


def test_a_huge_learning_rate_is_reported_as_divergence_with_the_fix(tiny):
    train, val = tiny
    config = training.NeuralConfig(**TINY, epochs=20, learning_rate=50.0, l2=0.0)
    run = training.fit_neural(train, val, config)
    assert run.stop_reason == DIVERGED
    assert "learning rate" in run.message


def test_early_stopping_restores_the_best_epoch(tiny):
    train, val = tiny
    config = training.NeuralConfig(**TINY, epochs=50, learning_rate=0.03, l2=0.0, patience=2)
    run = training.fit_neural(train, val, config)
    assert run.stop_reason == EARLY_STOPPED
    assert run.epochs_done == run.best_epoch + 2
    best = min(r.val_loss for r in run.history)
    assert run.history[run.best_epoch].val_loss == best


def test_advance_in_chunks_matches_one_call_and_does_not_mutate_its_input(tiny):
    train, val = tiny
    config = training.NeuralConfig(**TINY, epochs=4)
    trainer = training.neural_trainer(train, val, config)
    start = trainer.start()
    half = trainer.advance(start, max_epochs=2)
    chunked = trainer.advance(half, max_epochs=2)
    whole = trainer.advance(start, max_epochs=4)
    assert start.epochs_done == 0 and half.epochs_done == 2
    assert [r.train_loss for r in chunked.history] == [r.train_loss for r in whole.history]


def test_unknown_scorer_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="mlp"):
        training.NeuralConfig(scorer="cosine")
