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
