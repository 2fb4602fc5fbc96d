"""ModelFactory's learners against scikit-learn's reference scores (the fixture the Rust
test reads), their blobs against `tickml predict`, and inside scikit-learn."""
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import cross_val_score

from conftest import ROOT, cli
from tickml import ModelFactory, ModelType, PurgedKFold, TickmlModel


@pytest.fixture(scope="module")
def learners():
    d = pd.read_csv(ROOT / "tests" / "fixtures" / "learners.csv", header=0)
    v = d.to_numpy()
    x = v[:, :10]
    mask = v[:, 10].astype(int)
    x_nan = np.where((mask[:, None] >> np.arange(10)) & 1 == 1, np.nan, x)
    return x, x_nan, v[:, 11], v[:, 12], v[:, 13] == 1


CASES = [
    ("gradient_boosting_auc", ModelType.GRADIENT_BOOSTING, "classification", True, {}),
    ("gradient_boosting_r2", ModelType.GRADIENT_BOOSTING, "regression", True, {}),
    ("random_forest_auc", ModelType.RANDOM_FOREST, "classification", False, {}),
    ("logistic_regression_auc", ModelType.LOGISTIC_REGRESSION, "classification", False, {}),
    ("ridge_r2", ModelType.RIDGE, "regression", False, {}),
    ("elastic_net_r2", ModelType.ELASTIC_NET, "regression", False, {"alpha": 0.01, "l1_ratio": 0.5}),
]


@pytest.mark.parametrize("key, model, task, with_nan, config", CASES)
def test_learners_score_as_scikit_learn(learners, key, model, task, with_nan, config):
    x, x_nan, y_class, y_value, train = learners
    inputs, y = (x_nan if with_nan else x), (y_class if task == "classification" else y_value)
    m = ModelFactory.create_model(model, config, task).fit(inputs[train], y[train])
    if task == "classification":
        ours = roc_auc_score(y[~train], m.predict_proba(inputs[~train])[:, 1])
    else:
        ours = r2_score(y[~train], m.predict(inputs[~train]))
    theirs = json.loads((ROOT / "tests" / "fixtures" / "learners_reference.json").read_text())[key]
    assert -0.005 <= ours - theirs <= 0.02, (ours, theirs)


def test_the_exported_blob_predicts_as_the_cli(learners, tmp_path):
    x, x_nan, y_class, _, train = learners
    frame = pd.DataFrame(x_nan[:300], columns=[f"f{i}" for i in range(10)])
    m = TickmlModel("gradient_boosting", n_estimators=30).fit(frame, y_class[:300])
    m.export(tmp_path / "m.tml")
    frame.to_csv(tmp_path / "rows.csv", index=False)
    text = cli("predict", "--model", str(tmp_path / "m.tml"), "--input", str(tmp_path / "rows.csv"))
    theirs = np.array([float(line) for line in text.split()])
    np.testing.assert_array_equal(m.predict_proba(frame)[:, 1], theirs)
    assert abs(m.feature_importances_.sum() - 1.0) < 1e-12


def test_models_work_inside_scikit_learn(learners):
    x, _, y_class, _, _ = learners
    scores = cross_val_score(TickmlModel("logistic_regression"), x, y_class, cv=PurgedKFold(), scoring="roc_auc")
    assert len(scores) == 5 and scores.mean() > 0.65


def test_bad_models_raise():
    with pytest.raises(ValueError, match="does not do"):
        TickmlModel("ridge", task="classification").fit(np.zeros((10, 2)), np.zeros(10))


LIBRARIES = [
    (ModelType.LIGHTGBM, "classification", 1e-12),
    (ModelType.LIGHTGBM, "regression", 1e-12),
    # XGBoost sums its trees in f32, the core in f64 from the same f32 leaves
    (ModelType.XGBOOST, "classification", 1e-6),
    (ModelType.XGBOOST, "regression", 1e-6),
]


@pytest.mark.parametrize("model, task, tolerance", LIBRARIES)
def test_library_models_export_blobs_that_predict_as_the_library_and_the_cli(learners, tmp_path, model, task,
                                                                           tolerance):
    x, x_nan, y_class, y_value, train = learners
    y = y_class if task == "classification" else y_value
    frame = pd.DataFrame(x_nan, columns=[f"f{i}" for i in range(10)])
    m = ModelFactory.create_model(model, {"n_estimators": 60, "max_depth": 5}, task).fit(frame[train], y[train])
    held_out = frame[~train]
    library = m.predict_proba(held_out)[:, 1] if task == "classification" else m.predict(held_out)
    m.export(tmp_path / "m.tml")
    held_out.to_csv(tmp_path / "rows.csv", index=False)
    text = cli("predict", "--model", str(tmp_path / "m.tml"), "--input", str(tmp_path / "rows.csv"))
    blob = np.array([float(line) for line in text.split()])
    assert np.isnan(held_out.to_numpy()).any()
    np.testing.assert_allclose(blob, library, rtol=0, atol=tolerance)
    if task == "classification":
        assert roc_auc_score(y[~train], library) > 0.8
    else:
        assert r2_score(y[~train], library) > 0.5


def test_library_models_work_inside_scikit_learn(learners):
    x, _, y_class, _, _ = learners
    m = ModelFactory.create_model(ModelType.LIGHTGBM, {"n_estimators": 30, "num_leaves": 7})
    assert m._estimator().get_params()["num_leaves"] == 7
    scores = cross_val_score(m, x, y_class, cv=PurgedKFold(), scoring="roc_auc")
    assert len(scores) == 5 and scores.mean() > 0.75
