"""What every trainer shares: observations, divergence messages, early stopping, Stop."""

import math

from recsys_core import train
from recsys_core.train import EpochRecord, TrainingRun


def records(train_losses, val_losses):
    return [EpochRecord(i + 1, t, v) for i, (t, v) in enumerate(zip(train_losses, val_losses, strict=True))]


def test_observations_describe_falling_loss_plateau_and_overfitting_from_the_numbers():
    history = records([1.0, 0.8, 0.79, 0.789, 0.70], [1.0, 0.85, 0.84, 0.84, 0.90])
    notes = train.observations(history, higher_is_better=False)
    assert "random" in notes[0]
    assert notes[1].startswith("Loss fell 20%")
    assert "slowing down" in notes[2]
    assert "plateaued" in notes[3]
    assert "overfitting" in notes[4]


def test_observations_flag_a_blow_up_and_nan():
    notes = train.observations(records([1.0, 2.0, math.nan], [1.0, 2.0, math.nan]))
    assert "unstable" in notes[1]
    assert "diverged" in notes[2]


def test_divergence_is_nan_inf_or_tenfold_growth_and_the_message_names_the_fix():
    assert train.divergence_message(0.9, 1.0, 0.01) is None
    nan = train.divergence_message(math.nan, 1.0, 0.5)
    assert "became NaN" in nan and "learning rate (it is 0.5; try 0.05)" in nan
    assert "became infinite" in train.divergence_message(math.inf, 1.0, 0.5)
    assert "grew from 1 to 20" in train.divergence_message(20.0, 1.0, 0.5)


def test_early_stopping_restores_the_best_epoch_after_patience_runs_out():
    run = TrainingRun(params="p0", opt_state=None)
    vals = [1.0, 0.8, 0.85, 0.9]
    for epoch, val in enumerate(vals, start=1):
        record = EpochRecord(epoch, 0.5, val)
        run = TrainingRun(params=f"p{epoch}", opt_state=None, history=run.history + (record,),
                          best_params=run.best_params, best_epoch=run.best_epoch)
        run = train.update_best(run, record, f"p{epoch}", patience=2)
    assert run.stop_reason == train.EARLY_STOPPED
    assert run.best_epoch == 2 and run.params == "p2"
    assert "restored epoch 2" in run.message


def test_without_patience_the_best_epoch_is_tracked_but_training_goes_on():
    run = TrainingRun(params=None, opt_state=None)
    for epoch, val in enumerate([1.0, 0.7, 0.9, 0.95], start=1):
        record = EpochRecord(epoch, 0.5, val)
        run = TrainingRun(params=epoch, opt_state=None, history=run.history + (record,),
                          best_params=run.best_params, best_epoch=run.best_epoch)
        run = train.update_best(run, record, epoch, patience=None)
    assert run.best_epoch == 2 and not run.finished


def test_stop_keeps_what_was_learned_and_says_how_far_it_got():
    run = TrainingRun(params="learned", opt_state=None, history=tuple(records([1.0, 0.9], [1.0, 0.95])))
    stopped = train.stop(run)
    assert stopped.params == "learned" and stopped.stop_reason == train.STOPPED
    assert stopped.message == "Stopped by you after 2 epoch(s)."
    assert train.stop(stopped) is stopped
