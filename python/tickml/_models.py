"""tickml's learners as scikit-learn estimators, each exportable to the blob the core runs."""
from __future__ import annotations

import enum
import os

import numpy as np
import pandas as pd

from . import _core

try:  # scikit-learn is optional: with it the models are its estimators (clone, tags)
    from sklearn.base import BaseEstimator as _Estimator
except ImportError:  # pragma: no cover
    _Estimator = object


class ModelType(enum.Enum):
    """The design's model types. LightGBM and XGBoost are trained in their own packages
    and converted with ``tickml import``; the others are tickml's Rust learners."""

    RANDOM_FOREST = "random_forest"
    DECISION_TREE = "decision_tree"
    GRADIENT_BOOSTING = "gradient_boosting"
    LOGISTIC_REGRESSION = "logistic_regression"
    RIDGE = "ridge"
    ELASTIC_NET = "elastic_net"
    LASSO = "lasso"
    LIGHTGBM = "lightgbm"
    XGBOOST = "xgboost"


class TickmlModel(_Estimator):
    """One of tickml's learners with scikit-learn's estimator protocol.

    Predictions go through the model's blob, exactly as the core computes them live.

    Parameters
    ----------
    model_type : str, default "gradient_boosting"
        A :class:`ModelType` value.
    task : {"classification", "regression"}
    n_estimators, max_depth, min_samples_leaf, learning_rate, l2, alpha, l1_ratio, seed
        The train crate's ``ModelConfig`` (the same defaults).
    """

    _params = ["model_type", "task", "n_estimators", "max_depth", "min_samples_leaf", "learning_rate", "l2",
               "alpha", "l1_ratio", "seed"]

    def __init__(self, model_type="gradient_boosting", task="classification", n_estimators=100, max_depth=4,
                 min_samples_leaf=20, learning_rate=0.1, l2=1.0, alpha=1.0, l1_ratio=0.5, seed=42):
        self.model_type = model_type
        self.task = task
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.learning_rate = learning_rate
        self.l2 = l2
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.seed = seed

    def get_params(self, deep=True):
        return {k: getattr(self, k) for k in self._params}

    def set_params(self, **params):
        for k, v in params.items():
            if k not in self._params:
                raise ValueError(f"unknown parameter {k}")
            setattr(self, k, v)
        return self

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, RegressorTags

        tags = super().__sklearn_tags__()
        if self.task == "classification":
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags()
        else:
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
        tags.input_tags.allow_nan = True
        return tags

    def _config(self) -> str:
        keys = ["n_estimators", "max_depth", "min_samples_leaf", "learning_rate", "l2", "alpha", "l1_ratio", "seed"]
        return "\n".join(f"{k} = {getattr(self, k)!r}" for k in keys)

    def fit(self, X, y, sample_weight=None) -> "TickmlModel":
        """Fits on ``X`` (NaN allowed for the tree models) and ``y`` (0/1 for
        classification), each row weighted by ``sample_weight``."""
        names = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else [f"x{i}" for i in range(np.shape(X)[1])]
        x = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
        w = None if sample_weight is None else np.ascontiguousarray(np.asarray(sample_weight, dtype=np.float64))
        model_type = self.model_type.value if isinstance(self.model_type, ModelType) else self.model_type
        self.blob_, importance = _core.fit_model(model_type, self._config(), self.task, x,
                                                 np.ascontiguousarray(np.asarray(y, dtype=np.float64)), names, w)
        self.feature_names_in_ = np.array(names, dtype=object)
        self.n_features_in_ = len(names)
        if importance is not None:
            self.feature_importances_ = np.asarray(importance)
        if self.task == "classification":
            self.classes_ = np.array([0, 1])
        return self

    def _margin(self, X) -> np.ndarray:
        return _core.predict_blob(self.blob_, np.ascontiguousarray(np.asarray(X, dtype=np.float64)))[:, 0]

    def predict_proba(self, X) -> np.ndarray:
        """``[P(0), P(1)]`` per row (classification)."""
        p = self._margin(X)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """The class (0/1) or the value."""
        p = self._margin(X)
        return (p > 0.5).astype(int) if self.task == "classification" else p

    def score(self, X, y) -> float:
        """Accuracy (classification) or R^2 (regression), as scikit-learn's mixins."""
        p = self.predict(X)
        y = np.asarray(y, dtype=float)
        if self.task == "classification":
            return float((p == y).mean())
        return float(1.0 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum())

    def export(self, path: str | os.PathLike) -> None:
        """Writes the model's blob (``tickml predict --model``, bundles, the core)."""
        with open(path, "wb") as f:
            f.write(self.blob_)


class ModelFactory:
    """The design's factory."""

    @staticmethod
    def create_model(model_type: ModelType | str, config: dict | None = None, task: str = "classification") -> TickmlModel:
        """An unfitted model; ``config`` holds ``ModelConfig`` fields. LightGBM and XGBoost
        raise ``ValueError`` saying how to bring them in (train them in their own
        package, then ``tickml import``)."""
        value = model_type.value if isinstance(model_type, ModelType) else str(model_type)
        if value in ("lightgbm", "xgboost"):
            raise ValueError(f"{value} is trained in {value} itself: save its model file and convert it with "
                             f"`tickml import {value} MODEL --out MODEL.tml`")
        return TickmlModel(model_type=value, task=task, **(config or {}))
