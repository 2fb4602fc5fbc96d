"""tickml: the design's research classes, computed by the Rust core that runs live.

``FeatureEngineer`` streams bars through the same feature engine as ``tickml stream``
and ``tickml features``; ``PurgedKFold``, ``WalkForwardCV`` and ``CombinatorialCV`` are
scikit-learn splitters over the train crate's purged schedules;
``MultipleHypothesisCorrection`` is its BH / BY / Holm and the Sharpe functions its
PSR / DSR / PBO; ``ModelFactory`` fits tickml's learners (or LightGBM / XGBoost) into
blobs the core runs; ``StrategyArbitrator`` is the core's arbitrator; ``MLPipeline`` and
``AblationTester`` compute what ``tickml train`` and ``tickml ablate`` do, with any
estimator; ``WalkForwardBacktest`` is ``tickml backtest`` window by window;
``Pipeline.from_bundle`` runs a deployed bundle bar by bar or over history.
``tickml.dask`` fans the research out on a Dask cluster.
"""
from ._ablation import AblationTester
from ._arbitrator import RegimeType, SignalType, StrategyArbitrator, StrategySignal, StrategyType
from ._backtest import WalkForwardBacktest, walk_forward_backtest
from ._features import FeatureConfig, FeatureEngineer
from ._ml import MLPipeline
from ._models import LibraryModel, ModelFactory, ModelType, TickmlModel
from ._pipeline import Pipeline
from ._splitters import CombinatorialCV, PurgedKFold, WalkForwardCV
from ._stats import (MultipleHypothesisCorrection, deflated_sharpe_ratio, expected_max_sharpe,
                     probabilistic_sharpe_ratio, probability_of_backtest_overfitting, sharpe_stats)

__all__ = [
    "AblationTester",
    "CombinatorialCV",
    "FeatureConfig",
    "FeatureEngineer",
    "LibraryModel",
    "MLPipeline",
    "ModelFactory",
    "ModelType",
    "MultipleHypothesisCorrection",
    "Pipeline",
    "PurgedKFold",
    "RegimeType",
    "SignalType",
    "StrategyArbitrator",
    "StrategySignal",
    "StrategyType",
    "TickmlModel",
    "WalkForwardBacktest",
    "WalkForwardCV",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "sharpe_stats",
    "walk_forward_backtest",
]
