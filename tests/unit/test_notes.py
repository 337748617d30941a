"""The epoch table's Observation column: each rule against a history that fooled the old rules."""

import math

from recsys_core.lessons.notes import observations
from recsys_core.training.loop import EpochRecord


def history(train, val=None, metric=None):
    val = val or train
    metric = metric or [math.nan] * len(train)
    return [EpochRecord(e, t, v, math.nan, m) for e, (t, v, m) in enumerate(zip(train, val, metric, strict=True))]


def test_epoch_0_is_called_untrained_not_the_result_of_an_epoch():
    notes = observations(history([1.2, 1.0, 0.9]))
    assert notes[0].startswith("Untrained")
    assert "random starting weights" in notes[0]


def test_a_slow_straight_line_fall_is_learning_slowly_not_convergence():
    # Learning rate 0.0001: the loss falls 0.2% an epoch, steadily. The old rule called this
    # "Loss barely moved: training has plateaued (converged)".
    losses = [1.2] + [1.0 - 0.002 * e for e in range(10)]
    notes = observations(history(losses))
    assert all("Learning slowly" in n and "larger learning rate" in n for n in notes[5:])
    assert not any("onverged" in n for n in notes)


def test_converged_only_when_the_loss_stopped_moving_and_is_no_longer_falling_steadily():
    losses = [1.2, 0.9, 0.8, 0.77, 0.7601, 0.7598, 0.7600, 0.7599, 0.7600]
    notes = observations(history(losses))
    assert notes[-1].startswith("Converged")
    assert not notes[3].startswith("Converged")  # still falling 4% an epoch


def test_a_pause_that_is_still_a_steady_fall_is_not_called_converged_before_the_loss_drops_again():
    # At 100,000 ratings the old rules said "converged" for epochs 4-8, and then the loss fell 25%.
    losses = [1.3, 1.0, 0.95, 0.948, 0.9465, 0.945, 0.9435, 0.942, 0.94, 0.80, 0.71]
    notes = observations(history(losses))
    assert not any(n.startswith("Converged") for n in notes[4:9])
    assert all("Learning slowly" in n for n in notes[5:9])


def test_a_tiny_rise_of_validation_loss_is_not_called_overfitting():
    # The old rule announced overfitting for a 0.0002 rise.
    train = [1.2, 1.0, 0.9, 0.85, 0.82, 0.80, 0.79]
    val = [1.2, 1.05, 1.03, 1.0300, 1.0302, 1.0304, 1.0303]
    assert not any("overfitting" in n for n in observations(history(train, val)))


def test_one_noisy_bump_of_validation_loss_is_not_called_overfitting():
    train = [1.0, 0.8, 0.7, 0.65, 0.62, 0.60]
    val = [1.0, 0.85, 0.80, 0.83, 0.79, 0.78]
    assert not any("overfitting" in n for n in observations(history(train, val)))


def test_validation_loss_staying_above_its_best_for_two_epochs_while_training_falls_is_overfitting():
    train = [0.69, 0.55, 0.45, 0.38, 0.30, 0.22, 0.15]
    val = [0.69, 0.58, 0.55, 0.57, 0.62, 0.70, 0.80]
    notes = observations(history(train, val))
    # The best is epoch 2 (0.55); epochs 3-4 rise 0.02 and 0.07 while the epoch-to-epoch wobble is
    # 0.03, so the finding comes at epoch 5, the second epoch clearly above the best.
    assert "overfitting" not in notes[3] and "overfitting" not in notes[4]
    assert "overfitting" in notes[5] and "overfitting" in notes[6]


def test_a_blow_up_and_a_nan_are_said_as_such():
    notes = observations(history([1.0, 0.9, 2.0, math.nan]))
    assert "unstable" in notes[2]
    assert "diverged" in notes[3]


def test_improving_held_out_metric_is_mentioned_in_the_direction_of_the_metric():
    rmse = observations(history([1.2, 1.0], metric=[1.1, 1.0]), higher_is_better=False)
    accuracy = observations(history([1.2, 1.0], metric=[0.3, 0.35]), higher_is_better=True)
    assert rmse[1].endswith("Held-out error improved.") and accuracy[1].endswith("Held-out accuracy improved.")
