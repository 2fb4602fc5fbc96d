"""tickml: the design's research classes, computed by the Rust core that runs live.

``FeatureEngineer`` streams bars through the same feature engine as ``tickml stream``
and ``tickml features``; ``PurgedKFold`` and ``WalkForwardCV`` are scikit-learn
splitters over the train crate's purged schedules.
"""
from ._features import FeatureConfig, FeatureEngineer
from ._splitters import PurgedKFold, WalkForwardCV

__all__ = ["FeatureConfig", "FeatureEngineer", "PurgedKFold", "WalkForwardCV"]
