//! Core hardening: impossible parameters are typed errors at construction (they used to
//! panic later, in debug, or compute nonsense), and long, hostile streams run through
//! `Pipeline::on_bar` without a panic or a NaN decision.

use tickml_core::arbitrator::{
    ArbitratorConfig, ArbitratorError, PerformanceTracker, StrategyArbitrator,
};
use tickml_core::indicators::{Atr, Bollinger, Dmi, Ema, Macd, Rsi};
use tickml_core::window::{Extreme, Moments, MonotonicDeque, PercentileRank, Rolling};
use tickml_core::Error;

#[test]
fn impossible_parameters_are_typed_errors() {
    let short =
        |field: &'static str, window: u16, min: u16| Error::WindowTooShort { field, window, min };
    assert_eq!(Dmi::<f64>::new(0).unwrap_err(), short("dmi period", 0, 2));
    assert!(Dmi::<f64>::new(14).is_ok());
    assert!(matches!(
        Macd::<f64>::new(26, 12, 9).unwrap_err(),
        Error::InvalidParameter { .. }
    ));
    assert!(Macd::<f64>::new(12, 12, 9).is_err());
    assert_eq!(
        Macd::<f64>::new(12, 26, 0).unwrap_err(),
        short("ema period", 0, 1)
    );
    assert_eq!(
        Rolling::<Moments<f64>>::new(0).unwrap_err(),
        short("rolling window", 0, 1)
    );
    assert_eq!(Ema::<f64>::new(0).unwrap_err(), short("ema period", 0, 1));
    assert_eq!(Atr::<f64>::new(0).unwrap_err(), short("atr period", 0, 1));
    assert_eq!(Rsi::<f64>::new(1).unwrap_err(), short("rsi period", 1, 2));
    assert!(Bollinger::<f64>::new(20, f64::NAN).is_err());
    assert!(Bollinger::<f64>::new(0, 2.0).is_err());
    assert_eq!(
        PerformanceTracker::<f64, 64>::new(0).unwrap_err(),
        short("performance lookback", 0, 1)
    );
    assert!(matches!(
        PerformanceTracker::<f64, 64>::new(64).unwrap_err(),
        Error::WindowTooLong { max: 63, .. }
    ));
    assert!(MonotonicDeque::<16>::new(16, Extreme::Max).is_err());
    assert!(MonotonicDeque::<16>::new(15, Extreme::Min).is_ok());
    assert!(PercentileRank::<16>::new(0).is_err());
    assert!(PercentileRank::<16>::new(16).is_err());
    let silent = ArbitratorConfig {
        silence_after: 0,
        ..ArbitratorConfig::default()
    };
    assert!(matches!(
        StrategyArbitrator::<f64, 4>::new(silent).unwrap_err(),
        ArbitratorError::BadConfig { .. }
    ));
}

/// `n` bars of a random walk with planted outliers through `Pipeline::on_bar`: prices
/// jumping to the 1e300 and 1e-300 scales and back, zero volume, gapped timestamps, and
/// repeated timestamps (refused, changing nothing). No panic, every decision finite,
/// and a snapshot restores to identical decisions at the end.
fn soak(n: u64) {
    use tickml_core::pipeline::Pipeline;
    use tickml_core::Bar;
    let bundle = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("stream-cli/assets/default_bundle.tml"),
    )
    .unwrap();
    let mut pipeline = Pipeline::<f64>::from_bundle(&bundle).unwrap();
    let mut rng = tickml_train::rng::XorShift64::new(0x5EED);
    let (mut t, mut close, mut refused) = (1_000_000_000_000_000_000i64, 100.0f64, 0u64);
    let next_bar = |rng: &mut tickml_train::rng::XorShift64, t: &mut i64, close: &mut f64| {
        let u = rng.uniform();
        *t += if u < 1e-4 {
            86_400_000_000_000 * 30
        } else {
            60_000_000_000
        };
        let z = (rng.uniform() - 0.5) * 0.02;
        *close *= z.exp();
        // planted price-scale jumps: to about 1e300 or 1e-300, and back
        if u > 1.0 - 2e-5 {
            *close = if *close > 1.0 { 1e-300 } else { 1e300 };
        } else if u > 1.0 - 4e-5 {
            *close = 100.0;
        }
        let spread = (rng.uniform() * 0.01).min(0.005);
        let volume = if rng.uniform() < 0.01 {
            0.0
        } else {
            rng.uniform() * 1e6
        };
        Bar::new(
            *t,
            *close,
            *close * (1.0 + spread),
            *close * (1.0 - spread),
            *close,
            volume,
        )
        .unwrap()
    };
    for i in 0..n {
        let bar = next_bar(&mut rng, &mut t, &mut close);
        if i % 10_007 == 0 {
            // a repeated timestamp: refused, state unchanged
            let repeat = Bar::new(
                t - 60_000_000_000 * (i % 2) as i64,
                close,
                close,
                close,
                close,
                1.0,
            )
            .unwrap();
            if i > 0 {
                pipeline.on_bar(&bar).unwrap();
                assert!(pipeline.on_bar(&repeat).is_err());
                refused += 1;
                continue;
            }
        }
        let d = pipeline.on_bar(&bar).unwrap();
        let a = &d.arbitration;
        let numbers = [
            a.confidence,
            a.weighted_signal,
            a.weighted_sum,
            a.signal_strength,
            a.consensus_ratio,
            a.regime_confidence,
        ];
        assert!(numbers.iter().all(|v| v.is_finite()), "bar {i}: {a:?}");
        assert!((0.0..=1.0).contains(&a.confidence));
        assert!(
            a.strategy_breakdown.iter().all(|b| b.weight.is_finite()
                && b.contribution.is_finite()
                && b.score.is_none_or(f64::is_finite)),
            "bar {i}: {a:?}"
        );
    }
    assert!(refused > 0);
    let mut buf = vec![0u8; 1 << 20];
    let snapshot = pipeline.snapshot(&mut buf).unwrap().to_vec();
    let mut restored = Pipeline::<f64>::from_bundle(&bundle).unwrap();
    restored.restore(&snapshot).unwrap();
    for _ in 0..2000 {
        let bar = next_bar(&mut rng, &mut t, &mut close);
        let (x, y) = (
            pipeline.on_bar(&bar).unwrap(),
            restored.on_bar(&bar).unwrap(),
        );
        assert_eq!(format!("{x:?}"), format!("{y:?}"));
    }
}

#[test]
fn a_short_hostile_stream() {
    soak(200_000);
}

/// Ten million bars: run by `.ci/run` in release (`cargo test --release --test
/// hardening -- --ignored`).
#[test]
#[ignore]
fn ten_million_hostile_bars() {
    soak(10_000_000);
}

/// The memory budget of one symbol's default feature engine: 32 KiB in f64 (the ring
/// buffers are 8 series x 256 bars x 8 bytes = 16 KiB of it).
#[test]
fn the_default_feature_engine_fits_32_kib() {
    use tickml_core::DefaultFeatureSet;
    let (f64_bytes, f32_bytes) = (
        std::mem::size_of::<DefaultFeatureSet<f64>>(),
        std::mem::size_of::<DefaultFeatureSet<f32>>(),
    );
    assert!(
        f64_bytes <= 32 * 1024,
        "DefaultFeatureSet<f64> is {f64_bytes} bytes"
    );
    assert!(
        f32_bytes < f64_bytes,
        "DefaultFeatureSet<f32> is {f32_bytes} bytes"
    );
}
