"""The research loop from pandas, end to end, on tickml's Rust core:

features -> labels with end times -> walk-forward CV -> per-fold models -> out-of-sample
scores next to the majority-class baseline -> the regime-aware ensemble replayed out of sample ->
its equity curve net of costs next to buy and hold on the same bars -> feature-family
ablation with BH-adjusted p-values -> the chosen model exported for the live core.

    python examples/research_loop.py [--out DIR]     (matplotlib; writes DIR/research_loop.png)

Every figure printed or plotted is out of sample.
"""
import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tickml import MLPipeline, ModelType, MultipleHypothesisCorrection, StrategyType  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
COST_BPS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "target" / "research_loop"))
    out = pathlib.Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)

    bars = pd.read_csv(ROOT / "data" / "spx_daily.csv", parse_dates=["timestamp"], index_col="timestamp")
    pipeline = MLPipeline(model_config={"n_estimators": 50})
    X, y = pipeline.prepare_data(bars, target_type="direction", horizon=5)
    print(f"{len(X)} samples x {X.shape[1]} scale-free inputs, {X.index[0]:%Y-%m-%d} to {X.index[-1]:%Y-%m-%d}")

    # walk-forward: every prediction from a model fitted on the past only
    pipeline.create_cv_splitter("walk_forward")
    results = pipeline.train_models(X, y, [ModelType.GRADIENT_BOOSTING, ModelType.LOGISTIC_REGRESSION])
    tested = results["gradient_boosting"]["oof"].dropna().index
    up = y[tested].mean()
    print(f"\nwalk-forward out of sample (train 504, test 63, step 21, purge 5; {len(tested)} samples):")
    print(f"  {'model':<22}{'accuracy':>9}{'roc_auc':>9}{'sharpe':>9}")
    for name, r in results.items():
        s = r["out_of_fold"]
        print(f"  {name:<22}{s['accuracy']:>9.4f}{s['roc_auc']:>9.4f}{s['sharpe']:>9.3f}")
    rows = [X.index.get_loc(t) for t in tested]
    hold_sharpe = pipeline.data_.score(rows, [1.0] * len(rows))["sharpe"]  # always long, same accounting
    print(f"  {'majority class':<22}{max(up, 1 - up):>9.4f}{0.5:>9.4f}")
    print(f"  {'always long':<22}{up:>9.4f}{0.5:>9.4f}{hold_sharpe:>9.3f}")
    print("  (sharpe: the positions each model implies, net of 1 bps, annualised from the timestamps)")

    arbitrator = pipeline.create_ensemble(X, y, {"gradient_boosting": StrategyType.MOMENTUM,
                                                 "logistic_regression": StrategyType.TREND_FOLLOWING})
    decisions = pipeline.decisions_
    print("\nstrategies after the walk-forward replay:")
    print(arbitrator.get_strategy_summary()[["strategy_type", "weight", "score", "silenced"]].to_string())

    # the ensemble's call held over the next bar, net of costs, against buy and hold
    close = bars["close"]
    next_return = (close.shift(-1) / close - 1).reindex(decisions.index).fillna(0.0)
    position = decisions["signal"].astype(float)
    turnover = position.diff().abs().fillna(position.abs())
    strategy = position * next_return - COST_BPS * 1e-4 * turnover
    hold = next_return
    years = (decisions.index[-1] - decisions.index[0]).days / 365.25
    per_year = len(decisions) / years

    def sharpe(r):
        return float(r.mean() / r.std(ddof=1) * np.sqrt(per_year)) if r.std(ddof=1) > 0 else float("nan")

    print(f"\nwalk-forward replay, {len(decisions)} bars ({per_year:.1f} a year from the timestamps), "
          f"{COST_BPS:g} bps per unit of turnover:")
    print(f"  ensemble      Sharpe {sharpe(strategy):6.3f}  total {np.expm1(np.log1p(strategy).sum()):+.1%}")
    print(f"  buy and hold  Sharpe {sharpe(hold):6.3f}  total {np.expm1(np.log1p(hold).sum()):+.1%}")

    pipeline.create_cv_splitter("purged")
    ablation = pipeline.run_ablation_study(X, y)
    rejected, adjusted = MultipleHypothesisCorrection.benjamini_hochberg(ablation["p_value"], alpha=0.05)
    print("\nablation (gradient boosting, purged 5-fold, ROC AUC lost without each family):")
    print(ablation[["features", "importance", "p_value", "p_adjusted"]].round(4).to_string())
    print(f"families significant after BH at 5%: {int(rejected.sum())} of {len(rejected)}")

    fig, axes = plt.subplots(3, 1, figsize=(10, 11))
    axes[0].plot((1 + strategy).cumprod(), label=f"ensemble, net of {COST_BPS:g} bps (Sharpe {sharpe(strategy):.2f})")
    axes[0].plot((1 + hold).cumprod(), label=f"buy and hold (Sharpe {sharpe(hold):.2f})")
    axes[0].set_title("Walk-forward replay of the regime-aware ensemble (out of sample)")
    axes[0].set_yscale("log")
    axes[0].legend()
    for name in results:
        axes[1].plot(decisions[f"weight_{name}"].rolling(21).mean(), label=name)
    axes[1].set_title("Arbitrator weight by strategy (21-bar mean)")
    axes[1].legend()
    axes[2].bar(ablation.index, ablation["importance"], color=["C2" if r else "C7" for r in rejected])
    axes[2].set_title("ROC AUC lost without each feature family (green: BH-significant)")
    axes[2].tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(out / "research_loop.png", dpi=80)

    last = list(results["gradient_boosting"]["models"])[-1]  # the latest walk-forward fit
    results["gradient_boosting"]["models"][last].export(out / f"{last}.tml")
    print(f"\nwrote {out / 'research_loop.png'} and {out / last}.tml (tickml predict --model)")


if __name__ == "__main__":
    main()
