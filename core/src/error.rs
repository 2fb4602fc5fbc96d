//! The core's error type.

use core::fmt;

/// Everything the core can refuse. Each variant names what is wrong; nothing that
/// returns an `Err` has changed any state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// A bar field is NaN or infinite.
    NonFinite {
        /// The field: `open`, `high`, `low`, `close` or `volume`.
        field: &'static str,
    },
    /// A price is zero or negative.
    NonPositivePrice {
        /// The field: `open`, `high`, `low` or `close`.
        field: &'static str,
    },
    /// The volume is negative.
    NegativeVolume,
    /// `high < low`.
    HighBelowLow,
    /// `open` or `close` lies outside `[low, high]`.
    OutsideRange {
        /// The field: `open` or `close`.
        field: &'static str,
    },
    /// A bar's timestamp is not after the previous bar's.
    TimestampNotIncreasing {
        /// The last accepted timestamp (unix nanoseconds).
        previous: i64,
        /// The rejected timestamp (unix nanoseconds).
        got: i64,
    },
    /// A trade's timestamp is before the previous trade's.
    TimestampDecreasing {
        /// The last accepted timestamp (unix nanoseconds).
        previous: i64,
        /// The rejected timestamp (unix nanoseconds).
        got: i64,
    },
    /// A configured window is shorter than the feature allows.
    WindowTooShort {
        /// The configuration field.
        field: &'static str,
        /// The configured window.
        window: u16,
        /// The smallest window that field accepts.
        min: u16,
    },
    /// A configured window does not fit the compile-time history capacity.
    WindowTooLong {
        /// The configuration field.
        field: &'static str,
        /// The configured window.
        window: u16,
        /// The largest window the capacity allows.
        max: usize,
    },
    /// A configuration value is out of its range.
    InvalidParameter {
        /// The configuration field.
        field: &'static str,
    },
    /// The configuration has more features than the compile-time capacity.
    TooManyFeatures {
        /// Features the configuration asks for.
        needed: usize,
        /// The capacity `F` of the feature vector.
        capacity: usize,
    },
    /// A caller-provided buffer is too small.
    BufferTooSmall,
    /// A serialised state could not be decoded.
    BadSnapshot,
    /// The universe already holds its maximum number of symbols.
    UniverseFull {
        /// The capacity `N` of the universe.
        capacity: usize,
    },
    /// A symbol appears twice in one cross-sectional update.
    DuplicateSymbol,
    /// The bars of one cross-sectional update do not share one timestamp.
    MixedTimestamps {
        /// The first bar's timestamp (unix nanoseconds).
        first: i64,
        /// A different one in the same batch.
        other: i64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NonFinite { field } => write!(f, "{field} is not a finite number"),
            Error::NonPositivePrice { field } => write!(f, "{field} must be greater than 0"),
            Error::NegativeVolume => write!(f, "volume must not be negative"),
            Error::HighBelowLow => write!(f, "high is below low"),
            Error::OutsideRange { field } => write!(f, "{field} lies outside [low, high]"),
            Error::TimestampNotIncreasing { previous, got } => write!(
                f,
                "timestamp {got} ns is not after the previous bar's {previous} ns"
            ),
            Error::TimestampDecreasing { previous, got } => write!(
                f,
                "timestamp {got} ns is before the previous trade's {previous} ns"
            ),
            Error::WindowTooShort { field, window, min } => {
                write!(f, "{field}: window {window} is shorter than {min}")
            }
            Error::WindowTooLong { field, window, max } => write!(
                f,
                "{field}: window {window} exceeds the history capacity (at most {max})"
            ),
            Error::InvalidParameter { field } => write!(f, "{field} is out of range"),
            Error::TooManyFeatures { needed, capacity } => write!(
                f,
                "the configuration has {needed} features but the capacity is {capacity}"
            ),
            Error::BufferTooSmall => write!(f, "the buffer is too small"),
            Error::BadSnapshot => write!(f, "the snapshot could not be decoded"),
            Error::UniverseFull { capacity } => {
                write!(f, "the universe is full ({capacity} symbols)")
            }
            Error::DuplicateSymbol => write!(f, "a symbol appears twice at one timestamp"),
            Error::MixedTimestamps { first, other } => write!(
                f,
                "one cross-section mixes timestamps {first} and {other}: rank bars of one timestamp"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
