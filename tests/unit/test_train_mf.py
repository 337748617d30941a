"""The MF training engine: exact row-wise updates, convergence, compiles, stopping and padding."""

import math

import jax
import jax.numpy as jnp
import numpy as np
from numpy.testing import assert_allclose

from recsys_core.data import Ratings
from recsys_core.lessons.mf_basics import gradient_step_trace
from recsys_core.models.mf import init_mf, mf_loss
from recsys_core.models.tracing import compile_count
from recsys_core.training.cross_validation import fit_mf_folds
from recsys_core.training.loop import COMPLETED, DIVERGED, EARLY_STOPPED, Trainer
from recsys_core.training.mf import MFConfig, MFProgram, fit_mf, mf_epoch, mf_trainer, predict_ratings
from recsys_core.training.mf_rowwise import MFHyper, init_opt_state, lazy_adam_step, sgd_step


def _ratings(users, items, values, n_users, n_items) -> Ratings:
    return Ratings(
        users=np.asarray(users, np.int32), items=np.asarray(items, np.int32),
        ratings=np.asarray(values, np.float32), n_users=n_users, n_items=n_items,
        user_ids=np.arange(n_users), item_ids=np.arange(n_items),
    )


def planted(n_users=60, n_items=40, rank=3, density=0.6, noise=0.1, seed=0) -> tuple[Ratings, Ratings]:
    """Exact rank-`rank` ratings plus N(0, noise) noise, split 80/20 at random."""
    rng = np.random.default_rng(seed)
    p = rng.normal(0, 0.7, (n_users, rank))
    q = rng.normal(0, 0.7, (n_items, rank))
    users, items = np.nonzero(rng.random((n_users, n_items)) < density)
    values = 3.0 + np.sum(p[users] * q[items], axis=1) + rng.normal(0, noise, len(users))
    data = _ratings(users, items, values, n_users, n_items)
    order = rng.permutation(len(data))
    cut = int(0.8 * len(data))
    return data.subset(order[:cut]), data.subset(order[cut:])


TRAIN, VAL = planted()


def test_row_wise_sgd_step_equals_a_step_down_jax_grad_of_the_batch_loss():
    params = init_mf(3, 6, 5, 4, global_mean=3.0, init_scale=0.5)
    params = params._replace(user_bias=jnp.linspace(-0.3, 0.3, 6), item_bias=jnp.linspace(0.2, -0.2, 5))
    users = jnp.array([0, 2, 2, 5, 1, 0], jnp.int32)  # users 0 and 2 twice: their steps must add up
    items = jnp.array([1, 1, 4, 0, 1, 3], jnp.int32)
    ratings = jnp.array([4.0, 3.0, 5.0, 1.0, 2.0, 4.0])
    lr, l2 = 0.01, 0.07
    stepped = jax.jit(sgd_step)(params, users, items, ratings, MFHyper.of(lr, l2))
    grads = jax.grad(lambda p: len(users) * mf_loss(p, users, items, ratings, l2))(params)
    expected = jax.tree.map(lambda w, g: w - lr * g, params, grads)
    for name in ("user_bias", "item_bias", "user_factors", "item_factors"):
        assert_allclose(np.asarray(getattr(stepped, name)), np.asarray(getattr(expected, name)),
                        rtol=1e-5, atol=1e-6, err_msg=name)


def test_padding_rows_with_an_out_of_range_index_change_nothing():
    params = init_mf(0, 4, 3, 2, global_mean=3.0)
    hyper = MFHyper.of(0.1, 0.1)
    pad_users, pad_items = jnp.array([4, 4], jnp.int32), jnp.array([3, 3], jnp.int32)
    stepped = jax.jit(sgd_step)(params, pad_users, pad_items, jnp.array([5.0, 1.0]), hyper)
    adam, state = jax.jit(lazy_adam_step)(params, init_opt_state(params, "adam"), pad_users, pad_items, jnp.array([5.0, 1.0]), hyper)
    for a, b, c in zip(jax.tree.leaves(params), jax.tree.leaves(stepped), jax.tree.leaves(adam), strict=True):
        assert_allclose(np.asarray(b), np.asarray(a))
        assert_allclose(np.asarray(c), np.asarray(a))
    assert float(state.step) == 0.0


def test_lazy_adam_moves_only_the_rows_the_batch_touches():
    params = init_mf(0, 5, 4, 3, global_mean=3.0)
    new, state = jax.jit(lazy_adam_step)(params, init_opt_state(params, "adam"), jnp.array([1, 3, 1], jnp.int32),
                              jnp.array([0, 0, 2], jnp.int32), jnp.array([5.0, 1.0, 4.0]), MFHyper.of(0.01, 0.02))
    moved = np.any(np.asarray(new.user_factors) != np.asarray(params.user_factors), axis=1)
    assert moved.tolist() == [False, True, False, True, False]
    assert not np.any(np.asarray(state.m.user_factors)[[0, 2, 4]])
    # A first Adam step moves every touched weight by about the learning rate.
    assert_allclose(np.abs(np.asarray(new.user_factors - params.user_factors))[[1, 3]], 0.01, rtol=1e-3)


def test_training_loss_falls_epoch_after_epoch():
    run = fit_mf(TRAIN, VAL, MFConfig(k=3, epochs=8, batch_size=32, learning_rate=0.01, l2=0.01))
    losses = [r.train_loss for r in run.history]
    assert run.stop_reason == COMPLETED and len(losses) == 9  # epoch 0 (untrained) and 8 epochs
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses


def test_mf_recovers_planted_rank_three_data_near_the_noise_floor():
    config = MFConfig(k=3, epochs=60, batch_size=32, learning_rate=0.02, l2=0.001, init_scale=0.3)
    run = fit_mf(TRAIN, VAL, config)
    assert run.last.val_metric < 0.2, run.last  # noise is 0.1; a bias-only model scores ~1.2


def test_adam_also_recovers_planted_data():
    config = MFConfig(k=3, epochs=60, batch_size=32, learning_rate=0.02, l2=0.001, init_scale=0.3, optimizer="adam")
    assert fit_mf(TRAIN, VAL, config).last.val_metric < 0.25


def test_jitted_epoch_agrees_with_the_same_epoch_run_eagerly():
    program = MFProgram(TRAIN, None, MFConfig(k=3, batch_size=128))
    params, opt_state = program.init()
    batches = tuple(b[:3] for b in program.epoch_batches(1))  # three batches keep the eager run short
    hyper = MFHyper.of(0.02, 0.05)
    jitted, _ = mf_epoch(params, opt_state, *batches, hyper)
    with jax.disable_jit():
        eager, _ = mf_epoch(params, opt_state, *batches, hyper)
    for a, b in zip(jax.tree.leaves(jitted), jax.tree.leaves(eager), strict=True):
        assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_changing_learning_rate_l2_and_bias_switch_does_not_recompile():
    shape = dict(k=5, batch_size=48, epochs=2)  # a shape no other test uses
    before = compile_count("mf_epoch")
    for lr, l2, use_bias in [(0.01, 0.02, True), (0.03, 0.5, True), (0.002, 0.0, False), (0.05, 0.1, True)]:
        fit_mf(TRAIN, VAL, MFConfig(learning_rate=lr, l2=l2, use_bias=use_bias, lr_decay=0.9, **shape))
    assert compile_count("mf_epoch") - before == 1


def test_a_slightly_smaller_split_shares_the_compiled_epoch():
    shape = dict(k=6, batch_size=40, epochs=1)
    before = compile_count("mf_epoch")
    fit_mf(TRAIN, None, MFConfig(**shape))
    fit_mf(TRAIN.subset(np.arange(len(TRAIN) - 7)), None, MFConfig(**shape))
    assert compile_count("mf_epoch") - before == 1


def test_padding_to_a_bigger_bucket_gives_the_same_losses():
    config = MFConfig(k=3, epochs=4, batch_size=32, learning_rate=0.02)
    small = MFProgram(TRAIN, VAL, config)
    big = MFProgram(TRAIN, VAL, config, min_batches=4 * small.n_batches)
    assert big.n_batches > small.n_batches
    a = Trainer(small, config.epochs).fit()
    b = Trainer(big, config.epochs).fit()
    assert_allclose([r.val_loss for r in a.history], [r.val_loss for r in b.history], rtol=1e-6)
    assert_allclose(np.asarray(a.params.user_factors), np.asarray(b.params.user_factors), rtol=1e-6)


def test_training_in_chunks_equals_training_straight_through():
    config = MFConfig(k=3, epochs=5, batch_size=32)
    trainer = mf_trainer(TRAIN, VAL, config)
    run = trainer.start()
    for _ in range(3):
        run = trainer.advance(run, max_epochs=2)
    straight = fit_mf(TRAIN, VAL, config)
    assert run.epochs_done == 5 and run.stop_reason == COMPLETED
    assert_allclose([r.val_loss for r in run.history], [r.val_loss for r in straight.history], rtol=1e-6)


def test_advance_does_not_change_the_run_it_is_given():
    trainer = mf_trainer(TRAIN, VAL, MFConfig(k=3, epochs=3, batch_size=32))
    run = trainer.start()
    snapshot = np.asarray(run.params.user_factors).copy()
    trainer.advance(run, max_epochs=2)
    assert run.epochs_done == 0 and np.array_equal(np.asarray(run.params.user_factors), snapshot)


def test_early_stopping_restores_the_best_epoch():
    # Rank 20 with no L2 on 60 users memorises the training data: validation loss turns up.
    config = MFConfig(k=20, epochs=60, batch_size=16, learning_rate=0.05, l2=0.0, init_scale=0.5, patience=3)
    run = fit_mf(TRAIN, VAL, config)
    assert run.stop_reason == EARLY_STOPPED
    assert run.epochs_done == run.best_epoch + 3 < 60
    best = min(run.history, key=lambda r: r.val_loss)
    assert best.epoch == run.best_epoch
    for a, b in zip(jax.tree.leaves(run.params), jax.tree.leaves(run.best_params), strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_divergence_is_caught_and_explained_without_an_exception():
    run = fit_mf(TRAIN, VAL, MFConfig(k=3, epochs=10, batch_size=32, learning_rate=50.0))
    assert run.stop_reason == DIVERGED
    assert "learning rate" in run.message
    assert all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree.leaves(run.params))
    assert not math.isfinite(run.last.train_loss) or run.last.train_loss > 10


def test_without_validation_data_validation_numbers_are_the_training_numbers():
    run = fit_mf(TRAIN, None, MFConfig(k=3, epochs=2, batch_size=32))
    assert all(r.val_loss == r.train_loss and r.val_metric == r.train_metric for r in run.history)


def test_metric_is_rmse_of_clipped_predictions():
    run = fit_mf(TRAIN, VAL, MFConfig(k=3, epochs=3, batch_size=32))
    predicted = predict_ratings(run.params, VAL.users, VAL.items, (1, 5))
    assert predicted.min() >= 1 and predicted.max() <= 5
    rmse = float(np.sqrt(np.mean((predicted - VAL.ratings) ** 2)))
    assert_allclose(run.last.val_metric, rmse, rtol=1e-5)


def test_without_biases_the_model_is_plain_dot_product():
    run = fit_mf(TRAIN, VAL, MFConfig(k=3, epochs=3, batch_size=32, use_bias=False))
    assert float(run.params.global_mean) == 0.0
    assert not np.any(np.asarray(run.params.user_bias)) and not np.any(np.asarray(run.params.item_bias))


def test_gradient_step_trace_matches_jax_grad_and_lowers_the_users_loss():
    run = fit_mf(TRAIN, VAL, MFConfig(k=3, epochs=2, batch_size=32))
    user, l2 = 5, 0.05
    trace = gradient_step_trace(run.params, TRAIN, user, learning_rate=0.05, l2=l2)
    items = jnp.asarray(trace["items"])

    def user_loss(vector):
        params = run.params._replace(user_factors=run.params.user_factors.at[user].set(vector))
        users = jnp.full(items.shape, user, jnp.int32)
        err = params.global_mean + params.user_bias[users] + params.item_bias[items] + params.item_factors[items] @ vector - trace["ratings"]
        # the user's share of one epoch of per-rating SGD: a sum over their ratings, L2 once per rating
        return jnp.sum(err**2) + l2 * len(items) * (vector @ vector + params.user_bias[user] ** 2)

    assert_allclose(trace["gradient"], np.asarray(jax.grad(user_loss)(run.params.user_factors[user])), rtol=1e-4, atol=1e-6)
    assert_allclose(trace["user_vector_after"], trace["user_vector_before"] - 0.05 * trace["gradient"], rtol=1e-6)
    assert trace["loss_after"] < trace["loss_before"]


def _folds(data: Ratings, n_folds: int) -> list[tuple[Ratings, Ratings]]:
    order = np.random.default_rng(1).permutation(len(data))
    parts = np.array_split(order, n_folds)
    return [(data.subset(np.concatenate(parts[:f] + parts[f + 1:])), data.subset(parts[f])) for f in range(n_folds)]


def test_all_folds_in_one_program_score_as_training_each_fold_alone():
    config = MFConfig(k=3, epochs=4, batch_size=32, learning_rate=0.03, l2=0.02, lr_decay=0.8, l2_bias=0.01)
    folds = _folds(TRAIN, 3)
    together = fit_mf_folds(folds, config)
    for f, (train, test) in enumerate(folds):
        trainer = mf_trainer(train, None, config)
        alone = trainer.fit()
        _, rmse, mae = trainer.program.score(alone.params, test)
        # Same initial tables, minibatches and steps; only float rounding differs.
        assert_allclose([together.rmse[f], together.mae[f]], [rmse, mae], rtol=1e-4)
        assert_allclose(np.asarray(together.params[f].user_factors), np.asarray(alone.params.user_factors), atol=1e-4)
        assert_allclose(np.asarray(together.params[f].item_bias), np.asarray(alone.params.item_bias), atol=1e-4)


def test_five_folds_compile_once_and_new_hyperparameters_reuse_the_program():
    folds = _folds(TRAIN, 5)
    shape = dict(k=7, batch_size=24, epochs=2)  # a shape no other test uses
    before = compile_count("mf_folds")
    first = fit_mf_folds(folds, MFConfig(learning_rate=0.01, l2=0.1, **shape))
    fit_mf_folds(folds, MFConfig(learning_rate=0.05, l2=0.0, use_bias=False, lr_decay=0.5, **shape))
    assert compile_count("mf_folds") - before == 1
    assert len(first.rmse) == 5 and all(0 < m <= r < 2.5 for r, m in zip(first.rmse, first.mae, strict=True))


def test_folds_without_biases_keep_them_at_zero():
    scores = fit_mf_folds(_folds(TRAIN, 2), MFConfig(k=3, epochs=2, batch_size=32, use_bias=False))
    for params in scores.params:
        assert float(params.global_mean) == 0.0
        assert not np.any(np.asarray(params.user_bias)) and not np.any(np.asarray(params.item_bias))
