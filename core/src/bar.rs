//! An OHLCV bar that is valid by construction.

use crate::error::Error;
use crate::num::Float;

/// One OHLCV bar. The fields are private: a `Bar` only comes from [`Bar::new`], which
/// validates it, so everything downstream may assume finite, positive, consistent prices.
/// Deserialising goes through [`Bar::new`] too: an invalid bar is a decoding error.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "RawBar<T>",
        bound(deserialize = "T: Float + serde::Deserialize<'de>")
    )
)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Bar<T> {
    timestamp: i64,
    open: T,
    high: T,
    low: T,
    close: T,
    volume: T,
}

/// A bar's fields as they arrive, before [`Bar::new`] checks them.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawBar<T> {
    timestamp: i64,
    open: T,
    high: T,
    low: T,
    close: T,
    volume: T,
}

#[cfg(feature = "serde")]
impl<T: Float> TryFrom<RawBar<T>> for Bar<T> {
    type Error = Error;

    fn try_from(r: RawBar<T>) -> Result<Self, Error> {
        Bar::new(r.timestamp, r.open, r.high, r.low, r.close, r.volume)
    }
}

impl<T: Float> Bar<T> {
    /// Validates and builds a bar. `timestamp` is unix time in nanoseconds.
    ///
    /// Rejects non-finite fields, prices `<= 0`, negative volume, `high < low`, and
    /// `open` or `close` outside `[low, high]`.
    pub fn new(
        timestamp: i64,
        open: T,
        high: T,
        low: T,
        close: T,
        volume: T,
    ) -> Result<Self, Error> {
        for (field, v) in [
            ("open", open),
            ("high", high),
            ("low", low),
            ("close", close),
        ] {
            if !v.is_finite() {
                return Err(Error::NonFinite { field });
            }
            if v <= T::ZERO {
                return Err(Error::NonPositivePrice { field });
            }
        }
        if !volume.is_finite() {
            return Err(Error::NonFinite { field: "volume" });
        }
        if volume < T::ZERO {
            return Err(Error::NegativeVolume);
        }
        if high < low {
            return Err(Error::HighBelowLow);
        }
        for (field, v) in [("open", open), ("close", close)] {
            if v < low || v > high {
                return Err(Error::OutsideRange { field });
            }
        }
        Ok(Bar {
            timestamp,
            open,
            high,
            low,
            close,
            volume,
        })
    }

    /// Unix time in nanoseconds.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }
    /// Opening price.
    pub fn open(&self) -> T {
        self.open
    }
    /// Highest price.
    pub fn high(&self) -> T {
        self.high
    }
    /// Lowest price.
    pub fn low(&self) -> T {
        self.low
    }
    /// Closing price.
    pub fn close(&self) -> T {
        self.close
    }
    /// Traded volume (may be 0).
    pub fn volume(&self) -> T {
        self.volume
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_each_kind_of_bad_bar() {
        let ok = Bar::new(0, 10.0, 11.0, 9.0, 10.5, 100.0);
        assert!(ok.is_ok());
        assert_eq!(
            Bar::new(0, f64::NAN, 11.0, 9.0, 10.5, 1.0),
            Err(Error::NonFinite { field: "open" })
        );
        assert_eq!(
            Bar::new(0, 10.0, 11.0, 0.0, 10.5, 1.0),
            Err(Error::NonPositivePrice { field: "low" })
        );
        assert_eq!(
            Bar::new(0, 10.0, 9.0, 11.0, 10.0, 1.0),
            Err(Error::HighBelowLow)
        );
        assert_eq!(
            Bar::new(0, 10.0, 11.0, 9.0, 10.5, -1.0),
            Err(Error::NegativeVolume)
        );
        assert_eq!(
            Bar::new(0, 10.0, 11.0, 9.0, 12.0, 1.0),
            Err(Error::OutsideRange { field: "close" })
        );
        assert_eq!(
            Bar::new(0, 10.0, 11.0, 9.0, 10.0, f64::INFINITY),
            Err(Error::NonFinite { field: "volume" })
        );
    }

    /// Deserialising cannot build a bar `Bar::new` would refuse: postcard bytes of a bar
    /// with `high < low` (written field by field as a tuple) do not decode.
    #[cfg(feature = "serde")]
    #[test]
    fn deserialising_validates() {
        let good = Bar::new(7, 10.0, 11.0, 9.0, 10.5, 100.0).unwrap();
        let mut buf = [0u8; 64];
        let bytes = postcard::to_slice(&good, &mut buf).unwrap();
        assert_eq!(postcard::from_bytes::<Bar<f64>>(bytes), Ok(good));
        let bad = (7i64, 10.0f64, 9.0f64, 11.0f64, 10.0f64, 1.0f64);
        let mut buf = [0u8; 64];
        let bytes = postcard::to_slice(&bad, &mut buf).unwrap();
        assert!(postcard::from_bytes::<Bar<f64>>(bytes).is_err());
        let negative = (7i64, 10.0f64, 11.0f64, 9.0f64, 10.0f64, -5.0f64);
        let bytes = postcard::to_slice(&negative, &mut buf).unwrap();
        assert!(postcard::from_bytes::<Bar<f64>>(bytes).is_err());
    }
}
