"""Type stubs of the Rust extension (python/src/)."""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

_Splits = List[Tuple[npt.NDArray[np.uintp], npt.NDArray[np.uintp]]]

def feature_names(config: str) -> List[str]: ...
def compute_features(
    config: str,
    timestamp: npt.NDArray[np.int64],
    open: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    close: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
    symbols: Optional[Sequence[str]] = None,
) -> npt.NDArray[np.float64]: ...
def purged_kfold(
    t0: Sequence[int], t1: Sequence[int], n_splits: int, purge_gap: int, embargo_pct: float
) -> _Splits: ...
def walk_forward(
    t0: Sequence[int],
    t1: Sequence[int],
    train_size: int,
    test_size: int,
    step_size: int,
    purge_gap: int,
    expand_train: bool,
) -> _Splits: ...
def combinatorial(
    n_samples: int,
    n_splits: int,
    n_test_splits: int,
    purge: int,
    embargo: int,
    t0: Optional[Sequence[int]] = None,
    t1: Optional[Sequence[int]] = None,
) -> Tuple[_Splits, List[List[int]]]: ...
def multiple_testing(p_values: Sequence[float], alpha: float, method: str) -> Tuple[List[bool], List[float]]: ...
def fit_model(
    model: str,
    config: str,
    task: str,
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    names: Sequence[str],
    weights: Optional[npt.NDArray[np.float64]] = None,
) -> Tuple[bytes, Optional[List[float]]]: ...
def predict_blob(blob: bytes, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def import_model(library: str, text: str) -> bytes: ...

_Signal = Tuple[int, int, int, float, float, float, Optional[str]]
_Array = npt.NDArray[np.float64]

def arbitrator_config(overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]: ...
def arbitrator_tables() -> Tuple[List[str], List[str]]: ...

class Arbitrator:
    def __init__(self, config: Optional[Dict[str, Any]] = None) -> None: ...
    def register_strategy(self, id: int, strategy_type: str) -> None: ...
    def config(self) -> Dict[str, Any]: ...
    def process_signals(
        self,
        signals: Sequence[_Signal],
        market_return: float,
        vol_regime: float,
        trend_strength: float,
        regime: Optional[Tuple[str, float]] = None,
        features: Optional[Tuple[Sequence[str], Sequence[float]]] = None,
    ) -> Dict[str, Any]: ...
    def strategy_summary(self) -> List[Dict[str, Any]]: ...

class LivePipeline:
    def __init__(self, bundle: bytes) -> None: ...
    def model_names(self) -> List[str]: ...
    def on_bar(
        self, timestamp: int, open: float, high: float, low: float, close: float, volume: float
    ) -> Dict[str, Any]: ...
    def stream(
        self,
        timestamp: npt.NDArray[np.int64],
        open: _Array,
        high: _Array,
        low: _Array,
        close: _Array,
        volume: _Array,
    ) -> Dict[str, Any]: ...
    def strategy_summary(self) -> List[Dict[str, Any]]: ...
    def snapshot(self) -> bytes: ...
    def restore(self, snapshot: bytes) -> None: ...
