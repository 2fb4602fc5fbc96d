"""tickml: the design's research classes, computed by the Rust core that runs live.

``FeatureEngineer`` streams bars through the same feature engine as ``tickml stream``
and ``tickml features``; ``PurgedKFold``, ``WalkForwardCV`` and ``CombinatorialCV`` are
scikit-learn splitters over the train crate's purged schedules;
``MultipleHypothesisCorrection`` is its BH / BY / Holm; ``Pipeline.from_bundle``
replays a deployed bundle over history.
"""
from ._features import FeatureConfig, FeatureEngineer
from ._models import ModelFactory, ModelType, TickmlModel
from ._pipeline import Pipeline
from ._splitters import CombinatorialCV, PurgedKFold, WalkForwardCV
from ._stats import MultipleHypothesisCorrection

__all__ = [
    "CombinatorialCV",
    "FeatureConfig",
    "FeatureEngineer",
    "ModelFactory",
    "ModelType",
    "MultipleHypothesisCorrection",
    "Pipeline",
    "PurgedKFold",
    "TickmlModel",
    "WalkForwardCV",
]
