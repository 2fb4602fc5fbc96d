"""The walk-forward backtest of the live pipeline, window by window."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pandas as pd

from . import _core
from ._features import bar_columns


class WalkForwardBacktest:
    """``tickml backtest`` on a DataFrame of bars: every ``retrain_every`` bars the models
    are retrained on the bars before (purged), bundled with the arbitrator and run bar by
    bar through the core's ``Pipeline::on_bar`` over the next bars; the report holds each
    configuration's net performance beside buy and hold, PSR, PBO over the grid and the
    CPCV path Sharpe ratios.

    Parameters
    ----------
    df : pandas.DataFrame
        One series of bars (``timestamp`` column or DatetimeIndex, ``open`` ...
        ``volume``).
    config : dict, optional
        ``BacktestConfig`` fields (``train_size`` 504, ``retrain_every`` 63, ``purge`` 5,
        ``position``, ``pbo_splits``, ``cpcv``, ``train``: the ``train.toml`` fields, ...);
        the defaults are ``tickml backtest``'s.

    Notes
    -----
    The windows are independent: :meth:`run_window` runs one anywhere (the object
    pickles), :meth:`assemble` builds the report from every window's run, and
    :meth:`run` does both in this process. ``tickml.dask.walk_forward_backtest`` fans
    the windows out on a Dask cluster with the same result.
    """

    def __init__(self, df: pd.DataFrame, config: Optional[Dict[str, Any]] = None) -> None:
        ns, columns = bar_columns(df)
        self._args = (json.dumps(config or {}), ns, columns)
        self._plan = None

    @property
    def plan(self):
        if self._plan is None:
            config, ns, columns = self._args
            self._plan = _core.BacktestPlan(config, (ns, *columns))
        return self._plan

    @property
    def n_windows(self) -> int:
        """The number of walk-forward windows."""
        return self.plan.windows()

    def run_window(self, k: int) -> bytes:
        """Window ``k``'s run (opaque bytes for :meth:`assemble`)."""
        return bytes(self.plan.run_window(int(k)))

    def assemble(self, runs: List[bytes]) -> Dict[str, Any]:
        """The report (``tickml backtest``'s report.json before deflation by the trial
        log) from every window's run, in window order."""
        return json.loads(self.plan.assemble([bytes(r) for r in runs]))

    def run(self) -> Dict[str, Any]:
        """Every window in this process, then the report."""
        return self.assemble([self.run_window(k) for k in range(self.n_windows)])

    def __getstate__(self):
        return {"args": self._args}

    def __setstate__(self, state):
        self._args = state["args"]
        self._plan = None


def walk_forward_backtest(df: pd.DataFrame, config: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """:class:`WalkForwardBacktest` ``(df, config).run()``."""
    return WalkForwardBacktest(df, config).run()
