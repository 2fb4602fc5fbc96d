//! A trade, valid by construction.

use crate::error::Error;
use crate::num::Float;

/// Who initiated a trade, when the feed says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Side {
    /// Buyer-initiated (sign +1).
    Buy,
    /// Seller-initiated (sign -1).
    Sell,
}

/// One trade. The fields are private: a `Trade` only comes from [`Trade::new`], so a
/// bar builder may assume a finite positive price and a finite non-negative size.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Trade<T> {
    timestamp: i64,
    price: T,
    size: T,
    side: Option<Side>,
}

impl<T: Float> Trade<T> {
    /// A trade at `timestamp` (unix ns): `price` finite and above 0, `size` finite and
    /// not negative, `side` when the feed gives the aggressor (else the tick rule signs
    /// it).
    pub fn new(timestamp: i64, price: T, size: T, side: Option<Side>) -> Result<Self, Error> {
        if !price.is_finite() {
            return Err(Error::NonFinite { field: "price" });
        }
        if price <= T::ZERO {
            return Err(Error::NonPositivePrice { field: "price" });
        }
        if !size.is_finite() {
            return Err(Error::NonFinite { field: "size" });
        }
        if size < T::ZERO {
            return Err(Error::NegativeVolume);
        }
        Ok(Trade {
            timestamp,
            price,
            size,
            side,
        })
    }

    /// Unix nanoseconds.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// Price.
    pub fn price(&self) -> T {
        self.price
    }

    /// Size.
    pub fn size(&self) -> T {
        self.size
    }

    /// The aggressor, if known.
    pub fn side(&self) -> Option<Side> {
        self.side
    }
}
