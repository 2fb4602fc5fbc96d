"""Type stubs of the Rust extension (python/src/lib.rs)."""
from typing import List, Optional, Sequence, Tuple

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
def bundle_models(bundle: bytes) -> List[str]: ...
def stream_bundle(
    bundle: bytes,
    timestamp: npt.NDArray[np.int64],
    open: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    close: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
) -> dict: ...
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
