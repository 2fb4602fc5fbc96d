"""A deployed bundle run bar by bar or over history, as `tickml stream` serves it."""
from __future__ import annotations

import os
from typing import Any, Dict, Mapping

import pandas as pd

from . import _core
from ._arbitrator import _ns, decision_dict, summary_frame
from ._features import bar_columns

_COLUMNS = ["signal", "confidence", "weighted_signal", "signal_source", "weighted_sum", "meta_signal",
            "signal_strength", "consensus_ratio", "n_active_strategies", "regime", "regime_confidence"]


class Pipeline:
    """A bundle (``tickml train --bundle``): features, regime detector, models and
    arbitrator, run by the core's ``Pipeline::on_bar``.

    Use :meth:`from_bundle`. :meth:`on_bar` takes one bar, :meth:`stream` a DataFrame of
    bars; both continue from the pipeline's state, so a history replayed with
    :meth:`stream` warms the pipeline up for live bars. A pipeline pickles (its bundle
    and the core's state snapshot).
    """

    def __init__(self, bundle: bytes) -> None:
        self._bundle = bytes(bundle)
        self._inner = _core.LivePipeline(self._bundle)
        self.model_names = list(self._inner.model_names())

    @classmethod
    def from_bundle(cls, path: str | os.PathLike) -> "Pipeline":
        """Loads and checks the bundle at ``path`` (``ValueError`` with the core's reason)."""
        with open(path, "rb") as f:
            return cls(f.read())

    def on_bar(self, bar: Mapping[str, Any]) -> Dict[str, Any]:
        """One bar (``timestamp``, ``open``, ``high``, ``low``, ``close``, ``volume``; a
        mapping or a Series) through the pipeline.

        Returns
        -------
        dict
            The arbitrator's result as :meth:`StrategyArbitrator.process_signals` gives it
            (``signal``, ``confidence``, ``weighted_signal``, ..., ``strategy_breakdown``
            keyed by model name), plus ``timestamp`` and ``predictions`` ({model:
            prediction}). A refused bar (``ValueError``) changes nothing.
        """
        missing = [c for c in ["timestamp", "open", "high", "low", "close", "volume"] if c not in bar]
        if missing:
            raise ValueError(f"missing fields: {', '.join(missing)}")
        d = self._inner.on_bar(_ns(bar["timestamp"]), *(float(bar[c]) for c in ["open", "high", "low", "close", "volume"]))
        ids = [b["strategy_id"] for b in d["strategy_breakdown"]]
        d = decision_dict(d, dict(zip(ids, self.model_names)))
        d["timestamp"] = pd.Timestamp(d["timestamp"], unit="ns", tz="UTC")
        d["predictions"] = dict(zip(self.model_names, d["predictions"]))
        return d

    def stream(self, df: pd.DataFrame) -> pd.DataFrame:
        """One decision per bar of ``df`` (one series, times increasing), continuing from
        the pipeline's state; all or nothing (a bad row raises and changes nothing).

        Returns
        -------
        pandas.DataFrame
            Indexed like ``df``: each model's prediction, ``signal``, ``confidence``,
            ``weighted_signal``, ``signal_source``, ``weighted_sum``, ``meta_signal``,
            ``signal_strength``, ``consensus_ratio``, ``n_active_strategies``, ``regime``,
            ``regime_confidence`` and ``weight_<model>``: the columns of ``tickml stream
            --format csv`` after its timestamp and symbol.
        """
        ns, columns = bar_columns(df)
        d = self._inner.stream((ns, *columns))
        out = pd.DataFrame(d["predictions"], index=df.index, columns=self.model_names)
        for name in _COLUMNS:
            out[name] = d[name]
        for i, model in enumerate(self.model_names):
            out[f"weight_{model}"] = d["weights"][:, i]
        return out

    def get_strategy_summary(self) -> pd.DataFrame:
        """The bundle's arbitrator after the last bar: one row per model (the columns of
        :meth:`StrategyArbitrator.get_strategy_summary`)."""
        rows = self._inner.strategy_summary()
        return summary_frame(rows, {r["strategy_id"]: name for r, name in zip(rows, self.model_names)})

    def __getstate__(self):
        return {"bundle": self._bundle, "state": bytes(self._inner.snapshot())}

    def __setstate__(self, state):
        self.__init__(state["bundle"])
        self._inner.restore(state["state"])
