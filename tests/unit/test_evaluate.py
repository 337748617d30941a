"""The evaluation CLI: Surprise's k-fold protocol, its JSON report and its handling of bad files."""

import json

import numpy as np
import pytest

from recsys_core import evaluate

TINY = ["synthetic:40x30x400:1", "--folds", "3", "--k", "3", "--epochs", "2"]


def test_json_report_has_the_documented_keys_and_consistent_numbers(capsys):
    assert evaluate.main([*TINY, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"model", "folds", "rmse", "mae", "rmse_per_fold", "fit_seconds", "compile_seconds"}
    assert report["model"] == "mf" and report["folds"] == 3 and len(report["rmse_per_fold"]) == 3
    assert report["rmse"] == pytest.approx(np.mean(report["rmse_per_fold"]))
    assert 0 < report["mae"] <= report["rmse"] < 2.5
    assert 0 <= report["compile_seconds"] <= report["fit_seconds"]


def test_table_report_lists_every_fold_and_the_mean(capsys):
    assert evaluate.main(TINY) == 0
    out = capsys.readouterr().out
    assert out.count("fold ") >= 3 and "mean:" in out and "RMSE" in out


def test_a_bad_file_exits_with_status_2_and_the_loaders_message(tmp_path, capsys):
    bad = tmp_path / "ratings.csv"
    bad.write_text("user,item,rating\n1,2,4\n1,3,abc\n")
    assert evaluate.main([str(bad), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "ratings.csv" in captured.err and "line 3" in captured.err and "Traceback" not in captured.err


def test_a_missing_file_exits_with_status_2(tmp_path, capsys):
    assert evaluate.main([str(tmp_path / "nope.data")]) == 2
    assert "error" in capsys.readouterr().err


def test_a_malformed_synthetic_spec_exits_with_status_2(capsys):
    assert evaluate.main(["synthetic:lots"]) == 2
    assert "synthetic:USERSxITEMSxRATINGS:SEED" in capsys.readouterr().err


def test_cross_validation_uses_surprises_folds():
    ratings = evaluate.load("synthetic:40x30x400:1")
    result = evaluate.cross_validate(ratings, evaluate.EVAL_DEFAULTS.__class__(k=2, epochs=1), n_folds=4, seed=3)
    assert len(result.rmse_per_fold) == 4 and result.fit_seconds > 0


def test_cross_validation_scores_match_fold_by_fold_training():
    from recsys_core.data import kfold
    from recsys_core.training.mf import MFConfig, mf_trainer

    ratings = evaluate.load("synthetic:40x30x400:1")
    config = MFConfig(k=3, epochs=3, batch_size=32, learning_rate=0.05, lr_decay=0.8)
    result = evaluate.cross_validate(ratings, config, n_folds=3, seed=0)
    for fold, (train, test) in enumerate(kfold(ratings, 3, 0)):
        trainer = mf_trainer(train, None, config)
        _, rmse, mae = trainer.program.score(trainer.fit().params, test)
        assert result.rmse_per_fold[fold] == pytest.approx(rmse, rel=1e-4)
        assert result.mae_per_fold[fold] == pytest.approx(mae, rel=1e-4)


def test_cross_validation_with_adam_trains_fold_by_fold():
    ratings = evaluate.load("synthetic:40x30x400:1")
    config = evaluate.EVAL_DEFAULTS.__class__(k=2, epochs=1, optimizer="adam", learning_rate=0.01)
    result = evaluate.cross_validate(ratings, config, n_folds=2, seed=0)
    assert len(result.rmse_per_fold) == 2 and all(0 < r < 2.5 for r in result.rmse_per_fold)


def test_bayes_model_reports_the_same_json_keys(capsys):
    assert evaluate.main(["synthetic:40x30x400:1", "--folds", "3", "--model", "bayes", "--k", "2",
                          "--samples", "5", "--burn-in", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"model", "folds", "rmse", "mae", "rmse_per_fold", "mae_per_fold", "fit_seconds", "compile_seconds"}
    assert report["model"] == "bayes" and report["folds"] == 3
    assert 0 < report["mae"] <= report["rmse"] < 2.5


def test_a_test_file_is_scored_by_a_model_trained_on_the_other_file(tmp_path, capsys):
    from recsys_core.data import holdout_split
    from recsys_core.training.cross_validation import fit_mf_folds
    from recsys_core.training.mf import MFConfig

    data = evaluate.load("synthetic:40x30x400:1")
    train, test = holdout_split(data, 0.2, seed=0)
    for name, part in (("u1.base", train), ("u1.test", test)):
        frame = part.to_frame().sample(frac=1.0, random_state=0)  # another order: the ids must be matched
        frame.to_csv(tmp_path / name, sep="\t", header=False, index=False)
    assert evaluate.main([str(tmp_path / "u1.base"), "--test", str(tmp_path / "u1.test"), "--k", "3",
                          "--epochs", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["folds"] == 1 and len(report["rmse_per_fold"]) == 1
    config = MFConfig(**{**evaluate.EVAL_DEFAULTS.__dict__, "k": 3, "epochs": 2})
    aligned = evaluate.align(evaluate.load(str(tmp_path / "u1.base")), evaluate.load(str(tmp_path / "u1.test")))
    assert report["rmse"] == pytest.approx(fit_mf_folds([aligned], config).rmse[0], rel=1e-5)
    # Same pairs as the in-memory split: every test pair found its user and item.
    base, held = aligned
    assert len(held) == len(test) and held.n_users >= base.n_users


def test_align_maps_both_files_onto_the_union_of_their_ids():
    train = evaluate.load("synthetic:40x30x400:1")
    test = train.subset(np.arange(5))
    shifted = type(test)(**{**test.__dict__, "item_ids": test.item_ids + 1000})  # items the train file never saw
    a, b = evaluate.align(train, shifted)
    assert a.n_items == b.n_items == train.n_items + shifted.n_items  # no id in common
    assert a.n_users == b.n_users == train.n_users  # the same users
    np.testing.assert_array_equal(a.item_ids[a.items], train.item_ids[train.items])
    np.testing.assert_array_equal(b.item_ids[b.items], shifted.item_ids[shifted.items])
    np.testing.assert_array_equal(b.user_ids[b.users], test.user_ids[test.users])


def test_movielens_like_specs_load_the_calibrated_presets():
    data = evaluate.load("movielens-like:2")
    assert (data.n_users, data.n_items, len(data)) == (943, 1682, 100_000)
    assert "seed 2" in data.source


def test_a_flag_of_the_other_model_exits_with_status_2(capsys):
    assert evaluate.main(["synthetic:40x30x400:1", "--model", "bayes", "--lr", "0.1"]) == 2
    assert "--lr" in capsys.readouterr().err


def test_a_malformed_movielens_like_spec_exits_with_status_2(capsys):
    assert evaluate.main(["movielens-like:first"]) == 2
    assert "movielens-like:SEED" in capsys.readouterr().err
