"""A deployed bundle replayed over history, as `tickml stream` serves it."""
from __future__ import annotations

import os

import pandas as pd

from . import _core
from ._features import bar_columns


class Pipeline:
    """A bundle (``tickml train --bundle``): features, regime detector, models and
    arbitrator, run by the core's ``Pipeline::on_bar``.

    Use :meth:`from_bundle`; :meth:`stream` replays a DataFrame of bars through a fresh
    pipeline and returns one decision per bar, the numbers ``tickml stream`` prints.
    """

    def __init__(self, bundle: bytes) -> None:
        self._bundle = bytes(bundle)
        self.model_names = list(_core.bundle_models(self._bundle))

    @classmethod
    def from_bundle(cls, path: str | os.PathLike) -> "Pipeline":
        """Loads and checks the bundle at ``path`` (``ValueError`` with the core's reason)."""
        with open(path, "rb") as f:
            return cls(f.read())

    def stream(self, df: pd.DataFrame) -> pd.DataFrame:
        """One decision per bar of ``df`` (one series, times increasing).

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
        d = _core.stream_bundle(self._bundle, ns, *columns)
        out = pd.DataFrame(d["predictions"], index=df.index, columns=self.model_names)
        for name in ["signal", "confidence", "weighted_signal", "signal_source", "weighted_sum", "meta_signal",
                     "signal_strength", "consensus_ratio", "n_active_strategies", "regime", "regime_confidence"]:
            out[name] = d[name]
        for i, model in enumerate(self.model_names):
            out[f"weight_{model}"] = d["weights"][:, i]
        return out
