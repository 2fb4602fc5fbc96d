//! The seed's usage example in Rust: prepare data, choose a CV splitter, train models,
//! arbitrate them as strategies by regime, ablate the feature families, and print the
//! regime-aware allocation table.
//!
//! cargo run --release --example ml_pipeline

use tickml_core::arbitrator::{MarketContext, StrategyFamily};
use tickml_core::regime::{RegimeDetector, RuleConfig, RuleDetector};
use tickml_core::{DefaultFeatureSet, FeatureConfig};
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
    println!("{} samples, {} features", data.len(), data.width());
    ml.create_cv_splitter("walk_forward")?;
    let types = [ModelType::GradientBoosting, ModelType::LogisticRegression];
    // the boosted trees trade like a momentum strategy, the logistic model like a trend follower
    let mut ensemble = ml.create_ensemble(
        &data,
        &[
            (types[0], StrategyFamily::Momentum),
            (types[1], StrategyFamily::TrendFollowing),
        ],
    )?;

    // replay the history through the ensemble, bar by bar
    let mut features = DefaultFeatureSet::<f64>::new(FeatureConfig::default())?;
    let mut detector = RuleDetector::<f64>::new(RuleConfig::default(), features.schema())?;
    let (vol, trend) = (
        features.schema().index_of("vol_regime").unwrap_or(0),
        features.schema().index_of("trend_strength_20").unwrap_or(0),
    );
    let mut last = None;
    for (k, &i) in data.labels.t0.iter().enumerate() {
        while features.bars_seen() <= i as u64 {
            let f = features.update(&bars[features.bars_seen() as usize])?;
            detector.update(f.values());
        }
        let f = features.features().values();
        let market = MarketContext {
            vol_regime: f[vol],
            trend_strength: f[trend],
            regime: detector.state(),
        };
        let r = if i > 0 {
            bars[i].close() / bars[i - 1].close() - 1.0
        } else {
            0.0
        };
        last = Some(ensemble.process_signals(bars[i].timestamp(), data.row(k), &market, r)?);
    }
    if let Some(result) = &last {
        println!(
            "last decision: {:?} weighted {:.3} confidence {:.3} in {:?}",
            result.signal, result.weighted_signal, result.confidence, result.regime
        );
        let scores: Vec<Option<f64>> = result.strategy_breakdown.iter().map(|b| b.score).collect();
        println!("\nregime-aware allocation (weights by regime):");
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
    println!("\nablation (gradient boosting, purged CV):");
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
