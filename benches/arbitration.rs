//! `arbitrator/process_16`: one bar of 16 strategies' signals through the arbitrator
//! (regime softmax, Sharpe over 63 bars, all windows warm). `regime/update`: one bar's
//! features through the rule detector and through the 3-state HMM filter.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tickml_core::arbitrator::{
    ArbitratorConfig, MarketContext, Signal, StrategyArbitrator, StrategyFamily, StrategyInfo,
    StrategySignal,
};
use tickml_core::regime::{
    HmmDetector, RegimeDetector, RegimeState, RegimeType, RuleConfig, RuleDetector,
};
use tickml_core::{DefaultFeatureSet, FeatureConfig};
use tickml_train::export::HmmSpec;

fn arbitrator(c: &mut Criterion) {
    let mut arb = StrategyArbitrator::<f64, 16, 128>::new(ArbitratorConfig::default()).unwrap();
    let families = [
        StrategyFamily::TrendFollowing,
        StrategyFamily::MeanReversion,
        StrategyFamily::Momentum,
        StrategyFamily::MlModel,
    ];
    for id in 0..16u32 {
        arb.register_strategy(
            id,
            StrategyInfo {
                family: families[id as usize % 4],
            },
        )
        .unwrap();
    }
    let mut t = 0i64;
    let mut rng = tickml_train::rng::XorShift64::new(0x9E37_79B9);
    let mut next = move || rng.uniform();
    let mut step = |arb: &mut StrategyArbitrator<f64, 16, 128>, t: i64| {
        let signals: [StrategySignal<f64>; 16] = std::array::from_fn(|id| StrategySignal {
            strategy_id: id as u32,
            timestamp: t,
            signal: if next() < 0.5 {
                Signal::Long
            } else {
                Signal::Short
            },
            confidence: next(),
            expected_return: 0.0,
            volatility: 0.01,
            regime: None,
        });
        let market = MarketContext {
            vol_regime: 0.5,
            trend_strength: 0.3,
            regime: RegimeState::certain(RegimeType::ALL[(t % 7) as usize]),
        };
        let r = (next() - 0.5) * 0.02;
        black_box(
            arb.process_signals(black_box(&signals), &market, r)
                .unwrap()
                .weighted_signal,
        )
    };
    for _ in 0..200 {
        t += 1;
        step(&mut arb, t);
    }
    c.bench_function("arbitrator/process_16", |b| {
        b.iter(|| {
            t += 1;
            step(&mut arb, t)
        })
    });
}

fn regime(c: &mut Criterion) {
    let mut set = DefaultFeatureSet::<f64>::new(FeatureConfig::default()).unwrap();
    let bars =
        tickml_train::data::load_bars(concat!(env!("CARGO_MANIFEST_DIR"), "/data/spx_daily.csv"))
            .unwrap();
    let rows: Vec<Vec<f64>> = bars
        .iter()
        .map(|r| set.update(&r.bar).unwrap().values().to_vec())
        .collect();
    let mut rules = RuleDetector::<f64>::new(RuleConfig::default(), set.schema()).unwrap();
    let mut i = 0;
    c.bench_function("regime/update", |b| {
        b.iter(|| {
            i = (i + 1) % rows.len();
            black_box(rules.update(black_box(&rows[i])).confidence)
        })
    });
    let spec = HmmSpec {
        feature_names: vec!["logret_5".into(), "rvol_20".into()],
        start: vec![0.5, 0.3, 0.2],
        transition: vec![
            vec![0.98, 0.01, 0.01],
            vec![0.02, 0.96, 0.02],
            vec![0.01, 0.04, 0.95],
        ],
        means: vec![vec![0.004, 0.006], vec![0.0, 0.011], vec![-0.01, 0.025]],
        variances: vec![vec![1e-4, 4e-6], vec![4e-4, 1e-5], vec![1e-3, 1e-4]],
        regimes: vec![
            RegimeType::BullTrend,
            RegimeType::Ranging,
            RegimeType::Crisis,
        ],
    };
    let blob = spec.to_blob(0).unwrap();
    let mut hmm = HmmDetector::<f64>::new(&blob, set.schema()).unwrap();
    c.bench_function("regime/update_hmm", |b| {
        b.iter(|| {
            i = (i + 1) % rows.len();
            black_box(hmm.update(black_box(&rows[i])).confidence)
        })
    });
}

criterion_group!(benches, arbitrator, regime);
criterion_main!(benches);
