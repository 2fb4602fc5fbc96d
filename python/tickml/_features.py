"""The feature engine from pandas."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict

import numpy as np
import pandas as pd

from . import _core

_COLUMNS = ["open", "high", "low", "close", "volume"]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def bar_columns(df: pd.DataFrame):
    """The bar times (unix ns) and the OHLCV columns of ``df`` as numpy arrays.

    The times are a ``timestamp`` column or a ``DatetimeIndex`` (naive means UTC).
    """
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    if "timestamp" in df.columns:
        times = pd.to_datetime(df["timestamp"], utc=True)
    elif isinstance(df.index, pd.DatetimeIndex):
        times = df.index.tz_localize("UTC") if df.index.tz is None else df.index.tz_convert("UTC")
    else:
        raise ValueError("the bar times must be a `timestamp` column or a DatetimeIndex")
    ns = np.asarray(pd.DatetimeIndex(times).as_unit("ns").asi8, dtype=np.int64)
    columns = [np.ascontiguousarray(df[c].to_numpy(dtype=np.float64)) for c in _COLUMNS]
    return ns, columns


@dataclass
class FeatureConfig:
    """Which features the engine computes: the fields of ``[features]`` in ``train.toml``.

    Parameters
    ----------
    **fields
        Any of the core's ``FeatureConfig`` fields (``trend_windows=[5, 20]``,
        ``rsi_period=14``, ``cross_section="extended"``, ...); unset fields keep the
        design's defaults (110 features). Unknown fields raise ``ValueError`` with the
        core's message when the engine is built.
    """

    fields: Dict[str, Any] = field(default_factory=dict)

    def __init__(self, **fields: Any) -> None:
        self.fields = dict(fields)

    def to_toml(self) -> str:
        """The configuration as TOML, as ``tickml features --config`` reads it."""
        return "\n".join(f"{k} = {_toml_value(v)}" for k, v in self.fields.items())

    @property
    def feature_names(self) -> list:
        """The feature names, in the engine's order."""
        return list(_core.feature_names(self.to_toml()))


class FeatureEngineer:
    """The core's incremental feature engine over a DataFrame of bars.

    Parameters
    ----------
    config : FeatureConfig, optional
        The features to compute (default: the design's 110).

    Notes
    -----
    Row k of the result depends only on rows <= k: nothing is fitted, so ``fit`` only
    validates and ``transform`` equals ``fit_transform``.
    """

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config if config is not None else FeatureConfig()

    def fit(self, df: pd.DataFrame, y=None) -> "FeatureEngineer":
        """Checks the configuration; returns self."""
        self.feature_names_ = self.config.feature_names
        return self

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """The features of every bar of ``df``.

        Parameters
        ----------
        df : pandas.DataFrame
            Columns ``open, high, low, close, volume`` and the bar times as a
            ``timestamp`` column or a ``DatetimeIndex``; optionally ``symbol`` (a
            universe: rows sorted by time, each timestamp's members ranked together).

        Returns
        -------
        pandas.DataFrame
            One column per feature, NaN while it warms up, indexed like ``df``.
        """
        ns, columns = bar_columns(df)
        symbols = df["symbol"].astype(str).tolist() if "symbol" in df.columns else None
        values = _core.compute_features(self.config.to_toml(), (ns, *columns), symbols)
        return pd.DataFrame(values, index=df.index, columns=self.config.feature_names)

    def fit_transform(self, df: pd.DataFrame, y=None) -> pd.DataFrame:
        """``fit(df).transform(df)``."""
        return self.fit(df).transform(df)
