//! The design's usage example in Rust: prepare data, choose a CV splitter, train every
//! model per fold, arbitrate them as strategies by regime on their out-of-fold
//! predictions, ablate the feature families, and print the regime-aware allocation
//! table. Every figure printed is out of sample and stands next to its baseline.
//!
//! cargo run --release --example ml_pipeline

use tickml_core::arbitrator::{Signal, StrategyFamily};
use tickml_core::FeatureConfig;
use tickml_train::data::load_bars;
use tickml_train::dataset::TargetType;
use tickml_train::ml::MLPipeline;
use tickml_train::models::{ModelConfig, ModelType};
use tickml_train::stats::ablation::family_groups;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bars: Vec<_> = load_bars("data/spx_daily.csv")?
        .into_iter()
        .map(|r| r.bar)
        .collect();
    let mut ml = MLPipeline::new(
        FeatureConfig::default(),
        ModelConfig {
            n_estimators: 50,
            ..ModelConfig::default()
        },
    );
    let data = ml.prepare_data(&bars, TargetType::Direction, 5)?;
    println!(
        "{} samples, {} scale-free inputs ({} level features left out)",
        data.len(),
        data.width(),
        data.dropped_level_features.len()
    );
    ml.create_cv_splitter("walk_forward")?;
    let types = [ModelType::GradientBoosting, ModelType::LogisticRegression];
    // the boosted trees trade like a momentum strategy, the logistic model like a trend follower
    let ensemble = ml.create_ensemble(
        &data,
        &[
            (types[0], StrategyFamily::Momentum),
            (types[1], StrategyFamily::TrendFollowing),
        ],
    )?;
    let tested: Vec<usize> = ensemble.decisions.iter().map(|(k, _)| *k).collect();
    let up_share =
        tested.iter().filter(|&&k| data.y[k] == 1.0).count() as f64 / tested.len() as f64;
    println!(
        "\nout of sample (walk-forward 504/63/21, purge 5): {} samples, {} to {}",
        tested.len(),
        stamp(data.timestamps[tested[0]]),
        stamp(data.timestamps[tested[tested.len() - 1]])
    );
    println!(
        "  {:<22} {:>9} {:>8} {:>9}",
        "model", "accuracy", "roc_auc", "log_loss"
    );
    for m in &ensemble.models {
        let s = &m.out_of_fold;
        println!(
            "  {:<22} {:>9.4} {:>8.4} {:>9.4}   ({} fold models: {}, ...)",
            m.model_type.name(),
            s.accuracy,
            s.roc_auc,
            s.log_loss,
            m.folds.len(),
            m.folds[0].0
        );
    }
    println!(
        "  {:<22} {:>9.4} {:>8.4}",
        "always long (baseline)", up_share, 0.5
    );
    // the arbitrated decision: how often a Long/Short call was right, against always long
    let calls: Vec<(usize, Signal)> = ensemble
        .decisions
        .iter()
        .filter(|(_, d)| d.signal != Signal::Neutral)
        .map(|(k, d)| (*k, d.signal))
        .collect();
    let right = calls
        .iter()
        .filter(|(k, s)| (*s == Signal::Long) == (data.y[*k] == 1.0))
        .count();
    let long_right = calls.iter().filter(|(k, _)| data.y[*k] == 1.0).count();
    println!(
        "  arbitrated signal: {} calls ({} neutral), hit rate {:.4}; always long on the same bars {:.4}",
        calls.len(),
        tested.len() - calls.len(),
        right as f64 / calls.len().max(1) as f64,
        long_right as f64 / calls.len().max(1) as f64
    );
    if let Some((k, result)) = ensemble.decisions.last() {
        println!(
            "\nlast decision ({}): {:?}, weighted signal {:.3} (weighted sum of strategies), confidence {:.3}, regime {:?}",
            stamp(data.timestamps[*k]),
            result.signal,
            result.weighted_signal,
            result.confidence,
            result.regime
        );
        let scores: Vec<Option<f64>> = result.strategy_breakdown.iter().map(|b| b.score).collect();
        println!("\nregime-aware allocation from the out-of-sample scores (weights by regime):");
        for (regime, weights) in ensemble.allocation_table(&scores) {
            let cells: Vec<String> = types
                .iter()
                .zip(&weights)
                .map(|(t, w)| format!("{}={:.2}", t.name(), w))
                .collect();
            println!("  {:<16} {}", regime.name(), cells.join("  "));
        }
    }
    ml.create_cv_splitter("purged")?;
    println!("\nablation (gradient boosting, purged CV, ROC AUC, Nadeau-Bengio corrected t-test):");
    for row in ml.run_ablation_study(
        &data,
        ModelType::GradientBoosting,
        &family_groups(&data.names),
    )? {
        println!(
            "  {:<16} importance {:+.4}  p {:.3}  p_bh {:.3}",
            row.group, row.importance, row.p_value, row.p_adjusted
        );
    }
    Ok(())
}

fn stamp(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns)
        .format("%Y-%m-%d")
        .to_string()
}
