"""The design's MLPipeline: data, CV, per-fold models, the arbitrated ensemble and the
ablation study, each step computed by the train crate and the core."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._ablation import AblationTester
from ._arbitrator import StrategyArbitrator, StrategyType
from ._features import FeatureConfig, _toml_value, bar_columns
from ._models import _CONFIG_FIELDS, ModelFactory, ModelType
from ._splitters import CombinatorialCV, PurgedKFold, WalkForwardCV

_DEFAULT_MODELS = [ModelType.GRADIENT_BOOSTING, ModelType.RANDOM_FOREST, ModelType.LOGISTIC_REGRESSION]


class MLPipeline:
    """Features, labels, purged CV, models and the regime-aware ensemble in one place.

    Parameters
    ----------
    feature_config : FeatureConfig, optional
        The features (default: the design's 110).
    model_config : dict, optional
        ``ModelConfig`` fields (``n_estimators``, ``max_depth``, ...) for every model;
        LightGBM and XGBoost also take their own parameters here.

    Notes
    -----
    ``prepare_data`` builds the dataset ``tickml train`` builds (scale-free inputs,
    warm-up and unlabelled rows dropped, labels with their end bars, AFML average-
    uniqueness weights when the horizon exceeds one bar), so with the default settings
    ``train_models`` scores each fold exactly as ``tickml train`` reports it. One series
    per pipeline.
    """

    def __init__(self, feature_config: Optional[FeatureConfig] = None, model_config: Optional[Dict[str, Any]] = None):
        self.feature_config = feature_config if feature_config is not None else FeatureConfig()
        self.model_config = dict(model_config or {})
        self.cv_splitter = None
        self.models: Dict[str, Dict[str, Any]] = {}

    def _train_toml(self, target_type: str, horizon: int) -> str:
        model = {k: v for k, v in self.model_config.items() if k in _CONFIG_FIELDS}
        lines = [f"target = {_toml_value(target_type)}", f"horizon = {int(horizon)}", "[features]",
                 self.feature_config.to_toml(), "[model]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in model.items()]
        return "\n".join(lines)

    def prepare_data(self, df: pd.DataFrame, target_type: str = "direction", horizon: int = 5):
        """Features through the core and targets over ``horizon`` bars.

        Parameters
        ----------
        df : pandas.DataFrame
            Bars (``timestamp`` column or DatetimeIndex, ``open`` ... ``volume``).
        target_type : {"direction", "return"}
        horizon : int

        Returns
        -------
        X : pandas.DataFrame
            The model inputs, indexed by the samples' bar times.
        y : pandas.Series
            The targets.
        """
        ns, columns = bar_columns(df)
        self._data_args = (self._train_toml(target_type, horizon), ns, columns)
        self.data_ = _core.TrainingData(self._data_args[0], (ns, *columns))
        self.task_ = self.data_.task()
        index = pd.DatetimeIndex(pd.to_datetime(self.data_.timestamps(), utc=True), name="timestamp")
        X = pd.DataFrame(self.data_.x(), index=index, columns=self.data_.names())
        y = pd.Series(self.data_.y(), index=index, name="target")
        t0, t1 = self.data_.labels()
        # AFML's t1: each label's end, as the bar time it ends on
        self.t1_ = pd.Series(pd.to_datetime(ns[np.asarray(t1)], utc=True), index=index, name="t1")
        self.sample_weight_ = self.data_.weights()
        self.X_, self.models = X, {}
        return X, y

    def create_cv_splitter(self, cv_type: str = "purged", **params):
        """The design's splitters with its defaults, label ends from ``prepare_data``:
        ``purged`` (5 folds, purge gap 5, 2% embargo), ``walk_forward`` (train 504, test
        63, step 21, purge 5) or ``combinatorial`` (6 groups, 2 test groups, purge 5,
        embargo 5). ``params`` override the defaults."""
        kinds = {"purged": PurgedKFold, "walk_forward": WalkForwardCV, "combinatorial": CombinatorialCV}
        defaults = {"combinatorial": {"purge": 5, "embargo": 5}}
        if cv_type not in kinds:
            raise ValueError(f"CV splitter {cv_type!r}: use walk_forward, purged or combinatorial")
        t1 = getattr(self, "t1_", None)
        self.cv_splitter = kinds[cv_type](**{**defaults.get(cv_type, {}), **params, "t1": t1})
        return self.cv_splitter

    def _prepared(self, X) -> bool:
        """X is ``prepare_data``'s (the same rows and columns)."""
        p = getattr(self, "X_", None)
        return p is not None and (X is p or (X.shape == p.shape and X.index.equals(p.index)
                                             and list(X.columns) == list(p.columns)))

    def _fold(self, X, y):
        """``fold(train, test)`` for X: the dataset's own preparation when X is
        ``prepare_data``'s, plain rows otherwise."""
        if self._prepared(X):
            return lambda train, test: self.data_.fold(list(map(int, train)), list(map(int, test)))
        x, target = X.to_numpy(dtype=np.float64), np.asarray(y)
        return lambda train, test: (x[train], target[train], None, x[test], target[test])

    def _score(self, rows, p) -> Dict[str, float]:
        return dict(self.data_.score(list(map(int, rows)), list(map(float, p))))

    def _splits(self, X, y):
        if self.cv_splitter is None:
            self.create_cv_splitter()
        return [(np.asarray(tr), np.asarray(te)) for tr, te in self.cv_splitter.split(X, y)]

    def _fit_split(self, X, y, model_type, train, test, model_config=None):
        """One job of ``train_models``: ``model_type`` fitted on split ``(train, test)``;
        (model, test predictions, test scores)."""
        xtr, ytr, wtr, xte, _ = self._fold(X, y)(train, test)
        config = self.model_config if model_config is None else model_config
        task = getattr(self, "task_", "classification")
        model = ModelFactory.create_model(model_type, config, task)
        model.fit(pd.DataFrame(xtr, columns=X.columns), ytr, sample_weight=wtr)
        frame = pd.DataFrame(xte, columns=X.columns)
        p = model.predict_proba(frame)[:, 1] if task == "classification" else model.predict(frame)
        return model, np.asarray(p, dtype=float), self._score(test, p)

    def _collect(self, X, name, splits, fits) -> Dict[str, Any]:
        """One model's result from its splits' jobs, in split order."""
        oof = np.full(len(X), np.nan)
        for (_, test), (_, p, _) in zip(splits, fits):
            oof[test] = p
        tested = np.flatnonzero(~np.isnan(oof))
        return {
            "models": {f"{name}_fold_{k}": model for k, (model, _, _) in enumerate(fits)},
            "scores": pd.DataFrame([scores for _, _, scores in fits]),
            "oof": pd.Series(oof, index=X.index, name=name),
            "out_of_fold": self._score(tested, oof[tested]),
        }

    def train_models(self, X: pd.DataFrame, y, model_types: Optional[Sequence] = None) -> Dict[str, Dict[str, Any]]:
        """Fits each model on every split of the CV splitter (the design's
        ``{model}_fold_{k}``) and keeps its out-of-fold predictions; they replace those
        of any earlier call (``models``), so the ensemble never mixes splitters.

        Returns
        -------
        dict
            Per model name: ``models`` ({``name_fold_k``: fitted model}), ``scores`` (a
            DataFrame of each split's accuracy, ROC AUC, log loss and net Sharpe on its
            test rows), ``oof`` (out-of-fold predictions, NaN where never tested; where
            test sets overlap, the last split's) and ``out_of_fold`` (the scores of all
            out-of-fold predictions together). Every figure is out of sample.
        """
        splits = self._splits(X, y)
        self.models = {}
        for model_type in model_types or _DEFAULT_MODELS:
            fits = [self._fit_split(X, y, model_type, train, test) for train, test in splits]
            self.models[ModelType(model_type).value] = self._collect(X, ModelType(model_type).value, splits, fits)
        return self.models

    def _grid_returns(self, X, names, splits, fits_per_config) -> pd.DataFrame:
        tested = None
        columns = {}
        for name, fits in zip(names, fits_per_config):
            oof = self._collect(X, name, splits, fits)["oof"]
            rows = np.flatnonzero(oof.notna().to_numpy())
            tested = rows if tested is None else tested
            columns[name] = self.data_.net_returns(list(map(int, rows)), list(map(float, oof.iloc[rows])))
        return pd.DataFrame(columns, index=X.index[tested])

    def grid_returns(self, X: pd.DataFrame, y, grid: Dict[str, tuple]) -> pd.DataFrame:
        """The out-of-fold net returns of each configuration of ``grid`` ({name:
        (model_type, model_config)}) under the CV splitter: each sample held at the
        position its prediction implies over the next bar, net of the dataset's costs.
        The matrix :func:`probability_of_backtest_overfitting` takes."""
        splits = self._splits(X, y)
        fits = [[self._fit_split(X, y, mt, tr, te, config) for tr, te in splits] for mt, config in grid.values()]
        return self._grid_returns(X, list(grid), splits, fits)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("data_", None)
        state.pop("ensemble", None)  # the arbitrator's state lives in Rust
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "_data_args" in state:
            toml, ns, columns = state["_data_args"]
            self.data_ = _core.TrainingData(toml, (ns, *columns))

    def create_ensemble(self, X: pd.DataFrame, y, strategy_types: Optional[Dict[str, StrategyType]] = None,
                        config: Optional[Dict[str, Any]] = None) -> StrategyArbitrator:
        """A StrategyArbitrator with one strategy per trained model, replayed over the
        history with the out-of-fold predictions only (samples every model predicted),
        the regime detector and the market returns advancing bar by bar as live: its
        scores, weights and ``decisions_`` are out of sample.

        ``strategy_types`` maps model names to families (default ``ML_MODEL``); models not
        trained yet are trained with the default types.
        """
        if not self._prepared(X):
            raise ValueError("create_ensemble replays prepare_data's samples: pass its X")
        if not self.models:
            self.train_models(X, y)
        arbitrator = StrategyArbitrator(config)
        names = list(self.models)
        for name in names:
            arbitrator.register_strategy(name, (strategy_types or {}).get(name, StrategyType.ML_MODEL))
        predictions = np.column_stack([self.models[n]["oof"].to_numpy() for n in names])
        replayed = arbitrator._inner.replay(self.data_, np.ascontiguousarray(predictions))
        rows = []
        for k, d in replayed:
            d = arbitrator._result(d)
            rows.append({"timestamp": X.index[k], "signal": d["signal"], "confidence": d["confidence"],
                         "weighted_signal": d["weighted_signal"], "regime": d["regime"],
                         "regime_confidence": d["regime_confidence"],
                         **{f"{field}_{n}": d["strategy_breakdown"][n][field] for n in names
                            for field in ["weight", "score", "active"]}})
        self.decisions_ = pd.DataFrame(rows).set_index("timestamp")
        self.ensemble = arbitrator
        return arbitrator

    def run_ablation_study(self, X: pd.DataFrame, y, feature_groups: Optional[Dict[str, Sequence[str]]] = None,
                           model_type=ModelType.GRADIENT_BOOSTING) -> pd.DataFrame:
        """``AblationTester`` of ``model_type`` under the CV splitter (default groups: the
        8 feature families); ROC AUC for classification, R^2 for regression."""
        if self.cv_splitter is None:
            self.create_cv_splitter()
        model = ModelFactory.create_model(model_type, self.model_config, getattr(self, "task_", "classification"))
        tester = AblationTester(model, self.cv_splitter, fold=self._fold(X, y))
        return tester.run_ablation(X, y, feature_groups)

