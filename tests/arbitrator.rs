//! The StrategyArbitrator: hand-computed weights, silencing with hysteresis, the
//! confidence formula, refused inputs that change nothing, and invariants by proptest.

use proptest::prelude::*;
use tickml_core::arbitrator::{
    ArbitratorConfig, ArbitratorError, MarketContext, PerformanceMetric, PerformanceTracker,
    Signal, SignalSource, StrategyArbitrator, StrategyFamily, StrategyInfo, StrategySignal,
    Weighting, DEFAULT_MULTIPLIERS, FILLED_MULTIPLIERS,
};
use tickml_core::model::Link;
use tickml_core::regime::{RegimeState, RegimeType};
use tickml_train::export::LinearSpec;

type Arb = StrategyArbitrator<f64, 16, 128>;

fn market(regime: RegimeType, confidence: f64) -> MarketContext<f64> {
    let mut state = RegimeState::certain(regime);
    state.confidence = confidence;
    MarketContext {
        vol_regime: 0.5,
        trend_strength: 0.3,
        regime: state,
    }
}

fn signal(id: u32, t: i64, s: Signal, confidence: f64) -> StrategySignal<f64> {
    StrategySignal {
        strategy_id: id,
        timestamp: t,
        signal: s,
        confidence,
        expected_return: 0.0,
        volatility: 0.0,
        regime: None,
    }
}

fn two_strategies(weighting: Weighting) -> Arb {
    let config = ArbitratorConfig {
        lookback: 4,
        min_history: 2,
        metric: PerformanceMetric::Return,
        weighting,
        ..Default::default()
    };
    let mut arb = Arb::new(config).unwrap();
    arb.register_strategy(
        1,
        StrategyInfo {
            family: StrategyFamily::TrendFollowing,
        },
    )
    .unwrap();
    arb.register_strategy(
        2,
        StrategyInfo {
            family: StrategyFamily::MeanReversion,
        },
    )
    .unwrap();
    arb
}

fn bars(arb: &mut Arb, returns: &[f64]) -> tickml_core::arbitrator::ArbitrationResult<f64, 16> {
    bars_in(arb, returns, RegimeType::BullTrend)
}

fn bars_in(
    arb: &mut Arb,
    returns: &[f64],
    regime: RegimeType,
) -> tickml_core::arbitrator::ArbitrationResult<f64, 16> {
    let mut last = None;
    for (t, &r) in returns.iter().enumerate() {
        let s = [
            signal(1, t as i64, Signal::Long, 0.8),
            signal(2, t as i64, Signal::Short, 0.6),
        ];
        last = Some(arb.process_signals(&s, &market(regime, 0.9), r).unwrap());
    }
    last.unwrap()
}

/// The design document's multipliers, typed from its text (trend following: bull 1.5,
/// bear 1.3, trending 1.4, ranging 0.5, high volatility 0.7, crisis 0.3; mean
/// reversion: ranging 1.5, low volatility 1.4, bull 0.6, bear 0.5, trending 0.4,
/// crisis 0.2; 1.0 where it gives none), regime order bull, bear, trending, ranging,
/// high vol, low vol, crisis.
const DESIGN_TREND: [f64; 7] = [1.5, 1.3, 1.4, 0.5, 0.7, 1.0, 0.3];
const DESIGN_REVERSION: [f64; 7] = [0.6, 0.5, 0.4, 1.5, 1.0, 1.4, 0.2];

/// Two-strategy softmax weight of strategy 1 from the closed form.
fn softmax_first(a: f64, b: f64) -> f64 {
    1.0 / (1.0 + (b - a).exp())
}

/// Scores +0.005 (trend follower) and -0.005 (mean reverter) as in the test below; in
/// every regime the weights are the softmax of score x the design's multiplier, both
/// with the design's softmax (no temperature) and with the default temperature 0.1.
#[test]
fn design_multipliers_and_softmax_in_every_regime() {
    for (k, regime) in RegimeType::ALL.iter().enumerate() {
        let (m1, m2) = (DESIGN_TREND[k], DESIGN_REVERSION[k]);
        for (weighting, temperature) in [
            (Weighting::DESIGN_SOFTMAX, 1.0),
            (Weighting::RegimeSoftmax { temperature: 0.1 }, 0.1),
        ] {
            let mut arb = two_strategies(weighting);
            let r = bars_in(&mut arb, &[0.0, 0.01], *regime);
            let expected = softmax_first(0.005 * m1 / temperature, -0.005 * m2 / temperature);
            let w = r.strategy_breakdown[0].weight;
            assert!(
                (w - expected).abs() < 1e-12,
                "{regime:?} at temperature {temperature}: {w} vs {expected}"
            );
        }
    }
    // the design's softmax hardly moves away from equal weights on per-bar scores
    let mut arb = two_strategies(Weighting::DESIGN_SOFTMAX);
    let w = bars(&mut arb, &[0.0, 0.01]).strategy_breakdown[0].weight;
    assert!((w - 0.5).abs() < 0.01, "{w}");
}

/// The preset that was the default before the design's table: one regime (crisis)
/// where it differs, by hand: 0.6 and 0.4 at temperature 0.01.
#[test]
fn the_filled_preset_is_a_named_option() {
    let config = ArbitratorConfig {
        lookback: 4,
        min_history: 2,
        metric: PerformanceMetric::Return,
        weighting: Weighting::RegimeSoftmax { temperature: 0.01 },
        multipliers: FILLED_MULTIPLIERS,
        ..Default::default()
    };
    let mut arb = Arb::new(config).unwrap();
    for (id, family) in [
        (1, StrategyFamily::TrendFollowing),
        (2, StrategyFamily::MeanReversion),
    ] {
        arb.register_strategy(id, StrategyInfo { family }).unwrap();
    }
    let w = bars_in(&mut arb, &[0.0, 0.01], RegimeType::Crisis).strategy_breakdown[0].weight;
    let expected = softmax_first(0.005 * 0.6 / 0.01, -0.005 * 0.4 / 0.01);
    assert!((w - expected).abs() < 1e-12, "{w} vs {expected}");
}

/// Strategy 1 (trend following) is always long, 2 (mean reversion) always short.
/// Market returns 0 then +1%: realised returns are [0, +0.01] and [0, -0.01], so the
/// Return scores are +0.005 and -0.005. In a bull trend the multipliers are 1.5 and 0.6;
/// with temperature 0.01 the softmax inputs are 0.75 and -0.3, so
/// w1 = 1 / (1 + e^-1.05) = 0.740774899182154 and w2 = 0.259225100817846.
/// weighted = 0.7408 x 0.8 - 0.2592 x 0.6 = 0.43708485885501563 -> Long; consensus 1/2;
/// confidence = 0.4 x 0.43708 + 0.2 x 0.7 + 0.2 x 0.5 + 0.2 x 0.9 = 0.5948339435420062.
#[test]
fn softmax_weights_and_confidence_by_hand() {
    let mut arb = two_strategies(Weighting::RegimeSoftmax { temperature: 0.01 });
    let r = bars(&mut arb, &[0.0, 0.01]);
    let b = &r.strategy_breakdown;
    assert!(
        (b[0].weight - 0.740774899182154).abs() < 1e-12,
        "{}",
        b[0].weight
    );
    assert!((b[1].weight - 0.259225100817846).abs() < 1e-12);
    assert!(
        (b[0].score.unwrap() - 0.005).abs() < 1e-15 && (b[1].score.unwrap() + 0.005).abs() < 1e-15
    );
    assert!((r.weighted_signal - 0.43708485885501563).abs() < 1e-12);
    assert_eq!(r.signal, Signal::Long);
    assert_eq!(r.consensus_ratio, 0.5);
    assert_eq!(r.n_active_strategies, 2);
    assert!((r.confidence - 0.5948339435420062).abs() < 1e-12);
    assert!((r.signal_strength - r.weighted_signal.abs()).abs() < 1e-15);
    assert_eq!(
        (r.regime, r.regime_confidence),
        (RegimeType::BullTrend, 0.9)
    );
}

/// Hedge with eta 10 and share 0.1 from (1/2, 1/2): after a 0 bar the weights stay 1/2;
/// after the +1% bar w1 ∝ 0.5 e^0.1, w2 ∝ 0.5 e^-0.1, normalised and mixed:
/// w1 = 0.9 x e^0.1 / (e^0.1 + e^-0.1) + 0.05 = 0.5448505975812302. Active weights scale
/// by the multipliers 1.5 and 0.6: 0.81728 / (0.81728 + 0.27309) = 0.7495430367356622.
#[test]
fn fixed_share_hedge_by_hand() {
    let mut arb = two_strategies(Weighting::FixedShareHedge {
        eta: 10.0,
        share: 0.1,
    });
    let r = bars(&mut arb, &[0.0, 0.01]);
    assert!(
        (r.strategy_breakdown[0].weight - 0.7495430367356622).abs() < 1e-12,
        "{}",
        r.strategy_breakdown[0].weight
    );
    assert!((r.strategy_breakdown[1].weight - 0.2504569632643378).abs() < 1e-12);
}

/// A 100x bad tick (market return +99, so `eta r` = 990 > 709) once overflowed the
/// linear-space weights into NaN for ever; in log space the weights stay finite, the
/// loser of that bar keeps its Fixed-Share floor, and ordinary bars bring it back.
#[test]
fn hedge_weights_survive_a_bad_tick_and_recover() {
    let mut arb = two_strategies(Weighting::FixedShareHedge {
        eta: 10.0,
        share: 0.05,
    });
    // strategy 1 long, 2 short: the bad tick is a huge win for 1
    let r = bars(&mut arb, &[0.0, 99.0]);
    let w: Vec<f64> = r.strategy_breakdown.iter().map(|b| b.weight).collect();
    assert!(w.iter().all(|v| v.is_finite()), "{w:?}");
    // hedge weights (1 - 0.05) + 0.025 and 0.025, times the bull multipliers 1.5 and 0.6
    let expected = 0.975 * 1.5 / (0.975 * 1.5 + 0.025 * 0.6);
    assert!((w[0] - expected).abs() < 1e-12, "{w:?}");
    // then the market falls every bar: the short strategy earns its weight back
    let mut last = r;
    for t in 2..80 {
        let s = [
            signal(1, t, Signal::Long, 0.8),
            signal(2, t, Signal::Short, 0.6),
        ];
        last = arb
            .process_signals(&s, &market(RegimeType::BullTrend, 0.9), -0.01)
            .unwrap();
        assert!(last.strategy_breakdown.iter().all(|b| b.weight.is_finite()));
    }
    // from 1 - expected (about 0.01) right after the tick to the larger weight, even
    // against the bull-trend multipliers that favour strategy 1
    let b = &last.strategy_breakdown;
    assert!(1.0 - expected < 0.02 && b[1].weight > 0.7, "{b:?}");
}

/// Exposure per regime scales the final decision (here 0.3 in a crisis), which no
/// multiplier can do under the softmax: multipliers of 0 for everyone still leave the
/// weights summing to 1. Exposure 0 makes the decision Neutral; the default (1.0) is the
/// design's behaviour.
#[test]
fn exposure_cuts_everyone_and_multipliers_cannot() {
    let run = |exposure: f64, multipliers: Option<[[f64; 7]; 6]>| {
        let mut config = ArbitratorConfig {
            lookback: 4,
            min_history: 2,
            metric: PerformanceMetric::Return,
            weighting: Weighting::RegimeSoftmax { temperature: 0.01 },
            ..Default::default()
        };
        config.exposure[RegimeType::Crisis.index()] = exposure;
        if let Some(m) = multipliers {
            config.multipliers = m;
        }
        let mut arb = Arb::new(config).unwrap();
        for (id, family) in [
            (1, StrategyFamily::TrendFollowing),
            (2, StrategyFamily::MeanReversion),
        ] {
            arb.register_strategy(id, StrategyInfo { family }).unwrap();
        }
        bars_in(&mut arb, &[0.0, 0.01], RegimeType::Crisis)
    };
    let full = run(1.0, None);
    let cut = run(0.3, None);
    assert!((cut.weighted_signal - 0.3 * full.weighted_signal).abs() < 1e-15);
    assert!((cut.signal_strength - cut.weighted_signal.abs()).abs() < 1e-15);
    assert_eq!(
        cut.weighted_sum, full.weighted_sum,
        "the weights are untouched"
    );
    let off = run(0.0, None);
    assert_eq!((off.signal, off.weighted_signal), (Signal::Neutral, 0.0));
    // multipliers of 0 do not exclude anyone: both weights stay 1/2
    let zero = run(1.0, Some([[0.0; 7]; 6]));
    assert!(zero
        .strategy_breakdown
        .iter()
        .all(|b| (b.weight - 0.5).abs() < 1e-15));
    let bad = ArbitratorConfig {
        exposure: [1.5; 7],
        ..Default::default()
    };
    assert!(Arb::new(bad).is_err());
}

/// The design's `get_strategy_summary()`: per strategy its family, weight, score,
/// state, bars silenced, recent Sharpe and return, and last signal and confidence. The
/// realised returns are [0, +0.01] and [0, -0.01]: mean +-0.005, sample sd 0.00707,
/// Sharpe +-0.7071.
#[test]
fn the_strategy_summary_by_hand() {
    let mut arb = two_strategies(Weighting::RegimeSoftmax { temperature: 0.01 });
    let r = bars(&mut arb, &[0.0, 0.01]);
    let summary = arb.strategy_summary();
    assert_eq!(summary.len(), 2);
    let (a, b) = (&summary[0], &summary[1]);
    assert_eq!(
        (a.strategy_id, a.family, b.family),
        (
            1,
            StrategyFamily::TrendFollowing,
            StrategyFamily::MeanReversion
        )
    );
    assert_eq!(a.weight, r.strategy_breakdown[0].weight);
    assert_eq!((a.signal, a.confidence), (Signal::Long, 0.8));
    assert_eq!((b.signal, b.confidence), (Signal::Short, 0.6));
    assert!((a.recent_return.unwrap() - 0.005).abs() < 1e-15);
    let sharpe = 0.005 / (0.00005f64).sqrt();
    assert!((a.recent_sharpe.unwrap() - sharpe).abs() < 1e-12);
    assert!((b.recent_sharpe.unwrap() + sharpe).abs() < 1e-12);
    assert_eq!(a.score, r.strategy_breakdown[0].score);
    assert!(a.active && !a.silenced && a.bars_silenced == 0);
}

#[test]
fn losers_are_silenced_and_come_back_only_above_the_higher_threshold() {
    let config = ArbitratorConfig {
        lookback: 4,
        min_history: 2,
        metric: PerformanceMetric::Return,
        silence_below: -0.001,
        silence_after: 3,
        revive_above: 0.002,
        ..Default::default()
    };
    let mut arb = Arb::new(config).unwrap();
    arb.register_strategy(
        7,
        StrategyInfo {
            family: StrategyFamily::Momentum,
        },
    )
    .unwrap();
    let mut run = |t: i64, r: f64| {
        arb.process_signals(
            &[signal(7, t, Signal::Long, 1.0)],
            &market(RegimeType::Ranging, 0.5),
            r,
        )
        .unwrap()
    };
    // returns of the long position: 0, then -1% each bar; scores (mean over up to 4):
    // bar 1: -0.005 (bad 1), bar 2: -0.00667 (bad 2), bar 3: -0.0075 (bad 3 -> silenced)
    assert!(!run(0, 0.0).strategy_breakdown[0].silenced);
    assert!(!run(1, -0.01).strategy_breakdown[0].silenced);
    assert!(!run(2, -0.01).strategy_breakdown[0].silenced);
    let silenced = run(3, -0.01);
    assert!(silenced.strategy_breakdown[0].silenced);
    // every strategy silenced: Neutral with confidence 0 and weight 0
    assert_eq!(
        (
            silenced.signal,
            silenced.confidence,
            silenced.n_active_strategies
        ),
        (Signal::Neutral, 0.0, 0)
    );
    assert_eq!(silenced.strategy_breakdown[0].weight, 0.0);
    // its (still tracked) long returns recover: mean 0.0 is above -0.001 but not above
    // 0.002, so it stays silenced; a mean of +0.0025 brings it back
    let r = run(4, 0.01); // window [-0.01, -0.01, -0.01, 0.01] mean -0.005
    assert!(r.strategy_breakdown[0].silenced);
    assert_eq!(arb.strategy_summary()[0].bars_silenced, 2);
    let mut run = |t: i64, r: f64| {
        arb.process_signals(
            &[signal(7, t, Signal::Long, 1.0)],
            &market(RegimeType::Ranging, 0.5),
            r,
        )
        .unwrap()
    };
    let r = run(5, 0.02); // [-0.01, -0.01, 0.01, 0.02] mean 0.0025
    assert!(
        !r.strategy_breakdown[0].silenced,
        "{:?}",
        r.strategy_breakdown[0]
    );
    assert_eq!(arb.strategy_summary()[0].bars_silenced, 0);
}

#[test]
fn refused_inputs_change_nothing() {
    let mut arb = two_strategies(Weighting::RegimeSoftmax { temperature: 0.1 });
    bars(&mut arb, &[0.0, 0.01, -0.02]);
    let before = arb.clone();
    let m = market(RegimeType::Trending, 0.5);
    let cases: [(Vec<StrategySignal<f64>>, f64, ArbitratorError); 7] = [
        (
            vec![signal(9, 10, Signal::Long, 0.5)],
            0.0,
            ArbitratorError::UnknownStrategy { id: 9 },
        ),
        (
            vec![signal(1, 10, Signal::Long, 1.5)],
            0.0,
            ArbitratorError::ConfidenceOutOfRange { id: 1 },
        ),
        (
            vec![signal(1, 10, Signal::Long, f64::NAN)],
            0.0,
            ArbitratorError::ConfidenceOutOfRange { id: 1 },
        ),
        (
            vec![signal(1, 1, Signal::Long, 0.5)],
            0.0,
            ArbitratorError::TimestampNotIncreasing {
                previous: 2,
                got: 1,
            },
        ),
        (
            // the same bar twice would count its return twice
            vec![signal(1, 2, Signal::Long, 0.5)],
            0.0,
            ArbitratorError::TimestampNotIncreasing {
                previous: 2,
                got: 2,
            },
        ),
        (
            vec![
                signal(1, 10, Signal::Long, 0.5),
                signal(1, 10, Signal::Short, 0.5),
            ],
            0.0,
            ArbitratorError::DuplicateSignal { id: 1 },
        ),
        (
            vec![signal(1, 10, Signal::Long, 0.5)],
            f64::INFINITY,
            ArbitratorError::NonFinite {
                what: "market_return",
            },
        ),
    ];
    for (signals, r, want) in cases {
        assert_eq!(arb.process_signals(&signals, &m, r).unwrap_err(), want);
        assert!(arb == before, "state changed after {want:?}");
    }
    assert_eq!(
        arb.register_strategy(
            1,
            StrategyInfo {
                family: StrategyFamily::Other
            }
        ),
        Err(ArbitratorError::DuplicateStrategy { id: 1 })
    );
    let mut small = StrategyArbitrator::<f64, 1, 128>::new(ArbitratorConfig::default()).unwrap();
    small
        .register_strategy(
            1,
            StrategyInfo {
                family: StrategyFamily::Other,
            },
        )
        .unwrap();
    assert_eq!(
        small.register_strategy(
            2,
            StrategyInfo {
                family: StrategyFamily::Other
            }
        ),
        Err(ArbitratorError::RegistryFull { capacity: 1 })
    );
}

#[test]
fn meta_learner_produces_the_weighted_signal() {
    let mut arb = two_strategies(Weighting::RegimeSoftmax { temperature: 0.1 });
    // the design's `_create_meta_features` names and order, interleaved per strategy
    let names = [
        "volatility_regime",
        "trend_strength",
        "signal_1",
        "interaction_1_volatility_regime",
        "interaction_1_trend_strength",
        "signal_2",
        "interaction_2_volatility_regime",
        "interaction_2_trend_strength",
    ];
    let coefficients = vec![0.1, -0.2, 0.3, 0.05, 0.2, 0.25, -0.1, 0.15];
    let spec = LinearSpec {
        feature_names: names.iter().map(|s| s.to_string()).collect(),
        link: Link::Identity,
        intercept: 0.01,
        coefficients,
    };
    arb.set_meta_learner(&spec.to_blob(0).unwrap()).unwrap();
    // signals +1 and -1, vol_regime 0.5, trend 0.3:
    // 0.01 + 0.1*0.5 - 0.2*0.3 + 0.3*1 + 0.25*(-1) + 0.05*0.5 - 0.1*(-0.5) + 0.2*0.3 + 0.15*(-0.3) = 0.14
    let r = bars(&mut arb, &[0.0]);
    assert!(
        (r.weighted_signal - 0.14).abs() < 1e-12,
        "{}",
        r.weighted_signal
    );
    assert_eq!(r.signal, Signal::Long);
    assert_eq!(r.signal_source, SignalSource::MetaLearner);
    assert_eq!(r.meta_signal, Some(r.weighted_signal));
    // the weighted sum is reported beside it and is what the contributions add up to:
    // no scores yet, so equal weights: 0.5 x 0.8 - 0.5 x 0.6 = 0.1
    let b = &r.strategy_breakdown;
    assert!((r.weighted_sum - 0.1).abs() < 1e-12, "{}", r.weighted_sum);
    let sum: f64 = b.iter().map(|x| x.contribution).sum();
    assert!((sum - r.weighted_sum).abs() < 1e-15);
    // each entry carries its own signal and confidence, so the confidence formula can be
    // checked from the decision alone: 0.4 |0.14| + 0.2 x 0.7 + 0.2 x 1/2 + 0.2 x 0.9
    assert_eq!((b[0].signal, b[0].confidence), (Signal::Long, 0.8));
    assert_eq!((b[1].signal, b[1].confidence), (Signal::Short, 0.6));
    assert!((r.confidence - (0.4 * 0.14 + 0.2 * 0.7 + 0.2 * 0.5 + 0.2 * 0.9)).abs() < 1e-12);
    // without a meta-learner the weighted sum drives the signal
    let mut plain = two_strategies(Weighting::RegimeSoftmax { temperature: 0.1 });
    let r = bars(&mut plain, &[0.0]);
    assert_eq!(r.signal_source, SignalSource::WeightedSum);
    assert_eq!((r.meta_signal, r.weighted_signal), (None, r.weighted_sum));
    // a blob whose features do not match the strategies is refused, naming the first
    let wrong = LinearSpec {
        feature_names: vec!["volatility_regime".into()],
        link: Link::Identity,
        intercept: 0.0,
        coefficients: vec![1.0],
    };
    assert!(arb.set_meta_learner(&wrong.to_blob(0).unwrap()).is_err());
}

fn arb_signal() -> impl Strategy<Value = (u8, f64, bool)> {
    (0u8..3, 0.0f64..=1.0, any::<bool>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn invariants(steps in prop::collection::vec((prop::collection::vec(arb_signal(), 8), -0.05f64..0.05, 0usize..7, 0.0f64..=1.0), 1..120), hedge in any::<bool>()) {
        let weighting = if hedge { Weighting::FixedShareHedge { eta: 5.0, share: 0.05 } } else { Weighting::RegimeSoftmax { temperature: 0.1 } };
        let config = ArbitratorConfig { lookback: 10, min_history: 3, silence_after: 2, weighting, ..Default::default() };
        let mut a = StrategyArbitrator::<f64, 8, 16>::new(config).unwrap();
        for id in 0..8u32 {
            let info = StrategyInfo { family: [StrategyFamily::TrendFollowing, StrategyFamily::MeanReversion, StrategyFamily::Volatility][id as usize % 3] };
            a.register_strategy(id, info).unwrap();
        }
        for (t, (sigs, r, regime, rc)) in steps.iter().enumerate() {
            let signals: Vec<StrategySignal<f64>> = sigs.iter().enumerate().filter(|(_, s)| s.2).map(|(id, (dir, c, _))| {
                signal(id as u32, t as i64, [Signal::Long, Signal::Short, Signal::Neutral][*dir as usize], *c)
            }).collect();
            let m = market(RegimeType::ALL[*regime], *rc);
            let x = a.process_signals(&signals, &m, *r).unwrap();
            prop_assert!(x.confidence >= 0.0 && x.confidence <= 1.0);
            prop_assert!(x.weighted_signal >= -1.0 && x.weighted_signal <= 1.0);
            let active: f64 = x.strategy_breakdown.iter().filter(|s| s.active).map(|s| s.weight).sum();
            if x.n_active_strategies > 0 {
                prop_assert!((active - 1.0).abs() < 1e-9, "active weights sum to {}", active);
            }
            for s in &x.strategy_breakdown {
                if s.silenced || !s.active {
                    prop_assert_eq!(s.weight, 0.0);
                }
            }
            // the contributions explain the weighted sum
            let sum: f64 = x.strategy_breakdown.iter().map(|s| s.contribution).sum();
            prop_assert!((sum - x.weighted_sum).abs() < 1e-12);
            // softmax weights recomputed from the reported scores and the design's table
            if !hedge && x.n_active_strategies > 0 {
                let raw: Vec<(usize, f64)> = x.strategy_breakdown.iter().enumerate().filter(|(_, s)| s.active).map(|(id, s)| {
                    let family = [0, 1, 3][id % 3];
                    (id, s.score.unwrap_or(0.0) * DEFAULT_MULTIPLIERS[family][*regime] / 0.1)
                }).collect();
                let max = raw.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max);
                let total: f64 = raw.iter().map(|r| (r.1 - max).exp()).sum();
                for (id, v) in raw {
                    let w = (v - max).exp() / total;
                    prop_assert!((x.strategy_breakdown[id].weight - w).abs() < 1e-12);
                }
            }
        }
    }
}

/// Each metric of the rolling tracker against a naive recomputation over the last
/// `min(seen, lookback)` returns: mean, sample Sharpe, Sortino over the downside
/// deviation `sqrt(mean(min(r, 0)^2))`, and the hit rate; returns include zeros, runs of
/// gains (no downside) and long stretches past the window.
#[test]
fn performance_metrics_match_a_naive_window() {
    let lookback = 20u16;
    let mut tracker = PerformanceTracker::<f64, 64>::new(lookback).unwrap();
    let mut seen: Vec<f64> = Vec::new();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..2_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let r = match i % 300 {
            0..40 => 0.01 * u.abs(), // gains only: no downside
            40..45 => 0.0,           // flat
            _ => 0.02 * u,
        };
        tracker.push(r);
        seen.push(r);
        let w = &seen[seen.len().saturating_sub(usize::from(lookback))..];
        let n = w.len() as f64;
        let mean = w.iter().sum::<f64>() / n;
        let close = |got: Option<f64>, want: f64, what: &str| {
            let got = got.unwrap_or_else(|| panic!("{what} at {i}: no score"));
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1e-12),
                "{what} at {i}: {got} vs {want}"
            );
        };
        if w.len() < 2 {
            assert_eq!(tracker.score(PerformanceMetric::Return, 1), None);
            continue;
        }
        close(tracker.score(PerformanceMetric::Return, 2), mean, "return");
        let sd = (w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let sharpe = if sd > 1e-12 { mean / sd } else { 0.0 };
        if sd > 1e-12 || sd == 0.0 {
            close(
                tracker.score(PerformanceMetric::Sharpe, 2),
                sharpe,
                "sharpe",
            );
        }
        let downside = (w.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
        let sortino = if downside > 0.0 { mean / downside } else { 0.0 };
        close(
            tracker.score(PerformanceMetric::Sortino, 2),
            sortino,
            "sortino",
        );
        let wins = w.iter().filter(|&&x| x > 0.0).count() as f64;
        close(
            tracker.score(PerformanceMetric::HitRate, 2),
            wins / n,
            "hit rate",
        );
    }
}
