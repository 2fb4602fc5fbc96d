"""Research fanned out on Dask: each function takes a ``distributed.Client`` and returns
exactly what its single-process twin returns, computed by the same code in the workers.

======================================  =================================================
``train_models(client, pipeline, ...)``   ``MLPipeline.train_models``: one task per (model, split)
``grid_returns(client, pipeline, ...)``   ``MLPipeline.grid_returns`` (the PBO grid): one per (configuration, split)
``run_ablation(client, tester, ...)``     ``AblationTester.run_ablation``: one per (column set, split)
``walk_forward_backtest(client, df)``     ``WalkForwardBacktest.run``: one per window
======================================  =================================================

Inputs are scattered to every worker once; results are gathered in task order, so the
outcome does not depend on which worker ran what. Needs ``distributed``
(``pip install 'tickml[dask]'``).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from ._ablation import AblationTester
from ._backtest import WalkForwardBacktest
from ._ml import _DEFAULT_MODELS
from ._models import ModelType


def _fit_split(inputs, model_type, train, test, model_config=None):
    pipeline, X, y = inputs
    return pipeline._fit_split(X, y, model_type, train, test, model_config)


def _fold_score(inputs, kept, k):
    estimator, scorer, columns, prepared = inputs
    return AblationTester._fold_score(estimator, scorer, columns, kept, prepared[k])


def _run_window(backtest, k):
    return backtest.run_window(k)


def train_models(client, pipeline, X, y, model_types: Optional[Sequence] = None) -> Dict[str, Dict[str, Any]]:
    """``pipeline.train_models(X, y, model_types)`` with the fits as Dask tasks."""
    splits = pipeline._splits(X, y)
    inputs = client.scatter((pipeline, X, y), broadcast=True)
    types = [ModelType(m) for m in (model_types or _DEFAULT_MODELS)]
    futures = [[client.submit(_fit_split, inputs, m, tr, te, pure=False) for tr, te in splits] for m in types]
    pipeline.models = {m.value: pipeline._collect(X, m.value, splits, client.gather(f)) for m, f in zip(types, futures)}
    return pipeline.models


def grid_returns(client, pipeline, X, y, grid: Dict[str, tuple]):
    """``pipeline.grid_returns(X, y, grid)`` with one task per (configuration, split)."""
    splits = pipeline._splits(X, y)
    inputs = client.scatter((pipeline, X, y), broadcast=True)
    futures = [[client.submit(_fit_split, inputs, mt, tr, te, config, pure=False) for tr, te in splits]
               for mt, config in grid.values()]
    return pipeline._grid_returns(X, list(grid), splits, [client.gather(f) for f in futures])


def run_ablation(client, tester, X, y, feature_groups=None, sample_weight=None):
    """``tester.run_ablation(X, y, feature_groups, sample_weight)`` with one task per
    (column set, split)."""
    columns, groups, sets, prepared, scorer = tester._setup(X, y, feature_groups, sample_weight)
    inputs = client.scatter((tester.estimator, scorer, columns, prepared), broadcast=True)
    futures = [[client.submit(_fold_score, inputs, kept, k, pure=False) for k in range(len(prepared))] for kept in sets]
    return tester._table(groups, [client.gather(f) for f in futures], prepared)


def walk_forward_backtest(client, df, config: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """``WalkForwardBacktest(df, config).run()`` with one task per window."""
    backtest = WalkForwardBacktest(df, config)
    remote = client.scatter(backtest, broadcast=True)
    runs = client.gather([client.submit(_run_window, remote, k, pure=False) for k in range(backtest.n_windows)])
    return backtest.assemble(runs)
