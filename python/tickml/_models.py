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
    """The design's model types. LightGBM and XGBoost are trained by their own Python
    packages (optional extras) and exported through the core's importers; the others
    are tickml's Rust learners."""

    RANDOM_FOREST = "random_forest"
    DECISION_TREE = "decision_tree"
    GRADIENT_BOOSTING = "gradient_boosting"
    LOGISTIC_REGRESSION = "logistic_regression"
    RIDGE = "ridge"
    ELASTIC_NET = "elastic_net"
    LASSO = "lasso"
    LIGHTGBM = "lightgbm"
    XGBOOST = "xgboost"


# the train crate's `ModelConfig` fields (`[model]` in train.toml)
_CONFIG_FIELDS = ["n_estimators", "max_depth", "min_samples_leaf", "learning_rate", "l2", "alpha", "l1_ratio", "seed"]


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

    _params = ["model_type", "task", *_CONFIG_FIELDS]

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
        return "\n".join(f"{k} = {getattr(self, k)!r}" for k in _CONFIG_FIELDS)

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

    def to_blob(self) -> bytes:
        """The blob the core runs."""
        return self.blob_

    def export(self, path: str | os.PathLike) -> None:
        """Writes the model's blob (``tickml predict --model``, bundles, the core)."""
        with open(path, "wb") as f:
            f.write(self.to_blob())


def _library_params(library: str, config: dict) -> dict:
    """The library's own parameters for ``ModelConfig`` fields (the same defaults as
    tickml's booster: 100 trees, depth 4, 20 rows per leaf, rate 0.1, L2 1); any other key
    of ``config`` is passed to the library unchanged."""
    c = {**{k: v for k, v in TickmlModel().get_params().items() if k in _CONFIG_FIELDS}, **config}
    native = {k: v for k, v in config.items() if k not in _CONFIG_FIELDS}
    if library == "lightgbm":
        mapped = dict(n_estimators=c["n_estimators"], max_depth=c["max_depth"], num_leaves=2 ** c["max_depth"],
                      min_child_samples=c["min_samples_leaf"], learning_rate=c["learning_rate"], reg_lambda=c["l2"],
                      random_state=c["seed"], verbose=-1)
    else:
        mapped = dict(n_estimators=c["n_estimators"], max_depth=c["max_depth"], learning_rate=c["learning_rate"],
                      reg_lambda=c["l2"], random_state=c["seed"], tree_method="hist")
    return {**mapped, **native}


class LibraryModel(_Estimator):
    """A LightGBM or XGBoost model trained by its own Python package, exported to the core
    through the Rust importers (``tickml import``): the blob predicts what the library
    predicts.

    Parameters
    ----------
    library : {"lightgbm", "xgboost"}
    task : {"classification", "regression"}
    params : dict, optional
        ``ModelConfig`` fields (mapped to the library's names) and the library's own
        parameters.
    """

    def __init__(self, library="lightgbm", task="classification", params=None):
        self.library = library
        self.task = task
        self.params = params

    def __sklearn_tags__(self):
        return TickmlModel(task=self.task).__sklearn_tags__()

    def _estimator(self):
        classification = self.task == "classification"
        try:
            if self.library == "lightgbm":
                import lightgbm

                kind = lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor
            elif self.library == "xgboost":
                import xgboost

                kind = xgboost.XGBClassifier if classification else xgboost.XGBRegressor
            else:
                raise ValueError(f"unknown library {self.library!r}: lightgbm or xgboost")
        except ImportError as e:
            raise ImportError(f"{self.library} is not installed: pip install 'tickml[{self.library}]'") from e
        return kind(**_library_params(self.library, dict(self.params or {})))

    def fit(self, X, y, sample_weight=None) -> "LibraryModel":
        """Fits the library's estimator (NaN allowed) on ``X`` and ``y``."""
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X, dtype=np.float64), columns=[f"x{i}" for i in range(np.shape(X)[1])])
        self.model_ = self._estimator().fit(X, np.asarray(y), sample_weight=sample_weight)
        self.feature_names_in_ = np.array([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.feature_importances_ = np.asarray(self.model_.feature_importances_, dtype=float)
        if self.task == "classification":
            self.classes_ = self.model_.classes_
        return self

    def _frame(self, X):
        return X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=np.float64), columns=self.feature_names_in_)

    def predict_proba(self, X) -> np.ndarray:
        """The library's class probabilities."""
        return self.model_.predict_proba(self._frame(X))

    def predict(self, X) -> np.ndarray:
        """The library's class or value."""
        return self.model_.predict(self._frame(X))

    def score(self, X, y) -> float:
        """Accuracy (classification) or R^2 (regression)."""
        return float(self.model_.score(self._frame(X), y))

    def model_text(self) -> str:
        """The library's own model file: LightGBM's text format, XGBoost's JSON."""
        if self.library == "lightgbm":
            return self.model_.booster_.model_to_string()
        return bytes(self.model_.get_booster().save_raw("json")).decode()

    def to_blob(self) -> bytes:
        """The core's blob, converted by the importer ``tickml import`` runs."""
        return _core.import_model(self.library, self.model_text())

    def export(self, path: str | os.PathLike) -> None:
        """Writes the blob (``tickml predict --model``, bundles, the core)."""
        with open(path, "wb") as f:
            f.write(self.to_blob())


class ModelFactory:
    """The design's factory."""

    @staticmethod
    def create_model(model_type: ModelType | str, config: dict | None = None,
                     task: str = "classification") -> TickmlModel | LibraryModel:
        """An unfitted model. ``config`` holds ``ModelConfig`` fields (for LightGBM and
        XGBoost also the library's own parameters); LightGBM and XGBoost need their
        package (``pip install 'tickml[lightgbm]'``)."""
        value = model_type.value if isinstance(model_type, ModelType) else str(model_type)
        if value in ("lightgbm", "xgboost"):
            return LibraryModel(value, task, dict(config or {}))
        return TickmlModel(model_type=value, task=task, **(config or {}))
