use core::fmt;

use crate::model::ModelError;

/// Everything the arbitrator refuses; a refused call changes no state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArbitratorError {
    /// A strategy id registered twice.
    DuplicateStrategy {
        /// The id.
        id: u32,
    },
    /// The registry holds `S` strategies already.
    RegistryFull {
        /// `S`.
        capacity: usize,
    },
    /// A signal from an id that was never registered.
    UnknownStrategy {
        /// The id.
        id: u32,
    },
    /// Two signals from one strategy in one call.
    DuplicateSignal {
        /// The id.
        id: u32,
    },
    /// A confidence outside [0, 1], or NaN.
    ConfidenceOutOfRange {
        /// The strategy.
        id: u32,
    },
    /// A timestamp not after the last processed one (a repeat would count one bar twice).
    TimestampNotIncreasing {
        /// Last processed (unix ns).
        previous: i64,
        /// Refused (unix ns).
        got: i64,
    },
    /// The signals of one call carry different timestamps.
    MixedTimestamps {
        /// The first signal's timestamp.
        first: i64,
    },
    /// A market input is not finite or out of range.
    NonFinite {
        /// Which input.
        what: &'static str,
    },
    /// The configuration is inconsistent.
    BadConfig {
        /// What is wrong.
        what: &'static str,
    },
    /// The meta-learner blob is unusable.
    MetaLearner(ModelError),
}

impl fmt::Display for ArbitratorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ArbitratorError::*;
        match self {
            DuplicateStrategy { id } => write!(f, "strategy {id} is already registered"),
            RegistryFull { capacity } => write!(f, "the registry is full ({capacity} strategies)"),
            UnknownStrategy { id } => write!(f, "unknown strategy {id}"),
            DuplicateSignal { id } => write!(f, "two signals from strategy {id} in one call"),
            ConfidenceOutOfRange { id } => write!(f, "strategy {id}: confidence must be in [0, 1]"),
            TimestampNotIncreasing { previous, got } => {
                write!(f, "timestamp {got} is not after {previous}")
            }
            MixedTimestamps { first } => {
                write!(f, "signals of one call must share a timestamp ({first})")
            }
            NonFinite { what } => write!(f, "{what} is not a finite number in range"),
            BadConfig { what } => write!(f, "bad arbitrator configuration: {what}"),
            MetaLearner(e) => write!(f, "meta-learner: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ArbitratorError {}
