"""The design's StrategyArbitrator on the core's: regime-aware weights, silencing and
confidence computed by the same Rust code a bundle runs live."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Mapping, Optional

import numpy as np
import pandas as pd

from . import _core


class SignalType(enum.IntEnum):
    """A strategy's direction (+1, -1, 0: usable as a number)."""

    LONG = 1
    SHORT = -1
    NEUTRAL = 0


class RegimeType(str, enum.Enum):
    """The market regimes of the core's detectors (``UNKNOWN``: still warming up)."""

    BULL_TREND = "bull_trend"
    BEAR_TREND = "bear_trend"
    TRENDING = "trending"
    RANGING = "ranging"
    HIGH_VOLATILITY = "high_volatility"
    LOW_VOLATILITY = "low_volatility"
    CRISIS = "crisis"
    UNKNOWN = "unknown"


class StrategyType(str, enum.Enum):
    """A strategy's family, which selects its row of regime multipliers."""

    TREND_FOLLOWING = "trend_following"
    MEAN_REVERSION = "mean_reversion"
    MOMENTUM = "momentum"
    VOLATILITY = "volatility"
    ML_MODEL = "ml_model"
    OTHER = "other"


_SIGNAL_BY_NAME = {"long": SignalType.LONG, "short": SignalType.SHORT, "neutral": SignalType.NEUTRAL}


@dataclass
class StrategySignal:
    """One strategy's signal for one bar.

    Parameters
    ----------
    strategy_id : str
        A registered strategy.
    timestamp : pandas.Timestamp, datetime, str or int (unix ns)
        The bar's time; every signal of a call has the same one, and times increase.
    signal : SignalType
    confidence : float
        In [0, 1].
    expected_return, volatility : float
        Carried for the caller (the arbitrator scores realised returns, not forecasts).
    regime : RegimeType, optional
        The regime the strategy believes in, if any.
    metadata : dict
        Anything else; not read.
    """

    strategy_id: str
    timestamp: Any
    signal: SignalType
    confidence: float
    expected_return: float = 0.0
    volatility: float = 0.0
    regime: Optional[RegimeType] = None
    metadata: Dict[str, Any] = field(default_factory=dict)


def _ns(timestamp) -> int:
    if isinstance(timestamp, (int, np.integer)):
        return int(timestamp)
    t = pd.Timestamp(timestamp)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return int(t.as_unit("ns").value)


def _last_row(market_features) -> Mapping[str, Any]:
    if market_features is None:
        return {}
    if isinstance(market_features, pd.DataFrame):
        if market_features.empty:
            raise ValueError("market_features is an empty DataFrame")
        return market_features.iloc[-1]
    return market_features


def _last_value(market_returns) -> float:
    if market_returns is None:
        return 0.0
    if isinstance(market_returns, (pd.Series, np.ndarray, list, tuple)):
        values = np.asarray(market_returns, dtype=float)
        return float(values[-1]) if values.size else 0.0
    return float(market_returns)


class StrategyArbitrator:
    """Combines strategies' signals by regime and recent performance (the core's
    ``StrategyArbitrator``).

    Parameters
    ----------
    config : dict, optional
        The design's settings: ``lookback_window`` (63), ``min_history`` (20), ``metric``
        (``"sharpe"``, ``"return"``, ``"sortino"``, ``"hit_rate"``), ``weighting``
        (``"softmax"`` with ``temperature`` 0.1, ``"hedge"`` with ``eta`` and ``share``,
        ``"equal"``), ``silence_below``, ``silence_after``, ``revive_above``,
        ``signal_threshold``, ``exposure`` ({RegimeType: share}) and
        ``regime_strategy_map`` ({RegimeType: {StrategyType: multiplier}}, overriding the
        design's multiplier table cell by cell). ``temperature=1`` is the design's own
        softmax.

    Notes
    -----
    Each call of :meth:`process_signals` is one bar. The regime is ``market_features``'
    ``regime`` (with ``regime_confidence``) when it has one; otherwise the core's rule
    detector takes the row (a :class:`FeatureEngineer` row: ``dist_max_100``,
    ``close_to_sma_200``, ``slope_50``, ``vol_regime``, ``trend_strength_20``) and keeps
    its state between calls, exactly as the live pipeline does.
    """

    def __init__(self, config: Optional[Dict[str, Any]] = None) -> None:
        config = dict(config or {})
        families, regimes = _core.arbitrator_tables()
        self._families = [StrategyType(f) for f in families]
        self._regimes = [RegimeType(r) for r in regimes]
        overrides = _core.arbitrator_config()
        mapping = config.pop("regime_strategy_map", None)
        exposure = config.pop("exposure", None)
        overrides.update(config)
        if mapping is not None:
            overrides["multipliers"] = self._table(overrides["multipliers"], mapping)
        if exposure is not None:
            row = list(overrides["exposure"])
            for regime, share in exposure.items():
                row[self._regimes.index(RegimeType(regime))] = float(share)
            overrides["exposure"] = row
        self._inner = _core.Arbitrator(overrides)
        self._ids: Dict[str, int] = {}
        self._types: Dict[str, StrategyType] = {}

    def _table(self, base, mapping):
        table = [list(row) for row in base]
        for regime, row in mapping.items():
            r = self._regimes.index(RegimeType(regime))
            for strategy_type, multiplier in row.items():
                table[self._families.index(StrategyType(strategy_type))][r] = float(multiplier)
        return table

    @property
    def config(self) -> Dict[str, Any]:
        """Every setting, as the core holds it."""
        return dict(self._inner.config())

    @property
    def regime_strategy_map(self) -> Dict[RegimeType, Dict[StrategyType, float]]:
        """The multiplier of each strategy type in each regime (the design's table with
        any overrides)."""
        table = self._inner.config()["multipliers"]
        return {r: {f: table[i][j] for i, f in enumerate(self._families)} for j, r in enumerate(self._regimes)}

    def register_strategy(self, strategy_id: str, strategy_type: StrategyType | str = StrategyType.OTHER) -> None:
        """Adds a strategy; a duplicate id or a full registry raises ``ValueError``."""
        if strategy_id in self._ids:
            raise ValueError(f"strategy {strategy_id!r} is already registered")
        kind = StrategyType(strategy_type)
        number = len(self._ids) + 1
        self._inner.register_strategy(number, kind.value)
        self._ids[strategy_id] = number
        self._types[strategy_id] = kind

    @property
    def strategies(self) -> Dict[str, StrategyType]:
        """Registered strategies and their types, in registration order."""
        return dict(self._types)

    def process_signals(self, signals: Iterable[StrategySignal], market_features=None, market_returns=None) -> Dict[str, Any]:
        """Combines one bar's signals.

        Parameters
        ----------
        signals : iterable of StrategySignal
            This bar's signals (a strategy may be absent: it is inactive this bar).
        market_features : DataFrame, Series or mapping, optional
            The features up to this bar (a DataFrame's last row is used).
        market_returns : float or Series, optional
            The market's return over the bar that just closed (a Series' last value); it
            scores the signals of the previous call.

        Returns
        -------
        dict
            ``signal`` (SignalType), ``confidence``, ``weighted_signal``,
            ``signal_strength``, ``consensus_ratio``, ``n_active_strategies``, ``regime``
            (RegimeType), ``regime_confidence``, ``signal_source``, ``weighted_sum``,
            ``meta_signal`` and ``strategy_breakdown`` ({strategy_id: {weight, active,
            silenced, score, signal, confidence, contribution}}).
        """
        rows = []
        for s in signals:
            if s.strategy_id not in self._ids:
                raise ValueError(f"unknown strategy {s.strategy_id!r}")
            regime = None if s.regime is None else RegimeType(s.regime).value
            rows.append((self._ids[s.strategy_id], _ns(s.timestamp), SignalType(s.signal).value,
                         float(s.confidence), float(s.expected_return), float(s.volatility), regime))
        row = _last_row(market_features)
        get = (lambda k: float(row[k]) if k in row and row[k] is not None else float("nan"))
        regime = None
        if "regime" in row:
            confidence = float(row["regime_confidence"]) if "regime_confidence" in row else 1.0
            regime = (RegimeType(row["regime"]).value, confidence)
        features = None
        if regime is None and len(row):
            numeric = [k for k in row.keys() if isinstance(row[k], (int, float, np.number)) and not isinstance(row[k], bool)]
            features = ([str(k) for k in numeric], [float(row[k]) for k in numeric])
        d = self._inner.process_signals(rows, _last_value(market_returns), get("vol_regime"),
                                        get("trend_strength_20"), regime, features)
        return self._result(d)

    def _result(self, d: Dict[str, Any]) -> Dict[str, Any]:
        return decision_dict(d, {v: k for k, v in self._ids.items()})

    def get_strategy_summary(self) -> pd.DataFrame:
        """One row per strategy (index ``strategy_id``): type, weight, score, active,
        silenced, bars_silenced, recent_sharpe, recent_return, last_signal,
        last_confidence, as of the last bar."""
        return summary_frame(self._inner.strategy_summary(), {v: k for k, v in self._ids.items()})


def decision_dict(d: Dict[str, Any], names: Dict[int, str]) -> Dict[str, Any]:
    """The core's decision as the design's dict: enums for ``signal`` and ``regime``,
    ``strategy_breakdown`` keyed by ``names`` (the core's ids to the caller's)."""
    d["signal"] = _SIGNAL_BY_NAME[d["signal"]]
    d["regime"] = RegimeType(d["regime"])
    d["strategy_breakdown"] = {
        names[b.pop("strategy_id")]: {**b, "signal": _SIGNAL_BY_NAME[b["signal"]]} for b in d["strategy_breakdown"]
    }
    return d


def summary_frame(rows, names: Dict[int, str]) -> pd.DataFrame:
    """The core's summary rows as the design's DataFrame, ids replaced by ``names``."""
    for r in rows:
        r["strategy_id"] = names[r["strategy_id"]]
        r["strategy_type"] = StrategyType(r["strategy_type"])
        r["last_signal"] = _SIGNAL_BY_NAME[r["last_signal"]]
    columns = ["strategy_id", "strategy_type", "weight", "score", "active", "silenced", "bars_silenced",
               "recent_sharpe", "recent_return", "last_signal", "last_confidence"]
    return pd.DataFrame(rows, columns=columns).set_index("strategy_id")
